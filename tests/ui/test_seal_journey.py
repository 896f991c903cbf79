"""Journey: the 印章管理员 signs in, opens the 请示 waiting for 用印 from her 待办, clicks 用印
and sees the sealed 正式文件 with its verdict and page previews, then 分发; the city's 收发员
signs in and reads the 收文 as it came: the sealed file, its seal checked on arrival against
the CA root her client synced. Only typing and clicking in the screens (the earlier steps of
the 发文 are taken by the other demo users on their own clients)."""

from __future__ import annotations

from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from tests.ui.test_documents_screens import _close, gui_io  # noqa: F401 (a fixture)
from ui.documents.shots import SHOT_TITLE, issue_document
from ui.qt import Qt, QTest


def _open_from_todo(qtbot, window):
    """Ctrl+2 (公文), click the 待办 row of the 请示, Enter: its window, loaded."""
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.record_pages[1]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.record(0) is not None
                    and page.model.record(0).get("title") == SHOT_TITLE, timeout=WAIT)
    rect = page.table.visualRect(page.model.index(0, 1))
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        QTest.keyClick(page.table, Qt.Key.Key_Return)
    w = opened.args[0]
    qtbot.waitUntil(lambda: w.view is not None, timeout=WAIT)
    return w


def _click_tab(w, index: int) -> None:
    bar = w.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     bar.tabRect(index).center())


def test_journey_seal_keeper_seals_and_the_city_reads_the_sealed_file(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):  # noqa: F811
    _doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="number")
    shell = make_shell(tmp_path / "keeper", file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangxiaomei")  # 文书 and 印章管理员 of 洪阳镇
    wait_synced(qtbot, window)
    on, seen = gui_io
    on.set()
    w = _open_from_todo(qtbot, window)
    assert "用印" in w.status.text() and w.tabs.isTabVisible(1)
    assert "待用印" in w.official_line.text()
    seal = w.action_buttons["approve"]
    assert seal.text().startswith("用印")
    QTest.mouseClick(seal, Qt.MouseButton.LeftButton)
    # the step syncs; the server makes the 正式文件; the window shows it with its verdict
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.verdict is not None,
                    timeout=WAIT)
    line = w.official_line.text()
    assert "验章结果：通过" in line and "签章单位：洪阳镇人民政府" in line, line
    assert "事由：公文用印：洪府〔" in line and "盖章时间：" in line
    _click_tab(w, 1)
    qtbot.waitUntil(lambda: w.official.page_count() == 2, timeout=WAIT)
    assert w.tabs.currentIndex() == 1 and w.official.save.isEnabled()
    kb = max(1, w.view.official.size // 1024)
    assert w.official.name.text().endswith(f"（正式文件）.pdf（{kb} KB）")
    dispatch = w.action_buttons["approve"]  # now 分发 is offered
    assert dispatch.text().startswith("分发")
    QTest.mouseClick(dispatch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已分发" in w.status.text(), timeout=WAIT)
    on.clear()
    w.close()
    close_main(qtbot, window)

    # the city's 收发员 (普府办 handles the 市政府's mail) at her own desk
    city_shell = make_shell(tmp_path / "city", file_keyring, demo_server.url)
    city = sign_in(qtbot, city_shell, "wuqiong")
    wait_synced(qtbot, city)
    on.set()
    inc = _open_from_todo(qtbot, city)
    assert inc.view.direction == "incoming" and "签收" in inc.status.text()
    qtbot.waitUntil(lambda: inc.official.page_count() == 2, timeout=WAIT)
    assert inc.tabs.currentIndex() == 1  # a 收文 opens on the sealed file as it came
    verdict = inc.view.official.verdict
    assert verdict["ok"] and verdict["signer"] == "洪阳镇人民政府", verdict
    assert "验章结果：通过" in inc.official_line.text()
    names = [inc.attachments.item(i).text() for i in range(inc.attachments.count())]
    assert any("（交换包）.zip" in n for n in names) and not any("正式文件" in n for n in names)
    _click_tab(inc, 0)
    assert inc.tabs.currentIndex() == 0 and "验章结果：通过" in inc.official_line.text()
    on.clear()
    inc.close()
    close_main(qtbot, city)
    _close(actors)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"


def test_journey_a_failed_official_file_is_made_again_from_the_window(
        qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    from oa_client.errors import RenderError
    from oa_server import sealing

    _doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="number")

    def broken(*_a, **_k):
        raise RenderError("字体缺失（测试）")

    monkeypatch.setattr(sealing, "render_pdf", broken)  # the server is in this process
    shell = make_shell(tmp_path / "keeper", file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangxiaomei")
    wait_synced(qtbot, window)
    w = _open_from_todo(qtbot, window)
    QTest.mouseClick(w.action_buttons["approve"], Qt.MouseButton.LeftButton)  # 用印
    qtbot.waitUntil(lambda: w.view.seal_state == "failed", timeout=WAIT)
    assert "正式文件生成失败：字体缺失（测试）" in w.official_line.text()
    assert "approve" not in w.action_buttons  # no 分发 without the 正式文件
    _click_tab(w, 1)
    assert w.official.remake.isVisible()
    monkeypatch.undo()
    QTest.mouseClick(w.official.remake, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.verdict is not None,
                    timeout=WAIT)
    assert "验章结果：通过" in w.official_line.text() and not w.official.remake.isVisible()
    assert w.action_buttons["approve"].text().startswith("分发")
    w.close()
    close_main(qtbot, window)
    _close(actors)
