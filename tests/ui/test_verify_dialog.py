"""核验签章 dialog: a signed PDF verifies against the kept CA root; a changed byte fails loudly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import pki_fixtures as pki
from ui.app import make_app
from ui.verify_dialog import VerifyDialog

SHOTS = Path(os.environ.get("OA_SCREENSHOT_DIR", "/tmp/oa-screenshots"))


@pytest.fixture(scope="module", autouse=True)
def app():
    return make_app([], language="zh_CN")


def _signed(tmp_path: Path) -> Path:
    pdf = pki.signed_twice()
    path = tmp_path / "签发件.pdf"
    path.write_bytes(pdf)
    return path


def _run(qtbot, dialog, path) -> bool:
    dialog.path.setText(str(path))
    with qtbot.waitSignal(dialog.checked, timeout=20_000) as blocker:
        dialog.run_check()
    return blocker.args[0]


def test_a_signed_pdf_verifies_and_a_changed_byte_fails(qtbot, tmp_path):
    roots = [pki.ca().cert_pem]
    dialog = VerifyDialog(None, trust_roots=lambda: roots)
    qtbot.addWidget(dialog)
    dialog.show()
    path = _signed(tmp_path)
    assert _run(qtbot, dialog, path) is True
    assert "核验通过" in dialog.verdict.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "verify-dialog-ok.png"))

    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    bad = tmp_path / "被改动.pdf"
    bad.write_bytes(bytes(data))
    assert _run(qtbot, dialog, bad) is False
    assert "未通过" in dialog.verdict.text()
    dialog.grab().save(str(SHOTS / "verify-dialog-tampered.png"))


def test_wrong_ca_missing_root_and_not_a_document(qtbot, tmp_path):
    path = _signed(tmp_path)
    dialog = VerifyDialog(None, trust_roots=lambda: [pki.other_ca().cert_pem])
    qtbot.addWidget(dialog)
    assert _run(qtbot, dialog, path) is False

    empty = VerifyDialog(None, trust_roots=lambda: [])
    qtbot.addWidget(empty)
    assert _run(qtbot, empty, path) is False
    assert "根证书" in empty.report.toPlainText()

    text = tmp_path / "说明.txt"
    text.write_text("不是公文")
    assert _run(qtbot, dialog, text) is False
    assert "无法核验" in dialog.report.toPlainText()
    assert _run(qtbot, dialog, tmp_path / "不存在.pdf") is False
