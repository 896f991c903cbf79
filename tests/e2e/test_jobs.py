"""The server's jobs end to end: the real server over HTTP, its scheduler ticking on an injected
clock, desks pulling what the jobs wrote. A 督办 task one working day before its deadline turns
yellow and its lead unit is reminded; a request step past its limit reminds its holder, a day
later the holder's leader; a departed approver's step moves to the new holder; a meeting
reminder arrives once (the day before, then half an hour before); reports are reminded before
their deadline and chased after it, only where nothing was submitted; the monthly 通报 becomes
a draft 公文 in the 督查室's 待办."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_client.domain.meetings import Attendee, Meeting
from oa_client.domain.notifications import text as notice_text
from oa_client.services import documents as docs
from oa_client.services import meetings as mtg
from oa_client.services import requests as rq
from oa_client.services import supervision as sup
from oa_client.services import supervision_views as views
from oa_client.services.todo import todo_items
from oa_server.jobs.scheduler import Scheduler
from sync.org import fetch_org
from tests.core.test_catalogue import FILLED, TODAY
from tests.e2e.test_meetings import add_rooms, room
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client


def at(day: str, hour: int = 2, minute: int = 0) -> datetime:
    """A server clock reading (UTC; 02:00 UTC is 10:00 in Beijing)."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def uid(client) -> str:
    return str(client.transport.user["id"])


def unit_of(client) -> str:
    return str(client.transport.user["unit"]["id"])


def me(client) -> dict:
    return dict(client.transport.user)


def jobs(server) -> Scheduler:  # noqa: F811
    """The server's scheduler as a worker runs it, ticked by the test on the server's clock."""
    return Scheduler(server.app.state.sessionmaker, clock=server.clock, node="worker-1",
                     settings=server.settings)


def ran(scheduler: Scheduler) -> dict[str, object]:
    """Tick once; job name → what it did (jobs that had nothing due are left out)."""
    return {r.job: r for r in scheduler.tick()}


def notices(client, kind: str | None = None) -> list[dict]:
    """The reminders a desk pulled (of one kind)."""
    client.engine.sync()
    found = client.store.records.list("notifications", limit=1000, order_by="created_at")
    return [n for n in found if kind is None or n["kind"] == kind]


@pytest.fixture
def desks(server, tmp_path):  # noqa: F811
    made = {}

    def desk(login: str):
        if login not in made:
            made[login] = make_client(server, tmp_path, login)
            fetch_org(made[login].store, made[login].transport)
        return made[login]

    yield desk
    for c in made.values():
        c.close()


def test_a_task_one_working_day_before_its_deadline_turns_yellow_and_its_lead_unit_is_reminded(
        server, desks):  # noqa: F811
    server.clock.now = at("2026-11-09")  # Monday
    duchashi, mayor, clerk = desks("lindongsheng"), desks("lianghaitao"), desks("huangxiaomei")
    hy = unit_of(mayor)  # 洪阳镇: the mayor and the clerk both work there
    # the 督查室's policy: lights turn yellow one working day ahead (the desks follow it too)
    duchashi.transport.request("PUT", "/supervision/policy", json_body={"warn_days": 1})
    assert duchashi.transport.request("GET", "/supervision/policy").json() == {"warn_days": 1}
    tid, _c = sup.create_task(duchashi.store, me=me(duchashi), title="背街小巷改造",
                              content="年内完成背街小巷改造", lead_unit_id=hy,
                              deadline="2026-11-13", today=date(2026, 11, 9))
    assert duchashi.engine.sync().rejected == 0
    scheduler = jobs(server)

    server.clock.now = at("2026-11-11", hour=0)  # Wednesday 08:00: two working days left
    assert ran(scheduler)["supervision.chase"].outcome == "ok"
    mayor.engine.sync()
    assert mayor.store.records.get("supervision_tasks", tid)["light"] == "green"
    assert notices(mayor) == []
    # the desk's own light follows the server's policy: green as well (3 days would say yellow)
    (row,) = views.board(mayor.store, view="mine", unit_id=hy, today=date(2026, 11, 11)).rows
    assert row.light == "green"

    server.clock.now = at("2026-11-12", hour=0)  # Thursday 08:00: one working day left
    result = ran(scheduler)["supervision.chase"]
    assert (result.outcome, result.details["lights"], result.details["reminded"]) == ("ok", 1, 1)
    (notice,) = notices(mayor)
    assert (notice["kind"], notice["record_id"], notice["to_units"]) == (
        "supervision.warning", tid, [hy])
    assert notice_text(notice) == \
        "督办事项“背街小巷改造”距办结期限不足1个工作日（2026-11-13），请抓紧办理"
    assert mayor.store.records.get("supervision_tasks", tid)["light"] == "yellow"
    (row,) = views.board(mayor.store, view="mine", unit_id=hy, today=date(2026, 11, 12)).rows
    assert row.light == "yellow"
    for desk in (mayor, clerk):  # the lead unit's people see it at the top of 待办
        desk.engine.sync()
        items = todo_items(desk.store, user_id=uid(desk), unit_id=hy, now=server.clock.now)
        assert (items[0].kind, items[0].record_id, items[0].urgency) == ("supervise", tid, "加急")
        assert items[0].notice == notice_text(notice)
    # once: a later tick the same day, the next day's pass and a manual pass add nothing
    server.clock.advance(hours=3)
    assert "supervision.chase" not in ran(scheduler)
    assert duchashi.transport.request("POST", "/supervision/chase").json()["reminded"] == 0
    server.clock.now = at("2026-11-13", hour=0)
    assert ran(scheduler)["supervision.chase"].details["reminded"] == 0
    assert len(notices(mayor)) == 1


