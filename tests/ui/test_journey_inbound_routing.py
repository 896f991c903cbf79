"""Journey: a 收文 at the city from 签收 to 归档, only clicking and typing in the screens. The
city's 收发员 签收, 登记 (办理期限) and 初审; the office director 拟办 proposing the 分管领导; she
批办 choosing 秘书科 to 主办, a reader and 督办 with its deadline (a 办理期限 in the past is
refused first, nothing lost); 秘书科's 科长 承办; the reader finds it in 待阅 and marks it read;
the 收发员 办结 with the result and 归档 — and the 督办 task opened by the 批示 is on the 督办
page. (The 请示 is drafted and dispatched to the city by 洪阳镇's demo users, as set-up.)"""

from __future__ import annotations

from datetime import date, timedelta

from tests.ui.journey import desk, leave, open_document
from tests.ui.support import WAIT
from tests.ui.test_documents_screens import _close, gui_io  # noqa: F401 (a fixture)
from tests.ui.test_journey_supervision import _type
from ui.documents.shots import issue_document
from ui.qt import Qt, QTest

TITLE = "洪阳镇人民政府关于申请榕江堤防应急加固资金的请示"
TODO, TO_READ = 0, 6  # tabs of the 公文 page


def _click(widget, pos=None) -> None:
    if pos is None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    else:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def _take(qtbot, w, key: str, label: str, after: str, opinion: str = "") -> None:
    """Type the opinion, click the action button `label`, wait for the state `after`."""
    qtbot.waitUntil(lambda: not w.busy and key in w.action_buttons
                    and w.action_buttons[key].text().startswith(label), timeout=WAIT)
    if opinion:
        _type(qtbot, w.opinion, opinion)
    _click(w.action_buttons[key])
    # the screen shows the next step at once, then what the server made of it after the sync
    qtbot.waitUntil(lambda: w.view is not None and w.view.state == after and not w.busy
                    and w.view.record.get("state") == after, timeout=WAIT)
    assert f"<b>{w.view.state_label}</b>" in w.status.text()


def _tick(qtbot, lst, starts: str) -> None:
    """Click the list row that starts with `starts` and tick it with the space bar."""
    row = next(r for r in range(lst.count()) if lst.item(r).text().startswith(starts))
    lst.scrollToItem(lst.item(row))
    _click(lst.viewport(), lst.visualItemRect(lst.item(row)).center())
    QTest.keyClick(lst, Qt.Key.Key_Space)
    assert lst.item(row).checkState() == Qt.CheckState.Checked


def _type_date(qtbot, edit, day: date) -> None:
    """Set a date field from the keyboard: Home (the year), arrow keys to the year (typed
    digits do not replace a year), then type -MM-DD."""
    edit.setFocus()
    QTest.keyClick(edit, Qt.Key.Key_Home)
    years = day.year - edit.date().year()
    for _i in range(abs(years)):
        QTest.keyClick(edit, Qt.Key.Key_Up if years > 0 else Qt.Key.Key_Down)
    qtbot.keyClicks(edit, f"-{day.month:02d}-{day.day:02d}")
    assert edit.date().toPython() == day, (edit.text(), day)


