"""公文 operations the screens call: compose, act on the flow, edit the body, list, phrases.

Everything here works offline: a write changes the local store and queues an outbox op
in the same transaction; the server is the authority and its answer comes back by pull.

Public API (stable; the screens in ui/documents/ build on it):

- `validate(fields, *, stage="draft", store=None) -> list[ValidationError]` — every problem,
  each naming its element (`err.field`); `compose(store, *, me, fields, now=None) ->
  (doc_id, Changes)`; `update_draft(store, *, me, doc_id, fields) -> Changes`.
- `open_document(store, doc_id, *, me, now=None) -> DocumentView` (documents_view.py):
  elements, body (clean and marked), attachments, timeline, receipts, revisions,
  `allowed` actions for me now, `waiting_on_server` notes.
- `act(store, *, me, doc_id, action, step=None, opinion="", signature=None, to_step=None,
  to_user=None, values=None, valid_from=None, valid_until=None, on_behalf_of=None, now=None)
  -> Changes` — refuses locally (PermissionDenied / ValidationError) what the flow would refuse.
  `submit` on a draft starts the flow (送审).
- `save_body(store, *, me, doc_id, body, now=None) -> Changes` (a revision with its author
  and base); `compare(old, new) -> [(op, text)]` with op in equal/insert/delete
  (documents_compare.py); `reapply_revision(store, *, me, doc_id, revision_id)` resolves a
  conflicted revision.
- `delete_draft(store, *, me, doc_id)`: a draft never sent, by its drafter.
- `attach_file(store, *, me, doc_id, name, data, mime=None) -> Changes` (size limit).
- `list_documents(store, *, me, box, query="", kind=None, urgency=None, state=None,
  limit=500) -> list[dict]` for boxes todo/doing/done/drafts/incoming/outgoing/to_read.
- `phrases(store, *, me)`, `add_phrase`, `remove_phrase` (常用意见);
  `delegations(store, *, me)`, `delegate(...)` (委托); `resend` / `chase` (重发/催收)
  — these live in documents_boxes.py and are re-exported here.
- 用印 is `act(..., action="approve", step="seal")` by the issuing unit's 印章管理员: the
  server lays the signed-off document out and seals it; the 正式文件 (sealed PDF) and the
  exchange package arrive as read-only attachments (`sealed_attachment_id`,
  `package_attachment_id`). 分发 needs the 正式文件. `request_seal(transport, *, doc_id)`
  asks again when making it failed (`seal_state` failed, `seal_error` says why).

Record fields (collection `documents`): columns direction, doc_kind, title, body, doc_number,
secrecy, urgency, state, unit_id, created_at; data: the other elements (copy_no, secrecy_term,
issuer_mark, signers, signed_off_on, main_to / cc_to = unit ids, main_to_names / cc_to_names,
attachments [{name, attachment_id, size}], issuer_name, date, note, printer, print_date,
countersign_departments, co_issuing_units). Server-owned (never set by a client): state,
doc_number, holder_ids, flow_step, flow_status, due_at, receipts, reader_ids, read_ids,
body_rev, voided_numbers, sealed_attachment_id, source_id, sender_unit_id, recipient_unit_id,
content_version, content_device.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from oa_client.domain.document import (
    as_ids,
    gap_names,
    gaps_message,
    issue_gaps,
    parse_document,
    problems,
)
from oa_client.domain.ids import new_id
from oa_client.domain.workflow import Event
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from oa_client.services.documents_base import get_document, me_ids
from oa_client.services.documents_boxes import (
    BOXES,
    FINAL_STATES,
    add_phrase,
    chase,
    delegate,
    delegations,
    list_documents,
    phrases,
    remove_phrase,
    resend,
)
from oa_client.services.documents_compare import compare
from oa_client.services.documents_flow import dumps_values, replay
from oa_client.services.documents_routing import check_values as check_routing
from oa_client.services.documents_view import DocumentView, build_view, with_gaps
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

__all__ = [
    "BOXES", "FINAL_STATES", "MAX_ATTACHMENT_BYTES", "DocumentView", "act", "add_phrase",
    "attach_file", "chase", "compare", "compose", "delegate", "delegations", "delete_draft",
    "get_document", "list_documents", "me_ids", "open_document", "phrases", "reapply_revision",
    "remove_phrase", "request_seal", "resend", "save_body", "update_draft", "validate",
]

#: largest attachment a 公文 may carry (the server refuses a bigger declared size too)
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
#: elements a client may write on a document (the rest is the server's)
ELEMENT_FIELDS = (
    "direction", "doc_kind", "title", "body", "secrecy", "secrecy_term", "urgency", "copy_no",
    "issuer_mark", "signers", "main_to", "cc_to", "main_to_names", "cc_to_names", "attachments",
    "issuer_name", "date", "note", "printer", "print_date", "countersign_departments",
    "co_issuing_units", "audience_units",
)
SERVER_FIELDS = (
    "state", "doc_number", "holder_ids", "flow_step", "flow_status", "due_at", "receipts",
    "reader_ids", "read_ids", "body_rev", "voided_numbers", "sealed_attachment_id", "source_id",
    "sender_unit_id", "recipient_unit_id", "signed_off_on", "audience_users", "audience_roles",
    "content_version", "content_device", "package_attachment_id", "seal_state", "seal_error",
    "sealed_sha256", "sealed_at", "frozen_attachments", "signed_digest",
)


# -- elements ------------------------------------------------------------------------------

def _unit_names(store: LocalStore | None, ids: list[str]) -> list[str]:
    if store is None or not ids:
        return list(ids)
    found = store.records.get_many("units", list(ids))
    return [str(found[i]["name"]) if i in found else i for i in ids]


def domain_data(fields: dict[str, Any], store: LocalStore | None = None) -> dict[str, Any]:
    """The elements as oa_client.domain.document.Document takes them (unit ids → names)."""
    main_ids, cc_ids = as_ids(fields.get("main_to")), as_ids(fields.get("cc_to"))
    data = {
        "direction": fields.get("direction") or "outgoing",
        "copy_no": fields.get("copy_no"), "secrecy": fields.get("secrecy"),
        "secrecy_term": fields.get("secrecy_term"), "urgency": fields.get("urgency"),
        "issuer_mark": fields.get("issuer_mark") or "", "doc_number": fields.get("doc_number"),
        "signers": fields.get("signers") or [], "signed_off_on": fields.get("signed_off_on"),
        "kind": fields.get("doc_kind") or fields.get("kind") or "通知",
        "title": fields.get("title"), "body": fields.get("body") or "",
        "main_to": fields.get("main_to_names") or _unit_names(store, main_ids),
        "cc_to": fields.get("cc_to_names") or _unit_names(store, cc_ids),
        "attachments": [{"name": a.get("name") or ""} for a in fields.get("attachments") or []],
        "issuer_name": fields.get("issuer_name"), "date": fields.get("date") or None,
        "note": fields.get("note"), "printer": fields.get("printer"),
        "print_date": fields.get("print_date") or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def validate(fields: dict[str, Any], *, stage: str = "draft",
             store: LocalStore | None = None) -> list[ValidationError]:
    """Every problem with the elements for a stage (draft / sign_off / issue), each naming its
    element in `.field`; [] when all is well."""
    try:
        doc = parse_document(domain_data(fields, store), stage=None)
    except ValidationError as exc:
        return [exc]
    found = problems(doc, stage=stage)  # type: ignore[arg-type]
    for a in fields.get("attachments") or []:
        if int(a.get("size") or 0) > MAX_ATTACHMENT_BYTES:
            found.append(_too_big(a.get("name") or ""))
    if store is not None:
        found.extend(unit_problems(store, fields))
    return found


def issue_gaps_of(store: LocalStore, doc: dict[str, Any]) -> list[ValidationError]:
    """What keeps a 发文 from 编号 and 用印, as the server judges it (a missing 签发人,
    发文机关署名, 成文日期, 主送机关 …, each naming its element); [] when complete."""
    try:
        parsed = parse_document(domain_data(doc, store), stage=None)
    except ValidationError as exc:
        return [exc]
    return issue_gaps(parsed)


#: the 发文 steps that need every element: a 公文 with a gap gets no number and no seal
GAPLESS_STEPS = ("number", "seal")


def unit_problems(store: LocalStore, fields: dict[str, Any]) -> list[ValidationError]:
    """主送/抄送 units the local org chart does not know (dissolved or never existed)."""
    out = []
    for key in ("main_to", "cc_to"):
        ids = as_ids(fields.get(key))
        known = store.records.get_many("units", ids)
        for unit_id in ids:
            unit = known.get(unit_id)
            if unit is None or unit.get("deleted"):
                name = (unit or {}).get("name") or unit_id
                out.append(ValidationError(
                    _("收文单位“{unit}”不存在或已撤销，不能向其发文").format(unit=name), field=key))
    return out


def _too_big(name: str) -> ValidationError:
    return ValidationError(_("附件“{name}”超过 {mb} MB 的大小限制").format(
        name=name, mb=MAX_ATTACHMENT_BYTES // (1024 * 1024)), field="attachments")


def _clean(fields: dict[str, Any], store: LocalStore) -> dict[str, Any]:
    out = {k: fields[k] for k in ELEMENT_FIELDS if k in fields}
    if "kind" in fields and "doc_kind" not in out:
        out["doc_kind"] = fields["kind"]
    for key in ("main_to", "cc_to"):
        if key in out:
            out[key] = as_ids(out[key])
            out[f"{key}_names"] = _unit_names(store, out[key])
    for key in ("date", "print_date"):
        if isinstance(out.get(key), date):
            out[key] = out[key].isoformat()
    doc = parse_document(domain_data({**out}, store), stage=None)
    out["doc_kind"] = doc.kind.value
    out["secrecy"] = doc.secrecy
    out["urgency"] = doc.urgency
    out["title"] = doc.title
    return out


def _raise_first(found: list[ValidationError]) -> None:
    if found:
        raise found[0]


def compose(store: LocalStore, *, me: dict[str, Any], fields: dict[str, Any],
            now: datetime | None = None) -> tuple[str, Changes]:
    """Save a new 发文 draft (起草); refuses bad elements with a ValidationError naming one."""
    user_id, unit_id, dept_id = me_ids(me)
    _raise_first(validate(fields, store=store))
    record = _clean(fields, store)
    doc_id = str(fields.get("id") or new_id())
    record.update(id=doc_id, direction="outgoing", state="draft", unit_id=unit_id,
                  created_at=rec_svc.now_or(now).isoformat(), drafter_id=user_id,
                  drafter_name=str(me.get("name") or ""), department_id=dept_id,
                  body_rev=0, attachments=record.get("attachments") or [])
    return doc_id, rec_svc.save(store, "documents", record)


def is_seal_keeper(me: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Whether I keep a seal the document bears: the issuing unit's, or a 联合发文 unit's
    (only a 印章管理员 of one of those units takes 用印)."""
    _user, unit_id, _dept = me_ids(me)
    units = [doc.get("unit_id"), *(doc.get("co_issuing_units") or [])]
    return "seal_keeper" in (me.get("roles") or []) and unit_id in units


