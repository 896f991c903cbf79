"""Journey (clicks and typing only, from sign-in): the city's 数据管理局 defines two data items,
designs a quarterly report from them, issues it to the three townships; 洪阳镇 fills and submits;
the office issues the next quarter from the last one, which arrives pre-filled; the clerk
confirms the pre-filled values (one, then all at once) and submits; 流沙东街道 fills the new
quarter; the office sees who confirmed what and the trend across the two quarters."""

from __future__ import annotations

from tests.ui.journey import (
    WAIT,
    click,
    click_cell,
    click_row,
    click_tab,
    go_to,
    pick,
    sync,
    tick,
    type_cell,
    type_into,
)
from tests.ui.support import close_main, make_shell, sign_in

Q1, Q2 = "2031-Q1", "2031-Q2"  # far from the demo's own quarters
NAME = "老年人口与耕地情况季报"


def _define_item(qtbot, page, *, code: str, name: str, kind: str, unit: str, owner: str) -> None:
    click(page.new_item_button)
    d = page.dictionary
    qtbot.waitUntil(lambda: d.isVisible() and d.code.text() == "", timeout=WAIT)
    type_into(d.code, code)
    type_into(d.name, name)
    pick(qtbot, d.type, kind)
    type_into(d.unit, unit)
    type_into(d.owner, owner)
    tick(d.carry)  # 下期自动带入本期数
    click(d.save_button)
    qtbot.waitUntil(lambda: bool(d.status.text()), timeout=WAIT)
    assert d.status.text() == f"已保存“{code}”，联网后同步到数据项目录", d.status.text()


def _design_and_issue(qtbot, page) -> None:
    pick(qtbot, page.switch, "本单位下发的报表")
    click(page.design_button)
    qtbot.waitUntil(lambda: page.office.designer is not None and page.office.designer.isVisible(), timeout=WAIT)
    dz = page.office.designer
    type_into(dz.name, NAME)
    type_into(dz.code, "ELDER_FARM_Q")
    click(dz.add_section_button)
    type_into(dz.node_title, "一、基本情况", enter=True)
    for code in ("ELDERLY_60", "FARMLAND"):
        type_into(dz.search, code)
        click_row(qtbot, dz.catalogue, code)
        click(dz.add_button)
    qtbot.waitUntil(lambda: dz.tree.topLevelItem(0).childCount() == 2, timeout=WAIT)
    assert dz.tree.topLevelItem(0).text(0) == "分组：一、基本情况"
    click(dz.ok_button)
    qtbot.waitUntil(lambda: page.office.issue_dialog is not None and page.office.issue_dialog.isVisible(), timeout=WAIT)
    dlg = page.office.issue_dialog
    type_into(dlg.period, "2031年第一季度")  # not how the desks count quarters: said, not issued
    click(dlg.ok_button)
    qtbot.waitUntil(lambda: "“2031年第一季度”的写法不对，应写作 " in dlg.problem.text(), timeout=WAIT)
    assert dlg.isVisible()
    type_into(dlg.period, Q1)
    checked = [dlg.units.item(i).text() for i in range(dlg.units.count())
               if dlg.units.item(i).checkState().name == "Checked"]
    assert checked == ["洪阳镇人民政府", "流沙东街道办事处", "梅塘镇人民政府"]  # the townships, in the org's order
    click(dlg.ok_button)
    qtbot.waitUntil(lambda: "已下发" in page.notice.text(), timeout=WAIT)


def _open_report(qtbot, window, period: str):
    go_to(window, "报表")
    page = window.record_pages[4]
    click_row(qtbot, page.list, f"{NAME}\n{period}")
    qtbot.waitUntil(lambda: page.fill.form is not None and page.fill.form.period == period, timeout=WAIT)
    return page, page.fill


def _row(grid, code: str) -> int:
    return grid.sheet.rows.index(code)


