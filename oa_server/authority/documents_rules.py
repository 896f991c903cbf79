"""Shared rules of the 公文 authorities: which flow applies, element checks, server fields."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from oa_client.domain.calendar_range import FIRST_YEAR, LAST_YEAR, in_range
from oa_client.domain.document import as_ids, issue_gaps, parse_document, problems
from oa_client.domain.indexed import is_text_list
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
#: the `leader` value of a 收文's 拟办: whose role 批示 (resources/flows/incoming.json)
LEADER_ROLES = ("principal_leader", "deputy_leader")


@lru_cache(maxsize=32)
def _definition(direction: str, doc_code: str) -> FlowDefinition:
    if doc_code:
        override = DEFAULT_FLOWS_DIR / "units" / f"{doc_code}.{direction}.json"
        if override.is_file():
            return values_closed(read_definition(override))
    return values_closed(read_definition(DEFAULT_FLOWS_DIR / f"{direction}.json"))


def values_closed(definition: FlowDefinition) -> FlowDefinition:
    """The flow with every step taking only the values it declares `writable` (a step that
    declares none takes none): a 公文's flow values steer who signs and who reads it."""
    steps = [s if s.writable is not None else s.model_copy(update={"writable": []})
             for s in definition.steps]
    return definition.model_copy(update={"steps": steps})


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


def unit_problem(ctx: Ctx, unit_id: str) -> str | None:
    """Why a receiving unit cannot receive (unknown or dissolved), None when it can."""
    unit = ctx.org.unit(unit_id)
    if unit is None:
        return _("收文单位不存在：{unit}").format(unit=unit_id)
    if not unit.active:
        return _("收文单位“{unit}”已撤销或停用，不能再向其发文").format(unit=unit.name)
    return None


#: elements the domain Document takes as they are stored, when filled in
_AS_STORED = ("copy_no", "secrecy", "secrecy_term", "urgency", "doc_number", "signed_off_on",
              "title", "issuer_name", "note", "printer")


