"""The issuing office's rules without a server: the dictionary check, designs built from the
dictionary, the next period of a family, the cross-period trend, pre-filled values confirmed
and recorded with a submission."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from oa_client.domain.reports import next_period, previous_period
from oa_client.domain.reports_design import design_of, template_from_design, used_codes
from oa_client.domain.reports_dictionary import dictionary_mismatches, item_of, mismatch_text
from oa_client.domain.reports_fill import Prefilled
from oa_client.domain.reports_records import confirmations, merge_marks
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.domain.reports_trend import numeric_codes, trend
from oa_client.errors import ValidationError
from oa_client.services.reports import Form, confirm_prefilled
from oa_client.services.reports_issue import next_issue
from oa_client.services.xlsx_sheet import display_width, format_for, typed

TOWN_Q, MED_M = load_report_templates(SAMPLE_TEMPLATES)


def _record(item, *, version: int = 1, versions: list | None = None, retired: bool = False) -> dict:
    return {**item.model_dump(mode="json"), "version": version, "versions": versions or [], "retired": retired}


@pytest.mark.parametrize(("kind", "key", "after"), [
    ("monthly", "2026-12", "2027-01"), ("monthly", "2026-03", "2026-04"), ("quarterly", "2026-Q4", "2027-Q1"),
    ("quarterly", "2026-Q1", "2026-Q2"), ("yearly", "2026", "2027"), ("one_off", "once", None)])
def test_next_period_is_the_inverse_of_previous(kind, key, after):
    assert next_period(kind, key) == after
    if after is not None:
        assert previous_period(kind, after) == key


def test_dictionary_check_names_unknown_differing_and_retired_items():
    book = {i.code: _record(i) for i in TOWN_Q.data_items}
    assert dictionary_mismatches(TOWN_Q, book.get) == []
    book.pop("GRAIN_AREA")
    book["POP_MALE"] = _record(TOWN_Q.item("POP_MALE").model_copy(update={"unit": "名"}))
    book["PHONE"] = _record(TOWN_Q.item("PHONE"), retired=True)
    found = {m.code: m.reason for m in dictionary_mismatches(TOWN_Q, book.get)}
    assert found == {"GRAIN_AREA": "unknown", "POP_MALE": "differs", "PHONE": "retired"}
    # a template that already had the retired item keeps it
    assert {m.code for m in dictionary_mismatches(TOWN_Q, book.get, already={"PHONE"})} == {"GRAIN_AREA", "POP_MALE"}
    text = mismatch_text(dictionary_mismatches(TOWN_Q, book.get))
    assert text.startswith("报表中的数据项与数据项目录不一致：") and "“PHONE”（联系电话）已停用" in text


def test_an_earlier_version_still_matches_its_own_definition():
    old = TOWN_Q.item("GRAIN_AREA")
    new = old.model_copy(update={"unit": "公顷", "version": 2})
    record = _record(new, version=2, versions=[old.model_dump(mode="json")])
    assert item_of(record, 1) == old and item_of(record).unit == "公顷"
    assert dictionary_mismatches(TOWN_Q.model_copy(update={"data_items": [old]}), {"GRAIN_AREA": record}.get) == []
    with pytest.raises(KeyError):
        item_of(record, 3)


def test_a_design_takes_its_items_from_the_dictionary_only():
    dictionary = {i.code: i for i in TOWN_Q.data_items}
    design = design_of(TOWN_Q)
    assert "data_items" not in design and used_codes(design)[:3] == ["POP_TOTAL", "POP_MALE", "POP_FEMALE"]
    rebuilt = template_from_design(design, dictionary)
    assert rebuilt == TOWN_Q.model_copy(update={"data_items": [dictionary[c] for c in used_codes(design)]})
    with pytest.raises(ValidationError, match="数据项目录中没有：GRAIN_AREA"):
        template_from_design(design, {k: v for k, v in dictionary.items() if k != "GRAIN_AREA"})
    with pytest.raises(ValidationError, match="请填写报表名称"):
        template_from_design({**design, "name": " "}, dictionary)
    with pytest.raises(ValidationError, match="还没有任何数据项"):
        template_from_design({"name": "空表", "code": "E", "sections": [], "tables": []}, dictionary)
    bad_rule = {**design, "rules": [{"kind": "sum_equals", "parts": ["FILLER"], "total": "POP_TOTAL"}]}
    with pytest.raises(ValidationError) as caught:
        template_from_design(bad_rule, dictionary)
    assert caught.value.problems == ["“FILLER”不是数字，不能用于求和或比较"]


def test_next_issue_of_a_family_follows_its_last_period():
    record = {"id": "tpl", "definition": TOWN_Q.model_dump(mode="json", exclude={"version"}), "version": 1,
              "period": "2026-Q4", "deadline": "2027-01-10", "recipients": ["a", "b"],
              "issues": [{"period": "2026-Q3", "deadline": "2026-10-10"}, {"period": "2026-Q4", "deadline": "2027-01-10"}]}
    nxt = next_issue(record)
    assert (nxt.record_id, nxt.period, nxt.deadline, nxt.recipients, nxt.last_period) == (
        "tpl", "2027-Q1", dt.date(2027, 4, 10), ["a", "b"], "2026-Q4")
    monthly = {**record, "definition": MED_M.model_dump(mode="json", exclude={"version"}), "period": "2026-01",
               "issues": [{"period": "2026-01", "deadline": "2026-01-31"}]}
    assert (next_issue(monthly).period, next_issue(monthly).deadline) == ("2026-02", dt.date(2026, 2, 28))


def _values(pop: int, villages: tuple[int, int, int], income: str = "100.00") -> dict:
    return {"POP_TOTAL": str(pop), "INCOME_CUM": income,
            "villages": {k: {"V_HOUSEHOLDS": str(v // 4), "V_POP": str(v), "V_LOW_INCOME": "2"}
                         for k, v in zip(("v-east", "v-west", "v-south"), villages, strict=True)}}


def test_trend_follows_each_unit_with_gaps_and_averages_per_head_figures():
    subs = {"2026-Q1": {"a": _values(100, (40, 32, 28), "100.00")},
            "2026-Q2": {"a": _values(110, (40, 40, 30), "200.00"), "b": _values(50, (20, 20, 10), "300.00")}}
    t = trend(TOWN_Q, periods=["2026-Q1", "2026-Q2"], units=["a", "b", "c"], submissions=subs)
    assert t.codes == numeric_codes(TOWN_Q) and "villages.V_POP" in t.codes and "FILLER" not in t.codes
    assert t.series("POP_TOTAL") == [Decimal(100), Decimal(160)]
    assert t.series("POP_TOTAL", "b") == [None, Decimal(50)]  # b did not report in Q1: a gap, not a zero
    assert t.series("POP_TOTAL", "c") == [None, None]
    assert t.series("INCOME_CUM") == [Decimal(100), Decimal(250)]  # per-head: averaged over units
    assert t.series("villages.V_POP", "a") == [Decimal(100), Decimal(110)]
    assert t.series("LOW_INCOME_TOTAL", "a") == [Decimal(6), Decimal(6)]  # computed figures are followed too
    assert t.series("villages.V_AVG", "a")[0] == Decimal("4.00")  # per-head column: rows averaged
    assert t.reported == [1, 2] and t.label("villages.V_POP") == "分村情况·人口（人）"


def test_confirmed_prefills_travel_and_only_cells_still_holding_them_count():
    form = Form(record={"id": "t"}, template=TOWN_Q, unit_id="u", period="2026-Q2", head_id="h", head=None,
                values={"POP_TOTAL": "68213", "INSURED": "65102", "GRAIN_AREA": "15"}, base={},
                marks=[Prefilled("POP_TOTAL", None, None, "68213", "上期", "previous_period", "2026-Q1", "t"),
                       Prefilled("INSURED", None, None, "65102", "医保", "other_report", "2026-Q2", "m"),
                       Prefilled("GRAIN_AREA", None, None, "14", "上期", "previous_period", "2026-Q1", "t")])
    assert [m.field for m in form.unconfirmed()] == ["POP_TOTAL", "INSURED"]  # GRAIN_AREA was retyped
    at = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
    assert confirm_prefilled(form, by="clerk", cells=[("INSURED", None, None)], at=at) == 1
    assert [m.field for m in form.unconfirmed()] == ["POP_TOTAL"] and form.dirty
    assert confirm_prefilled(form, by="clerk", at=at) == 1 and form.unconfirmed() == []
    assert confirm_prefilled(form, by="clerk", at=at) == 0
    wire = [{"field": m.field, "row": m.row, "column": m.column, "value": m.value, "source": m.source,
             **({"confirmed_by": m.confirmed_by, "confirmed_at": m.confirmed_at} if m.confirmed else {})}
            for m in form.marks]
    confirmed, open_ = confirmations(wire, form.values)
    assert ([c["field"] for c in confirmed], open_) == (["POP_TOTAL", "INSURED"], 0)
    assert confirmed[0]["confirmed_at"] == at.isoformat()
    # a second laptop's edit without the confirmation does not undo it; a new value does
    other = [{**wire[0], "confirmed_by": None}, {**wire[1], "value": "65000"}]
    merged = {m["field"]: m for m in merge_marks(wire, other)}
    assert merged["POP_TOTAL"]["confirmed_by"] == "clerk" and merged["INSURED"]["value"] == "65000"
    assert "confirmed_by" in merged["INSURED"]  # the newer mark wins as it was sent


def test_xlsx_cells_are_typed_by_their_item():
    assert display_width("户籍人口（人）") == 14 and display_width("POP") == 3
    pop, area, phone, flood = (TOWN_Q.item(c) for c in ("POP_TOTAL", "GRAIN_AREA", "PHONE", "FLOOD"))
    assert (typed(pop, "3000"), typed(pop, " "), typed(pop, None), typed(pop, "三千")) == (3000, None, None, "三千")
    assert typed(area, "1200.5") == 1200.5 and typed(phone, "13800000000") == "13800000000"
    assert typed(flood, True) == "是"
    assert (format_for(pop), format_for(area), format_for(pop, mean=True), format_for(phone)) == ("0", "0.0", "0.00", None)
