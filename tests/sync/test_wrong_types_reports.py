"""A tampered client with a valid account pushes report ops (templates, and save / submit /
resolve / return edits) whose fields hold the wrong kind of JSON value. Each op is refused
alone with `validation`, naming the field; the head and template the desks read stay as they
were; never a 500, and the other ops of the same push still apply."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime

import pytest

from oa_client.domain.reports_records import submission_id
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.services import reports_dictionary as rd
from oa_client.services import reports_review as rev
from sync.org import fetch_org
from tests.e2e.test_reports import _town_values
from tests.server.support import copy_sqlite
from tests.sync.support import LiveServer, make_client

TOWN_Q, _MED = load_report_templates(SAMPLE_TEMPLATES)
TEMPLATE = "tpl-wrong-types"
PERIOD = "2026-Q1"


def _unit(client) -> str:
    return str(client.transport.user["unit"]["id"])


def _op(entity: str, payload: dict, *, rid: str | None = None, kind: str = "action", base_rev: int = 0) -> dict:
    return {"op_id": uuid.uuid4().hex, "kind": kind, "entity": entity,
            "entity_id": rid or f"edit-{uuid.uuid4().hex[:10]}", "base_rev": base_rev, "payload": payload}


def _edit(action: str, **extra) -> dict:
    return {"kind": "edit", "action": action, "template_id": TEMPLATE, "template_version": 1,
            "period": PERIOD, "device_id": "dev-probe", **extra}


@pytest.fixture(scope="module")
def world(sync_template, tmp_path_factory):
    """One server for the module: the city issued a template to two townships; 洪阳镇's head
    holds a conflict (two laptops, PHONE), 梅塘镇's head is submitted."""
    root = tmp_path_factory.mktemp("wrong-types-reports")
    live = LiveServer(root / "server", f"sqlite:///{copy_sqlite(sync_template, root / 'server')}").start()
    live.clock.now = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    city, draft_town, sent_town = (make_client(live, root, login) for login in ("lixiaolong", "yanglan", "laiqiuxia"))
    for c in (city, draft_town, sent_town):
        fetch_org(c.store, c.transport)
        c.engine.sync()
    rd.define_missing(city.store, list(TOWN_Q.data_items), unit_id=_unit(city))
    rev.issue_template(city.store, template=TOWN_Q, period=PERIOD, deadline=dt.date(2026, 4, 10),
                       recipients=[_unit(draft_town), _unit(sent_town)], record_id=TEMPLATE)
    assert city.engine.sync().rejected == 0
    full = _town_values(3000, 1500, (1000, 1200, 800))
    setup = [(draft_town, _edit("save", base={}, values=full, device_id="dev-a")),
             (draft_town, _edit("save", base={}, values={**full, "PHONE": "13900000002"}, device_id="dev-b")),
             (sent_town, _edit("submit", base={}, values=full))]
    for client, payload in setup:
        assert client.transport.push([_op("submissions", payload)]).results[0].status == "applied"
    for c in (city, draft_town, sent_town):
        c.engine.sync()
    yield city, draft_town, sent_town, full
    for c in (city, draft_town, sent_town):
        c.close()
    live.stop()


def _pulled(client, collection: str, rid: str) -> dict | None:
    client.engine.sync()
    return client.store.records.get_many(collection, [rid]).get(rid)


def _head(client, owner) -> dict | None:
    return _pulled(client, "submissions", submission_id(TEMPLATE, _unit(owner), PERIOD))


def _refused(result, label: str) -> None:
    """Refused alone as `validation`, the message naming the field (`a|b`: either name)."""
    assert (result.status, result.code) == ("rejected", "validation"), (result.status, result.message)
    assert any(name in result.message for name in label.split("|")), result.message


def _template_payload(client, recipients: list[str]) -> dict:
    return {"definition": TOWN_Q.model_dump(mode="json"), "name": TOWN_Q.name, "period": PERIOD,
            "deadline": "2026-04-10", "recipients": recipients}


#: (field, wrong value, how the refusal names it)
TEMPLATE_CASES = [
    *[("definition", v, "报表定义") for v in (5, 1.5, True, "text", [1, 2], ["a"])],
    *[("recipients", v, "填报单位") for v in (5, 1.5, True)],
    *[("period", v, "所属期") for v in (5, 1.5, True)],
    *[("period", v, "所属期|period") for v in (["a"], {"a": 1})],  # also refused as an indexed field
    # a string, but not a quarter as every desk counts them (previous_period would fail)
    *[("period", v, "2026-Q1") for v in ("2026年第一季度", "2026-Q5", "text", "2026-03")],
]


@pytest.mark.parametrize("field,value,label", TEMPLATE_CASES)
def test_a_template_with_a_wrongly_typed_field_is_refused_naming_it(world, field, value, label):
    city, draft_town, _sent, _full = world
    good = _template_payload(city, [_unit(draft_town)])
    rid = f"tpl-new-{uuid.uuid4().hex[:8]}"
    result = city.transport.push([_op("report_templates", {**good, field: value}, rid=rid, kind="upsert")]).results[0]
    _refused(result, label)
    assert _pulled(city, "report_templates", rid) is None
    # the same wrong value in an edit of the issued template leaves it as it was
    before = _pulled(city, "report_templates", TEMPLATE)
    stored = {k: v for k, v in before.items() if k != "rev"}
    result = city.transport.push([_op("report_templates", {**stored, field: value}, rid=TEMPLATE,
                                      kind="upsert", base_rev=before["rev"])]).results[0]
    _refused(result, label)
    assert _pulled(city, "report_templates", TEMPLATE) == before
    assert _pulled(draft_town, "report_templates", TEMPLATE)["period"] == PERIOD


