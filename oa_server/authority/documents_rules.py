"""Shared rules of the 公文 authorities: which flow applies, element checks, server fields."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from oa_client.domain.document import issue_gaps, parse_document, problems
from oa_client.domain.workflow import DEFAULT_FLOWS_DIR, FlowDefinition, read_definition
from oa_client.domain.workflow.model import BEIJING
from oa_client.errors import ValidationError
from oa_server.authority.content import CONTENT_FIELDS
from oa_server.authority.context import Ctx
from oa_server.i18n import _

DOCUMENTS = "documents"
EVENTS = "document_events"
REVISIONS = "document_revisions"
#: largest attachment a 公文 may declare (the client refuses it before upload too)
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
#: fields only the server writes on a document; a client upsert keeps the server's values
#: (a set: asked of every field of every op)
SERVER_FIELDS = frozenset((
    "state", "doc_number", "holder_ids", "flow_step", "flow_status", "due_at", "receipts",
    "reader_ids", "read_ids", "body_rev", "voided_numbers", "sealed_attachment_id", "source_id",
    "sender_unit_id", "sender_name", "recipient_unit_id", "signed_off_on", "signers",
    "signed_body_rev", "audience_users", "audience_roles", "numbered_at", "sealed_at",
    "dispatched_at", "chased", "drafter_id", "direction", "created_at", "seal_note",
    "frozen_attachments", "package_attachment_id", "seal_state", "seal_error", "sealed_sha256",
    "seal_requested_by", "signed_digest", "delivery_pending", "delivered_at",
    *CONTENT_FIELDS,
))
#: marks only the server puts on the attachments it makes (正式文件, exchange package, copies)
SERVER_MARKS = ("server_owned", "role", "sealed")
FINAL_STATES = ("dispatched", "archived", "refused")
#: the elements a leader signs off with the body: after 签发 they change only by going back
SIGNED_ELEMENTS = (
    "doc_kind", "title", "secrecy", "secrecy_term", "urgency", "issuer_mark", "issuer_name",
    "main_to", "cc_to", "date", "note", "co_issuing_units", "attachments",
)
#: 版记 and 份号, the office's to fill in before 用印
RECORD_ELEMENTS = ("copy_no", "printer", "print_date")
#: 发文 states after 签发 and 复核: the elements are fixed (版记 until 用印)
AFTER_RECHECK = ("number", "seal", "dispatch", "dispatched")
#: who holds 承办 for a 主办 / 协办 department of a 收文 (resources/flows/incoming.json)
HANDLER_ROLE = "section_chief"


@lru_cache(maxsize=32)
def _definition(direction: str, doc_code: str) -> FlowDefinition:
    if doc_code:
        override = DEFAULT_FLOWS_DIR / "units" / f"{doc_code}.{direction}.json"
        if override.is_file():
            return read_definition(override)
    return read_definition(DEFAULT_FLOWS_DIR / f"{direction}.json")


def flow_definition(direction: str, doc_code: str | None) -> FlowDefinition:
    """The unit's template (resources/flows/units/<代字>.<direction>.json) or the default."""
    return _definition("incoming" if direction == "incoming" else "outgoing", doc_code or "")


@lru_cache(maxsize=1)
def exchange_rules() -> dict[str, Any]:
    """resources/flows/exchange/rules.json: which unit handles another unit's 收文 (by 代字)."""
    path = DEFAULT_FLOWS_DIR / "exchange" / "rules.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def handling_unit(ctx: Ctx, unit_id: str) -> str:
    """The unit whose 收发员 signs for mail addressed to `unit_id` (市政府 → 市政府办公室)."""
    unit = ctx.org.unit(unit_id)
    code = (exchange_rules().get("handled_by") or {}).get(getattr(unit, "doc_code", None) or "")
    if code:
        other = ctx.org.unit_by_code(code)
        if other is not None and other.active:
            return str(other.id)
    return unit_id


def today(ctx: Ctx) -> date:
    """The server's date in Beijing."""
    now = ctx.now
    return (now.astimezone(BEIJING) if now.tzinfo else now).date()


