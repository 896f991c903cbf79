"""iCalendar (.ics): export a meeting or my calendar, import an invitation (RFC 5545/5546).

One meeting is one UID (stable for its life) with SEQUENCE bumped on every
change; a series carries its RRULE and EXDATEs and a moved occurrence is a
VEVENT with RECURRENCE-ID. Cancellations go out with METHOD:CANCEL. Import is
tolerant of real files (TZID zones with daylight saving, UTC, floating times,
all-day events); an unreadable file is a ValidationError.

What is written follows RFC 5546 for its METHOD: every VEVENT of a REQUEST or a
CANCEL (the master, a moved sitting's override, a one-sitting cancellation)
carries ORGANIZER and the ATTENDEEs, with UID, SEQUENCE and, for one sitting,
RECURRENCE-ID; a PUBLISH feed carries ORGANIZER and no ATTENDEE. A calendar
address is a `mailto:` URI (RFC 5545 cal-address), so people without an e-mail
address are not written as ORGANIZER or ATTENDEE: our own X-OA-ATTENDEE lines
keep them for a round trip through this client, and other clients ignore them.
A file whose meetings cannot carry what RFC 5546 asks (an organiser or every
attendee without e-mail) is written without METHOD, as a plain RFC 5545 calendar
that clients import as events. Materials are content hashes, not links: they go in
X-OA-MATERIAL, never as ATTACH.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from oa_client.domain.meetings import (
    TZ,
    Attendee,
    Material,
    Meeting,
    OccurrenceException,
    Recurrence,
    Room,
    Rsvp,
    zone_of,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _

PRODID = "-//Zhengwu OA//Meetings 1.0//ZH"
UID_DOMAIN = "zhengwu-oa"
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQ = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}
_DEFAULT_LENGTH = timedelta(hours=1)  # a DATE-TIME event without DTEND or DURATION
_ESCAPED = re.compile(r"\\(.)")
_UNESCAPE = {"n": "\n", "N": "\n"}
_BROKEN: tuple[type, ...] = tuple(
    t for t in (getattr(icalendar.prop, "vBroken", None),) if isinstance(t, type)
)  # icalendar ≥ 7 keeps unparsable values as vBroken


def meeting_uid(meeting: Meeting) -> str:
    """The meeting's iCalendar UID: its imported UID, or one made from its id (stable)."""
    return meeting.ical_uid or f"{meeting.id}@{UID_DOMAIN}"


# ---------------------------------------------------------------- export


def _address(ident: str, name: str, email: str) -> icalendar.vCalAddress | None:
    """A cal-address (`mailto:`) with CN; None for someone without an e-mail address."""
    if not email:
        return None
    addr = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        addr.params["CN"] = name
    if ident:
        addr.params["X-OA-ID"] = ident
    return addr


def _organizer(meeting: Meeting) -> icalendar.vCalAddress | None:
    return _address(meeting.organiser_id, meeting.organiser_name, meeting.organiser_email)


def _people(meeting: Meeting, rsvps: Mapping[str, Rsvp], *, itip: bool = True) -> list[Any]:
    """The invited people and units as ATTENDEE values, each with CUTYPE, ROLE, RSVP, PARTSTAT;
    or, for those without an e-mail address (and for everyone in a PUBLISH feed), as
    X-OA-ATTENDEE values (same parameters, the id as the value, the address in X-OA-EMAIL)."""
    out: list[Any] = []
    for a in meeting.attendees:
        addr = _address(a.id, a.name, a.email) if itip else None
        if addr is None:
            addr = icalendar.vText(a.id)
            if a.name:
                addr.params["CN"] = a.name
            addr.params["X-OA-ID"] = a.id
            if a.email:
                addr.params["X-OA-EMAIL"] = a.email
        addr.params["CUTYPE"] = "GROUP" if a.kind == "unit" else "INDIVIDUAL"
        addr.params["ROLE"] = "REQ-PARTICIPANT" if a.required else "OPT-PARTICIPANT"
        addr.params["RSVP"] = "TRUE"
        if a.role == "observer":
            addr.params["X-OA-ROLE"] = "observer"
        if a.seats != 1:
            addr.params["X-OA-SEATS"] = str(a.seats)
        reply = rsvps.get(a.id)
        addr.params["PARTSTAT"] = _PARTSTAT[reply.answer] if reply is not None else "NEEDS-ACTION"
        out.append(addr)
    return out


