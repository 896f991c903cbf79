"""What an approved request produces: the output's number, text and seal, issued by the server.

The text is built from the form the approvers saw (a certificate says what the
organisation vouches for); the seal named by the item (人事专用章 …) is recorded as
the server's. Rendering the text to a sealed PDF is done on demand (`render_output`).
"""

from __future__ import annotations

from typing import Any

from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.forms_values import is_empty
from oa_server.authority.context import Ctx
from oa_server.i18n import _


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("start", "") + "—" + value.get("end", ""))
    if isinstance(value, list):
        return "、".join(_value(v) for v in value if not isinstance(v, dict) or v.get("name"))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def certificate_text(ctx: Ctx, subject: dict[str, Any], item: ServiceItem) -> list[str]:
    """The paragraphs of the output: a certificate in words, or the form as a filing record."""
    form = subject.get("form") or {}
    unit = ctx.org.unit(str(subject.get("unit_id") or ""))
    unit_name = unit.name if unit is not None else ""
    if item.output is not None and item.output.template == "employment_certificate":
        text = _("兹证明{name}同志（身份证号码：{id}）系我单位{dept}{position}，自{hire}起在我单位工作至今。").format(
            name=_value(form.get("applicant", "")), id=_value(form.get("id_number", "")),
            dept=_value(form.get("department", "")), position=_value(form.get("position", "")),
            hire=_value(form.get("hire_date", "")) or _("入职"))
        out = [text]
        if "收入" in str(form.get("cert_type", "")):
            out.append(_("其收入情况经本单位财务科核实，以财务科出具的工资明细为准。"))
        out.append(_("本证明仅用于{purpose}。").format(purpose=_value(form.get("purpose_note") or form.get("purpose", ""))))
        out.append(_("特此证明。"))
        out.append(unit_name)
        return out
    lines = []
    for spec in item.form.fields:
        value = form.get(spec.key)
        if not is_empty(value):
            lines.append(f"{spec.label}：{_value(value)}")
    return [*lines, unit_name]


def produce(ctx: Ctx, subject: dict[str, Any], item: ServiceItem) -> dict[str, Any]:
    """The output record of an approved request (numbered once; sealed by the server if the item says so)."""
    output = item.output
    assert output is not None
    old = next(iter(subject.get("outputs") or []), None)
    if old and old.get("number"):
        return old
    year = ctx.now.year
    n = ctx.next_number(f"output:{output.template}:{year}")
    out = {
        "name": output.name, "en": output.en, "template": output.template,
        "number": _("{code}〔{year}〕{n}号").format(code=item.code, year=year, n=n),
        "text": certificate_text(ctx, subject, item), "issued_at": ctx.now.isoformat(),
        "sealed": output.sealed, "seal": output.seal, "state": "issued",
    }
    if output.sealed:
        out["sealed_by"] = "server"
        ctx.audit("request.output_sealed", target=f"requests:{subject['id']}",
                  details={"seal": output.seal, "number": out["number"]})
    return out
