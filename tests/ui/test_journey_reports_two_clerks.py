"""Journey (clicks and typing only, from sign-in): two 统计员 of 洪阳镇 — 杨兰 and 陈雨婷, two accounts,
two profiles, two laptops — fill this quarter's 一张表 while the server is unreachable. Back
online, their cells merge one by one; the cell both changed (联系电话) is a conflict shown to the
second to sync, naming the first, with both values kept; she settles it and it is gone."""

from __future__ import annotations

from oa_server.embedded import EmbeddedServer
from tests.ui.journey import WAIT, click, click_row, go_to, sync, type_cell
from tests.ui.support import close_main, make_shell, sign_in

REPORT = "乡镇基本情况季报（一张表）"


def _form(qtbot, window):
    go_to(window, "报表")
    page = window.record_pages[4]
    click_row(qtbot, page.list, REPORT)
    qtbot.waitUntil(lambda: page.fill.form is not None and REPORT in page.fill.title.text(), timeout=WAIT)
    return page, page.fill


def _type(qtbot, panel, code: str, value: str) -> None:
    grid = panel.grids[0]
    type_cell(qtbot, grid, grid.sheet.rows.index(code), 0, value)


def _restart(server) -> None:
    """The network is back: the same server on the same address."""
    EmbeddedServer.__init__(server, server.settings, clock=server.clock, port=server.port)
    server.start()


def test_journey_two_clerks_fill_offline_cells_merge_and_the_second_sees_the_conflict(
        qtbot, tmp_path, file_keyring, demo_server):
    first = sign_in(qtbot, make_shell(tmp_path / "laptop-a", file_keyring, demo_server.url), "yanglan", remember=False)
    second = sign_in(qtbot, make_shell(tmp_path / "laptop-b", file_keyring, demo_server.url), "chenyuting",
                     remember=False)
    for window in (first, second):
        sync(qtbot, window)
    demo_server.stop()  # both laptops go out to the villages: no network

    _page_a, a = _form(qtbot, first)
    _type(qtbot, a, "POP_MALE", "34900")
    _type(qtbot, a, "PHONE", "13902760001")
    click(a.save_button)
    qtbot.waitUntil(lambda: a.status.text() == "已保存，联网后同步", timeout=WAIT)
    page_b, b = _form(qtbot, second)
    assert b.value("POP_MALE") is None  # 杨兰's figures are still on her laptop
    _type(qtbot, b, "POP_FEMALE", "33313")
    _type(qtbot, b, "PHONE", "13902760002")
    click(b.save_button)
    qtbot.waitUntil(lambda: b.status.text() == "已保存，联网后同步", timeout=WAIT)

    _restart(demo_server)
    sync(qtbot, first)  # 杨兰 first: nothing to merge against yet
    qtbot.waitUntil(lambda: a.form is not None and a.form.pending == 0, timeout=WAIT)
    assert a.form.conflicts == [] and a.value("PHONE") == "13902760001"
    sync(qtbot, second)  # 陈雨婷 second: her cells merge with 杨兰's, the phone is a conflict
    qtbot.waitUntil(lambda: b.form is not None and len(b.form.conflicts) == 1, timeout=WAIT)
    assert (b.value("POP_MALE"), b.value("POP_FEMALE")) == ("34900", "33313")  # merged cell by cell
    assert "有1处冲突" in b.banner.text() and b.banner.isVisible()
    assert b.conflicts.item(0).text() == "联系电话：“13902760001”（杨兰，另一台电脑） / “13902760002”（本机）"
    qtbot.waitUntil(lambda: any(REPORT in page_b.list.item(i).text() and "1处冲突待处理" in page_b.list.item(i).text()
                                for i in range(page_b.list.count())), timeout=WAIT)
    phone = b.grids[0].item(b.grids[0].sheet.rows.index("PHONE"), 0)
    assert phone.toolTip() == "两台电脑改了这一格，请在下方选定取值"
    assert b.keep_button.text() == "采用“13902760001”（杨兰，另一台电脑）"
    assert b.other_button.text() == "采用“13902760002”（本机）"

    # she keeps her own number; once synced the conflict is gone on both laptops
    click(b.other_button)
    qtbot.waitUntil(lambda: b.conflicts.count() == 0, timeout=WAIT)
    sync(qtbot, second)
    sync(qtbot, first)
    _form(qtbot, first)
    qtbot.waitUntil(lambda: a.form is not None and a.form.conflicts == [] and a.value("PHONE") == "13902760002"
                    and a.value("POP_FEMALE") == "33313", timeout=WAIT)
    for window in (second, first):
        close_main(qtbot, window)
