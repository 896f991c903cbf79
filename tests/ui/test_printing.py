"""打印 and 打印预览 from the document window: the sealed 正式文件 in N copies (N × its pages,
each copy's first page with its own 份号, the sealed file itself unchanged), the draft laid
out before 用印, and what a document without a 正式文件 offers. Printed to a PDF file through
Qt's own print dialog (offscreen), the text read back with pdftotext."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ui.journey import keys
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from tests.ui.test_documents_screens import _close, _window, gui_io  # noqa: F401 (a fixture)
from tests.ui.test_seal_journey import _click_tab, _open_from_todo
from ui.documents import data
from ui.documents.shots import SHOT_TITLE, issue_document
from ui.qt import (
    QApplication,
    QDialogButtonBox,
    QPrintDialog,
    QPrinter,
    QPrintPreviewDialog,
    QPushButton,
    QSpinBox,
    Qt,
    QTabWidget,
    QTest,
    QTimer,
)


@pytest.fixture(autouse=True)
def _pdftotext() -> None:
    """The printed PDF is read with pdftotext (poppler-utils, installed by `make setup`)."""
    assert shutil.which("pdftotext"), "pdftotext is missing: run `make setup` (poppler-utils)"


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a printed PDF, without white space (the page's text runs
    come back one by one)."""
    out = subprocess.run(["pdftotext", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = out.split("\f")
    return ["".join(page.split()) for page in (pages[:-1] if out.endswith("\f") else pages)]


def aim_printer(w, path: Path) -> None:
    """Where the window's printer prints in a test: a PDF file (the dialog's 打印到文件)."""
    printer = w.print_menu.printer.printer
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))


def answer_print_dialog(qtbot, *, copies: int | None = None, first: int | None = None,
                        seen: list | None = None) -> None:
    """When Qt's print dialog opens: open its options, type the copies (and the first 份号),
    click 打印 — as a person does."""
    tries = [0]

    def act() -> None:
        dialog = next((d for d in QApplication.topLevelWidgets()
                       if isinstance(d, QPrintDialog) and d.isVisible()), None)
        if dialog is None:
            tries[0] += 1
            if tries[0] < 6000:  # the pages are drawn first (a draft is laid out)
                QTimer.singleShot(50, act)
            return
        try:
            fill(dialog)
        except BaseException:  # never leave a modal dialog open: a hung test tells nothing
            dialog.reject()
            raise
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        QTest.mouseClick(ok, Qt.MouseButton.LeftButton)  # 打印

    def fill(dialog) -> None:
        if seen is not None:
            seen.append(dialog.windowTitle())
        more = next(b for b in dialog.findChildren(QPushButton) if ">>" in b.text())
        QTest.mouseClick(more, Qt.MouseButton.LeftButton)
        tabs = next(t for t in dialog.findChildren(QTabWidget) if t.isVisible())
        if seen is not None:
            seen.append([tabs.tabText(i) for i in range(tabs.count())])
        if copies is not None:
            box = dialog.findChild(QSpinBox, "copies")
            QTest.mouseClick(box, Qt.MouseButton.LeftButton)
            QTest.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            keys(box, str(copies))
        if first is not None:
            bar = tabs.tabBar()
            index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "份号")
            QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             bar.tabRect(index).center())
            box = next(s for s in tabs.widget(index).findChildren(QSpinBox))
            QTest.mouseClick(box, Qt.MouseButton.LeftButton)
            QTest.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            keys(box, str(first))

    QTimer.singleShot(0, act)


def press(w, key, modifiers) -> None:
    """A shortcut on the window, brought to the front first (as a click on it does)."""
    w.raise_()
    w.activateWindow()
    QTest.qWaitForWindowActive(w, 2000)
    QTest.keyClick(w, key, modifiers)


def click_menu(qtbot, w, action) -> None:
    """Click 打印 on the window's header, then the menu entry."""
    def pick() -> None:
        menu = w.print_menu.menu()
        if not menu.isVisible():
            QTimer.singleShot(50, pick)
            return
        QTest.mouseClick(menu, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         menu.actionGeometry(action).center())

    QTimer.singleShot(0, pick)
    QTest.mouseClick(w.print_menu, Qt.MouseButton.LeftButton)


def test_sealed_file_prints_in_copies_each_with_its_copy_number(qtbot, tmp_path, demo_server):
    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="seal")
    keeper = actors["huangxiaomei"]
    keeper.sync()
    w = _window(qtbot, keeper, doc_id)
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.downloaded,
                    timeout=WAIT)
    menu = w.print_menu
    assert menu.isEnabled() and menu.act_print.isEnabled() and menu.act_preview.isEnabled()
    assert not menu.act_print_draft.isEnabled()
    assert "正式文件" in menu.act_print_draft.toolTip()
    sealed = data.read_attachment(keeper.store, w.view.official.attachment_id)
    out = tmp_path / "printed.pdf"
    aim_printer(w, out)
    seen: list = []
    answer_print_dialog(qtbot, copies=3, seen=seen)
    click_menu(qtbot, w, menu.act_print)
    qtbot.waitUntil(lambda: out.exists() and "已送打印" in w.problem.text(), timeout=WAIT)
    assert seen[0] == f"打印《{SHOT_TITLE}》" and "份号" in seen[1], seen
    pages = pdf_pages(out)
    per_copy = len(menu.sources["official"].pages)
    assert per_copy >= 1 and len(pages) == 3 * per_copy
    for copy in range(3):
        first = pages[copy * per_copy]
        assert first.startswith(f"{copy + 1:06d}"), first[:200]
        assert "堤防渗漏点共9处" in "".join(pages[copy * per_copy:(copy + 1) * per_copy])
        for other in range(1, per_copy):
            assert "00000" not in pages[copy * per_copy + other]
    # the sealed file is what it was: printing stamps the printed pages only
    again = data.read_attachment(keeper.store, w.view.official.attachment_id)
    assert hashlib.sha256(again).digest() == hashlib.sha256(sealed).digest()

    # 打印预览 from the menu: the copies chosen last time, the same pages
    click_menu(qtbot, w, menu.act_preview)
    qtbot.waitUntil(lambda: isinstance(menu.preview_dialog, QPrintPreviewDialog)
                    and menu.preview_dialog.isVisible(), timeout=WAIT)
    from PySide6.QtPrintSupport import QPrintPreviewWidget  # tests may look at Qt directly

    widget = menu.preview_dialog.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: widget.pageCount() == 3 * per_copy, timeout=WAIT)  # 3 copies kept
    menu.preview_dialog.close()
    w.close()
    _close(actors)


