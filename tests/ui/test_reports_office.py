"""pytest-qt, clicks and typing: the issuing office revises an issued template from the review
screen (drops an item, adds a check) while a township's draft of the old version is open — the
draft moves to the new version item by item and says what was not carried over; an item
retired in the dictionary screen is no longer offered to a new design."""

from __future__ import annotations

from tests.ui.journey import WAIT, click, click_row, click_tab, go_to, pick, sync, type_into
from tests.ui.support import close_main, make_shell, sign_in
from ui.qt import Qt, QTest

REPORT = "乡镇基本情况季报（一张表）"


def _tree_row(tree, text: str):
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            if text in top.child(j).text(0):
                return top.child(j)
    raise AssertionError(text)


def test_revise_an_issued_template_from_the_screen_and_retire_an_item(qtbot, tmp_path, file_keyring, demo_server):
    clerk = sign_in(qtbot, make_shell(tmp_path / "clerk", file_keyring, demo_server.url), "yanglan", remember=False)
    sync(qtbot, clerk)
    go_to(clerk, "报表")
    cpage = clerk.record_pages[4]
    click_row(qtbot, cpage.list, REPORT)
    qtbot.waitUntil(lambda: cpage.fill.form is not None and cpage.fill.form.template.version == 1, timeout=WAIT)
    assert cpage.fill.value("GRAIN_AREA") == "16020.0"  # her saved draft has the grain area
    qtbot.waitUntil(lambda: cpage.fill.status.text() == "已自动保存到本机（加密）", timeout=WAIT)

    office = sign_in(qtbot, make_shell(tmp_path / "office", file_keyring, demo_server.url), "lixiaolong", remember=False)
    sync(qtbot, office)
    go_to(office, "报表")
    page = office.record_pages[4]
    pick(qtbot, page.switch, "本单位下发的报表")
    click_row(qtbot, page.list, REPORT)
    qtbot.waitUntil(lambda: page.review.summary is not None, timeout=WAIT)
    click(page.review.revise_button)
    qtbot.waitUntil(lambda: page.office.designer is not None and page.office.designer.isVisible(), timeout=WAIT)
    dz = page.office.designer
    assert dz.windowTitle() == "修订报表" and dz.name.text() == REPORT
    grain = _tree_row(dz.tree, "GRAIN_AREA")
    dz.tree.scrollToItem(grain)
    QTest.mouseClick(dz.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     dz.tree.visualItemRect(grain).center())
    click(dz.remove_button)
    qtbot.waitUntil(lambda: all("GRAIN_AREA" not in dz.tree.topLevelItem(i).child(j).text(0)
                                for i in range(dz.tree.topLevelItemCount())
                                for j in range(dz.tree.topLevelItem(i).childCount())), timeout=WAIT)
    click_tab(dz.tabs, "校验规则")
    rules = dz.rules
    before = rules.list.count()
    pick(qtbot, rules.kind, "两项比较")
    pick(qtbot, rules.left, "低保户合计")
    pick(qtbot, rules.right, "户籍人口")
    type_into(rules.message, "低保户数不应超过户籍人口")
    click(rules.add_button)
    qtbot.waitUntil(lambda: rules.list.count() == before + 1, timeout=WAIT)
    assert rules.list.item(before).text() == "低保户合计 ≤ 户籍人口"
    click(dz.ok_button)
    qtbot.waitUntil(lambda: "已保存修订" in page.notice.text(), timeout=WAIT)
    sync(qtbot, office)
    assert office.sync.open_conflicts == 0

    # the clerk's open draft of version 1 moves to version 2 when she opens the report again
    sync(qtbot, clerk)
    click_row(qtbot, cpage.list, "乡镇基本情况季报")
    qtbot.waitUntil(lambda: cpage.fill.form is not None and cpage.fill.form.template.version == 2, timeout=WAIT)
    banner = cpage.fill.banner.text()
    assert "报表已修订为第2版" in banner and "粮食播种面积" in banner and "16020.0" in banner
    assert "GRAIN_AREA" not in cpage.fill.grids[0].sheet.rows
    assert cpage.fill.value("FILLER") == "杨兰"  # the rest carried over

    # 停用 an item in the dictionary: a new design no longer offers it
    pick(qtbot, page.switch, "数据项目录")
    click_row(qtbot, page.list, "V_ROAD_KM")
    qtbot.waitUntil(lambda: page.dictionary.entry is not None and page.dictionary.entry.code == "V_ROAD_KM",
                    timeout=WAIT)
    click(page.dictionary.retire_button)
    qtbot.waitUntil(lambda: "已保存“V_ROAD_KM”" in page.dictionary.status.text(), timeout=WAIT)
    sync(qtbot, office)
    qtbot.waitUntil(lambda: any("V_ROAD_KM" in page.list.item(i).text() and "已停用" in page.list.item(i).text()
                                for i in range(page.list.count())), timeout=WAIT)
    assert page.dictionary.retire_button.text() == "恢复启用"
    pick(qtbot, page.switch, "本单位下发的报表")
    click(page.design_button)
    qtbot.waitUntil(lambda: page.office.designer is not None and page.office.designer.isVisible()
                    and page.office.designer.windowTitle() == "设计报表", timeout=WAIT)
    offered = [page.office.designer.catalogue.item(i).text() for i in range(page.office.designer.catalogue.count())]
    assert any(t.startswith("V_POP") for t in offered) and not any(t.startswith("V_ROAD_KM") for t in offered)
    click(page.office.designer.buttons.button(page.office.designer.buttons.StandardButton.Cancel))
    for window in (office, clerk):
        close_main(qtbot, window)
