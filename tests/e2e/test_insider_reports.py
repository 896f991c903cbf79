"""Reports against an insider: a township cannot squat on another township's submission head
(the head id is predictable) to read or capture its figures, and only the keepers of an issuing
office's reports change the data-item dictionary (not a village, not the office's 文书)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime

import pytest

from oa_client.domain.reports_records import submission_id
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.services import reports as rep
from oa_client.services import reports_dictionary as rd
from oa_client.services import reports_review as rev
from sync.org import fetch_org
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client, server_put

TOWN_Q, _MED = load_report_templates(SAMPLE_TEMPLATES)
TPL, PERIOD = "tpl-town-q", "2026-Q1"


def unit_of(client) -> str:
    return str(client.transport.user["unit"]["id"])


def push(client, entity: str, payload: dict, *, entity_id: str | None = None, kind: str = "upsert",
         base_rev: int = 0):
    """One raw op through the push, as a client that skipped its own checks would send it."""
    op = {"op_id": str(uuid.uuid4()), "kind": kind, "entity": entity,
          "entity_id": entity_id or str(uuid.uuid4()), "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


@pytest.fixture
def world(server, tmp_path):  # noqa: F811
    """The city's 数据局 (李晓龙) keeps the dictionary and issues the 一张表 to 洪阳 and 梅塘."""
    server.clock.now = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    clients = {login: make_client(server, tmp_path, login) for login in ("lixiaolong", "yanglan", "laiqiuxia")}
    for c in clients.values():
        c.engine.sync()
        fetch_org(c.store, c.transport)
    city = clients["lixiaolong"]
    assert rd.define_missing(city.store, list(TOWN_Q.data_items), unit_id=unit_of(city)) > 0
    rev.issue_template(city.store, template=TOWN_Q, period=PERIOD, deadline=dt.date(2026, 4, 10),
                       recipients=[unit_of(clients["yanglan"]), unit_of(clients["laiqiuxia"])], record_id=TPL)
    assert city.engine.sync().rejected == 0
    for c in clients.values():
        c.engine.sync()
    yield clients
    for c in clients.values():
        c.close()


def held(client, collection: str, record_id: str) -> dict | None:
    """The live record a desk holds (None when it has none or a tombstone)."""
    found = client.store.records.list(collection, limit=1, where={"id": record_id})
    return found[0] if found else None


def _save_meitang(mt) -> None:
    """梅塘's statistician saves her figures through the desk and syncs."""
    form = rep.open_form(mt.store, template_id=TPL, unit_id=unit_of(mt), period=PERIOD)
    form.values = {**form.values, "FILLER": "赖秋霞", "GRAIN_AREA": "999.5"}
    rep.share_draft(mt.store, form)
    assert mt.engine.sync().rejected == 0


def _meitang_head_is_meitangs(world, head_id: str) -> None:
    """梅塘 holds its own head with its own figures; 洪阳 holds nothing at that id; the city sees 草稿."""
    hy, mt, city = world["yanglan"], world["laiqiuxia"], world["lixiaolong"]
    for c in (hy, mt, city):
        c.engine.sync()
    head = held(mt, "submissions", head_id)
    assert head is not None, "梅塘 does not see its own head"
    assert head["kind"] == "submission" and head["unit_id"] == unit_of(mt)
    assert head["values"]["FILLER"] == "赖秋霞" and head["values"]["GRAIN_AREA"] == "999.5"
    assert "杨兰" not in str(head["values"])
    assert held(hy, "submissions", head_id) is None  # 洪阳 reads none of 梅塘's figures
    heads = [r for r in hy.store.records.list("submissions", limit=100) if r.get("kind") == "submission"]
    assert all(h["unit_id"] == unit_of(hy) for h in heads)
    data = city.transport.request("GET", f"/reports/{TPL}/overview", params={"period": PERIOD}).json()
    meitang = next(u for u in data["units"] if u["name"] == "梅塘镇人民政府")
    assert meitang["state"] == "draft"


