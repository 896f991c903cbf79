"""Field-by-field three-way merge of report values (DESIGN §4): nothing is ever lost.

Values have the submission shape: a key holds a plain value (a field) or a dict of
rows {row key → {column → value}} (a row table); a key is one or the other on every
side. Fields merge by key, table cells by (table, row, column). A change on one
side wins; the same change on both sides is taken once; different changes to the
same cell are a `Conflict` holding base, mine and theirs (the merged result keeps
mine until someone resolves it). A row deleted on one side and edited on the other
is a conflict per edited cell; the row stays while any cell of it survives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ABSENT", "Change", "Conflict", "diff", "merge"]


class _Absent:
    """Marks a field, row or cell that does not exist on one side."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()
_ROW = "\u0000row"  # the row's own existence


@dataclass(frozen=True)
class Conflict:
    """The same field or cell changed differently on both sides: every value, for someone to choose."""

    field: str
    row: str | None
    column: str | None
    base: Any
    mine: Any
    theirs: Any

    @property
    def row_deleted(self) -> bool:
        """Whether one side deleted the row this cell belongs to."""
        return self.row is not None and (self.mine is ABSENT or self.theirs is ABSENT)


Path = tuple[str, ...]


def _flatten(values: Mapping[str, Any] | None) -> dict[Path, Any]:
    flat: dict[Path, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            flat[(key,)] = {}
            for row, cells in value.items():
                flat[(key, row, _ROW)] = True
                for col, cell in (cells or {}).items():
                    flat[(key, row, col)] = cell
        else:
            flat[(key,)] = value
    return flat


def _unflatten(flat: dict[Path, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(flat, key=len):
        value = flat[path]
        if len(path) == 1:
            out[path[0]] = {} if isinstance(value, dict) else value
            continue
        table = out.setdefault(path[0], {})
        if not isinstance(table, dict):
            continue
        row = table.setdefault(path[1], {})
        if path[2] != _ROW:
            row[path[2]] = value
    return out


def _same(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    if isinstance(a, bool | str) or isinstance(b, bool | str):
        return type(a) is type(b) and a == b
    return bool(a == b)


def merge(
    base: Mapping[str, Any] | None, mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Conflict]]:
    """Merge two edits of the same submission against their common base; return (merged, conflicts)."""
    b, m, t = _flatten(base), _flatten(mine), _flatten(theirs)
    merged: dict[Path, Any] = {}
    conflicts: list[Conflict] = []
    for path in sorted(set(b) | set(m) | set(t)):
        old, left, right = b.get(path, ABSENT), m.get(path, ABSENT), t.get(path, ABSENT)
        if _same(left, right):
            chosen = left
        elif _same(left, old):
            chosen = right
        elif _same(right, old):
            chosen = left
        else:
            chosen = left
            if path[-1] != _ROW and not (len(path) == 1 and isinstance(left, dict) and isinstance(right, dict)):
                row = path[1] if len(path) == 3 else None
                column = path[2] if len(path) == 3 else None
                conflicts.append(Conflict(path[0], row, column, old, left, right))
        if chosen is not ABSENT:
            merged[path] = chosen
    _keep_rows_with_cells(merged, conflicts, b, m, t)
    return _unflatten(merged), conflicts


def _keep_rows_with_cells(
    merged: dict[Path, Any], conflicts: list[Conflict], b: dict[Path, Any], m: dict[Path, Any], t: dict[Path, Any]
) -> None:
    """A row they deleted but I edited stays whole, as I have it; a surviving cell keeps its row and table."""
    for c in conflicts:
        marker = (c.field, c.row or "", _ROW)
        if c.row is not None and marker in b and marker in m and marker not in t:
            for path, value in m.items():
                if path[:2] == (c.field, c.row):
                    merged.setdefault(path, value)
    for path in list(merged):
        if len(path) == 3:
            merged.setdefault((path[0],), {})
            if path[2] != _ROW:
                merged.setdefault((path[0], path[1], _ROW), True)


@dataclass(frozen=True)
class Change:
    """One field or cell that differs between two versions of a submission (ABSENT when not there)."""

    field: str
    row: str | None
    column: str | None
    before: Any
    after: Any


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """What changed from one version of the values to the next (a resubmission shows this)."""
    old, new = _flatten(before), _flatten(after)
    changes = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path, ABSENT), new.get(path, ABSENT)
        if _same(a, b) or path[-1] == _ROW or (len(path) == 1 and isinstance(a if a is not ABSENT else b, dict)):
            continue
        row, column = (path[1], path[2]) if len(path) == 3 else (None, None)
        changes.append(Change(path[0], row, column, a, b))
    return changes
