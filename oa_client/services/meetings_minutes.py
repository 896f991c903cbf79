"""会议纪要: written on the desk, 出席/请假/列席 filled from replies and sign-in, routed for
signing as a 纪要 document, decisions turned into 督办 tasks.

The minutes are a `documents` record (direction outgoing, doc_kind 纪要, `meeting_id`
in its data) made with the documents service, so they are reviewed and signed
like any 公文; `official_fields` gives what the GB/T 9704 纪要 layout needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from oa_client.domain.meetings_records import (
    checkin_from_record,
    expected_people,
    meeting_from_record,
    utc_text,
)
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.i18n import _
from oa_client.services import conflicts as conflict_svc
from oa_client.services import documents as doc_svc
from oa_client.services import records as rec_svc
from oa_client.services import supervision as sup_svc
from oa_client.services.meetings import checkins, get_meeting_record, replies
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes


@dataclass
class MinutesDraft:
    """What the minutes editor starts from: title, attendance lists (names), body, decisions."""

    meeting_id: str
    title: str
    date: str  # ISO date of the sitting
    present: list[str] = field(default_factory=list)  # 出席
    on_leave: list[str] = field(default_factory=list)  # 请假
    observers: list[str] = field(default_factory=list)  # 列席
    late: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # 缺席 (kept, not printed)
    body: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    issuer: str = ""  # 纪要标志: the drafter's unit (the organiser's without a drafter)


def draft_minutes(store: LocalStore, meeting_id: str, names: Mapping[str, str], *,
                  occurrence_start: datetime | None = None,
                  drafter_id: str = "") -> MinutesDraft:
    """The minutes of a sitting with 出席/请假/列席 from the replies and the sign-in."""
    rec = get_meeting_record(store, meeting_id)
    meeting = meeting_from_record(rec)
    start = occurrence_start or meeting.starts_at
    reply_recs = {str(r.get("attendee_id")): r for r in replies(store, meeting_id)}
    named = dict(rec.get("rsvp_people") or {})
    for aid, r in reply_recs.items():
        if r.get("attendee_ids") and not named.get(aid):
            named[aid] = list(r["attendee_ids"])
    expected = expected_people(meeting, named)
    signed = {}
    for c in checkins(store, meeting_id):
        ci = checkin_from_record(c)
        if ci is not None and utc_text(ci.occurrence_start) == utc_text(start):
            signed[ci.person_id] = ci
    draft = MinutesDraft(meeting_id, _("{subject}纪要").format(subject=meeting.subject),
                         start.date().isoformat() if start.tzinfo is None
                         else start.astimezone(meeting.starts_at.tzinfo).date().isoformat())
    drafter = store.records.get_many("users", [drafter_id]).get(drafter_id) if drafter_id else None
    draft.issuer = str((drafter or {}).get("unit_name") or rec.get("host_unit_name") or "")
    declined = set()
    for a in meeting.attendees:
        r = reply_recs.get(a.id) or {}
        if r.get("answer") == "decline":
            declined.add(a.id)
            reason = str(r.get("reason") or "").strip()
            label = a.name or names.get(a.id, a.id)
            draft.on_leave.append(f"{label}（{reason}）" if reason else label)
    for pid, for_id in expected.items():
        if for_id in declined:
            continue
        attendee = meeting.attendee(for_id)
        label = names.get(pid, pid)
        if attendee is not None and attendee.kind == "person" and for_id != pid:
            label += _("（代{name}）").format(name=attendee.name or names.get(for_id, for_id))
        observer = attendee is not None and attendee.role == "observer"
        if pid in signed:
            (draft.observers if observer else draft.present).append(label)
            if signed[pid].late:
                draft.late.append(label)
        else:
            draft.absent.append(label)
    for pid in signed:  # signed in without being expected (marked by the organiser)
        if pid not in expected:
            draft.observers.append(names.get(pid, pid))
    draft.body = [_("{when}，{subject}在{place}召开。会议由{chair}主持。现将会议议定事项纪要如下：").format(
        when=_cn_date(start.astimezone(meeting.starts_at.tzinfo)),
        subject=meeting.subject,
        place=str(rec.get("room_name") or meeting.location_text or _("线上")),
        chair=meeting.chair_name or names.get(meeting.chair_id, "") or _("会议主持人"))]
    for i, item in enumerate(meeting.agenda, 1):
        draft.body.append(f"{_cn(i)}、{item}")
    return draft


def _cn_date(day: date) -> str:
    """2026年12月8日: no leading zeros, as GB/T 9704 writes dates."""
    return f"{day.year}年{day.month}月{day.day}日"


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def save_minutes(store: LocalStore, *, me: dict[str, Any], meeting_id: str, title: str,
                 body: Iterable[str] | str, present: Iterable[str] = (),
                 on_leave: Iterable[str] = (), observers: Iterable[str] = (),
                 decisions: Iterable[str] = (), late: Iterable[str] = (),
                 absent: Iterable[str] = (), issuer_mark: str = "",
                 doc_id: str | None = None) -> tuple[str, Changes]:
    """Save the minutes as a 纪要 draft document (new, or an update of `doc_id`)."""
    get_meeting_record(store, meeting_id)
    paragraphs = [p.strip() for p in (body.splitlines() if isinstance(body, str) else body)]
    paragraphs = [p for p in paragraphs if p]
    if not title.strip():
        raise ValidationError(_("请填写纪要标题"), field="title")
    if not paragraphs:
        raise ValidationError(_("请填写纪要正文"), field="body")
    fields = {"doc_kind": "纪要", "direction": "outgoing", "title": title.strip(),
              "body": "\n".join(paragraphs), "secrecy": "非涉密"}
    if not doc_id:  # 分送: the units of those invited, as the meeting has them
        fields["main_to"] = attendee_units(store, meeting_id, issuing_unit=_unit_of(me))
    if issuer_mark:
        fields["issuer_mark"] = issuer_mark
    extra = {"meeting_id": meeting_id, "format": "纪要", "attendees": list(present),
             "absentees": list(on_leave), "observers": list(observers),
             "decisions": [d.strip() for d in decisions if d.strip()], "late": list(late),
             "absent": list(absent)}
    if doc_id:
        changes = doc_svc.update_draft(store, me=me, doc_id=doc_id, fields=fields)
    else:
        doc_id, changes = doc_svc.compose(store, me=me, fields=fields)
    doc = store.records.get("documents", doc_id)
    changes.merge(rec_svc.save(store, "documents", {**{k: v for k, v in doc.items()
                                                       if k not in ("deleted", "updated_at")},
                                                    **extra}))
    rec = get_meeting_record(store, meeting_id)
    if rec.get("organiser_id") == str(me.get("id")) and rec.get("minutes_document_id") != doc_id:
        out = {k: v for k, v in rec.items() if k not in ("deleted", "updated_at")}
        out["minutes_document_id"] = doc_id
        changes.merge(rec_svc.save(store, "meetings", out))
    return doc_id, changes


#: 发文 states at and after 签发: the 纪要's 分送 is frozen as any 公文's elements
SIGNED_STATES = ("recheck", "number", "seal", "dispatch", "dispatched", "archived", "refused")


def _unit_of(me: Mapping[str, Any]) -> str:
    unit = me.get("unit")
    return str(me.get("unit_id") or (unit.get("id") if isinstance(unit, Mapping) else "") or "")


def attendee_units(store: LocalStore, meeting_id: str, *, issuing_unit: str = "") -> list[str]:
    """分送 of the minutes: the invited units and the units of the people invited by name, in
    the notice's order, without the issuing unit itself."""
    meeting = meeting_from_record(get_meeting_record(store, meeting_id))
    people = store.records.get_many("users", [a.id for a in meeting.attendees
                                              if a.kind == "person"])
    out: list[str] = []
    for a in meeting.attendees:
        unit = a.id if a.kind == "unit" else str((people.get(a.id) or {}).get("unit_id") or "")
        if unit and unit != issuing_unit and unit not in out:
            out.append(unit)
    return out


