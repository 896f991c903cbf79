"""The report editor's grid (paste from Excel, fill down, text refused in number cells), the
problems list for values that break each rule, and xlsx import of bad workbooks."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.errors import ValidationError
from oa_client.services import reports_grid as grid
from oa_client.services import reports_xlsx as rx
from oa_client.services import reports_xlsx_import as rxi
from oa_client.services.reports import Form

TOWN_Q, _MED = load_report_templates(SAMPLE_TEMPLATES)


def _form(values: dict | None = None) -> Form:
    return Form({"id": "t", "period": "2026-Q1"}, TOWN_Q, "u", "2026-Q1", "h", None, dict(values or {}), {})


def _good() -> dict:
    return {
        "POP_TOTAL": "3000", "POP_MALE": "1500", "POP_FEMALE": "1500", "INSURED": "2900", "FILLER": "杨兰",
        "PHONE": "13800000000", "FLOOD": "否", "LEVEL": "无", "GRAIN_AREA": "12.5", "INCOME_CUM": "100.00",
        "villages": {k: {"V_HOUSEHOLDS": "300", "V_POP": "1000", "V_LOW_INCOME": "5", "V_ROAD_KM": "1.5"}
                     for k in ("v-east", "v-west", "v-south")},
    }


def test_paste_block_refuses_text_in_number_cells_one_by_one():
    form = _form()
    villages = grid.sheets(form)[1]
    block = "300\t1000\t5\n310\t一千\t6\n320\t980\tabc\n"
    result = grid.paste(form, villages, 0, 0, block)
    assert result.accepted == 7
    assert [(r, c) for r, c, _m in result.refused] == [(1, 1), (2, 2)]
    assert "应填整数" in result.refused[0][2]
    assert form.values["villages"]["v-west"] == {"V_HOUSEHOLDS": "310", "V_LOW_INCOME": "6"}
    # cells beyond the grid are counted, not lost silently
    assert grid.paste(form, villages, 2, 3, "1\t2\t3\n4").outside == 2


def test_fill_down_and_computed_cells_are_read_only():
    form = _form()
    villages = grid.sheets(form)[1]
    assert grid.write_cell(form, villages, 0, 4, "2.5") is None
    assert grid.fill_down(form, villages, 0, 2, [4]) == 2
    assert {r["V_ROAD_KM"] for r in form.values["villages"].values()} == {"2.5"}
    avg = villages.columns.index("V_AVG")
    assert not villages.editable(0, avg) and grid.write_cell(form, villages, 0, avg, "3")
    grid.paste(form, villages, 0, 0, "300\t900")
    assert grid.value_at(form, villages, 0, avg) == pytest.approx(3)
    fields = grid.sheets(form)[0]
    assert grid.write_cell(form, fields, fields.rows.index("PHONE"), 0, "12345") == "联系电话的格式不正确"


@pytest.mark.parametrize(("change", "expected"), [
    ({"POP_MALE": "1600"}, "之和"),
    ({"POP_TOTAL": "3100", "POP_FEMALE": "1600"}, "各村人口之和应等于全乡镇户籍人口"),
    ({"INSURED": "1000"}, "之比"),
    ({"villages": {"v-east": {"V_HOUSEHOLDS": "3", "V_POP": "1000", "V_LOW_INCOME": "5"}}}, "东村"),
    ({"POP_TOTAL": "12.5"}, "应填整数"),
    ({"POP_MALE": "-1"}, "不能小于"),
    ({"PHONE": "110"}, "格式不正确"),
    ({"LEVEL": "特级"}, "只能从"),
    ({"FLOOD": "也许"}, "“是”或“否”"),
    ({"FILLER": ""}, "请填写填报人"),
])
def test_values_breaking_each_rule_are_listed_with_a_clerks_message(change, expected):
    values = _good()
    if "villages" in change:
        values["villages"] = {**values["villages"], **change["villages"]}
    else:
        values.update(change)
    problems = _form(values).problems()
    assert any(expected in p.message for p in problems), [p.message for p in problems]
    assert _form(_good()).problems() == []


def test_cumulative_figure_below_last_period():
    form = _form({**_good(), "INCOME_CUM": "50"})
    form.previous = {"INCOME_CUM": "100"}
    assert any("累计" in p.message for p in form.problems())


def test_xlsx_form_round_trip(tmp_path):
    path = rx.export_form(TOWN_Q, _good(), tmp_path / "form.xlsx", unit_name="洪阳镇", period="2026-Q1")
    result = rx.import_form(TOWN_Q, path)
    assert result.values == _good() and result.problems == []


def _edit(path, fn):
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def test_xlsx_with_extra_missing_columns_merged_cells_and_formulas(tmp_path):
    def fresh(name):
        return rx.export_form(TOWN_Q, _good(), tmp_path / name)

    extra = _edit(fresh("extra.xlsx"), lambda wb: wb.worksheets[0].cell(row=3, column=5, value="备注"))
    with pytest.raises(ValidationError, match="多余的列：备注"):
        rx.import_form(TOWN_Q, extra)
    missing = _edit(fresh("missing.xlsx"), lambda wb: wb.worksheets[1].delete_cols(4))
    with pytest.raises(ValidationError, match="缺少列：人口"):
        rx.import_form(TOWN_Q, missing)
    merged = _edit(fresh("merged.xlsx"), lambda wb: wb.worksheets[0].merge_cells("A1:D1"))
    with pytest.raises(ValidationError, match=r"合并单元格（A1:D1）"):
        rx.import_form(TOWN_Q, merged)
    formula = _edit(fresh("formula.xlsx"), lambda wb: wb.worksheets[0].cell(row=4, column=4, value="=B2+1"))
    with pytest.raises(ValidationError, match=r"户籍人口.*公式"):
        rx.import_form(TOWN_Q, formula)
    dropped_row = _edit(fresh("rowgone.xlsx"), lambda wb: wb.worksheets[0].delete_rows(4))
    with pytest.raises(ValidationError, match="缺少项目：户籍人口"):
        rx.import_form(TOWN_Q, dropped_row)
    text = _edit(fresh("text.xlsx"), lambda wb: wb.worksheets[0].cell(row=4, column=4, value="三千"))
    result = rx.import_form(TOWN_Q, text)  # a bad value is a problem of the form, listed like typing
    assert any("户籍人口应填整数" in p.message for p in result.problems)


def test_xlsx_with_50000_rows_is_refused_by_its_dimension(tmp_path):
    path = rx.export_form(TOWN_Q, _good(), tmp_path / "big.xlsx")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("一张表")
    ws.append(["编码", "指标名称", "计量单位", "本期数"])
    for i in range(50_000):
        ws.append([f"X{i}", "行", "", i])
    big = tmp_path / "big50k.xlsx"
    wb.save(big)
    # (the row count comes from the sheet's dimension, before any row is read; how fast that
    # is belongs to `bench reports`, not to a timed test on a shared machine)
    with pytest.raises(ValidationError, match="超过5000行的上限") as caught:
        rx.import_form(TOWN_Q, big)
    assert len(caught.value.problems) <= rxi.MAX_ERRORS + 1  # a short list, not 50,000 lines
    with pytest.raises(ValidationError, match="无法读取Excel文件"):
        rx.import_form(TOWN_Q, tmp_path / "nothing.xlsx")
    assert path.exists()


def test_per_head_figures_are_averaged_not_added_in_the_summary():
    from decimal import Decimal

    from oa_client.domain.reports_fill import aggregate, mean_codes, rollup

    a, b = _good(), {**_good(), "INCOME_CUM": "200.00"}
    result = aggregate(TOWN_Q, {"a": a, "b": b})
    assert result.totals["INCOME_CUM"] == Decimal("150") and result.totals["POP_TOTAL"] == 6000
    assert result.by_unit["a"]["villages.V_AVG"] == pytest.approx(Decimal("3.33"), abs=Decimal("0.01"))
    tree = rollup(result.by_unit, parent_of={"a": "county", "b": "county"}, means=mean_codes(TOWN_Q))
    assert tree["county"]["INCOME_CUM"] == Decimal("150") and tree["county"]["POP_TOTAL"] == 6000
