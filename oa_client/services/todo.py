"""待办: what waits for me across modules, derived from the local records (works offline).

Fields read (all optional; records without them simply never become to-dos):

- documents: `data.holder_ids` (people who must handle it now → 待办),
  `data.reader_ids` minus `data.read_ids` (→ 待阅), `data.due_at` (the step's time limit,
  set by the server) or `data.deadline`, columns `urgency` (特急/加急), `state`
  (dispatched/archived/refused end the work), `title` — see oa_client/services/documents.py.
- meetings: `data.rsvp` {person or unit id: "pending"|"accepted"|"declined"|"delegated"}
  (a unit's pending reply is a to-do for its people), `data.reply_deadline`,
  `data.reminders` (催: urgent), columns `starts_at`, `ends_at`, `title`, `state`
  ("cancelled" and past meetings end it); a reply saved offline already counts. A cancellation
  or change of time or place (`data.changes`, see oa_client/services/meetings_alerts.py) is a
  会议变更 to-do for each attendee until acknowledged.
- requests: `data.approver_ids` (the current step's approvers), `data.title`,
  `data.deadline`, column `state` ("submitted"/"in_review" wait for approval); for a
  印章管理员 named in `data.audience_users`, an approved request whose sealed `data.outputs`
  has no `attachment_id` yet (待出具证明).
- submissions (heads, `kind` "submission"): column `unit_id` = my unit, `state` in
  draft/returned; report_templates issued to my unit with no head for their `period`
  (待填报); for the issuing unit, its templates with submissions waiting for review.
- notifications (sent by the server's jobs, oa_client/domain/notifications.py): to me
  (`to_users`) or my unit (`to_units`), not past `expires_at`, at most a week old. One about
  a record already in the list makes that item urgent and carries its text; the others are
  提醒 items that open their record.
- supervision_tasks: my unit is the lead (`lead_unit_id`) or in `data.assist_unit_ids`,
  or `data.owner_id` is me; `state` "closing" waits for the 督查室 (role in my users
  record); `data.pending_extension` waits for `data.ordered_by` or the 督查室; `deadline`,
  `state` ("closed" = 销号), `data.importance` (重大 sorts as urgent, as does a 催办 of my
  unit in `data.chased`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from oa_client.domain import notifications as notices
from oa_client.domain.request_outputs import SEAL_KEEPER, awaiting_seal
from oa_client.domain.supervision import SUPERVISOR_ROLE, decides_extension
from oa_client.errors import NotFoundError
from oa_client.i18n import _
from oa_client.services.meetings_alerts import alert_for

if TYPE_CHECKING:
    from oa_client.store.local import LocalStore

#: 公文 states in which the work is over (oa_client/services/documents.FINAL_STATES; "complete"
#: is the 办结 step, still to do)
DONE_DOC_STATES = {"archived", "dispatched", "refused"}
OPEN_REQUEST_STATES = {"submitted", "in_review", "pending"}
OPEN_SUBMISSION_STATES = {"draft", "returned", "pending", "待填报", "已退回"}
URGENCY_RANK = {"特急": 0, "加急": 1}
SCAN = 5000  # records per collection looked at (newest first)

#: what each kind of to-do is called (gettext ids)
KIND_LABELS = {
    "handle": "待办公文", "read": "待阅公文", "rsvp": "会议回执", "approve": "事项审批",
    "report": "报表填报", "supervise": "督办事项", "returned": "退回修改的申请", "remind": "提醒",
    "meeting_changed": "会议变更", "seal": "待出具证明",
}
_KIND_IDS = (_("待办公文"), _("待阅公文"), _("会议回执"), _("事项审批"), _("报表填报"), _("督办事项"),
             _("退回修改的申请"), _("提醒"), _("会议变更"), _("待出具证明"))
#: how long a reminder without an end stays in 待办
REMINDER_DAYS = 7


@dataclass(frozen=True)
class TodoItem:
    """One thing waiting for me: where it lives, what it is, how urgent, when due."""

    kind: str  # handle, read, rsvp, approve, report, supervise, returned, remind, meeting_changed, seal
    collection: str
    record_id: str
    title: str
    urgency: str = ""
    deadline: str = ""  # ISO date or datetime; "" = none
    overdue: bool = False
    notice_id: str = ""  # the server's reminder about it, if any
    notice: str = ""  # that reminder's text (in the current language)

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes it new to the user: the record, and the reminder about it."""
        return (self.collection, self.record_id, self.notice_id)

    @property
    def kind_label(self) -> str:
        """The kind in the current language."""
        return _(KIND_LABELS[self.kind])

    def sort_key(self) -> tuple:
        """Overdue first, then urgency, then the nearest deadline."""
        return (not self.overdue, URGENCY_RANK.get(self.urgency, 2), self.deadline or "9999", self.title)


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


