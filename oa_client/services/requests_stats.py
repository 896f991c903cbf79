"""Office statistics of internal requests on the desk (volumes, average handling time per
item, overdue steps) from the local records, and their export to xlsx. The office view of a
whole unit comes from the server (`GET /requests/statistics`), computed by the same rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.catalogue_stats import COLUMNS, ItemStats, item_statistics
from oa_client.i18n import _
from oa_client.store.local import LocalStore

__all__ = ["COLUMNS", "ItemStats", "export_xlsx", "statistics"]


def statistics(store: LocalStore, *, now: datetime | None = None) -> list[ItemStats]:
    """One row per item with submitted requests, from the requests this desk holds."""
    items: dict[str, ServiceItem] = {}
    for rec in store.records.list("service_items", limit=1000):
        try:
            items[rec["id"]] = ServiceItem.model_validate(rec["item"])
        except (KeyError, ValueError):
            continue
    requests = store.records.list("requests", limit=100_000)
    events: dict[str, list[dict]] = {}
    for e in store.records.list("request_events", limit=500_000):
        events.setdefault(str(e.get("request_id")), []).append(e)
    return item_statistics(items, requests, events, now=now or datetime.now(UTC))


def export_xlsx(rows: list[ItemStats], path: Path, *, title: str | None = None) -> Path:
    """Write the statistics to an .xlsx workbook (one sheet, a header row, a total row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("事项办理统计")
    sheet.append([title or _("机关内部事项办理统计")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_(c) for c in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row.row())
    hours = [h for r in rows for h in r.hours]
    sheet.append([_("合计"), sum(r.total for r in rows), sum(r.approved for r in rows),
                  sum(r.rejected for r in rows), sum(r.open for r in rows),
                  round(sum(hours) / len(hours), 1) if hours else "",
                  sum(r.overdue_steps for r in rows), sum(r.overdue_now for r in rows)])
    sheet.column_dimensions["A"].width = 24
    for col in "BCDEFGH":
        sheet.column_dimensions[col].width = 14
    path = Path(path)
    book.save(path)
    return path