def domain_data(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The elements as the domain Document takes them (unit ids → names from the org chart)."""
    get = data.get
    out = {key: value for key in _AS_STORED if (value := get(key)) is not None}
    out.update(
        direction=get("direction") or "outgoing", issuer_mark=get("issuer_mark") or "",
        signers=get("signers") or [], kind=get("doc_kind") or get("kind") or "通知",
        body=get("body") or "", main_to=_unit_names(ctx, get("main_to")),
        cc_to=_unit_names(ctx, get("cc_to")),
        attachments=[{"name": a.get("name") or ""} for a in get("attachments") or []
                     if isinstance(a, dict)],
    )
    for key in ("date", "print_date"):
        if value := get(key):
            out[key] = value
    return out


def _unit_names(ctx: Ctx, value: Any) -> list[str]:
    """The names of the units named by id (an id the org chart does not know stays as it is)."""
    ids = as_ids(value)
    return [getattr(ctx.org.unit(i), "name", None) or i for i in ids] if ids else []


#: elements a desk writes as text (absent or null: not filled in)
TEXT_ELEMENTS = (
    "direction", "doc_kind", "kind", "title", "body", "secrecy", "secrecy_term", "urgency",
    "copy_no", "issuer_mark", "issuer_name", "date", "note", "printer", "print_date",
)
#: elements a desk writes as lists of text (主送 and 抄送 may also be one unit id alone)
LIST_ELEMENTS = (
    "main_to", "cc_to", "main_to_names", "cc_to_names", "signers", "countersign_departments",
    "co_issuing_units",
)
#: what an attachment entry holds, by JSON type
ATTACHMENT_TEXT = ("name", "attachment_id", "blob_id")


def shape_problem(data: dict[str, Any]) -> ValidationError | None:
    """The first element holding the wrong kind of JSON value (a number for a title, an
    object for 主送 …), naming it: every desk that sees the 公文 reads it by these types."""
    get = data.get
    for key in TEXT_ELEMENTS:
        value = get(key)
        if value is not None and not isinstance(value, str):
            return malformed(key)
    for key in LIST_ELEMENTS:
        value = get(key)
        if value is None or (isinstance(value, str) and key in ("main_to", "cc_to")):
            continue
        if not is_text_list(value):
            return malformed(key)
    attachments = data.get("attachments")
    if attachments is None:
        return None
    if not isinstance(attachments, list):
        return ValidationError(_("附件列表格式不正确"), field="attachments")
    for a in attachments:
        if not isinstance(a, dict) or any(
                a.get(k) is not None and not isinstance(a[k], str) for k in ATTACHMENT_TEXT):
            return ValidationError(_("附件列表格式不正确"), field="attachments")
        size = a.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            return ValidationError(_("附件列表格式不正确"), field="attachments")
    return None


def malformed(key: str) -> ValidationError:
    """An element holding the wrong kind of JSON value, named as the user knows it."""
    names = {
        "direction": _("收发文"), "doc_kind": _("文种"), "kind": _("文种"), "title": _("标题"),
        "body": _("正文"), "secrecy": _("密级"), "secrecy_term": _("保密期限"),
        "urgency": _("紧急程度"), "copy_no": _("份号"), "issuer_mark": _("发文机关标志"),
        "issuer_name": _("发文机关署名"), "date": _("成文日期"), "note": _("附注"),
        "printer": _("印发机关"), "print_date": _("印发日期"), "main_to": _("主送机关"),
        "cc_to": _("抄送机关"), "main_to_names": _("主送机关"), "cc_to_names": _("抄送机关"),
        "signers": _("签发人"), "countersign_departments": _("会签部门"),
        "co_issuing_units": _("联合发文机关"), "body_rev": _("正文版本"),
    }
    return ValidationError(_("公文要素“{element}”的数据格式不正确").format(
        element=names.get(key, key)), field=key)


#: the dates of a 公文 a desk may write, and their names (签发日期: the server's, checked too)
DATE_ELEMENTS = (("date", "成文日期"), ("print_date", "印发日期"), ("signed_off_on", "签发日期"))
_DATE_NAMES = (_("成文日期"), _("印发日期"), _("签发日期"))


def date_problem(data: dict[str, Any]) -> ValidationError | None:
    """A 成文日期, 印发日期 or 签发日期 whose year falls outside the years records take
    (oa_client.domain.calendar_range), naming the element; None when they are all sane."""
    for key, name in DATE_ELEMENTS:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            continue
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            continue  # not a date at all: the element check names it
        if not in_range(day):
            return ValidationError(_("{element}的年份须在 {first} 至 {last} 年之间").format(
                element=_(name), first=FIRST_YEAR, last=LAST_YEAR), field=key)
    return None


def element_problem(ctx: Ctx, data: dict[str, Any], *, stage: str = "draft"
                    ) -> ValidationError | None:
    """The first thing wrong with a document's elements (naming the element), or None."""
    if (wrong := shape_problem(data) or date_problem(data)) is not None:
        return wrong
    try:
        doc = parse_document(domain_data(ctx, data), stage=None)
    except ValidationError as exc:
        return exc
    for a in data.get("attachments") or []:
        if (a.get("size") or 0) > MAX_ATTACHMENT_BYTES:
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
    readers = values.get("readers")
    if readers is not None:
        if not isinstance(readers, list) or not all(ctx.org.active_user(i) for i in readers):
            return _("传阅人中有不存在或已停用的人员")
        if not all(ctx.org.business_user(i) for i in readers):  # not one of the 三员
            return _("传阅人须是在岗的业务人员，不能是管理员或已停用的账号")
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
    if days is not None and not _days_ok(days):
        return _("办理时限应为 1 至 3650 天")
    if values.get("leader") not in (None, *LEADER_ROLES):
        return _("请选择批示领导")
    if "leader_unit" in values and values["leader_unit"] != leader_unit(ctx, doc):
        return _("签发领导只能是本单位（或本单位所属机关）的领导")
    supervise = values.get("supervise")
    if supervise is not None and not isinstance(supervise, bool) and (
            wrong := _supervise_problem(supervise)):
        return _("督办要求填写不正确：{field}").format(field=wrong)
    return None


def leader_unit(ctx: Ctx, doc: dict[str, Any]) -> str | None:
    """The unit whose leaders sign a 发文 off: the parent of the document's unit (市政府 for
    its 办公室), else the document's unit itself."""
    unit = ctx.org.unit(doc.get("unit_id"))
    parent = getattr(unit, "parent_id", None)
    return str(parent) if parent else doc.get("unit_id")


def _days_ok(days: Any) -> bool:
    return isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 3650


#: a 批办's 督办 request as the routing screen writes it: the text parts
_SUPERVISE_TEXT = ("deadline", "title", "lead_unit_id", "owner_id", "importance", "report_every")


def _supervise_problem(spec: Any) -> str | None:
    """The first part of a 批办's 督办 request holding the wrong kind of value (the leader's
    desk makes the 督办事项 from it when the 批示 is taken), or None."""
    if not isinstance(spec, dict):
        return "supervise"
    if spec.get("days") is not None and not _days_ok(spec["days"]):
        return "days"
    for key in _SUPERVISE_TEXT:
        if not isinstance(spec.get(key), str | None):
            return key
    units = spec.get("assist_unit_ids")
    if units is not None and not is_text_list(units):
        return "assist_unit_ids"
    steps = spec.get("milestones")
    if steps is not None and not (isinstance(steps, list) and all(isinstance(m, dict) for m in steps)):
        return "milestones"
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
