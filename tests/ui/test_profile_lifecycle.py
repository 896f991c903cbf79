"""Sign out, remove this profile from this computer, the passphrase path where no keyring
exists, and the watermark on detail views."""

from __future__ import annotations

from datetime import date

import keyring.backends.fail

from oa_client.store.keys import SERVICE
from tests.ui.support import WAIT, close_main, make_shell, sign_in
from ui.passphrase_dialog import PassphraseDialog
from ui.qt import QMessageBox


def test_sign_out_then_remove_the_profile(qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    name, unit = window.session.display_name, window.session.unit_name
    text = window.record_pages[1].watermark.text
    assert name in text and unit in text and date.today().isoformat() in text
    with qtbot.waitSignal(shell.sign_in_shown, timeout=WAIT):
        window.act_sign_out.trigger()
    assert shell.window is None
    qtbot.addWidget(shell.sign_in_window)

    window = sign_in(qtbot, shell, "liuyang")
    profile = window.session.store.profile
    assert file_keyring.get_password(SERVICE, profile.profile_id)
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(shell.sign_in_shown, timeout=WAIT):
        window.act_remove.trigger()
    qtbot.addWidget(shell.sign_in_window)
    assert not profile.path.exists()
    assert file_keyring.get_password(SERVICE, profile.profile_id) is None
    assert file_keyring.get_password(SERVICE, f"{profile.profile_id}:refresh") is None


def test_no_keyring_sets_up_a_passphrase_at_first_sign_in(qtbot, tmp_path, demo_server,
                                                          monkeypatch):
    modes = []

    def fake_exec(dialog):
        modes.append(dialog.mode)
        dialog.first.setText("县政府办公室2026")
        dialog.second.setText("县政府办公室2026")
        return PassphraseDialog.DialogCode.Accepted

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    shell = make_shell(tmp_path, keyring.backends.fail.Keyring(), demo_server.url)
    window = sign_in(qtbot, shell, "liuyang", remember=False)
    assert modes == ["create"]
    assert window.session.store.profile.key_source == "passphrase"
    qtbot.waitUntil(lambda: bool(window.todo_page.model.items), timeout=WAIT)
    close_main(qtbot, window)


def test_two_threads_meeting_a_401_refresh_once(demo_server, tmp_path):
    import threading

    from tests.sync.support import PASSWORD
    from ui.shell_session import make_transport

    t = make_transport(demo_server.url, profile_id="p", device_id="dev-shared", backend=None,
                       remember=False)
    t.login("liuyang", PASSWORD)
    calls = []
    original = type(t).refresh

    def counting(self):
        calls.append(1)
        return original(self)

    type(t).refresh = counting
    try:
        t.access_token = "expired"
        threads = [threading.Thread(target=t.digest) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        type(t).refresh = original
    assert len(calls) == 1  # the transport's refresh lock: the second thread reuses the new token
    t.digest()  # the session survived: the rotated token was never reused
