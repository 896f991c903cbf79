"""The requests screens: the form renderer driven for every field type (validation as you type,
conditional and computed fields), and the module walked by an applicant and an approver on the
demo server (catalogue, form, submit, approve, statistics export)."""

from __future__ import annotations

from datetime import date

import openpyxl

from oa_client.domain.forms import FIELD_TYPES, FormSchema, validate
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from ui.qt import QDate, Qt
from ui.requests.form_view import FormView

TODAY = date(2026, 11, 20)
SCHEMA = FormSchema.model_validate({
    "fields": [
        {"key": "name", "label": "姓名", "type": "text", "required": True, "max_length": 4},
        {"key": "reason", "label": "事由", "type": "multiline", "required": True, "min_length": 4},
        {"key": "count", "label": "人数", "type": "integer", "min": 1, "max": 9},
        {"key": "hours", "label": "时长", "type": "decimal", "places": 1, "unit": "小时"},
        {"key": "price", "label": "单价", "type": "money"},
        {"key": "total", "label": "金额", "type": "money", "compute": {"op": "times", "fields": ["count"], "rate_field": "price"}},
        {"key": "start", "label": "开始日期", "type": "date", "required": True},
        {"key": "end", "label": "结束日期", "type": "date", "not_before": "start"},
        {"key": "days", "label": "天数", "type": "integer", "compute": {"op": "days_between", "fields": ["start", "end"]}},
        {"key": "leave_at", "label": "出发时间", "type": "datetime"},
        {"key": "span", "label": "期间", "type": "date_range"},
        {"key": "kind", "label": "类别", "type": "choice", "required": True, "options": ["事假", "病假"]},
        {"key": "proof", "label": "病假证明", "type": "attachment",
         "required_when": {"field": "kind", "op": "eq", "value": "病假"}},
        {"key": "needs", "label": "需要", "type": "multi_choice", "options": ["投影", "茶水"], "max": 1},
        {"key": "away", "label": "是否离市", "type": "yes_no", "required": True},
        {"key": "where", "label": "前往地点", "type": "text", "show_when": {"field": "away", "op": "eq", "value": True}},
        {"key": "handover", "label": "交接人", "type": "person"},
        {"key": "dept", "label": "科室", "type": "unit"},
    ],
})
PEOPLE = [{"id": "u-1", "name": "陈静", "department": "办公室"}, {"id": "u-2", "name": "杨帆"}]


