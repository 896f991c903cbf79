"""The administrators' console walked as each administrator would (三员分立): signed in
through the sign-in window, only clicks and typing, asserting what the screen shows —
and that none of the business pages are there."""

from __future__ import annotations

from tests.e2e.admin_api import Api
from tests.ui.admin_support import (
    assert_no_business_pages,
    choose,
    click,
    click_row,
    confirm,
    console,
    open_page,
    said,
    shot_if_asked,
    tick,
    type_into,
)
from tests.ui.support import WAIT, close_main
from tests.ui.test_shell_flows import io_threads  # noqa: F401 (the fixture)
from ui.qt import Qt

_shot = shot_if_asked  # OA_ADMIN_SHOTS=DIR renders each page to DIR/<name>.png


def _state(page, login: str) -> str:
    logins = page.table.column_texts(0)
    return page.table.item(logins.index(login), 6).text() if login in logins else ""


def test_journey_sysadmin_users(qtbot, tmp_path, file_keyring, demo_server, io_threads):  # noqa: F811
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "huangwei")
    assert window.page_titles() == ["用户", "单位", "组织导入", "设备与会话", "登录限制"]
    assert window.role_label.text() == "系统管理员"
    page = open_page(qtbot, window, "用户")
    qtbot.waitUntil(lambda: "fangzhiyuan" in page.table.column_texts(0), timeout=WAIT)
    # an administrator's account (the auditor's) cannot be touched from here
    click_row(qtbot, page.table, "hexiaoqin")
    assert not page.reset_button.isEnabled() and not page.disable_button.isEnabled()
    assert "三员分立" in page.hint.text()
    # a new account: no roles, a one-time password shown once
    click(qtbot, page.add_button)
    dialog = page.new_user_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    type_into(qtbot, dialog.login, "wangfang")
    type_into(qtbot, dialog.name, "王芳")
    choose(qtbot, dialog.unit, "普宁市财政局")
    choose(qtbot, dialog.department, "预算股")
    type_into(qtbot, dialog.position, "科员")
    click(qtbot, dialog.ok_button)
    said(qtbot, page, "已创建用户：王芳（wangfang）")
    qtbot.waitUntil(lambda: getattr(page, "otp_dialog", None) is not None
                    and page.otp_dialog.isVisible(), timeout=WAIT)
    first = page.otp_dialog.password.text()
    assert len(first) >= 16
    _shot(page.otp_dialog, "sysadmin-one-time-password")
    page.otp_dialog.accept()
    click_row(qtbot, page.table, "wangfang")
    row = page.table.currentRow()
    assert [page.table.item(row, c).text() for c in (1, 2, 3, 5, 6)] == \
        ["王芳", "普宁市财政局", "预算股", "", "待修改密码"]
    # the 局长's password: reset to a one-time one, never one of his choosing
    click_row(qtbot, page.table, "fangzhiyuan")
    click(qtbot, page.reset_button)
    confirm(qtbot, page)
    said(qtbot, page, "已重置 方志远 的密码")
    qtbot.waitUntil(lambda: page.otp_dialog.isVisible() and page.otp_dialog.password.text()
                    != first, timeout=WAIT)
    page.otp_dialog.accept()
    # disable and enable a business account
    click_row(qtbot, page.table, "liuyang")
    click(qtbot, page.disable_button)
    confirm(qtbot, page)
    said(qtbot, page, "已停用：刘洋")
    qtbot.waitUntil(lambda: _state(page, "liuyang") == "已停用", timeout=WAIT)
    click_row(qtbot, page.table, "liuyang")
    click(qtbot, page.enable_button)
    confirm(qtbot, page)
    said(qtbot, page, "已启用：刘洋")
    qtbot.waitUntil(lambda: _state(page, "liuyang") == "正常", timeout=WAIT)
    type_into(qtbot, page.search, "财政")
    qtbot.waitUntil(lambda: page.table.rowCount() == 5, timeout=WAIT)
    _shot(window, "sysadmin-users")
    on_gui, anywhere = io_threads
    assert on_gui == [] and "request" in anywhere  # every call went out on a worker
    assert_no_business_pages(window)
    close_main(qtbot, window)