def may_edit_draft(store: LocalStore, me: dict[str, Any], doc: dict[str, Any]) -> bool:
    """The drafter edits a draft, and so does the 科长 of the drafter's section (as the server)."""
    user_id, unit_id, dept_id = me_ids(me)
    drafter_id = doc.get("drafter_id")
    if drafter_id in (None, user_id):
        return True
    drafter = store.records.get_many("users", [drafter_id]).get(drafter_id) or {}
    return ("section_chief" in (me.get("roles") or []) and drafter.get("unit_id") == unit_id
            and dept_id is not None and drafter.get("department_id") == dept_id)


def update_draft(store: LocalStore, *, me: dict[str, Any], doc_id: str,
                 fields: dict[str, Any]) -> Changes:
    """Change a draft's elements (its drafter or the section's 科长, only while a draft)."""
    doc = get_document(store, doc_id)
    if doc.get("state") not in (None, "", "draft") or not may_edit_draft(store, me, doc):
        raise PermissionDenied(_("只有拟稿人可以在起草阶段修改公文要素"))
    merged = {**doc, **fields}
    _raise_first(validate(merged, store=store))
    record = {**doc, **_clean(merged, store)}
    return rec_svc.save(store, "documents", record)


# -- attachments ---------------------------------------------------------------------------

