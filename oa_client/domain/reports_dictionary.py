"""The data-item dictionary (数据项目录) as its records hold it, and the rule that makes
"defined once" true: a template carries only items exactly as the dictionary defines them.

A `data_items` record (id = the item's code) holds the `DataItem` fields of its current
version at the top level, `version`, `versions` (earlier versions, each a full dump), `retired`
(停用: templates that already use it keep it, new ones may not take it) and `unit_id` (the
office that defined it; only it changes the item). The server numbers versions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError as PydanticError

from oa_client.domain.reports import DataItem, ReportTemplate
from oa_client.i18n import _

__all__ = ["MISMATCH_CODE", "Mismatch", "dictionary_mismatches", "is_retired", "item_of", "mismatch_text"]

#: the error code the server answers a template with items unlike the dictionary's
MISMATCH_CODE = "dictionary_mismatch"


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in DataItem.model_fields}


def item_of(record: Mapping[str, Any], version: int | None = None) -> DataItem:
    """The item a record defines: its current version, or an earlier one (KeyError if unknown)."""
    current = int(record.get("version") or 1)
    if version is None or version == current:
        return DataItem.model_validate({**_fields(record), "version": current})
    for old in record.get("versions") or []:
        if int(old.get("version") or 0) == version:
            return DataItem.model_validate({**_fields(old), "version": version})
    raise KeyError((record.get("code"), version))


def is_retired(record: Mapping[str, Any]) -> bool:
    """Whether the item was retired (停用)."""
    return bool(record.get("retired"))


@dataclass(frozen=True)
class Mismatch:
    """One item of a template that is not the dictionary's: unknown, defined otherwise, or retired."""

    code: str
    reason: Literal["unknown", "differs", "retired"]
    message: str


def _one(item: DataItem, record: Mapping[str, Any] | None, already: Collection[str]) -> Mismatch | None:
    name = item.name
    if record is None:
        return Mismatch(item.code, "unknown", _("数据项“{code}”（{name}）不在数据项目录中，请先在目录中定义").format(
            code=item.code, name=name))
    try:
        defined = item_of(record, item.version)
    except (KeyError, PydanticError, ValueError):
        defined = None
    if defined is None or defined.definition() != item.definition():
        return Mismatch(item.code, "differs", _("数据项“{code}”（{name}）与目录中的第{v}版定义不一致，请从目录重新选取").format(
            code=item.code, name=name, v=item.version))
    if is_retired(record) and item.code not in already:
        return Mismatch(item.code, "retired", _("数据项“{code}”（{name}）已停用，不能用于新报表").format(code=item.code, name=name))
    return None


def dictionary_mismatches(template: ReportTemplate, lookup: Callable[[str], Mapping[str, Any] | None], *,
                          already: Collection[str] = ()) -> list[Mismatch]:
    """Every item of the template that differs from the dictionary (`lookup(code)` → its record);
    a retired item is refused unless it is in `already` (the codes the template used before)."""
    out = []
    for item in template.data_items:
        found = _one(item, lookup(item.code), already)
        if found is not None:
            out.append(found)
    return out


def mismatch_text(mismatches: list[Mismatch]) -> str:
    """One message for a refused template, naming each item."""
    return _("报表中的数据项与数据项目录不一致：{items}").format(items="；".join(m.message for m in mismatches))
