"""公文 lists (待办/在办/已办/草稿/收文/发文/待阅), 常用意见, 委托 and 回执 actions (重发/催收).

Part of the documents service API; import them from oa_client.services.documents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.services import records as rec_svc
from oa_client.services.documents_base import get_document, me_ids
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

BOXES = ("todo", "doing", "done", "drafts", "incoming", "outgoing", "to_read")
#: states in which a document's work is over
FINAL_STATES = ("dispatched", "archived", "refused")


# -- lists ---------------------------------------------------------------------------------

def _matches(doc: dict[str, Any], query: str, kind: str | None, urgency: str | None,
             state: str | None) -> bool:
    if kind and doc.get("doc_kind") != kind:
        return False
    if urgency and (doc.get("urgency") or "") != urgency:
        return False
    if state and doc.get("state") != state:
        return False
    if query:
        hay = " ".join(str(doc.get(k) or "") for k in ("title", "doc_number", "drafter_name"))
        return query in hay
    return True


def _my_events(store: LocalStore, user_id: str) -> set[str]:
    rows = store.db.query("SELECT DISTINCT document_id FROM document_events WHERE actor_id = ?"
                          " AND deleted = 0", (user_id,))
    return {r[0] for r in rows}


def list_documents(store: LocalStore, *, me: dict[str, Any], box: str, query: str = "",
                   kind: str | None = None, urgency: str | None = None,
                   state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Documents of one box, newest first: todo (I hold it now), doing (I acted, still
    running), done (I acted, finished), drafts (my unsent drafts), incoming, outgoing,
    to_read (传阅 to me, not yet read)."""
    if box not in BOXES:
        raise ValidationError(_("未知的公文列表：{box}").format(box=box), field="box")
    user_id, _unit, _dept = me_ids(me)
    query = " ".join(query.split())
    if box in ("incoming", "outgoing", "drafts"):
        # big boxes: filters on indexed columns in SQL, only the page is decoded
        sql, params = "SELECT id FROM documents WHERE deleted = 0", []
        for col, value in (("direction", box if box != "drafts" else None),
                           ("state", "draft" if box == "drafts" else state),
                           ("doc_kind", kind), ("urgency", urgency)):
            if value:
                sql += f" AND {col} = ?"
                params.append(value)
        if query:
            sql += " AND (instr(title, ?) > 0 OR instr(coalesce(doc_number, ''), ?) > 0)"
            params += [query, query]
        if box == "drafts":
            sql += " AND instr(data, ?) > 0"
            params.append(user_id)
        ids = [r[0] for r in store.db.query(sql + " ORDER BY created_at DESC LIMIT ?",
                                            (*params, limit))]
        found = store.records.get_many("documents", ids)
        docs = [found[i] for i in ids if i in found]
        if box == "drafts":  # never sent: no flow event yet (our own pending 送审 counts)
            sent = {r[0] for r in store.db.query(
                f"SELECT DISTINCT document_id FROM document_events WHERE document_id IN"
                f" ({','.join('?' * len(ids))})", tuple(ids))} if ids else set()
            docs = [d for d in docs if d.get("drafter_id") in (None, user_id)
                    and d["id"] not in sent]
    else:
        if box in ("todo", "to_read"):  # I hold its step or read it: the people index
            docs = store.records.waiting_for("documents", user_id, newest="created_at")
        else:
            ids = [r[0] for r in store.db.query(
                "SELECT id FROM documents WHERE deleted = 0 AND instr(data, ?) > 0"
                " ORDER BY created_at DESC", (user_id,))]
            acted = _my_events(store, user_id)
            ids = list(dict.fromkeys([*ids, *acted]))
            found = store.records.get_many("documents", ids)
            docs = [found[i] for i in ids if i in found and not found[i].get("deleted")]
        if box == "todo":
            docs = [d for d in docs if user_id in (d.get("holder_ids") or [])
                    and d.get("state") not in FINAL_STATES]
        elif box == "to_read":
            docs = [d for d in docs if user_id in (d.get("reader_ids") or [])
                    and user_id not in (d.get("read_ids") or [])]
        else:
            mine = [d for d in docs if d["id"] in acted and user_id not in (d.get("holder_ids") or [])]
            final = box == "done"
            docs = [d for d in mine if (d.get("state") in FINAL_STATES) == final]
        docs.sort(key=lambda d: str(d.get("created_at") or ""), reverse=True)
    return [d for d in docs if _matches(d, query, kind, urgency, state)][:limit]