def _item(kind: str, collection: str, rec: dict, title: str, *, deadline: str = "",
          urgency: str = "", today: date) -> TodoItem:
    due = _day(deadline)
    return TodoItem(kind=kind, collection=collection, record_id=rec["id"], title=title or _("（无标题）"),
                    urgency=urgency or "", deadline=deadline or "",
                    overdue=due is not None and due < today)


def _report_items(store: LocalStore, *, unit_id: str, today: date) -> list[TodoItem]:
    """报表: my unit's reports of the current period not yet submitted (待填报, draft, 已退回),
    and for the issuing unit the submissions waiting for review."""
    records = store.records
    templates = {t["id"]: t for t in records.list("report_templates", limit=SCAN)}
    heads: dict[tuple[str, str], dict] = {}
    for rec in records.list("submissions", limit=SCAN, where={"unit_id": unit_id}):
        if rec.get("kind", "submission") == "submission":  # not edits or local drafts
            heads[(str(rec.get("template_id")), str(rec.get("period")))] = rec
    items = []
    for rec in heads.values():
        if rec.get("state") not in OPEN_SUBMISSION_STATES:
            continue
        tpl = templates.get(rec.get("template_id") or "", {})
        items.append(_item("report", "submissions", rec, rec.get("title") or rec.get("name") or tpl.get("name", ""),
                           deadline=str(rec.get("deadline") or tpl.get("deadline") or ""), today=today))
    for tpl in templates.values():
        if unit_id in (tpl.get("recipients") or []) and (tpl["id"], str(tpl.get("period"))) not in heads:
            items.append(_item("report", "report_templates", tpl, tpl.get("name", ""),
                               deadline=str(tpl.get("deadline") or ""), today=today))
        elif tpl.get("unit_id") == unit_id:
            waiting = [r for r in records.list("submissions", limit=SCAN, where={
                "template_id": tpl["id"], "period": str(tpl.get("period")), "state": "submitted"})]
            if waiting:
                title = _("{name}：{n}份待审核").format(name=tpl.get("name", ""), n=len(waiting))
                items.append(_item("report", "report_templates", tpl, title, today=today))
    return items


def _roles(store: LocalStore, user_id: str) -> list[str]:
    """My roles as the synced org cache has them (none before the first sync)."""
    try:
        return list(store.records.get("users", user_id).get("roles") or [])
    except NotFoundError:
        return []