@pytest.fixture
def catalogue(desks):
    admin = desks("huangwei")
    admin.transport.request("POST", "/catalogue/import", data=STARTER_CATALOGUE.read_bytes(),
                            headers={"Content-Type": "application/json"})


def _overtime(desks, login: str) -> str:
    """A submitted 加班登记 (first step: the applicant's 科长, 24 hours)."""
    applicant = desks(login)
    applicant.engine.sync()
    (entry,) = [e for e in rq.catalogue(applicant.store) if e.item.code == "OVERTIME"]
    draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=uid(applicant))
    rq.submit(applicant.store, draft["id"], user_id=uid(applicant), today=TODAY,
              values={**draft["form"], **FILLED["OVERTIME"]})
    assert applicant.engine.sync().rejected == 0
    return draft["id"]


def test_a_request_step_past_its_limit_reminds_its_holder_then_the_leader(
        server, desks, catalogue):  # noqa: F811
    server.clock.now = at("2026-11-20")  # Friday 10:00 in Beijing
    rid = _overtime(desks, "liuyang")
    applicant, chief, director = desks("liuyang"), desks("zhengxiaoyan"), desks("huangjianhua")
    rec = applicant.store.records.get("requests", rid)
    assert rec["approver_ids"] == [uid(chief)] and rec["due_at"].startswith("2026-11-21T02:00")
    scheduler = jobs(server)

    server.clock.now = at("2026-11-21", hour=1, minute=50)  # ten minutes before the limit
    details = ran(scheduler)["requests.remind"].details
    assert (details["holders"], details["leaders"]) == (0, 0)
    server.clock.now = at("2026-11-21", hour=2, minute=5)  # past it: the 科长 is reminded
    assert ran(scheduler)["requests.remind"].touched == 1
    (notice,) = notices(chief)
    assert (notice["kind"], notice["record_id"], notice["to_users"]) == (
        "request.overdue", rid, [uid(chief)])
    assert "科室负责人审批已超过办理时限" in notice_text(notice)
    (item,) = [i for i in todo_items(chief.store, user_id=uid(chief), unit_id=unit_of(chief),
                                     now=server.clock.now) if i.record_id == rid]
    assert (item.kind, item.urgency, item.notice) == ("approve", "加急", notice_text(notice))
    assert notices(director) == []
    server.clock.advance(minutes=15)
    assert ran(scheduler)["requests.remind"].touched == 0  # told once

    server.clock.now = at("2026-11-22", hour=2, minute=10)  # a day later: her leader is told
    assert ran(scheduler)["requests.remind"].details["leaders"] == 1
    (escalated,) = notices(director)
    assert (escalated["kind"], escalated["to_users"]) == ("request.escalated", [uid(director)])
    assert notice_text(escalated).startswith("郑晓燕的“")
    (item,) = [i for i in todo_items(director.store, user_id=uid(director),
                                     unit_id=unit_of(director), now=server.clock.now)
               if i.notice_id == escalated["id"]]
    assert (item.kind, item.collection, item.record_id) == ("remind", "requests", rid)
    assert len(notices(chief)) == 1  # not reminded twice
    server.clock.advance(minutes=15)
    assert ran(scheduler)["requests.remind"].touched == 0
    rq.act(chief.store, rid, user_id=uid(chief), action="approve", opinion="同意")
    assert chief.engine.sync().rejected == 0  # done: the step moved on, nobody is reminded again


