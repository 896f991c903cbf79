"""Single-table reports: data items, templates, checks, pre-fill with sources, merge, aggregation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oa_client.domain.reports import (
    DataDictionary,
    DataItem,
    ReportIssue,
    ReportTemplate,
    period_key,
    previous_period,
)
from oa_client.domain.reports_check import compute_submission, validate_submission
from oa_client.domain.reports_fill import PrefillSource, aggregate, migrate_draft, prefill, rollup
from oa_client.domain.reports_merge import ABSENT, diff, merge
from oa_client.domain.reports_submission import (
    SAMPLE_TEMPLATES,
    CellComment,
    Submission,
    accept,
    load_report_templates,
    return_for_changes,
    submit,
)
from oa_client.errors import ValidationError

ITEMS = [
    {"code": "POP_TOTAL", "name": "户籍人口", "en": "Registered population", "type": "integer", "unit": "人", "min": 0,
     "required": True, "period": "quarterly", "owner": "公安局", "carry_forward": True},
    {"code": "POP_MALE", "name": "男性人口", "type": "integer", "unit": "人", "min": 0, "period": "quarterly", "owner": "公安局"},
    {"code": "POP_FEMALE", "name": "女性人口", "type": "integer", "unit": "人", "min": 0, "period": "quarterly", "owner": "公安局"},
    {"code": "INSURED", "name": "城乡居民医保参保人数", "type": "integer", "unit": "人", "min": 0, "period": "quarterly", "owner": "医保局"},
    {"code": "INCOME_CUM", "name": "农村居民累计人均可支配收入", "type": "decimal", "unit": "元", "places": 2, "min": 0,
     "period": "quarterly", "owner": "统计局", "cumulative": True},
    {"code": "GRAIN_AREA", "name": "粮食播种面积", "type": "decimal", "unit": "亩", "places": 1, "period": "quarterly", "owner": "农业农村局"},
    {"code": "FLOOD", "name": "本季是否发生洪涝灾害", "type": "yes_no", "period": "quarterly", "owner": "应急管理局"},
    {"code": "LEVEL", "name": "防汛应急响应等级", "type": "choice", "options": ["无", "Ⅳ级", "Ⅲ级", "Ⅱ级", "Ⅰ级"], "period": "quarterly", "owner": "应急管理局"},
    {"code": "FILLER", "name": "填报人", "type": "text", "required": True, "period": "quarterly", "owner": "统计局"},
    {"code": "PHONE", "name": "联系电话", "type": "text", "pattern": r"1\d{10}", "period": "quarterly", "owner": "统计局"},
    {"code": "LOW_INCOME_TOTAL", "name": "低保户合计", "type": "integer", "unit": "户", "period": "quarterly", "owner": "民政局"},
    {"code": "V_HOUSEHOLDS", "name": "户数", "type": "integer", "unit": "户", "min": 0, "required": True, "period": "quarterly",
     "owner": "公安局", "carry_forward": True},
    {"code": "V_POP", "name": "人口", "type": "integer", "unit": "人", "min": 0, "period": "quarterly", "owner": "公安局"},
    {"code": "V_LOW_INCOME", "name": "低保户数", "type": "integer", "unit": "户", "min": 0, "period": "quarterly", "owner": "民政局"},
    {"code": "V_AVG", "name": "户均人口", "type": "decimal", "places": 2, "period": "quarterly", "owner": "统计局"},
    {"code": "V_ROAD_KM", "name": "累计硬化道路里程", "type": "decimal", "unit": "公里", "places": 1, "period": "quarterly",
     "owner": "交通运输局", "cumulative": True},
]

TEMPLATE = {
    "code": "TOWN_Q", "name": "乡镇基本情况季报", "en": "Township quarterly", "issuer": "county-stats", "period": "quarterly",
    "data_items": ITEMS,
    "sections": [
        {"key": "pop", "title": "一、人口", "items": [{"code": "POP_TOTAL"}, {"code": "POP_MALE"}, {"code": "POP_FEMALE"}, {"code": "INSURED"}]},
        {"key": "econ", "title": "二、经济与灾情", "items": [{"code": "INCOME_CUM"}, {"code": "GRAIN_AREA"}, {"code": "FLOOD"}, {"code": "LEVEL"}, {"code": "LOW_INCOME_TOTAL"}]},
        {"key": "sign", "title": "三、填报信息", "items": [{"code": "FILLER"}, {"code": "PHONE"}]},
    ],
    "tables": [{"key": "villages", "title": "分村情况", "row_label": "村",
                "rows": [{"key": "v-east", "label": "东村"}, {"key": "v-west", "label": "西村"}],
                "columns": [{"code": "V_HOUSEHOLDS"}, {"code": "V_POP"}, {"code": "V_LOW_INCOME"}, {"code": "V_AVG"}, {"code": "V_ROAD_KM"}]}],
    "rules": [
        {"kind": "sum_equals", "parts": ["POP_MALE", "POP_FEMALE"], "total": "POP_TOTAL"},
        {"kind": "sum_equals", "parts": ["villages.V_POP"], "total": "POP_TOTAL", "message": "各村人口之和应等于全乡镇户籍人口"},
        {"kind": "ratio_between", "numerator": "INSURED", "denominator": "POP_TOTAL", "min": "0.9", "max": "1"},
        {"kind": "compare", "table": "villages", "left": "V_LOW_INCOME", "op": "le", "right": "V_HOUSEHOLDS"},
    ],
    "computed": [
        {"target": "V_AVG", "op": "ratio", "args": ["V_POP", "V_HOUSEHOLDS"], "table": "villages"},
        {"target": "LOW_INCOME_TOTAL", "op": "sum", "args": ["villages.V_LOW_INCOME"]},
    ],
}


@pytest.fixture(scope="module")
def template() -> ReportTemplate:
    return ReportTemplate.model_validate(TEMPLATE)


def good() -> dict[str, Any]:
    return {
        "POP_TOTAL": 3000, "POP_MALE": 1520, "POP_FEMALE": 1480, "INSURED": 2910, "INCOME_CUM": "12800.50",
        "GRAIN_AREA": "5230.5", "FLOOD": False, "LEVEL": "无", "FILLER": "王会计", "PHONE": "13912345678",
        "villages": {
            "v-east": {"V_HOUSEHOLDS": 500, "V_POP": 1700, "V_LOW_INCOME": 12, "V_ROAD_KM": "21.5"},
            "v-west": {"V_HOUSEHOLDS": "400", "V_POP": "1300", "V_LOW_INCOME": "8", "V_ROAD_KM": "18"},
        },
    }


def where(problems: list[Any]) -> dict[tuple[str, str | None, str | None], str]:
    return {(p.field, p.row, p.column): p.message for p in problems}


def test_a_good_submission_passes_and_figures_are_computed(template: ReportTemplate) -> None:
    assert validate_submission(template, good()) == []
    full = compute_submission(template, good())
    assert full["villages"]["v-east"]["V_AVG"] == Decimal("3.40")
    assert full["LOW_INCOME_TOTAL"] == 20


def test_cells_break_each_check(template: ReportTemplate) -> None:
    values = good() | {"POP_MALE": "一千", "GRAIN_AREA": "12.34", "FLOOD": "可能", "LEVEL": "Ⅴ级", "PHONE": "12", "FILLER": ""}
    values["villages"] = {"v-east": {"V_HOUSEHOLDS": "-1", "V_POP": "1700"}, "v-west": {"V_POP": "1300"}, "v-north": {}}
    found = where(validate_submission(template, values))
    assert found[("POP_MALE", None, None)] == "男性人口应填整数"
    assert found[("GRAIN_AREA", None, None)] == "粮食播种面积最多保留1位小数"
    assert found[("FLOOD", None, None)] == "本季是否发生洪涝灾害应选择“是”或“否”"
    assert found[("LEVEL", None, None)].startswith("防汛应急响应等级只能从“无、Ⅳ级")
    assert found[("PHONE", None, None)] == "联系电话的格式不正确"
    assert found[("FILLER", None, None)] == "请填写填报人"
    assert found[("villages", "v-east", "V_HOUSEHOLDS")] == "东村：户数不能小于0户"
    assert found[("villages", "v-west", "V_HOUSEHOLDS")] == "西村：请填写户数"
    assert found[("villages", "v-north", None)] == "“v-north”不在分村情况的名单中"


def test_cross_field_rules_in_words_a_clerk_reads(template: ReportTemplate) -> None:
    values = good() | {"POP_MALE": 1500, "INSURED": 2000}
    values["villages"]["v-west"]["V_LOW_INCOME"] = 401
    found = where(validate_submission(template, values))
    assert found[("POP_TOTAL", None, None)] == "男性人口、女性人口之和为2980，与户籍人口（3000）不相等"
    assert found[("INSURED", None, None)] == "城乡居民医保参保人数与户籍人口之比为0.6667，应在0.9至1之间"
    assert found[("villages", "v-west", "V_LOW_INCOME")] == "西村：低保户数应不大于户数"
    values = good()
    values["villages"]["v-east"]["V_POP"] = 1600
    assert "各村人口之和应等于全乡镇户籍人口" in where(validate_submission(template, values)).values()
    # as you type in a village cell, only what concerns that column
    only = validate_submission(template, values | {"POP_MALE": 1}, field="V_POP")
    assert [p.message for p in only] == ["各村人口之和应等于全乡镇户籍人口"]


def test_cumulative_figures_never_fall_within_the_year(template: ReportTemplate) -> None:
    last = good() | {"INCOME_CUM": "13000"}
    last["villages"]["v-west"]["V_ROAD_KM"] = "19.5"
    found = where(validate_submission(template, good(), previous=last))
    assert found[("INCOME_CUM", None, None)] == "农村居民累计人均可支配收入是累计数，本期12800.50不应小于上期13000"
    assert found[("villages", "v-west", "V_ROAD_KM")] == "西村：累计硬化道路里程是累计数，本期18不应小于上期19.5"
    explicit = ReportTemplate.model_validate(TEMPLATE | {"rules": [{"kind": "not_decrease", "fields": ["GRAIN_AREA"], "message": "播种面积不应减少"}]})
    assert "播种面积不应减少" in where(validate_submission(explicit, good(), previous=good() | {"GRAIN_AREA": "6000"})).values()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sections": [{"key": "s", "title": "s", "items": [{"code": "NOPE"}]}]}, "未定义的数据项“NOPE”"),
        ({"rules": [{"kind": "sum_equals", "parts": ["POP_MALE"], "total": "GHOST"}]}, "不存在的“GHOST”"),
        ({"rules": [{"kind": "sum_equals", "parts": ["FILLER"], "total": "POP_TOTAL"}]}, "“FILLER”不是数字"),
        ({"rules": [{"kind": "compare", "table": "farms", "left": "V_POP", "value": 1}]}, "不存在的表格“farms”"),
        ({"rules": [{"kind": "ratio_between", "numerator": "INSURED", "denominator": "POP_TOTAL"}]}, "缺少必要的参数"),
        ({"computed": [{"target": "V_AVG", "op": "ratio", "args": ["V_POP", "V_HOUSEHOLDS"]}]}, "不存在的“V_AVG”"),
        ({"data_items": ITEMS + ITEMS[:1]}, "重复的数据项"),
    ],
)
def test_bad_templates_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        ReportTemplate.model_validate(TEMPLATE | change)


def test_data_items_are_versioned() -> None:
    item = DataItem.model_validate(ITEMS[0])
    assert item.revise(name="户籍人口") is item
    wider = item.revise(unit="万人", places=2)
    assert wider.version == 2 and wider.unit == "万人"
    book = DataDictionary([item])
    assert book.add(DataItem.model_validate(ITEMS[0])) is book.latest("POP_TOTAL")
    added = book.add(DataItem.model_validate(ITEMS[0] | {"max": 100000}))
    assert added.version == 2 and book.get("POP_TOTAL", 1) == item and book.latest("POP_TOTAL") == added
    with pytest.raises(pydantic.ValidationError, match="累计数据项"):
        DataItem.model_validate({"code": "X", "name": "x", "type": "text", "cumulative": True})
    with pytest.raises(pydantic.ValidationError, match="数据项编码"):
        DataItem.model_validate({"code": "x-1", "name": "x", "type": "text"})


def test_prefill_marks_every_value_with_its_source(template: ReportTemplate) -> None:
    last_quarter = PrefillSource("previous_period", "本表2026年第2季度", "2026-Q2", good(), report="TOWN_Q")
    other = PrefillSource("other_report", "《医保参保情况月报》", "2026-Q3", {"INSURED": 2950, "POP_MALE": 1530,
                          "by_village": {"v-east": {"V_LOW_INCOME": 13}}}, report="MED_M")
    typed = {"POP_MALE": 1525}
    result = prefill(template, sources=[last_quarter, other], values=typed)
    values = result.values
    assert values["POP_MALE"] == 1525  # typed values are never overwritten
    assert values["INSURED"] == 2950 and result.mark("INSURED").source == "《医保参保情况月报》"
    assert values["POP_TOTAL"] == 3000 and result.mark("POP_TOTAL").kind == "previous_period"  # carries forward
    assert "INCOME_CUM" not in values  # a quarterly flow figure is not copied from last quarter
    assert values["villages"]["v-east"] == {"V_HOUSEHOLDS": 500, "V_LOW_INCOME": 13}
    assert result.mark("villages", "v-east", "V_LOW_INCOME").report == "MED_M"
    assert result.mark("villages", "v-west", "V_HOUSEHOLDS").period == "2026-Q2"
    assert result.count == 5
    stale = PrefillSource("other_report", "旧口径", "2026-Q3", {"FILLER": "x", "PHONE": "13900000000"}, versions={"PHONE": 7})
    assert prefill(template, sources=[stale]).values == {"FILLER": "x"}


def test_a_draft_migrates_to_a_revised_template(template: ReportTemplate) -> None:
    revised = TEMPLATE | {
        "version": 2,
        "data_items": [*ITEMS[:5], {**ITEMS[5], "version": 2, "type": "integer"}, *ITEMS[6:]],
        "sections": [{"key": "all", "title": "全部", "items": [{"code": "POP_TOTAL"}, {"code": "GRAIN_AREA"}, {"code": "FILLER"}]}],
        "tables": [{**TEMPLATE["tables"][0], "columns": [{"code": "V_HOUSEHOLDS"}, {"code": "V_POP"}]}],
        "rules": [], "computed": [],
    }
    kept, dropped = migrate_draft(template, ReportTemplate.model_validate(revised), good())
    assert kept["POP_TOTAL"] == 3000 and "GRAIN_AREA" not in kept  # 5230.5 is no longer a whole number
    assert kept["villages"]["v-east"] == {"V_HOUSEHOLDS": 500, "V_POP": 1700}
    fields = {(p.field, p.row, p.column) for p in dropped}
    assert ("GRAIN_AREA", None, None) in fields and ("INSURED", None, None) in fields
    assert ("villages", "v-west", "V_ROAD_KM") in fields
    assert any("东村：新版报表不再包含“低保户数”" in p.message for p in dropped)


def test_aggregate_and_drill_down(template: ReportTemplate) -> None:
    second = good() | {"POP_TOTAL": 2000, "FLOOD": True}
    result = aggregate(template, {"town-a": good(), "town-b": second, "town-c": {"POP_TOTAL": "x"}})
    assert result.totals["POP_TOTAL"] == 5000
    assert result.totals["villages.V_POP"] == 6000 and result.totals["LOW_INCOME_TOTAL"] == 40
    assert result.breakdown("POP_TOTAL") == {"town-a": 3000, "town-b": 2000}
    assert result.rows["villages"]["v-east"]["V_HOUSEHOLDS"] == 1000
    assert result.counts["FLOOD"] == {"否": 1, "是": 1}
    tree = rollup(result.by_unit, parent_of={"town-a": "county", "town-b": "county", "county": "city"})
    assert tree["city"]["POP_TOTAL"] == tree["county"]["POP_TOTAL"] == 5000 and tree["town-b"]["POP_TOTAL"] == 2000


def test_periods_and_deadlines() -> None:
    day = dt.date(2026, 1, 15)
    assert [period_key(k, day) for k in ("monthly", "quarterly", "yearly", "one_off")] == ["2026-01", "2026-Q1", "2026", "once"]
    assert previous_period("monthly", "2026-01") == "2025-12" and previous_period("quarterly", "2026-Q3") == "2026-Q2"
    assert previous_period("quarterly", "2026-Q1") == "2025-Q4" and previous_period("one_off", "once") is None
    issue = ReportIssue(template="TOWN_Q", issuer="city", recipients=["t1"], period="2026-Q3", deadline=dt.date(2026, 10, 10))
    assert issue.is_late(dt.date(2026, 10, 11)) and not issue.is_late(dt.date(2026, 10, 10))


# --- field-by-field three-way merge ---------------------------------------------------------

def test_two_clerks_merge_cell_by_cell() -> None:
    base = good()
    mine, theirs = good(), good()
    mine["POP_MALE"] = 1521
    mine["villages"]["v-east"]["V_POP"] = 1701
    theirs["FILLER"] = "李统计"
    theirs["villages"]["v-east"]["V_HOUSEHOLDS"] = 501
    theirs["villages"]["v-east"]["V_POP"] = 1699
    merged, conflicts = merge(base, mine, theirs)
    assert merged["POP_MALE"] == 1521 and merged["FILLER"] == "李统计"
    assert merged["villages"]["v-east"]["V_HOUSEHOLDS"] == 501
    [c] = conflicts
    assert (c.field, c.row, c.column, c.base, c.mine, c.theirs) == ("villages", "v-east", "V_POP", 1700, 1701, 1699)


def test_a_deleted_row_never_eats_edits() -> None:
    base = {"hh": {"r1": {"A": 1, "B": 2}}}
    mine = {"hh": {"r1": {"A": 5, "B": 2}}}
    theirs: dict[str, Any] = {"hh": {}}
    merged, conflicts = merge(base, mine, theirs)
    assert merged == mine and [(c.column, c.theirs) for c in conflicts] == [("A", ABSENT)]
    assert conflicts[0].row_deleted
    merged, conflicts = merge(base, theirs, mine)
    assert merged == theirs and [(c.column, c.theirs) for c in conflicts] == [("A", 5)]


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["甲", "乙", ""]),
    st.decimals(min_value=-10, max_value=10, places=1, allow_nan=False, allow_infinity=False),
)
fields = st.dictionaries(st.sampled_from(["F1", "F2", "F3"]), scalars, max_size=3)
rows = st.dictionaries(st.sampled_from(["r1", "r2", "r3"]), st.dictionaries(st.sampled_from(["A", "B"]), scalars, max_size=2), max_size=3)
submissions = st.builds(lambda f, t: {**f, **({"t": t[0]} if t else {})}, fields, st.lists(rows, max_size=1))


def flat(values: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            for row, cells in value.items():
                out.update({(key, row, col): v for col, v in cells.items()})
        else:
            out[(key,)] = value
    return out


@settings(max_examples=300, deadline=None)
@given(base=submissions, x=submissions)
def test_merge_with_an_unchanged_side_takes_the_other(base: dict[str, Any], x: dict[str, Any]) -> None:
    assert merge(base, x, base) == (x, [])
    assert merge(base, base, x) == (x, [])
    assert merge(base, x, x) == (x, [])


def same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (1 and 1.0 are the same figure; True is not 1)."""
    kinds = (bool, str)
    return a == b and all(isinstance(a, k) == isinstance(b, k) for k in kinds)


