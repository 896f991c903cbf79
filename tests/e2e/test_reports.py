"""Reports end to end through the real server: a city office issues a quarterly 一张表 to three
townships; they fill offline (one on two laptops), submit after reconnecting; one is returned
and corrected; the city aggregates and exports xlsx whose totals equal the submissions."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest

from oa_client.domain.reports_records import submission_id
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.errors import ValidationError
from oa_client.services import reports as rep
from oa_client.services import reports_dictionary as rd
from oa_client.services import reports_review as rev
from oa_client.services import reports_xlsx as rx
from sync.org import fetch_org
from sync.transport import SyncError
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

TOWN_Q, MED_M = load_report_templates(SAMPLE_TEMPLATES)
MED_Q = MED_M.model_copy(update={"code": "MED_Q", "name": "城乡居民医保参保情况季报", "period": "quarterly"})


def _unit(client) -> str:
    return str(client.transport.user["unit"]["id"])


def _town_values(pop: int, male: int, villages: tuple[int, int, int], filler: str = "张三") -> dict:
    return {
        "POP_TOTAL": str(pop), "POP_MALE": str(male), "POP_FEMALE": str(pop - male),
        "INSURED": str(int(pop * 0.95)), "INCOME_CUM": "5230.50", "GRAIN_AREA": "1200.5",
        "FLOOD": "否", "LEVEL": "无", "FILLER": filler, "PHONE": "13800000000",
        "villages": {key: {"V_HOUSEHOLDS": str(n // 3), "V_POP": str(n), "V_LOW_INCOME": "5", "V_ROAD_KM": "3.5"}
                     for key, n in zip(("v-east", "v-west", "v-south"), villages, strict=True)},
    }


def _fill(client, template_id: str, values: dict, period: str = "2026-Q1") -> rep.Form:
    form = rep.open_form(client.store, template_id=template_id, unit_id=_unit(client), period=period)
    merged = dict(form.values)
    merged.update(values)
    rep.save_draft(client.store, form, merged)
    return form


@pytest.fixture
def world(server, tmp_path):  # noqa: F811
    server.clock.now = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    city = make_client(server, tmp_path, "lixiaolong")  # 市政务服务数据管理局
    towns = {login: make_client(server, tmp_path, login) for login in ("yanglan", "wuhuiling", "laiqiuxia")}
    laptop2 = make_client(server, tmp_path, "yanglan", name="yanglan-laptop2")
    for c in (city, *towns.values(), laptop2):
        c.engine.sync()
        fetch_org(c.store, c.transport)
    ids = [_unit(c) for c in towns.values()]
    # the dictionary first: a template carries only items exactly as the dictionary defines them
    assert rd.define_missing(city.store, [*TOWN_Q.data_items, *MED_Q.data_items], unit_id=_unit(city)) == 16
    rev.issue_template(city.store, template=TOWN_Q, period="2026-Q1", deadline=dt.date(2026, 4, 10),
                       recipients=ids, record_id="tpl-town-q")
    assert city.engine.sync().rejected == 0, city.store.db.query("SELECT resolution FROM conflicts")
    for c in (*towns.values(), laptop2):
        c.engine.sync()
    yield city, towns, laptop2
    for c in (city, *towns.values(), laptop2):
        c.close()


def test_quarterly_report_issue_fill_offline_two_laptops_return_aggregate_export(world, server, tmp_path):  # noqa: F811
    city, towns, laptop2 = world
    hy, ls, mt = towns["yanglan"], towns["wuhuiling"], towns["laiqiuxia"]
    assert [t["id"] for t in rep.templates_for_unit(hy.store, _unit(hy))] == ["tpl-town-q"]

    # 洪阳镇 on two laptops, offline: different cells on each, plus the same cell (PHONE) on both
    full = _town_values(3000, 1500, (1000, 1200, 800), filler="杨兰")
    part_a = {k: v for k, v in full.items() if k != "villages"}
    form_a = _fill(hy, "tpl-town-q", part_a)
    rep.share_draft(hy.store, form_a)
    form_b = _fill(laptop2, "tpl-town-q", {"villages": full["villages"], "PHONE": "13900000002"})
    rep.share_draft(laptop2.store, form_b)
    # the other two townships, offline too
    form_ls = _fill(ls, "tpl-town-q", _town_values(2000, 990, (700, 700, 600)))
    form_mt = _fill(mt, "tpl-town-q", _town_values(1000, 480, (300, 300, 400)))
    assert ls.store.records.pending_ops() == 0  # autosaved drafts are local only
    rep.submit_form(ls.store, form_ls)
    rep.submit_form(mt.store, form_mt)
    assert ls.store.records.pending_ops() == 1  # queued until the network is back

    # reconnect: each syncs
    for c in (hy, laptop2, ls, mt):
        report = c.engine.sync()
        assert report.rejected == 0 and report.conflicts == 0  # never a whole-record rejection
    hy.engine.sync()
    form = rep.open_form(hy.store, template_id="tpl-town-q", unit_id=_unit(hy))
    assert form.values["POP_TOTAL"] == "3000"  # from laptop A
    assert form.values["villages"]["v-west"]["V_POP"] == "1200"  # from laptop B
    [conflict] = form.conflicts  # the same cell on both: visible, both values kept
    assert (conflict["field"], {conflict["kept"], conflict["other"]}) == ("PHONE", {"13800000000", "13900000002"})
    with pytest.raises(ValidationError):
        rep.submit_form(hy.store, form)  # conflicts first
    rep.resolve_conflict(hy.store, form, field="PHONE", row=None, column=None, value="13900000002")
    hy.engine.sync()
    form = rep.open_form(hy.store, template_id="tpl-town-q", unit_id=_unit(hy))
    assert form.conflicts == [] and form.values["PHONE"] == "13900000002"
    rep.submit_form(hy.store, form)
    assert hy.engine.sync().superseded == 0
    laptop2.engine.sync()
    assert rep.open_form(laptop2.store, template_id="tpl-town-q", unit_id=_unit(hy)).state == "submitted"

    # the city reviews: all three submitted, none late; returns 梅塘镇 with a remark on a cell
    city.engine.sync()
    rows = {r.unit_name: r for r in rev.review(city.store, template_id="tpl-town-q")}
    assert {r.state for r in rows.values()} == {"submitted"} and not any(r.late for r in rows.values())
    assert "梅塘镇人民政府" in rows, list(rows)
    mt_head = rows["梅塘镇人民政府"].head
    rev.return_submission(city.store, head=mt_head, comments=[
        {"field": "GRAIN_AREA", "text": "粮食播种面积与农业部门数据差距大，请核实"}])
    city.engine.sync()
    mt.engine.sync()
    form = rep.open_form(mt.store, template_id="tpl-town-q", unit_id=_unit(mt))
    assert form.state == "returned" and form.comments[0]["field"] == "GRAIN_AREA"
    values = dict(form.values, GRAIN_AREA="980.0")
    rep.save_draft(mt.store, form, values)
    rep.submit_form(mt.store, form)
    mt.engine.sync()
    city.engine.sync()
    rows = {r.unit_name: r for r in rev.review(city.store, template_id="tpl-town-q")}
    again = rows["梅塘镇人民政府"]
    assert again.state == "submitted" and again.resubmitted
    assert [(c.field, c.before, c.after) for c in again.changes] == [("GRAIN_AREA", "1200.5", "980.0")]
    rev.accept_submission(city.store, head=again.head)
    city.engine.sync()

    # aggregate and export: the totals equal the sum of the submissions
    summary = rev.aggregate_local(city.store, template_id="tpl-town-q")
    assert summary.result.totals["POP_TOTAL"] == Decimal(6000)
    assert summary.result.totals["villages.V_POP"] == Decimal(6000)
    path = tmp_path / "汇总.xlsx"
    rx.export_aggregate(summary, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[3]]
    total_row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    unit_rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] not in ("合计", None)]
    assert len(unit_rows) == 3
    for col, name in enumerate(header):
        if col == 0 or name is None:
            continue
        numbers = [r[col] for r in unit_rows if isinstance(r[col], int | float)]
        if numbers and name.endswith("（平均）"):  # per-head figures are averaged, not added
            assert total_row[col] == pytest.approx(sum(numbers) / len(numbers)), name
        elif numbers:
            assert total_row[col] == pytest.approx(sum(numbers)), name
    pop_col = header.index(next(h for h in header if h and h.startswith("户籍人口")))
    assert total_row[pop_col] == 6000
    assert any(h and h.endswith("（平均）") for h in header)


def test_prefill_from_previous_period_and_from_another_report(world, server):  # noqa: F811
    city, towns, _laptop2 = world
    hy = towns["yanglan"]
    unit = _unit(hy)
    form = _fill(hy, "tpl-town-q", _town_values(3000, 1500, (1000, 1200, 800)))
    rep.submit_form(hy.store, form)
    hy.engine.sync()
    # the 医保局 (here the same office) issues a quarterly report asking for figures already filled
    rev.issue_template(city.store, template=MED_Q, period="2026-Q1", deadline=dt.date(2026, 4, 10),
                       recipients=[unit], record_id="tpl-med-q")
    city.engine.sync()
    hy.engine.sync()
    med = rep.open_form(hy.store, template_id="tpl-med-q", unit_id=unit)
    assert med.values["POP_TOTAL"] == "3000" and med.values["INSURED"] == "2850"
    mark = med.mark("INSURED")
    assert mark is not None and mark.kind == "other_report" and "乡镇基本情况季报" in mark.source
    assert len(med.marks) >= 4
    rep.share_draft(hy.store, med)
    hy.engine.sync()
    assert rep.prefilled_count(hy.store, unit, "2026-Q1") == len(med.marks)

    # next quarter: carried-forward figures come from the previous period
    rev.issue_template(city.store, template=TOWN_Q, period="2026-Q2", deadline=dt.date(2026, 7, 10),
                       recipients=[_unit(t) for t in towns.values()], record_id="tpl-town-q")
    city.engine.sync()
    hy.engine.sync()
    q2 = rep.open_form(hy.store, template_id="tpl-town-q", unit_id=unit, period="2026-Q2")
    assert q2.values["POP_TOTAL"] == "3000" and q2.mark("POP_TOTAL").kind == "previous_period"
    assert q2.values["villages"]["v-east"]["V_HOUSEHOLDS"] == "333"
    assert "POP_MALE" not in q2.values  # not a carried-forward figure
    # a cumulative figure may not fall below last quarter's
    rep.save_draft(hy.store, q2, {**q2.values, "INCOME_CUM": "100"})
    assert any("累计" in p.message for p in q2.problems())


def test_late_submission_is_marked_or_refused_per_template(world, server):  # noqa: F811
    city, towns, _laptop2 = world
    hy, ls = towns["yanglan"], towns["wuhuiling"]
    strict = TOWN_Q.model_copy(update={"code": "TOWN_Q_STRICT", "late_policy": "refuse"})
    rev.issue_template(city.store, template=strict, period="2026-Q1", deadline=dt.date(2026, 4, 10),
                       recipients=[_unit(ls)], record_id="tpl-strict")
    city.engine.sync()
    server.clock.now = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)  # after the deadline
    hy.engine.sync()
    ls.engine.sync()
    form = _fill(hy, "tpl-town-q", _town_values(3000, 1500, (1000, 1200, 800)))
    rep.submit_form(hy.store, form)
    assert hy.engine.sync().superseded == 0
    head = hy.store.records.get("submissions", submission_id("tpl-town-q", _unit(hy), "2026-Q1"))
    assert head["state"] == "submitted" and head["late"] is True
    form = _fill(ls, "tpl-strict", _town_values(2000, 990, (700, 700, 600)))
    rep.submit_form(ls.store, form)
    report = ls.engine.sync()
    assert report.superseded == 1  # refused, told, and the values kept on the server
    head = ls.store.records.get("submissions", submission_id("tpl-strict", _unit(ls), "2026-Q1"))
    assert head["state"] == "draft" and head["values"]["POP_TOTAL"] == "2000"


def test_template_revised_while_a_draft_of_the_old_version_exists(world):
    city, towns, _laptop2 = world
    hy = towns["yanglan"]
    form = _fill(hy, "tpl-town-q", _town_values(3000, 1500, (1000, 1200, 800)))
    assert form.template.version == 1
    # the issuer drops 粮食播种面积 and the 南村 row while the clerk's draft still has them
    sections = [s.model_copy(update={"items": [i for i in s.items if i.code != "GRAIN_AREA"]}) for s in TOWN_Q.sections]
    table = TOWN_Q.tables[0].model_copy(update={"rows": TOWN_Q.tables[0].rows[:2]})
    revised = TOWN_Q.model_copy(update={"sections": sections, "tables": [table]})
    rev.issue_template(city.store, template=revised, period="2026-Q1", deadline=dt.date(2026, 4, 10),
                       recipients=[_unit(t) for t in towns.values()], record_id="tpl-town-q")
    city.engine.sync()
    hy.engine.sync()
    form = rep.open_form(hy.store, template_id="tpl-town-q", unit_id=_unit(hy))
    assert form.template.version == 2
    assert form.values["POP_TOTAL"] == "3000" and "GRAIN_AREA" not in form.values
    assert "v-south" not in form.values["villages"]
    dropped = {(p.field, p.row) for p in form.dropped}
    assert ("GRAIN_AREA", None) in dropped and ("villages", "v-south") in dropped

    # a laptop that never saw the new version still sends old-version values: the server migrates them
    old_laptop = towns["yanglan"]
    rep._edit(old_laptop.store, form, "save", base={}, values={"GRAIN_AREA": "7.5", "FILLER": "杨兰"},
              template_version=1)
    old_laptop.engine.sync()
    head = old_laptop.store.records.get("submissions", submission_id("tpl-town-q", _unit(hy), "2026-Q1"))
    assert head["values"]["FILLER"] == "杨兰" and "GRAIN_AREA" not in head["values"]
    assert any(d["field"] == "GRAIN_AREA" and "7.5" in d["message"] for d in head["dropped"])


def test_bad_edits_and_foreign_units_are_refused(world):
    city, towns, _laptop2 = world
    hy = towns["yanglan"]
    bad = [
        {"kind": "edit", "action": "save", "template_id": "tpl-town-q", "period": "2026-Q1",
         "base": {}, "values": {"POP_TOTAL": {"x": [1]}}},
        {"kind": "edit", "action": "save", "template_id": "tpl-town-q", "period": "2030-Q1",
         "base": {}, "values": {}},
        {"kind": "edit", "action": "fly", "template_id": "tpl-town-q", "period": "2026-Q1"},
        {"kind": "edit", "action": "return", "template_id": "tpl-town-q", "period": "2026-Q1",
         "target_unit_id": _unit(towns["wuhuiling"]), "comments": [{"field": "POP_TOTAL", "text": "x"}]},
    ]
    ops = [{"op_id": f"bad{i}", "kind": "action", "entity": "submissions", "entity_id": f"bad-edit-{i}",
            "payload": p} for i, p in enumerate(bad)]
    results = hy.transport.push(ops).results
    assert [r.status for r in results] == ["rejected"] * 4
    assert all(r.message for r in results)
    # clients never write a head directly
    head_id = submission_id("tpl-town-q", _unit(hy), "2026-Q1")
    result = hy.transport.push([{"op_id": "h", "kind": "upsert", "entity": "submissions", "entity_id": head_id,
                                 "payload": {"kind": "submission", "state": "accepted"}}]).results[0]
    assert result.status == "rejected"
    # the city cannot issue to a unit that is not below it
    result = city.transport.push([{"op_id": "t", "kind": "upsert", "entity": "report_templates", "entity_id": "tpl-x",
                                   "payload": {"definition": TOWN_Q.model_dump(mode="json"), "period": "2026-Q1",
                                               "deadline": "2026-04-10", "recipients": [_unit(city)]}}]).results[0]
    assert result.status == "rejected" and "下级" in result.message


def test_server_overview_for_the_issuing_office(world, server):  # noqa: F811
    city, towns, _laptop2 = world
    hy, ls, mt = towns["yanglan"], towns["wuhuiling"], towns["laiqiuxia"]
    for client, values in ((hy, _town_values(3000, 1500, (1000, 1200, 800))),
                           (ls, _town_values(2000, 990, (700, 700, 600)))):
        rep.submit_form(client.store, _fill(client, "tpl-town-q", values))
        client.engine.sync()
    rep.share_draft(mt.store, _fill(mt, "tpl-town-q", {"POP_TOTAL": "12.5"}))  # a draft with a problem
    mt.engine.sync()
    server.clock.now = datetime(2026, 4, 12, 9, 0, tzinfo=UTC)  # after the deadline
    data = city.transport.request("GET", "/reports/tpl-town-q/overview", params={"period": "2026-Q1"}).json()
    assert (data["asked"], data["submitted"], data["late"], data["with_problems"]) == (3, 2, 1, 1)
    assert data["totals"]["POP_TOTAL"] == "5000" and data["totals"]["villages.V_POP"] == "5000"
    late = next(u for u in data["units"] if u["late"])
    assert late["name"] == "梅塘镇人民政府" and late["state"] == "draft" and late["problems"] >= 1
    [city_gov] = data["children"]  # county level: the city government above the townships
    drill = city.transport.request("GET", "/reports/tpl-town-q/overview",
                                   params={"period": "2026-Q1", "unit": city_gov["unit_id"]}).json()
    assert sorted(c["name"] for c in drill["children"]) == ["洪阳镇人民政府", "流沙东街道办事处"]
    town = next(c for c in drill["children"] if c["name"] == "洪阳镇人民政府")
    villages = city.transport.request("GET", "/reports/tpl-town-q/overview",
                                      params={"period": "2026-Q1", "unit": town["unit_id"]}).json()["children"]
    assert {c["name"]: c["figures"]["V_POP"] for c in villages if c.get("table")} == {"东村": "1000", "西村": "1200", "南村": "800"}
    # a township cannot read the office's overview
    with pytest.raises(SyncError) as caught:
        hy.transport.request("GET", "/reports/tpl-town-q/overview")
    assert caught.value.kind == "forbidden"


def test_data_items_are_defined_once_versioned_and_owned_by_their_office(world):
    city, towns, _laptop2 = world
    hy = towns["yanglan"]
    item = TOWN_Q.item("GRAIN_AREA")  # defined by the city in the fixture
    rd.save_item(city.store, item, unit_id=_unit(city))  # the same definition: no new version
    city.engine.sync()
    assert city.store.records.get("data_items", "GRAIN_AREA")["version"] == 1
    rd.save_item(city.store, item.model_copy(update={"unit": "公顷", "places": 2}), unit_id=_unit(city))
    assert city.engine.sync().rejected == 0
    stored = city.store.records.get("data_items", "GRAIN_AREA")
    assert stored["version"] == 2 and stored["unit"] == "公顷" and stored["versions"][0]["unit"] == "亩"
    hy.engine.sync()  # everyone reads the dictionary; only the defining office changes it
    seen = hy.store.records.get("data_items", "GRAIN_AREA")
    assert seen["version"] == 2
    result = hy.transport.push([{"op_id": "di", "kind": "upsert", "entity": "data_items", "entity_id": "GRAIN_AREA",
                                 "base_rev": seen["rev"], "payload": {**item.model_dump(mode="json"), "unit": "亩"}}]).results[0]
    assert result.status == "rejected" and "定义该数据项的单位" in result.message
    bad = city.transport.push([{"op_id": "di2", "kind": "upsert", "entity": "data_items", "entity_id": "bad",
                                "payload": {"code": "bad code", "name": "坏", "type": "integer"}}]).results[0]
    assert bad.status == "rejected" and "数据项有误" in bad.message
