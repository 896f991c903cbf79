"""Journeys (clicks and typing only, from sign-in) through the 办会 screens against the demo server:
谢芳 cancels the 全市防汛工作会议 and 郑晓燕, invited to it, sees the alert on her 待办 and the
meeting marked 已取消 on her calendar; 张敏 answers for 普政数 naming three of its people and 谢芳
marks one of them at 签到."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from oa_client.domain.meetings import TZ
from tests.sync.support import PASSWORD
from tests.ui.journey import (
    LEFT,
    WAIT,
    _front,
    click,
    go_to,
    keys,
    open_todo,
    pick,
    sync,
    tick_item,
    type_into,
)
from tests.ui.support import close_main, make_shell
from ui.qt import QDialogButtonBox, QPoint, Qt, QTest

FLOOD = "全市防汛工作会议"
SHOTS = Path(os.environ["OA_MEETING_SHOTS"]) if os.environ.get("OA_MEETING_SHOTS") else None


def _shot(window, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(SHOTS / f"{name}.png"))


def _sign_in(qtbot, shell, login: str):
    """Type the user name and password into the sign-in window and click 登录."""
    shell.show_sign_in()
    w = shell.sign_in_window
    qtbot.addWidget(w)
    type_into(w.user, login)
    type_into(w.password, PASSWORD)
    with qtbot.waitSignal(shell.main_shown, timeout=WAIT) as blocker:
        click(w.sign_in_button)
    window = blocker.args[0]
    qtbot.addWidget(window)
    window.resize(1360, 860)
    qtbot.waitUntil(lambda: window.session is not None and window.sync is not None
                    and not window.sync.running and window.sync.state in ("synced", "attention"),
                    timeout=WAIT)
    return window


def _meetings(qtbot, window):
    """Click 会议 and move the week on (▶) until the flood meeting, two days ahead, is shown."""
    go_to(window, "会议")
    page = window.record_pages[2]
    qtbot.waitUntil(lambda: page.calendar.isVisible() and page.session is not None, timeout=WAIT)
    flood_day = datetime.now(TZ).date() + timedelta(days=2)
    if flood_day not in page.calendar.days():
        click(page.next)
    qtbot.waitUntil(lambda: any(s.subject == FLOOD for s in page.calendar.sittings), timeout=WAIT)
    return page


def _click_sitting(qtbot, page, subject: str) -> None:
    """Click the flood meeting's box on the calendar and wait for its notice beside it."""
    cal = page.calendar
    cal.repaint()
    qtbot.waitUntil(lambda: any(s.subject == subject for _b, s in cal._boxes), timeout=WAIT)
    box = next(b for b, s in cal._boxes if s.subject == subject)
    _front(cal)
    QTest.mouseClick(cal, LEFT, Qt.KeyboardModifier.NoModifier, box.center().toPoint())
    qtbot.waitUntil(lambda: page.current is not None and page.current.get("title") == subject, timeout=WAIT)


def _todo_row(window, text: str) -> int:
    items = window.todo_page.model.items
    return next((i for i, item in enumerate(items) if text in item.title), -1)