def test_journey_sysadmin_units(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "huangwei")
    page = open_page(qtbot, window, "单位")
    qtbot.waitUntil(lambda: page.select_unit("普宁市人民政府"), timeout=WAIT)
    click(qtbot, page.add_button)
    dialog = page.unit_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    assert dialog.parent_unit.currentText() == "普宁市人民政府"  # under the selected unit
    type_into(qtbot, dialog.name, "普宁市卫生健康局")
    type_into(qtbot, dialog.doc_code, "普卫健")
    choose(qtbot, dialog.level, "部门")
    dialog.accept()
    said(qtbot, page, "已新建单位：普宁市卫生健康局")
    qtbot.waitUntil(lambda: page.select_unit("普宁市卫生健康局"), timeout=WAIT)
    node = page.tree.currentItem()
    assert [node.text(c) for c in range(5)] == ["普宁市卫生健康局", "部门", "普卫健", "", "正常"]
    assert node.parent().text(0) == "普宁市人民政府"
    click(qtbot, page.dept_button)
    page.department_dialog.name.insert("办公室")
    page.department_dialog.accept()
    said(qtbot, page, "已在 普宁市卫生健康局 新建科室：办公室")
    qtbot.waitUntil(lambda: page.select_unit("普宁市卫生健康局")
                    and page.tree.currentItem().text(3) == "办公室", timeout=WAIT)
    click(qtbot, page.disable_button)
    confirm(qtbot, page)
    said(qtbot, page, "已停用：普宁市卫生健康局")
    qtbot.waitUntil(lambda: page.select_unit("普宁市卫生健康局")
                    and page.tree.currentItem().text(4) == "已停用", timeout=WAIT)
    assert page.enable_button.isEnabled() and not page.dept_button.isEnabled()
    _shot(window, "sysadmin-units")
    close_main(qtbot, window)


ORG_FILE = """{"units": [{"name": "普宁市司法局", "level": "部门", "doc_code": "普司",
  "parent": "普宁市人民政府", "departments": ["办公室", "法治督察股"]},
  {"name": "普宁市财政局", "level": "部门", "doc_code": "普财", "parent": "普宁市人民政府"}],
 "users": [{"login": "zhoujian", "name": "周健", "unit": "普宁市司法局", "department": "办公室",
  "position": "科员"}]}"""


def test_journey_sysadmin_org_import(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "huangwei")
    page = open_page(qtbot, window, "组织导入")
    bad = tmp_path / "带密码.json"
    bad.write_text(ORG_FILE.replace('"position": "科员"', '"position": "科员", "password": "Aa@12345"'),
                   encoding="utf-8")
    type_into(qtbot, page.path, str(bad))
    click(qtbot, page.preview_button)
    said(qtbot, page, "导入文件不能包含密码")
    assert not page.apply_button.isEnabled()
    good = tmp_path / "司法局.json"
    good.write_text(ORG_FILE, encoding="utf-8")
    type_into(qtbot, page.path, str(good))
    click(qtbot, page.preview_button)
    said(qtbot, page, "预览：将新建 单位 1 个、科室 2 个、人员 1 人；已存在而跳过 1 项")
    rows = [[page.table.item(r, c).text() for c in range(4)] for r in range(page.table.rowCount())]
    assert rows == [["单位", "新建", "普宁市司法局", "普宁市人民政府"],
                    ["科室", "新建", "办公室", "普宁市司法局"],
                    ["科室", "新建", "法治督察股", "普宁市司法局"],
                    ["单位", "已存在，跳过", "普宁市财政局", ""],
                    ["人员", "新建", "周健", "zhoujian · 普宁市司法局"]]
    _shot(window, "sysadmin-org-import-preview")
    # nothing was written by the preview
    users = open_page(qtbot, window, "用户")
    qtbot.waitUntil(lambda: "fangzhiyuan" in users.table.column_texts(0), timeout=WAIT)
    assert "zhoujian" not in users.table.column_texts(0)
    page = open_page(qtbot, window, "组织导入")
    click(qtbot, page.apply_button)
    confirm(qtbot, page)
    said(qtbot, page, "已导入：单位 1 个、科室 2 个、人员 1 人")
    assert not page.apply_button.isEnabled()
    users = open_page(qtbot, window, "用户")
    qtbot.waitUntil(lambda: "zhoujian" in users.table.column_texts(0), timeout=WAIT)
    close_main(qtbot, window)


