"""The 办会 screen walked as 谢芳 (会议管理员) would: the week with her meetings, the month, a
room's bookings, keyboard moves between sittings; find-a-time over a week with the busy rows
and a suggested slot booked through the notice form (待确认, then confirmed by sync); the
reply table, the minutes editor's 纪要 preview, the rooms admin; screenshots looked at."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from oa_client.domain.meetings import TZ
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from ui.qt import Qt, QTime

SHOTS = Path(os.environ.get("OA_MEETING_SHOTS", "")) if os.environ.get("OA_MEETING_SHOTS") else None


def _shot(widget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def test_calendar_find_a_time_and_booking(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "xiefang")
    window.resize(1360, 860)
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    assert type(page).__name__ == "MeetingsPage"
    from ui.meetings.shots import _first_upcoming

    _first_upcoming(page, lambda cond, *_a: qtbot.waitUntil(cond, timeout=WAIT))
    qtbot.waitUntil(lambda: bool(page.calendar.sittings), timeout=WAIT)
    subjects = {s.subject for s in page.calendar.sittings}
    assert subjects & {"全市防汛工作会议", "办公室主任办公会", "市政府第十二次常务会议"}
    # keyboard: → picks the first sitting and shows its notice
    page.calendar.setFocus()
    qtbot.keyClick(page.calendar, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    first = page.calendar.sittings[0]
    assert first.subject in page.detail.toPlainText()
    assert "已确认" in page.detail.toPlainText()
    _shot(window, "week")

    page.view_box.setCurrentIndex(2)  # month
    qtbot.waitUntil(lambda: page.calendar.view == "month" and bool(page.calendar.sittings), timeout=WAIT)
    assert len(page.calendar.days()) % 7 == 0
    _shot(window, "month")
    page.view_box.setCurrentIndex(1)
    big = page.source.findText("会议室：市政府三楼第一会议室")
    assert big > 0
    page.source.setCurrentIndex(big)
    qtbot.waitUntil(lambda: page.room_id is not None and page.calendar.view == "week", timeout=WAIT)
    qtbot.waitUntil(lambda: all(s.room_id == page.room_id for s in page.calendar.sittings), timeout=WAIT)
    page.source.setCurrentIndex(0)

    # find a time over the week for three people
    page.tabs.setCurrentIndex(1)
    ft = page.findtime
    qtbot.waitUntil(lambda: ft.people.count() > 5, timeout=WAIT)
    names = {ft.people.item(i).text(): ft.people.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(ft.people.count())}
    # the 三员 hold no business: never offered as attendees (nor in the notice form below)
    admins = ("黄伟", "孙悦", "何晓琴")
    assert "黄建华" in names and not [n for n in names if n.startswith(admins)]
    ft.choose([names["谢芳"], names["黄建华"], names["郑晓燕"]])
    ft.first.setDate(page.day - timedelta(days=page.day.weekday()))
    ft.days.setValue(7)
    ft.run()
    qtbot.waitUntil(lambda: ft.result is not None, timeout=WAIT)
    assert ft.slots.count() > 0 and ft.result.busy.from_server
    labels = [r[0] for r in ft.grid.rows]
    assert set(labels[:3]) == {"谢芳", "黄建华", "郑晓燕"} and any("会议室" in lbl for lbl in labels)
    busy = dict((r[0], r[1]) for r in ft.grid.rows)
    assert busy["黄建华"]  # his meetings come from the server's free/busy too
    start, end, _room = ft.slots.item(0).data(Qt.ItemDataRole.UserRole)
    for s, e in busy["黄建华"]:
        assert not (s < end and start < e)  # the slot avoids his meetings
    _shot(window, "find-a-time")

    # book the suggested slot through the form: 待确认 at once, confirmed after sync
    ft._book(ft.slots.item(0))
    qtbot.waitUntil(lambda: page.booking_dialog is not None, timeout=WAIT)
    dialog = page.booking_dialog
    offered = [dialog.people.item(i).text() for i in range(dialog.people.count())]
    chairs = [dialog.chair.itemText(i) for i in range(dialog.chair.count())]
    assert "黄建华" in offered and not [n for n in offered + chairs if n.startswith(admins)]
    dialog.save()  # no subject: refused in place, naming the field
    qtbot.waitUntil(lambda: "会议名称" in dialog.problem.text(), timeout=WAIT)
    assert dialog.isVisible()
    dialog.subject.setText("防汛物资调度协调会")
    agenda = tmp_path / "协调会议程.txt"
    agenda.write_text("一、通报防汛物资储备情况\n二、研究调度方案\n", encoding="utf-8")
    dialog.add_paths([str(agenda)])
    _shot(dialog, "notice-form")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert "待确认" in page.message.text()
    page.tabs.setCurrentIndex(0)
    page.day = start.date()
    page.reload()
    qtbot.waitUntil(lambda: any(s.subject == "防汛物资调度协调会" for s in page.calendar.sittings), timeout=WAIT)
    mine = next(s for s in page.calendar.sittings if s.subject == "防汛物资调度协调会")
    assert mine.booking_state == "tentative" and mine.status_label == "待确认"
    page.calendar.select(mine)
    qtbot.waitUntil(lambda: "协调会议程.txt" in page.detail.toPlainText(), timeout=WAIT)
    window.sync_now()
    qtbot.waitUntil(lambda: any(s.subject == "防汛物资调度协调会" and s.booking_state == "confirmed"
                                for s in page.calendar.sittings), timeout=WAIT)
    close_main(qtbot, window)


def test_replies_minutes_and_rooms(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "xiefang")
    window.resize(1360, 860)
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.session is not None, timeout=WAIT)
    flood = page.session.store.db.query("SELECT id FROM meetings WHERE title = ?", ("全市防汛工作会议",))[0][0]
    page.select_record("meetings", flood)
    qtbot.waitUntil(lambda: page.current is not None and page.current["id"] == flood, timeout=WAIT)
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: len(page.replies.rows) == 7, timeout=WAIT)
    rows = {r.name: r for r in page.replies.rows}
    assert rows["普宁市政务服务数据管理局"].answer == "attend"
    assert rows["普宁市政务服务数据管理局"].people == ("李晓龙",)
    assert rows["洪阳镇人民政府"].answer == "decline" and "值班" in rows["洪阳镇人民政府"].reason
    assert page.replies.chase.isEnabled()
    assert "未回执 5" in page.replies.heading.text()
    _shot(window, "replies")
    page.replies.do_chase()
    qtbot.waitUntil(lambda: "已催办 5" in page.replies.message.text(), timeout=WAIT)

    page.replies.minutes.click()
    qtbot.waitUntil(lambda: page.minutes_dialog is not None, timeout=WAIT)
    md = page.minutes_dialog
    qtbot.waitUntil(lambda: bool(md.title.text()) and md.pages_layout.count() > 0, timeout=60_000)
    assert md.title.text() == "全市防汛工作会议纪要"
    assert "洪阳镇人民政府（同日镇防汛指挥部值班" in md.leave.toPlainText()
    assert "李晓龙" in md.facts.text()  # expected, not signed in yet: 缺席
    assert md.fields()["issuer_mark"] == "普宁市人民政府办公室"  # 谢芳's unit, from the store
    _shot(md, "minutes")
    md.close()

    page.tabs.setCurrentIndex(3)
    rv = page.rooms_view
    qtbot.waitUntil(lambda: rv.table.rowCount() == 3, timeout=WAIT)
    assert rv.save_button.isEnabled()  # 会议管理员
    rv.clear()
    rv.name.setText("市政府四楼视频会议室")
    rv.capacity.setValue(16)
    rv.equipment["video"].setChecked(True)
    rv.save()
    qtbot.waitUntil(lambda: rv.table.rowCount() == 4, timeout=WAIT)
    _shot(window, "rooms")
    close_main(qtbot, window)


def test_screenshots_walk_every_meeting_screen(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "xiefang")  # the organiser: the QR code is hers to show
    window.resize(1360, 820)
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    names = []

    def shot(widget, name):
        names.append(name)
        _shot(widget, name)

    page.screenshots(shot, window, lambda cond, timeout=30: qtbot.waitUntil(cond, timeout=int(timeout * 1000)))
    assert names == ["05-meetings-week", "05b-meetings-month", "05c-meetings-room-bookings",
                     "05d-meetings-find-a-time", "05e-meetings-notice-form", "05f-meetings-replies",
                     "05g-meetings-sign-in-qr", "05h-meetings-minutes", "05i-meetings-rooms"]
    # the screen follows a language switch
    window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "en"}))
    qtbot.waitUntil(lambda: page.tabs.tabText(1) == "Find a time", timeout=WAIT)
    assert page.side.reply_button.text() == "Send &reply" and page.new_button.text() == "&New meeting"
    qtbot.waitUntil(lambda: "Time" in page.detail.toPlainText(), timeout=WAIT)  # the notice redrawn
    _shot(window, "english")
    window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "zh_CN"}))
    close_main(qtbot, window)


def test_a_rooms_bookings_include_meetings_i_cannot_see(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "zhangmin")  # 普政数: invited to the flood meeting as a unit only
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.source.count() > 1, timeout=WAIT)
    store = page.session.store
    assert store.db.query("SELECT count(*) FROM meetings WHERE title = ?", ("市政府第十二次常务会议",))[0][0] == 0
    council = demo_server_meeting_day(demo_server, "市政府第十二次常务会议")
    page.day = council
    page.source.setCurrentIndex(page.source.findText("会议室：市政府三楼第一会议室"))
    qtbot.waitUntil(lambda: any(s.subject == "已预订" for s in page.calendar.sittings), timeout=WAIT)
    block = next(s for s in page.calendar.sittings if s.subject == "已预订")
    assert block.starts_at.astimezone(TZ).date() == council
    page.calendar.select(block)
    assert "看不到详情" in page.message.text()
    close_main(qtbot, window)


def demo_server_meeting_day(server, title: str):
    """The Beijing date of a demo meeting, read from the server's own records."""
    import json

    from sqlalchemy import select

    from oa_server.sync_models import SyncRecord

    with server.session() as s:
        for rec in s.scalars(select(SyncRecord).where(SyncRecord.collection == "meetings")):
            data = json.loads(rec.data)
            if data.get("title") == title:
                return datetime.fromisoformat(data["starts_at"].replace("Z", "+00:00")).astimezone(TZ).date()
    raise AssertionError(title)


