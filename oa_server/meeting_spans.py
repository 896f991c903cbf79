"""The meetings near a window, without reading every meeting: `meeting_spans` keeps each live
meeting's first start and last end (open for a series without an end), written with the
record in the same transaction, so free/busy, conflict checks and reminders ask an index."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from oa_client.domain.meetings_records import parse_time, utc_text
from oa_client.errors import ValidationError
from oa_server.sync_models import MeetingSpan, SyncRecord

SPANS = MeetingSpan.__table__
#: the longest a repeat can take per step (monthly on the 5th week: up to 35 days)
_STEP = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=35)}
_SLACK = timedelta(days=1)  # the series repeats on its wall clock, not in UTC


def span_of(data: dict[str, Any]) -> tuple[str, str | None] | None:
    """(first start, last end or None for no end) of a meeting's data; None when it keeps
    nobody busy (cancelled, refused) or its times cannot be read."""
    if data.get("state") == "cancelled" or data.get("booking_state") == "refused":
        return None
    try:
        starts = [parse_time(data.get("starts_at"), field="starts_at")]
        ends = [parse_time(data.get("ends_at"), field="ends_at")]
        for moved in data.get("exceptions") or []:
            if isinstance(moved, dict) and moved.get("starts_at") and moved.get("ends_at"):
                starts.append(parse_time(moved["starts_at"], field="starts_at"))
                ends.append(parse_time(moved["ends_at"], field="ends_at"))
    except ValidationError:
        return None
    last = max(ends)
    rule = data.get("recurrence")
    if isinstance(rule, dict):
        end = _series_end(rule, starts[0], ends[0] - starts[0])
        if end is None:
            return utc_text(min(starts)), None
        last = max(last, end)
    return utc_text(min(starts)), utc_text(last)


def _series_end(rule: dict[str, Any], first: datetime, length: timedelta) -> datetime | None:
    """A bound on when a series' last sitting ends (generous: the check is exact later)."""
    bounds = []
    if rule.get("until"):
        try:
            bounds.append(parse_time(rule["until"], field="until") + length + _SLACK)
        except ValidationError:
            return None
    count, step = rule.get("count"), _STEP.get(str(rule.get("freq")))
    if isinstance(count, int) and count > 0 and step is not None:
        interval = rule.get("interval") if isinstance(rule.get("interval"), int) else 1
        try:
            bounds.append(first + step * (count * max(interval, 1) + 1) + length + _SLACK)
        except OverflowError:  # a rule past the calendar (kept before it was refused): open
            pass
    return min(bounds) if bounds else None


def write_spans(session: Session, records: Iterable[Any]) -> None:
    """Bring the spans of these meeting records (StoredRecord-like: id, data, deleted) up to
    date: one delete and one insert for the lot."""
    rows, ids = [], []
    for rec in records:
        ids.append(rec.id)
        span = None if rec.deleted else span_of(json.loads(rec.data))
        if span is not None:
            rows.append({"meeting_id": rec.id, "first_start": span[0], "last_end": span[1]})
    for lo in range(0, len(ids), 500):
        session.execute(delete(SPANS).where(SPANS.c.meeting_id.in_(ids[lo:lo + 500])))
    if rows:
        session.execute(insert(SPANS), rows)


def in_window(lo: datetime, hi: datetime) -> Any:
    """The condition of a span that may have a sitting between `lo` and `hi`."""
    return (SPANS.c.first_start < utc_text(hi)) & or_(SPANS.c.last_end.is_(None),
                                                      SPANS.c.last_end > utc_text(lo))


def texts_in_window(session: Session, lo: datetime, hi: datetime) -> list[tuple[str, str, str]]:
    """(id, stored JSON text, created_by) of the live meetings that may be busy in the window."""
    rec = SyncRecord.__table__
    query = (select(rec.c.id, rec.c.data, rec.c.created_by)
             .join(SPANS, SPANS.c.meeting_id == rec.c.id)
             .where(rec.c.collection == "meetings", rec.c.deleted.is_(False), in_window(lo, hi)))
    return [tuple(row) for row in session.execute(query).all()]