def test_journey_cancelled_meeting_as_attendee_sees_it(qtbot, tmp_path, file_keyring, demo_server):
    organiser = _sign_in(qtbot, make_shell(tmp_path / "xiefang", file_keyring, demo_server.url), "xiefang")
    page = _meetings(qtbot, organiser)
    _click_sitting(qtbot, page, FLOOD)
    click(page.side.cancel_button)
    qtbot.waitUntil(lambda: page.message.text() == "会议已取消，同步后通知所有参会人员。", timeout=WAIT)
    sync(qtbot, organiser)
    # the organiser still sees it, marked 已取消
    qtbot.waitUntil(lambda: any(s.subject == FLOOD and s.status_label == "已取消" for s in page.calendar.sittings),
                    timeout=WAIT)
    close_main(qtbot, organiser)

    attendee = _sign_in(qtbot, make_shell(tmp_path / "zhengxiaoyan", file_keyring, demo_server.url),
                        "zhengxiaoyan")
    todo = attendee.todo_page
    qtbot.waitUntil(lambda: _todo_row(attendee, f"会议已取消：{FLOOD}") >= 0, timeout=WAIT)
    row = _todo_row(attendee, f"会议已取消：{FLOOD}")
    item = todo.model.items[row]
    assert (item.kind_label, item.urgency, item.title) == ("会议变更", "加急", f"会议已取消：{FLOOD}")
    assert not any(i.kind == "rsvp" and FLOOD in i.title for i in todo.model.items)  # no reply is asked
    _shot(attendee, "meeting-cancelled-todo")
    rect = todo.table.visualRect(todo.model.index(row, 1))
    _front(todo.table)
    QTest.mouseClick(todo.table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.keyClick(todo.table, Qt.Key.Key_Return)  # Enter opens it
    page = attendee.record_pages[2]
    qtbot.waitUntil(lambda: page.current is not None and page.current.get("title") == FLOOD, timeout=WAIT)
    side = page.side
    qtbot.waitUntil(side.alert_bar.isVisible, timeout=WAIT)
    assert side.alert_text.text() == "会议已取消"
    assert "本会议已取消" in page.detail.toPlainText()
    assert not side.reply_button.isEnabled() and not side.sign_button.isEnabled()  # nothing to do any more
    qtbot.waitUntil(lambda: [s.status_label for s in page.calendar.sittings if s.subject == FLOOD] == ["已取消"],
                    timeout=WAIT)
    page.calendar.repaint()
    _shot(attendee, "meeting-cancelled-calendar")
    click(side.ack_button)
    qtbot.waitUntil(lambda: not side.alert_bar.isVisible() and _todo_row(attendee, FLOOD) < 0, timeout=WAIT)
    assert side.message.text() == "已知悉会议变更。"
    close_main(qtbot, attendee)


def test_journey_a_unit_names_three_people_and_the_organiser_marks_one_at_sign_in(
        qtbot, tmp_path, file_keyring, demo_server):
    clerk = _sign_in(qtbot, make_shell(tmp_path / "zhangmin", file_keyring, demo_server.url), "zhangmin")
    page = _meetings(qtbot, clerk)
    _click_sitting(qtbot, page, FLOOD)
    side = page.side
    qtbot.waitUntil(lambda: side.people_button.isVisible() and side.people_button.isEnabled(), timeout=WAIT)
    click(side.people_button)
    qtbot.waitUntil(lambda: side.people_dialog is not None and side.people_dialog.isVisible(), timeout=WAIT)
    dialog = side.people_dialog
    type_into(dialog.filter, "杨")
    items = {i.text().split("（")[0]: i for i in dialog.items.values()}
    qtbot.waitUntil(lambda: items["陈静"].isHidden(), timeout=WAIT)
    tick_item(dialog.list, items["杨帆"])
    type_into(dialog.filter, "")
    qtbot.waitUntil(lambda: not items["陈静"].isHidden(), timeout=WAIT)
    tick_item(dialog.list, items["陈静"])
    assert items["李晓龙"].checkState() == Qt.CheckState.Checked  # named in the earlier reply
    assert dialog.count.text() == "已选 3 人，名额 3 人"
    _shot(dialog, "meeting-unit-people")
    click(dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert side.people_label.text() == "本单位参会人员：李晓龙、杨帆、陈静"
    pick(qtbot, side.answer, "参会")
    click(side.reply_button)
    qtbot.waitUntil(lambda: side.message.text() == "回执已保存，联网后自动提交。", timeout=WAIT)
    sync(qtbot, clerk)
    close_main(qtbot, clerk)

    organiser = _sign_in(qtbot, make_shell(tmp_path / "xiefang", file_keyring, demo_server.url), "xiefang")
    page = _meetings(qtbot, organiser)
    _click_sitting(qtbot, page, FLOOD)
    bar = page.tabs  # a bare tab bar above the calendar
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "回执与签到")
    _front(bar)
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center())
    replies = page.replies
    qtbot.waitUntil(lambda: replies.person.findText("陈静（普宁市政务服务数据管理局）") >= 0, timeout=WAIT)
    listed = [replies.person.itemText(i) for i in range(replies.person.count())]
    for name in ("杨帆", "李晓龙", "陈静"):
        assert f"{name}（普宁市政务服务数据管理局）" in listed
    row = next(r for r in replies.rows if r.name == "普宁市政务服务数据管理局")
    assert (row.answer_label, sorted(row.people)) == ("参会", sorted(["杨帆", "李晓龙", "陈静"]))
    pick(qtbot, replies.person, "陈静（普宁市政务服务数据管理局）")
    click(replies.mark)  # two days ahead: nobody is marked present before the sign-in opens
    qtbot.waitUntil(lambda: replies.message.text() == "签到尚未开始（会前一小时开放）", timeout=WAIT)
    # the meeting's morning: the server's clock and the desk's
    start = datetime.fromisoformat(str(page.current["starts_at"]).replace("Z", "+00:00"))
    demo_server.clock.now = replies.now_override = start - timedelta(minutes=10)
    click(replies.mark)
    qtbot.waitUntil(lambda: replies.message.text() == "已代为签到，同步后生效。", timeout=WAIT)
    sync(qtbot, organiser)
    qtbot.waitUntil(lambda: replies.person.findText("陈静（普宁市政务服务数据管理局）（已签到）") >= 0, timeout=WAIT)
    _shot(organiser, "meeting-sign-in-marked")
    store = organiser.session.store
    [signed] = store.records.list("checkins", where={"meeting_id": page.current["id"]}, limit=10)
    assert (signed["person_name"], signed["method"]) == ("陈静", "organiser")
    close_main(qtbot, organiser)