@settings(max_examples=300, deadline=None)
@given(base=submissions, mine=submissions, theirs=submissions)
def test_merge_never_loses_a_value(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    merged, conflicts = merge(base, mine, theirs)
    got, b = flat(merged), flat(base)
    held = {((c.field, c.row, c.column) if c.row else (c.field,)): c for c in conflicts}
    for side, values in (("mine", flat(mine)), ("theirs", flat(theirs))):
        for path, value in values.items():
            if path not in b or not same(b[path], value):
                assert same(got.get(path, ABSENT), value) or same(getattr(held.get(path), side, ABSENT), value), (side, path)
    for path, conflict in held.items():
        assert not same(conflict.mine, conflict.theirs)
        assert same(got.get(path, ABSENT), conflict.mine) or conflict.mine is ABSENT


@settings(max_examples=200, deadline=None)
@given(base=submissions, a=scalars, b=scalars)
def test_the_same_field_changed_both_ways_is_a_conflict_holding_both(base: dict[str, Any], a: Any, b: Any) -> None:
    old = base.get("F1", ABSENT)
    if same(a, b) or same(a, old) or same(b, old):
        return
    merged, conflicts = merge(base, base | {"F1": a}, base | {"F1": b})
    [c] = conflicts
    assert (c.field, c.base, c.mine, c.theirs) == ("F1", old, a, b)
    assert merged["F1"] == a


# --- submissions, the shipped templates ------------------------------------------------------

def test_submit_return_resubmit_accept(template: ReportTemplate) -> None:
    issue = ReportIssue(template="TOWN_Q", issuer="county", recipients=["town-a"], period="2026-Q3", deadline=dt.date(2026, 10, 10))
    draft = Submission(template="TOWN_Q", unit="town-a", period="2026-Q3", values=good() | {"POP_MALE": 1}, status="draft")
    with pytest.raises(ValidationError) as caught:
        submit(draft, template=template, issue=issue, on=dt.date(2026, 10, 9))
    assert caught.value.problems and "修改后才能上报" in str(caught.value)
    fixed = draft.model_copy(update={"values": good()})
    sent = submit(fixed, template=template, issue=issue, on=dt.date(2026, 10, 12))
    assert sent.status == "submitted" and sent.late
    with pytest.raises(ValidationError, match="不能重复上报"):
        submit(sent, template=template, issue=issue, on=dt.date(2026, 10, 12))
    strict = template.model_copy(update={"late_policy": "refuse"})
    with pytest.raises(ValidationError, match="已过截止日期（2026-10-10）"):
        submit(fixed, template=strict, issue=issue, on=dt.date(2026, 10, 11))
    with pytest.raises(ValidationError, match="至少写明一处"):
        return_for_changes(sent, comments=[])
    back = return_for_changes(sent, comments=[CellComment(field="villages", row="v-east", column="V_POP", text="东村人口与公安数据不符")])
    assert back.status == "returned" and back.comments[0].row == "v-east"
    corrected = good()
    corrected["villages"]["v-east"]["V_POP"] = 1650
    corrected["villages"]["v-west"]["V_POP"] = 1350
    again = submit(back.model_copy(update={"values": corrected}), template=template, issue=issue, on=dt.date(2026, 10, 13))
    assert [(c.row, c.column, c.before, c.after) for c in diff(sent.values, again.values)] == [
        ("v-east", "V_POP", 1700, 1650), ("v-west", "V_POP", "1300", 1350)]
    assert accept(again).status == "accepted"
    with pytest.raises(ValidationError):
        accept(back)


def test_shipped_templates_reuse_data_items() -> None:
    town, med = load_report_templates(SAMPLE_TEMPLATES)
    assert (town.code, med.code) == ("TOWN_Q", "MED_M")
    shared = {i.code for i in town.data_items} & {i.code for i in med.data_items}
    assert {"POP_TOTAL", "INSURED", "V_POP"} <= shared
    assert all(i.en for i in town.data_items + med.data_items)
    med_values = {"POP_TOTAL": 3100, "INSURED": 3000, "FILLER": "赵专干", "PHONE": "13700000000",
                  "by_village": {"v-east": {"V_POP": 1700, "V_LOW_INCOME": 12}, "v-west": {"V_POP": 900}, "v-south": {"V_POP": 500}}}
    assert validate_submission(med, med_values) == []
    filled = prefill(town, sources=[PrefillSource("other_report", "《城乡居民医保参保情况月报》9月", "2026-09", med_values, report="MED_M")])
    assert filled.values["INSURED"] == 3000 and filled.values["villages"]["v-south"] == {"V_POP": 500}
    assert filled.count == 8


def test_a_broken_template_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="templates 列表"):
        load_report_templates("{}")
    with pytest.raises(ValidationError, match="无法读取"):
        load_report_templates("{not json")
    with pytest.raises(ValidationError, match="报表“BAD”") as caught:
        load_report_templates(json.dumps({"templates": [TEMPLATE | {"code": "BAD", "rules": [{"kind": "sum_equals", "parts": ["X"], "total": "Y"}]}]}))
    assert "不存在的“X”" in str(caught.value)


