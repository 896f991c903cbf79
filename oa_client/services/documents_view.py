"""What the document window shows: elements, body, attachments, timeline, receipts, revisions,
the actions I may take now and what waits on the server (built from the local store)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from oa_client.domain.workflow import FlowState, Workflow, action_label
from oa_client.i18n import _
from oa_client.services import seals
from oa_client.services.documents_base import (
    get_document,
    me_ids,
    receipt_label,
    state_label,
)
from oa_client.services.documents_compare import compare
from oa_client.services.documents_flow import replay
from oa_client.store.local import LocalStore

#: the time each receipt state was reached, as the server records it
RECEIPT_TIMES = (("sent", "sent_at"), ("delivered", "delivered_at"), ("received", "received_at"),
                 ("returned", "returned_at"))


@dataclass(frozen=True)
class TimelineEntry:
    """One action on the flow timeline: who, when, which step, the opinion and signature."""

    event_id: str
    action: str
    action_label: str
    step: str | None
    step_name: str
    actor_id: str
    actor_name: str
    at: str
    opinion: str = ""
    signature_id: str | None = None
    on_behalf_of: str | None = None
    on_behalf_name: str = ""
    delegated_note: str = ""  # "代陈志强" when taken under 委托
    outcome: str = "accepted"  # accepted / superseded / rejected / pending
    reason: str = ""
    to_step: str | None = None
    to_user: str | None = None

    @property
    def superseded(self) -> bool:
        """True when the action came after its step closed (kept and shown)."""
        return self.outcome == "superseded"


@dataclass(frozen=True)
class AllowedAction:
    """One button of the action bar: the action, its step, for whom, what it needs."""

    action: str
    label: str
    step: str | None
    on_behalf_of: str | None = None
    targets: tuple[tuple[str, str], ...] = ()  # 退回: (step id, step name)
    needs_opinion: bool = False
    writable: tuple[str, ...] = ()
    offline_note: str = ""
    blocked: str = ""  # why it cannot be taken now (the button is disabled, this its tooltip)


@dataclass(frozen=True)
class Receipt:
    """One receiving unit's 回执 on an outgoing document."""

    unit_id: str
    unit_name: str
    status: str
    status_label: str
    by_name: str = ""
    at: str = ""
    reason: str = ""
    incoming_id: str = ""
    chased: int = 0
    #: each state reached so far with its time: (status, ISO time), oldest first
    steps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OfficialFile:
    """The 正式文件 of a 公文 (the sealed PDF the server made at 用印) and its verdict here."""

    attachment_id: str
    name: str
    size: int
    sha256: str
    downloaded: bool
    verdict: dict[str, Any] | None = None  # oa_client.services.seals: ok, signer, at, reason …
    package_id: str | None = None


@dataclass
class DocumentView:
    """Everything the document window shows, for one user at one moment."""

    id: str
    record: dict[str, Any]
    direction: str
    state: str
    state_label: str
    elements: dict[str, Any]
    body: str
    body_marked: list[tuple[str, str]]
    attachments: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    receipts: list[Receipt]
    revisions: list[dict[str, Any]]
    allowed: list[AllowedAction]
    waiting_on_server: list[str]
    current_step: str | None = None
    current_step_name: str = ""
    holder_names: list[str] = field(default_factory=list)
    readers: list[tuple[str, bool]] = field(default_factory=list)  # 传阅: (name, has read)
    flow_status: str = "not_started"
    official: OfficialFile | None = None  # the 正式文件, once the server made it
    seal_state: str = ""  # "" / pending / failed / sealed (the server's, after 用印)
    missing: list[str] = field(default_factory=list)  # elements to complete before 编号/用印

    def can(self, action: str) -> bool:
        """True when the action bar offers this action."""
        return any(a.action == action for a in self.allowed)


def _names(store: LocalStore, ids: list[str]) -> dict[str, str]:
    found = store.records.get_many("users", [i for i in ids if i])
    return {i: str(u.get("name") or i) for i, u in found.items()}


def _step_name(workflow: Workflow, step: str | None) -> str:
    if step and workflow.definition.has_step(step):
        return workflow.definition.step(step).name
    return ""


