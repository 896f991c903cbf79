"""公文排版导出 dialog: a real fixture document becomes PDF and DOCX; font stand-ins are said."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ui.app import make_app
from ui.render_dialog import RenderDialog

SHOTS = Path(os.environ.get("OA_SCREENSHOT_DIR", "/tmp/oa-screenshots"))


@pytest.fixture(scope="module", autouse=True)
def app():
    return make_app([], language="zh_CN")


def test_export_of_a_real_document_reports_pages_and_fonts(qtbot, tmp_path, fixtures_dir):
    source = tmp_path / "黄岩区数字政府规划.txt"
    shutil.copy(fixtures_dir / "documents" / "huangyan-digital-gov-plan.txt", source)
    dialog = RenderDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.source.setText(str(source))
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as blocker:
        dialog.run_export()
    result = blocker.args[0]
    assert result.pdf_path.read_bytes().startswith(b"%PDF") and result.pages > 5
    assert result.docx_path.read_bytes().startswith(b"PK")
    assert "黄岩区" in result.title
    text = dialog.report.toPlainText()
    # this machine has no office fonts: the stand-ins must be named, not hidden
    assert result.substitutions and "替代字体" in text
    assert "已导出" in dialog.status.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "render-dialog.png"))


def test_bad_sources_are_said_plainly(qtbot, tmp_path):
    dialog = RenderDialog(None)
    qtbot.addWidget(dialog)
    dialog.source.setText(str(tmp_path / "没有这个文件.txt"))
    dialog.run_export()
    assert "存在的公文文件" in dialog.status.text()
    broken = tmp_path / "坏文件.docx"
    broken.write_bytes(b"PK\x03\x04 not really a docx")
    dialog.source.setText(str(broken))
    dialog.run_export()
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled(), timeout=20_000)
    assert dialog.status.text() and "已导出" not in dialog.status.text()
    assert not (tmp_path / "坏文件.pdf").exists()