def as_ids(value: Any) -> list[str]:
    """A list of ids from a list or a single value."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


def unit_problem(ctx: Ctx, unit_id: str) -> str | None:
    """Why a receiving unit cannot receive (unknown or dissolved), None when it can."""
    unit = ctx.org.unit(unit_id)
    if unit is None:
        return _("收文单位不存在：{unit}").format(unit=unit_id)
    if not unit.active:
        return _("收文单位“{unit}”已撤销或停用，不能再向其发文").format(unit=unit.name)
    return None


def domain_data(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The elements as the domain Document takes them (unit ids → names from the org chart)."""
    def names(ids: list[str]) -> list[str]:
        return [getattr(ctx.org.unit(i), "name", None) or i for i in ids]

    out = {
        "direction": data.get("direction") or "outgoing", "copy_no": data.get("copy_no"),
        "secrecy": data.get("secrecy"), "secrecy_term": data.get("secrecy_term"),
        "urgency": data.get("urgency"), "issuer_mark": data.get("issuer_mark") or "",
        "doc_number": data.get("doc_number"), "signers": data.get("signers") or [],
        "signed_off_on": data.get("signed_off_on"),
        "kind": data.get("doc_kind") or data.get("kind") or "通知", "title": data.get("title"),
        "body": data.get("body") or "",
        "main_to": names(as_ids(data.get("main_to"))), "cc_to": names(as_ids(data.get("cc_to"))),
        "attachments": [{"name": a.get("name") or ""} for a in data.get("attachments") or []
                        if isinstance(a, dict)],
        "issuer_name": data.get("issuer_name"), "date": data.get("date") or None,
        "note": data.get("note"), "printer": data.get("printer"),
        "print_date": data.get("print_date") or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def element_problem(ctx: Ctx, data: dict[str, Any], *, stage: str = "draft"
                    ) -> ValidationError | None:
    """The first thing wrong with a document's elements (naming the element), or None."""
    try:
        doc = parse_document(domain_data(ctx, data), stage=None)
    except ValidationError as exc:
        return exc
    if not isinstance(data.get("attachments") or [], list):
        return ValidationError(_("附件列表格式不正确"), field="attachments")
    for a in data.get("attachments") or []:
        if not isinstance(a, dict):
            return ValidationError(_("附件列表格式不正确"), field="attachments")
        try:
            size = int(a.get("size") or 0)
        except (TypeError, ValueError):
            return ValidationError(_("附件列表格式不正确"), field="attachments")
        if size > MAX_ATTACHMENT_BYTES:
            return ValidationError(_("附件“{name}”超过 {mb} MB 的大小限制").format(
                name=a.get("name") or "", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024)),
                field="attachments")
    for key in ("main_to", "cc_to"):
        for unit_id in as_ids(data.get(key)):
            why = unit_problem(ctx, unit_id)
            if why:
                return ValidationError(why, field=key)
    found = problems(doc, stage=stage)  # type: ignore[arg-type]
    return found[0] if found else None


def element_gaps(ctx: Ctx, data: dict[str, Any]) -> list[ValidationError]:
    """Everything that keeps a 发文 from 编号 and 用印 — a missing 签发人, 发文机关署名,
    成文日期, 主送机关 … — each naming its element; [] when the elements are complete."""
    first = element_problem(ctx, data, stage="draft")
    if first is not None:
        return [first]
    return issue_gaps(parse_document(domain_data(ctx, data), stage=None))


def values_problem(ctx: Ctx, doc: dict[str, Any], values: Any) -> str | None:
    """What is wrong with the form values of a flow action (people, departments, units, days)."""
    if not isinstance(values, dict):
        return _("办理内容格式不正确")
    for key in ("readers",):
        ids = values.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list) or not all(ctx.org.active_user(i) for i in ids):
            return _("传阅人中有不存在或已停用的人员")
    for key in ("lead_department", "assist_departments", "countersign_departments"):
        ids = values.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list) or not all(_department_ok(ctx, doc, i) for i in ids):
            return _("所选科室不属于本单位：{field}").format(field=key)
        if key != "countersign_departments":  # 承办 is held by each department's 科长
            for dept_id in ids:
                if not ctx.org.holders(HANDLER_ROLE, unit_id=str(doc.get("unit_id") or ""),
                                       department_id=str(dept_id), context={}):
                    return _("所选科室没有科长，无人承办：{field}").format(field=key)
    units = values.get("co_issuing_units")
    if units is not None and (not isinstance(units, list)
                              or any(unit_problem(ctx, str(u)) for u in units)):
        return _("联合发文机关不存在或已撤销")
    days = values.get("handling_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)
                             or not 0 < days <= 3650):
        return _("办理时限应为 1 至 3650 天")
    return None


def _department_ok(ctx: Ctx, doc: dict[str, Any], dept_id: Any) -> bool:
    dept = ctx.org.department(str(dept_id))
    units = {str(doc.get("unit_id")), str(doc.get("recipient_unit_id") or doc.get("unit_id"))}
    return dept is not None and str(dept.unit_id) in units


def may_edit_draft(ctx: Ctx, doc: dict[str, Any]) -> bool:
    """The drafter edits a draft, and so does the 科长 of the drafter's section (指导拟稿)."""
    drafter_id = doc.get("drafter_id", doc.get("created_by"))
    if drafter_id == ctx.user_id:
        return True
    drafter, me = ctx.org.user(drafter_id), ctx.user
    return (drafter is not None and "section_chief" in me.roles
            and drafter.unit_id == me.unit_id and drafter.department_id is not None
            and drafter.department_id == me.department_id)


def elements_digest(doc: dict[str, Any], keys: tuple[str, ...] = SIGNED_ELEMENTS) -> str:
    """SHA-256 of the elements the layout shows (attachments by name), to tell a change."""
    values: dict[str, Any] = {k: doc.get(k) or None for k in keys}
    if "attachments" in values:
        values["attachments"] = [a.get("name") for a in doc.get("attachments") or []
                                 if isinstance(a, dict)]
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def changed_since_sign_off(doc: dict[str, Any]) -> bool:
    """Whether the body or a signed element changed after 签发."""
    if int(doc.get("body_rev") or 0) > int(doc.get("signed_body_rev") or 0):
        return True
    signed = doc.get("signed_digest")
    return bool(signed) and elements_digest(doc) != signed


def server_owned(att: dict[str, Any]) -> bool:
    """Whether the server made this attachment (正式文件, exchange package, delivered copy …)."""
    return any(att.get(mark) for mark in SERVER_MARKS)


def iso(value: datetime | date) -> str:
    """ISO text of a date or time."""
    return value.isoformat()
