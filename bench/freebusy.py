"""Free/busy benchmark: a week's busy times from a year of meetings, read through
`meeting_spans` (the server's query) against the scan of every meeting it replaced (the
baseline, same database, same run). Both decode and expand only the meetings that may sit in
the window; the ratio is what the index saves as meetings pile up."""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from oa_client.domain.meetings_conflicts import bookings_of
from oa_client.domain.meetings_records import meeting_from_record, utc_text
from oa_server.authority.meetings import FIELD_TEXT
from oa_server.db import make_engine, make_sessionmaker
from oa_server.meeting_spans import texts_in_window, write_spans
from oa_server.migrate import upgrade
from oa_server.sync_batch import dumps
from oa_server.sync_models import SyncRecord
from oa_server.sync_rows import RECORDS

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


class _Row:
    def __init__(self, rid: str, data: str) -> None:
        self.id, self.data, self.deleted = rid, data, False


def _meetings(n: int, people: list[str]) -> list[dict]:
    rnd = random.Random(7)
    out = []
    for i in range(n):
        start = START + timedelta(days=rnd.randrange(365), hours=rnd.randrange(9))
        data = {"title": f"会议{i}", "subject": f"会议{i}", "starts_at": utc_text(start),
                "ends_at": utc_text(start + timedelta(hours=1)), "state": "scheduled",
                "attendees": [{"id": p, "name": p} for p in rnd.sample(people, 4)],
                "recurrence": None, "exceptions": []}
        if i % 50 == 0:  # a few weekly series without an end
            data["recurrence"] = {"freq": "weekly", "by_weekday": [start.weekday()]}
        out.append(data)
    return out


def _busy(rows, lo: datetime, hi: datetime, wanted: set[str]) -> int:
    found = 0
    for rid, text, _by in rows:
        meeting = meeting_from_record({**json.loads(text), "id": rid})
        for b in bookings_of(meeting, window_start=lo, window_end=hi):
            if b.starts_at < hi and b.ends_at > lo:  # a single sitting comes back as it is
                found += len(b.person_ids & wanted)
    return found


def _scan(session, lo: datetime, hi: datetime) -> list:
    """The query free/busy made before the index: every live meeting, cut on its times."""
    lo_text, hi_text = utc_text(lo), utc_text(hi)
    rows = session.execute(select(RECORDS.c.id, RECORDS.c.data, RECORDS.c.created_by).where(
        RECORDS.c.collection == "meetings", RECORDS.c.deleted.is_(False))).all()
    out = []
    for rid, text, by in rows:
        if '"recurrence":null' in text and '"exceptions":[]' in text:
            times = dict(FIELD_TEXT.findall(text))
            if times.get("ends_at", "9") <= lo_text or times.get("starts_at", "") >= hi_text:
                continue
        out.append((rid, text, by))
    return out


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Seed a year of meetings, then time a week's free/busy both ways."""
    n = 2_000 if quick else 50_000
    people = [f"p{i:04d}" for i in range(500)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'oa.sqlite3'}")
        upgrade(engine)
        maker = make_sessionmaker(engine)
        with maker() as s:
            rows = [{"collection": "meetings", "id": f"m{i:06d}", "rev": i + 1, "deleted": False,
                     "data": dumps(d), "unit_id": "u", "parent": None,
                     "created_by": "p0000", "updated_by": "p0000", "updated_at": START}
                    for i, d in enumerate(_meetings(n, people))]
            s.execute(insert(SyncRecord), rows)
            write_spans(s, [_Row(r["id"], r["data"]) for r in rows])
            s.commit()
        wanted = set(people[:20])
        weeks = [START + timedelta(weeks=w) for w in range(5, 50, 9)]
        times: dict[str, list[float]] = {"scan": [], "index": []}
        answers: dict[str, list[int]] = {"scan": [], "index": []}
        for _round in range(3):
            for lo in weeks:
                hi = lo + timedelta(days=7)
                for name, query in (("scan", _scan), ("index", texts_in_window)):
                    with maker() as s:
                        t = time.perf_counter()
                        answers[name].append(_busy(query(s, lo, hi), lo, hi, wanted))
                        times[name].append(time.perf_counter() - t)
        engine.dispose()
    if answers["scan"] != answers["index"]:
        raise RuntimeError("the index and the scan disagree on who is busy")
    scan_ms = statistics.median(times["scan"]) * 1000
    index_ms = statistics.median(times["index"]) * 1000
    metrics = {"meetings": n, "freebusy_week_scan_ms": round(scan_ms, 2),
               "freebusy_week_index_ms": round(index_ms, 2),
               "freebusy_index_speedup": round(scan_ms / index_ms, 1)}
    if verbose:
        print(f"{n} meetings over a year: a week's free/busy {scan_ms:.1f} ms scanning every "
              f"meeting, {index_ms:.1f} ms through meeting_spans")
    return metrics
