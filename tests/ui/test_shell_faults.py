"""Bad input and faults at sign-in and while running, each shown as a user would see it."""

from __future__ import annotations

import datetime as dt
import http.server
import re
import ssl
import threading

import pytest
import requests

from oa_client.errors import StoreError
from oa_client.services.records import save
from sync.engine import SyncEngine
from tests.server.support import free_port
from tests.sync.support import PASSWORD
from tests.ui.support import WAIT, close_main, make_shell, sign_in


def _form(qtbot, shell, login: str, password: str):
    shell.show_sign_in()
    w = shell.sign_in_window
    qtbot.addWidget(w)
    w.user.setText(login)
    w.password.setText(password)
    return w


def _submit(qtbot, w) -> str:
    with qtbot.waitSignal(w.failed, timeout=WAIT) as failed:
        w.sign_in_button.click()
    return failed.args[0]


def test_wrong_password_then_a_wait_never_a_lock(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    w = _form(qtbot, shell, "liuyang", "not-the-password")
    assert "用户名或密码错误" in _submit(qtbot, w)
    assert not (tmp_path / "profiles").exists() or not any((tmp_path / "profiles").iterdir())
    messages = [_submit(qtbot, w) for _ in range(3)]
    assert messages[:2] == ["用户名或密码错误"] * 2
    assert re.fullmatch(r"登录失败次数较多，请 \d+ 秒后再试", messages[-1]), messages
    assert "锁定" not in w.message.text()
    demo_server.clock.advance(seconds=5)  # the wait is over: the right password gets in
    w.password.setText(PASSWORD)
    with qtbot.waitSignal(shell.main_shown, timeout=WAIT) as shown:
        w.sign_in_button.click()
    close_main(qtbot, shown.args[0])


def test_server_unreachable_without_and_with_a_profile(qtbot, tmp_path, file_keyring, demo_server):
    dead = f"http://127.0.0.1:{free_port()}"
    shell = make_shell(tmp_path, file_keyring, dead)
    w = _form(qtbot, shell, "liuyang", PASSWORD)
    message = _submit(qtbot, w)
    assert "无法连接服务器" in message and "首次登录" in message
    assert not w.offline_button.isVisible()

    # a profile from an earlier sign-in: offered offline, opens with the password checked
    live = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, live, "liuyang")
    close_main(qtbot, window)
    demo_server.stop()
    again = make_shell(tmp_path, file_keyring, demo_server.url)
    w = _form(qtbot, again, "liuyang", PASSWORD)
    assert "离线" in _submit(qtbot, w)
    assert w.offline_button.isVisibleTo(w)
    w.password.setText("wrong")
    with qtbot.waitSignal(w.failed, timeout=WAIT) as failed:
        w.offline_button.click()
    assert "密码不正确" in failed.args[0]
    w.password.setText(PASSWORD)
    with qtbot.waitSignal(again.main_shown, timeout=WAIT) as shown:
        w.offline_button.click()
    window = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.todo_page.model.items != [], timeout=WAIT)
    qtbot.waitUntil(lambda: "离线" in window.sync_label.text(), timeout=WAIT)
    # the server is back: the next sync signs in with the password typed at the offline start
    demo_server.__init__(demo_server.settings.data_dir, demo_server.settings.database_url)
    demo_server.start()
    window.session.transport.base_url = demo_server.url
    window.sync.backoff.succeeded()
    window.sync_now()
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    close_main(qtbot, window)


class _Html(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = "<html><body>单位门户网站</body></html>".encode()
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_an_address_that_is_not_an_oa_server(qtbot, tmp_path, file_keyring, web_server):
    url = f"http://127.0.0.1:{web_server.server_address[1]}"
    w = _form(qtbot, make_shell(tmp_path, file_keyring, url), "liuyang", PASSWORD)
    assert "不是政务协同办公服务器" in _submit(qtbot, w)


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_certificate_error(qtbot, tmp_path, file_keyring):
    cert, key = _self_signed(tmp_path)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}"
        w = _form(qtbot, make_shell(tmp_path, file_keyring, url), "liuyang", PASSWORD)
        message = _submit(qtbot, w)
        assert "证书" in message, message
    finally:
        httpd.shutdown()
        httpd.server_close()


def _edit_locally(window, title: str) -> dict:
    store = window.session.store
    doc = store.records.list("documents", where={"title": title})[0]
    doc = {k: v for k, v in doc.items() if k not in ("updated_at", "deleted")}
    doc["body"] = doc["body"] + "（本机修改）"
    save(store, "documents", doc)
    return doc


DRAFT = "普宁市人民政府办公室关于开展机关作风建设专项检查的通知"


def test_token_revoked_while_running(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    # the user signs this computer out from another device (a lost laptop)
    other = requests.post(f"{demo_server.url}/api/v1/auth/login", json={
        "login": "liuyang", "password": PASSWORD, "device_id": "phone", "device_name": "手机"}, timeout=10).json()
    auth = {"Authorization": f"Bearer {other['access_token']}"}
    devices = requests.get(f"{demo_server.url}/api/v1/me/devices", headers=auth, timeout=10).json()
    laptop = next(d for d in devices if not d["current"])
    assert requests.post(f"{demo_server.url}/api/v1/me/devices/{laptop['id']}/sign-out",
                         headers=auth, timeout=10).status_code == 204
    _edit_locally(window, DRAFT)
    window.sync_now()
    qtbot.waitUntil(lambda: window.sync.paused, timeout=WAIT)
    assert "请重新登录" in window.sync_label.text()
    assert window.banner.isVisibleTo(window) and "重新登录" in window.banner_button.text()
    assert window.session.store.records.pending_ops() == 1  # the outbox is kept
    window.relogin(PASSWORD)
    qtbot.waitUntil(lambda: window.session.store.records.pending_ops() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    close_main(qtbot, window)


def test_disk_full_during_sync(qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    doc = _edit_locally(window, DRAFT)

    def full(self, page, *args, **kwargs):
        raise StoreError("磁盘空间已满，无法保存。请清理磁盘后重试，已保存的数据不受影响。",
                         kind="disk_full")

    monkeypatch.setattr(SyncEngine, "_apply_page", full)
    window.sync_now()
    qtbot.waitUntil(lambda: "磁盘空间已满" in window.banner_text.text(), timeout=WAIT)
    assert window.banner.isVisibleTo(window)
    store = window.session.store
    assert store.records.get("documents", doc["id"])["body"].endswith("（本机修改）")
    assert window.sync.timer.isActive()  # tried again later, with backoff
    monkeypatch.undo()
    window.sync_now()
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    assert store.records.pending_ops() == 0
    close_main(qtbot, window)


@pytest.mark.parametrize("fault", ["locked", "no_entry"])
def test_profile_whose_key_is_unavailable(qtbot, tmp_path, file_keyring, demo_server, fault):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang", remember=False)
    profile_id = window.session.store.profile.profile_id
    close_main(qtbot, window)
    if fault == "locked":
        file_keyring.mode = "locked"
    else:
        from oa_client.store.keys import SERVICE

        file_keyring.delete_password(SERVICE, profile_id)
    again = make_shell(tmp_path, file_keyring, demo_server.url)
    w = _form(qtbot, again, "liuyang", PASSWORD)
    message = _submit(qtbot, w)
    assert "恢复办法" in message
    assert ("解锁" in message) if fault == "locked" else ("密钥环中没有" in message)
