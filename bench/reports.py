"""Reports benchmark (一张表): checking a 500-cell form with 100 rules, pre-filling it, summing
1,000 units' submissions, exporting that aggregate to xlsx, and the cross-period view.

Baselines in the same run (the least work that gives the same answer by hand-written code):
- validate: parse every cell with Decimal and evaluate the same 100 rules as plain lambdas;
- prefill: copy the known values into the empty cells with dict updates;
- aggregate: sum every numeric cell of every unit with Decimal;
- xlsx export: openpyxl writing the same numbers with no styles (write-only workbook).
Each metric reports our median in ms and the ratio to its baseline.

The cross-period view (`trend_8_periods_1000_units_ms`, target under 300 ms) is measured as
the office's desk opens it: 8,000 submitted 一张表 (the sample quarterly template, 1,000 units
× 8 quarters) read from an encrypted profile, and the first figure followed for every unit;
`trend_all_figures_ms` then follows every other figure (what the trend's export needs).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openpyxl import Workbook

from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_check import validate_submission
from oa_client.domain.reports_fill import PrefillSource, aggregate, prefill, rollup
from oa_client.services.reports_xlsx import export_aggregate

TREND_UNITS, TREND_PERIODS = 1000, 8

FIELDS = 50
ROWS, COLUMNS = 45, 10  # 50 + 45 × 10 = 500 cells


def big_template() -> ReportTemplate:
    """A template of 500 cells (50 fields, a 45×10 table) with 100 cross-field rules."""
    items = [{"code": f"F{i:02d}", "name": f"指标{i}", "type": "integer", "min": 0, "required": i < 10,
              "carry_forward": i % 2 == 0} for i in range(FIELDS)]
    items += [{"code": f"C{j}", "name": f"列{j}", "type": "decimal", "places": 2, "min": 0,
               "carry_forward": j % 3 == 0} for j in range(COLUMNS)]
    rules: list[dict[str, Any]] = []
    for i in range(0, 40, 2):  # 20 sums of parts
        rules.append({"kind": "sum_equals", "parts": [f"F{i + 10:02d}", f"F{i + 11:02d}"], "total": f"F{i // 2:02d}"})
    for i in range(20):  # 20 comparisons between fields
        rules.append({"kind": "compare", "left": f"F{i + 10:02d}", "op": "le", "right": f"F{i // 2:02d}"})
    for i in range(20):  # 20 ratios
        rules.append({"kind": "ratio_between", "numerator": f"F{i + 10:02d}", "denominator": f"F{i // 2:02d}",
                      "min": "0", "max": "1"})
    for j in range(COLUMNS - 1):  # 9 row-scoped comparisons (each runs on 45 rows)
        rules.append({"kind": "compare", "table": "rows", "left": f"C{j + 1}", "op": "ge", "value": "0"})
    for j in range(COLUMNS):  # 10 column totals against fields
        rules.append({"kind": "compare", "left": f"rows.C{j}", "op": "ge", "value": "0"})
    while len(rules) < 100:
        k = len(rules) % 10
        rules.append({"kind": "compare", "left": f"F{k:02d}", "op": "ge", "value": "0"})
    definition = {
        "code": "BENCH", "name": "基准测试报表", "period": "quarterly", "data_items": items,
        "sections": [{"key": "s", "title": "一、指标", "items": [{"code": f"F{i:02d}"} for i in range(FIELDS)]}],
        "tables": [{"key": "rows", "title": "分村", "rows": [{"key": f"r{r}", "label": f"村{r}"} for r in range(ROWS)],
                    "columns": [{"code": f"C{j}"} for j in range(COLUMNS)]}],
        "rules": rules,
    }
    return ReportTemplate.model_validate(definition)


def values_for(rng: random.Random) -> dict[str, Any]:
    """A filled submission that passes every rule (cells as the strings a clerk types)."""
    out: dict[str, Any] = {}
    for i in range(10):
        out[f"F{i:02d}"] = str(rng.randint(1000, 9000))
    for i in range(10, FIELDS):
        out[f"F{i:02d}"] = "0"
    for i in range(0, 40, 2):
        total = int(out[f"F{i // 2:02d}"])
        part = total // 3
        out[f"F{i + 10:02d}"], out[f"F{i + 11:02d}"] = str(part), str(total - part)
    out["rows"] = {f"r{r}": {f"C{j}": f"{rng.randint(0, 9999) / 100:.2f}" for j in range(COLUMNS)} for r in range(ROWS)}
    return out


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _baseline_validate(template: ReportTemplate, values: dict[str, Any]) -> int:
    nums = {k: Decimal(v) for k, v in values.items() if not isinstance(v, dict)}
    rows = {r: {c: Decimal(v) for c, v in cells.items()} for r, cells in values["rows"].items()}
    col = {c: sum((cells[c] for cells in rows.values()), Decimal(0)) for c in (f"C{j}" for j in range(COLUMNS))}
    bad = 0
    for rule in template.rules:
        if rule.kind == "sum_equals":
            bad += sum(nums[p] for p in rule.parts) != nums[rule.total]
        elif rule.kind == "ratio_between":
            bad += nums[rule.denominator] != 0 and not (0 <= nums[rule.numerator] / nums[rule.denominator] <= 1)
        elif rule.table:
            bad += sum(1 for cells in rows.values() if cells[rule.left] < 0)
        else:
            owner, _sep, code = rule.left.rpartition(".")
            left = col[code] if owner else nums[code]
            right = nums[rule.right] if rule.right else rule.value
            bad += not left <= right if rule.op == "le" else not left >= right
    return bad


def _baseline_prefill(known: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}
    for source in known:
        for k, v in source.items():
            if isinstance(v, dict):
                rows = out.setdefault(k, {})
                for r, cells in v.items():
                    target = rows.setdefault(r, {})
                    for c, x in cells.items():
                        target.setdefault(c, x)
            else:
                out.setdefault(k, v)
    return out


def _baseline_aggregate(subs: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for values in subs.values():
        for k, v in values.items():
            if isinstance(v, dict):
                for cells in v.values():
                    for c, x in cells.items():
                        key = f"{k}.{c}"
                        totals[key] = totals.get(key, Decimal(0)) + Decimal(x)
            else:
                totals[k] = totals.get(k, Decimal(0)) + Decimal(v)
    return totals


def _baseline_xlsx(result, names: dict[str, str], path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("汇总")
    columns = sorted(result.totals)
    ws.append(["填报单位", *columns])
    for unit, figures in result.by_unit.items():
        ws.append([names[unit], *[float(figures.get(c, 0)) for c in columns]])
    ws.append(["合计", *[float(result.totals[c]) for c in columns]])
    wb.save(path)


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Measure validate / prefill / aggregate / xlsx export against their in-run baselines."""
    rng = random.Random(7)
    template = big_template()
    units = 100 if quick else 1000
    runs = 5 if quick else 15
    values = values_for(rng)
    assert validate_submission(template, values) == [], "the benchmark form must be valid"
    validate_ms = _median_ms(lambda: validate_submission(template, values), runs)
    validate_base = _median_ms(lambda: _baseline_validate(template, values), runs)

    previous, other = values_for(rng), values_for(rng)
    empty: dict[str, Any] = {}
    sources = [PrefillSource("previous_period", "上期", "2026-Q2", previous),
               PrefillSource("other_report", "另一报表", "2026-Q3", other, report="X")]
    filled = prefill(template, sources=sources, values=empty)
    prefill_ms = _median_ms(lambda: prefill(template, sources=sources, values=empty), runs)
    prefill_base = _median_ms(lambda: _baseline_prefill([other, previous], empty), runs)

    subs = {f"unit-{i:04d}": values_for(rng) for i in range(units)}
    agg_runs = 3 if quick else 5
    result = aggregate(template, subs)
    aggregate_ms = _median_ms(lambda: aggregate(template, subs), agg_runs)
    aggregate_base = _median_ms(lambda: _baseline_aggregate(subs), agg_runs)
    base_totals = _baseline_aggregate(subs)
    assert result.totals["F00"] == base_totals["F00"] and result.totals["rows.C3"] == base_totals["rows.C3"]

    names = {u: f"第{i + 1}乡镇" for i, u in enumerate(subs)}
    parent_of: dict[str, str | None] = {u: "county" for u in subs}
    summary = SimpleNamespace(template=template, period="2026-Q3", result=result, names=names, parent_of=parent_of,
                              rolled=rollup(result.by_unit, parent_of=parent_of), states={},
                              values={}, table_rows=lambda key: [])
    with tempfile.TemporaryDirectory(prefix="oa-bench-reports-") as tmp:
        out = Path(tmp)
        export_runs = 3 if quick else 5
        xlsx_ms = _median_ms(lambda: export_aggregate(summary, out / "agg.xlsx"), export_runs)
        xlsx_base = _median_ms(lambda: _baseline_xlsx(result, names, out / "base.xlsx"), export_runs)
    trend_ms, trend_all_ms = _trend(rng, 3 if quick else 7)
    metrics = {
        "cells": FIELDS + ROWS * COLUMNS, "rules": len(template.rules), "units": units,
        "prefilled_cells": filled.count,
        "validate_ms": round(validate_ms, 2), "validate_vs_baseline": round(validate_ms / validate_base, 1),
        "prefill_ms": round(prefill_ms, 2), "prefill_vs_baseline": round(prefill_ms / prefill_base, 1),
        "aggregate_ms": round(aggregate_ms, 1), "aggregate_vs_baseline": round(aggregate_ms / aggregate_base, 1),
        "xlsx_export_ms": round(xlsx_ms, 1), "xlsx_export_vs_baseline": round(xlsx_ms / xlsx_base, 1),
        "trend_8_periods_1000_units_ms": round(trend_ms, 1), "trend_all_figures_ms": round(trend_all_ms, 1),
    }
    if verbose:
        print(f"validate   {metrics['validate_ms']:>9.2f} ms  ({metrics['cells']} cells, {metrics['rules']} rules;"
              f" ×{metrics['validate_vs_baseline']} of hand-written checks)")
        print(f"prefill    {metrics['prefill_ms']:>9.2f} ms  ({filled.count} cells pre-filled;"
              f" ×{metrics['prefill_vs_baseline']} of dict updates)")
        print(f"aggregate  {metrics['aggregate_ms']:>9.1f} ms  ({units} units; ×{metrics['aggregate_vs_baseline']} of plain sums)")
        print(f"xlsx       {metrics['xlsx_export_ms']:>9.1f} ms  ({units} rows; ×{metrics['xlsx_export_vs_baseline']}"
              " of an unstyled write-only workbook)")
        print(f"trend      {metrics['trend_8_periods_1000_units_ms']:>9.1f} ms  ({TREND_UNITS} units × {TREND_PERIODS}"
              " periods from the encrypted profile, first figure; target < 300 ms)")
        print(f"trend all  {metrics['trend_all_figures_ms']:>9.1f} ms  (every other figure, as the export needs)")
    return metrics


