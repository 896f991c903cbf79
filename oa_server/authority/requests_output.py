"""What an approved request produces: the output's number, text and seal, issued by the server.

The text is built from the form the approvers saw (a certificate says what the
organisation vouches for); the seal named by the item (人事专用章 …) is recorded on the
output. `render_output` lays it out as a 信函 PDF once; when the item says the output is
sealed, that seal (its own key, certificate and image) is pressed through the seal service
(oa_server/signing) by a 印章管理员 of the request's unit asking for the file: it is bound to
this approved request, to that seal keeper, and audited with the request and the PDF's hash.
Until then the applicant hears that the file waits for the seal keeper. Nothing but the
server's own layout is ever sealed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from docs_exchange.model import validate_document
from docs_exchange.pdf import render_pdf
from oa_client.domain.catalogue import ServiceItem
from oa_client.domain.forms_values import is_empty
from oa_client.domain.ids import new_id
from oa_client.errors import ConflictError, NotFoundError, ValidationError
from oa_server.authority.context import Ctx
from oa_server.blob_store import BlobStore
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.models import User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from oa_server.sync_push import server_batch


class AwaitingSeal(ConflictError):
    """Raised when a sealed output is asked for before a seal keeper of the unit sealed it."""

    code = "awaiting_seal"


#: the 字 in an output's number (普政数证〔2026〕1号)
SHORT = {"employment_certificate": "证", "abroad_filing_form": "备"}


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


def _certificate_name(subject: dict[str, Any], item: ServiceItem) -> str:
    """The output's title: the kind of certificate asked for (在职证明, 收入证明 …) when the form
    names one of the item's choices, else the item's output name."""
    output = item.output
    assert output is not None
    spec = next((f for f in item.form.fields if f.key == "cert_type"), None)
    asked = str((subject.get("form") or {}).get("cert_type") or "")
    if output.template == "employment_certificate" and spec is not None \
            and asked in {o.value for o in spec.options}:
        return asked
    return output.name


def produce(ctx: Ctx, subject: dict[str, Any], item: ServiceItem) -> dict[str, Any]:
    """The output record of an approved request (numbered once; sealed by the server if the item says so)."""
    output = item.output
    assert output is not None
    old = next(iter(subject.get("outputs") or []), None)
    if old and old.get("number"):
        return old
    year = ctx.now.year
    unit = ctx.org.unit(str(subject.get("unit_id") or ""))
    code = (unit.doc_code if unit is not None and unit.doc_code else "") + SHORT.get(output.template, "")
    n = ctx.next_number(f"output:{output.template}:{subject.get('unit_id')}:{year}")
    out = {
        "name": _certificate_name(subject, item), "en": output.en, "template": output.template,
        "number": _("{code}〔{year}〕{n}号").format(code=code or item.code, year=year, n=n),
        "text": certificate_text(ctx, subject, item), "issued_at": ctx.now.isoformat(),
        "sealed": output.sealed, "seal": output.seal, "state": "issued",
    }
    if output.sealed:
        out["sealed_by"] = "server"
        ctx.audit("request.output_sealed", target=f"requests:{subject['id']}",
                  details={"seal": output.seal, "number": out["number"]})
    return out


def render_output(session: Session, *, keys: SigningKeys, settings: Settings, store: BlobStore, user: User,
                  request_id: str, now: datetime, clock: Callable[[], datetime]) -> dict[str, Any]:
    """The approved request's output as a PDF (信函 format), sealed by the server with the unit's
    seal when the item says so, kept as an attachment of the request; done once."""
    with server_batch(session, user=user, now=now) as ctx:
        subject = ctx.get("requests", request_id)
        if subject is None or not ctx.visible("requests", request_id):
            raise NotFoundError(_("找不到该申请，可能已被删除或您无权查看"), id=request_id)
        outputs = list(subject.get("outputs") or [])
        unit = ctx.org.unit(str(subject.get("unit_id") or ""))
    session.commit()
    if subject.get("state") != "approved" or not outputs:
        raise ValidationError(_("申请批准后才能出具证明材料"), field="state")
    output = outputs[0]
    if output.get("attachment_id"):
        return output
    text = list(output.get("text") or [])
    issued = date.fromisoformat(str(output.get("issued_at") or now.isoformat())[:10])
    unit_name = unit.name if unit is not None else ""
    doc = validate_document({"title": output.get("name") or "", "body": text[:-1] or text, "kind": "函",
                             "format": "信函", "issuer_mark": unit_name, "issuer_name": unit_name,
                             "date": issued, "doc_number": output.get("number")})
    sealed = bool(output.get("sealed"))
    if sealed and (unit is None or not service.may_use_seal(user, unit_id=unit.id)):
        raise AwaitingSeal(_("该证明须由本单位印章管理员用印后出具，请等候印章管理员办理"),
                           id=request_id)
    rendered = render_pdf(doc)
    pdf = rendered.pdf
    if sealed and unit is not None:
        if rendered.seal_anchor is None:
            raise ValidationError(_("该公文没有发文机关署名和成文日期，无法盖章"), field="issuer_name")
        pdf = service.seal_pdf(  # the seal the item names (人事专用章 …), its own key
            session, keys=keys, settings=settings, user=user, unit_id=unit.id, pdf=pdf,
            anchor=rendered.seal_anchor,
            reason=_("出具{name}：{number}").format(name=output.get("name"), number=output.get("number")),
            clock=clock, seal_name=output.get("seal") or "公章", record=f"requests:{request_id}").pdf
    sha = hashlib.sha256(pdf).hexdigest()
    store.keep(session, pdf, sha256=sha, user=user, now=now)
    att_id = str(new_id())
    name = f"{output.get('name')}（{output.get('number')}）.pdf"
    with server_batch(session, user=user, now=now) as ctx:
        current = ctx.get("requests", request_id) or subject
        done = {**output, "attachment_id": att_id, "sha256": sha, "size": len(pdf), "file_name": name}
        ctx.put("attachments", att_id, {"owner_kind": "request", "owner_id": request_id, "name": name,
                                         "size": len(pdf), "sha256": sha, "mime": "application/pdf",
                                         "sealed": sealed, "server_owned": True, "role": "output"})
        data = {k: v for k, v in current.items() if k not in ("id", "rev", "created_by")}
        ctx.put("requests", request_id, {**data, "outputs": [done, *outputs[1:]]})
        ctx.audit("request.output_issued", target=f"requests:{request_id}",
                  details={"number": output.get("number"), "sha256": sha, "sealed": sealed,
                           "seal": output.get("seal"), "sealed_by": str(user.id) if sealed else None})
    session.commit()
    return done