def _add_people(ev: icalendar.Event, meeting: Meeting, rsvps: Mapping[str, Rsvp], *,
                attendees: bool) -> None:
    """ORGANIZER, and (unless a PUBLISH feed: X-OA-ATTENDEE only) every ATTENDEE, on one VEVENT."""
    organizer = _organizer(meeting)
    if organizer is not None:
        ev.add("organizer", organizer, encode=0)
    for addr in _people(meeting, rsvps, itip=attendees):
        ev.add("attendee" if isinstance(addr, icalendar.vCalAddress) else "x-oa-attendee", addr, encode=0)


def itip_ready(meeting: Meeting) -> bool:
    """Whether the meeting can be sent as an iTIP REQUEST/CANCEL (RFC 5546): an organiser and at
    least one attendee with an e-mail address."""
    return bool(meeting.organiser_email) and any(a.email for a in meeting.attendees)


def _rrule(meeting: Meeting) -> dict[str, Any]:
    rule = meeting.recurrence
    assert rule is not None
    out: dict[str, Any] = {"FREQ": _FREQ[rule.freq]}
    if rule.interval != 1:
        out["INTERVAL"] = rule.interval
    if rule.by_weekday:
        prefix = str(rule.week_of_month) if rule.freq == "monthly" and rule.week_of_month else ""
        out["BYDAY"] = [prefix + _DAYS[d] for d in rule.by_weekday]
    if rule.count is not None:
        out["COUNT"] = rule.count
    if rule.until is not None:
        out["UNTIL"] = rule.until.astimezone(UTC)
    return out


def _location(meeting: Meeting, room: Room | None) -> str:
    if room is not None:
        return room.label
    return meeting.location_text or meeting.online_link or ""


def _local(meeting: Meeting, value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(meeting.timezone))


_PARTSTAT = {"attend": "ACCEPTED", "decline": "DECLINED", "delegate": "DELEGATED"}


