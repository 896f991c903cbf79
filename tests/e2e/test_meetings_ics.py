""".ics round trip: a confirmed series exported from the desk and read back by the `icalendar`
library; my calendar as a subscription; invitations imported across time zones and daylight
saving, synced as personal entries; a malformed file refused plainly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from oa_client.domain.meetings import TZ, Attendee, Meeting, Recurrence
from oa_client.errors import ValidationError
from oa_client.services import meetings as mtg
from oa_client.services import meetings_plan as plan
from oa_client.services import records as svc
from oa_server.models import User
from sync.org import fetch_org
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

INVITE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp//Outlook 16.0//EN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Eastern Standard Time
BEGIN:STANDARD
DTSTART:16011104T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:sister-city-2026@example.org
SEQUENCE:0
DTSTAMP:20261101T000000Z
DTSTART;TZID=America/New_York:20261026T200000
DTEND;TZID=America/New_York:20261026T210000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:友好城市视频会商
LOCATION:线上（Teams）
ORGANIZER;CN=Sister City Office:mailto:office@example.org
ATTENDEE;CN=刘洋;PARTSTAT=NEEDS-ACTION:mailto:liuyang@example.org
END:VEVENT
END:VCALENDAR
"""


def uid(client) -> str:
    return str(client.transport.user["id"])


def test_ics_round_trip_read_back_by_icalendar(server, tmp_path):  # noqa: F811
    server.clock.now = MONDAY - timedelta(days=1)
    admin = make_client(server, tmp_path, "xiefang")
    svc.save(admin.store, "rooms", {"id": "r-1", "name": "第一会议室", "building": "市政府大楼",
                                    "floor": "三楼", "capacity": 20})
    admin.engine.sync()
    start = MONDAY + timedelta(hours=6)
    weekly = Meeting(subject="主任办公会", starts_at=start, ends_at=start + timedelta(hours=1),
                     room_id="r-1", recurrence=Recurrence(freq="weekly", count=4),
                     agenda=("研究近期重点工作",),
                     attendees=(Attendee(id=uid(admin), name="谢芳"),))
    booked = mtg.book(admin.store, meeting=weekly, user_id=uid(admin), now=server.clock.now)
    mtg.cancel_one(admin.store, meeting_id=booked.meeting_id, user_id=uid(admin),
                   original_start=start + timedelta(weeks=1))
    assert admin.engine.sync().rejected == 0

    # nobody in the demo org has an e-mail address: no made-up addresses, a plain calendar
    data = plan.export_meeting_ics(admin.store, booked.meeting_id)
    assert b"urn:" not in data and b"ORGANIZER" not in data and b"METHOD" not in data
    [plain] = list(vobject.readComponents(data.decode()))
    assert all("attendee" not in ev.contents for ev in plain.vevent_list)
    # once the org chart has her address, the invitation is an iTIP REQUEST from her, to her
    with server.session() as session:
        session.get(User, uuid.UUID(uid(admin))).email = "xiefang@puning.gov.cn"
        session.commit()
    fetch_org(admin.store, admin.transport)
    data = plan.export_meeting_ics(admin.store, booked.meeting_id)
    [parsed] = list(vobject.readComponents(data.decode()))
    assert parsed.method.value == "REQUEST"
    for ev in parsed.vevent_list:
        assert ev.organizer.value == "mailto:xiefang@puning.gov.cn"
        assert [a.value for a in ev.attendee_list] == ["mailto:xiefang@puning.gov.cn"]
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "REQUEST"
    ev = next(c for c in cal.walk("VEVENT"))
    assert str(ev["SUMMARY"]) == "主任办公会"
    assert "第一会议室" in str(ev["LOCATION"])
    assert ev.decoded("DTSTART") == start
    assert ev.decoded("DTSTART").tzinfo.key == "Asia/Shanghai"
    assert ev["RRULE"]["FREQ"] == ["WEEKLY"] and ev["RRULE"]["COUNT"] == [4]
    exdates = [d.dt for d in ev["EXDATE"].dts] if not isinstance(ev["EXDATE"], list) else \
        [d.dt for x in ev["EXDATE"] for d in x.dts]
    assert exdates == [start + timedelta(weeks=1)]
    assert int(ev["SEQUENCE"]) == admin.store.records.get("meetings", booked.meeting_id)["sequence"]

    feed = icalendar.Calendar.from_ical(plan.export_my_calendar(admin.store, user_id=uid(admin),
                                                                now=server.clock.now))
    assert str(feed["METHOD"]) == "PUBLISH"
    assert all("ATTENDEE" not in e for e in feed.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in feed.walk("VEVENT")] == ["主任办公会"]

    # an exported meeting imported again keeps its times
    back = plan.read_ics(plan.export_meeting_ics(admin.store, booked.meeting_id))
    assert back[0].starts_at == start and back[0].recurrence.count == 4
    admin.close()


def test_import_across_time_zones_and_daylight_saving(server, tmp_path):  # noqa: F811
    server.clock.now = datetime(2026, 10, 20, tzinfo=UTC)
    clerk = make_client(server, tmp_path, "liuyang")
    ids = plan.import_ics(clerk.store, INVITE.encode(), user_id=uid(clerk))
    assert clerk.engine.sync().rejected == 0
    rec = clerk.store.records.get("meetings", ids[0])
    assert rec["source"] == "ics" and rec["booking_state"] == "confirmed"
    # New York 20:00 each week: before DST ends it is 08:00 next morning in Beijing, after it 09:00
    seen = mtg.calendar(clerk.store, view="month", day=datetime(2026, 11, 1).date(),
                        user_id=uid(clerk))
    starts = [s.starts_at.astimezone(TZ) for s in seen if s.meeting_id == ids[0]]
    assert [(d.day, d.hour) for d in starts] == [(27, 8), (3, 9), (10, 9)]
    ny = ZoneInfo("America/New_York")
    assert {d.astimezone(ny).hour for d in starts} == {20}
    # it keeps me busy for find-a-time, on the server and on this desk
    window = (datetime(2026, 10, 27, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC))
    sitting = [(starts[0], starts[0] + timedelta(hours=1))]
    assert plan.server_busy(clerk.transport, people=[uid(clerk)], start=window[0],
                            end=window[1]).people[uid(clerk)] == sitting
    assert plan.local_busy(clerk.store, people=[uid(clerk)], start=window[0],
                           end=window[1]).people[uid(clerk)] == sitting
    # a personal entry: nobody else sees it
    other = make_client(server, tmp_path, "zhengxiaoyan")
    other.engine.sync()
    assert other.store.records.count("meetings") == 0
    clerk.close()
    other.close()


@pytest.mark.parametrize("data", [
    b"", b"not a calendar at all", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026XX01\r\n",
    b"BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
])
def test_a_malformed_file_is_refused_plainly(data):
    with pytest.raises(ValidationError) as err:
        plan.read_ics(data)
    assert err.value.field == "ics"
    assert "日历" in err.value.message