def edit_distribution(store: LocalStore, *, me: dict[str, Any], doc_id: str,
                      main_to: Iterable[str], cc_to: Iterable[str] = ()) -> Changes:
    """The drafter changes the minutes' 分送 (主送/抄送 units) while the flow is before 签发."""
    doc = doc_svc.get_document(store, doc_id)
    if doc.get("doc_kind") != "纪要" or doc.get("direction") != "outgoing":
        raise ValidationError(_("只有会议纪要可以这样修改分送单位"), field="doc_kind")
    if str(me.get("id")) != str(doc.get("drafter_id") or doc.get("created_by") or ""):
        raise PermissionDenied(_("只有拟稿人可以修改纪要的分送单位"))
    if doc.get("signed_off_on") or doc.get("state") in SIGNED_STATES:
        raise PermissionDenied(_("纪要已签发，分送单位不能再修改"))
    fields = {"main_to": [str(u) for u in main_to if u], "cc_to": [str(u) for u in cc_to if u]}
    if not (fields["main_to"] or fields["cc_to"]):
        raise ValidationError(_("纪要至少要分送一个单位"), field="main_to")
    if doc.get("state") in (None, "", "draft"):
        return doc_svc.update_draft(store, me=me, doc_id=doc_id, fields=fields)
    problems = doc_svc.unit_problems(store, fields)
    if problems:
        raise problems[0]
    record = {k: v for k, v in doc.items() if k not in ("deleted", "updated_at")}
    for key, ids in fields.items():
        record[key] = ids
        record[f"{key}_names"] = doc_svc._unit_names(store, ids)
    return rec_svc.save(store, "documents", record)