def test_an_invitee_replies_from_the_notice_and_the_to_do_clears(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "zhengxiaoyan")  # invited in person to the flood meeting
    wait_synced(qtbot, window)
    qtbot.waitUntil(lambda: any(i.kind == "rsvp" and i.title == "全市防汛工作会议"
                                for i in window.todo_page.model.items), timeout=WAIT)
    flood = next(i.record_id for i in window.todo_page.model.items if i.title == "全市防汛工作会议")
    window.open_record("meetings", flood)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.current is not None and page.current["id"] == flood, timeout=WAIT)
    side = page.side
    assert side.reply_button.isEnabled() and not side.cancel_button.isEnabled()
    side.answer.setCurrentIndex(side.answer.findData("decline"))
    side.reply_button.click()  # no reason: refused in place
    qtbot.waitUntil(lambda: "原因" in page.message.text(), timeout=WAIT)
    side.reason.setText("赴省里参加防汛视频会商")
    side.reply_button.click()
    qtbot.waitUntil(lambda: "回执已保存" in page.message.text(), timeout=WAIT)
    window.sync_now()
    qtbot.waitUntil(lambda: not any(i.record_id == flood for i in window.todo_page.model.items), timeout=WAIT)
    qtbot.waitUntil(lambda: page.current is not None and (page.current.get("rsvp") or {}).get(
        page.session.user_id) == "declined", timeout=WAIT)
    close_main(qtbot, window)


