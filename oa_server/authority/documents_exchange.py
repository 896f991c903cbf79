"""Server-side effects of the 发文 steps: 编号 (numbers), and 分发 (公文交换) with receipts.

- `assign_number`: 发文字号 from `ctx.next_number("docno:<代字>:<year>")` — atomic under the
  revision lock, never twice; a number voided by a return is logged (data + audit).
- `void_seal`: a 正式文件 made before the document went back (to be changed, or numbered
  again) no longer matches it: the document lets go of it (分发 waits for a new 用印), and its
  files stay among the document's attachments marked 已作废 (audited).
- `dispatch`: for every 主送/抄送 unit an incoming copy (direction incoming) handled by that
  unit's 收发员, started in the 收文 flow at 签收; the outgoing copy gets one receipt per unit,
  honest about each state: 已发送 (`sent_at`) when the server wrote the 收文; 已送达
  (`delivered_at`) when a pull first hands it to a device of someone of the receiving unit who
  sees it (`mark_delivered`, called by the pull); 已签收 / 已退回 (with the reason) when a person
  of the receiving unit acts. Those fields are the server's only. The copy carries
  the attachments frozen at 签发 (`frozen_attachments`), the 正式文件 and the exchange package,
  as the server's own read-only attachments of the incoming document.
"""

from __future__ import annotations

import uuid
from typing import Any

from oa_client.domain.document import as_ids, format_doc_number
from oa_client.domain.workflow import Event
from oa_server.authority.context import Ctx
from oa_server.authority.documents_rules import (
    DOCUMENTS,
    EVENTS,
    handling_unit,
    iso,
    server_owned,
    today,
)
from oa_server.authority.flow import FlowEvents

#: elements an incoming copy carries over from the outgoing document
CARRIED = (
    "doc_kind", "title", "body", "doc_number", "secrecy", "secrecy_term", "urgency", "copy_no",
    "issuer_mark", "signers", "signed_off_on", "main_to", "cc_to", "main_to_names",
    "cc_to_names", "attachments", "issuer_name", "date", "note", "printer", "print_date",
    "sealed_attachment_id",
)
BEFORE_NUMBER = ("draft", "review", "countersign", "sign_off", "recheck")
#: what a document holds about its 正式文件 (oa_server/sealing.py); cleared by `void_seal`
SEALED_FIELDS = ("sealed_attachment_id", "package_attachment_id", "sealed_sha256", "sealed_at",
                 "seal_state", "seal_error")
ATTACHMENTS = "attachments"


def assign_number(ctx: Ctx, doc: dict[str, Any]) -> dict[str, Any]:
    """Give the document its 发文字号 (once; a document that has one keeps it). A 正式文件
    made before (the document came back to 编号) is void: 用印 comes next and makes a new one."""
    doc = void_seal(ctx, doc, reason="number")
    if doc.get("doc_number"):
        return doc
    unit = ctx.org.unit(doc.get("unit_id"))
    code = getattr(unit, "doc_code", None) or ""
    year = today(ctx).year
    seq = ctx.next_number(f"docno:{code}:{year}")
    number = format_doc_number(code, year, seq)
    ctx.audit("document.numbered", target=f"documents:{doc['id']}",
              details={"doc_number": number, "sequence": seq})
    return {**doc, "doc_number": number, "numbered_at": iso(ctx.now)}


def void_number(ctx: Ctx, doc: dict[str, Any], *, reason: str) -> dict[str, Any]:
    """Take the number back when the document returns before 编号: logged, never reused
    (and the 正式文件 that bears it with it)."""
    doc = void_seal(ctx, doc, reason=reason)
    number = doc.get("doc_number")
    if not number:
        return doc
    entry = {"doc_number": number, "voided_at": iso(ctx.now), "by": ctx.user_id, "reason": reason}
    ctx.audit("document.number_voided", target=f"documents:{doc['id']}", details=entry)
    return {**doc, "doc_number": None, "voided_numbers": [*(doc.get("voided_numbers") or []), entry]}


def void_seal(ctx: Ctx, doc: dict[str, Any], *, reason: str) -> dict[str, Any]:
    """Let go of the document's 正式文件 and exchange package (see the module doc)."""
    if not doc.get("sealed_attachment_id") and not doc.get("package_attachment_id"):
        return doc
    for key in ("sealed_attachment_id", "package_attachment_id"):
        att = ctx.get(ATTACHMENTS, str(doc[key])) if doc.get(key) else None
        if att is not None and att.get("role") != "voided":
            ctx.put(ATTACHMENTS, str(att["id"]), {
                **att, "role": "voided", "voided_role": att.get("role"),
                "voided_at": iso(ctx.now), "name": voided_name(str(att.get("name") or ""))})
    ctx.audit("document.seal_voided", target=f"documents:{doc['id']}", details={
        "doc_number": doc.get("doc_number"), "sealed_sha256": doc.get("sealed_sha256"),
        "sealed_attachment_id": doc.get("sealed_attachment_id"), "reason": reason})
    return {**doc, **dict.fromkeys(SEALED_FIELDS)}


