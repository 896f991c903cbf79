"""Journey: the 督查室 signs in, opens 督办, and enters a task through the 立项 form only by
clicking and typing — source 公文, lead and assisting units, 责任人, 批示领导, deadline and two
milestones; then days pass (the desk's and the server's clock) and the first milestone's light
turns yellow, then red, on the desk and on the server alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from oa_client.domain.workdays import shipped_calendar
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced


def _type_date(qtbot, edit, day: date) -> None:
    """Select the date field's text and type the date, as a user does."""
    from ui.qt import Qt

    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, day.isoformat())


def _click(qtbot, widget) -> None:
    from ui.qt import Qt

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _type(qtbot, widget, text: str) -> None:
    """Type into a field: Latin keys as key presses, Chinese as an input method commits it."""
    from ui.qt import QApplication, QInputMethodEvent

    widget.setFocus()
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(widget.focusProxy() or widget, event)


def _pick(qtbot, combo, text: str) -> None:
    """Open a drop-down and click the entry that starts with `text`."""
    from ui.qt import Qt

    _click(qtbot, combo)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=WAIT)
    row = next(r for r in range(combo.count()) if combo.itemText(r).startswith(text))
    index = view.model().index(row, 0)
    view.scrollTo(index)
    qtbot.wait(400)  # a release right after the popup opened is taken for the opening click
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=WAIT)
    assert combo.currentText().startswith(text), (combo.currentText(), text)


def _day_before(due: date, workdays: int) -> date:
    """The day from which `due` is `workdays` working days away."""
    cal = shipped_calendar()
    day = due
    while cal.workdays_between(day, due) < workdays:
        day -= timedelta(days=1)
    return day


def test_journey_supervision_task_with_milestones_whose_light_follows_the_clock(
        qtbot, tmp_path, file_keyring, demo_server):
    from oa_server.jobs.scheduler import Scheduler
    from ui.qt import QDialogButtonBox, Qt
    from ui.supervision.dialogs import TaskForm

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lindongsheng")  # 督查室
    wait_synced(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)  # 督办
    page = window.record_pages[5]
    qtbot.waitUntil(lambda: page.view == "board" and page.task is not None, timeout=WAIT)
    before = page.table.rowCount()

    _click(qtbot, page.new_button)
    (form,) = page.findChildren(TaskForm)
    assert form.isVisible()
    _click(qtbot, form.buttons.button(QDialogButtonBox.StandardButton.Ok))  # nothing typed yet
    assert "名称" in form.error.text() and form.isVisible()
    today = page.today()
    _type(qtbot, form.title, "城区排水管网改造")
    _type(qtbot, form.content, "按市长批示，汛期前完成城区老旧排水管网改造，分段验收。")
    _pick(qtbot, form.lead, "洪阳镇人民政府")
    _pick(qtbot, form.owner, "朱艳萍")  # 洪阳镇 副镇长 answers for it
    _pick(qtbot, form.leader, "陈志强")
    deadline = today + timedelta(days=75)
    while not shipped_calendar().is_workday(deadline):
        deadline += timedelta(days=1)
    _type_date(qtbot, form.deadline, deadline)
    first_due = today + timedelta(days=21)
    while not shipped_calendar().is_workday(first_due):
        first_due += timedelta(days=1)
    _click(qtbot, form.milestones.add_button)
    _click(qtbot, form.milestones.add_button)
    name1, due1 = form.milestones.editors(0)
    name2, due2 = form.milestones.editors(1)
    _click(qtbot, form.milestones.add_button)  # one too many: removed again
    form.milestones.table.selectRow(2)
    _click(qtbot, form.milestones.remove_button)
    assert form.milestones.table.rowCount() == 2
    _type(qtbot, name1, "完成管网普查和改造方案")
    _type_date(qtbot, due1, first_due)
    _type(qtbot, name2, "完成主干管改造")
    _type_date(qtbot, due2, deadline - timedelta(days=20))
    assert form.deadline.date().toPython() == deadline
    _click(qtbot, form.buttons.button(QDialogButtonBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: (page.task or {}).get("title") == "城区排水管网改造", timeout=WAIT)
    qtbot.waitUntil(lambda: (page.task or {}).get("rev", 0) > 0, timeout=WAIT)  # the server took it
    task = page.task
    assert [(m["title"], m["due"]) for m in task["milestones"]] == [
        ("完成管网普查和改造方案", first_due.isoformat()),
        ("完成主干管改造", (deadline - timedelta(days=20)).isoformat())]
    assert task["deadline"] == deadline.isoformat() and page.table.rowCount() == before + 1
    names = page.result["names"]
    assert names[task["owner_id"]] == "朱艳萍" and names[task["ordered_by"]] == "陈志强"
    detail = page.detail.toPlainText()
    assert "完成管网普查和改造方案" in detail and "正常推进" in detail

    def row_light() -> str:
        rows = [r for r in range(page.table.rowCount())
                if page.table.item(r, 1).text() == "城区排水管网改造"]
        return page.table.item(rows[0], 0).text() if rows else ""

    assert row_light() == "正常推进"
    scheduler = Scheduler(demo_server.app.state.sessionmaker, clock=demo_server.clock,
                          node="test", settings=demo_server.settings)
    for moment, words in ((_day_before(first_due, 2), "临近期限"),
                          (first_due + timedelta(days=1), "已逾期")):
        # days pass: the server's clock (its morning pass) and the desk's calendar
        demo_server.clock.now = datetime.combine(moment, time(1, 0), tzinfo=UTC)  # 09:00
        scheduler.tick()
        page.today_override = moment
        qtbot.keyClick(window, Qt.Key.Key_F5)  # 同步
        qtbot.waitUntil(lambda w=words: row_light() == w, timeout=WAIT)
        qtbot.waitUntil(lambda w=words: w in page.detail.toPlainText(), timeout=WAIT)
        milestone_line = next(line for line in page.detail.toPlainText().splitlines()
                              if "完成管网普查和改造方案" in line)
        assert words in milestone_line  # it is the milestone's own light
        assert page.task["light"] == {"临近期限": "yellow", "已逾期": "red"}[words]  # server
    close_main(qtbot, window)
