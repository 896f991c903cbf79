"""Notifications on the desktop: a reminder the server sent shows as a tray message that opens
its item when clicked; in the quiet hours set in the settings dialog it only goes to the status
bar (and still into 待办)."""

from __future__ import annotations

import json
import uuid

from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced


def _remind_town(server, key: str) -> str:
    """The server reminds 洪阳镇 of its 防洪堤 task (as the morning 督办 pass does)."""
    from sqlalchemy import select

    from oa_server.jobs import JobRun
    from oa_server.models import Unit
    from oa_server.notify import notify
    from oa_server.sync_models import SyncRecord

    with server.app.state.sessionmaker() as s:
        unit = str(s.scalar(select(Unit.id).where(Unit.name == "洪阳镇人民政府")))
        task = next(r for r in s.scalars(select(SyncRecord).where(
            SyncRecord.collection == "supervision_tasks")) if "防洪堤" in json.loads(r.data)["title"])
        run = JobRun(session=s, now=server.clock(), slot=key)
        with run.batch() as ctx:
            assert notify(ctx, key=key, kind="supervision.chase", units=[unit],
                          args={"title": json.loads(task.data)["title"], "due": "2026-12-01"},
                          collection="supervision_tasks", record_id=task.id, urgent=True)
        s.commit()
    return task.id


def test_a_reminder_is_a_tray_message_that_opens_its_task_and_quiet_hours_hold_it(
        qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    from ui.qt import QSystemTrayIcon, Qt, QTime
    from ui.settings_dialog import SettingsDialog

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(QSystemTrayIcon, "supportsMessages", staticmethod(lambda: True))
    monkeypatch.setattr(QSystemTrayIcon, "showMessage",
                        lambda self, title, text, *a: shown.append((title, text)))
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lianghaitao")  # 洪阳镇 镇长
    wait_synced(qtbot, window)
    assert window.tray is not None
    shown.clear()

    task_id = _remind_town(demo_server, f"test:{uuid.uuid4()}")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    ((heading, text),) = shown
    assert heading == "提醒：督办事项"
    assert text.startswith("督办事项“市长批示：加快推进洪阳镇防洪堤加固工程”应于2026-12-01报送进展")
    todo = window.todo_page
    qtbot.waitUntil(lambda: any(i.notice == text for i in todo.model.items), timeout=WAIT)
    assert window.stack.currentIndex() == 0  # still on 待办
    window.tray.messageClicked.emit()  # the user clicks the message
    page = window.record_pages[5]
    assert window.stack.currentIndex() == 5
    qtbot.waitUntil(lambda: (page.task or {}).get("id") == task_id, timeout=WAIT)

    # quiet hours all day long, set in the settings dialog: the next reminder waits quietly
    dialog = SettingsDialog(window.prefs, window.policy, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.quiet, Qt.MouseButton.LeftButton)
    assert dialog.quiet_from.isEnabled()
    dialog.quiet_from.setTime(QTime(0, 0))
    dialog.quiet_to.setTime(QTime(23, 59))
    dialog.grab().save(str(tmp_path / "settings.png"))
    prefs = dialog.prefs()
    assert (prefs.quiet, prefs.quiet_from, prefs.quiet_to) == (True, "00:00", "23:59")
    window.apply_prefs(prefs)
    shown.clear()
    _remind_town(demo_server, f"test:{uuid.uuid4()}")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "提醒：督办事项" in window.statusBar().currentMessage(), timeout=WAIT)
    assert shown == []
    close_main(qtbot, window)


def test_quiet_hours_may_span_midnight() -> None:
    from datetime import time

    from ui.prefs import Prefs

    night = Prefs(quiet=True, quiet_from="22:00", quiet_to="07:30")
    assert night.is_quiet(time(23, 0)) and night.is_quiet(time(6, 59))
    assert not night.is_quiet(time(7, 30)) and not night.is_quiet(time(12, 0))
    assert not Prefs(quiet=False).is_quiet(time(23, 0))
    day = Prefs(quiet=True, quiet_from="12:00", quiet_to="13:30")
    assert day.is_quiet(time(12, 15)) and not day.is_quiet(time(14, 0))


def test_a_notice_in_the_status_bar_follows_a_switch_of_language(qtbot):
    from oa_client.services.todo import TodoItem
    from ui.main_window import MainWindow

    window = MainWindow(live_updates=False)  # no tray: new to-dos are told in the status bar
    qtbot.addWidget(window)
    window.show()
    window._notify_todos([TodoItem(kind="handle", collection="documents", record_id="d-1",
                                   title="关于防汛值班安排的通知", urgency="特急"),
                          TodoItem(kind="read", collection="documents", record_id="d-2",
                                   title="关于拨付防汛抢险资金的请示")])
    assert window.statusBar().currentMessage() == (
        "新的待办：待办公文　关于防汛值班安排的通知（另有1项新待办）")

    window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "en"}))
    message = window.statusBar().currentMessage()
    assert message.startswith("New to-do: ") and "关于防汛值班安排的通知" in message
    assert "新的待办" not in message and "另有" not in message

    window.statusBar().clearMessage()  # gone by itself after ten seconds: not shown again
    window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "zh_CN"}))
    assert window.statusBar().currentMessage() == ""
