"""Every report export as LibreOffice Calc reads it (headless; flat ODS for the cell types and
formats, CSV for what is shown): the fill-in form, the 汇总表 and the 历期趋势 keep figures as
numbers with their formats (integers, decimals, percentages), leave blank cells empty, list
units in the org's order, fit Chinese headers, and freeze their header rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from oa_client.domain.reports_check import compute_submission
from oa_client.domain.reports_fill import aggregate, mean_codes, rollup
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.domain.reports_trend import trend
from oa_client.services import reports_xlsx as rx
from oa_client.services.reports_review import Summary
from oa_client.services.reports_trend import TrendView
from oa_client.services.xlsx_sheet import display_width
from tests.support.calc import Sheet, calc_read

pytestmark = pytest.mark.libreoffice
TOWN_Q, _MED = load_report_templates(SAMPLE_TEMPLATES)
# the org's order (洪阳镇, 流沙东街道, 梅塘镇) is not the code points' (梅 < 洪 < 流)
UNITS = {"hy": "洪阳镇人民政府", "ls": "流沙东街道办事处", "mt": "梅塘镇人民政府"}
RANK = {"city": 0, "hy": 1, "ls": 2, "mt": 3}


def _values(pop: int, male: int, villages: tuple[int, int, int], income: str) -> dict:
    return {"POP_TOTAL": str(pop), "POP_MALE": str(male), "POP_FEMALE": str(pop - male),
            "INSURED": str(pop * 95 // 100), "INCOME_CUM": income, "GRAIN_AREA": "1200.5", "FLOOD": "否",
            "LEVEL": "无", "FILLER": "张三", "PHONE": "13800000000",
            "villages": {k: {"V_HOUSEHOLDS": str(v // 4), "V_POP": str(v), "V_LOW_INCOME": "5", "V_ROAD_KM": "3.5"}
                         for k, v in zip(("v-east", "v-west", "v-south"), villages, strict=True)}}


Q1 = {"hy": _values(3000, 1500, (1000, 1200, 800), "5230.50"), "ls": _values(2000, 990, (700, 700, 600), "6100.00"),
      "mt": _values(1000, 480, (300, 300, 400), "4800.25")}
Q2 = {"hy": _values(3100, 1550, (1050, 1250, 800), "7800.00"), "mt": _values(1040, 500, (320, 320, 400), "7000.75")}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """Where the exports are written."""
    return tmp_path_factory.mktemp("calc")


@pytest.fixture(scope="module")
def calc(work: Path) -> dict[str, dict[str, Sheet]]:
    """Our three exports, written and then read back by LibreOffice Calc in one go."""
    form_values = compute_submission(TOWN_Q, {k: v for k, v in Q1["hy"].items() if k not in ("POP_MALE",)})
    form = rx.export_form(TOWN_Q, form_values, work / "form.xlsx", unit_name="洪阳镇人民政府", period="2026-Q1")
    result = aggregate(TOWN_Q, Q1)
    parent_of = {u: "city" for u in UNITS}
    summary = Summary(TOWN_Q, "2026-Q1", result, {**UNITS, "city": "普宁市人民政府"}, parent_of,
                      rollup(result.by_unit, parent_of=parent_of, means=mean_codes(TOWN_Q)),
                      dict.fromkeys(UNITS, "submitted"), dict(Q1), RANK)
    agg = rx.export_aggregate(summary, work / "aggregate.xlsx")
    view = TrendView(TOWN_Q.name, trend(TOWN_Q, periods=["2026-Q1", "2026-Q2"], units=list(UNITS),
                                        submissions={"2026-Q1": Q1, "2026-Q2": Q2}), UNITS)
    tr = rx.export_trend(view, work / "trend.xlsx", codes=["POP_TOTAL", "INCOME_CUM", "villages.V_AVG"])
    return calc_read([form, agg, tr], work)


def _numbers_as_text(sheet: Sheet, *, skip: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """Cells Calc holds as text although they read as a number (Excel's "数字以文本形式存储")."""
    out = []
    for (r, c), cell in sheet.cells.items():
        if (r, c) not in skip and cell.kind == "string" and cell.text.replace(".", "", 1).replace("-", "", 1).isdigit():
            out.append(f"{r},{c}:{cell.text}")
    return out


def _fits(sheet: Sheet, column: int, *, header: int = 0) -> bool:
    """The column is wide enough for its widest text from the header row down (a title above may run
    over into the next cells); a CJK character is about 0.37 cm in Calc's default font."""
    widest = max(display_width(cell.text) for (r, c), cell in sheet.cells.items() if c == column and r >= header)
    return sheet.widths[column] >= widest * 0.185


def test_the_fill_in_form_holds_figures_as_numbers_and_blank_cells_empty(calc):
    sheet = calc["form"]["一张表"]
    rows = {sheet.at(r, 0).text: sheet.at(r, 3) for r in range(3, sheet.rows())}
    assert (rows["POP_TOTAL"].kind, rows["POP_TOTAL"].value, rows["POP_TOTAL"].format) == ("float", "3000", "0")
    assert (rows["INCOME_CUM"].kind, rows["INCOME_CUM"].value, rows["INCOME_CUM"].text) == ("float", "5230.5", "5230.50")
    assert (rows["GRAIN_AREA"].format, rows["GRAIN_AREA"].text) == ("0.0", "1200.5")
    assert (rows["LOW_INCOME_TOTAL"].kind, rows["LOW_INCOME_TOTAL"].value) == ("float", "15")  # computed, a number
    assert rows["POP_MALE"].kind is None and rows["POP_MALE"].text == ""  # blank: empty, not an empty string
    assert (rows["PHONE"].kind, rows["FLOOD"].text) == ("string", "否")  # text items stay text
    phone = next(r for r in range(sheet.rows()) if sheet.at(r, 0).text == "PHONE")
    assert _numbers_as_text(sheet, skip=((phone, 3),)) == []  # a phone number is text, every figure a number
    assert sheet.csv[3] == ["POP_TOTAL", "户籍人口", "人", "3000"]
    villages = calc["form"]["分村情况"]
    assert [c.kind for c in villages.row(1)[2:5]] == ["float"] * 3 and villages.at(1, 5).format == "0.00"
    assert villages.csv[1][:6] == ["v-east", "东村", "250", "1000", "5", "4.00"]
    assert all(_fits(sheet, c, header=2) for c in range(4)) and _fits(villages, 5)


def test_the_aggregate_lists_units_in_the_org_order_with_numbers_and_formats(calc):
    sheet = calc["aggregate"]["汇总"]
    assert [sheet.at(r, 0).text for r in range(3, 7)] == ["洪阳镇人民政府", "流沙东街道办事处", "梅塘镇人民政府", "合计"]
    header = [c.text for c in sheet.row(2)]
    income = header.index("农村居民累计人均可支配收入（元）（平均）")
    pop = header.index("户籍人口（人）")
    total = sheet.row(6)
    assert (total[pop].kind, total[pop].value, total[pop].format) == ("float", "6000", "0")
    assert (total[income].kind, total[income].format, total[income].text) == ("float", "0.00", "5376.92")
    assert [sheet.at(r, income).text for r in range(3, 6)] == ["5230.50", "6100.00", "4800.25"]
    assert _numbers_as_text(sheet) == [] and sheet.csv[6][0] == "合计" and sheet.csv[6][pop] == "6000"
    assert all(_fits(sheet, c, header=2) for c in range(len(header)))
    villages = calc["aggregate"]["分村情况"]
    assert [villages.at(r, 0).text for r in (1, 4, 7)] == list(UNITS.values())
    assert villages.at(1, 2).kind == "float" and _numbers_as_text(villages) == []


def test_the_trend_has_a_percentage_change_and_gaps_stay_empty(calc):
    summary = calc["trend"]["历期趋势"]
    assert [c.text for c in summary.row(2)] == ["指标", "2026-Q1", "2026-Q2", "较上期增减"]
    pop = summary.row(3)
    assert [(c.kind, c.value) for c in pop[1:3]] == [("float", "6000"), ("float", "4140")]
    assert (pop[3].kind, pop[3].format, pop[3].text) == ("percentage", "0.0%", "-31.0%")
    income = summary.row(4)
    assert income[0].text == "农村居民累计人均可支配收入（元）（平均）" and income[2].text == "7400.38"
    per_unit = calc["trend"]["户籍人口（人）"]
    assert [per_unit.at(r, 0).text for r in range(1, 5)] == ["洪阳镇人民政府", "流沙东街道办事处", "梅塘镇人民政府", "合计"]
    assert per_unit.at(2, 2).kind is None and per_unit.at(2, 3).kind is None  # 流沙东 did not report in Q2
    assert (per_unit.at(1, 3).kind, per_unit.at(1, 3).text) == ("percentage", "3.3%")
    assert per_unit.csv[2] == ["流沙东街道办事处", "2000", "", ""]
    assert calc["trend"]["分村情况·户均人口"].at(1, 1).format == "0.00"
    for sheet in calc["trend"].values():
        assert _numbers_as_text(sheet) == [] and _fits(sheet, 0, header=2 if sheet.name == "历期趋势" else 0)


def test_header_rows_are_frozen(calc, work):
    # Calc's headless conversion keeps no view (panes), so the frozen rows are read from the files themselves
    panes = {name: {ws.title: ws.freeze_panes for ws in openpyxl.load_workbook(work / f"{name}.xlsx").worksheets}
             for name in ("form", "aggregate", "trend")}
    assert panes["form"] == {"一张表": "A4", "分村情况": "C2"}
    assert panes["aggregate"] == {"汇总": "B4", "分村情况": "C2"}
    assert set(panes["trend"].values()) == {"B4", "B2"} and panes["trend"]["历期趋势"] == "B4"
    assert Decimal(calc["aggregate"]["汇总"].at(3, 1).value) == 3000