@dataclass(frozen=True)
class DistributionView:
    """What the 分送 editor of a 纪要 shows: its units, the org chart's units to add, whether
    this user may change them now (and why not), and a change the server refused."""

    units: list[tuple[str, str]]  # (id, name) of the 分送 (the 纪要's 主送) in order
    cc_to: list[str]  # 抄送 unit ids, kept as they are
    choices: list[tuple[str, str]]  # (id, name) of the active units, org chart order
    editable: bool
    reason: str = ""  # why it cannot be changed ("" when it can)
    refused_message: str = ""  # the server's reason for refusing my last change
    refused_units: list[tuple[str, str]] = field(default_factory=list)  # what it refused


def distribution_view(store: LocalStore, *, me: Mapping[str, Any], doc_id: str) -> DistributionView:
    """The 分送 editor's state for a 纪要 (database worker)."""
    doc = doc_svc.get_document(store, doc_id)
    main_ids = [str(u) for u in doc.get("main_to") or []]
    units = store.records.list("units", order_by="name", limit=10_000)
    names = {str(u["id"]): str(u.get("name") or u["id"]) for u in units}
    own = _unit_of(me)
    choices = [(str(u["id"]), str(u.get("name") or "")) for u in sorted(
        units, key=lambda u: (u.get("org_index") is None, u.get("org_index") or 0))
        if u.get("name") and u.get("active", True) is not False and str(u["id"]) != own]
    reason = ""
    if doc.get("signed_off_on") or doc.get("state") in SIGNED_STATES:
        reason = _("纪要已签发，分送单位不能再修改")
    elif str(me.get("id")) != str(doc.get("drafter_id") or doc.get("created_by") or ""):
        reason = _("只有拟稿人可以修改纪要的分送单位")
    refused_message, refused = "", []
    for c in conflict_svc.open_conflicts(store):
        local = c.local or {}
        if c.entity == "documents" and c.entity_id == doc_id and "main_to" in local \
                and [str(u) for u in local.get("main_to") or []] != main_ids:
            refused_message = c.message or _("服务器拒绝了这项修改")
            refused = [(str(u), names.get(str(u), str(u))) for u in local.get("main_to") or []]
    return DistributionView(units=[(u, names.get(u, u)) for u in main_ids],
                            cc_to=[str(u) for u in doc.get("cc_to") or []], choices=choices,
                            editable=not reason, reason=reason, refused_message=refused_message,
                            refused_units=refused)


def route_minutes(store: LocalStore, *, me: dict[str, Any], doc_id: str, opinion: str = "") -> Changes:
    """送审: send the minutes down the signing flow like any outgoing document."""
    return doc_svc.act(store, me=me, doc_id=doc_id, action="submit", step="draft", opinion=opinion)


def official_fields(doc: Mapping[str, Any], *, issuer_name: str = "") -> dict[str, Any]:
    """What the GB/T 9704 纪要 layout takes (docs_exchange OfficialDocument fields)."""
    when = doc.get("date") or str(doc.get("created_at") or "")[:10] or date.today().isoformat()
    return {
        "kind": "纪要", "format": "纪要", "title": str(doc.get("title") or ""),
        "body": [p for p in str(doc.get("body") or "").splitlines() if p.strip()],
        "issuer_mark": str(doc.get("issuer_mark") or issuer_name or ""),
        "doc_number": doc.get("doc_number") or None,
        "attendees": list(doc.get("attendees") or []),
        "absentees": list(doc.get("absentees") or []),
        "observers": list(doc.get("observers") or []),
        "date": when[:10], "seal_mode": "without_seal",
    }


def decision_to_task(store: LocalStore, *, me: dict[str, Any], meeting_id: str, decision: str,
                     lead_unit_id: str, deadline: date | str, owner_id: str | None = None,
                     ordered_by: str | None = None, importance: str = "一般",
                     assist_unit_ids: Iterable[str] = (), title: str = "",
                     today: date | None = None) -> tuple[str, Changes]:
    """A decision of the meeting becomes a 督办 task with a lead unit, owner and deadline."""
    rec = get_meeting_record(store, meeting_id)
    text = decision.strip()
    if not text:
        raise ValidationError(_("请填写议定事项"), field="decision")
    head = title.strip() or (text if len(text) <= 40 else text[:38] + "…")
    return sup_svc.create_task(
        store, me=me, title=head, content=text, lead_unit_id=lead_unit_id,
        assist_unit_ids=list(assist_unit_ids), deadline=deadline, owner_id=owner_id,
        ordered_by=ordered_by, importance=importance,
        source={"kind": "minutes", "collection": "meetings", "id": meeting_id,
                "text": str(rec.get("title") or "")},
        today=today)