def test_the_form_renders_every_field_type_and_checks_as_you_type(qtbot):
    assert {f.type for f in SCHEMA.fields} == set(FIELD_TYPES)
    view = FormView(SCHEMA, {"dept": "办公室"}, people=PEOPLE, units=["办公室", "电子政务科"], today=TODAY)
    qtbot.addWidget(view)
    view.show()
    ed = view.editors
    # nothing touched yet: no red text although required fields are empty
    assert not any(label.isVisible() for label in view.errors.values())
    qtbot.keyClicks(ed["name"].box, "Ouyang")  # typed key by key
    assert "最多4个字" in view.errors["name"].text() and view.errors["name"].isVisible()
    ed["name"].box.clear()
    ed["name"].box.insert("张三")  # an input method commits the text at once
    assert not view.errors["name"].isVisible()
    ed["count"].box.insert("两")
    assert "应为整数" in view.errors["count"].text()
    ed["count"].box.setText("12")
    assert "不能大于9" in view.errors["count"].text()
    ed["count"].box.setText("3")
    qtbot.keyClicks(ed["price"].box, "120.5")
    assert ed["total"].box.text() == "361.50"  # computed as you type
    qtbot.keyClicks(ed["hours"].box, "2.25")
    assert "最多保留1位小数" in view.errors["hours"].text()
    ed["hours"].box.setText("2.5")
    ed["reason"].box.setPlainText("家")
    assert "至少要写4个字" in view.errors["reason"].text()
    ed["reason"].box.setPlainText("回老家处理家事")
    ed["start"].box.setDate(QDate(2026, 11, 23))
    ed["end"].box.setDate(QDate(2026, 11, 21))
    assert "不能早于开始日期" in view.errors["end"].text()
    ed["end"].box.setDate(QDate(2026, 11, 25))
    assert ed["days"].box.text() == "3"
    ed["leave_at"].box.setDate(QDate(2026, 11, 23))
    ed["span"].box.setDate(QDate(2026, 11, 23))
    ed["span"].end.setDate(QDate(2026, 11, 22))
    assert "结束日期不能早于开始日期" in view.errors["span"].text()
    ed["span"].end.setDate(QDate(2026, 11, 26))
    ed["kind"].box.setCurrentIndex(ed["kind"].box.findData("病假"))
    assert "请上传病假证明" in view.errors["proof"].text()  # required only for 病假
    ed["proof"].set_value([{"sha256": "ab" * 32, "name": "诊断证明.pdf"}])
    assert not view.errors["proof"].isVisible() and "诊断证明.pdf" in ed["proof"].file_label.text()
    ed["needs"].checks[0].setChecked(True)
    ed["needs"].checks[1].setChecked(True)
    assert "最多选择1项" in view.errors["needs"].text()
    ed["needs"].checks[1].setChecked(False)
    assert not view.rows["where"][1].isVisible()  # shown only when leaving the city
    ed["away"].box.setCurrentIndex(ed["away"].box.findData(True))
    assert view.rows["where"][1].isVisible()
    ed["where"].box.insert("广州")
    ed["handover"].box.setCurrentIndex(1)
    raw = view.raw_values()
    assert raw["handover"] == {"id": "u-1", "name": "陈静"} and raw["away"] is True
    assert raw["leave_at"] == "2026-11-23 09:00" and raw["span"] == {"start": "2026-11-23", "end": "2026-11-26"}
    assert raw["needs"] == ["投影"] and raw["dept"] == "办公室"
    assert view.problems() == [] and validate(SCHEMA, raw, today=TODAY) == []
    # a stored form shows again as it was
    again = FormView(SCHEMA, raw, people=PEOPLE, units=["办公室"], today=TODAY)
    qtbot.addWidget(again)
    assert again.raw_values() == raw
    # a submit attempt on an empty form shows every problem
    empty = FormView(SCHEMA, {}, people=PEOPLE, today=TODAY)
    qtbot.addWidget(empty)
    empty.show()
    problems = empty.reveal_all()
    assert {p.field for p in problems} >= {"name", "reason", "start", "kind", "away"}
    assert empty.errors["away"].isVisible() and "请选择是否离市" in empty.errors["away"].text()


