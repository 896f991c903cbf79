"""Form schemas as data: every field type, every rule kind, computed fields, prefill, bad schemas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from oa_client import i18n
from oa_client.domain.forms import (
    FIELD_TYPES,
    FormSchema,
    compute,
    json_values,
    prefill_form,
    typed_values,
    validate,
)

TODAY = dt.date(2026, 11, 20)


def schema(*fields: dict[str, Any], rules: list[dict[str, Any]] | None = None) -> FormSchema:
    return FormSchema.model_validate({"fields": list(fields), "rules": rules or []})


def f(key: str, type_: str, **kw: Any) -> dict[str, Any]:
    return {"key": key, "label": kw.pop("label", key), "type": type_, **kw}


def problems(s: FormSchema, values: dict[str, Any], **kw: Any) -> dict[str, str]:
    return {p.field: p.message for p in validate(s, values, today=TODAY, **kw)}


def test_every_field_type_accepts_a_good_value() -> None:
    s = schema(
        f("t", "text"), f("m", "multiline"), f("i", "integer"), f("d", "decimal", places=1, unit="公里"),
        f("money", "money"), f("day", "date"), f("at", "datetime"), f("span", "date_range"),
        f("c", "choice", options=["甲", "乙"]), f("mc", "multi_choice", options=["甲", "乙"]),
        f("yn", "yes_no"), f("p", "person"), f("u", "unit"), f("a", "attachment"),
    )
    assert {x.type for x in s.fields} == set(FIELD_TYPES)
    good = {
        "t": "张三", "m": "第一行\n第二行", "i": "12", "d": "3.5", "money": "1,234.50", "day": "2026-11-20",
        "at": "2026-11-20 09:30", "span": {"start": "2026-11-20", "end": "2026-11-21"}, "c": "甲",
        "mc": ["甲", "乙"], "yn": "是", "p": {"id": "u1", "name": "李四"}, "u": "unit-1", "a": [{"sha256": "ab" * 32, "name": "a.pdf"}],
    }
    assert validate(s, good, today=TODAY) == []


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (f("i", "integer", label="人数"), "3.5", "人数应为整数"),
        (f("i", "integer", label="人数"), "三", "人数应为整数"),
        (f("i", "integer", label="人数"), "1" + "0" * 20, "人数数值过大，请核对"),
        (f("d", "decimal", label="里程", places=1), "3.25", "里程最多保留1位小数"),
        (f("d", "decimal", label="里程"), "abc", "里程应为数字"),
        (f("m", "money", label="金额"), "-1", "金额不能为负数"),
        (f("m", "money", label="金额"), "1.005", "金额最多保留2位小数"),
        (f("m", "money", label="金额", max=5000, unit="元"), "5000.01", "金额不能大于5000元"),
        (f("i", "integer", label="人数", min=1, unit="人"), "0", "人数不能小于1人"),
        (f("day", "date", label="日期"), "2026-02-30", "日期应为日期，如 2026-03-01"),
        (f("at", "datetime", label="时间"), "明天上午", "时间应为日期和时间，如 2026-03-01 09:00"),
        (f("r", "date_range", label="期间"), ["2026-11-20", "2026-11-19"], "期间的结束日期不能早于开始日期"),
        (f("r", "date_range", label="期间"), {"start": "2026-11-20"}, "请填写期间的开始和结束日期"),
        (f("c", "choice", label="假别", options=["事假"]), "旷工", "请从列表中选择假别"),
        (f("c", "multi_choice", label="需求", options=["投影"]), ["投影", "跳舞"], "需求中的“跳舞”不在可选范围内"),
        (f("y", "yes_no", label="是否出市"), "也许", "是否出市应选择“是”或“否”"),
        (f("p", "person", label="交接人"), {"name": "王五"}, "请从通讯录中选择交接人"),
        (f("t", "text", label="事由", min_length=4), "有事", "事由至少要写4个字"),
        (f("t", "text", label="事由", max_length=3), "四个字了", "事由最多3个字，现在有4个字"),
        (f("t", "text", label="电话", pattern=r"^1\d{10}$"), "12345", "电话的格式不正确"),
        (f("t", "text", label="电话", pattern=r"^1\d{10}$", pattern_message="请填11位手机号"), "1", "请填11位手机号"),
        (f("a", "attachment", label="附件", min=2), ["x"], "附件至少需要2个附件"),
        (f("a", "attachment", label="附件"), [{"name": "no hash"}], "附件中有无法识别的附件，请重新上传"),
        (f("t", "text", label="名称"), 12, "名称应为文字"),
        # past the years and figures records take (each was a 500 when sent to the server)
        (f("day", "date", label="开始日期"), "0001-01-01", "开始日期的年份应在 1900–2199 年之间"),
        (f("day", "date", label="结束日期"), "9999-12-31", "结束日期的年份应在 1900–2199 年之间"),
        (f("at", "datetime", label="时间"), "9999-12-31T23:59:59-05:00",
         "时间的年份应在 1900–2199 年之间"),
        (f("r", "date_range", label="请假时间"), {"start": "2026-03-01", "end": "2300-03-02"},
         "请假时间的年份应在 1900–2199 年之间"),
        # not a date at all: the example of one
        (f("day", "date", label="开始日期"), "三月一日", "开始日期应为日期，如 2026-03-01"),
        (f("at", "datetime", label="时间"), "明天上午", "时间应为日期和时间，如 2026-03-01 09:00"),
        (f("m", "money", label="单价"), "1e30", "单价数值过大，请核对"),
        (f("m", "money", label="单价"), 1e308, "单价数值过大，请核对"),
        (f("d", "decimal", label="里程"), "-99999999999999999999", "里程数值过大，请核对"),
    ],
)
def test_each_field_rule_names_its_field(spec: dict[str, Any], value: Any, expected: str) -> None:
    s = schema(spec)
    assert problems(s, {spec["key"]: value}) == {spec["key"]: expected}


def test_required_required_when_and_hidden_fields() -> None:
    s = schema(
        f("kind", "choice", label="假别", options=["事假", "病假"], required=True),
        f("proof", "attachment", label="病假证明", required_when={"field": "kind", "op": "eq", "value": "病假"}),
        f("note", "text", label="说明", required=True, show_when={"field": "kind", "op": "eq", "value": "事假"}),
    )
    assert problems(s, {}) == {"kind": "请选择假别"}
    assert problems(s, {"kind": "病假"}) == {"proof": "请上传病假证明"}
    assert problems(s, {"kind": "事假"}) == {"note": "请填写说明"}
    # typing in `kind` re-checks the field that depends on it
    assert [p.field for p in validate(s, {"kind": "病假"}, field="kind", today=TODAY)] == ["proof"]


def test_date_order_against_another_field_and_today() -> None:
    s = schema(
        f("start", "date", label="开始日期", not_before="today"),
        f("end", "date", label="结束日期", not_before="start"),
        f("done", "date", label="完成日期", not_after="today"),
        f("trip", "date_range", label="行程"),
        f("claim", "date", label="报销日期", not_before="trip"),
    )
    found = problems(s, {"start": "2026-11-19", "end": "2026-11-18", "done": "2026-11-21",
                         "trip": ["2026-11-01", "2026-11-05"], "claim": "2026-11-03"})
    assert found == {
        "start": "开始日期不能早于今天", "end": "结束日期不能早于开始日期",
        "done": "完成日期不能晚于今天", "claim": "报销日期不能早于行程",
    }
    assert problems(s, {"start": "2026-11-20", "end": "2026-11-20"}) == {}


def test_times_given_with_and_without_an_offset_compare_as_beijing_time() -> None:
    """A time sent with an offset (a desk in another zone, or a tampered one) is read as Beijing
    wall-clock time, so it compares with one given without (that was a 500: naive vs aware)."""
    s = schema(f("go", "datetime", label="出车时间"),
               f("back", "datetime", label="返回时间", not_before="go"))
    assert problems(s, {"go": "2026-11-20T01:00:00+00:00", "back": "2026-11-20 08:30"}) == {
        "back": "返回时间不能早于出车时间"}  # 01:00 UTC is 09:00 in Beijing
    assert problems(s, {"go": "2026-11-20 08:30", "back": "2026-11-20T01:00:00+00:00"}) == {}


def test_cross_field_rules() -> None:
    s = schema(
        f("a", "money", label="交通费"), f("b", "money", label="住宿费"), f("total", "money", label="合计"),
        f("days", "integer", label="天数"), f("left", "integer", label="剩余天数"),
        rules=[
            {"kind": "sum_equals", "fields": ["a", "b"], "total": "total"},
            {"kind": "sum_max", "fields": ["a", "b"], "limit": 1000},
            {"kind": "compare", "left": "days", "op": "le", "right": "left", "message": "天数超过剩余天数"},
            {"kind": "compare", "left": "days", "op": "gt", "value": 0},
        ],
    )
    found = problems(s, {"a": "600", "b": "500", "total": "1000", "days": 5, "left": 3})
    assert found["total"] == "交通费、住宿费之和为1100，应等于合计（1000）"
    assert found["b"] == "交通费、住宿费合计1100，不能超过1000"
    assert found["days"] == "天数超过剩余天数"
    assert problems(s, {"days": 0})["days"] == "天数应大于0"
    assert problems(s, {"a": "300", "b": "200", "total": "500", "days": 2, "left": 3}) == {}
    # validation as you type: editing `left` shows the rule that reads it
    assert [p.field for p in validate(s, {"days": 5, "left": 3}, field="left", today=TODAY)] == ["days"]


def test_computed_days_sum_and_rate() -> None:
    s = schema(
        f("start", "date"), f("end", "date"), f("span", "date_range"),
        f("work", "integer", compute={"op": "days_between", "fields": ["start", "end"], "count": "workdays"}),
        f("cal", "integer", compute={"op": "days_between", "fields": ["start", "end"]}),
        f("span_days", "integer", compute={"op": "days_between", "fields": ["span"], "count": "workdays"}),
        f("meal", "money", compute={"op": "times", "fields": ["cal"], "rate": "100"}),
        f("qty", "integer"), f("price", "money"),
        f("amount", "money", compute={"op": "times", "fields": ["price"], "rate_field": "qty"}),
        f("total", "money", compute={"op": "sum", "fields": ["meal", "amount"]}),
    )
    values = {"start": "2026-11-20", "end": "2026-11-24", "span": ["2026-11-21", "2026-11-22"], "qty": 3, "price": "2.335"}
    out = compute(s, values)
    assert (out["work"], out["cal"], out["span_days"]) == (3, 5, 0)  # Fri + Mon + Tue; a weekend
    assert out["meal"] == Decimal("500.00")
    assert "amount" not in out  # 2.335 is not a money value: nothing computed from it
    out = compute(s, {**values, "price": "2.33"})
    assert out["amount"] == Decimal("6.99") and out["total"] == Decimal("506.99")
    # an injected working-day calendar (e.g. with 调休) decides the count
    holidays = compute(s, values, workdays_between=lambda a, b: 1)
    assert holidays["work"] == 1 and holidays["cal"] == 5
    assert "work" not in compute(s, {"start": "2026-11-24", "end": "2026-11-20"})


def test_prefill_from_what_the_system_knows() -> None:
    s = schema(f("name", "text", prefill="name", required=True), f("dept", "unit", prefill="department"),
               f("balance", "integer", prefill="annual_leave_balance"), f("reason", "text"))
    known = {"name": "张三", "department": "dept-1", "annual_leave_balance": 7, "position": "科员"}
    assert prefill_form(s, known=known) == {"name": "张三", "dept": "dept-1", "balance": 7}
    assert prefill_form(s, known=known, values={"name": "代填人"})["name"] == "代填人"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"fields": [f("a", "colour")]}, "type"),
        ({"fields": [f("a", "text"), f("a", "integer")]}, "字段标识“a”重复"),
        ({"fields": [f("Bad Key", "text")]}, "只能由小写字母"),
        ({"fields": [f("c", "choice")]}, "选择类字段“c”需要给出选项"),
        ({"fields": [f("t", "text", pattern="([")]}, "正则表达式"),
        ({"fields": [f("t", "text", prefill="salary")]}, "不认识的预填项“salary”"),
        ({"fields": [f("t", "text", compute={"op": "sum", "fields": []})]}, "只能是整数、小数或金额"),
        ({"fields": [f("n", "integer", compute={"op": "days_between", "fields": ["x", "y"]})]}, "不存在的字段“x”"),
        ({"fields": [f("t", "text"), f("n", "integer", compute={"op": "days_between", "fields": ["t", "t"]})]}, "天数须由两个日期"),
        ({"fields": [f("d", "date", not_before="t"), f("t", "text")]}, "“t”不是日期"),
        ({"fields": [f("a", "money")], "rules": [{"kind": "sum_equals", "fields": ["a"], "total": "zz"}]}, "不存在的字段“zz”"),
        ({"fields": [f("a", "money")], "rules": [{"kind": "sum_max", "fields": ["a"]}]}, "缺少必要的参数"),
        ({"fields": [f("a", "text", required_when={"field": "ghost", "op": "eq", "value": 1})]}, "不存在的字段“ghost”"),
        ({"fields": [f("a", "text", required_when={"field": "a", "op": "in", "value": 1})]}, "需要一个取值列表"),
        ({"fields": [f("a", "text", colour="red")]}, "colour"),
    ],
)
def test_bad_schemas_are_refused_with_a_clear_reason(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        FormSchema.model_validate(bad)


def test_messages_follow_the_language_and_labels_have_english() -> None:
    s = schema(f("n", "integer", label="人数", en="Headcount", required=True))
    try:
        i18n.set_language("en")
        assert problems(s, {}) == {"n": "Please fill in Headcount"}
        assert problems(s, {"n": "x"}) == {"n": "Headcount must be a whole number"}
    finally:
        i18n.set_language("zh_CN")
    assert problems(s, {}) == {"n": "请填写人数"}


def test_default_working_days_follow_the_calendar_convention() -> None:
    from oa_client.domain.forms_values import weekdays_between

    friday = dt.date(2026, 11, 20)
    assert weekdays_between(friday, friday) == 0
    assert weekdays_between(friday - dt.timedelta(days=1), friday) == 1
    assert weekdays_between(friday, friday + dt.timedelta(days=3)) == 1  # Sat, Sun, Mon
    assert weekdays_between(friday, friday + dt.timedelta(days=14)) == 10
    calls = []
    s = schema(f("a", "date"), f("b", "date"), f("n", "integer", compute={"op": "days_between", "fields": ["a", "b"], "count": "workdays"}))
    compute(s, {"a": "2026-11-20", "b": "2026-11-20"}, workdays_between=lambda a, b: calls.append((a, b)) or 1)
    assert set(calls) == {(dt.date(2026, 11, 19), dt.date(2026, 11, 20))}


def test_typed_and_json_values_for_flows_and_storage() -> None:
    s = schema(f("a", "date"), f("b", "date"), f("yn", "yes_no"), f("m", "money"), f("r", "date_range"), f("bad", "integer"),
               f("n", "integer", compute={"op": "days_between", "fields": ["a", "b"]}))
    typed = typed_values(s, {"a": "2026-11-20", "b": "2026/11/22", "yn": "是", "m": "12.5", "r": ["2026-11-01", "2026-11-02"], "bad": "x"})
    assert typed == {"a": dt.date(2026, 11, 20), "b": dt.date(2026, 11, 22), "yn": True, "m": Decimal("12.5"),
                     "r": (dt.date(2026, 11, 1), dt.date(2026, 11, 2)), "n": 3}
    plain = json_values(typed)
    assert plain["m"] == "12.5" and plain["r"] == {"start": "2026-11-01", "end": "2026-11-02"} and plain["b"] == "2026-11-22"
    assert typed_values(s, plain) == typed


def test_conditions_read_typed_values() -> None:
    s = schema(
        f("away", "yes_no", label="是否离开本市"),
        f("where", "text", label="前往地点", required_when={"field": "away", "op": "eq", "value": True}),
        f("n", "integer", label="人数"),
        f("why", "text", label="说明", required_when={"field": "n", "op": "gt", "value": 7}),
    )
    assert problems(s, {"away": "是", "n": "12"}) == {"where": "请填写前往地点", "why": "请填写说明"}
    assert problems(s, {"away": "否", "n": "7"}) == {}
