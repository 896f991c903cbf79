"""The 公文 list model: lazy rows, 特急 / 加急 coloured, states in words."""

from __future__ import annotations

import html

from oa_client.i18n import _
from oa_client.services.documents_base import state_label
from ui.labels import field_label, fmt
from ui.lazy_model import LazyRecordModel
from ui.qt import QColor, Qt

COLUMNS = ["title", "doc_number", "doc_kind", "urgency", "state", "created_at"]
WIDTHS = {"doc_number": 190, "doc_kind": 60, "urgency": 70, "state": 80, "created_at": 140}
URGENT = {"特急": QColor("#c00000"), "加急": QColor("#b35900")}


class DocListModel(LazyRecordModel):
    """The lazy list, with 特急 / 加急 rows coloured and the date column readable."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """Colour urgent rows; otherwise as LazyRecordModel."""
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            rec = self.record(index.row())
            if rec is not None and rec.get("urgency") in URGENT:
                return URGENT[rec["urgency"]]
        if role == Qt.ItemDataRole.DisplayRole and index.isValid() \
                and self.columns[index.column()] == "state":
            rec = self.record(index.row())
            if rec is not None:
                return state_label(rec.get("state"))
        return super().data(index, role)


def summary_html(rec: dict, names: dict[str, str]) -> str:
    """A short summary of a document (the preview under the list)."""
    rows = []
    for key in ("doc_number", "doc_kind", "urgency", "from_unit", "drafter_name", "holder_ids",
                "deadline"):
        value = rec.get(key)
        if value in (None, "", []):
            continue
        rows.append(f"<tr><td style='color:#555;padding-right:14px'>{html.escape(field_label(key))}"
                    f"</td><td>{html.escape(fmt(key, value, names))}</td></tr>")
    rows.append(f"<tr><td style='color:#555'>{html.escape(_('状态'))}</td>"
                f"<td>{html.escape(state_label(rec.get('state')))}</td></tr>")
    body = str(rec.get("body") or "")
    excerpt = body[:300] + ("…" if len(body) > 300 else "")
    return (f"<h2 style='color:#8b0000'>{html.escape(str(rec.get('title') or ''))}</h2>"
            f"<table cellspacing='4'>{''.join(rows)}</table>"
            f"<p style='line-height:160%'>{html.escape(excerpt)}</p>"
            f"<p><a href='open'>{html.escape(_('打开公文（Enter）'))}</a></p>")
