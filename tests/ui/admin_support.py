"""Driving the administrators' console as a person would: click rows and buttons, type,
wait for what the screen shows."""

from __future__ import annotations

from tests.ui.support import WAIT, make_shell, sign_in
from ui.admin.window import AdminWindow
from ui.main_window import MainWindow
from ui.qt import QMessageBox, QPoint, Qt

BUSINESS = ("待办", "公文", "会议", "事项", "报表", "督办", "通讯录")


def console(qtbot, tmp_path, keyring, server, login: str):
    """Sign in through the sign-in window as an administrator; (shell, console window)."""
    shell = make_shell(tmp_path, keyring, server.url)
    window = sign_in(qtbot, shell, login)
    assert isinstance(window, AdminWindow) and not isinstance(window, MainWindow)
    return shell, window


def assert_no_business_pages(window: AdminWindow) -> None:
    """The console lists none of the business pages and holds no business records."""
    titles = window.page_titles()
    assert not set(titles) & set(BUSINESS), titles
    assert not hasattr(window, "record_pages") and not hasattr(window, "todo_page")
    store = window.session.store
    for table in ("documents", "meetings", "requests", "submissions", "supervision_tasks"):
        assert store.db.query(f"SELECT count(*) FROM {table}") == [(0,)], table


def open_page(qtbot, window: AdminWindow, title: str):
    """Click the page's entry in the navigation; the page, shown."""
    for row in range(window.nav.count()):
        if window.nav.item(row).text() == title:
            rect = window.nav.visualItemRect(window.nav.item(row))
            qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            page = window.pages[row]
            qtbot.waitUntil(page.isVisible, timeout=WAIT)
            return page
    raise AssertionError(f"no page {title!r} in {window.page_titles()}")


def click_row(qtbot, table, text: str, col: int = 0) -> None:
    """Click the first row whose cell `col` shows `text`."""
    qtbot.waitUntil(lambda: text in table.column_texts(col), timeout=WAIT)
    row = table.column_texts(col).index(text)
    item = table.item(row, col)
    table.scrollToItem(item)
    rect = table.visualItemRect(item)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert table.currentRow() == row


def click(qtbot, button) -> None:
    """Click a button (it must be enabled)."""
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot, box) -> None:
    """Click a check box once it is laid out on the screen."""
    qtbot.waitUntil(lambda: box.isVisible() and box.width() > 0, timeout=WAIT)
    before = box.isChecked()
    # on its box, not the empty space right of its label (that is not a hit)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() != before, box.text()


def confirm(qtbot, page) -> None:
    """Click 确定 on the page's confirmation."""
    qtbot.waitUntil(lambda: getattr(page, "confirm_box", None) is not None
                    and page.confirm_box.isVisible(), timeout=WAIT)
    box = page.confirm_box
    click(qtbot, box.button(QMessageBox.StandardButton.Yes))


def said(qtbot, page, text: str) -> str:
    """Wait until the page's status line says `text`; returns the whole line."""
    try:
        qtbot.waitUntil(lambda: text in page.status.text(), timeout=WAIT)
    except qtbot.TimeoutError:
        raise AssertionError(f"waited for {text!r}; the status line says {page.status.text()!r}") from None
    return page.status.text()


def type_into(qtbot, widget, text: str) -> None:
    """Click into a field and type (Chinese arrives whole, as an input method commits it)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        widget.insert(text)


def choose(qtbot, combo, text: str) -> None:
    """Pick an entry of a drop-down with the arrow keys."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text, [combo.itemText(i) for i in range(combo.count())]


def shot(widget, path) -> None:
    """Render a widget to PNG (offscreen), for looking at it."""
    widget.grab().save(str(path))


def shot_if_asked(widget, name: str) -> None:
    """With OA_ADMIN_SHOTS=DIR, render the widget to DIR/name.png (to look at it)."""
    import os
    from pathlib import Path

    folder = os.environ.get("OA_ADMIN_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shot(widget, Path(folder) / f"{name}.png")
