"""Journey: a meeting's 纪要 from 起草 to 分发 and its 收文 at an invited unit, only clicking and
typing in the screens, each step by its demo user at their own desk. The organiser 谢芳 opens
the 全市防汛工作会议, writes the 纪要 in the minutes editor and saves it; in the document window
she finds its 分送 taken from the invited units, takes 普宁市人民政府 off (Delete) and adds
普宁市财政局 from the org chart, saves and 送审; 黄建华 核稿, 林慧敏 签发, 黄建华 复核, 吴琼
编号, 蔡卫东 用印 (the 纪要 is signed with the seal but bears no impression: the window shows
the 正式文件 with its verdict), 吴琼 分发 to the three units; 普政数's 收发员 张敏 finds it in
her 待办, reads the sealed file (验章 通过) and 签收. The stores are read only to check what the
screens say (the sealed file's 版记 carries the 分送 as it was edited)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.ui.journey import LEFT, WAIT, _front, click, leave, open_document, sync
from tests.ui.support import make_shell
from tests.ui.test_documents_distribution import answer_unit_chooser, remove_unit
from tests.ui.test_documents_screens import gui_io  # noqa: F401 (a fixture)
from tests.ui.test_journey_inbound_routing import _take
from tests.ui.test_journey_meetings import FLOOD, _click_sitting, _meetings, _sign_in
from tests.ui.test_journey_supervision import _type
from ui.qt import Qt, QTest

TITLE = f"{FLOOD}纪要"
TODO, DRAFTS = 0, 3  # tabs of the 公文 page
CITY, DATA, TOWN, FINANCE = "普宁市人民政府", "普宁市政务服务数据管理局", "洪阳镇人民政府", "普宁市财政局"
SHOTS = Path(os.environ["OA_MINUTES_SHOTS"]) if os.environ.get("OA_MINUTES_SHOTS") else None


def _shot(widget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def _desk(qtbot, tmp_path, keyring, url: str, login: str, n: int = 0):
    """A demo user signs in on their own client (typing name and password)."""
    return _sign_in(qtbot, make_shell(tmp_path / f"{login}-{n}", keyring, url), login)


def _step(qtbot, tmp_path, keyring, url, login, label, after, opinion="", n=0):
    """One holder of the flow: sign in, open the 纪要 from 待办, take the step."""
    window = _desk(qtbot, tmp_path, keyring, url, login, n)
    w = open_document(qtbot, window, TODO, TITLE, direction="outgoing")
    qtbot.waitUntil(lambda: w.distribution.view is not None, timeout=WAIT)
    assert w.distribution.isVisible() and not w.distribution.add_button.isEnabled()
    _take(qtbot, w, "approve", label, after, opinion)
    return window, w


def _page_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                         check=True)
    return "".join(out.stdout.decode("utf-8").split())  # wrapped lines joined


def test_journey_minutes_from_drafting_to_dispatch_and_receipt_at_an_invited_unit(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):  # noqa: F811
    url, (on, seen) = demo_server.url, gui_io

    # 谢芳, the organiser: the meeting, 编写会议纪要, 保存纪要
    window = _desk(qtbot, tmp_path, file_keyring, url, "xiefang")
    on.set()
    page = _meetings(qtbot, window)
    _click_sitting(qtbot, page, FLOOD)
    bar = page.tabs
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "回执与签到")
    _front(bar)
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center())
    qtbot.waitUntil(lambda: page.replies.minutes.isVisible() and page.replies.minutes.isEnabled(),
                    timeout=WAIT)
    click(page.replies.minutes)
    qtbot.waitUntil(lambda: page.minutes_dialog is not None
                    and page.minutes_dialog.title.text() == TITLE, timeout=WAIT)
    dialog = page.minutes_dialog
    assert "市长讲话" in dialog.body.toPlainText()  # the agenda, from the notice
    _type(qtbot, dialog.body, "")
    QTest.keyClick(dialog.body, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(dialog.body, Qt.Key.Key_Return)
    _type(qtbot, dialog.body, "会议要求：各单位落实汛期24小时值班制度。")
    click(dialog.save_button)
    qtbot.waitUntil(lambda: dialog.message.text() == "纪要已保存为公文草稿（文种：纪要），可送审签发。",
                    timeout=WAIT)
    dialog.close()

    # the draft in the document window: 分送 from the invited units, edited, saved, 送审
    w = open_document(qtbot, window, DRAFTS, TITLE, direction="outgoing")
    panel = w.distribution
    qtbot.waitUntil(lambda: panel.view is not None and panel.unit_names() == [CITY, DATA, TOWN],
                    timeout=WAIT)
    assert panel.add_button.isEnabled() and "取自会议的参会单位" in panel.note.text()
    remove_unit(panel, CITY)
    answer_unit_chooser(qtbot, panel, filter_text="财政", tick=[FINANCE])
    click(panel.add_button)
    qtbot.waitUntil(lambda: panel.unit_names() == [DATA, TOWN, FINANCE], timeout=WAIT)
    _shot(w, "minutes-distribution-editor")
    click(panel.save_button)
    qtbot.waitUntil(lambda: panel.message.text() == "分送单位已保存，同步后生效。" and not w.busy,
                    timeout=WAIT)
    qtbot.waitUntil(lambda: "普宁市政务服务数据管理局、洪阳镇人民政府、普宁市财政局" in w.elements.text(),
                    timeout=WAIT)
    _take(qtbot, w, "submit", "送审", "review", "请审核会议纪要。")
    assert w.distribution.add_button.isEnabled()  # still hers to change until 签发
    on.clear()
    leave(qtbot, w, window)
    steps = [("huangjianhua", "同意", "sign_off", "文字已核，请林副市长签发。", 0),  # 核稿
             ("linhuimin", "同意", "recheck", "同意印发。", 0),  # 签发
             ("huangjianhua", "同意", "number", "已复核。", 1),  # 复核
             ("wuqiong", "编号", "seal", "", 0)]
    for login, label, after, opinion, n in steps:
        window, w = _step(qtbot, tmp_path, file_keyring, url, login, label, after, opinion, n)
        if after == "recheck":  # signed off: the 分送 is read-only from now on
            note = w.distribution.note
            qtbot.waitUntil(lambda: note.text() == "纪要已签发，分送单位不能再修改（只读）。",  # noqa: B023
                            timeout=WAIT)
        leave(qtbot, w, window)

    # 蔡卫东, 印章管理员: 用印 — the 正式文件 appears with its verdict, no seal impression
    window, w = _step(qtbot, tmp_path, file_keyring, url, "caiweidong", "用印", "dispatch")
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.verdict is not None,
                    timeout=WAIT)
    line = w.official_line.text()
    assert "验章结果：通过" in line and "签章单位：普宁市人民政府办公室" in line, line
    bar = w.tabs.tabBar()
    QTest.mouseClick(bar, LEFT, Qt.KeyboardModifier.NoModifier, bar.tabRect(1).center())
    qtbot.waitUntil(lambda: w.official.page_count() >= 1, timeout=WAIT)
    assert "approve" not in w.action_buttons and "当前办理人：吴琼" in w.status.text()  # 分发: the 文书's
    assert "普府办〔" in w.elements.text()  # numbered at 编号
    pdf = window.session.store.blobs.read(w.view.record["sealed_attachment_id"])
    text = _page_text(pdf)  # what the preview shows: 分送 in the 版记, no 主送 line
    assert re.search(r"\d{4}年[1-9]\d?月[1-9]\d?日，全市防汛工作会议在", text)  # no leading 0
    assert "普宁市人民政府办公室纪要" in text and "会议要求：各单位落实汛期24小时值班制度。" in text
    if SHOTS is not None:
        (SHOTS / "minutes-sealed.pdf").write_bytes(pdf)
    assert text.index("请假：") < text.index("分送：普宁市政务服务数据管理局、洪阳镇人民政府、普宁市财政局。")
    assert "普宁市政务服务数据管理局、洪阳镇人民政府、普宁市财政局：" not in text
    leave(qtbot, w, window)

    # 吴琼: 分发 to the three units
    window, w = _step(qtbot, tmp_path, file_keyring, url, "wuqiong", "分发", "dispatched", n=1)
    assert "已分发" in w.status.text()
    qtbot.waitUntil(lambda: {r.unit_name for r in w.view.receipts} == {DATA, TOWN, FINANCE},
                    timeout=WAIT)
    assert w.receipts_box.isVisible()
    leave(qtbot, w, window)

    # 张敏, 普政数's 收发员: the 纪要 in her 待办, the sealed file checked, 签收
    window = _desk(qtbot, tmp_path, file_keyring, url, "zhangmin")
    sync(qtbot, window)
    on.set()
    inc = open_document(qtbot, window, TODO, TITLE, direction="incoming")
    assert inc.view.direction == "incoming" and inc.view.record.get("doc_kind") == "纪要"
    assert not inc.distribution.isVisible()  # a 收文 has no 分送 editor
    qtbot.waitUntil(lambda: inc.view.official is not None and inc.view.official.verdict is not None
                    and inc.official.page_count() >= 1, timeout=WAIT)
    assert inc.tabs.currentIndex() == 1  # a 收文 opens on the sealed file as it came
    verdict = inc.view.official.verdict
    assert verdict["ok"] and verdict["signer"] == "普宁市人民政府办公室", verdict
    assert "验章结果：通过" in inc.official_line.text()
    first = inc.official.pages_layout.itemAt(1).widget()
    qtbot.waitUntil(lambda: first.isVisible() and first.width() > 100, timeout=WAIT)
    _shot(inc, "minutes-incoming")
    _take(qtbot, inc, "approve", "签收", "register", "已签收。")
    on.clear()
    leave(qtbot, inc, window)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"
