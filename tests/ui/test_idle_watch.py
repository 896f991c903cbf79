"""The idle lock's countdown: keyboard and mouse input in any of the client's windows restarts
it, as it reaches the window from the platform; what the program does by itself does not."""

from __future__ import annotations

from ui.lock import IdleWatch
from ui.qt import QApplication, QDialog, QLineEdit, QMainWindow, QPoint, Qt, QTest, QVBoxLayout

MINUTES = 1
FULL_MS = MINUTES * 60_000


def _spent(watch: IdleWatch) -> int:
    """Milliseconds of the countdown used up so far."""
    return FULL_MS - watch.timer.remainingTime()


def _window(qtbot) -> QMainWindow:
    window = QMainWindow()
    window.setCentralWidget(QLineEdit())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_key_press_in_the_window_restarts_the_countdown(qtbot):
    window = _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    try:
        qtbot.wait(300)
        assert _spent(watch) >= 250
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_A)
        assert _spent(watch) < 100
        assert window.centralWidget().text() == "a"  # the key still reached the field
    finally:
        watch.stop()


def test_work_the_program_does_by_itself_does_not_restart_it(qtbot):
    window = _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    try:
        qtbot.wait(300)
        window.centralWidget().setText("同步完成")  # a repaint, a layout, no person
        window.resize(window.width() + 40, window.height())
        QApplication.processEvents()
        assert _spent(watch) >= 250
    finally:
        watch.stop()


def test_a_window_opened_later_is_watched_once_focused(qtbot):
    _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    dialog = QDialog()
    QVBoxLayout(dialog).addWidget(QLineEdit())
    qtbot.addWidget(dialog)
    try:
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWindow() is dialog.windowHandle())
        qtbot.wait(300)
        assert _spent(watch) >= 250
        QTest.mouseClick(dialog.windowHandle(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        assert _spent(watch) < 100
    finally:
        watch.stop()


def test_no_input_for_the_whole_time_emits_idle(qtbot):
    _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    try:
        watch.timer.setInterval(200)
        watch.timer.start()
        with qtbot.waitSignal(watch.idle, timeout=3000):
            pass
    finally:
        watch.stop()


def test_after_stop_input_no_longer_restarts_it(qtbot):
    window = _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    watch.stop()
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_A)
    assert not watch.timer.isActive()


def test_stopping_twice_is_quiet(qtbot, recwarn):
    _window(qtbot)
    watch = IdleWatch(QApplication.instance(), MINUTES)
    watch.stop()
    watch.stop()  # signing out stops it, and closing the window again
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
    assert not watch.timer.isActive()
