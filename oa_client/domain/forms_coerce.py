"""Reading a field's raw input as its type (number, date, choice …), with a clerk's message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from oa_client.domain.forms_schema import FieldSpec
from oa_client.domain.forms_values import (
    BadValue,
    date_refusal,
    is_empty,
    localized,
    to_date,
    to_datetime,
    to_decimal,
    too_large,
)
from oa_client.i18n import _

#: the largest integer a form field holds (a 64-bit integer, as the server stores it)
_INT_MAX = 2**63 - 1


def label_of(spec: FieldSpec) -> str:
    """The field's label in the current language."""
    return localized(spec.label, spec.en)



def _date_range(spec: FieldSpec, raw: Any) -> tuple[dt.date, dt.date]:
    if isinstance(raw, dict):
        start, end = raw.get("start"), raw.get("end")
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        start, end = raw
    else:
        raise BadValue(_("{label}应为起止两个日期").format(label=label_of(spec)))
    if is_empty(start) or is_empty(end):
        raise BadValue(_("请填写{label}的开始和结束日期").format(label=label_of(spec)))
    try:
        first, last = to_date(start), to_date(end)
    except BadValue as exc:
        raise date_refusal(label_of(spec), exc) from exc
    if last < first:
        raise BadValue(_("{label}的结束日期不能早于开始日期").format(label=label_of(spec)))
    return first, last


def coerce(spec: FieldSpec, raw: Any) -> Any:
    """The typed value of a non-empty raw input for this field; BadValue with a clerk's message if not."""
    label = label_of(spec)
    kind = spec.type
    if kind in ("text", "multiline", "person", "unit"):
        if isinstance(raw, dict) and kind in ("person", "unit"):
            if is_empty(raw.get("id")):
                raise BadValue(_("请从通讯录中选择{label}").format(label=label))
            return raw
        if not isinstance(raw, str):
            raise BadValue(_("{label}应为文字").format(label=label))
        return raw.strip() if kind != "multiline" else raw
    if kind in ("integer", "decimal", "money"):
        try:
            value = to_decimal(raw)
        except BadValue as exc:
            msg = _("{label}应为整数") if kind == "integer" else _("{label}应为数字")
            raise BadValue(msg.format(label=label)) from exc
        places = spec.decimal_places
        if kind == "integer" and value != value.to_integral_value():
            raise BadValue(_("{label}应为整数").format(label=label))
        if (kind == "integer" and abs(value) > _INT_MAX) or (kind != "integer" and too_large(value)):
            raise BadValue(_("{label}数值过大，请核对").format(label=label))
        if places is not None and kind != "integer" and -value.as_tuple().exponent > places:  # type: ignore[operator]
            raise BadValue(_("{label}最多保留{places}位小数").format(label=label, places=places))
        return int(value) if kind == "integer" else value
    if kind == "date":
        try:
            return to_date(raw)
        except BadValue as exc:
            raise date_refusal(label, exc) from exc
    if kind == "datetime":
        try:
            return to_datetime(raw)
        except BadValue as exc:
            raise date_refusal(label, exc, with_time=True) from exc
    if kind == "date_range":
        return _date_range(spec, raw)
    allowed = [o.value for o in spec.options]
    if kind == "choice":
        if raw not in allowed:
            raise BadValue(_("请从列表中选择{label}").format(label=label))
        return raw
    if kind == "multi_choice":
        chosen = [raw] if isinstance(raw, str) else raw
        if not isinstance(chosen, list | tuple):
            raise BadValue(_("请从列表中选择{label}").format(label=label))
        for item in chosen:
            if item not in allowed:
                raise BadValue(_("{label}中的“{value}”不在可选范围内").format(label=label, value=item))
        return list(chosen)
    if kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        if raw in ("是", "否"):
            return raw == "是"
        raise BadValue(_("{label}应选择“是”或“否”").format(label=label))
    # attachment: a list of files (content hash or {"sha256", "name"})
    files = raw if isinstance(raw, list | tuple) else [raw]
    if any(not (isinstance(f, str) or (isinstance(f, dict) and f.get("sha256"))) for f in files):
        raise BadValue(_("{label}中有无法识别的附件，请重新上传").format(label=label))
    return list(files)
