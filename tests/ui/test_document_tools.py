"""公文工具 menu in the main window: verification uses the server CA root the sync kept."""

from __future__ import annotations

from tests.support import pki_fixtures as pki
from tests.ui.support import close_main, make_shell, sign_in, wait_synced


def test_verify_from_the_menu_uses_the_synced_ca_root(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangjianhua")
    wait_synced(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.session.store.db.query(
        "SELECT 1 FROM meta WHERE key = 'ca_root_pem'")), timeout=10_000)
    assert window.menu_docs.title() == "公文工具"
    window.act_verify.trigger()
    dialog = window.verify_dialog
    foreign = tmp_path / "外单位签章.pdf"
    foreign.write_bytes(pki.signed_twice())  # signed under a CA this server never issued
    dialog.path.setText(str(foreign))
    with qtbot.waitSignal(dialog.checked, timeout=20_000) as blocker:
        dialog.run_check()
    assert blocker.args[0] is False
    report = dialog.report.toPlainText()
    assert "不受信任" in report and "请联网同步" not in report  # the root was there, the signer is not
    window.act_export.trigger()
    assert window.export_dialog.isVisible()
    window.export_dialog.close()
    dialog.close()
    close_main(qtbot, window)