def test_open_tables_carry_their_rows_forward() -> None:
    households = ReportTemplate.model_validate({
        "code": "HH", "name": "脱贫户收入监测表", "period": "monthly",
        "data_items": [{"code": "HEAD", "name": "户主姓名", "type": "text", "carry_forward": True},
                       {"code": "INCOME", "name": "当月收入", "type": "decimal", "unit": "元", "places": 2}],
        "tables": [{"key": "hh", "title": "监测户", "row_label": "户", "columns": [{"code": "HEAD"}, {"code": "INCOME"}]}],
    })
    last = PrefillSource("previous_period", "上月本表", "2026-10", {"hh": {"h1": {"HEAD": "张三", "INCOME": "900"}, "h2": {"HEAD": "李四"}}})
    result = prefill(households, sources=[last])
    assert result.values == {"hh": {"h1": {"HEAD": "张三"}, "h2": {"HEAD": "李四"}}} and result.count == 2
    assert prefill(households, sources=[]).values == {}


def test_a_figure_past_a_thousand_trillion_is_refused_and_one_kept_before_still_shows() -> None:
    """A figure of 10¹⁵ or more is a typing slip: refused with the clerk's message (submitting
    one was a 500: decimal rounding runs out of its 28 digits). One a draft kept before the
    bound is rounded and shown as it is instead of raising."""
    from decimal import Decimal

    from oa_client.domain.forms_values import BadValue
    from oa_client.domain.reports import DataItem
    from oa_client.domain.reports_check import _show, coerce_item, fit_to_item

    people = DataItem(code="POP", name="常住人口", type="integer", unit="人")
    rate = DataItem(code="RATE", name="参保率", type="decimal", places=2)
    for item, raw in ((people, "1e30"), (people, 10**20), (rate, "99999999999999999999.5"),
                      (rate, -1e308)):
        with pytest.raises(BadValue) as err:
            coerce_item(item, raw, label=item.name)
        assert str(err.value) == f"{item.name}数值过大，请核对", raw
    assert coerce_item(people, "999999999999999", label="常住人口") == 999_999_999_999_999
    opened = DataItem(code="OPEN", name="开业日期", type="date")
    for raw, message in (("1800-01-01", "开业日期的年份应在 1900–2199 年之间"),
                         ("去年", "开业日期应为日期，如 2026-03-01")):
        with pytest.raises(BadValue) as refused:
            coerce_item(opened, raw, label=opened.name)
        assert str(refused.value) == message
    huge = Decimal("1e30")
    assert fit_to_item(rate, huge) == huge and _show(huge, "人") == "1E+30人"