def _master(meeting: Meeting, *, rooms: Mapping[str, Room], stamp: datetime,
            rsvps: Mapping[str, Rsvp], attendees: bool = True) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", meeting_uid(meeting))
    ev.add("dtstamp", stamp)
    ev.add("sequence", meeting.sequence)
    ev.add("summary", meeting.subject)
    if meeting.all_day:
        ev.add("dtstart", meeting.starts_at.astimezone(TZ).date())
        ev.add("dtend", meeting.ends_at.astimezone(TZ).date())
    else:
        ev.add("dtstart", _local(meeting, meeting.starts_at))
        ev.add("dtend", _local(meeting, meeting.ends_at))
    status = "CANCELLED" if meeting.state == "cancelled" else "TENTATIVE" if meeting.tentative else "CONFIRMED"
    ev.add("status", status)
    room = rooms.get(meeting.room_id) if meeting.room_id else None
    location = _location(meeting, room)
    if location:
        ev.add("location", location)
    text = [meeting.description] if meeting.description else []
    if meeting.agenda:
        text.append(_("议程：") + "\n" + "\n".join(f"{i}. {a}" for i, a in enumerate(meeting.agenda, 1)))
    if meeting.online_link:
        ev.add("url", meeting.online_link)
        text.append(_("线上会议：") + meeting.online_link)
    if text:
        ev.add("description", "\n\n".join(text))
    _add_people(ev, meeting, rsvps, attendees=attendees)
    if meeting.organiser_id and not meeting.organiser_email:
        ev.add("x-oa-organiser", icalendar.vText(meeting.organiser_id),
               parameters={"X-OA-ID": meeting.organiser_id, **(
                   {"CN": meeting.organiser_name} if meeting.organiser_name else {})})
    if any(not a.email for a in meeting.attendees):  # ATTENDEE and X-OA-ATTENDEE lines: the order
        for a in meeting.attendees:
            ev.add("x-oa-attendee-order", icalendar.vText(a.id))
    if meeting.recurrence is not None:
        ev.add("rrule", _rrule(meeting))
        cancelled = [_local(meeting, e.original_start) for e in meeting.exceptions if e.cancelled]
        if cancelled:
            ev.add("exdate", cancelled)
    for m in meeting.materials:  # content hashes, not links: no ATTACH (RFC 5545 wants a URI to fetch)
        ev.add("x-oa-material", icalendar.vText(m.sha256),
               parameters={"X-OA-FILENAME": m.name, "X-OA-SIZE": str(m.size)})
    ev.add("x-oa-meeting-id", meeting.id)
    for key, value in (("x-oa-room-id", meeting.room_id), ("x-oa-host-unit-id", meeting.host_unit_id),
                       ("x-oa-host-unit", meeting.host_unit_name), ("x-oa-chair-id", meeting.chair_id),
                       ("x-oa-chair", meeting.chair_name), ("x-oa-description", meeting.description)):
        if value:
            ev.add(key, icalendar.vText(value))
    for item in meeting.agenda:
        ev.add("x-oa-agenda", icalendar.vText(item))
    if meeting.reply_deadline is not None:
        ev.add("x-oa-reply-deadline", icalendar.vText(meeting.reply_deadline.astimezone(UTC).isoformat()))
    if meeting.timezone != "Asia/Shanghai":
        ev.add("x-oa-timezone", icalendar.vText(meeting.timezone))
    return ev


def _moved(meeting: Meeting, exc: OccurrenceException, *, rooms: Mapping[str, Room],
           stamp: datetime, rsvps: Mapping[str, Rsvp], attendees: bool = True) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", meeting_uid(meeting))
    ev.add("dtstamp", stamp)
    ev.add("sequence", meeting.sequence)
    ev.add("recurrence-id", _local(meeting, exc.original_start))
    _add_people(ev, meeting, rsvps, attendees=attendees)
    ev.add("summary", meeting.subject)
    assert exc.starts_at is not None
    ev.add("dtstart", _local(meeting, exc.starts_at))
    ev.add("dtend", _local(meeting, exc.ends_at or exc.starts_at + meeting.duration))
    room_id = exc.room_id or meeting.room_id
    room = rooms.get(room_id) if room_id else None
    location = _location(meeting, room)
    if location:
        ev.add("location", location)
    if exc.room_id:
        ev.add("x-oa-room-id", icalendar.vText(exc.room_id))
    ev.add("status", "CANCELLED" if meeting.state == "cancelled" else "CONFIRMED")
    return ev