def test_journey_sysadmin_devices_and_sessions(qtbot, tmp_path, file_keyring, demo_server):
    laptop = Api(demo_server.url, device="liuyang-laptop", device_name="刘洋的笔记本")
    assert laptop.login("liuyang").status_code == 200
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "huangwei")
    page = open_page(qtbot, window, "设备与会话")
    type_into(qtbot, page.search, "笔记本")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    click_row(qtbot, page.table, "刘洋")
    row = [page.table.item(0, c).text() for c in (0, 1, 2, 5, 6)]
    assert row == ["刘洋", "liuyang", "刘洋的笔记本", "1", "正常"]
    click(qtbot, page.sign_out_button)
    said(qtbot, page, "已注销 刘洋 在“刘洋的笔记本”上的登录")
    qtbot.waitUntil(lambda: page.table.item(0, 5).text() == "0", timeout=WAIT)
    assert laptop.get("/me").status_code == 401
    assert laptop.login("liuyang").status_code == 200  # signed out, not revoked
    page.refresh()
    qtbot.waitUntil(lambda: page.table.item(0, 5).text() == "1", timeout=WAIT)
    click_row(qtbot, page.table, "刘洋")
    click(qtbot, page.revoke_button)
    confirm(qtbot, page)
    said(qtbot, page, "已停用 刘洋 的“刘洋的笔记本”")
    qtbot.waitUntil(lambda: page.table.item(0, 6).text() == "已停用，待清除", timeout=WAIT)
    assert laptop.get("/me/devices").json()["code"] == "device_revoked"
    # his own device is not his to revoke here (三员分立)
    type_into(qtbot, page.search, "huangwei")
    qtbot.waitUntil(lambda: page.table.rowCount() >= 1, timeout=WAIT)
    click_row(qtbot, page.table, "黄伟")
    click(qtbot, page.revoke_button)
    confirm(qtbot, page)
    said(qtbot, page, "三员分立：不能修改自己的账号、密码或角色")
    assert page.status.styleSheet() == "color:#b00000"
    type_into(qtbot, page.search, "")
    qtbot.waitUntil(lambda: page.table.rowCount() > 1, timeout=WAIT)
    _shot(window, "sysadmin-devices")
    close_main(qtbot, window)


def test_journey_sysadmin_sign_in_delays(qtbot, tmp_path, file_keyring, demo_server):
    stranger = Api(demo_server.url, source="127.0.0.2")
    assert [stranger.login("zhouli", "Wrong@2026").status_code for _ in range(4)] == \
        [401, 401, 401, 429]
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "huangwei")
    page = open_page(qtbot, window, "登录限制")
    click_row(qtbot, page.table, "zhouli")
    assert [page.table.item(page.table.currentRow(), c).text() for c in (0, 1, 2)] == \
        ["zhouli", "127.0.0.2", "3"]
    _shot(window, "sysadmin-sign-in-delays")
    click(qtbot, page.clear_button)
    said(qtbot, page, "已清除 zhouli（127.0.0.2）的登录等待")
    qtbot.waitUntil(lambda: "zhouli" not in page.table.column_texts(0), timeout=WAIT)
    assert stranger.login("zhouli").status_code == 200
    close_main(qtbot, window)


def _checkbox(page, label: str):
    return next(b for b in page.boxes.values() if b.text() == label)