def test_apply_approve_and_export(qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    shell = make_shell(tmp_path / "a", file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangjianhua")  # 办公室主任: handles 办公用品 and 差旅费 steps
    wait_synced(qtbot, window)
    window.navigate(3)
    page = window.record_pages[3]
    assert type(page).__name__ == "RequestsPage"
    qtbot.waitUntil(lambda: page.loaded and page.item_list.count() == 10, timeout=WAIT)
    page.tabs.setCurrentIndex(1)  # nothing applied for yet: the empty list says where to start
    assert not page.mine and "在“事项清单”中选择事项" in page.mine_detail.toPlainText()
    page.tabs.setCurrentIndex(0)
    page.category.setCurrentIndex(page.category.findData("财务"))
    assert page.item_list.count() == 1 and "差旅费报销" in page.item_list.item(0).text()
    page.category.setCurrentIndex(0)
    page.search.setText("证明")
    assert page.item_list.count() == 1 and "人事专用章" in page.item_info.toPlainText()
    page.search.clear()

    # the approver's view: everything needed to decide, then 同意
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.todo_list.count() >= 2, timeout=WAIT)
    row = next(i for i, r in enumerate(page.todo) if r.get("item_code") == "SUPPLY")
    page.todo_list.setCurrentRow(row)
    qtbot.waitUntil(lambda: "A4复印纸" in page.todo_detail.toPlainText(), timeout=WAIT)
    text = page.todo_detail.toPlainText()
    assert "刘洋" in text and "郑晓燕" in text and "办理过程" in text and "审批流程" in text
    rid = page.todo[row]["id"]
    # 加签, 转办 and 委托 never offer the applicant (nobody approves their own request)
    import ui.requests.page as page_module

    offered: list[list[str]] = []

    class Cancelled:  # the picker, closed without choosing
        def __init__(self, title, people, *, exclude="", parent=None):
            offered.append([p["id"] for p in people if p["id"] != exclude])

        def exec(self):
            return False

    monkeypatch.setattr(page_module, "PersonDialog", Cancelled)
    for button in (page.signer_button, page.reassign_button, page.delegate_button):
        button.click()
    applicant = page.todo[row]["applicant_id"]
    assert len(offered) == 3 and all(ids and applicant not in ids for ids in offered)
    page.opinion.setPlainText("同意，请到行政科领取。")
    page.approve_button.click()
    qtbot.waitUntil(lambda: all(r["id"] != rid for r in page.todo), timeout=WAIT)

    # apply: a prefilled form (name, section), a problem shown as typed, then submitted
    page.tabs.setCurrentIndex(0)
    page.search.setText("加班")
    page.apply()
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    form = dialog.form
    assert form.editors["applicant"].box.text() == "黄建华" and not form.editors["applicant"].isEnabled()
    form.editors["work_date"].set_value("2026-11-15")
    form.editors["period"].box.setCurrentIndex(form.editors["period"].box.findData("休息日"))
    qtbot.keyClicks(form.editors["hours"].box, "0.2")
    assert form.errors["hours"].isVisible()
    form.editors["hours"].box.setText("6")
    form.editors["content"].box.setPlainText("整理全市防汛会议材料")
    form.editors["compensation"].box.setCurrentIndex(1)
    assert "审批流程" in dialog.route.text()
    dialog.submit_button.click()
    qtbot.waitUntil(lambda: any(r.get("item_code") == "OVERTIME" for r in page.mine), timeout=WAIT)
    page.tabs.setCurrentIndex(1)
    own = next(r["id"] for r in page.mine if r.get("item_code") == "OVERTIME")
    page.select_record("requests", own)
    qtbot.waitUntil(lambda: "加班登记" in page.mine_detail.toPlainText(), timeout=WAIT)
    # under review the applicant may still correct the form: the server re-checks it
    def under_review() -> None:
        current = page.current or {}
        assert current.get("id") == own, (current.get("id"), own, page.status.text())
        assert current.get("state") in ("submitted", "in_review"), (current.get("state"), page.status.text())
        assert current.get("number"), "numbered by the server"
        assert page.edit_button.isEnabled()

    qtbot.waitUntil(under_review, timeout=WAIT)
    edit = page.edit_current()
    qtbot.addWidget(edit)
    assert edit.submit_button.text() == "保存修改" and not edit.save_button.isVisible()
    edit.form.editors["hours"].box.setText("7.5")
    edit.submit_button.click()
    qtbot.waitUntil(lambda: "重新计算" in page.status.text(), timeout=WAIT)

    # statistics, exported to xlsx
    page.tabs.setCurrentIndex(4)  # 办理统计 (after 待出具证明, a 印章管理员's)
    assert page.tabs.tabText(4) == "办理统计" and not page.tabs.isTabVisible(3)
    assert page.stats_table.rowCount() >= 1
    out = tmp_path / "统计.xlsx"
    page.export(str(out))
    qtbot.waitUntil(lambda: out.exists() and "已导出" in page.status.text(), timeout=WAIT)
    sheet = openpyxl.load_workbook(out).active
    assert sheet["A2"].value == "事项" and sheet.max_row >= 4
    # the item names read from the left, the counts and hours line up on the right
    table = page.stats_table
    assert table.columnCount() == 8 and table.item(0, 0).text()

    def right(r: int, c: int) -> bool:
        return bool(Qt.AlignmentFlag(table.item(r, c).textAlignment()) & Qt.AlignmentFlag.AlignRight)

    for r in range(table.rowCount()):
        assert not right(r, 0), table.item(r, 0).text()
        assert all(right(r, c) for c in range(1, table.columnCount())), \
            [(c, table.item(r, c).text(), table.item(r, c).textAlignment()) for c in range(1, table.columnCount())]
    close_main(qtbot, window)


def test_screens_for_the_screenshot_run(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")  # the applicant of the demo requests
    wait_synced(qtbot, window)
    window.resize(1360, 820)
    window.navigate(3)
    page = window.record_pages[3]
    shots: list[str] = []

    def shot(widget, name: str) -> None:
        image = widget.grab().toImage()
        assert image.width() > 300 and image.height() > 300
        shots.append(name)

    page.screenshots(shot, window, lambda cond, timeout=30: qtbot.waitUntil(cond, timeout=int(timeout * 1000)))
    assert shots == ["06-requests-catalogue", "06b-request-form", "06c-requests-mine", "06d-requests-approve",
                     "06e-requests-stats"]
    store = window.session.store  # the form opened and closed unsaved left nothing behind
    qtbot.waitUntil(lambda: all(int(r.get("rev") or 0) for r in store.records.list("requests", limit=100)),
                    timeout=WAIT)
    assert page.mine_list.count() == 6  # the demo requests, numbered by the server
    assert all(r.get("number") for r in page.mine)
    close_main(qtbot, window)