def _timeline(store: LocalStore, workflow: Workflow, state: FlowState,
              records: list[dict[str, Any]]) -> list[TimelineEntry]:
    taken = {h.event_id: h for h in state.history}
    # one id each (a list an older server kept as 代办人 names nobody)
    people = {r.get("actor_id") or "" for r in records} | {
        r["on_behalf_of"] for r in records if isinstance(r.get("on_behalf_of"), str)}
    names = _names(store, list(people))
    out = []
    for rec in records:
        if rec.get("action") == "start" or rec.get("receipt_action"):
            continue
        status = rec.get("status") or "pending"
        hist = taken.get(rec["id"])
        outcome = {"applied": "accepted", "superseded": "superseded",
                   "rejected": "rejected"}.get(status, "pending")
        if status == "pending" and hist is not None and hist.outcome != "accepted":
            outcome = "rejected"
        behalf = rec.get("on_behalf_of") if rec.get("on_behalf_of") != rec.get("actor_id") else None
        behalf_name = names.get(behalf or "", "")
        step = (hist.step if hist else None) or rec.get("step")
        out.append(TimelineEntry(
            event_id=rec["id"], action=rec.get("action") or "",
            action_label=action_label(rec.get("action") or ""), step=step,
            step_name=_step_name(workflow, step), actor_id=rec.get("actor_id") or "",
            actor_name=names.get(rec.get("actor_id") or "", rec.get("actor_name") or ""),
            at=str(rec.get("at") or ""), opinion=rec.get("opinion") or "",
            signature_id=rec.get("signature_id"), on_behalf_of=behalf, on_behalf_name=behalf_name,
            delegated_note=_("代{name}").format(name=behalf_name) if behalf else "",
            outcome=outcome, reason=str(rec.get("reason") or (hist.reason if hist and
                                                               outcome == "rejected" else "") or ""),
            to_step=rec.get("to_step"), to_user=rec.get("to_user")))
    return out


def _allowed(workflow: Workflow, state: FlowState, doc: dict[str, Any], me: dict[str, Any],
             at: datetime) -> list[AllowedAction]:
    user_id, _unit, _dept = me_ids(me)
    out: list[AllowedAction] = []
    if state.status == "not_started":
        if doc.get("direction") == "outgoing" and doc.get("drafter_id") in (None, user_id):
            out.append(AllowedAction(action="submit", label=_("送审"), step="draft"))
        return out
    for a in workflow.allowed(state, user_id, at=at):
        if _needs_more(a.action, a.step, doc, me):
            continue
        sdef = workflow.definition.step(a.step) if a.step and workflow.definition.has_step(
            a.step) else None
        note = ""
        if a.step in ("number", "seal", "dispatch") and a.action == "approve":
            note = _("需要连接服务器才能完成，离线时排队等待")
        label = {"approve": sdef.name if sdef and a.step in ("number", "seal", "dispatch",
                                                              "receive") else action_label("approve")
                 }.get(a.action, action_label(a.action))
        out.append(AllowedAction(
            action=a.action, label=label, step=a.step, on_behalf_of=a.on_behalf_of,
            targets=tuple((t, _step_name(workflow, t)) for t in a.targets),
            needs_opinion=a.action == "return", writable=tuple(sdef.writable or ()) if sdef else (),
            offline_note=note))
    return out


def _needs_more(action: str, step: str | None, doc: dict[str, Any], me: dict[str, Any]) -> bool:
    """An action the flow allows but the document does not yet: 用印 by someone who keeps no
    seal of the issuing unit (a delegate), 分发 before the 正式文件 exists."""
    if doc.get("direction") != "outgoing" or action != "approve":
        return False
    if step == "seal":
        units = [doc.get("unit_id"), *(doc.get("co_issuing_units") or [])]
        return "seal_keeper" not in (me.get("roles") or []) or me_ids(me)[1] not in units
    return step == "dispatch" and not doc.get("sealed_attachment_id")


