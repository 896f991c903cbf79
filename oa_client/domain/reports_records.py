"""The record shapes of reports as they travel (shared by the client and the server authority).

- `report_templates`: one record per template an office issues; `definition` is the
  `ReportTemplate`, plus the current `period`, `deadline`, `recipients` (unit ids) and the
  server-kept `version` and `history` (earlier definitions, for migrating old drafts).
- `submissions` holds two kinds of record: `kind="submission"` — the one head per
  (template, unit, period), written only by the server — and `kind="edit"` — append-only
  actions from clients (save / submit / resolve / return / accept). An edit carries the
  values the clerk started from (`base`) and the values they ended with (`values`); the
  server merges them cell by cell into the head, so two laptops never reject each other.

Cell values are strings as typed (or None); tables are {row → {column → value}}.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from oa_client.domain.reports import ReportTemplate
from oa_client.domain.reports_merge import ABSENT, Conflict, merge

__all__ = [
    "EDIT_ACTIONS",
    "apply_edit",
    "cell_of",
    "confirmations",
    "conflict_key",
    "is_head_id",
    "is_subordinate",
    "merge_marks",
    "resolve_conflicts",
    "set_cell",
    "submission_id",
    "template_of",
    "values_shape_error",
]

#: what an edit action may ask for
EDIT_ACTIONS = ("save", "submit", "resolve", "return", "accept")
_DEPARTMENT = ("部门", "department")
_NS = uuid.UUID("6b1f3c1e-0d7a-4f57-9c55-1f6a0d9b7e21")
_HEAD = "sub-"


def submission_id(template_id: str, unit_id: str, period: str) -> str:
    """The one head record id of a unit's submission for a template and period (same on every laptop)."""
    return _HEAD + uuid.uuid5(_NS, f"{template_id}|{unit_id}|{period}").hex


def is_head_id(record_id: str) -> bool:
    """Whether an id is of the kind `submission_id` makes (a head's, never an edit's)."""
    return record_id.startswith(_HEAD)


def template_of(record: Mapping[str, Any], version: int | None = None) -> ReportTemplate:
    """The template definition a `report_templates` record holds (an earlier version from its history)."""
    current = int(record.get("version") or 1)
    if version is None or version == current:
        definition = record["definition"]
    else:
        found = [h for h in record.get("history") or [] if int(h.get("version", 0)) == version]
        if not found:
            raise KeyError(version)
        definition = found[-1]["definition"]
        current = version
    return ReportTemplate.model_validate({**definition, "version": current})


def _plain(value: Any) -> Any:
    return None if value is ABSENT else value


def cell_of(values: Mapping[str, Any], field: str, row: str | None = None, column: str | None = None) -> Any:
    """One field's or table cell's value (None when empty)."""
    if row is None:
        value = values.get(field)
        return None if isinstance(value, dict) else value
    table = values.get(field)
    cells = table.get(row) if isinstance(table, dict) else None
    return cells.get(column or "") if isinstance(cells, dict) else None


def set_cell(values: dict[str, Any], field: str, row: str | None, column: str | None, value: Any) -> None:
    """Set (or clear, with None/"") one field or table cell in place."""
    empty = value is None or value == ""
    if row is None:
        if empty:
            values.pop(field, None)
        else:
            values[field] = value
        return
    table = values.setdefault(field, {})
    if not isinstance(table, dict):
        table = values[field] = {}
    cells = table.setdefault(row, {})
    if empty:
        cells.pop(column or "", None)
    else:
        cells[column or ""] = value


def conflict_key(entry: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(field, row, column) of a stored conflict or comment."""
    return str(entry.get("field")), entry.get("row"), entry.get("column")


def apply_edit(
    current: Mapping[str, Any], base: Mapping[str, Any], values: Mapping[str, Any], *,
    kept_by: str = "", other_by: str = "", at: str = "", kept_device: str = "", other_device: str = "",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Merge one edit (base → values) into the current values; return (merged, new conflicts).

    A cell changed differently here and in the edit keeps the current value and becomes a
    conflict holding both (`kept` and `other`) and the base: nothing is lost.
    """
    merged, conflicts = merge(base, current, values)
    out = []
    for c in conflicts:
        out.append({**_wire(c, kept_by=kept_by, other_by=other_by, at=at),
                    "kept_device": kept_device, "other_device": other_device})
    return merged, out


def _wire(c: Conflict, *, kept_by: str, other_by: str, at: str) -> dict[str, Any]:
    return {"field": c.field, "row": c.row, "column": c.column, "base": _plain(c.base),
            "kept": _plain(c.mine), "other": _plain(c.theirs), "kept_by": kept_by,
            "other_by": other_by, "at": at}


def resolve_conflicts(
    values: dict[str, Any], conflicts: list[dict[str, Any]], resolutions: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Apply chosen values to conflicting cells; return the conflicts still open."""
    chosen = {conflict_key(r): r.get("value") for r in resolutions}
    left = []
    for c in conflicts:
        key = conflict_key(c)
        if key in chosen:
            set_cell(values, key[0], key[1], key[2], chosen[key])
        else:
            left.append(c)
    return left


def merge_marks(old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    """Pre-fill marks of two edits in one list, one per cell: the newer mark, unless only the
    older one was confirmed for the same value (a second laptop does not undo a confirmation)."""
    out: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for mark in [*old, *new]:
        if not isinstance(mark, dict) or "field" not in mark:
            continue
        key = conflict_key(mark)
        before = out.get(key)
        keep = before is not None and before.get("confirmed_by") and not mark.get("confirmed_by") \
            and before.get("value") == mark.get("value")
        if not keep:
            out[key] = dict(mark)
    return list(out.values())


def confirmations(marks: list[Any], values: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """(the pre-filled values confirmed, each with who and when; how many pre-filled values
    were not confirmed), counting only cells that still hold their pre-filled value."""
    confirmed, open_ = [], 0
    for mark in marks:
        if not isinstance(mark, dict) or cell_of(values, *conflict_key(mark)) != mark.get("value"):
            continue
        if mark.get("confirmed_by"):
            confirmed.append({k: mark.get(k) for k in ("field", "row", "column", "value", "source",
                                                       "confirmed_by", "confirmed_at")})
        else:
            open_ += 1
    return confirmed, open_


def values_shape_error(values: Any) -> str | None:
    """Why a values dict is not a submission's shape (None when it is)."""
    if not isinstance(values, dict):
        return "values"
    for key, value in values.items():
        if isinstance(value, dict):
            for row, cells in value.items():
                if not isinstance(cells, dict):
                    return f"{key}.{row}"
                for col, cell in cells.items():
                    if isinstance(cell, dict | list):
                        return f"{key}.{row}.{col}"
        elif isinstance(value, list):
            return key
    return None


def is_subordinate(unit_id: str, issuer_id: str, *, parent_of: Callable[[str], str | None],
                   level_of: Callable[[str], str | None]) -> bool:
    """Whether `unit_id` is below the issuing unit (a 部门 issues to the units below its government)."""
    if unit_id == issuer_id:
        return False
    tops = {issuer_id}
    if level_of(issuer_id) in _DEPARTMENT and level_of(unit_id) not in _DEPARTMENT:
        parent = parent_of(issuer_id)
        if parent:
            tops.add(parent)
    seen: set[str] = set()
    node = parent_of(unit_id)
    while node and node not in seen:
        if node in tops:
            return True
        seen.add(node)
        node = parent_of(node)
    return False