def attach_file(store: LocalStore, *, me: dict[str, Any], doc_id: str, name: str,
                data: bytes, mime: str | None = None) -> Changes:
    """Attach a file to a document (附件); over MAX_ATTACHMENT_BYTES is refused, nothing stored."""
    doc = get_document(store, doc_id)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _too_big(name)
    att_id, changes = store.blobs.put(owner_kind="document", owner_id=doc_id, name=name,
                                      data=data, mime=mime, sync=True)
    if doc.get("state") in (None, "", "draft"):
        atts = [*(doc.get("attachments") or []),
                {"name": name.rsplit(".", 1)[0] if "." in name else name,
                 "attachment_id": att_id, "size": len(data)}]
        changes.merge(rec_svc.save(store, "documents", {**doc, "attachments": atts}))
    return changes


def _signature_attachment(store: LocalStore, doc_id: str, signature: dict[str, Any]) -> tuple[str, Changes]:
    png = signature.get("png")
    if not isinstance(png, (bytes, bytearray)) or not png:
        raise ValidationError(_("手写签名缺少图像"), field="signature")
    strokes = signature.get("strokes") or []
    att_id, changes = store.blobs.put(owner_kind="document", owner_id=doc_id,
                                      name=f"签名-{new_id()[:8]}.png", data=bytes(png),
                                      mime="image/png", sync=True, purpose="signature")
    changes.merge(Changes(collections={"attachments"}, ids={att_id}))
    signature["strokes"] = strokes
    return att_id, changes


