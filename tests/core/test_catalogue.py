"""The starter catalogue (事项清单): every item takes a realistic form, refuses bad input, routes by its conditions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from oa_client.domain.catalogue import (
    CATEGORIES,
    ROLE_IDS,
    ROLES,
    STARTER_CATALOGUE,
    Catalogue,
    ServiceItem,
    may_apply,
    planned_stages,
    route_changes,
)
from oa_client.domain.catalogue_io import export_catalogue, load_catalogue
from oa_client.domain.forms import prefill_form, validate
from oa_client.errors import ValidationError

TODAY = dt.date(2026, 11, 20)  # a Friday
PDF = {"sha256": "ab" * 32, "name": "扫描件.pdf"}
KNOWN = {"name": "张三", "department": "dept-office", "position": "科员", "phone": "13800138000",
         "annual_leave_balance": 10, "rank": "一级科员", "hire_date": "2015-07-01"}

FILLED: dict[str, dict[str, Any]] = {
    "LEAVE": {"leave_type": "年休假", "start_date": "2026-11-23", "end_date": "2026-11-24", "reason": "回老家处理家事",
              "handover": {"id": "u-li", "name": "李四"}, "leaves_city": True, "destination": "湖南长沙"},
    "TRIP": {"destination": "省财政厅", "out_of_province": False, "purpose": "参加全省预算管理培训班",
             "start_date": "2026-11-25", "end_date": "2026-11-26", "transport": ["火车（高铁、动车）"],
             "budget": "1200.00", "funding": "部门预算"},
    "CAR": {"start_time": "2026-11-23 08:30", "return_time": "2026-11-23 17:00", "origin": "机关大院",
            "destination": "城东镇政府", "out_of_city": False, "passengers": 3, "car_type": "轿车", "purpose": "到城东镇督查秋粮收购"},
    "SEAL": {"seal_type": "单位公章", "doc_kind": "证明材料", "document_title": "关于张三同志工作经历的证明",
             "copies": 2, "summary": "证明张三同志2015年起在我单位工作", "files": [PDF]},
    "ROOM": {"title": "第四季度安全生产工作会", "room": "第一会议室（40人）", "start_time": "2026-11-24 09:00",
             "end_time": "2026-11-24 11:30", "attendees": 30, "leaders_attend": True, "external": False, "needs": ["投影", "桌签"]},
    "SUPPLY": {"item_name": "A4复印纸（70克）", "quantity": 5, "measure": "箱", "unit_price": "120.00", "purpose": "日常办公打印"},
    "CERT": {"id_number": "43010219900101123X", "cert_type": "在职证明", "purpose": "办理签证", "recipient": "法国驻华使馆", "copies": 1},
    "ABROAD": {"mission": "赴新加坡智慧城市建设考察团", "countries": "新加坡", "country_count": 1, "inviter": "新加坡国立大学李光耀公共政策学院",
               "purpose": "考察新加坡数字政府与智慧城市建设经验", "start_date": "2026-12-07", "end_date": "2026-12-11",
               "passport": "已有因公护照", "funding": "部门预算", "invitation": [PDF]},
    "TRAVEL_EXPENSE": {"trip_ref": "出差〔2026〕88号", "purpose": "参加全省预算管理培训班", "itinerary": "11月25日 本市—省城\n11月26日 省城—本市",
                       "start_date": "2026-11-25", "end_date": "2026-11-26", "transport_fee": "326.00", "lodging_fee": "380.00",
                       "receipts": 4, "attachments": [PDF]},
    "OVERTIME": {"work_date": "2026-11-15", "period": "休息日", "hours": "6.5", "content": "加班起草年度工作总结", "compensation": "安排补休"},
}

# item → (bad values on top of the filled form, the field that must be named)
BAD: dict[str, tuple[dict[str, Any], str]] = {
    "LEAVE": ({"end_date": "2026-11-20"}, "end_date"),
    "TRIP": ({"budget": "-100"}, "budget"),
    "CAR": ({"passengers": 0}, "passengers"),
    "SEAL": ({"doc_kind": "合同协议"}, "counterparty"),
    "ROOM": ({"end_time": "2026-11-24 08:00"}, "end_time"),
    "SUPPLY": ({"quantity": "两箱"}, "quantity"),
    "CERT": ({"id_number": "4301021990"}, "id_number"),
    "ABROAD": ({"end_date": "2026-12-15"}, "days"),
    "TRAVEL_EXPENSE": ({"lodging_fee": "-380"}, "lodging_fee"),
    "OVERTIME": ({"hours": "0.25"}, "hours"),
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(STARTER_CATALOGUE)


def form(item: ServiceItem, **changes: Any) -> dict[str, Any]:
    return prefill_form(item.form, known=KNOWN, values={**FILLED[item.code], **changes})


def fields_with_problems(item: ServiceItem, values: dict[str, Any]) -> set[str]:
    return {p.field for p in validate(item.form, values, today=TODAY)}


def stage_keys(item: ServiceItem, values: dict[str, Any], **kw: Any) -> list[str]:
    return [s.key for s in planned_stages(item, values, **kw)]


def test_the_starter_catalogue_has_the_required_items(catalogue: Catalogue) -> None:
    names = {i.name for i in catalogue.items}
    assert {"请休假", "出差审批", "公务用车", "用印申请", "会议室借用", "办公用品领用", "在职/收入证明开具",
            "因公出国(境)备案", "差旅费报销", "加班登记"} <= names
    assert {i.category for i in catalogue.items} == set(CATEGORIES)
    for item in catalogue.items:
        assert item.en and item.description and item.description_en and item.promise_days > 0
        assert all(f.en and (f.help_en or not f.help) for f in item.form.fields), item.code
        assert all(o.en for f in item.form.fields for o in f.options), item.code
        assert all(s.en and s.role in ROLES and s.role in ROLE_IDS for s in item.flow.all_steps())
    assert catalogue.item("CERT").output is not None and catalogue.item("CERT").output.sealed
    assert [i.code for i in catalogue.search("证明")] == ["CERT"]
    assert [i.code for i in catalogue.by_category()["财务"]] == ["TRAVEL_EXPENSE"]


@pytest.mark.parametrize("code", sorted(FILLED))
def test_every_item_accepts_a_realistic_form(catalogue: Catalogue, code: str) -> None:
    item = catalogue.item(code)
    assert validate(item.form, form(item), today=TODAY) == []
    assert stage_keys(item, form(item))


@pytest.mark.parametrize("code", sorted(BAD))
def test_every_item_refuses_bad_input_on_the_right_field(catalogue: Catalogue, code: str) -> None:
    item = catalogue.item(code)
    changes, field = BAD[code]
    assert field in fields_with_problems(item, form(item, **changes))


@pytest.mark.parametrize("code", sorted(FILLED))
def test_every_item_names_its_missing_required_fields(catalogue: Catalogue, code: str) -> None:
    item = catalogue.item(code)
    required = {f.key for f in item.form.fields if f.required and f.compute is None and f.show_when is None}
    assert required and required <= fields_with_problems(item, {})


def test_leave_days_are_working_days_and_add_steps(catalogue: Catalogue) -> None:
    item = catalogue.item("LEAVE")
    two = form(item)
    assert stage_keys(item, two) == ["head", "hr"]
    week = form(item, start_date="2026-11-20", end_date="2026-11-26", leave_type="事假")  # Fri..Thu = 5 working days
    assert stage_keys(item, week) == ["head", "leader", "hr"]
    assert planned_stages(item, week)[1].steps[0].role == "分管领导"
    long = form(item, start_date="2026-11-02", end_date="2026-11-30", leave_type="病假", sick_proof=[PDF])
    assert stage_keys(item, long) == ["head", "leader", "chief", "hr"]
    # an injected holiday calendar decides the count, and so the route
    assert stage_keys(item, week, workdays_between=lambda a, b: 3) == ["head", "hr"]


def test_leave_rules(catalogue: Catalogue) -> None:
    item = catalogue.item("LEAVE")
    too_much = form(item, start_date="2026-11-23", end_date="2026-12-11", annual_leave_balance=5)
    messages = {p.field: p.message for p in validate(item.form, too_much, today=TODAY)}
    assert messages["days"] == "申请的年休假天数超过了剩余年休假天数"
    sick = form(item, leave_type="病假")
    assert "sick_proof" in fields_with_problems(item, sick)
    assert "destination" in fields_with_problems(item, form(item, destination=""))
    assert "destination" not in fields_with_problems(item, form(item, destination="", leaves_city=False))
    assert "phone" in fields_with_problems(item, form(item, phone="12"))


def test_travel_expense_totals_and_amount_steps(catalogue: Catalogue) -> None:
    item = catalogue.item("TRAVEL_EXPENSE")
    from oa_client.domain.forms import compute

    out = compute(item.form, form(item))
    assert (out["days"], out["meal_allowance"], out["misc_allowance"]) == (2, Decimal("200.00"), Decimal("160.00"))
    assert out["total"] == Decimal("1066.00")
    assert stage_keys(item, form(item)) == ["head", "finance"]
    big = form(item, lodging_fee="4700.00")  # total 5386 元
    assert stage_keys(item, big) == ["head", "finance", "leader"]
    huge = form(item, transport_fee="19500.00")
    assert stage_keys(item, huge) == ["head", "finance", "leader", "chief"]
    assert stage_keys(item, form(item, lodging_fee="4314.00")) == ["head", "finance"]  # exactly 5,000 元: no extra step
    added, removed = route_changes(item, form(item), big)  # an amount raised after submission
    assert [s.role for s in added] == ["分管领导"] and removed == []
    assert route_changes(item, huge, form(item)) == ([], [s for s in item.flow.all_steps() if s.key in ("leader", "chief")])


def test_parallel_and_conditional_routes(catalogue: Catalogue) -> None:
    seal = catalogue.item("SEAL")
    stages = planned_stages(seal, form(seal, doc_kind="合同协议", counterparty="某某科技有限公司", seal_type="人事专用章"))
    assert [s.key for s in stages] == ["head", "contract_review", "leader", "stamp"]
    assert stages[1].mode == "all" and [s.role for s in stages[1].steps] == ["财务科", "办公室"]
    assert stage_keys(seal, form(seal, seal_type="人事专用章")) == ["head", "stamp"]
    car = catalogue.item("CAR")
    assert stage_keys(car, form(car)) == ["head", "dispatch"]
    assert stage_keys(car, form(car, out_of_city=True)) == ["head", "leader", "dispatch"]
    trip = catalogue.item("TRIP")
    assert stage_keys(trip, form(trip, out_of_province=True)) == ["head", "leader", "office"]
    assert "transport_note" in fields_with_problems(trip, form(trip, transport=["飞机"]))
    cert = catalogue.item("CERT")
    assert stage_keys(cert, form(cert, cert_type="收入证明")) == ["hr", "finance"]
    supply = catalogue.item("SUPPLY")
    assert stage_keys(supply, form(supply, quantity=20)) == ["head", "leader", "issue"]  # 2,400 元
    room = catalogue.item("ROOM")
    assert stage_keys(room, form(room)) == ["arrange"]


def test_abroad_day_limits_per_country_count(catalogue: Catalogue) -> None:
    item = catalogue.item("ABROAD")
    eight = form(item, end_date="2026-12-14")
    assert "days" in fields_with_problems(item, eight)
    assert "days" not in fields_with_problems(item, {**eight, "country_count": 2, "countries": "新加坡、马来西亚"})


def test_who_may_apply(catalogue: Catalogue) -> None:
    item = catalogue.item("LEAVE")
    assert may_apply(item, roles={"科员"})
    only_hr = item.model_copy(update={"may_apply": ["人事科"]})
    assert not may_apply(only_hr, roles={"科员"}) and may_apply(only_hr, roles={"人事科"})


def test_export_and_import_round_trip(catalogue: Catalogue, tmp_path: Path) -> None:
    text = export_catalogue(catalogue)
    assert load_catalogue(text) == catalogue
    path = tmp_path / "catalogue.json"
    path.write_text(text, encoding="utf-8")
    assert load_catalogue(path) == catalogue
    assert '"value": 5000' in text  # numbers stay numbers


def _starter_text() -> str:
    return STARTER_CATALOGUE.read_text(encoding="utf-8")


def _line(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


def test_broken_catalogue_names_item_and_line() -> None:
    text = _starter_text()
    broken = text.replace('"type": "multiline"', '"type": "essay"', 1)
    with pytest.raises(ValidationError) as caught:
        load_catalogue(broken)
    problem = caught.value.problems[0]
    assert problem.item == "LEAVE" and problem.line == _line(broken, '"essay"')
    assert "“essay”不是可用的取值" in str(caught.value)

    data = json.loads(text)
    data["items"][8]["flow"]["steps"][2]["when"]["field"] = "grand_total"
    broken = json.dumps(data, ensure_ascii=False, indent=2)
    with pytest.raises(ValidationError) as caught:
        load_catalogue(broken)
    problem = caught.value.problems[0]
    assert problem.item == "TRAVEL_EXPENSE" and problem.line == _line(broken, '"grand_total"')
    assert "不存在的字段“grand_total”" in problem.message


def test_broken_catalogue_lists_every_bad_item() -> None:
    data = json.loads(_starter_text())
    data["items"][0]["flow"]["steps"][0]["role"] = "门卫"
    data["items"][1]["form"]["fields"][0]["key"] = "department"  # duplicate of the next field
    del data["items"][2]["promise_days"]
    data["items"][3]["form"]["rules"] = [{"kind": "sum_equals", "fields": ["copies"], "total": "nowhere"}]
    with pytest.raises(ValidationError) as caught:
        load_catalogue(json.dumps(data, ensure_ascii=False))
    items = [p.item for p in caught.value.problems]
    assert items == ["LEAVE", "TRIP", "CAR", "SEAL"]
    assert "事项清单有4处错误" in str(caught.value)
    assert "缺少“promise_days”" in str(caught.value)


def test_broken_catalogue_files() -> None:
    with pytest.raises(ValidationError, match="第3行"):
        load_catalogue('{"items": [\n{"code": "X",\n  "name": }]}')
    with pytest.raises(ValidationError, match="items 列表"):
        load_catalogue("[]")
    item = json.loads(_starter_text())["items"][0]
    with pytest.raises(ValidationError, match="事项编码“LEAVE”重复"):
        load_catalogue(json.dumps({"items": [item, item]}, ensure_ascii=False))
    with pytest.raises(ValidationError, match="无法读取"):
        load_catalogue(Path("/nonexistent/catalogue.json"))


def _engine_route(item: ServiceItem, values: dict[str, Any]) -> list[str]:
    """Steps the workflow engine opens when everyone approves (org: one person per role)."""
    import datetime as _dt

    from oa_client.domain.catalogue_flow import flow_definition, flow_values
    from oa_client.domain.workflow import Event, StaticOrg, Workflow

    roles = ["section_chief", "deputy_leader", "principal_leader", "office_director", "hr_office", "finance_office"]
    table = {(r, "unit", None): [f"u-{r}"] for r in roles}
    table[("section_chief", "unit", "dept")] = ["u-section_chief"]
    flow = Workflow(flow_definition(item), resolver=StaticOrg(table))
    at = _dt.datetime(2026, 11, 20, 2, tzinfo=_dt.UTC)
    plain = flow_values(item, values)
    state = flow.replay([Event(id="e0", action="start", actor_id="me", at=at, values=plain, unit_id="unit",
                               department_id="dept"),
                         Event(id="e1", action="submit", actor_id="me", at=at, step="apply")])
    seen = []
    for n in range(20):
        if state.current is None:
            break
        seen.append(state.current.step)
        for holder in list(state.current.holders):
            state = flow.apply(state, Event(id=f"a{n}{holder}", action="approve", actor_id=holder, at=at,
                                            step=state.current.step, values=plain))
            if state.current is None or state.current.step != seen[-1]:
                break
    assert state.status == "completed"
    return seen


@pytest.mark.parametrize("code", sorted(FILLED))
def test_the_workflow_engine_takes_the_route_the_catalogue_plans(catalogue: Catalogue, code: str):
    item = catalogue.item(code)
    values = form(item)
    planned = [s.key for s in planned_stages(item, values, workdays_between=None)]
    assert _engine_route(item, values) == planned


def test_conditions_add_steps_in_the_engine_too(catalogue: Catalogue):
    expense = catalogue.item("TRAVEL_EXPENSE")
    assert _engine_route(expense, form(expense)) == ["head", "finance"]
    assert _engine_route(expense, form(expense, lodging_fee="5380.00")) == ["head", "finance", "leader"]
    assert _engine_route(expense, form(expense, lodging_fee="25380.00")) == ["head", "finance", "leader", "chief"]
    seal = catalogue.item("SEAL")
    contract = form(seal, doc_kind="合同协议", counterparty="某公司", contract_amount="1000.00")
    assert _engine_route(seal, contract) == ["head", "contract_review", "leader", "stamp"]
