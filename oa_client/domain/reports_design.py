"""A template as the designer builds it: sections, row tables, rules and computed figures that
name data items by code only; the definitions come from the dictionary, never typed twice.

A design is the template's JSON without `data_items` and `version`. `template_from_design`
takes each named item's current version from the dictionary, so the server's check (items
exactly as the dictionary defines them) passes by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError as PydanticError

from oa_client.domain.reports import DataItem, ReportTemplate
from oa_client.errors import ValidationError
from oa_client.i18n import _

__all__ = ["design_of", "pydantic_message", "template_from_design", "used_codes"]


def used_codes(design: Mapping[str, Any]) -> list[str]:
    """The item codes a design places (fields, then table columns), each once, in order."""
    codes: list[str] = []
    for section in design.get("sections") or []:
        codes += [str(ref.get("code")) for ref in section.get("items") or []]
    for table in design.get("tables") or []:
        codes += [str(ref.get("code")) for ref in table.get("columns") or []]
    return list(dict.fromkeys(codes))


def pydantic_message(exc: PydanticError) -> list[str]:
    """Each problem of a pydantic error as a clerk reads it (our Chinese messages, or where + what)."""
    out = []
    for err in exc.errors():
        if err["type"] == "value_error":
            out.append(str(err["ctx"]["error"]))
        else:
            where = ".".join(str(p) for p in err["loc"])
            out.append(_("{where}：{message}").format(where=where, message=err["msg"]))
    return out


def template_from_design(design: Mapping[str, Any], dictionary: Mapping[str, DataItem]) -> ReportTemplate:
    """The template a design describes, each item as the dictionary defines it now."""
    codes = used_codes(design)
    if not codes:
        raise ValidationError(_("报表中还没有任何数据项，请从数据项目录中选取"), field="sections")
    missing = [c for c in codes if c not in dictionary]
    if missing:
        raise ValidationError(_("数据项目录中没有：{codes}").format(codes="、".join(missing)), field="items")
    if not str(design.get("name") or "").strip():
        raise ValidationError(_("请填写报表名称"), field="name")
    raw = {k: v for k, v in design.items() if k not in ("data_items", "version")}
    raw["data_items"] = [dictionary[c].model_dump(mode="json") for c in codes]
    try:
        return ReportTemplate.model_validate(raw)
    except PydanticError as exc:
        problems = pydantic_message(exc)
        raise ValidationError(problems[0], field="template", problems=problems) from exc


def design_of(template: ReportTemplate) -> dict[str, Any]:
    """A template's design (what the designer edits): everything but the item definitions."""
    return template.model_dump(mode="json", exclude={"data_items", "version"}, exclude_none=True)