def test_a_draft_prints_before_sealing_and_the_official_file_is_offered_disabled(
        qtbot, tmp_path, demo_server):
    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="review")
    leader = actors["lianghaitao"]  # 签发 is next: no 正式文件 yet
    leader.sync()
    w = _window(qtbot, leader, doc_id)
    menu = w.print_menu
    assert menu.isEnabled() and menu.act_print_draft.isEnabled()
    assert not menu.act_print.isEnabled() and not menu.act_preview.isEnabled()
    assert "尚无盖章的正式文件" in menu.act_print.toolTip()
    assert "排版稿" in menu.toolTip()
    out = tmp_path / "draft.pdf"
    aim_printer(w, out)
    seen: list = []
    answer_print_dialog(qtbot, seen=seen)
    press(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P: the draft
    qtbot.waitUntil(lambda: out.exists() and "已送打印" in w.problem.text(), timeout=4 * WAIT)
    assert seen[0] == f"打印排版稿《{SHOT_TITLE}》"
    pages = pdf_pages(out)
    text = "".join(pages)
    assert "洪阳镇人民政府文件" in text and "堤防渗漏点共9处" in text
    assert "000001" not in text  # a draft carries no 份号 unless asked for
    w.close()
    _close(actors)


def test_incoming_document_offers_the_sealed_file_only(qtbot, tmp_path, demo_server):
    _doc_id, actors = issue_document(demo_server.url, tmp_path / "actors")
    city = actors["wuqiong"]
    city.sync()
    incoming = next(d for d in city.store.records.list("documents", limit=1000)
                    if d.get("direction") == "incoming" and d.get("title") == SHOT_TITLE)
    w = _window(qtbot, city, incoming["id"])
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.downloaded,
                    timeout=WAIT)
    menu = w.print_menu
    assert menu.act_print.isEnabled()
    assert not menu.act_print_draft.isEnabled() and "收文" in menu.act_print_draft.toolTip()
    out = tmp_path / "incoming.pdf"
    aim_printer(w, out)
    answer_print_dialog(qtbot, copies=2, first=7)
    press(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: out.exists() and "已送打印" in w.problem.text(), timeout=WAIT)
    pages = pdf_pages(out)
    per_copy = len(pages) // 2
    assert "000007" in pages[0] and "000008" in pages[per_copy]
    w.close()
    _close(actors)


def test_journey_print_sealed_document(qtbot, tmp_path, file_keyring, demo_server,
                                       gui_io):  # noqa: F811
    """The 印章管理员 signs in, opens the sealed 请示 waiting for 分发 from her 待办, looks at
    the 正式文件, prints two copies with Ctrl+P (000001 and 000002 on their first pages) and
    looks at them in 打印预览 from the 打印 menu."""
    _doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="seal")
    shell = make_shell(tmp_path / "keeper", file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangxiaomei")
    wait_synced(qtbot, window)
    on, seen = gui_io
    on.set()
    w = _open_from_todo(qtbot, window)
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.downloaded,
                    timeout=WAIT)
    _click_tab(w, 1)
    qtbot.waitUntil(lambda: w.official.page_count() == 2, timeout=WAIT)
    assert w.print_menu.act_print.isEnabled()
    out = tmp_path / "journey.pdf"
    aim_printer(w, out)  # the dialog's 打印到文件, where a test can read it back
    answer_print_dialog(qtbot, copies=2)
    press(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: out.exists() and "已送打印" in w.problem.text(), timeout=WAIT)
    pages = pdf_pages(out)
    per_copy = len(pages) // 2
    assert per_copy == len(w.print_menu.sources["official"].pages) and per_copy >= 1
    for copy in range(2):
        assert pages[copy * per_copy].startswith(f"00000{copy + 1}")
        assert "洪阳镇人民政府文件" in pages[copy * per_copy]
        assert "堤防渗漏点共9处" in "".join(pages[copy * per_copy:(copy + 1) * per_copy])
    click_menu(qtbot, w, w.print_menu.act_preview)
    qtbot.waitUntil(lambda: w.print_menu.preview_dialog is not None
                    and w.print_menu.preview_dialog.isVisible(), timeout=WAIT)
    from PySide6.QtPrintSupport import QPrintPreviewWidget  # tests may look at Qt directly

    preview = w.print_menu.preview_dialog
    widget = preview.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: widget.pageCount() == 2 * per_copy, timeout=WAIT)
    QTest.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not preview.isVisible(), timeout=WAIT)
    on.clear()
    w.close()
    close_main(qtbot, window)
    _close(actors)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"
