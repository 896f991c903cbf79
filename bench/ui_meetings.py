"""Meetings screen benchmark (part of `python -m bench ui`): the week view with 2,000 meetings
in the profile (`week_view_ms`: read, expand series, paint), and find-a-time for 20 attendees
over a working week (`find_a_time_ms`: busy times, slots, the busy grid painted), offline.
Each runs in a child process, offscreen, on the bench profile."""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bench._ui_profile import LOGIN, SERVER, build_profile, child_env, run_child

MEETINGS = 2_000
ATTENDEES = 20
POOL = 80  # people in the profile; the first 20 are the find-a-time group
WEEK = datetime(2026, 11, 23)  # a Monday; sittings are placed around it


def _fixture(root: Path, entries: dict[str, str]) -> None:
    """2,000 meetings (some weekly series) over a year around the bench week, 20 people, rooms."""
    from oa_client.domain.meetings import TZ, Attendee, Meeting, Recurrence
    from oa_client.domain.meetings_records import meeting_record
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from ui.shell_session import profile_dir_for

    kr = MemoryKeyring()
    kr.entries.update({tuple(k.split("\x00", 1)): v for k, v in entries.items()})
    store = open_store(profile_dir_for(root / "profiles", SERVER, LOGIN), keyring_backend=kr,
                       server_url=SERVER, username=LOGIN)
    rng = random.Random(11)
    try:
        people = [{"id": f"u-{i:02d}", "rev": 1, "unit_id": "unit-bench", "name": f"参会人{i:02d}"}
                  for i in range(POOL)]
        people.append({"id": "u-bench", "rev": 1, "unit_id": "unit-bench", "name": "王伟"})
        store.records.write("users", people)
        rooms = [{"id": f"r-{i}", "rev": 1, "name": f"第{i + 1}会议室", "capacity": 10 + 10 * i}
                 for i in range(6)]
        store.records.write("rooms", rooms)
        monday = WEEK.replace(tzinfo=TZ)
        recs = []
        for n in range(MEETINGS):
            # one in ten in the 3 weeks around the bench week, the rest over the year
            days = rng.randint(-7, 13) if n % 10 == 0 else rng.randint(-180, 180)
            start = monday + timedelta(days=days, hours=rng.choice((8, 9, 10, 14, 15, 16)),
                                       minutes=rng.choice((0, 30)))
            invited = rng.sample(people, 4)
            m = Meeting(subject=f"工作会议{n:04d}", starts_at=start,
                        ends_at=start + timedelta(minutes=rng.choice((30, 60, 90))),
                        room_id=rng.choice(rooms)["id"],
                        recurrence=Recurrence(freq="weekly", count=20) if n % 50 == 0 else None,
                        attendees=tuple(Attendee(id=p["id"], name=p["name"]) for p in invited))
            rec = meeting_record(m, organiser_id="u-bench", booking_state="confirmed",
                                 audience_users=[p["id"] for p in invited] + ["u-bench"])
            rec["rev"] = 1
            recs.append(rec)
        for i in range(0, len(recs), 500):
            store.records.write("meetings", recs[i:i + 500])
    finally:
        store.close()


CHILD = """
import statistics, sys, time
from datetime import date, timedelta
from bench.ui_child import start, until
from bench.ui_meetings import ATTENDEES
from ui.meetings.page import MeetingsPage

child = start(sys.argv[1])
session = child.session

page = MeetingsPage("会议")
page.resize(1280, 800)
page.show()
page.set_session(session, "")
got = []
page.loaded.connect(lambda: got.append(1))
until(lambda: got)
weeks = [date(2026, 11, 23) + timedelta(weeks=k) for k in (0, -1, 1, 0, -1, 1, 0)]
times, shown = [], 0
for day in weeks:
    got.clear()
    page.day = day
    t = time.perf_counter()
    page.reload()
    until(lambda: got)
    page.calendar.repaint()
    times.append((time.perf_counter() - t) * 1000)
    shown = max(shown, len(page.calendar.sittings))
print(f"week_view_ms {statistics.median(times):.2f}", flush=True)
print(f"week_view_sittings {shown}", flush=True)
page.tabs.setCurrentIndex(1)
ft = page.findtime
until(lambda: ft.people.count() >= ATTENDEES)

ft.choose([f"u-{i:02d}" for i in range(ATTENDEES)])
ft.first.setDate(date(2026, 11, 23))
ft.days.setValue(5)
ft.duration.setValue(60)
runs = []
for _ in range(5):
    done = []
    ft.searched.connect(lambda: done.append(1))
    t = time.perf_counter()
    ft.run()
    until(lambda: done)
    ft.grid.repaint()
    runs.append((time.perf_counter() - t) * 1000)
    ft.searched.disconnect()
print(f"find_a_time_ms {statistics.median(runs):.2f}", flush=True)
print(f"find_a_time_slots {ft.slots.count()}", flush=True)
"""


def meetings_metrics(root: Path, entries: dict[str, str]) -> dict[str, float]:
    """week_view_ms (2,000 meetings in the profile) and find_a_time_ms (20 attendees, a week)."""
    _fixture(root, entries)
    seen = run_child([sys.executable, "-c", CHILD, str(root)], child_env(root, entries),
                     ("week_view_ms", "week_view_sittings", "find_a_time_ms", "find_a_time_slots"))
    return {"week_view_ms": round(seen["week_view_ms"], 1), "week_view_meetings": MEETINGS,
            "week_view_sittings": int(seen["week_view_sittings"]),
            "find_a_time_ms": round(seen["find_a_time_ms"], 1), "find_a_time_attendees": ATTENDEES,
            "find_a_time_slots": int(seen["find_a_time_slots"])}


def main() -> int:
    """Run just the meetings metrics on a small fresh profile (`python -m bench.ui_meetings`)."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="oa-bench-meetings-"))
    try:
        entries = build_profile(root, 1000)
        for key, value in meetings_metrics(root, entries).items():
            print(f"  {key:22} {value}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