def _calendar(method: str | None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _events(meeting: Meeting, *, rooms: Mapping[str, Room], stamp: datetime,
            rsvps: Iterable[Rsvp] = (), attendees: bool = True) -> list[icalendar.Event]:
    replies = {r.attendee_id: r for r in rsvps if r.meeting_id == meeting.id}
    events = [_master(meeting, rooms=rooms, stamp=stamp, rsvps=replies, attendees=attendees)]
    events += [_moved(meeting, e, rooms=rooms, stamp=stamp, rsvps=replies, attendees=attendees)
               for e in meeting.exceptions if not e.cancelled and e.starts_at is not None]
    return events


def export_meeting(
    meeting: Meeting,
    *,
    rooms: Mapping[str, Room] | None = None,
    rsvps: Iterable[Rsvp] = (),
    now: datetime | None = None,
) -> bytes:
    """One meeting (and its moved occurrences) as an invitation; METHOD:CANCEL once cancelled
    (no METHOD when the organiser or every attendee lacks an e-mail address, see the module)."""
    method = "CANCEL" if meeting.state == "cancelled" else "REQUEST"
    cal = _calendar(method if itip_ready(meeting) else None)
    for ev in _events(meeting, rooms=rooms or {}, stamp=now or datetime.now(UTC), rsvps=rsvps):
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def export_occurrence_cancellation(
    meeting: Meeting, *, original_start: datetime, now: datetime | None = None
) -> bytes:
    """A METHOD:CANCEL for one occurrence of a series ("this one only"), to every attendee."""
    cal = _calendar("CANCEL" if itip_ready(meeting) else None)
    ev = icalendar.Event()
    ev.add("uid", meeting_uid(meeting))
    ev.add("dtstamp", now or datetime.now(UTC))
    ev.add("sequence", meeting.sequence)
    ev.add("recurrence-id", _local(meeting, original_start))
    _add_people(ev, meeting, {}, attendees=True)
    ev.add("dtstart", _local(meeting, original_start))
    ev.add("summary", meeting.subject)
    ev.add("status", "CANCELLED")
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def export_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str = "",
    rooms: Mapping[str, Room] | None = None,
    rsvps: Iterable[Rsvp] = (),
    now: datetime | None = None,
) -> bytes:
    """Subscription-style export of many meetings ("my calendar"), METHOD:PUBLISH: ORGANIZER, no
    ATTENDEE (RFC 5546 §3.2.1); no METHOD when a meeting's organiser has no e-mail address."""
    rsvps = list(rsvps)
    meetings = list(meetings)
    cal = _calendar("PUBLISH" if all(m.organiser_email for m in meetings) else None)
    cal.add("x-wr-calname", name or _("我的会议"))
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = now or datetime.now(UTC)
    for m in meetings:
        for ev in _events(m, rooms=rooms or {}, stamp=stamp, rsvps=rsvps, attendees=False):
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


# ---------------------------------------------------------------- import


def _corrupt(detail: str) -> ValidationError:
    return ValidationError(_("日历文件已损坏或格式不正确，无法导入"), field="ics", detail=detail)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, icalendar.vText):
        return str(value)
    raw = value.to_ical() if hasattr(value, "to_ical") else value
    raw = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), raw)


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    return [_text(v) for v in (value if isinstance(value, list) else [value])]


def _zone_name(tz: tzinfo | None) -> str | None:
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return key if zone_of(key) is not None else None