def _town_values(rng: random.Random) -> dict[str, Any]:
    """One township's 一张表 as a clerk submits it (strings as typed)."""
    pop = rng.randint(20_000, 90_000)
    villages = [pop // 3, pop // 3, pop - 2 * (pop // 3)]
    return {"POP_TOTAL": str(pop), "POP_MALE": str(pop // 2), "POP_FEMALE": str(pop - pop // 2),
            "INSURED": str(pop * 95 // 100), "INCOME_CUM": f"{rng.randint(300_000, 1_500_000) / 100:.2f}",
            "GRAIN_AREA": f"{rng.randint(10_000, 200_000) / 10:.1f}", "FLOOD": "否", "LEVEL": "无",
            "FILLER": "统计员", "PHONE": "13800000000",
            "villages": {k: {"V_HOUSEHOLDS": str(v // 4), "V_POP": str(v), "V_LOW_INCOME": str(v // 300),
                             "V_ROAD_KM": f"{rng.randint(10, 300) / 10:.1f}"}
                         for k, v in zip(("v-east", "v-west", "v-south"), villages, strict=True)}}


def _trend(rng: random.Random, runs: int) -> tuple[float, float]:
    """(open the cross-period view, then every other figure) over 1,000 units × 8 quarters, median ms."""
    from oa_client.domain.reports_records import submission_id
    from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
    from oa_client.services.reports_trend import trend_local
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store

    town_q = load_report_templates(SAMPLE_TEMPLATES)[0]
    periods = [f"{2025 + q // 4}-Q{q % 4 + 1}" for q in range(TREND_PERIODS)]
    units = [f"unit-{i:04d}" for i in range(TREND_UNITS)]
    with tempfile.TemporaryDirectory(prefix="oa-bench-trend-") as tmp:
        store = open_store(Path(tmp) / "profile", keyring_backend=MemoryKeyring(), username="bench")
        try:
            record = {"name": town_q.name, "unit_id": "county", "period": periods[-1], "recipients": units,
                      "definition": town_q.model_dump(mode="json", exclude={"version"}), "version": 1,
                      "issues": [{"period": p, "deadline": "2027-01-10"} for p in periods]}
            heads = [(submission_id("tpl", u, p), 1, {"kind": "submission", "state": "submitted", "template_id": "tpl",
                                                      "unit_id": u, "period": p, "values": _town_values(rng)})
                     for p in periods for u in units]
            with store.db.transaction() as conn:
                store.records.upsert_synced_in(conn, "report_templates", [("tpl", 1, record)])
                store.records.upsert_synced_in(conn, "units", [(u, 0, {"name": f"第{i + 1}乡镇", "org_index": i})
                                                               for i, u in enumerate(units)])
                store.records.upsert_synced_in(conn, "submissions", heads)

            def open_view():
                view = trend_local(store, template_id="tpl", last=TREND_PERIODS)
                view.trend.series(view.trend.codes[0])
                return view

            view = open_view()
            assert view.trend.reported == [TREND_UNITS] * TREND_PERIODS, view.trend.reported
            first = _median_ms(open_view, runs)

            def the_rest():
                rest = open_view()
                for code in rest.trend.codes[1:]:
                    rest.trend.series(code)

            rest = _median_ms(the_rest, max(1, runs // 2)) - first
        finally:
            store.close()
    return first, rest