def voided_name(name: str) -> str:
    """A voided file's name: 「…（正式文件）.pdf」 → 「…（正式文件）（已作废）.pdf」."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}（已作废）.{ext}" if dot and stem else f"{name}（已作废）"


def recipients(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(unit id, main|cc) for every receiving unit, 主送 first, without repeats."""
    out: dict[str, str] = {}
    for key, kind in (("main_to", "main"), ("cc_to", "cc")):
        for unit_id in as_ids(doc.get(key)):
            out.setdefault(unit_id, kind)
    return list(out.items())


def _incoming_id(doc_id: str, unit_id: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa-exchange:{doc_id}:{unit_id}:{n}"))


def deliver(ctx: Ctx, events: FlowEvents, doc: dict[str, Any], unit_id: str, kind: str,
            n: int) -> dict[str, Any]:
    """Create the incoming copy for one receiving unit, started at 签收; return its receipt.

    `events` is the 公文 flow (its `workflow` and `project`), passed in by the flow itself."""
    handler = handling_unit(ctx, unit_id)
    unit = ctx.org.unit(unit_id)
    sender = ctx.org.unit(doc.get("unit_id"))
    data = {k: doc.get(k) for k in CARRIED if doc.get(k) is not None}
    data.update(direction="incoming", state="receive", source_id=str(doc["id"]),
                sender_unit_id=doc.get("unit_id"), sender_name=getattr(sender, "name", ""),
                recipient_unit_id=unit_id, recipient_kind=kind, created_at=iso(ctx.now),
                holder_ids=[], receipts={}, audience_units=sorted({unit_id, handler}),
                delivery_pending=True)
    # seen as the rule says (visibility); a new record of the server's, never a desk's that
    # stands at the derived id (`fresh`): the copy gets another id then
    inc_id = ctx.put(DOCUMENTS, _incoming_id(str(doc["id"]), unit_id, n), data,
                     unit_id=handler, fresh=True)
    copies = _carry_attachments(ctx, doc, inc_id)
    inc = {**data, "id": inc_id, "unit_id": handler}
    for key in ("sealed_attachment_id", "package_attachment_id"):
        if doc.get(key):
            inc[key] = copies.get(str(doc[key]))
    inc["attachments"] = [{**a, "attachment_id": copies.get(str(a.get("attachment_id")))}
                          for a in doc.get("attachments") or [] if isinstance(a, dict)]
    workflow = events.workflow(ctx, inc)
    start = Event(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{inc_id}:start")), action="start",
                  actor_id=ctx.user_id, at=ctx.now, unit_id=handler,
                  values={k: v for k, v in {"kind": doc.get("doc_kind"),
                                            "urgency": doc.get("urgency")}.items() if v})
    state0 = workflow.replay([])
    pinned = workflow.pin(state0, start)
    ev = {**pinned.model_dump(mode="json", exclude_none=True), "document_id": inc_id,
          "status": "applied", "created_at": iso(ctx.now), "actor_name": ctx.user.name,
          "seq": 1}
    start_id = ctx.put(EVENTS, pinned.id, ev, fresh=True)
    if start_id != pinned.id:
        pinned, ev = pinned.model_copy(update={"id": start_id}), {**ev, "id": start_id}
    state = workflow.apply(state0, pinned)
    inc = events.project(ctx, inc, state, ev)
    ctx.put(DOCUMENTS, inc_id, inc)
    return {"unit_name": getattr(unit, "name", unit_id), "kind": kind, "status": "sent",
            "sent_at": iso(ctx.now), "incoming_id": inc_id, "handling_unit_id": handler,
            "sent": n + 1}


def frozen_attachments(ctx: Ctx, doc: dict[str, Any]) -> list[str]:
    """Ids of the document's own attachments now (for 签发): not the handwritten signatures on
    opinions, which stay with the sender, nor the server's files."""
    signatures = {e.get("signature_id") for e in ctx.children(EVENTS, DOCUMENTS, str(doc["id"]))}
    return [att["id"] for att in ctx.children("attachments", DOCUMENTS, str(doc["id"]))
            if att.get("owner_kind") == "document" and att.get("purpose") != "signature"
            and att["id"] not in signatures and not server_owned(att)]


def _carry_attachments(ctx: Ctx, doc: dict[str, Any], inc_id: str) -> dict[str, str]:
    """Copy to the incoming document what 分发 carries: the attachments frozen at 签发, the
    正式文件 and the exchange package; return original id → copy id."""
    frozen = doc.get("frozen_attachments")
    if frozen is None:  # signed off before the frozen list was kept
        frozen = frozen_attachments(ctx, doc)
    wanted = {str(a) for a in frozen}
    wanted |= {str(doc[k]) for k in ("sealed_attachment_id", "package_attachment_id") if doc.get(k)}
    copies: dict[str, str] = {}
    for att in ctx.children("attachments", DOCUMENTS, str(doc["id"])):
        if att["id"] not in wanted:
            continue
        copy = {k: att.get(k) for k in ("owner_kind", "name", "size", "sha256", "mime")}
        copy.update(owner_id=inc_id, server_owned=True, role=att.get("role") or "carried",
                    source_attachment_id=att["id"])
        copies[att["id"]] = ctx.put(ATTACHMENTS, str(uuid.uuid5(
            uuid.NAMESPACE_URL, f"{inc_id}:{att['id']}")), copy, fresh=True)
    return copies


def dispatch(ctx: Ctx, events: FlowEvents, doc: dict[str, Any]) -> dict[str, Any]:
    """分发: deliver to every 主送/抄送 unit; the document with one receipt per unit."""
    receipts = dict(doc.get("receipts") or {})
    for unit_id, kind in recipients(doc):
        if unit_id in receipts:
            continue
        receipts[unit_id] = deliver(ctx, events, doc, unit_id, kind, 0)
    ctx.audit("document.dispatched", target=f"documents:{doc['id']}",
              details={"doc_number": doc.get("doc_number"), "units": sorted(receipts)})
    return {**doc, "receipts": receipts, "dispatched_at": iso(ctx.now)}


def update_receipt(ctx: Ctx, incoming: dict[str, Any], entry: dict[str, Any]) -> None:
    """Write what the receiving unit did onto the sender's receipt for it."""
    source = ctx.get(DOCUMENTS, str(incoming.get("source_id") or ""))
    unit_id = str(incoming.get("recipient_unit_id") or "")
    if source is None or unit_id not in (source.get("receipts") or {}):
        return
    receipts = dict(source["receipts"])
    if receipts[unit_id].get("incoming_id") not in (None, incoming.get("id")):
        return  # an older copy (before a 重发) no longer speaks for the unit
    receipts[unit_id] = {**receipts[unit_id], **entry}
    ctx.put(DOCUMENTS, str(source["id"]), {**source, "receipts": receipts})


#: how a 收文 not yet handed to its unit reads in its stored JSON (canonical: no spaces)
PENDING_MARK = '"delivery_pending":true'


def receiving_units(incoming: dict[str, Any]) -> set[str]:
    """The units a 收文 is for: the addressed unit and the unit that handles its mail."""
    return {str(u) for u in [incoming.get("recipient_unit_id"), incoming.get("unit_id"),
                             *(incoming.get("audience_units") or [])] if u}


def mark_delivered(ctx: Ctx, incoming_id: str) -> bool:
    """已送达: a pull handed the 收文 to `ctx.user`'s device. Recorded once, only for a user of
    the receiving unit who sees the 收文, on the receipt of the copy that is current for the
    unit (a 重发 makes a new one); True when something was recorded."""
    incoming = ctx.get(DOCUMENTS, incoming_id)
    if incoming is None or incoming.get("direction") != "incoming" \
            or not incoming.get("delivery_pending"):
        return False
    if str(ctx.user.unit_id) not in receiving_units(incoming) \
            or not ctx.visible(DOCUMENTS, incoming_id):
        return False
    at = iso(ctx.now)
    data = {k: v for k, v in incoming.items() if k != "delivery_pending"}
    data["delivered_at"] = at
    ctx.put(DOCUMENTS, incoming_id, data)
    source = ctx.get(DOCUMENTS, str(incoming.get("source_id") or ""))
    unit_id = str(incoming.get("recipient_unit_id") or "")
    ctx.audit("document.delivered", target=f"documents:{incoming_id}",
              details={"source_id": incoming.get("source_id"), "unit_id": unit_id,
                       "device_id": ctx.device_id})
    receipt = ((source or {}).get("receipts") or {}).get(unit_id)
    if source is None or receipt is None or receipt.get("incoming_id") != incoming_id:
        return True  # an older copy (before a 重发) no longer speaks for the unit
    if receipt.get("status") == "sent":
        receipts = {**source["receipts"], unit_id: {
            **receipt, "status": "delivered", "delivered_at": at,
            "delivered_to": ctx.user.name, "delivered_device": ctx.device_id}}
        ctx.put(DOCUMENTS, str(source["id"]), {**source, "receipts": receipts})
    return True