SAFETY = "全市安全生产工作调度会"


def _hours_up(qtbot, edit, steps: int) -> None:
    """Click the hour part of a time box and press ↑ `steps` times."""
    _front(edit)
    QTest.mouseClick(edit, LEFT, Qt.KeyboardModifier.NoModifier, edit.rect().topLeft() + QPoint(6, edit.height() // 2))
    for _ in range(steps):
        QTest.keyClick(edit, Qt.Key.Key_Up)


def test_journey_book_a_meeting_an_invitee_replies_and_the_organiser_sees_it(
        qtbot, tmp_path, file_keyring, demo_server):
    organiser = _sign_in(qtbot, make_shell(tmp_path / "xiefang", file_keyring, demo_server.url), "xiefang")
    go_to(organiser, "会议")
    page = organiser.record_pages[2]
    qtbot.waitUntil(lambda: page.calendar.isVisible() and page.session is not None, timeout=WAIT)
    click(page.new_button)
    qtbot.waitUntil(lambda: page.booking_dialog is not None and page.booking_dialog.isVisible(), timeout=WAIT)
    dialog = page.booking_dialog
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert save.text() == "预订并发送通知"
    click(save)  # no name yet: said in place, nothing booked
    qtbot.waitUntil(lambda: "会议名称" in dialog.problem.text(), timeout=WAIT)
    type_into(dialog.subject, SAFETY)
    assert (dialog.start.time().hour(), dialog.end.time().hour()) == (9, 10)  # tomorrow 09:00–10:00
    _hours_up(qtbot, dialog.start, 6)  # 15:00, the end still 10:00
    qtbot.waitUntil(lambda: dialog.start.time().hour() == 15, timeout=WAIT)
    click(save)
    qtbot.waitUntil(lambda: "结束时间必须晚于开始时间" in dialog.problem.text(), timeout=WAIT)
    assert dialog.isVisible()
    _hours_up(qtbot, dialog.end, 7)  # 17:00
    qtbot.waitUntil(lambda: dialog.end.time().hour() == 17, timeout=WAIT)
    pick(qtbot, dialog.room, "市政府二楼小会议室")
    pick(qtbot, dialog.chair, "黄建华")
    click(dialog.agenda)
    keys(dialog.agenda, "通报全市安全生产形势")
    QTest.keyClick(dialog.agenda, Qt.Key.Key_Return)
    keys(dialog.agenda, "部署岁末年初安全防范工作")
    people = {dialog.people.item(i).text(): dialog.people.item(i) for i in range(dialog.people.count())}
    tick_item(dialog.people, people["郑晓燕"])
    tick_item(dialog.people, people["黄建华"])
    _shot(dialog, "meeting-booking-form")
    click(save)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert "待确认" in page.message.text()
    sync(qtbot, organiser)
    store = organiser.session.store
    booked = next(m for m in store.records.list("meetings", limit=100) if m.get("title") == SAFETY)
    assert booked["state"] != "cancelled" and booked.get("booking_state") == "confirmed"

    invitee = _sign_in(qtbot, make_shell(tmp_path / "zhengxiaoyan", file_keyring, demo_server.url),
                       "zhengxiaoyan")
    open_todo(qtbot, invitee, "rsvp", SAFETY)  # 会议回执 on her 待办: Enter opens the notice
    mpage = invitee.record_pages[2]
    qtbot.waitUntil(lambda: mpage.current is not None and mpage.current.get("title") == SAFETY, timeout=WAIT)
    side = mpage.side
    text = mpage.detail.toPlainText()
    assert "市政府二楼小会议室" in text and "部署岁末年初安全防范工作" in text and "黄建华" in text
    pick(qtbot, side.answer, "参会")
    click(side.reply_button)
    qtbot.waitUntil(lambda: side.message.text() == "回执已保存，联网后自动提交。", timeout=WAIT)
    sync(qtbot, invitee)
    qtbot.waitUntil(lambda: _todo_row(invitee, SAFETY) < 0, timeout=WAIT)
    close_main(qtbot, invitee)

    sync(qtbot, organiser)  # 谢芳 clicks her meeting on the calendar and sees the reply in 回执与签到
    if datetime.now(TZ).date() + timedelta(days=1) not in page.calendar.days():
        click(page.next)
    _click_sitting(qtbot, page, SAFETY)
    bar = page.tabs
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "回执与签到")
    _front(bar)
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center())
    replies = page.replies

    def answers() -> dict[str, str]:
        return {r.name: r.answer_label for r in replies.rows}

    qtbot.waitUntil(lambda: page.current is not None and page.current.get("title") == SAFETY
                    and answers().get("郑晓燕") == "参会", timeout=WAIT)
    assert answers() == {"郑晓燕": "参会", "黄建华": "未回执", "谢芳": "未回执"}  # she attends too
    _shot(organiser, "meeting-booked-replies")
    close_main(qtbot, organiser)