def test_a_departed_approvers_step_moves_to_the_new_holder(server, desks, catalogue):  # noqa: F811
    from oa_server import crud
    from oa_server.models import Department, User
    from oa_server.security import password_hasher

    server.clock.now = at("2026-11-20")
    rid = _overtime(desks, "liuyang")
    applicant, chief = desks("liuyang"), desks("zhengxiaoyan")
    admin = desks("huangwei")
    admin.transport.request("POST", f"/admin/users/{uid(chief)}/disable")  # she left
    with server.app.state.sessionmaker() as s:  # her successor as 科长 of 秘书科
        old = s.get(User, uuid.UUID(uid(chief)))
        dept = s.get(Department, old.department_id)
        crud.create_user(s, actor="test", hasher=password_hasher(server.settings),
                         login="chenxiaoli", name="陈晓丽", unit_id=old.unit_id,
                         department_id=dept.id, position="科长", phone="0663-2222013",
                         password="Demo@2026", roles=["section_chief"])
        s.commit()
    successor = desks("chenxiaoli")
    server.clock.advance(minutes=20)
    result = ran(jobs(server))["requests.reroute"]
    assert (result.outcome, result.touched) == ("ok", 1)
    applicant.engine.sync()
    assert applicant.store.records.get("requests", rid)["approver_ids"] == [uid(successor)]
    (notice,) = notices(successor, "request.reassigned")
    assert notice["record_id"] == rid and "原审批人已不在岗" in notice_text(notice)
    (item,) = [i for i in todo_items(successor.store, user_id=uid(successor),
                                     unit_id=unit_of(successor), now=server.clock.now)
               if i.record_id == rid]
    assert (item.kind, item.urgency) == ("approve", "加急")
    rq.act(successor.store, rid, user_id=uid(successor), action="approve", opinion="同意")
    assert successor.engine.sync().rejected == 0
    server.clock.advance(minutes=15)
    assert ran(jobs(server))["requests.reroute"].touched == 0


def test_a_meeting_reminder_arrives_once(server, desks):  # noqa: F811
    monday = at("2026-11-23", hour=0)  # Monday 08:00 in Beijing
    server.clock.now = monday - timedelta(days=3)
    organiser, chief, clerk = desks("xiefang"), desks("zhengxiaoyan"), desks("zhangmin")
    add_rooms(organiser, room("r-big", "第一会议室", 30))
    start = monday + timedelta(days=1, hours=2)  # Tuesday 10:00 in Beijing
    meeting = Meeting(
        subject="数字政府建设推进会", starts_at=start, ends_at=start + timedelta(hours=2),
        room_id="r-big", attendees=(
            Attendee(kind="person", id=uid(chief), name="郑晓燕"),
            Attendee(kind="unit", id=unit_of(clerk), name="普宁市政务服务数据管理局")))
    mtg.book(organiser.store, meeting=meeting, user_id=uid(organiser), user_name="谢芳",
             now=server.clock.now)
    assert organiser.engine.sync().rejected == 0
    scheduler = jobs(server)

    server.clock.now = monday  # Monday 08:00: too early for the day before's reminder
    assert ran(scheduler)["meetings.remind"].touched == 0
    server.clock.now = monday + timedelta(hours=1)  # 09:00
    assert ran(scheduler)["meetings.remind"].details["tomorrow"] == 1
    (tomorrow,) = notices(chief)
    assert notice_text(tomorrow) == "明天10:00：数字政府建设推进会（第一会议室）"
    assert [n["kind"] for n in notices(clerk)] == ["meeting.tomorrow"]  # the invited unit
    for minutes in (5, 60, 300):
        server.clock.now = monday + timedelta(hours=1, minutes=minutes)
        assert ran(scheduler)["meetings.remind"].touched == 0

    server.clock.now = start - timedelta(minutes=35)
    assert ran(scheduler)["meetings.remind"].touched == 0
    server.clock.now = start - timedelta(minutes=30)  # half an hour before
    assert ran(scheduler)["meetings.remind"].details["soon"] == 1
    server.clock.now = start - timedelta(minutes=25)
    assert ran(scheduler)["meetings.remind"].touched == 0
    assert [n["kind"] for n in notices(chief)] == ["meeting.tomorrow", "meeting.soon"]
    assert notice_text(notices(chief, "meeting.soon")[0]) == \
        "10:00开会：数字政府建设推进会（第一会议室）"
    shown = [i for i in todo_items(chief.store, user_id=uid(chief), unit_id=unit_of(chief),
                                   now=start - timedelta(minutes=25)) if i.notice_id]
    assert [(i.collection, i.record_id) for i in shown] == [("meetings", meeting.id)]
    assert shown[0].notice == "10:00开会：数字政府建设推进会（第一会议室）"  # the newest
    later = todo_items(chief.store, user_id=uid(chief), unit_id=unit_of(chief),
                       now=start + timedelta(hours=3))
    assert [i for i in later if i.notice_id] == []  # over: the reminders are gone from 待办


