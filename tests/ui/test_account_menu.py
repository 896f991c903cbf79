"""The 账号 menu and what administrators' decisions look like to a user: change my password,
a reset that forces a new one at sign-in, the security policy's lock and watermark, my
devices, and this computer revoked (its data removed, and why)."""

from __future__ import annotations

from oa_client.store.keys import SERVICE
from tests.e2e.admin_api import Api, signed_in, user_ids
from tests.sync.support import PASSWORD
from tests.ui.admin_support import click, click_row, shot_if_asked, tick, type_into
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from ui.main_window import MainWindow
from ui.qt import QMessageBox


def _submit_password(qtbot, dialog, *, old: str | None, new: str, again: str | None = None):
    if old is not None:
        type_into(qtbot, dialog.old, old)
    type_into(qtbot, dialog.new, new)
    type_into(qtbot, dialog.again, new if again is None else again)
    click(qtbot, dialog.ok_button)


def test_journey_change_my_password(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    window.act_password.trigger()  # 账号 → 修改密码…
    dialog = window.password_dialog
    qtbot.waitUntil(lambda: "至少 8 位" in dialog.rules.text(), timeout=WAIT)
    assert "不能包含登录名" in dialog.rules.text() and "最近 5 次" in dialog.rules.text()
    _submit_password(qtbot, dialog, old=PASSWORD, new="Fresh@2026a", again="Fresh@2026b")
    assert dialog.problem.text() == "两次输入的新密码不一致。"
    _submit_password(qtbot, dialog, old="Wrong@2026", new="Fresh@2026a")
    qtbot.waitUntil(lambda: dialog.problem.text() == "原密码不正确", timeout=WAIT)
    _submit_password(qtbot, dialog, old=PASSWORD, new="Liuyang@2026")
    qtbot.waitUntil(lambda: dialog.problem.text() == "密码不能包含登录名", timeout=WAIT)
    _submit_password(qtbot, dialog, old=PASSWORD, new="Fresh@2026a")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "密码已修改。", timeout=WAIT)
    # the lock takes the new password (its offline check was updated)
    window.lock()
    window.lock_dialog.password.setText("Fresh@2026a")
    click(qtbot, window.lock_dialog.unlock_button)
    qtbot.waitUntil(lambda: not window.locked, timeout=WAIT)
    assert Api(demo_server.url).login("liuyang", PASSWORD).status_code == 401
    assert Api(demo_server.url).login("liuyang", "Fresh@2026a").status_code == 200
    close_main(qtbot, window)


def test_journey_reset_password_forces_a_new_one_at_sign_in(qtbot, tmp_path, file_keyring,
                                                            demo_server):
    admin = signed_in(demo_server.url, "huangwei")
    reset = admin.post(f"/admin/users/{user_ids(admin)['fangzhiyuan']}/reset-password").json()
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    shell.show_sign_in()
    w = shell.sign_in_window
    qtbot.addWidget(w)
    type_into(qtbot, w.user, "fangzhiyuan")
    type_into(qtbot, w.password, reset["one_time_password"])
    click(qtbot, w.sign_in_button)
    qtbot.waitUntil(lambda: getattr(w, "password_dialog", None) is not None
                    and w.password_dialog.isVisible(), timeout=WAIT)
    dialog = w.password_dialog
    assert dialog.reason.text() == "您的密码已由管理员重置，请设置新密码后继续使用"
    assert not dialog.old.isVisible()  # the one-time password was just typed
    qtbot.waitUntil(lambda: "至少 8 位" in dialog.rules.text(), timeout=WAIT)
    shot_if_asked(dialog, "forced-password-change")
    _submit_password(qtbot, dialog, old=None, new=reset["one_time_password"])
    qtbot.waitUntil(lambda: "不能使用最近" in dialog.problem.text(), timeout=WAIT)
    with qtbot.waitSignal(shell.main_shown, timeout=WAIT) as shown:
        _submit_password(qtbot, dialog, old=None, new="Juzhang@2026")
    window = shown.args[0]
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    wait_synced(qtbot, window)
    assert window.nav.item(1).text() == "公文" and "已同步" in window.sync_label.text()
    close_main(qtbot, window)
    assert Api(demo_server.url).login("fangzhiyuan", "Juzhang@2026").json()[
        "password_change"] is None


def test_journey_settings_follow_the_security_policy(qtbot, tmp_path, file_keyring, demo_server):
    secadmin = signed_in(demo_server.url, "sunyue")
    policy = {"min_length": 8, "min_classes": 3, "forbid_login": True, "history": 5,
              "max_age_days": 0, "idle_lock_minutes": 5, "watermark": False}
    assert secadmin.put("/admin/security-policy", json=policy).status_code == 200
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    wait_synced(qtbot, window)
    qtbot.waitUntil(lambda: window.idle.minutes == 5, timeout=WAIT)
    assert window.record_pages[1].watermark.text == ""  # the policy turned it off
    window.act_settings.trigger()  # 设置
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    assert (dialog.idle.value(), dialog.idle.isEnabled()) == (5, False)
    assert (dialog.watermark.isChecked(), dialog.watermark.isEnabled()) == (False, False)
    assert dialog.policy_note.text() == \
        "自动锁定和水印由安全保密管理员的安全策略统一设定，不能在本机修改。"
    shot_if_asked(dialog, "settings-policy")
    dialog.reject()
    # the security admin turns the watermark back on: the next sync brings it
    assert secadmin.put("/admin/security-policy", json={**policy, "watermark": True,
                                                        "idle_lock_minutes": 10}).status_code == 200
    window.sync_now()
    qtbot.waitUntil(lambda: window.idle.minutes == 10, timeout=WAIT)
    assert "刘洋" in window.record_pages[1].watermark.text
    close_main(qtbot, window)


