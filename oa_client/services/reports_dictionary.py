"""The data-item dictionary on the desk (数据项目录): list, define, revise, retire and restore
items; check a template against the dictionary before it is issued (the server checks again).

Items are read from the local copy of `data_items` (everyone's dictionary, pulled by sync);
only the office that defined an item may change it, and the server numbers its versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError as PydanticError

from oa_client.domain.reports import DataItem, ReportTemplate
from oa_client.domain.reports_design import pydantic_message
from oa_client.domain.reports_dictionary import Mismatch, dictionary_mismatches, is_retired, item_of
from oa_client.errors import NotFoundError, PermissionDenied, ValidationError
from oa_client.i18n import _
from oa_client.services import records as svc
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

__all__ = ["Entry", "check_template", "current_items", "define_missing", "entries", "make_item", "save_item",
           "set_retired"]

SCAN = 20_000


@dataclass
class Entry:
    """One item of the dictionary as the screen lists it."""

    record: dict[str, Any]
    item: DataItem
    retired: bool
    unit_id: str
    unit_name: str
    history: list[DataItem] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The item's code."""
        return self.item.code


def _units(store: LocalStore) -> dict[str, str]:
    return {u["id"]: u.get("name", "") for u in store.records.list("units", limit=SCAN)}


def entries(store: LocalStore, *, include_retired: bool = True) -> list[Entry]:
    """Every item of the dictionary by code (retired ones too unless told)."""
    names = _units(store)
    out = []
    for rec in store.records.list("data_items", limit=SCAN, order_by="code"):
        try:
            item = item_of(rec)
        except (PydanticError, ValueError):
            continue
        history = []
        for old in rec.get("versions") or []:
            try:
                history.append(item_of(rec, int(old.get("version") or 0)))
            except (KeyError, PydanticError, ValueError):
                continue
        entry = Entry(rec, item, is_retired(rec), str(rec.get("unit_id") or ""), names.get(str(rec.get("unit_id")), ""),
                      history)
        if include_retired or not entry.retired:
            out.append(entry)
    return out


def current_items(store: LocalStore) -> dict[str, DataItem]:
    """code → the item's current version (retired items included: templates that use them keep them)."""
    return {e.code: e.item for e in entries(store)}


def make_item(fields: dict[str, Any]) -> DataItem:
    """A data item from what the dictionary screen holds; ValidationError naming each problem."""
    try:
        return DataItem.model_validate({**fields, "version": 1})
    except PydanticError as exc:
        problems = pydantic_message(exc)
        raise ValidationError(problems[0], field="item", problems=problems) from exc


def _existing(store: LocalStore, code: str) -> dict[str, Any] | None:
    try:
        rec = store.records.get("data_items", code)
    except NotFoundError:
        return None
    return None if rec.get("deleted") else rec


def save_item(store: LocalStore, item: DataItem, *, unit_id: str, new: bool = False) -> Changes:
    """Define an item (`new`) or revise one this office defined; the server numbers the version."""
    current = _existing(store, item.code)
    if new and current is not None:
        raise ValidationError(_("数据项编码“{code}”已存在，请换一个编码或修改原数据项").format(code=item.code), field="code")
    if current is not None and str(current.get("unit_id") or unit_id) != unit_id:
        raise PermissionDenied(_("只有定义该数据项的单位可以修改它"))
    record = {**(current or {}), **item.model_dump(mode="json", exclude={"version"}), "id": item.code,
              "unit_id": unit_id, "retired": bool((current or {}).get("retired")), "version": 1}
    if current is not None:  # the version the server will give it, so a template made offline matches
        old = item_of(current)
        record["version"] = old.version
        if old.definition() != item.definition():
            record["version"] = old.version + 1
            record["versions"] = [*(current.get("versions") or []), old.model_dump(mode="json")]
    return svc.save(store, "data_items", record)


def set_retired(store: LocalStore, code: str, *, retired: bool, unit_id: str) -> Changes:
    """停用 (or restore) an item: templates already using it keep it; new ones cannot take it."""
    current = _existing(store, code)
    if current is None:
        raise NotFoundError(_("数据项目录中没有“{code}”").format(code=code), id=code)
    if str(current.get("unit_id") or "") != unit_id:
        raise PermissionDenied(_("只有定义该数据项的单位可以停用它"))
    return svc.save(store, "data_items", {**current, "retired": retired})


def check_template(store: LocalStore, template: ReportTemplate, *, record_id: str | None = None) -> list[Mismatch]:
    """What the server would refuse in this template: items unknown, defined otherwise, or retired."""
    already: set[str] = set()
    if record_id:
        try:
            rec = store.records.get("report_templates", record_id)
            already = {i.get("code") for i in (rec.get("definition") or {}).get("data_items") or []}
        except NotFoundError:
            pass
    return dictionary_mismatches(template, lambda code: _existing(store, code), already=already)


def define_missing(store: LocalStore, items: list[DataItem], *, unit_id: str) -> int:
    """Define the items the dictionary does not hold yet (a catalogue's shared items); return how many."""
    done = 0
    for item in items:
        if _existing(store, item.code) is None:
            save_item(store, item, unit_id=unit_id, new=True)
            done += 1
    return done