def _supervision_items(store: LocalStore, mentioning, *, user_id: str, unit_id: str, roles: list[str],
                       today: date) -> list[TodoItem]:
    """督办: open tasks of my unit (lead or assisting) or in my charge; for the 督查室 the
    销号 requests to confirm; for the ordering leader (and the 督查室) the extension requests."""
    records = store.records
    tasks = {r["id"]: r for r in mentioning("supervision_tasks", user_id)}
    if unit_id:
        tasks.update({r["id"]: r for r in mentioning("supervision_tasks", unit_id)})
    supervisor = SUPERVISOR_ROLE in roles
    if supervisor:
        tasks.update({r["id"]: r for r in records.list("supervision_tasks", limit=SCAN,
                                                        where={"state": "closing"})})
    items = []
    for rec in tasks.values():
        if rec.get("state") == "closed":
            continue
        units = [rec.get("lead_unit_id"), *(rec.get("assist_unit_ids") or [])]
        mine = bool(unit_id and unit_id in units) or rec.get("owner_id") == user_id \
            or user_id in (rec.get("assignees") or [])
        decide = (supervisor and rec.get("state") == "closing") or (
            rec.get("pending_extension") and decides_extension(rec, user_id=user_id, roles=roles))
        if mine or decide:
            items.append(_item("supervise", "supervision_tasks", rec, rec.get("title", ""),
                               deadline=str(rec.get("deadline") or ""),
                               urgency="加急" if rec.get("importance") == "重大"
                               or unit_id in (rec.get("chased") or {}) else "",
                               today=today))
    return items