def test_the_organiser_changes_one_sitting_and_all_following(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "xiefang")
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.session is not None, timeout=WAIT)
    store = page.session.store
    weekly_id, first_text = store.db.query("SELECT id, starts_at FROM meetings WHERE title = ?",
                                           ("办公室主任办公会",))[0]
    first = datetime.fromisoformat(first_text.replace("Z", "+00:00")).astimezone(TZ)

    def open_edit(sitting, scope):
        page.pick(weekly_id, sitting)
        qtbot.waitUntil(lambda: page.current is not None and page.side.current_start == sitting
                        and page.side.edit_button.isEnabled(), timeout=WAIT)
        page.booking_dialog = None
        page.side.edit_button.click()
        qtbot.waitUntil(lambda: page.booking_dialog is not None, timeout=WAIT)
        dialog = page.booking_dialog
        assert type(dialog).__name__ == "EditDialog" and dialog.scope.isVisible()
        assert dialog.subject.text() == "办公室主任办公会"
        dialog.scope.setCurrentIndex(dialog.scope.findData(scope))
        return dialog

    # this one only: the second sitting an hour later
    second = first + timedelta(weeks=1)
    dialog = open_edit(second, "one")
    dialog.start.setTime(QTime(16, 0))
    dialog.end.setTime(QTime(17, 0))
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible() or bool(dialog.problem.text()), timeout=WAIT)
    assert not dialog.isVisible(), dialog.problem.text()
    window.sync_now()
    wait_synced(qtbot, window)
    qtbot.waitUntil(lambda: (store.records.get("meetings", weekly_id).get("changes") or [{}])[-1].get(
        "kind") == "occurrence_moved", timeout=WAIT)

    # all following from the fourth sitting: a new subject; the series splits
    fourth = first + timedelta(weeks=3)
    dialog = open_edit(fourth, "following")
    dialog.subject.setText("办公室主任办公会（调整后）")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible() or bool(dialog.problem.text()), timeout=WAIT)
    assert not dialog.isVisible(), dialog.problem.text()
    window.sync_now()
    wait_synced(qtbot, window)
    head = store.records.get("meetings", weekly_id)
    assert head["recurrence"]["count"] == 3 and head.get("series_next_id")
    tail = store.records.get("meetings", head["series_next_id"])
    assert tail["title"] == "办公室主任办公会（调整后）" and tail["booking_state"] == "confirmed"
    close_main(qtbot, window)