# -- acting on the flow --------------------------------------------------------------------

def _event_record(doc_id: str, event: Event, **extra: Any) -> dict[str, Any]:
    data = event.model_dump(mode="json", exclude_none=True)
    data.pop("opened", None)
    data.update(document_id=doc_id, status="pending", created_at=data["at"], **extra)
    return data


def start_values(doc: dict[str, Any], store: LocalStore | None = None) -> dict[str, Any]:
    """What the flow conditions read from a document (kind, urgency, 会签 lists, and
    `leader_unit`: the parent unit, whose leaders sign for an office such as 市政府办公室)."""
    unit = (store.records.get_many("units", [doc["unit_id"]]).get(doc["unit_id"], {})
            if store is not None and doc.get("unit_id") else {})
    vals = {"kind": doc.get("doc_kind") or "", "urgency": doc.get("urgency") or None,
            "countersign_departments": doc.get("countersign_departments") or None,
            "co_issuing_units": doc.get("co_issuing_units") or None,
            "leader_unit": unit.get("parent_id") or doc.get("unit_id")}
    return {k: v for k, v in vals.items() if v is not None}


def act(store: LocalStore, *, me: dict[str, Any], doc_id: str, action: str,
        step: str | None = None, opinion: str = "", signature: dict[str, Any] | None = None,
        to_step: str | None = None, to_user: str | None = None,
        values: dict[str, Any] | None = None, valid_from: date | None = None,
        valid_until: date | None = None, on_behalf_of: str | None = None,
        now: datetime | None = None) -> Changes:
    """Take one flow action (送审/同意/退回/撤回/转办/委托/催办/已阅) offline.

    Refused here exactly as the server would refuse it: PermissionDenied when I may not act,
    ValidationError (with `field`) for bad input such as 退回 without a reason.
    """
    user_id, unit_id, dept_id = me_ids(me)
    doc = get_document(store, doc_id)
    at = rec_svc.now_or(now)
    workflow, state, _records = replay(store, doc)
    changes = Changes(collections={"documents", "document_events"})
    pending: list[dict[str, Any]] = []
    if state.status == "not_started":
        if doc.get("direction") == "incoming":
            raise PermissionDenied(_("收文尚未送达，请同步后再办理"))
        if user_id != doc.get("drafter_id") and doc.get("created_by") not in (None, user_id):
            raise PermissionDenied(_("只有拟稿人可以送审"))
        _raise_first(validate(doc, stage="sign_off", store=store))
        start = Event(id=new_id(), action="start", actor_id=user_id, at=at, unit_id=unit_id,
                      department_id=dept_id, values=start_values(doc, store))
        workflow.check(state, start)
        state = workflow.apply(state, start)
        pending.append(_event_record(doc_id, start))
        step = step or (state.current.step if state.current else None)
    if action == "approve" and step == "seal" and doc.get("direction") == "outgoing" \
            and not is_seal_keeper(me, doc):
        raise PermissionDenied(_("只有本单位的印章管理员可以用印"))
    if action == "approve" and step in GAPLESS_STEPS and doc.get("direction") == "outgoing":
        gaps = issue_gaps_of(store, doc)
        if gaps:
            raise ValidationError(gaps_message(str(step), gaps), field=gaps[0].field)
    if action == "approve" and step == "dispatch":
        if doc.get("direction") == "outgoing" and not doc.get("sealed_attachment_id"):
            raise ValidationError(_("正式文件尚未生成（用印未完成），不能分发"),
                                  field="sealed_attachment_id")
        if doc.get("direction") == "outgoing" and not (as_ids(doc.get("main_to"))
                                                       or as_ids(doc.get("cc_to"))):
            raise ValidationError(_("没有主送（分送）或抄送单位，不能分发：请填写主送机关"),
                                  field="main_to")
        _raise_first(unit_problems(store, doc))
    if values and action == "approve":
        check_routing(store, doc, values)
    if action == "return" and not opinion.strip():
        raise ValidationError(_("退回必须填写理由"), field="opinion")
    if action == "approve" and step == "recheck" and \
            int(doc.get("body_rev") or 0) > int(doc.get("signed_body_rev") or 0):
        values = {**(values or {}), "substantive_change": True}  # back to the signer (as the server)
    signature_id = None
    if signature:
        signature_id, sig_changes = _signature_attachment(store, doc_id, signature)
        changes.merge(sig_changes)
    event = Event(
        id=new_id(), action=action, actor_id=user_id, at=at,  # type: ignore[arg-type]
        step=step if action != "delegate" else None, on_behalf_of=on_behalf_of,
        opinion=opinion.strip(), signature_id=signature_id, to_step=to_step, to_user=to_user,
        valid_from=valid_from, valid_until=valid_until, values=dumps_values(values))
    workflow.check(state, event)
    task = None
    if action == "approve" and step == "instruct":  # checked before anything is written
        task = _supervision_task(store, me=me, doc=doc, values={**state.values, **(values or {})},
                                 opinion=opinion, at=at, ordered_by=on_behalf_of)
    extra = {"signature_strokes": signature.get("strokes")} if signature else {}
    pending.append(_event_record(doc_id, event, actor_name=str(me.get("name") or ""), **extra))
    for rec in pending:
        changes.merge(rec_svc.append_event(store, "document_events", rec))
    if task is not None:  # after the 批示 it cites: the server finds it there
        changes.merge(rec_svc.save(store, "supervision_tasks", task))
    return changes


