"""pytest-qt drive of the report grid editor against the real demo server: keyboard navigation,
typing, text refused in number cells, paste from Excel, fill down, the problems list, autosave,
save and submit; then the issuing office returns it with a remark on a cell and aggregates."""

from __future__ import annotations

from types import SimpleNamespace

from oa_client.domain.reports import next_period
from oa_client.domain.reports_records import submission_id
from oa_client.errors import NotFoundError
from oa_client.services import reports as rep
from sync.org import fetch_org
from tests.sync.support import make_client
from ui.qt import QApplication, QGuiApplication, Qt, QTest
from ui.reports.page import ReportsPage

WAIT = 15_000


def _session(client) -> SimpleNamespace:
    me = client.transport.user
    return SimpleNamespace(store=client.store, transport=client.transport, me=me, user_id=str(me["id"]),
                           unit_id=str(me["unit"]["id"]), unit_name=me["unit"]["name"], names={})


def _client(server, tmp_path, login):
    c = make_client(server, tmp_path, login)
    fetch_org(c.store, c.transport)
    c.engine.sync()
    return c


def _page(qtbot, client, *, wait: bool = True) -> ReportsPage:
    page = ReportsPage("报表", [])
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.set_session(_session(client), "杨兰 测试")
    page.show()
    if wait:
        qtbot.waitUntil(lambda: page.list.count() > 0, timeout=WAIT)
    return page