def _waiting(state: FlowState, doc: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    notes = []
    pending = [r for r in records if r.get("status") == "pending"]
    steps = {r.get("step") for r in pending if r.get("action") == "approve"}
    if ("number" in steps or (state.current and state.current.step == "number")) \
            and not doc.get("doc_number"):
        notes.append(_("待编号：发文字号由服务器在编号环节分配"))
    if "seal" in steps:
        notes.append(_("待用印：用印已排队，连接服务器后由服务器生成盖章的正式文件"))
    elif doc.get("direction") == "outgoing" and doc.get("seal_state") == "pending" \
            and not doc.get("sealed_attachment_id"):
        notes.append(_("待用印：服务器正在生成盖章的正式文件"))
    if "dispatch" in steps:
        notes.append(_("分发已排队，连接服务器后送达各收文单位"))
    if pending and not notes:
        notes.append(_("有 {n} 项办理待同步").format(n=len(pending)))
    return notes


def _receipts(store: LocalStore, doc: dict[str, Any]) -> list[Receipt]:
    out = []
    for unit_id, r in (doc.get("receipts") or {}).items():
        out.append(Receipt(unit_id=unit_id, unit_name=str(r.get("unit_name") or unit_id),
                           status=str(r.get("status") or ""),
                           status_label=receipt_label(r.get("status")),
                           by_name=str(r.get("by_name") or ""),
                           at=str(r.get("received_at") or r.get("returned_at")
                                  or r.get("delivered_at") or r.get("sent_at") or ""),
                           reason=str(r.get("reason") or ""),
                           incoming_id=str(r.get("incoming_id") or ""),
                           chased=int(r.get("chased") or 0),
                           steps=tuple((status, str(r[key])) for status, key in RECEIPT_TIMES
                                       if r.get(key))))
    return out


def official_file(store: LocalStore, doc: dict[str, Any]) -> OfficialFile | None:
    """The document's 正式文件 as this profile holds it, with the verdict kept on arrival."""
    att_id = doc.get("sealed_attachment_id")
    if not att_id:
        return None
    rows = store.db.query("SELECT name, size, sha256, storage FROM attachments"
                          " WHERE id = ? AND deleted = 0", (att_id,))
    if not rows:
        return None
    name, size, sha, storage = rows[0]
    return OfficialFile(attachment_id=str(att_id), name=str(name), size=int(size or 0),
                        sha256=str(sha), downloaded=storage != "remote",
                        verdict=seals.verdict_of(store, sha256=str(sha)),
                        package_id=doc.get("package_attachment_id"))


def build_view(store: LocalStore, doc_id: str, *, me: dict[str, Any], now: datetime) -> DocumentView:
    """Assemble the DocumentView of one document for `me` at `now`."""
    doc = get_document(store, doc_id)
    workflow, state, records = replay(store, doc)
    revisions = sorted(store.records.list("document_revisions", where={"document_id": doc_id},
                                          order_by="created_at", limit=10_000),
                       key=lambda r: (int(r.get("rev") or 0) <= 0, int(r.get("rev") or 0),
                                      str(r.get("created_at") or "")))
    taken = [r for r in revisions if not r.get("conflicted")]
    previous = taken[-1].get("previous", "") if taken else doc.get("body") or ""
    body = doc.get("body") or ""
    attachments = [dict(zip(("id", "name", "size", "mime", "sha256"), row, strict=True))
                   for row in store.db.query(
                       "SELECT id, name, size, mime, sha256 FROM attachments WHERE owner_kind ="
                       " 'document' AND owner_id = ? AND deleted = 0 ORDER BY rowid", (doc_id,))]
    cur = state.current
    holder_ids = list(cur.holders) if cur else list(doc.get("holder_ids") or [])
    names = _names(store, holder_ids + list(doc.get("reader_ids") or []))
    read = set(doc.get("read_ids") or [])
    if state.status == "running":
        current_state = cur.step if cur else doc.get("state") or ""
    else:
        current_state = doc.get("state") or "draft"
    elements = {k: v for k, v in doc.items() if k not in ("body", "rev", "deleted", "updated_at")}
    return DocumentView(
        id=doc_id, record=doc, direction=doc.get("direction") or "outgoing", state=current_state,
        state_label=state_label(current_state), elements=elements, body=body,
        body_marked=compare(previous, body), attachments=attachments,
        timeline=_timeline(store, workflow, state, records), receipts=_receipts(store, doc),
        revisions=revisions, allowed=_allowed(workflow, state, doc, me, now),
        waiting_on_server=_waiting(state, doc, records),
        current_step=cur.step if cur else None, current_step_name=cur.name if cur else "",
        holder_names=[names.get(h, h) for h in holder_ids],
        readers=[(names.get(r, r), r in read) for r in doc.get("reader_ids") or []],
        flow_status=state.status, official=official_file(store, doc),
        seal_state=str(doc.get("seal_state") or ""))


def with_gaps(view: DocumentView, missing: list[str], blocked: dict[str, str]) -> DocumentView:
    """The view with the elements still missing, and 同意 at a step in `blocked` (step → why)
    marked as not to be taken."""
    view.missing = list(missing)
    view.allowed = [replace(a, blocked=blocked[a.step]) if a.action == "approve"
                    and a.step in blocked else a for a in view.allowed]
    return view