def _aware(value: Any, *, field: str) -> datetime:
    """A DATE-TIME made aware: floating times are Beijing time; DATE means midnight."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=TZ)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=TZ)
    raise _corrupt(f"{field}: {value!r}")


def _decoded(ev: icalendar.Event, name: str) -> Any:
    prop = ev.get(name)
    if prop is None:
        return None
    if isinstance(prop, _BROKEN):
        raise _corrupt(f"{name}: {prop}")
    dt = getattr(prop, "dt", None)
    if dt is None:
        raise _corrupt(f"{name}: {prop!r}")
    return dt


def _recurrence(ev: icalendar.Event, zone: ZoneInfo, first_day: int) -> Recurrence | None:
    rrule = ev.get("rrule")
    if rrule is None:
        return None
    if isinstance(rrule, list):
        if len(rrule) != 1:
            raise ValidationError(_("不支持的重复规则：{rule}").format(rule=_("多条重复规则")), field="ics")
        rrule = rrule[0]
    parts = {k.upper(): v for k, v in dict(rrule).items()}
    freq = str((parts.pop("FREQ", [""]) or [""])[0]).upper()
    known = {v: k for k, v in _FREQ.items()}
    if freq not in known:
        raise ValidationError(_("不支持的重复规则：{rule}").format(rule=freq or "?"), field="ics")
    data: dict[str, Any] = {"freq": known[freq]}
    if "INTERVAL" in parts:
        data["interval"] = int(parts.pop("INTERVAL")[0])
    if "COUNT" in parts:
        data["count"] = int(parts.pop("COUNT")[0])
    if "UNTIL" in parts:
        until = parts.pop("UNTIL")[0]
        if isinstance(until, datetime):
            data["until"] = until if until.tzinfo else until.replace(tzinfo=zone)
        else:  # a DATE: the whole day counts
            data["until"] = datetime.combine(until, time.max, tzinfo=zone)
    parts.pop("WKST", None)
    setpos = parts.pop("BYSETPOS", None)
    days, nth = [], set()
    for token in parts.pop("BYDAY", []) or []:
        token = str(token).upper()
        code, prefix = token[-2:], token[:-2]
        if code not in _DAYS:
            raise ValidationError(_("不支持的重复规则：{rule}").format(rule=token), field="ics")
        days.append(_DAYS.index(code))
        if prefix:
            nth.add(int(prefix))
    if setpos:
        if len(days) != 1:
            raise ValidationError(_("不支持的重复规则：{rule}").format(rule=rrule.to_ical().decode()), field="ics")
        nth.add(int(setpos[0]))
    if days:
        data["by_weekday"] = tuple(days)
    if nth:
        if len(nth) != 1 or data["freq"] != "monthly":
            raise ValidationError(_("不支持的重复规则：{rule}").format(rule=rrule.to_ical().decode()), field="ics")
        data["week_of_month"] = nth.pop()
    monthday = parts.pop("BYMONTHDAY", None)
    if monthday and [int(d) for d in monthday] != [first_day]:
        raise ValidationError(_("不支持的重复规则：{rule}").format(rule=rrule.to_ical().decode()), field="ics")
    if parts:
        raise ValidationError(_("不支持的重复规则：{rule}").format(rule=rrule.to_ical().decode()), field="ics")
    return Recurrence(**data)


def _attendee(addr: Any) -> Attendee:
    params = getattr(addr, "params", {})
    uri = str(addr)
    email = uri[7:] if uri.lower().startswith("mailto:") else str(params.get("X-OA-EMAIL", ""))
    kind = "unit" if str(params.get("CUTYPE", "")).upper() == "GROUP" else "person"
    ident = str(params.get("X-OA-ID", "")) or (uri.rsplit(":", 1)[-1] if uri.startswith("urn:oa:") else "")
    ident = ident or email.lower() or str(params.get("CN", "")) or uri
    return Attendee(
        kind=kind, id=ident, name=str(params.get("CN", "")), email=email,
        required=str(params.get("ROLE", "REQ-PARTICIPANT")).upper() != "OPT-PARTICIPANT",
        role="observer" if str(params.get("X-OA-ROLE", "")) == "observer" else "member",
        seats=int(str(params.get("X-OA-SEATS", "1")) or 1),
    )


def _attendees(master: icalendar.Event) -> tuple[Attendee, ...]:
    """ATTENDEEs and our X-OA-ATTENDEEs (people without e-mail), in the order the notice had."""
    found = [_attendee(a) for a in _list(master.get("attendee"))]
    found += [_attendee(a) for a in _list(master.get("x-oa-attendee"))]
    order = {a: i for i, a in enumerate(_texts(master.get("x-oa-attendee-order")))}
    return tuple(sorted(found, key=lambda a: order.get(a.id, len(order))))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _exdates(ev: icalendar.Event) -> list[datetime]:
    out = []
    for item in _list(ev.get("exdate")):
        for d in getattr(item, "dts", []):
            out.append(_aware(d.dt, field="EXDATE"))
    return out


def _override(ev: icalendar.Event, *, length: timedelta, method: str) -> OccurrenceException:
    """One sitting of a series changed (RECURRENCE-ID): cancelled, or moved."""
    original = _aware(_decoded(ev, "recurrence-id"), field="RECURRENCE-ID")
    if method == "CANCEL" or _text(ev.get("status")).upper() == "CANCELLED":
        return OccurrenceException(original_start=original, cancelled=True)
    start_raw = _decoded(ev, "dtstart")
    start = _aware(start_raw, field="DTSTART") if start_raw is not None else original
    end_raw = _decoded(ev, "dtend")
    end = _aware(end_raw, field="DTEND") if end_raw is not None else start + length
    return OccurrenceException(original_start=original, starts_at=start, ends_at=end,
                               room_id=_text(ev.get("x-oa-room-id")) or None)


def _meeting(master: icalendar.Event, overrides: list[icalendar.Event], *, method: str) -> Meeting:
    start_raw = _decoded(master, "dtstart")
    if start_raw is None:
        raise ValidationError(_("日历中的会议缺少开始时间"), field="ics")
    all_day = isinstance(start_raw, date) and not isinstance(start_raw, datetime)
    named = _text(master.get("x-oa-timezone"))  # a zone no one has is taken as not given
    zone_name = (named if zone_of(named) is not None else None) or (
        _zone_name(start_raw.tzinfo) if isinstance(start_raw, datetime) else None) or "Asia/Shanghai"
    zone = ZoneInfo(zone_name)
    starts_at = _aware(start_raw, field="DTSTART")
    end_raw = _decoded(master, "dtend")
    if end_raw is not None:
        ends_at = _aware(end_raw, field="DTEND")
    elif master.get("duration") is not None:
        ends_at = starts_at + _decoded(master, "duration")
    else:
        ends_at = starts_at + (timedelta(days=1) if all_day else _DEFAULT_LENGTH)
    if ends_at <= starts_at:
        raise ValidationError(_("日历中的会议结束时间早于开始时间"), field="ics")
    uid = _text(master.get("uid"))
    exceptions = [OccurrenceException(original_start=d, cancelled=True) for d in _exdates(master)]
    exceptions += [_override(o, length=ends_at - starts_at, method=method) for o in overrides]
    organizer = master.get("organizer") or master.get("x-oa-organiser")
    org = _attendee(organizer) if organizer is not None else None
    url = _text(master.get("url"))
    location = _text(master.get("location"))
    deadline = _text(master.get("x-oa-reply-deadline"))
    materials = [  # ours (X-OA-MATERIAL: a content hash), and files written before (urn:sha256 ATTACH)
        Material(name=str(a.params.get("X-OA-FILENAME", "")) or str(a), sha256=str(a),
                 size=int(str(a.params.get("X-OA-SIZE", "0")) or 0))
        for a in _list(master.get("x-oa-material"))
    ] + [
        Material(name=str(a.params.get("FILENAME", "")) or str(a), size=int(str(a.params.get("X-OA-SIZE", "0")) or 0),
                 sha256=str(a)[len("urn:sha256:"):] if str(a).startswith("urn:sha256:") else "")
        for a in _list(master.get("attach"))
    ]
    cancelled = method == "CANCEL" or _text(master.get("status")).upper() == "CANCELLED"
    try:
        return Meeting(
            id=_text(master.get("x-oa-meeting-id")) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"ical:{uid}")),
            ical_uid=None if uid.endswith("@" + UID_DOMAIN) else uid or None,
            subject=_text(master.get("summary")) or _("（无主题）"),
            starts_at=starts_at.astimezone(TZ), ends_at=ends_at.astimezone(TZ),
            timezone=zone_name, all_day=all_day,
            room_id=_text(master.get("x-oa-room-id")) or None,
            online_link=url if url.startswith(("https://", "http://")) else None,
            location_text="" if master.get("x-oa-room-id") or location == url else location,
            host_unit_id=_text(master.get("x-oa-host-unit-id")),
            host_unit_name=_text(master.get("x-oa-host-unit")),
            chair_id=_text(master.get("x-oa-chair-id")), chair_name=_text(master.get("x-oa-chair")),
            organiser_id=org.id if org else "", organiser_name=org.name if org else "",
            organiser_email=org.email if org else "",
            agenda=tuple(_texts(master.get("x-oa-agenda"))),
            description=_text(master.get("x-oa-description")) if master.get("x-oa-meeting-id")
            else _text(master.get("description")),
            attendees=_attendees(master),
            materials=tuple(materials),
            reply_deadline=datetime.fromisoformat(deadline) if deadline else None,
            recurrence=_recurrence(master, zone, starts_at.astimezone(zone).day),
            exceptions=tuple(exceptions),
            state="cancelled" if cancelled else "scheduled",
            sequence=int(master.get("sequence", 0) or 0),
            tentative=_text(master.get("status")).upper() == "TENTATIVE",
        )
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise _corrupt(str(exc)) from None


def _parse(data: bytes | str) -> list[icalendar.Calendar]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("gb18030", "replace")  # some domestic clients write GBK
    try:
        return list(icalendar.Calendar.from_ical(data, multiple=True))
    except (ValueError, KeyError, IndexError) as exc:
        raise _corrupt(str(exc)) from None


def _grouped(cal: icalendar.Calendar) -> dict[str, tuple[list[icalendar.Event], list[icalendar.Event]]]:
    """Events by UID: (masters, overrides with RECURRENCE-ID)."""
    by_uid: dict[str, tuple[list[icalendar.Event], list[icalendar.Event]]] = {}
    for ev in cal.walk("VEVENT"):
        masters, overrides = by_uid.setdefault(_text(ev.get("uid")), ([], []))
        (overrides if ev.get("recurrence-id") is not None else masters).append(ev)
    return by_uid


def _guarded(build: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return build(*args, **kwargs)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _corrupt(str(exc)) from None


def import_calendar(data: bytes | str) -> list[Meeting]:
    """Every meeting in an .ics file (a series and its overrides become one Meeting).

    A file holding only changed sittings of a series we do not have (RECURRENCE-ID
    without its master) gives each sitting as its own meeting with its own id; to
    apply such a change to a series we hold, use apply_invitation.
    """
    meetings: list[Meeting] = []
    for cal in _parse(data):
        method = _text(cal.get("method")).upper()
        for uid, (masters, overrides) in _grouped(cal).items():
            if masters:
                meetings.append(_guarded(_meeting, masters[0], overrides, method=method))
                continue
            for o in overrides:
                rid = _text(o.get("recurrence-id"))
                o.pop("recurrence-id", None)
                m = _guarded(_meeting, o, [], method=method)
                meetings.append(m.model_copy(update={
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ical:{uid}:{rid}")), "ical_uid": uid or None}))
    if not meetings:
        raise ValidationError(_("日历文件中没有会议"), field="ics")
    return meetings


def import_invitation(data: bytes | str) -> Meeting:
    """The meeting of an .ics invitation (the first one when the file holds several)."""
    return import_calendar(data)[0]


def apply_invitation(meeting: Meeting, data: bytes | str) -> Meeting:
    """An update or cancellation (.ics) applied to the meeting we hold; older SEQUENCEs change nothing."""
    uid = meeting_uid(meeting)
    updated, matched = meeting, False
    for cal in _parse(data):
        method = _text(cal.get("method")).upper()
        masters, overrides = _grouped(cal).get(uid, ([], []))
        matched = matched or bool(masters or overrides)
        if masters:
            incoming = _guarded(_meeting, masters[0], overrides, method=method)
            if incoming.sequence >= updated.sequence:  # RFC 5546: an outdated copy is ignored
                updated = incoming.model_copy(update={"id": meeting.id, "ical_uid": meeting.ical_uid})
            continue
        for o in overrides:
            sequence = int(o.get("sequence", 0) or 0)
            if sequence < updated.sequence:
                continue
            exc = _guarded(_override, o, length=updated.duration, method=method)
            kept = tuple(e for e in updated.exceptions
                         if e.original_start.astimezone(UTC) != exc.original_start.astimezone(UTC))
            updated = updated.model_copy(update={"exceptions": (*kept, exc), "sequence": sequence})
    if not matched:
        raise ValidationError(_("日历文件中没有这次会议"), field="ics")
    return updated
