"""What the 公文 screens read, run on the database worker (never on the GUI thread).

The boxes come from `oa_client.services.documents_boxes.list_documents`; the two big boxes
(收文, 发文), which can hold a whole profile, are read here as ids only on indexed
columns so the list can fetch its rows lazily (a 100,000-document profile stays fast).
The lists need no flow engine: the document services (flow, view, validation) are imported
by the functions that open or save a document, on the worker, so the screen shows without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from oa_client.errors import OAError, ValidationError
from oa_client.i18n import _
from oa_client.services import documents_boxes as boxes
from oa_client.services import documents_routing as routing
from oa_client.services.account import takes_business
from oa_client.services.documents_base import get_document, me_ids
from oa_client.store.local import LocalStore

if TYPE_CHECKING:
    from oa_client.services.documents_view import DocumentView

#: box id → tab label (gettext id)
BOXES = (("todo", "待办"), ("doing", "在办"), ("done", "已办"), ("drafts", "草稿"),
         ("incoming", "收文"), ("outgoing", "发文"), ("to_read", "待阅"))
_BOX_IDS = (_("待办"), _("在办"), _("已办"), _("草稿"), _("收文"), _("发文"), _("待阅"))
#: boxes whose size follows the profile (ids only, rows fetched lazily)
BIG_BOXES = ("incoming", "outgoing")


@dataclass(frozen=True)
class Filters:
    """The filter bar: 文种, 紧急程度, date range (created), text in title/文号."""

    kind: str = ""
    urgency: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""

    def active(self) -> bool:
        """True when anything narrows the list."""
        return bool(self.kind or self.urgency or self.since or self.until or self.text.strip())


def _in_range(rec: dict, f: Filters) -> bool:
    day = str(rec.get("created_at") or rec.get("received_at") or "")[:10]
    if f.since and (not day or day < f.since.isoformat()):
        return False
    return not (f.until and (not day or day > f.until.isoformat()))


def _big_box_ids(store: LocalStore, box: str, f: Filters, limit: int | None = None) -> list[str]:
    # a first page walks the updated_at index and stops after `limit` matches; the whole
    # list is one scan of the table
    source = "documents INDEXED BY documents_updated" if limit is not None else "documents"
    sql = f"SELECT id FROM {source} WHERE deleted = 0 AND direction = ?"
    params: list[object] = [box]
    if f.kind:
        sql += " AND doc_kind = ?"
        params.append(f.kind)
    if f.urgency:
        sql += " AND urgency = ?"
        params.append(f.urgency)
    if f.since:
        sql += " AND created_at >= ?"
        params.append(f.since.isoformat())
    if f.until:
        sql += " AND created_at < ?"
        params.append(f"{f.until.isoformat()}\uffff")
    text = " ".join(f.text.split())
    if text:
        sql += " AND (instr(title, ?) > 0 OR instr(coalesce(doc_number, ''), ?) > 0)"
        params += [text, text]
    sql += " ORDER BY updated_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [r[0] for r in store.db.query(sql, tuple(params))]


def box_first_page(store: LocalStore, me: dict, box: str, f: Filters,
                   limit: int) -> tuple[list[str], dict[str, dict]]:
    """The first `limit` rows of a box with their records (shown before the whole id list)."""
    if box in BIG_BOXES:
        ids = _big_box_ids(store, box, f, limit)
        return ids, store.records.get_many("documents", ids)
    ids, records = box_ids(store, me, box, f)
    return ids[:limit], {i: records[i] for i in ids[:limit]}


def box_ids(store: LocalStore, me: dict, box: str, f: Filters) -> tuple[list[str], dict[str, dict]]:
    """(ids in order, records already read) of one box under the filters."""
    if box in BIG_BOXES:
        return _big_box_ids(store, box, f), {}
    docs = boxes.list_documents(store, me=me, box=box, query=f.text, kind=f.kind or None,
                                urgency=f.urgency or None, limit=100_000)
    docs = [d for d in docs if _in_range(d, f)]
    return [d["id"] for d in docs], {d["id"]: d for d in docs}


def box_counts(store: LocalStore, me: dict) -> dict[str, int]:
    """How many documents wait in 待办 and 待阅 (shown on the tabs)."""
    return {box: len(boxes.list_documents(store, me=me, box=box, limit=100_000))
            for box in ("todo", "to_read")}


def box_of(store: LocalStore, user_id: str, record_id: str) -> str:
    """The box a document belongs in for me: 待办 when I hold it, 待阅, 草稿, else 收文/发文."""
    rec = store.records.get("documents", record_id)
    if user_id in (rec.get("holder_ids") or []):
        return "todo"
    if user_id in (rec.get("reader_ids") or []) and user_id not in (rec.get("read_ids") or []):
        return "to_read"
    if rec.get("state") == "draft":
        return "drafts"
    return rec.get("direction") or "incoming"


def fetch(store: LocalStore, ids: list[str]) -> dict[str, dict]:
    """Rows for a batch of ids (what the lazy list asks for)."""
    return store.records.get_many("documents", ids)


def unit_names(store: LocalStore) -> list[str]:
    """Active unit names of the local org cache, for 主送 / 抄送."""
    units = store.records.list("units", order_by="name", limit=10_000)
    return [u["name"] for u in units if u.get("name") and u.get("active", True) is not False]


def compose_choices(store: LocalStore, me: dict) -> tuple[list[str], list[routing.Department]]:
    """What the compose form picks from: unit names (主送 / 抄送 / 联合发文) and my unit's
    departments with their 科长 (会签)."""
    return unit_names(store), routing.unit_departments(store, me_ids(me)[1])


def unit_ids_by_name(store: LocalStore) -> dict[str, str]:
    """Unit name → id (the compose form types names; records keep ids)."""
    return {u["name"]: u["id"] for u in store.records.list("units", order_by="name", limit=10_000)
            if u.get("name")}


@dataclass
class Opened:
    """A document as its window shows it, with what the view itself does not carry."""

    view: DocumentView
    signatures: dict[str, tuple[str, object]]  # event id → ("strokes", json) | ("png", bytes)
    phrases: list[dict]
    names: dict[str, str]
    routing: routing.RoutingOptions | None = None  # a 收文 step that routes (拟办, 批办 …)


def open_document(store: LocalStore, doc_id: str, me: dict) -> Opened:
    """The DocumentView plus signature ink, my 常用意见 and people's names (worker side)."""
    from oa_client.services import documents as svc

    view = svc.open_document(store, doc_id, me=me)
    events = store.records.get_many("document_events", [e.event_id for e in view.timeline])
    signatures: dict[str, tuple[str, object]] = {}
    for entry in view.timeline:
        rec = events.get(entry.event_id) or {}
        strokes = rec.get("signature_strokes")
        if strokes:
            signatures[entry.event_id] = ("strokes", strokes)
        elif entry.signature_id:
            try:
                signatures[entry.event_id] = ("png", store.blobs.read(entry.signature_id))
            except OAError:  # not downloaded yet: the timeline says so
                signatures[entry.event_id] = ("missing", None)
    users = store.records.list("users", order_by="name", limit=100_000)
    routes = any(set(a.writable) & set(routing.ROUTING_FIELDS) for a in view.allowed)
    return Opened(view=view, signatures=signatures, phrases=boxes.phrases(store, me=me),
                  names={u["id"]: u.get("name") or u["id"] for u in users},
                  routing=routing.routing_options(store, view.record, today=date.today())
                  if routes else None)