def test_an_edit_pushed_at_another_townships_head_id_is_refused(world):
    hy, mt = world["yanglan"], world["laiqiuxia"]
    victim = submission_id(TPL, unit_of(mt), PERIOD)
    result = push(hy, "submissions", {"kind": "edit", "action": "save", "template_id": TPL, "period": PERIOD,
                                      "base": {}, "values": {"FILLER": "杨兰-squat"}}, entity_id=victim)
    assert (result.status, result.code) == ("rejected", "forbidden"), result
    assert result.message == "您无权修改该记录，或该记录不存在"
    own = push(hy, "submissions", {"kind": "edit", "action": "save", "template_id": TPL, "period": PERIOD,
                                   "base": {}, "values": {"FILLER": "杨兰"}},
               entity_id=submission_id(TPL, unit_of(hy), PERIOD), kind="action")
    assert (own.status, own.code) == ("rejected", "forbidden")  # not even at her own head's id
    _save_meitang(mt)
    _meitang_head_is_meitangs(world, victim)
    # the head exists now: the same push gets the same answer (nothing tells that it does)
    for kind in ("upsert", "action"):
        again = push(hy, "submissions", {"kind": "edit", "action": "save", "template_id": TPL,
                                         "period": PERIOD, "base": {}, "values": {"FILLER": "x"}},
                     entity_id=victim, kind=kind)
        assert (again.status, again.code, again.message) == (
            result.status, result.code, result.message), (kind, again)


def test_a_record_squatting_on_a_head_id_is_replaced_by_the_head_not_merged_into(server, world):  # noqa: F811
    """A squat written before the server refused it: 梅塘's save writes 梅塘's head over it."""
    hy, mt = world["yanglan"], world["laiqiuxia"]
    victim = submission_id(TPL, unit_of(mt), PERIOD)
    server_put(server, hy, [("submissions", victim, {
        "kind": "edit", "state": "edit", "action": "save", "template_id": TPL, "period": PERIOD,
        "base": {}, "values": {"FILLER": "杨兰-squat", "PHONE": "13900000000"}, "actor_id": hy.transport.user["id"]})])
    hy.engine.sync()
    assert held(hy, "submissions", victim) is not None  # the squat, as the old server kept it
    _save_meitang(mt)
    _meitang_head_is_meitangs(world, victim)
    assert "PHONE" not in held(mt, "submissions", victim)["values"]


def _item(code: str, **changes) -> dict:
    return {**TOWN_Q.item("FILLER").model_dump(mode="json", exclude={"version"}), "code": code, **changes}


def test_a_village_statistician_cannot_add_to_the_dictionary(server, world, tmp_path):  # noqa: F811
    village = make_client(server, tmp_path, "caishaopeng")  # 洪阳镇新寨村 乡镇统计员
    result = push(village, "data_items", _item("PROBE_V", name="探针项"), entity_id="PROBE_V")
    assert (result.status, result.code) == ("rejected", "forbidden"), result
    assert "村级单位" in result.message
    city = world["lixiaolong"]  # the office that keeps the dictionary still adds to it
    assert push(city, "data_items", _item("NEW_V", name="新增项"), entity_id="NEW_V").status == "applied"
    village.engine.sync()
    assert held(village, "data_items", "PROBE_V") is None
    assert village.store.records.get("data_items", "NEW_V")["name"] == "新增项"
    village.close()


def test_the_owning_offices_clerk_cannot_rename_or_retire_an_item(server, world, tmp_path):  # noqa: F811
    clerk = make_client(server, tmp_path, "zhangmin")  # 数据局 文书/印章管理员: same unit, not a keeper
    clerk.engine.sync()
    current = clerk.store.records.get("data_items", "FILLER")
    payload = {k: v for k, v in current.items() if k not in ("id", "rev")}
    for change in ({"name": "填报人(被文书改)"}, {"retired": True}):
        result = push(clerk, "data_items", {**payload, **change}, entity_id="FILLER", base_rev=current["rev"])
        assert (result.status, result.code) == ("rejected", "forbidden"), result
        assert "拟稿人、科长、统计员或单位领导" in result.message
    keeper = world["lixiaolong"]  # 数据资源科: the item's keeper renames and retires it
    keeper.engine.sync()
    assert keeper.store.records.get("data_items", "FILLER")["name"] == current["name"]
    renamed = push(keeper, "data_items", {**payload, "name": "填报人员", "retired": True}, entity_id="FILLER",
                   base_rev=current["rev"])
    assert renamed.status == "applied", renamed
    clerk.engine.sync()
    stored = clerk.store.records.get("data_items", "FILLER")
    assert (stored["name"], stored["retired"], stored["version"]) == ("填报人员", True, 2)
    clerk.close()