def test_grid_editor_keyboard_paste_fill_down_problems_autosave_submit(qtbot, demo_server, tmp_path):
    clerk = _client(demo_server, tmp_path, "yanglan")
    page = _page(qtbot, clerk)
    row = next(i for i, e in enumerate(page.entries) if "一张表" in e["name"])
    page.list.setCurrentRow(row)
    panel = page.fill
    qtbot.waitUntil(lambda: panel.form is not None and len(panel.grids) == 2, timeout=WAIT)
    form = panel.form
    assert form.values["POP_TOTAL"] == "68213"  # carried forward from last quarter
    assert form.mark("POP_TOTAL").kind == "other_report"  # the 医保 report of this quarter has it
    assert form.mark("villages", "v-east", "V_HOUSEHOLDS").kind == "previous_period"
    assert "本表预填" in panel.info.text()
    qtbot.waitUntil(lambda: "本期已为您预填" in page.prefilled.text(), timeout=WAIT)  # after the autosave
    fields = panel.grids[0]

    # keyboard: type into 男性人口, Enter, arrows
    fields.setFocus()
    male = fields.sheet.rows.index("POP_MALE")
    fields.setCurrentCell(male, 0)
    QTest.keyClick(fields, "3")  # typing starts editing; the rest goes to the cell editor
    QTest.keyClicks(QApplication.focusWidget(), "4890")
    QTest.keyClick(QApplication.focusWidget() or fields, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.value("POP_MALE") == "34890", timeout=WAIT)
    QTest.keyClick(fields, Qt.Key.Key_Return)  # Enter moves down when not editing
    assert fields.currentRow() == male + 1
    QTest.keyClick(fields, Qt.Key.Key_Up)
    assert fields.currentRow() == male
    # text in a number cell is refused for that cell, with the reason shown
    fields.setCurrentCell(fields.sheet.rows.index("POP_FEMALE"), 0)
    fields.currentItem().setText("三万")
    assert panel.value("POP_FEMALE") is None and "应填整数" in panel.status.text()
    # the problems list follows as you type
    def sum_problem() -> bool:
        return any("之和" in panel.problems.item(i).text() for i in range(panel.problems.count()))

    assert sum_problem()  # 男 + 女 ≠ 户籍人口 while 女 is empty
    fields.currentItem().setText("33323")
    qtbot.waitUntil(lambda: not sum_problem(), timeout=WAIT)

    # the village table: paste a block from Excel (one bad cell), then fill down
    panel.tabs.setCurrentIndex(1)
    villages = panel.grids[1]
    villages.setFocus()
    villages.setCurrentCell(0, 0)
    QGuiApplication.clipboard().setText("6120\t24310\t86\n5230\t二万\t64\n5904\t22895\t71\n")
    QTest.keyClick(villages, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert panel.value("villages", "v-west", "V_POP") == "21008"  # refused: the pre-filled value stays
    assert panel.value("villages", "v-south", "V_POP") == "22895"
    assert "1格未粘贴" in panel.status.text()
    villages.setCurrentCell(1, 1)
    villages.currentItem().setText("21008")
    road = villages.sheet.columns.index("V_ROAD_KM")
    villages.setCurrentCell(0, road)
    villages.currentItem().setText("12.5")
    rect = villages.visualItemRect(villages.item(0, road))
    QTest.mouseClick(villages.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.keyClick(villages, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(villages, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(villages, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [panel.value("villages", k, "V_ROAD_KM") for k in ("v-east", "v-west", "v-south")] == ["12.5"] * 3
    avg = villages.sheet.columns.index("V_AVG")
    assert villages.item(0, avg).text() == "3.97"  # computed, read-only
    assert not villages.item(0, avg).flags() & Qt.ItemFlag.ItemIsEditable

    # autosaved to the encrypted store (local only), then saved (queued) and submitted
    draft_key = "draft-" + submission_id(form.record["id"], form.unit_id, form.period)
    qtbot.waitUntil(lambda: _draft(clerk, draft_key).get("values", {}).get("POP_FEMALE") == "33323", timeout=WAIT)
    assert panel.problems_label.text() == "没有发现问题，可以上报", [panel.problems.item(i).text() for i in range(panel.problems.count())]
    panel.submit_button.click()
    qtbot.waitUntil(lambda: "已上报" in panel.status.text(), timeout=WAIT)
    assert clerk.store.records.pending_ops() == 1
    assert clerk.engine.sync().superseded == 0
    head = clerk.store.records.get("submissions", form.head_id)
    assert head["state"] == "submitted" and head["values"]["villages"]["v-west"]["V_POP"] == "21008"

    # the issuing office reviews: returns with a remark on a cell; the clerk sees it on the grid
    office = _client(demo_server, tmp_path, "lixiaolong")
    review_page = _page(qtbot, office, wait=False)
    review_page.switch.setCurrentIndex(1)
    qtbot.waitUntil(lambda: review_page.list.count() > 0, timeout=WAIT)
    review_page.list.setCurrentRow(0)
    review = review_page.review
    qtbot.waitUntil(lambda: bool(review.rows) and review.summary is not None, timeout=WAIT)
    hy = next(i for i, r in enumerate(review.rows) if r.unit_name == "洪阳镇人民政府")
    review.table.selectRow(hy)
    assert review.rows[hy].state == "submitted" and "3" in review.counts.text()
    review.cell.setCurrentIndex(review.cell.findText("粮食播种面积"))
    review.remark.setText("与农业部门数据不符，请核实")
    review.add_remark.click()
    review.return_button.click()
    qtbot.waitUntil(lambda: "已退回" in review.status.text(), timeout=WAIT)
    office.engine.sync()
    total = review.tree.topLevelItem(0)
    assert total.text(0) == "合计"
    clerk.engine.sync()
    page.refresh()
    qtbot.waitUntil(lambda: panel.form is not None and panel.form.state == "returned", timeout=WAIT)
    assert "与农业部门数据不符" in panel.banner.text()
    clerk.close()
    office.close()


def _draft(client, key: str) -> dict:
    try:
        return client.store.records.get("submissions", key)
    except NotFoundError:  # not autosaved yet
        return {}


def test_state_labels_are_translated():
    assert rep.state_label("returned") == "已退回"


def test_two_laptops_conflict_resolved_in_the_editor_and_a_bad_workbook_refused(qtbot, demo_server, tmp_path):
    from openpyxl import load_workbook

    laptop_a = _client(demo_server, tmp_path, "yanglan")
    laptop_b = make_client(demo_server, tmp_path, "yanglan", name="yanglan-b")
    fetch_org(laptop_b.store, laptop_b.transport)
    laptop_b.engine.sync()
    page = _page(qtbot, laptop_a)
    page.list.setCurrentRow(next(i for i, e in enumerate(page.entries) if "一张表" in e["name"]))
    panel = page.fill
    qtbot.waitUntil(lambda: panel.form is not None and len(panel.grids) == 2, timeout=WAIT)
    # laptop B changes the phone and syncs first
    form_b = rep.open_form(laptop_b.store, template_id=panel.form.record["id"], unit_id=panel.form.unit_id)
    rep.save_draft(laptop_b.store, form_b, {**form_b.values, "PHONE": "13900000002"})
    rep.share_draft(laptop_b.store, form_b)
    laptop_b.engine.sync()
    # laptop A, offline, changes the same cell and another one; Ctrl+S saves (queued)
    fields = panel.grids[0]
    fields.item(fields.sheet.rows.index("PHONE"), 0).setText("13900000001")
    fields.item(fields.sheet.rows.index("POP_MALE"), 0).setText("34890")
    QTest.keyClick(fields, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已保存" in panel.status.text(), timeout=WAIT)
    report = laptop_a.engine.sync()
    assert report.rejected == 0 and report.conflicts == 0
    panel.open(page.session, panel.form.record["id"], panel.form.period)
    qtbot.waitUntil(lambda: panel.form is not None and panel.conflicts.count() == 1, timeout=WAIT)
    text = panel.conflicts.item(0).text()
    assert "“13900000002”（另一台电脑）" in text and "“13900000001”（本机）" in text
    assert panel.other_button.text() == "采用“13900000001”（本机）"
    assert "冲突" in panel.banner.text() and panel.value("POP_MALE") == "34890"
    panel.conflicts.setCurrentRow(0)
    other = panel.conflicts.item(0).data(Qt.ItemDataRole.UserRole)["other"]
    panel.other_button.click()
    qtbot.waitUntil(lambda: panel.conflicts.count() == 0, timeout=WAIT)
    laptop_a.engine.sync()
    laptop_b.engine.sync()
    head = laptop_b.store.records.get("submissions", panel.form.head_id)
    assert head["conflicts"] == [] and head["values"]["PHONE"] == other and head["values"]["POP_MALE"] == "34890"

    # a workbook with merged cells is refused with the reason; nothing in the form changes
    path = tmp_path / "form.xlsx"
    panel.export_xlsx(str(path))
    qtbot.waitUntil(path.exists, timeout=WAIT)
    qtbot.waitUntil(lambda: "已导出" in panel.status.text(), timeout=WAIT)
    wb = load_workbook(path)
    wb.worksheets[0].merge_cells("A1:D1")
    wb.worksheets[0].cell(row=4, column=4, value="=1+1")
    wb.save(path)
    before = dict(panel.form.values)
    panel.import_xlsx(str(path))
    qtbot.waitUntil(lambda: "未导入" in panel.status.text(), timeout=WAIT)
    lines = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert any("合并单元格" in t for t in lines) and any("公式" in t for t in lines)
    assert panel.form.values == before
    laptop_a.close()
    laptop_b.close()


def test_office_issues_a_report_to_its_townships(qtbot, demo_server, tmp_path, monkeypatch):
    import threading

    from oa_client.store.db import Database

    office = _client(demo_server, tmp_path, "lixiaolong")
    on_gui: list[str] = []
    original = Database.query

    def recorder(self, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            on_gui.append("query")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Database, "query", recorder)  # the screen reads only on workers
    page = _page(qtbot, office, wait=False)
    page.switch.setCurrentIndex(1)
    assert page.issue_button.isVisible()
    page.issue_button.click()  # 下发下一期…: the family this office issued, for the period after its last
    qtbot.waitUntil(lambda: page.office.issue_dialog is not None and page.office.issue_dialog.isVisible(), timeout=WAIT)
    dialog = page.office.issue_dialog
    names = {dialog.units.item(i).text(): dialog.units.item(i).checkState() for i in range(dialog.units.count())}
    assert names["洪阳镇人民政府"] == Qt.CheckState.Checked  # the townships it went to; villages offered, not ticked
    assert names["洪阳镇新寨村"] == Qt.CheckState.Unchecked and "普宁市财政局" not in names
    choice = dialog.choices[dialog.template.currentIndex()]
    assert choice.template.name == "乡镇基本情况季报（一张表）" and choice.record_id is not None
    assert dialog.period.text() == next_period("quarterly", choice.last_period)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "已下发" in page.notice.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: page.list.count() == 1 and dialog.period.text() in page.list.item(0).text(),
                    timeout=WAIT)  # the same record (family), now at the next period
    page.list.setCurrentRow(0)
    review = page.review
    qtbot.waitUntil(lambda: review.summary is not None and bool(review.rows), timeout=WAIT)
    assert on_gui == [], "no database reads on the GUI thread"
    monkeypatch.setattr(Database, "query", original)
    assert office.store.records.pending_ops() == 1
    assert office.engine.sync().rejected == 0
    clerk = _client(demo_server, tmp_path, "wuhuiling")
    issued = [t for t in rep.templates_for_unit(clerk.store, str(clerk.transport.user["unit"]["id"]))
              if t.get("name") == "乡镇基本情况季报（一张表）"]
    assert len(issued) == 1 and issued[0]["period"] == dialog.period.text() and issued[0]["id"] == choice.record_id
    office.close()
    clerk.close()