def test_journey_inbound_document_from_sign_for_to_archive(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):  # noqa: F811
    _doc, actors = issue_document(demo_server.url, tmp_path / "actors", title=TITLE,
                                  attachments=0, receive=False)
    url, on = demo_server.url, gui_io[0]
    today = date.today()

    # 收发员 吴琼: 签收, 登记 with a 办理期限, 初审
    window = desk(qtbot, tmp_path, file_keyring, url, "wuqiong")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert w.view.direction == "incoming" and not w.routing.isVisible()
    _take(qtbot, w, "approve", "签收", "register", "已签收。")
    qtbot.waitUntil(lambda: w.routing.isVisible(), timeout=WAIT)  # 登记: only the 办理期限
    assert w.routing.deadline.isVisible() and not w.routing.lead.isVisible()
    _type_date(qtbot, w.routing.deadline, today + timedelta(days=15))
    _take(qtbot, w, "approve", "同意", "vet")
    _take(qtbot, w, "approve", "同意", "propose", "要素齐全。")
    on.clear()
    leave(qtbot, w, window)

    # 办公室主任 黄建华: 拟办, proposing the 分管领导
    window = desk(qtbot, tmp_path, file_keyring, url, "huangjianhua")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    panel = w.routing
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    assert panel.leader.currentText() == "主要领导（陈志强）"  # the default
    assert panel.deadline.date().toPython() == today + timedelta(days=15)  # from 登记
    panel.leader.setFocus()
    QTest.keyClick(panel.leader, Qt.Key.Key_Down)
    assert panel.leader.currentText() == "分管领导（林慧敏）"
    _take(qtbot, w, "approve", "同意", "instruct", "拟请林副市长阅示。")
    assert w.view.holder_names == ["林慧敏"] and "当前办理人：林慧敏" in w.status.text()
    on.clear()
    leave(qtbot, w, window)

    # 分管领导 林慧敏: 批办 — 主办 秘书科, a reader, 督办
    window = desk(qtbot, tmp_path, file_keyring, url, "linhuimin")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    panel = w.routing
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    assert not panel.leader.isVisible() and panel.lead.currentData() == ""
    panel.lead.setFocus()
    QTest.keyClick(panel.lead, Qt.Key.Key_Down)
    assert panel.lead.currentText() == "秘书科（科长：郑晓燕）"
    _type(qtbot, panel.reader_filter, "谢芳")
    _tick(qtbot, panel.readers, "谢芳")
    _click(panel.supervise)
    assert panel.supervise.isChecked() and panel.supervise_deadline.isEnabled()
    _type_date(qtbot, panel.supervise_deadline, today + timedelta(days=30))
    _type_date(qtbot, panel.deadline, today - timedelta(days=1))  # in the past: refused
    _type(qtbot, w.opinion, "请秘书科抓紧办理，按期报结果。")
    _click(w.action_buttons["approve"])
    qtbot.waitUntil(lambda: "办理期限应晚于今天" in w.problem.text(), timeout=WAIT)
    assert w.view.state == "instruct" and "border" in panel.deadline.styleSheet()
    assert w.opinion.toPlainText() == "请秘书科抓紧办理，按期报结果。"  # nothing lost
    assert panel.lead.currentText().startswith("秘书科") and panel.supervise.isChecked()
    _type_date(qtbot, panel.deadline, today + timedelta(days=10))
    _click(w.action_buttons["approve"])
    qtbot.waitUntil(lambda: w.view.state == "handle" and not w.busy
                    and w.view.record.get("state") == "handle", timeout=WAIT)
    assert w.view.holder_names == ["郑晓燕"] and not w.problem.text()
    rec = w.view.record
    assert rec["handling_days"] == 10 and rec["supervise"] == {
        "deadline": (today + timedelta(days=30)).isoformat()}
    on.clear()
    leave(qtbot, w, window)

    # 秘书科 科长 郑晓燕: 承办
    window = desk(qtbot, tmp_path, file_keyring, url, "zhengxiaoyan")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert w.view.state == "handle" and not w.routing.isVisible()
    _take(qtbot, w, "approve", "同意", "circulate", "已会同财政局核实，拟安排应急资金60万元。")
    assert "传阅：谢芳（未阅）" in w.status.text()
    on.clear()
    leave(qtbot, w, window)

    # the reader 谢芳: 待阅, 已阅
    window = desk(qtbot, tmp_path, file_keyring, url, "xiefang")
    on.set()
    w = open_document(qtbot, window, TO_READ, TITLE)
    _take(qtbot, w, "read", "已阅", "complete")
    assert "传阅：谢芳（已阅）" in w.status.text()
    on.clear()
    leave(qtbot, w, window)

    # 收发员 吴琼: 办结 with the result, 归档; the 督办 task is on the 督办 page
    window = desk(qtbot, tmp_path, file_keyring, url, "wuqiong", 1)
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    _click(w.action_buttons["approve"])  # 办结 with no result: refused, still at 办结
    assert "办结须填写办理结果" in w.problem.text() and w.view.state == "complete"
    _take(qtbot, w, "approve", "同意", "archive", "已办结：市财政安排应急资金60万元。")
    _take(qtbot, w, "approve", "同意", "archived")
    assert "已归档" in w.status.text() and w.view.flow_status == "completed"
    steps = [(e.step, e.actor_name, e.opinion) for e in w.view.timeline
             if e.outcome == "accepted"]
    assert ("instruct", "林慧敏", "请秘书科抓紧办理，按期报结果。") in steps
    assert ("complete", "吴琼", "已办结：市财政安排应急资金60万元。") in steps
    assert [s for s, _a, _o in steps] == ["receive", "register", "vet", "propose", "instruct",
                                         "handle", "circulate", "complete", "archive"]
    nav = window.nav  # 督办, clicked in the main window's navigation
    _click(nav.viewport(), nav.visualItemRect(nav.item(5)).center())
    page = window.record_pages[5]
    assert nav.item(5).text() == "督办" and page.view == "mine"  # 本单位事项
    qtbot.waitUntil(lambda: any(page.table.item(r, 1) is not None
                                and page.table.item(r, 1).text() == TITLE
                                for r in range(page.table.rowCount())), timeout=WAIT)
    on.clear()
    task = next(t for t in window.session.store.records.list("supervision_tasks", limit=100)
                if (t.get("source") or {}).get("id") == w.doc_id)
    assert task["deadline"] == (today + timedelta(days=30)).isoformat()
    assert task["content"] == "请秘书科抓紧办理，按期报结果。"
    leave(qtbot, w, window)
    _close(actors)
    assert gui_io[1] == [], f"I/O on the GUI thread: {sorted(set(gui_io[1]))}"