def test_journey_secadmin_roles(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "sunyue")
    assert window.page_titles() == ["角色", "印章管理员", "安全策略"]
    assert window.role_label.text() == "安全保密管理员"
    assert_no_business_pages(window)
    page = open_page(qtbot, window, "角色")
    qtbot.waitUntil(lambda: len(page.boxes) == 10, timeout=WAIT)  # business roles only
    assert "系统管理员" not in [b.text() for b in page.boxes.values()]
    # her own account, and the other administrators', cannot be changed here
    click_row(qtbot, page.table, "孙悦")
    assert not page.save_button.isEnabled() and not _checkbox(page, "主要领导").isEnabled()
    assert "三员分立" in page.hint.text()
    click_row(qtbot, page.table, "黄伟")
    assert not page.save_button.isEnabled()
    # a business account: tick 印章管理员 for 李晓龙, save
    type_into(qtbot, page.search, "lixiaolong")
    click_row(qtbot, page.table, "李晓龙")
    assert _checkbox(page, "拟稿人").isChecked() and not _checkbox(page, "印章管理员").isChecked()
    tick(qtbot, _checkbox(page, "印章管理员"))
    click(qtbot, page.save_button)
    said(qtbot, page, "已保存 李晓龙 的角色：拟稿人、印章管理员")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1
                    and page.table.item(0, 3).text() == "拟稿人、印章管理员", timeout=WAIT)
    _shot(window, "secadmin-roles")
    close_main(qtbot, window)


def test_journey_secadmin_seal_keepers(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "sunyue")
    page = open_page(qtbot, window, "印章管理员")
    click_row(qtbot, page.table, "普宁市财政局")
    assert page.table.item(page.table.currentRow(), 1).text() == ""
    qtbot.waitUntil(lambda: len(page.people) == 4, timeout=WAIT)
    box = next(b for b in page.people.values() if b.text().startswith("黄莉"))
    tick(qtbot, box)
    assert box.isChecked()
    click(qtbot, page.save_button)
    said(qtbot, page, "已保存：黄莉")
    qtbot.waitUntil(lambda: "普宁市财政局" in page.table.column_texts(0) and page.table.item(
        page.table.column_texts(0).index("普宁市财政局"), 1).text() == "黄莉", timeout=WAIT)
    # the administrators of 数据管理局 are never offered as seal keepers
    click_row(qtbot, page.table, "普宁市政务服务数据管理局")
    qtbot.waitUntil(lambda: bool(page.people), timeout=WAIT)
    names = [b.text().split("　")[0] for b in page.people.values()]
    assert "张敏" in names and not {"黄伟", "孙悦", "何晓琴"} & set(names)
    qtbot.waitUntil(lambda: all(b.isVisible() for b in page.people.values()), timeout=WAIT)
    _shot(window, "secadmin-seal-keepers")
    close_main(qtbot, window)


def test_journey_secadmin_policy(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "sunyue")
    page = open_page(qtbot, window, "安全策略")
    qtbot.waitUntil(lambda: "现行规则" in page.current.text(), timeout=WAIT)
    assert page.min_length.value() == 8 and page.idle.value() == 15
    assert "（默认策略）" in page.current.text()
    type_into(qtbot, page.min_length, "12")
    type_into(qtbot, page.history, "3")
    type_into(qtbot, page.max_age, "90")
    type_into(qtbot, page.idle, "5")
    tick(qtbot, page.watermark)
    click(qtbot, page.save_button)
    said(qtbot, page, "安全策略已保存")
    qtbot.waitUntil(lambda: "至少 12 位" in page.current.text(), timeout=WAIT)
    text = page.current.text()
    assert "不能与最近 3 次用过的密码相同" in text and "每 90 天须更换一次" in text
    assert "无操作 5 分钟锁定；水印关闭" in text
    _shot(window, "secadmin-policy")
    # every client follows it: a desk signing in now reads the same policy
    desk = Api(demo_server.url)
    assert desk.login("liuyang").status_code == 200
    policy = desk.get("/security-policy").json()
    assert (policy["min_length"], policy["idle_lock_minutes"], policy["watermark"]) == (12, 5, False)
    close_main(qtbot, window)


