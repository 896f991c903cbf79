"""Demo meetings for the 普宁市 demo org: rooms kept by 谢芳 (会议管理员), notices to people
and units, a weekly 主任办公会, and replies from the units (one names its people, one declines).

Used by demo_records; every record is shaped as the meetings authority expects, in the future
of `today` so the server accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from oa_client.domain.ids import new_id
from oa_client.domain.meetings import TZ, Attendee, Meeting, Recurrence
from oa_client.domain.meetings_records import meeting_record
from oa_client.services.meetings import reply_id


def _at(today: date, days: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=TZ)


def _next_monday(today: date) -> int:
    return 7 - today.weekday() if today.weekday() else 7


def demo_meetings(today: date, room_id: str, uid: Callable[[str], str], unit: Callable[[str], str]
                  ) -> tuple[list[tuple[str, dict]], dict[str, list[tuple[str, dict]]]]:
    """(谢芳's rooms and meetings, login → replies of other authors)."""
    small, council = new_id(), new_id()
    rooms = [
        ("rooms", {"id": room_id, "name": "市政府三楼第一会议室", "building": "市政府大楼", "floor": "三楼",
                   "capacity": 40, "equipment": ["projector", "video"], "manager_ids": [uid("xiefang")]}),
        ("rooms", {"id": small, "name": "市政府二楼小会议室", "building": "市政府大楼", "floor": "二楼",
                   "capacity": 12, "equipment": ["projector"]}),
        ("rooms", {"id": council, "name": "市政府常务会议室", "building": "市政府大楼", "floor": "五楼",
                   "capacity": 30, "equipment": ["projector", "video"], "needs_approval": True,
                   "manager_ids": [uid("xiefang")]}),
    ]

    def person(login: str, name: str, **kw) -> Attendee:
        return Attendee(kind="person", id=uid(login), name=name, **kw)

    def office(login: str, name: str, seats: int = 2) -> Attendee:
        return Attendee(kind="unit", id=unit(login), name=name, seats=seats)

    flood = Meeting(
        subject="全市防汛工作会议", starts_at=_at(today, 2, 9), ends_at=_at(today, 2, 11),
        room_id=room_id, host_unit_id=unit("xiefang"), host_unit_name="普宁市人民政府办公室",
        chair_id=uid("linhuimin"), chair_name="林慧敏",
        agenda=("通报当前雨情水情", "部署汛期防汛救灾工作", "市长讲话"),
        attendees=(person("chenzhiqiang", "陈志强"), person("linhuimin", "林慧敏"),
                   person("huangjianhua", "黄建华"), person("zhengxiaoyan", "郑晓燕"),
                   person("liuyang", "刘洋", role="observer"),
                   office("lixiaolong", "普宁市政务服务数据管理局"), office("yanglan", "洪阳镇人民政府")),
        reply_deadline=_at(today, 1, 17), organiser_id=uid("xiefang"), organiser_name="谢芳")
    council_meeting = Meeting(
        subject="市政府第十二次常务会议", starts_at=_at(today, 7, 9), ends_at=_at(today, 7, 12),
        room_id=room_id, chair_id=uid("chenzhiqiang"), chair_name="陈志强",
        agenda=("审议《普宁市数字政府建设三年行动方案》", "研究城乡居民医保扩面工作"),
        attendees=(person("chenzhiqiang", "陈志强"), person("linhuimin", "林慧敏"),
                   person("huangjianhua", "黄建华")),
        organiser_id=uid("xiefang"), organiser_name="谢芳")
    monday = _next_monday(today)
    weekly = Meeting(
        subject="办公室主任办公会", starts_at=_at(today, monday, 15), ends_at=_at(today, monday, 16),
        room_id=small, chair_id=uid("huangjianhua"), chair_name="黄建华",
        recurrence=Recurrence(freq="weekly", count=12), agenda=("各科室通报本周工作",),
        attendees=(person("huangjianhua", "黄建华"), person("zhengxiaoyan", "郑晓燕"),
                   person("wuqiong", "吴琼"), person("xiefang", "谢芳"), person("lindongsheng", "林东升")),
        organiser_id=uid("xiefang"), organiser_name="谢芳")
    meetings = [("meetings", meeting_record(m, organiser_id=uid("xiefang")))
                for m in (flood, council_meeting, weekly)]
    answered = _at(today, 0, 10).isoformat()
    replies = {  # a unit's invitation is answered by its office (文书), naming who attends
        "zhangmin": [("meeting_replies", {
            "id": reply_id(flood.id, unit("lixiaolong")), "meeting_id": flood.id,
            "attendee_id": unit("lixiaolong"), "answer": "attend", "answered_at": answered,
            "attendee_ids": [uid("lixiaolong")]})],
        "huangxiaomei": [("meeting_replies", {
            "id": reply_id(flood.id, unit("yanglan")), "meeting_id": flood.id,
            "attendee_id": unit("yanglan"), "answer": "decline", "answered_at": answered,
            "reason": "同日镇防汛指挥部值班，由镇分管领导视频参会"})],
    }
    return [*rooms, *meetings], replies