def _supervision_task(store: LocalStore, *, me: dict[str, Any], doc: dict[str, Any],
                      values: dict[str, Any], opinion: str, at: datetime,
                      ordered_by: str | None) -> dict[str, Any] | None:
    """A 批示 marked for supervision (`supervise`: True, or the task's details) opens a
    督办事项, ordered by the leader it is written for (oa_client.services.supervision
    .instruction_task)."""
    from oa_client.services import supervision

    return supervision.instruction_task(
        store, me=me, doc=doc, supervise=values.get("supervise"), opinion=opinion,
        handling_days=values.get("supervise_days") or values.get("handling_days"),
        today=at.date(), ordered_by=ordered_by)


# -- body and revisions --------------------------------------------------------------------

def save_body(store: LocalStore, *, me: dict[str, Any], doc_id: str, body: str,
              now: datetime | None = None) -> Changes:
    """Edit the body (正文): a revision with its author and the body revision it started from.

    The drafter edits a draft; afterwards the holder of the current step (核稿, 复核 …).
    The server takes it when nobody changed the body meanwhile, else keeps it as a
    conflicted revision (nothing lost) and the server's body stays.
    """
    user_id, _unit, _dept = me_ids(me)
    doc = get_document(store, doc_id)
    _workflow, state, _records = replay(store, doc)
    if state.status == "not_started":
        if not may_edit_draft(store, me, doc):
            raise PermissionDenied(_("只有拟稿人可以修改草稿正文"))
    elif state.status != "running" or user_id not in state.holders:
        raise PermissionDenied(_("只有当前环节的办理人可以修改正文"))
    if doc.get("direction") == "incoming":
        raise PermissionDenied(_("收文的正文不能修改"))
    at = rec_svc.now_or(now).isoformat()
    step = state.current.step if state.current else "draft"
    revision = {"id": new_id(), "document_id": doc_id, "base_rev": int(doc.get("body_rev") or 0),
                "author_id": user_id, "author_name": str(me.get("name") or ""), "body": body,
                "previous": doc.get("body") or "", "step": step, "conflicted": 0,
                "created_at": at, "status": "pending"}
    changes = rec_svc.append_event(store, "document_revisions", revision)
    # the local copy shows the new body at once (no op: the revision carries it to the server)
    # the local copy counts the revision too: a later upsert of the draft says which body it
    # carries, so the server never lets an older queued upsert put the old text back
    changes.merge(store.records.write("documents", [{**doc, "body": body,
                                                     "body_rev": revision["base_rev"] + 1}]))
    return changes


