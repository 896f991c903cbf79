"""The shell driven as a user would: sign in → first sync → 待办; search; restart offline;
lock and unlock; 通讯录; no database or HTTP call on the GUI thread."""

from __future__ import annotations

import threading

import pytest
import requests

from oa_client.store.db import Database
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced


@pytest.fixture
def io_threads(monkeypatch):
    """Record the thread of every database and HTTP call."""
    seen: list[str] = []
    seen_any: list[str] = []
    main = threading.main_thread()

    def wrap(cls, name):
        original = getattr(cls, name)

        def recorder(self, *args, **kwargs):
            seen_any.append(name)
            if threading.current_thread() is main:
                seen.append(f"{cls.__name__}.{name}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, recorder)

    wrap(Database, "query")
    wrap(Database, "transaction")
    wrap(requests.Session, "request")
    return seen, seen_any


def test_sign_in_first_sync_todo_search_contacts(qtbot, tmp_path, file_keyring, demo_server,
                                                 io_threads, monkeypatch):
    from ui.signin import SignInWindow

    phases = []
    original = SignInWindow._progress

    def progress(self, p):
        original(self, p)
        phases.append((self.phase.text(), self.bar.maximum()))

    monkeypatch.setattr(SignInWindow, "_progress", progress)
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangjianhua")
    # the first sync showed its phase and count on a progress bar
    assert any(text.startswith("下载数据") for text, _max in phases), phases
    wait_synced(qtbot, window)
    todo = window.todo_page.model.items
    titles = [t.title for t in todo]
    assert any("汛期安全防范" in t for t in titles), titles  # a document to handle
    assert any(t.kind == "rsvp" for t in todo)  # a meeting invitation
    assert any(t.kind == "approve" for t in todo)  # a request to approve
    assert any(t.kind == "read" for t in todo)
    assert any(t.kind == "report" for t in todo)
    # most pressing first: 特急 before the rest, overdue marked
    assert todo[0].overdue or todo[0].urgency == "特急"
    assert "已同步" in window.sync_label.text()

    # opening a to-do goes to its screen with the record selected
    row = next(i for i, t in enumerate(todo) if t.collection == "documents")
    index = window.todo_page.model.index(row, 1)
    window.todo_page.table.doubleClicked.emit(index)
    page = window.record_pages[1]
    assert page.isVisible()
    qtbot.waitUntil(lambda: page.current is not None and page.current["id"] == todo[row].record_id,
                    timeout=WAIT)
    assert todo[row].title in page.detail.toPlainText()

    # search by a two-character word, offline index, grouped with highlights
    window.focus_search()
    window.search_box.setText("防汛")
    with qtbot.waitSignal(window.search_done, timeout=WAIT) as found:
        window.run_search()
    assert any("防汛" in h.title for h in found.args[0])
    assert "公文" in window.search_page.results.toPlainText()
    assert "background:#fff2a8" in window.search_page.results.toHtml() or \
        "fff2a8" in window.search_page.results.toHtml()

    # 通讯录 from the local cache, filtered offline
    window.navigate(6)
    contacts = window.contacts_page
    qtbot.waitUntil(lambda: len(contacts.users) > 30, timeout=WAIT)
    contacts.filter.setText("郑晓燕")
    assert contacts.shown == 1

    # the meetings screen opens on the records synced to this desk (its calendar is walked
    # in tests/ui/test_meetings_page.py); its reads run on workers like everything else
    window.navigate(2)
    page = window.record_pages[2]
    assert page.isVisible()
    qtbot.waitUntil(lambda: page.calendar.view == "week" and page.range_label.text() != "",
                    timeout=WAIT)
    close_main(qtbot, window)
    on_gui, every = io_threads
    assert {"query", "transaction", "request"} <= set(every)  # the recorder saw the calls
    assert on_gui == [], f"I/O on the GUI thread: {sorted(set(on_gui))}"


def test_restart_offline_shows_the_same_data(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "zhengxiaoyan", remember=True)
    wait_synced(qtbot, window)
    before = sorted((t.collection, t.record_id) for t in window.todo_page.model.items)
    assert before
    close_main(qtbot, window)
    demo_server.stop()

    again = make_shell(tmp_path, file_keyring, demo_server.url)
    with qtbot.waitSignal(again.main_shown, timeout=WAIT) as shown:
        again.start()  # remembered: the cached profile opens at once, no sign-in
    window = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: sorted((t.collection, t.record_id)
                                   for t in window.todo_page.model.items) == before, timeout=WAIT)
    qtbot.waitUntil(lambda: "离线" in window.sync_label.text(), timeout=WAIT)
    assert again.sign_in_window is None
    close_main(qtbot, window)
    demo_server.start = lambda: None  # already stopped; the fixture's stop() is harmless


def test_lock_and_unlock(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    window.lock()
    dialog = window.lock_dialog
    assert window.locked and not window.centralWidget().isVisible()
    dialog.password.setText("wrong-password")
    dialog.try_unlock()
    qtbot.waitUntil(lambda: "不正确" in dialog.problem.text(), timeout=WAIT)
    assert window.locked
    dialog.password.setText("Demo@2026")
    with qtbot.waitSignal(dialog.unlocked, timeout=WAIT):
        dialog.try_unlock()
    assert not window.locked and window.centralWidget().isVisible()
    # idle time locks by itself
    window.idle.set_minutes(1)
    window.idle.timer.setInterval(50)
    window.idle.timer.start()
    qtbot.waitUntil(lambda: window.locked, timeout=WAIT)
    close_main(qtbot, window)
