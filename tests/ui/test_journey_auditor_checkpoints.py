"""The auditor's checkpoints through the console, against the server's checkpoint API
(GET/POST /audit/checkpoints, POST /audit/verify).

The auditor makes a checkpoint, her client keeps it in the encrypted profile, the chain
verifies against it; then the tail of the log is cut (triggers dropped, rows deleted, as an
administrator with database rights could) and the verdict names the first missing row.
"""

from __future__ import annotations

from sqlalchemy import text

from oa_client.services import audit_checkpoints as checkpoints
from tests.server.support import allow_tampering
from tests.ui.admin_support import click, console, open_page, said, shot_if_asked
from tests.ui.support import WAIT, close_main


def test_journey_auditor_checkpoints(qtbot, tmp_path, file_keyring, demo_server):
    _shell, window = console(qtbot, tmp_path, file_keyring, demo_server, "hexiaoqin")
    page = open_page(qtbot, window, "审计日志")
    click(qtbot, page.checkpoint_button)
    line = said(qtbot, page, "已生成并保存检查点：第 ")
    seq = int(line.split("第 ")[1].split(" 条")[0])
    store = window.session.store
    assert checkpoints.latest_seq(store) == seq
    click(qtbot, page.verify_button)
    qtbot.waitUntil(lambda: page.verdict.text().startswith("审计链完整"), timeout=WAIT)
    assert "与本机保存的 1 个签名检查点一致" in page.verdict.text()
    assert f"最新检查点第 {seq} 条" in page.verdict.text()
    shot_if_asked(window, "auditor-checkpoint-verified")

    # an administrator with database rights cuts the tail of the log
    with demo_server.session() as session:
        conn = session.connection()
        allow_tampering(conn)
        conn.execute(text("DELETE FROM audit_log WHERE seq > :s"), {"s": seq - 8})
        session.commit()
    click(qtbot, page.verify_button)
    qtbot.waitUntil(lambda: page.verdict.text().startswith("审计链校验未通过"), timeout=WAIT)
    assert f"从第 {seq - 7} 条起与检查点不符" in page.verdict.text()
    assert page.verdict.styleSheet() == "color:#b00000; font-weight:bold"
    shot_if_asked(window, "auditor-checkpoint-truncated")
    close_main(qtbot, window)