def people(store: LocalStore, me: dict) -> list[tuple[str, str]]:
    """(id, "name（unit）") of colleagues for 转办 / 委托: business users, me left out."""
    units = {u["id"]: u.get("name") or "" for u in store.records.list("units", limit=10_000)}
    me_id = str(me.get("id") or "")
    return [(u["id"], f"{u.get('name') or u['id']}（{units.get(u.get('unit_id') or '', '')}）")
            for u in store.records.list("users", order_by="name", limit=100_000)
            if u["id"] != me_id and takes_business(u)]


def read_attachment(store: LocalStore, attachment_id: str) -> bytes:
    """An attachment's bytes (decrypted in memory)."""
    return store.blobs.read(attachment_id)


#: elements the compose form types as text
DRAFT_TEXT = ("note", "issuer_name", "date", "copy_no", "secrecy_term", "printer", "print_date")


def draft_values(store: LocalStore, doc_id: str) -> dict:
    """A draft's elements as the compose form shows them (unit names, attachments listed)."""
    doc = get_document(store, doc_id)
    names = {v: k for k, v in unit_ids_by_name(store).items()}
    depts = {d.id: d.name for d in routing.unit_departments(store, str(doc.get("unit_id") or ""))}
    return {**{k: doc.get(k) for k in ("secrecy", "urgency", "title", "body", *DRAFT_TEXT)},
            "co_issuing_units": [names.get(i, i) for i in doc.get("co_issuing_units") or []],
            "kind": doc.get("doc_kind"), "main_to": doc.get("main_to_names") or [],
            "cc_to": doc.get("cc_to_names") or [],
            # an id the org chart no longer knows stays, shown as it is, until unticked
            "countersign_departments": [depts.get(i) or names.get(i, i) for i in
                                        doc.get("countersign_departments") or []],
            "attachments": [{"name": a.get("name") or "", "size": a.get("size") or 0,
                             "data": None} for a in doc.get("attachments") or []]}