def reminders(store: LocalStore, *, user_id: str, unit_id: str, now: datetime) -> list[dict]:
    """The server's reminders for me or my unit that still matter, newest first."""
    since = (now - timedelta(days=REMINDER_DAYS)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    rows = store.db.query(
        "SELECT id FROM notifications WHERE deleted = 0 AND created_at >= ?"
        " ORDER BY created_at DESC LIMIT ?", (since, SCAN))
    found = store.records.get_many("notifications", [r[0] for r in rows])
    out = []
    for rid, *_rest in rows:
        rec = found.get(rid)
        if rec is None or not notices.is_live(rec, now=now):
            continue
        if user_id in (rec.get("to_users") or []) or (unit_id and unit_id in (rec.get("to_units") or [])):
            out.append(rec)
    return out


def _with_reminders(items: list[TodoItem], found: list[dict]) -> list[TodoItem]:
    """Reminders onto the list: an item they are about becomes urgent and says why; the
    others are 提醒 items of their own (the newest reminder per record)."""
    by_record = {(i.collection, i.record_id): n for n, i in enumerate(items)}
    seen: set[tuple[str, str]] = set()
    for rec in found:  # newest first
        target = (str(rec.get("collection") or ""), str(rec.get("record_id") or ""))
        if target in seen:
            continue
        seen.add(target)
        text = notices.text(rec)
        if target in by_record:
            n = by_record[target]
            items[n] = replace(items[n], notice_id=rec["id"], notice=text,
                               urgency=items[n].urgency or ("加急" if rec.get("urgent") else ""))
        else:
            items.append(TodoItem(kind="remind", collection=target[0], record_id=target[1],
                                  title=text, urgency="加急" if rec.get("urgent") else "",
                                  deadline=str(rec.get("expires_at") or ""), notice_id=rec["id"],
                                  notice=text))
    return items


def todo_items(store: LocalStore, *, user_id: str, unit_id: str = "",
               today: date | None = None, now: datetime | None = None) -> list[TodoItem]:
    """Everything waiting for `user_id` (of `unit_id`), most pressing first."""
    now = now or datetime.now(UTC)
    today = today or now.date()
    now_text = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items: list[TodoItem] = []
    records = store.records

    def mentioning(collection: str, needle: str, *, order_by: str = "updated_at DESC") -> list[dict]:
        # only records whose data names me (or my unit) are decoded: fast at 100k documents
        if not needle:
            return []
        rows = store.db.query(
            f"SELECT id FROM {collection} WHERE deleted = 0 AND instr(data, ?) > 0"
            f" ORDER BY {order_by} LIMIT ?", (needle, SCAN))
        found = records.get_many(collection, [r[0] for r in rows])
        return [found[r[0]] for r in rows if r[0] in found]

    def waiting(collection: str) -> list[dict]:
        # records that wait for me (holder, 传阅 reader, approver, applicant): an index read
        return records.waiting_for(collection, user_id, limit=SCAN) if user_id else []

    for rec in waiting("documents"):
        if (rec.get("state") or "") in DONE_DOC_STATES:
            continue
        deadline = str(rec.get("due_at") or rec.get("deadline") or "")  # due_at: the step's limit
        unread = user_id in (rec.get("reader_ids") or []) and user_id not in (rec.get("read_ids") or [])
        if user_id in (rec.get("holder_ids") or []) and not (unread and rec.get("state") == "circulate"):
            items.append(_item("handle", "documents", rec, rec.get("title", ""), deadline=deadline,
                               urgency=rec.get("urgency") or "", today=today))
        elif unread:  # 传阅: a reader holds the step to say 已阅
            items.append(_item("read", "documents", rec, rec.get("title", ""), deadline=deadline,
                               urgency=rec.get("urgency") or "", today=today))
    answered = {(r.get("meeting_id"), r.get("attendee_id")) for r in records.list(
        "meeting_replies", where={"user_id": user_id}, limit=SCAN)} if user_id else set()
    meetings = {r["id"]: r for r in mentioning("meetings", user_id, order_by="starts_at")}
    meetings.update({r["id"]: r for r in mentioning("meetings", unit_id, order_by="starts_at")})
    for rec in meetings.values():  # 回执: for me, or for my unit; answered offline counts
        over = str(rec.get("ends_at") or "9") < now_text and not rec.get("recurrence")
        alert = None if over else alert_for(store, rec, user_id=user_id, unit_id=unit_id)
        if alert is not None:  # cancelled or changed: said until acknowledged
            items.append(_item("meeting_changed", "meetings", rec, alert.text, urgency="加急",
                               today=today))  # to read now: no time limit
        if rec.get("state") == "cancelled" or over:
            continue
        rsvp = rec.get("rsvp") or {}
        for who in (user_id, unit_id):
            if not who or rsvp.get(who) != "pending" or (rec["id"], who) in answered:
                continue
            chased = any(who in (r.get("to") or []) for r in rec.get("reminders") or [])
            items.append(_item("rsvp", "meetings", rec, rec.get("title", ""),
                               deadline=str(rec.get("reply_deadline") or rec.get("rsvp_by")
                                            or rec.get("starts_at") or ""),
                               urgency="加急" if chased else "", today=today))
            break
    for rec in waiting("requests"):  # 事项审批; my own request 退回修改 waits for me
        title = " ".join(str(p) for p in (rec.get("number"), rec.get("title", "")) if p)
        deadline = str(rec.get("due_at") or rec.get("deadline") or "")
        if rec.get("state") in OPEN_REQUEST_STATES and user_id in (rec.get("approver_ids") or []):
            if any(user_id in (n.get("to") or []) for n in rec.get("notices") or []):
                title = _("【流程已调整】") + title  # the applicant changed the form after submitting
            items.append(_item("approve", "requests", rec, title, deadline=deadline,
                               urgency=rec.get("urgency") or "", today=today))
        elif rec.get("state") == "returned" and rec.get("applicant_id") == user_id:
            items.append(_item("returned", "requests", rec, title, today=today))
    roles = _roles(store, user_id) if user_id else []
    for rec in mentioning("requests", user_id) if SEAL_KEEPER in roles else []:
        if awaiting_seal(rec, user_id=user_id, roles=roles):  # 印章管理员: 出具 the 证明
            title = " ".join(str(p) for p in (rec.get("number"), rec.get("title", "")) if p)
            items.append(_item("seal", "requests", rec, title, deadline=str(rec.get("promised_by") or ""),
                               today=today))
    if unit_id:
        items.extend(_report_items(store, unit_id=unit_id, today=today))
    items.extend(_supervision_items(store, mentioning, user_id=user_id, unit_id=unit_id, roles=roles,
                                    today=today))
    items = _with_reminders(items, reminders(store, user_id=user_id, unit_id=unit_id, now=now))
    items.sort(key=TodoItem.sort_key)
    return items