def test_journey_office_designs_issues_next_quarter_prefilled_confirmed_trend(qtbot, tmp_path, file_keyring, demo_server):
    office = sign_in(qtbot, make_shell(tmp_path / "office", file_keyring, demo_server.url), "lixiaolong", remember=False)
    sync(qtbot, office)
    go_to(office, "报表")
    page = office.record_pages[4]
    pick(qtbot, page.switch, "数据项目录")
    _define_item(qtbot, page, code="ELDERLY_60", name="60岁以上老年人口", kind="整数", unit="人", owner="民政局")
    _define_item(qtbot, page, code="FARMLAND", name="耕地面积", kind="小数", unit="亩", owner="自然资源局")
    sync(qtbot, office)
    qtbot.waitUntil(lambda: page.list.count() > 0 and any("FARMLAND" in page.list.item(i).text()
                                                          for i in range(page.list.count())), timeout=WAIT)
    _design_and_issue(qtbot, page)
    sync(qtbot, office)
    assert office.sync.open_conflicts == 0  # the server took the template: its items are the dictionary's

    # 洪阳镇's clerk fills the first quarter and submits
    clerk = sign_in(qtbot, make_shell(tmp_path / "clerk", file_keyring, demo_server.url), "yanglan", remember=False)
    sync(qtbot, clerk)
    _cpage, panel = _open_report(qtbot, clerk, Q1)
    grid = panel.grids[0]
    type_cell(qtbot, grid, _row(grid, "ELDERLY_60"), 0, "8120")
    type_cell(qtbot, grid, _row(grid, "FARMLAND"), 0, "15230.50")
    click(panel.submit_button)
    qtbot.waitUntil(lambda: "已上报" in panel.status.text(), timeout=WAIT)
    sync(qtbot, clerk)

    # the office issues the next quarter from the last one: the same family
    sync(qtbot, office)
    click(page.issue_button)
    qtbot.waitUntil(lambda: page.office.issue_dialog is not None and page.office.issue_dialog.isVisible()
                    and page.office.issue_dialog.template.count() > 0, timeout=WAIT)
    dlg = page.office.issue_dialog
    pick(qtbot, dlg.template, NAME)
    assert dlg.period.text() == Q2 and "上期为" + Q1 in dlg.template.currentText()
    click(dlg.ok_button)
    qtbot.waitUntil(lambda: f"{Q2}期" in page.notice.text(), timeout=WAIT)
    sync(qtbot, office)

    # the clerk finds it pre-filled from the first quarter and confirms: one value, then the rest at once
    sync(qtbot, clerk)
    _cpage, panel = _open_report(qtbot, clerk, Q2)
    assert (panel.value("ELDERLY_60"), panel.value("FARMLAND")) == ("8120", "15230.50")
    assert "本表预填2项" in panel.info.text() and "已确认0项" in panel.info.text()
    grid = panel.grids[0]
    click_cell(grid, _row(grid, "FARMLAND"), 0)
    click(panel.confirm_button)
    qtbot.waitUntil(lambda: "已确认1项" in panel.info.text(), timeout=WAIT)
    assert grid.item(_row(grid, "FARMLAND"), 0).toolTip().endswith("已核对确认")
    assert panel.confirm_all_button.text() == "全部确认预填值（1）"
    click(panel.confirm_all_button)
    qtbot.waitUntil(lambda: "已确认2项" in panel.info.text(), timeout=WAIT)
    assert not panel.confirm_all_button.isEnabled()
    click(panel.submit_button)
    qtbot.waitUntil(lambda: "已上报" in panel.status.text(), timeout=WAIT)
    sync(qtbot, clerk)

    # 流沙东街道 fills only the new quarter (nothing to carry forward there)
    other = sign_in(qtbot, make_shell(tmp_path / "other", file_keyring, demo_server.url), "wuhuiling", remember=False)
    sync(qtbot, other)
    _opage, opanel = _open_report(qtbot, other, Q2)
    assert opanel.value("ELDERLY_60") is None
    ogrid = opanel.grids[0]
    type_cell(qtbot, ogrid, _row(ogrid, "ELDERLY_60"), 0, "6010")
    type_cell(qtbot, ogrid, _row(ogrid, "FARMLAND"), 0, "9800.00")
    click(opanel.submit_button)
    qtbot.waitUntil(lambda: "已上报" in opanel.status.text(), timeout=WAIT)
    sync(qtbot, other)

    # the office: who submitted, which pre-filled values were confirmed, the trend across quarters
    sync(qtbot, office)
    pick(qtbot, page.switch, "本单位下发的报表")
    click_row(qtbot, page.list, NAME)
    review = page.review
    qtbot.waitUntil(lambda: review.summary is not None and review.summary.period == Q2 and len(review.rows) == 3,
                    timeout=WAIT)
    cells = {review.table.item(r, 0).text(): (review.table.item(r, 1).text(), review.table.item(r, 6).text())
             for r in range(review.table.rowCount())}
    assert cells == {"洪阳镇人民政府": ("已上报", "2/2项"), "流沙东街道办事处": ("已上报", ""),
                     "梅塘镇人民政府": ("待填报", "")}
    click_tab(review.tabs, "历期趋势")
    trend = review.trend
    qtbot.waitUntil(lambda: trend.view is not None and trend.table.rowCount() == 4, timeout=WAIT)
    assert trend.item.currentText() == "60岁以上老年人口（人）"
    headers = [trend.table.horizontalHeaderItem(c).text() for c in range(trend.table.columnCount())]
    assert headers == ["填报单位", Q1, Q2, "较上期增减"]
    rows = [[trend.table.item(r, c).text() for c in range(4)] for r in range(4)]
    assert rows == [["合计", "8,120", "14,130", "+74.0%"], ["洪阳镇人民政府", "8,120", "8,120", "+0.0%"],
                    ["流沙东街道办事处", "", "6,010", ""], ["梅塘镇人民政府", "", "", ""]]
    assert trend.chart.labels == [Q1, Q2] and trend.chart.values == [8120.0, 14130.0]
    points = trend.chart.points()
    assert points[1].y() < points[0].y()  # the line rises
    click_cell(trend.table, 2, 0)  # 流沙东街道: its own line, one point
    qtbot.waitUntil(lambda: "流沙东街道办事处" in trend.chart.title, timeout=WAIT)
    assert trend.chart.values == [None, 6010.0]
    pick(qtbot, trend.item, "耕地面积")
    qtbot.waitUntil(lambda: trend.table.item(0, 2).text() == "25,030.50", timeout=WAIT)
    for window in (other, clerk, office):
        close_main(qtbot, window)
