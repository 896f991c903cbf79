"""Driving the client only as a person does — clicks and typing — for the `test_journey_*` tests:
buttons, list rows, combo boxes through their pop-up, grid cells, 同步 on the toolbar. Chinese is
typed the way an input method (拼音) delivers it: a committed string, not key codes."""

from __future__ import annotations

import itertools

from PySide6.QtGui import QInputMethodEvent  # tests may drive Qt directly

from tests.ui.support import close_main, make_shell, sign_in, wait_synced
from ui.qt import QApplication, QFileDialog, QLineEdit, QPoint, Qt, QTest, QTimer

WAIT = 30_000
LEFT = Qt.MouseButton.LeftButton


def _front(widget) -> None:
    """Bring the widget's window to the front, as a click on it does."""
    window = widget.window()
    if QApplication.activeWindow() is not window:
        window.raise_()
        window.activateWindow()
        QTest.qWaitForWindowActive(window, 2000)


def click(widget) -> None:
    """A left click in the middle of a widget (a button, a check box)."""
    assert widget.isEnabled() and widget.isVisible(), widget
    _front(widget)
    QTest.mouseClick(widget, LEFT)


def tick_item(view, item) -> None:
    """Tick a check item of a list as a person does: click its row, then press Space."""
    view.scrollToItem(item)
    _front(view)
    before = item.checkState()
    QTest.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                     view.visualItemRect(item).center())
    assert view.currentItem() is item, item.text()
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert item.checkState() != before, item.text()


def tick(box) -> None:
    """Click a check box on its box (the left end), as a person does."""
    assert box.isEnabled() and box.isVisible(), box
    _front(box)
    before = box.isChecked()
    QTest.mouseClick(box, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(8, box.height() // 2))
    assert box.isChecked() != before


def keys(target, text: str) -> None:
    """Type text into a widget: ASCII as key presses, Chinese as the input method commits it."""
    for ascii_, run in itertools.groupby(text, key=str.isascii):
        chunk = "".join(run)
        if ascii_:
            QTest.keyClicks(target, chunk)
        else:
            event = QInputMethodEvent("", [])
            event.setCommitString(chunk)
            QApplication.sendEvent(target, event)


def type_into(widget, text: str, *, enter: bool = False) -> None:
    """Click into a line edit (it takes the focus, as a click does), select what is there and type over it."""
    _front(widget)
    QTest.mouseClick(widget, LEFT)
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if not text:
        QTest.keyClick(widget, Qt.Key.Key_Delete)
    keys(widget, text)
    if enter:
        QTest.keyClick(widget, Qt.Key.Key_Return)


def pick(qtbot, combo, text: str) -> None:
    """Click a combo box open, move to the entry that contains `text` with the arrow keys, press Enter."""
    row = next((i for i in range(combo.count()) if text in combo.itemText(i)), -1)
    assert row >= 0, (text, [combo.itemText(i) for i in range(combo.count())])
    _front(combo)
    QTest.mouseClick(combo, LEFT)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=WAIT)
    step = row - max(combo.currentIndex(), 0)
    for _ in range(abs(step)):
        QTest.keyClick(view, Qt.Key.Key_Down if step > 0 else Qt.Key.Key_Up)
    QTest.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: combo.currentIndex() == row and not view.isVisible(), timeout=WAIT)


def row_of(widget, text: str) -> int:
    """The row of a list whose text contains `text` (-1 when none)."""
    return next((i for i in range(widget.count()) if text in widget.item(i).text()), -1)


def click_row(qtbot, widget, text: str) -> None:
    """Click the list row whose text contains `text` (waiting for it to be listed)."""
    qtbot.waitUntil(lambda: row_of(widget, text) >= 0, timeout=WAIT)
    item = widget.item(row_of(widget, text))
    _front(widget)
    widget.scrollToItem(item)
    QTest.mouseClick(widget.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, widget.visualItemRect(item).center())


def click_tab(tabs, text: str) -> None:
    """Click the tab with this title."""
    bar = tabs.tabBar()
    _front(bar)
    index = next(i for i in range(bar.count()) if bar.tabText(i) == text)
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center())


def click_cell(table, row: int, column: int) -> None:
    """Click one cell of a table or grid."""
    _front(table)
    table.setFocus(Qt.FocusReason.MouseFocusReason)
    table.scrollToItem(table.item(row, column))
    rect = table.visualItemRect(table.item(row, column))
    QTest.mouseClick(table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, rect.center())