def test_a_refused_booking_is_shown_with_the_free_alternatives(qtbot, tmp_path, file_keyring, demo_server):
    from oa_client.domain.meetings import Attendee, Meeting
    from oa_client.services import meetings as mtg
    from tests.sync.support import make_client

    other = make_client(demo_server, tmp_path, "lixiaolong")  # another unit's secretary, booked first
    other.engine.sync()
    small = next(r for r in other.store.records.list("rooms") if r["name"] == "市政府二楼小会议室")
    start = (datetime.now(TZ) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    mtg.book(other.store, meeting=Meeting(
        subject="数据资源业务培训", starts_at=start, ends_at=start + timedelta(hours=1), room_id=small["id"],
        attendees=(Attendee(id=str(other.transport.user["id"]), name="李晓龙"),)),
        user_id=str(other.transport.user["id"]))
    assert other.engine.sync().rejected == 0

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    # 刘洋's desk cannot see that booking (the room's 会议管理员 would: she sees its bookings)
    window = sign_in(qtbot, shell, "liuyang")
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.session is not None, timeout=WAIT)
    page.new_meeting(start=start, end=start + timedelta(hours=1), room_id=small["id"])
    qtbot.waitUntil(lambda: page.booking_dialog is not None, timeout=WAIT)
    dialog = page.booking_dialog
    dialog.subject.setText("秘书科工作例会")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible() or bool(dialog.problem.text()), timeout=WAIT)
    assert not dialog.isVisible(), dialog.problem.text()
    window.sync_now()
    qtbot.waitUntil(lambda: page.refused.isVisible(), timeout=WAIT)
    text = page.refused.text()
    assert "秘书科工作例会" in text and "数据资源业务培训" in text and "同一时间可改用" in text
    _shot(window, "refused-booking")
    close_main(qtbot, window)
    other.close()


def test_a_unit_names_who_attends_from_the_notice(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "zhangmin")  # 普政数 文书: answers for the unit
    wait_synced(qtbot, window)
    window.navigate(2)
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.session is not None, timeout=WAIT)
    flood = page.session.store.db.query("SELECT id FROM meetings WHERE title = ?", ("全市防汛工作会议",))[0][0]
    page.select_record("meetings", flood)
    side = page.side
    qtbot.waitUntil(lambda: page.current is not None and side.people_button.isVisible(), timeout=WAIT)
    assert side.people_label.text() == "本单位参会人员：李晓龙"  # the demo reply named him
    side.people_button.click()
    dialog = side.people_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    assert dialog.chosen == [page.session.store.db.query(
        "SELECT id FROM users WHERE name = ?", ("李晓龙",))[0][0]]
    item = {i.text().split("（")[0]: i for i in dialog.items.values()}
    item["李晓龙"].setCheckState(Qt.CheckState.Unchecked)
    item["张敏"].setCheckState(Qt.CheckState.Checked)
    item["杨帆"].setCheckState(Qt.CheckState.Checked)
    assert dialog.count.text() == "已选 2 人，名额 3 人"
    dialog.ok_button.click()
    assert side.people_label.text() == "本单位参会人员：张敏、杨帆"
    side.reply_button.click()
    qtbot.waitUntil(lambda: "回执已保存" in page.message.text(), timeout=WAIT)
    window.sync_now()
    wait_synced(qtbot, window)
    unit = page.session.unit_id
    names = page.session.names
    qtbot.waitUntil(lambda: sorted(names.get(p, p) for p in (page.session.store.records.get(
        "meetings", flood).get("rsvp_people") or {}).get(unit, [])) == ["张敏", "杨帆"], timeout=WAIT)
    close_main(qtbot, window)