def test_journey_my_devices(qtbot, tmp_path, file_keyring, demo_server):
    laptop = Api(demo_server.url, device="liuyang-laptop", device_name="刘洋的笔记本")
    assert laptop.login("liuyang").status_code == 200
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    window.act_devices.trigger()  # 账号 → 我的设备…
    dialog = window.devices_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 2, timeout=WAIT)
    shot_if_asked(dialog, "my-devices")
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    states = {n: dialog.table.item(r, 4).text() for r, n in enumerate(names)}
    assert states["刘洋的笔记本"] == "正常" and "本机" in states.values()
    click_row(qtbot, dialog.table, "办公电脑")  # this computer: not revoked from here
    assert not dialog.revoke_button.isEnabled()
    click_row(qtbot, dialog.table, "刘洋的笔记本")
    tick(qtbot, dialog.final_push)  # a lost laptop: nothing more from it
    click(qtbot, dialog.revoke_button)
    click(qtbot, dialog.confirm_box.button(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: dialog.status.text() == "已停用：刘洋的笔记本", timeout=WAIT)
    qtbot.waitUntil(lambda: "已停用" in [dialog.table.item(r, 4).text()
                                       for r in range(dialog.table.rowCount())], timeout=WAIT)
    answer = laptop.get("/me")
    assert answer.status_code == 401 and answer.json()["code"] == "device_revoked"
    close_main(qtbot, window)


def test_journey_this_computer_revoked(qtbot, tmp_path, file_keyring, demo_server):
    from oa_client.services import documents as docs

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    wait_synced(qtbot, window)
    profile = window.session.store.profile
    device_id = window.session.transport.device_id
    # a draft saved while the server is away (no sync yet)
    store = window.session.store
    city = next(u["id"] for u in store.records.list("units", limit=1000)
                if u["name"] == "普宁市人民政府")
    docs.compose(store, me=window.session.me, fields={
        "doc_kind": "通知", "title": "清除前的最后一份草稿", "main_to": [city],
        "body": "正文。", "issuer_name": "普宁市人民政府办公室"})
    admin = signed_in(demo_server.url, "huangwei")
    device = next(d for d in admin.get("/admin/devices").json() if d["device_id"] == device_id)
    assert admin.post(f"/admin/devices/{device['id']}/revoke",
                      json={"final_push": True}).status_code == 204
    with qtbot.waitSignal(shell.sign_in_shown, timeout=WAIT):
        window.act_sync.trigger()  # F5
    w = shell.sign_in_window
    qtbot.addWidget(w)
    box = w.notice_box
    qtbot.waitUntil(box.isVisible, timeout=WAIT)
    assert box.windowTitle() == "这台电脑已停用"
    assert box.text().startswith("系统管理员已停用这台电脑的登录，本机的数据将被清除。")
    assert "本机的修改均已上传到服务器。" in box.text()
    assert box.text().endswith("本机的数据库、附件和保存的密钥已全部清除。")
    shot_if_asked(box, "device-revoked-notice")
    assert not profile.path.exists()
    assert file_keyring.get_password(SERVICE, profile.profile_id) is None
    assert file_keyring.get_password(SERVICE, f"{profile.profile_id}:refresh") is None
    liu = Api(demo_server.url, device="check")
    assert liu.login("liuyang").status_code == 200
    drafts = [c for c in liu.get("/sync/pull", params={"cursor": 0, "limit": 1000}).json()[
        "changes"] if c["data"].get("title") == "清除前的最后一份草稿"]
    assert len(drafts) == 1  # the draft made it to the server before the wipe
    box.accept()
    # signing in again makes a new profile on a new device
    window = sign_in(qtbot, shell, "liuyang")
    assert window.session.transport.device_id != device_id
    close_main(qtbot, window)


def test_journey_revoked_while_away_is_wiped_at_the_next_sign_in(qtbot, tmp_path, file_keyring,
                                                                 demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang", remember=False)
    wait_synced(qtbot, window)
    profile, device_id = window.session.store.profile, window.session.transport.device_id
    with qtbot.waitSignal(shell.sign_in_shown, timeout=WAIT):
        window.act_sign_out.trigger()
    assert profile.path.exists()  # signed out, the profile stays on this computer
    admin = signed_in(demo_server.url, "huangwei")
    device = next(d for d in admin.get("/admin/devices").json() if d["device_id"] == device_id)
    assert admin.post(f"/admin/devices/{device['id']}/revoke",
                      json={"final_push": False}).status_code == 204
    w = shell.sign_in_window
    qtbot.addWidget(w)
    type_into(qtbot, w.user, "liuyang")
    type_into(qtbot, w.password, PASSWORD)
    click(qtbot, w.sign_in_button)
    qtbot.waitUntil(lambda: getattr(w, "notice_box", None) is not None
                    and w.notice_box.isVisible(), timeout=WAIT)
    assert w.notice_box.text().startswith("系统管理员已停用这台电脑的登录")
    assert w.message.text() == "这台电脑已被停用。"
    assert not profile.path.exists()
    assert file_keyring.get_password(SERVICE, profile.profile_id) is None
    w.notice_box.accept()
    # the next sign-in is a new device with a new profile
    with qtbot.waitSignal(shell.main_shown, timeout=WAIT) as shown:
        click(qtbot, w.sign_in_button)
    window = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT)
    assert window.session.transport.device_id != device_id
    close_main(qtbot, window)