def test_reports_are_reminded_before_the_deadline_and_chased_after_it(server, desks):  # noqa: F811
    from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
    from oa_client.services import reports as rep
    from oa_client.services import reports_dictionary as rd
    from oa_client.services import reports_review as rev
    from tests.e2e.test_reports import _fill, _town_values

    town_q, _med = load_report_templates(SAMPLE_TEMPLATES)
    server.clock.now = at("2026-04-02")
    city = desks("lixiaolong")
    towns = {login: desks(login) for login in ("yanglan", "wuhuiling", "laiqiuxia")}
    city.engine.sync()
    rd.define_missing(city.store, town_q.data_items, unit_id=unit_of(city))  # the dictionary first
    rev.issue_template(city.store, template=town_q, period="2026-Q1",
                       deadline=dt.date(2026, 4, 10), recipients=[unit_of(t) for t in
                                                                  towns.values()],
                       record_id="tpl-town-q")
    assert city.engine.sync().rejected == 0
    for town in towns.values():
        town.engine.sync()
    scheduler = jobs(server)
    server.clock.now = at("2026-04-06", hour=1, minute=30)  # 09:30, four days before
    assert ran(scheduler)["reports.remind"].touched == 0
    server.clock.now = at("2026-04-07", hour=1, minute=30)  # three days before: reminded
    assert ran(scheduler)["reports.remind"].details["due"] == 3
    (due,) = notices(towns["yanglan"])
    assert notice_text(due) == f"报表“{town_q.name}”（2026-Q1）将于2026-04-10截止，请按时填报"
    # 流沙东 submits; after the deadline only the other two are chased (催报)
    ls = towns["wuhuiling"]
    form = _fill(ls, "tpl-town-q", _town_values(2000, 990, (700, 700, 600), filler="吴惠玲"))
    rep.submit_form(ls.store, form)
    assert ls.engine.sync().rejected == 0
    server.clock.now = at("2026-04-11", hour=1, minute=30)
    assert ran(scheduler)["reports.remind"].details["chase"] == 2
    assert [n["kind"] for n in notices(towns["yanglan"])] == ["report.due", "report.chase"]
    assert [n["kind"] for n in notices(ls)] == ["report.due"]
    server.clock.now = at("2026-04-12", hour=1, minute=30)
    assert ran(scheduler)["reports.remind"].touched == 0  # chased once


def test_the_monthly_bulletin_becomes_a_draft_in_the_supervision_offices_todo(
        server, desks):  # noqa: F811
    server.clock.now = at("2026-10-12")
    duchashi, mayor = desks("lindongsheng"), desks("lianghaitao")
    sup.create_task(duchashi.store, me=me(duchashi), title="河道清淤", content="汛前完成",
                    lead_unit_id=unit_of(mayor), deadline="2026-10-30", today=date(2026, 10, 12))
    assert duchashi.engine.sync().rejected == 0
    server.clock.now = at("2026-11-01", hour=1, minute=5)  # 1 November, 09:05 Beijing
    result = ran(jobs(server))["supervision.bulletin"]
    assert result.result["month"] == "2026-10" and result.result["made"] is True
    duchashi.engine.sync()
    doc = duchashi.store.records.get("documents", result.result["document_id"])
    assert (doc["doc_kind"], doc["direction"], doc["state"], doc["drafter_id"]) == (
        "通报", "outgoing", "draft", uid(duchashi))
    assert doc["title"] == "关于2026年10月督办事项办理情况的通报"
    assert "表1　各单位督办事项办理情况统计" in doc["body"] and "河道清淤" in doc["body"]
    assert doc["main_to"] == [unit_of(mayor)]
    (item,) = [i for i in todo_items(duchashi.store, user_id=uid(duchashi),
                                     unit_id=unit_of(duchashi), now=server.clock.now)
               if i.record_id == doc["id"]]
    assert item.kind == "handle" and "督办通报已生成草稿" in item.notice
    # a draft like any other: the drafter sends it for review
    docs.act(duchashi.store, me=me(duchashi), doc_id=doc["id"], action="submit", step="draft",
             opinion="请审核。")
    assert duchashi.engine.sync().rejected == 0
    doc = duchashi.store.records.get("documents", doc["id"])
    assert doc["state"] == "review" and doc["holder_ids"] and uid(duchashi) not in doc["holder_ids"]