# -- phrases and delegations ---------------------------------------------------------------

def phrases(store: LocalStore, *, me: dict[str, Any]) -> list[dict[str, Any]]:
    """My 常用意见 (collection `phrases`), in the order I saved them."""
    user_id, _unit, _dept = me_ids(me)
    return store.records.list("phrases", where={"owner_id": user_id}, order_by="id", limit=500)


def add_phrase(store: LocalStore, *, me: dict[str, Any], text: str) -> Changes:
    """Save a 常用意见 (empty text refused)."""
    user_id, _unit, _dept = me_ids(me)
    text = " ".join(text.split())
    if not text:
        raise ValidationError(_("常用意见不能为空"), field="text")
    return rec_svc.save(store, "phrases", {"owner_id": user_id, "text": text})


def remove_phrase(store: LocalStore, *, me: dict[str, Any], phrase_id: str) -> Changes:
    """Delete one of my 常用意见."""
    return rec_svc.delete(store, "phrases", phrase_id)


def delegations(store: LocalStore, *, me: dict[str, Any]) -> list[dict[str, Any]]:
    """委托 I gave or received (collection `delegations`)."""
    user_id, _unit, _dept = me_ids(me)
    return [d for d in store.records.list("delegations", limit=1000)
            if user_id in (d.get("principal_id"), d.get("delegate_id"))]


def delegate(store: LocalStore, *, me: dict[str, Any], delegate_id: str, start: date,
             end: date) -> Changes:
    """Let `delegate_id` act for me on every 公文 from `start` to `end` (inclusive)."""
    user_id, _unit, _dept = me_ids(me)
    if not delegate_id or delegate_id == user_id:
        raise ValidationError(_("请选择受委托人（不能是本人）"), field="delegate_id")
    if end < start:
        raise ValidationError(_("委托期限不完整或结束日期早于开始日期"), field="end")
    return rec_svc.save(store, "delegations", {
        "principal_id": user_id, "delegate_id": delegate_id, "start": start.isoformat(),
        "end": end.isoformat(), "principal_name": str(me.get("name") or "")})


# -- exchange receipts ---------------------------------------------------------------------

def _receipt_action(store: LocalStore, *, me: dict[str, Any], doc_id: str, unit_id: str,
                    kind: str, now: datetime | None) -> Changes:
    user_id, _unit, _dept = me_ids(me)
    doc = get_document(store, doc_id)
    receipts = doc.get("receipts") or {}
    if doc.get("direction") != "outgoing" or unit_id not in receipts:
        raise ValidationError(_("该单位不在本文的分发范围内"), field="unit_id")
    status = receipts[unit_id].get("status")
    if kind == "chase" and status not in ("sent", "delivered"):
        raise ValidationError(_("该单位已签收或已退回，无需催收"), field="unit_id")
    at = rec_svc.now_or(now).isoformat()
    return rec_svc.append_event(store, "document_events", {
        "document_id": doc_id, "receipt_action": kind, "receiving_unit_id": unit_id,
        "actor_id": user_id,
        "actor_name": str(me.get("name") or ""), "action": "urge", "at": at, "created_at": at,
        "status": "pending"})


def resend(store: LocalStore, *, me: dict[str, Any], doc_id: str, unit_id: str,
           now: datetime | None = None) -> Changes:
    """重发: send the document again to one receiving unit (after it was returned or lost)."""
    return _receipt_action(store, me=me, doc_id=doc_id, unit_id=unit_id, kind="resend", now=now)


def chase(store: LocalStore, *, me: dict[str, Any], doc_id: str, unit_id: str,
          now: datetime | None = None) -> Changes:
    """催收: remind a receiving unit that has not signed for the document yet."""
    return _receipt_action(store, me=me, doc_id=doc_id, unit_id=unit_id, kind="chase", now=now)