def test_journey_auditor_audit_log(qtbot, tmp_path, file_keyring, demo_server):
    # what the auditor will look for: the system admin's refused reset of her password,
    # and his reset of the 局长's
    admin = Api(demo_server.url)
    assert admin.login("huangwei").status_code == 200
    ids = {u["login"]: u["id"] for u in admin.get("/admin/users").json()}
    assert admin.post(f"/admin/users/{ids['hexiaoqin']}/reset-password").status_code == 403
    assert admin.post(f"/admin/users/{ids['fangzhiyuan']}/reset-password").status_code == 200

    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "hexiaoqin")
    assert window.page_titles() == ["审计日志"]
    assert window.role_label.text() == "安全审计员"
    assert_no_business_pages(window)
    page = open_page(qtbot, window, "审计日志")
    qtbot.waitUntil(lambda: page.table.rowCount() > 50, timeout=WAIT)
    choose(qtbot, page.who, "黄伟（普宁市政务服务数据管理局）")
    choose(qtbot, page.what, "账号")
    click(qtbot, page.search_button)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=WAIT)
    assert page.table.column_texts(2) == ["黄伟", "黄伟"]
    assert page.table.column_texts(3) == ["重置密码", "重置密码（被拒绝）"]  # newest first
    assert page.table.column_texts(4) == ["方志远（user）", "何晓琴（user）"]
    said(qtbot, page, "共 2 条记录")
    # by record: everything done to the 局长's account, by anyone
    choose(qtbot, page.who, "全部人员")
    choose(qtbot, page.what, "全部操作")
    type_into(qtbot, page.record, ids["fangzhiyuan"])
    click(qtbot, page.search_button)
    qtbot.waitUntil(lambda: set(page.table.column_texts(4)) == {"方志远（user）"}, timeout=WAIT)
    assert page.table.column_texts(3)[0] == "重置密码"  # the newest: 黄伟's reset
    assert page.table.column_texts(3)[-1] == "新建账号"  # the oldest: the demo opened it
    # by date: the last week up to yesterday holds none of today's rows; up to today, all
    type_into(qtbot, page.record, "")
    tick(qtbot, page.use_dates)
    page.until.setFocus()
    qtbot.keyClick(page.until, Qt.Key.Key_End)  # the day section
    qtbot.keyClick(page.until, Qt.Key.Key_Down)
    click(qtbot, page.search_button)
    said(qtbot, page, "共 0 条记录")
    qtbot.keyClick(page.until, Qt.Key.Key_Up)
    click(qtbot, page.search_button)
    qtbot.waitUntil(lambda: not page.reading, timeout=WAIT)
    assert page.table.rowCount() > 50
    tick(qtbot, page.use_dates)
    click(qtbot, page.search_button)
    # the table held as many rows before: wait for this search's own answer (a late answer
    # would otherwise replace the export's 已导出 on the status line)
    qtbot.waitUntil(lambda: not page.reading, timeout=WAIT)
    assert page.table.rowCount() > 50
    _shot(window, "auditor-audit-log")
    # export what the filters select to Excel
    choose(qtbot, page.who, "黄伟（普宁市政务服务数据管理局）")
    target = tmp_path / "导出" / "审计日志.xlsx"
    type_into(qtbot, page.export_path, str(target))
    click(qtbot, page.export_button)
    line = said(qtbot, page, "已导出")
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("审计日志（导出于") and "何晓琴" in rows[0][0]
    assert rows[1] == ("序号", "时间", "操作人", "操作", "对象", "详情")
    assert len(rows) - 2 == int(line.split("已导出 ")[1].split(" 条")[0]) >= 3
    assert {r[2] for r in rows[2:]} == {"黄伟"}
    assert ("重置密码（被拒绝）", "何晓琴（user）") in {(r[3], r[4]) for r in rows[2:]}
    close_main(qtbot, window)