#: (payload changes, how the refusal names it)
VALUES_CASES = [
    *[({"template_version": v}, "报表版本") for v in ("text", [1, 2], ["a"], {"a": 1}, True, 1.5)],
    *[({"values": {"villages": v}}, "villages") for v in (5, 0, 1.5, True, False, None, "text")],
    ({"base": {"villages": 5}}, "villages"),
    ({"values": {"POP_TOTAL": {"a": {"b": "1"}}}}, "POP_TOTAL"),
    ({"prefilled": [{"field": "POP_TOTAL", "row": [1], "column": None, "value": "1"}]}, "预填"),
    ({"prefilled": [{"field": "POP_TOTAL", "row": None, "column": None, "value": {"a": 1}}]}, "预填"),
]


@pytest.mark.parametrize("action", ["save", "submit"])
@pytest.mark.parametrize("changes,label", VALUES_CASES)
def test_a_save_or_submit_with_wrongly_typed_values_is_refused_naming_them(world, action, changes, label):
    _city, draft_town, _sent, full = world
    before = _head(draft_town, draft_town)
    values = {**full, "FILLER": "改过", **changes.get("values", {})}
    payload = _edit(action, **{"base": full, **changes, "values": values})
    result = draft_town.transport.push([_op("submissions", payload)]).results[0]
    _refused(result, label)
    assert _head(draft_town, draft_town) == before


def _resolution(**changes) -> dict:
    return {"field": "PHONE", "row": None, "column": None, "value": "13900000002", **changes}


RESOLVE_CASES = [
    *[(v, "resolutions") for v in (5, 1.5, True)],
    ([_resolution(row=[1, 2])], "resolutions[0].row"), ([_resolution(row={"a": 1})], "resolutions[0].row"),
    ([_resolution(column=["a"])], "resolutions[0].column"), ([_resolution(column={})], "resolutions[0].column"),
    ([_resolution(value={"a": 1})], "resolutions[0].value"), ([_resolution(value=[1])], "resolutions[0].value"),
    ([_resolution(field=5)], "resolutions[0].field"), (["PHONE"], "resolutions[0]"),
]


@pytest.mark.parametrize("resolutions,where", RESOLVE_CASES)
def test_a_resolve_with_wrongly_typed_choices_is_refused_and_the_conflict_stays(world, resolutions, where):
    _city, draft_town, _sent, _full = world
    before = _head(draft_town, draft_town)
    assert [c["field"] for c in before["conflicts"]] == ["PHONE"]
    result = draft_town.transport.push([_op("submissions", _edit("resolve", resolutions=resolutions))]).results[0]
    _refused(result, "冲突取值")
    assert where in result.message
    assert _head(draft_town, draft_town) == before


def _comment(**changes) -> dict:
    return {"field": "GRAIN_AREA", "row": None, "column": None, "text": "请核实", **changes}


RETURN_CASES = [
    *[(v, "comments") for v in (5, 1.5, True)],
    ([_comment(row=[1])], "comments[0].row"), ([_comment(row={"a": 1})], "comments[0].row"),
    ([_comment(column=["V_POP"])], "comments[0].column"), ([_comment(column={"a": 1})], "comments[0].column"),
    ([_comment(field=["GRAIN_AREA"])], "comments[0].field"), ([_comment(field={"a": 1})], "comments[0].field"),
    ([_comment(field=5)], "comments[0].field"),
    ([_comment(text=5)], "comments[0].text"), ([_comment(text=["请核实"])], "comments[0].text"),
]


@pytest.mark.parametrize("comments,where", RETURN_CASES)
def test_a_return_with_wrongly_typed_remarks_is_refused_and_the_head_stays_submitted(world, comments, where):
    city, _draft, sent_town, _full = world
    before = _head(city, sent_town)
    assert before["state"] == "submitted"
    payload = _edit("return", target_unit_id=_unit(sent_town), comments=comments, note="请修改")
    result = city.transport.push([_op("submissions", payload)]).results[0]
    _refused(result, "退回意见")
    assert where in result.message
    assert _head(city, sent_town) == before
    assert _head(sent_town, sent_town)["state"] == "submitted"


def test_the_good_ops_of_a_push_apply_around_the_refused_ones(world):
    city, draft_town, _sent, full = world
    bad_save = _edit("save", base=full, values={**full, "villages": 5})
    good_save = _edit("save", base=full, values={**full, "GRAIN_AREA": "1300.0"})
    bad_resolve = _edit("resolve", resolutions=[_resolution(row=[1])])
    results = draft_town.transport.push([_op("submissions", p) for p in (bad_save, good_save, bad_resolve)]).results
    assert [(r.status, r.code) for r in results] == [("rejected", "validation"), ("applied", None),
                                                     ("rejected", "validation")]
    head = _head(draft_town, draft_town)
    assert head["values"]["GRAIN_AREA"] == "1300.0" and isinstance(head["values"]["villages"], dict)
    assert [c["field"] for c in head["conflicts"]] == ["PHONE"]
    good_tpl = _template_payload(city, [_unit(draft_town)])
    results = city.transport.push([
        _op("report_templates", {**good_tpl, "period": 5}, rid="tpl-bad-period", kind="upsert"),
        _op("report_templates", good_tpl, rid="tpl-good", kind="upsert")]).results
    assert [r.status for r in results] == ["rejected", "applied"]
    assert _pulled(city, "report_templates", "tpl-bad-period") is None
    assert _pulled(draft_town, "report_templates", "tpl-good")["period"] == PERIOD