def reapply_revision(store: LocalStore, *, me: dict[str, Any], doc_id: str, revision_id: str,
                     now: datetime | None = None) -> Changes:
    """Resolve a conflicted revision: take its body again on top of the server's current body
    (a new revision with the current base; compare the two first with `compare`)."""
    rev = store.records.get("document_revisions", revision_id)
    if rev.get("document_id") != doc_id or not rev.get("conflicted"):
        raise ValidationError(_("只能重新提交本文的冲突版本"), field="revision_id")
    return save_body(store, me=me, doc_id=doc_id, body=str(rev.get("body") or ""), now=now)


def delete_draft(store: LocalStore, *, me: dict[str, Any], doc_id: str) -> Changes:
    """Delete a draft that was never sent (its drafter only)."""
    doc = get_document(store, doc_id)
    _workflow, state, _records = replay(store, doc)
    if state.status != "not_started" or doc.get("drafter_id") not in (None, me_ids(me)[0]):
        raise PermissionDenied(_("只有拟稿人可以删除尚未送审的草稿"))
    return rec_svc.delete(store, "documents", doc_id)


def request_seal(transport: Any, *, doc_id: str) -> dict[str, Any]:
    """Ask the server again for the 正式文件 when making it after 用印 failed (印章管理员 of the
    issuing unit only; a sealed document returns its file); it arrives with the next sync.
    `transport` is the signed-in sync transport (anything with `request(method, path)`)."""
    return dict(transport.request("POST", f"/documents/{doc_id}/seal").json())


def open_document(store: LocalStore, doc_id: str, *, me: dict[str, Any],
                  now: datetime | None = None) -> DocumentView:
    """Everything the document window shows (see documents_view.DocumentView); for a 发文
    from 复核 on, the elements still missing before 编号 and 用印 (whose buttons then say why
    they cannot be taken)."""
    view = build_view(store, doc_id, me=me, now=rec_svc.now_or(now))
    if view.direction != "outgoing" or view.state not in ("recheck", *GAPLESS_STEPS):
        return view
    gaps = issue_gaps_of(store, view.record)
    return with_gaps(view, gap_names(gaps), {
        step: gaps_message(step, gaps) for step in GAPLESS_STEPS} if gaps else {})