def _ids_of(store: LocalStore, names: list[str], field: str) -> list[str]:
    known = unit_ids_by_name(store)
    missing = [n for n in names if n not in known]
    if missing:
        raise ValidationError(_("本机通讯录中没有这些单位：{names}（请从“选择…”中挑选）").format(
            names="、".join(missing)), field=field)
    return [known[n] for n in names]


def _department_ids(store: LocalStore, me: dict, names: list[str]) -> list[str]:
    """会签 department names → ids of my unit's departments (an unknown one is refused)."""
    known = {d.name: d.id for d in routing.unit_departments(store, me_ids(me)[1])}
    missing = [n for n in names if n not in known]
    if missing:
        raise ValidationError(_("本单位没有这些科室：{names}。请取消勾选，改选本单位的科室").format(
            names="、".join(missing)), field="countersign_departments")
    return [known[n] for n in dict.fromkeys(names)]


def save_draft(store: LocalStore, me: dict, values: dict, *, submit: bool,
               doc_id: str | None = None) -> str:
    """Save the compose form as a draft (and 送审 when `submit`); returns the document id.

    The form types unit names; records keep unit ids (an unknown name is refused, naming
    its element). Files added in the form are attached after the draft exists.
    """
    from oa_client.services import documents as svc

    fields = {k: values.get(k) for k in ("kind", "secrecy", "urgency", "title", "body",
                                         *DRAFT_TEXT)}
    fields["doc_kind"] = fields.pop("kind")
    for key in ("main_to", "cc_to", "co_issuing_units"):
        fields[key] = _ids_of(store, list(values.get(key) or []), key)
    fields["countersign_departments"] = _department_ids(
        store, me, list(values.get("countersign_departments") or []))
    files = [a for a in values.get("attachments") or [] if a.get("data") is not None]
    problems = svc.validate({**fields, "attachments": [
        {"name": a["name"], "size": a.get("size") or len(a["data"])} for a in files]},
        stage="sign_off" if submit else "draft", store=store)
    if problems:
        raise problems[0]
    if doc_id:
        svc.update_draft(store, me=me, doc_id=doc_id, fields=fields)
    else:
        doc_id, _changes = svc.compose(store, me=me, fields=fields)
    for a in files:
        svc.attach_file(store, me=me, doc_id=doc_id, name=a["name"], data=a["data"])
    if submit:
        svc.act(store, me=me, doc_id=doc_id, action="submit", step="draft")
    return doc_id
