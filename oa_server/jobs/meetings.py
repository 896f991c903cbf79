"""Meeting reminders: the day before and half an hour before each sitting, once each, to the
people expected there (and to invited units that have not named anyone yet)."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta
from typing import Any

from oa_client.domain.meetings_records import expected_people, meeting_from_record
from oa_client.domain.meetings_recurrence import expand
from oa_client.domain.notifications import COLLECTION
from oa_client.errors import ValidationError
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from oa_server.jobs import Every, Job, JobRun, Outcome, local, register
from oa_server.notify import notice_id, notify

SOON = timedelta(minutes=30)
DAY_BEFORE_AT = time(9, 0)  # the day before's reminder goes out from 09:00 Beijing time
LOOK_AHEAD = timedelta(hours=48)
_START = re.compile(r'"starts_at":"([^"]*)"')


def _candidates(ctx: Ctx) -> list[dict[str, Any]]:
    """Meetings that may sit within the next two days (series always looked at)."""
    lo, hi = ctx.now - timedelta(days=1), ctx.now + LOOK_AHEAD
    lo_text, hi_text = lo.strftime("%Y-%m-%dT%H:%M:%SZ"), hi.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for rid, text in ctx.meetings_near(lo, hi):
        if '"state":"cancelled"' in text or '"booking_state":"refused"' in text:
            continue
        found = _START.search(text)
        if '"recurrence":{' not in text and '"exceptions":[{' not in text and (
                found is None or not lo_text <= found.group(1) <= hi_text):
            continue
        out.append({**json.loads(text), "id": rid})
    return out


def _place(ctx: Ctx, rec: dict[str, Any], room_id: str | None) -> str:
    room = ctx.get("rooms", room_id) if room_id else None
    if room is not None:
        return str(room.get("name") or "")
    return str(rec.get("location_text") or rec.get("online_link") or "")


def _recipients(rec: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(people, units) to remind: those expected, minus who declined; units still to name
    their people."""
    meeting = meeting_from_record(rec)
    rsvp = rec.get("rsvp") or {}
    named = rec.get("rsvp_people") or {}
    people = {p for p, a in expected_people(meeting, named).items()
              if rsvp.get(a) != "declined" and rsvp.get(p) != "declined"}
    units = {a.id for a in meeting.attendees if a.kind == "unit" and not named.get(a.id)
             and rsvp.get(a.id) != "declined"}
    return people, units


def remind(ctx: Ctx) -> dict[str, int]:
    """Send the reminders due now (each sitting: the day before, then 30 minutes before)."""
    sent = {"tomorrow": 0, "soon": 0}
    today = local(ctx.now).date()
    plan = []
    for rec in _candidates(ctx):
        try:
            meeting = meeting_from_record(rec)
        except ValidationError:
            continue
        for occ in expand(meeting, window_start=ctx.now, window_end=ctx.now + LOOK_AHEAD):
            if occ.starts_at <= ctx.now:
                continue
            start_day = local(occ.starts_at).date()
            base = f"meeting:{rec['id']}:{occ.starts_at.isoformat()}"
            if start_day - timedelta(days=1) == today and local(ctx.now).time() >= DAY_BEFORE_AT:
                plan.append((f"{base}:tomorrow", "meeting.tomorrow", rec, occ))
            if occ.starts_at - SOON <= ctx.now:
                plan.append((f"{base}:soon", "meeting.soon", rec, occ))
    ctx.preload({(COLLECTION, notice_id(key)) for key, *_rest in plan})
    for key, kind, rec, occ in plan:
        people, units = _recipients(rec)
        args = {"title": str(rec.get("title") or ""), "time": local(occ.starts_at).strftime("%H:%M"),
                "place": _place(ctx, rec, occ.room_id)}
        if notify(ctx, key=key, kind=kind, args=args, collection="meetings", record_id=rec["id"],
                  users=people, units=units, expires_at=occ.starts_at if kind.endswith("tomorrow")
                  else occ.ends_at, urgent=kind == "meeting.soon"):
            sent[kind.split(".")[1]] += 1
    return sent


class Remind(Job):
    """会议提醒 (every five minutes, so "30 minutes before" is at most five minutes late)."""

    name = "meetings.remind"
    title = "会议提醒（会前一天、会前30分钟）"
    schedule = Every(minutes=5)

    def run(self, run: JobRun) -> Outcome:
        """One look at the sittings of the next two days."""
        with run.batch() as ctx:
            sent = remind(ctx)
        return Outcome(touched=sum(sent.values()), details=sent)


#: what an administrator reads for each job (translated where shown)
_TITLE_IDS = (_("会议提醒（会前一天、会前30分钟）"),)


register(Remind())
