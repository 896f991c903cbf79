"""Keyboard shortcuts move between screens; geometry and splitters are remembered."""

from __future__ import annotations

from PySide6.QtTest import QTest  # tests may drive Qt directly; key events through the window

from ui.main_window import MainWindow
from ui.qt import Qt

CTRL = Qt.KeyboardModifier.ControlModifier


def test_shortcuts_and_remembered_geometry(qtbot):
    window = MainWindow(live_updates=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitActive(window)
    handle = window.windowHandle()
    QTest.keyClick(handle, Qt.Key.Key_3, CTRL)
    assert window.stack.currentIndex() == 2
    QTest.keyClick(handle, Qt.Key.Key_7, CTRL)
    assert window.stack.currentIndex() == 6
    QTest.keyClick(handle, Qt.Key.Key_F, CTRL)
    assert window.search_box.hasFocus()
    window.resize(701, 503)
    window.splitter.setSizes([160, 541])
    window.close()

    again = MainWindow(live_updates=False)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (701, 503)
    assert again.splitter.sizes()[0] == 160