def type_cell(qtbot, grid, row: int, column: int, text: str) -> None:
    """Click a grid cell, type a value and press Enter (typing starts the editor)."""
    click_cell(grid, row, column)
    QTest.keyClick(grid, text[0])  # typing starts the cell's editor, which takes the rest
    keys(QApplication.focusWidget() or grid, text[1:])
    QTest.keyClick(QApplication.focusWidget() or grid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: grid.item(row, column).text() == text, timeout=WAIT)


def choose_file(qtbot, button, path) -> None:
    """Click a button that asks for a file (保存…, 下载…, 添加附件…); in the file dialog it opens,
    type the file's full path into the file name box and press Enter, as a person does."""
    typed: list[str] = []

    def answer() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets()
                       if isinstance(w, QFileDialog) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(50, answer)
            return
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        type_into(name, str(path), enter=True)
        typed.append(str(path))

    QTimer.singleShot(50, answer)
    click(button)
    qtbot.waitUntil(lambda: bool(typed), timeout=WAIT)


def dialog_of(qtbot, parent, cls):
    """The dialog of this class a click just opened (shown), waited for."""
    def shown():
        return next((d for d in parent.findChildren(cls) if d.isVisible()), None)

    qtbot.waitUntil(lambda: shown() is not None, timeout=WAIT)
    return shown()


def todo_row(window, kind: str, text: str) -> int:
    """The 待办 row of this kind whose title contains `text` (-1 when none)."""
    return next((i for i, item in enumerate(window.todo_page.model.items)
                 if item.kind == kind and text in item.title), -1)


def open_todo(qtbot, window, kind: str, text: str):
    """Wait for the 待办 item, click its row and press Enter (it opens where it waits): the item."""
    todo = window.todo_page
    qtbot.waitUntil(lambda: todo_row(window, kind, text) >= 0, timeout=WAIT)
    row = todo_row(window, kind, text)
    item = todo.model.items[row]
    _front(todo.table)
    QTest.mouseClick(todo.table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                     todo.table.visualRect(todo.model.index(row, 1)).center())
    QTest.keyClick(todo.table, Qt.Key.Key_Return)
    return item


def go_to(window, name: str) -> None:
    """Click an entry of the navigation list (报表, 公文…)."""
    nav = window.nav
    item = next(nav.item(i) for i in range(nav.count()) if nav.item(i).text() == name)
    QTest.mouseClick(nav.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, nav.visualItemRect(item).center())


def sync(qtbot, window) -> None:
    """Click 同步 (F5) on the toolbar and wait until the sync finished with nothing left to send."""
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT)
    click(window.toolbar.widgetForAction(window.act_sync))
    assert window.sync.running
    qtbot.waitUntil(lambda: not window.sync.running and window.sync.state in ("synced", "attention")
                    and window.sync.pending == 0, timeout=WAIT)


def open_document(qtbot, window, tab: int | str, title: str, *, direction: str | None = None):
    """Ctrl+2 (公文), click the box's tab (its index, or the start of its label), click the row
    of `title` (of `direction` when given), Enter: its window, loaded."""
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.record_pages[1]
    bar = page.tabs
    index = tab if isinstance(tab, int) else next(
        i for i in range(bar.count()) if bar.tabText(i).startswith(tab))
    _front(bar)
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center())

    def row() -> int | None:
        if page.tabs.currentIndex() != index:
            return None
        for r in range(page.model.rowCount()):
            rec = page.model.record(r) or {}
            if rec.get("title") == title and direction in (None, rec.get("direction")):
                return r
        return None

    qtbot.waitUntil(lambda: row() is not None, timeout=WAIT)
    rect = page.table.visualRect(page.model.index(row(), 1))
    QTest.mouseClick(page.table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, rect.center())
    qtbot.waitUntil(lambda: page.current is not None and page.current.get("title") == title,
                    timeout=WAIT)
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        QTest.keyClick(page.table, Qt.Key.Key_Return)
    w = opened.args[0]
    qtbot.waitUntil(lambda: w.view is not None and not w.busy, timeout=WAIT)
    return w


def leave(qtbot, w, window) -> None:
    """Close the 公文 window and sign out once everything went to the server."""
    qtbot.waitUntil(lambda: not w.busy and not window.sync.running
                    and window.sync.state == "synced" and window.sync.pending == 0,
                    timeout=WAIT)
    w.close()
    close_main(qtbot, window)


def desk(qtbot, tmp_path, keyring, url: str, login: str, n: int = 0):
    """The user signs in on their own computer (own profile) and the first sync is done."""
    window = sign_in(qtbot, make_shell(tmp_path / f"{login}-{n}", keyring, url), login)
    wait_synced(qtbot, window)
    return window
