"""Catalogue import/export as JSON, with clear per-item errors that name the line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError

from oa_client.domain.catalogue import Catalogue, ServiceItem
from oa_client.errors import ValidationError
from oa_client.i18n import _

__all__ = ["CatalogueProblem", "export_catalogue", "load_catalogue", "parse_catalogue"]


@dataclass(frozen=True)
class CatalogueProblem:
    """One thing wrong in a catalogue file: which item, which line, what."""

    item: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _("第{line}行").format(line=self.line) if self.line else ""
        what = _("事项“{item}”").format(item=self.item) if self.item else ""
        return f"{where} {what}：{self.message}".strip()


def _read(source: str | bytes | Path) -> str:
    if isinstance(source, Path):
        try:
            return source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(
                _("无法读取事项清单文件：{path}").format(path=source), field="catalogue"
            ) from exc
    if isinstance(source, bytes):
        try:
            return source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("事项清单文件不是 UTF-8 编码的 JSON 文本"), field="catalogue"
            ) from exc
    return source


def _explain(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    kind = err["type"]
    if kind == "missing":
        text = _("缺少“{name}”").format(name=err["loc"][-1])
    elif kind == "extra_forbidden":
        text = _("不认识的键“{name}”（拼写是否有误？）").format(name=err["loc"][-1])
    elif kind in ("literal_error", "union_tag_invalid"):
        text = _("“{value}”不是可用的取值（可用：{expected}）").format(
            value=err.get("input"), expected=err.get("ctx", {}).get("expected", "")
        )
    elif kind == "value_error":
        text = str(err["ctx"]["error"])
    else:
        text = _("“{name}”的值不对：{value}").format(name=err["loc"][-1] if err["loc"] else "", value=err.get("input"))
    return f"{loc}：{text}" if loc else text


def _needles(err: Any) -> list[str]:
    found = []
    if isinstance(err.get("input"), str | int) and err["type"] != "value_error":
        found.append(json.dumps(err["input"], ensure_ascii=False))
    if err["type"] == "value_error":
        names = re.findall(r"“([^”]+)”", str(err["ctx"]["error"]))
        found.extend(f'"{m}"' for m in reversed(names))  # the last one named is the culprit
    if err["loc"] and isinstance(err["loc"][-1], str):
        found.append(f'"{err["loc"][-1]}"')
    return found


def _line_of(lines: list[str], start: int, needles: list[str]) -> int:
    for needle in needles:
        for i in range(max(start - 1, 0), len(lines)):
            if needle in lines[i]:
                return i + 1
    return start


def _item_start(lines: list[str], code: Any, after: int) -> int:
    needle = re.compile(r'"code"\s*:\s*' + re.escape(json.dumps(code, ensure_ascii=False)))
    for i in range(after, len(lines)):
        if needle.search(lines[i]):
            return i + 1
    return after + 1


def parse_catalogue(data: Any, *, text: str = "") -> Catalogue:
    """A Catalogue from already parsed JSON; every bad item is reported, with lines if `text` is given."""
    lines = text.splitlines()
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValidationError(_("事项清单应是一个含有 items 列表的 JSON 对象"), field="catalogue")
    problems: list[CatalogueProblem] = []
    items: list[ServiceItem] = []
    cursor = 0
    for index, raw in enumerate(data["items"]):
        code = raw.get("code") if isinstance(raw, dict) else None
        start = _item_start(lines, code, cursor) if lines and code else None
        cursor = start or cursor
        label = str(code or _("第{n}项").format(n=index + 1))
        try:
            items.append(ServiceItem.model_validate(raw))
        except PydanticError as exc:
            for err in exc.errors():
                line = _line_of(lines, start, _needles(err)) if start else None
                problems.append(CatalogueProblem(label, line, _explain(err)))
    if not problems:
        try:
            return Catalogue.model_validate({"version": data.get("version", 1), "items": items})
        except PydanticError as exc:
            problems.extend(CatalogueProblem(None, None, _explain(e)) for e in exc.errors())
    summary = _("事项清单有{n}处错误，未导入：").format(n=len(problems))
    message = summary + "\n" + "\n".join(str(p) for p in problems)
    raise ValidationError(message, field="catalogue", problems=problems)


def load_catalogue(source: str | bytes | Path) -> Catalogue:
    """Load a catalogue from a file (Path) or from JSON text (str/bytes); ValidationError lists every problem."""
    text = _read(source)
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("事项清单不是有效的 JSON：第{line}行第{column}列附近有错误").format(line=exc.lineno, column=exc.colno),
            field="catalogue",
            line=exc.lineno,
        ) from exc
    return parse_catalogue(data, text=text)


_DECIMAL = re.compile(r'"\\u0000dec:([-0-9.E+]+)"')


def export_catalogue(catalogue: Catalogue) -> str:
    """The catalogue as readable JSON (numbers stay exact) that load_catalogue reads back."""
    data = catalogue.model_dump(mode="python", exclude_defaults=True, by_alias=True)

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return "\u0000dec:" + format(value, "f")
        raise TypeError(type(value).__name__)

    text = json.dumps(data, ensure_ascii=False, indent=2, default=encode)
    return _DECIMAL.sub(lambda m: m.group(1), text) + "\n"
