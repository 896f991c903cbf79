"""Journey: a 发文 at 洪阳镇 from 拟稿 to 分发, only clicking and typing in the screens, each step
by its demo user at their own desk. The 文书 composes the 请示 in the compose form (every element
the completeness check asks for, typed; 抄送 chosen in the unit picker; the two 会签
departments ticked in the org chart's list — an untyped 标题 is refused first, nothing lost) and sends it to 核稿; the 党政办主任
核稿; each department's 科长 countersigns (党政办, then 经济发展办); the 镇长 签发 with a
handwritten signature drawn on the pad; 复核; the 文书 编号 (the 发文字号 appears), 用印 (the
sealed 正式文件 in the window, its verdict 通过) and 分发 (已分发)."""

from __future__ import annotations

import re
from datetime import datetime

from oa_client.domain.workflow.model import BEIJING
from tests.ui.journey import (
    WAIT,
    click,
    desk,
    keys,
    leave,
    open_document,
    pick,
    tick_item,
    type_into,
)
from tests.ui.test_documents_screens import gui_io  # noqa: F401 (a fixture)
from ui.documents.compose import UnitPicker
from ui.documents.signature_pad import SignatureDialog
from ui.qt import QApplication, QPoint, QPushButton, Qt, QTest, QTimer

TITLE = "洪阳镇人民政府关于申请榕江堤防水毁修复资金的请示"
BODY = ["市人民政府：", "受强降雨影响，榕江洪阳段堤防出现多处水毁。现将有关事项请示如下：",
        "一、水毁情况", "堤防水毁点共5处，总长约0.8公里。", "二、资金需求",
        "修复工程概算60万元，我镇已自筹15万元。", "妥否，请批示。"]
TODO, DOING = 0, 1  # tabs of the 公文 page


def _office_today() -> str:
    """Today in the office (Beijing), as the drafter types it and the server dates a 签发."""
    return datetime.now(BEIJING).date().isoformat()


def _offered(w) -> list[str]:
    """The action buttons shown, by their text (without the mnemonic)."""
    return [b.text().split(" (&")[0] for b in w.action_buttons.values() if b.isVisible()]


def _take(qtbot, w, label: str, after: str, opinion: str = "") -> None:
    """Type the opinion, click the 办理 button `label`, wait until the server's copy (synced
    back) is at `after`; the status line says so."""
    qtbot.waitUntil(lambda: not w.busy and "approve" in w.action_buttons
                    and w.action_buttons["approve"].isVisible(), timeout=WAIT)
    assert w.action_buttons["approve"].text().startswith(label), _offered(w)
    if opinion:
        type_into(w.opinion, opinion)
    click(w.action_buttons["approve"])
    qtbot.waitUntil(lambda: w.view is not None and not w.busy and w.view.state == after
                    and w.view.record.get("state") == after, timeout=WAIT)
    assert f"<b>{w.view.state_label}</b>" in w.status.text()


def _sign_on_the_pad(qtbot, w) -> None:
    """手写签名…: draw a stroke on the pad with the mouse and click 确定."""
    drawn: list[bool] = []

    def draw() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SignatureDialog):
            QTimer.singleShot(50, draw)
            return
        pad = dialog.pad
        QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(40, 110))
        for i in range(1, 30):
            QTest.mouseMove(pad, QPoint(40 + i * 10, 110 + (i % 5) * 6 - 12))
        QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(330, 100))
        drawn.append(not pad.is_empty())
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        QTest.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, draw)
    click(w.sign_button)
    assert drawn == [True]
    qtbot.waitUntil(lambda: w.clear_signature.isVisible(), timeout=WAIT)
    assert w.signature is not None and not w.signature_preview.pixmap().isNull()


def _choose_units(qtbot, button, typed: str, unit: str) -> None:
    """选择…: in the unit picker type part of the name, tick the unit, click 确定."""
    done: list[str] = []

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, UnitPicker):
            QTimer.singleShot(50, choose)
            return
        type_into(dialog.filter, typed)
        shown = [dialog.list.item(i) for i in range(dialog.list.count())
                 if not dialog.list.item(i).isHidden()]
        tick_item(dialog.list, next(i for i in shown if i.text() == unit))
        done.extend(i.text() for i in shown)
        click(next(b for b in dialog.findChildren(QPushButton) if b.text() == "确定"))

    QTimer.singleShot(0, choose)
    click(button)
    assert unit in done and all(typed in name for name in done), done


def _compose(qtbot, window) -> None:
    """新建发文: the 请示 typed element by element, the 会签 departments ticked, 送核稿."""
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    page = window.record_pages[1]
    qtbot.waitUntil(page.new_button.isVisible, timeout=WAIT)
    click(page.new_button)
    qtbot.waitUntil(lambda: page.compose_window is not None
                    and page.compose_window.isVisible(), timeout=WAIT)
    form = page.compose_window.form
    qtbot.waitUntil(lambda: form.departments is not None, timeout=WAIT)  # the org chart's
    shown = [form.countersign.item(i).text() for i in range(form.countersign.count())]
    assert shown == ["党政办（科长：林佳慧）", "经济发展办（科长：郑伟民）"]
    pick(qtbot, form.kind, "请示")
    pick(qtbot, form.urgency, "加急")
    type_into(form.main_to, "普宁市人民政府")
    _choose_units(qtbot, form.cc_pick, "财政", "普宁市财政局")
    assert form.cc_to.text() == "普宁市财政局"
    for row in range(form.countersign.count()):
        tick_item(form.countersign, form.countersign.item(row))
    click(form.body)
    for n, line in enumerate(BODY):
        if n:
            QTest.keyClick(form.body, Qt.Key.Key_Return)
        keys(form.body, line)
    click(form.submit_button)  # no 标题 yet: refused, naming it, the rest kept
    assert form.problem.text().startswith("【标题】") and form.title.hasFocus()
    assert form.countersign.chosen() == ["党政办", "经济发展办"]
    assert form.body.toPlainText() == "\n".join(BODY)
    type_into(form.title, TITLE)
    assert form.problem.text() == ""
    type_into(form.issuer_name, "洪阳镇人民政府")
    type_into(form.date, _office_today())
    type_into(form.note, "联系人：黄晓梅，电话：0663-2811234")
    type_into(form.printer, "洪阳镇党政办")
    click(form.submit_button)
    qtbot.waitUntil(lambda: page.compose_window is None, timeout=WAIT)  # sent: the form closes
    qtbot.waitUntil(lambda: not window.sync.running and window.sync.state == "synced"
                    and window.sync.pending == 0, timeout=WAIT)


def test_journey_outgoing_from_draft_through_countersign_to_dispatch(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):  # noqa: F811
    url, (on, seen) = demo_server.url, gui_io

    # 文书 黄晓梅 drafts the 请示 and sends it to 核稿
    window = desk(qtbot, tmp_path, file_keyring, url, "huangxiaomei")
    on.set()
    _compose(qtbot, window)
    w = open_document(qtbot, window, DOING, TITLE)
    assert w.view.state == "review" and "当前办理人：陈伟杰" in w.status.text()
    assert "approve" not in w.action_buttons
    rec = w.view.record
    assert (rec["doc_kind"], rec["urgency"], rec["main_to_names"], rec["cc_to_names"]) == (
        "请示", "加急", ["普宁市人民政府"], ["普宁市财政局"])
    assert rec["issuer_name"] == "洪阳镇人民政府" and rec["printer"] == "洪阳镇党政办"
    assert len(rec["countersign_departments"]) == 2
    on.clear()
    leave(qtbot, w, window)

    # 党政办主任 陈伟杰: 核稿
    window = desk(qtbot, tmp_path, file_keyring, url, "chenweijie")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert "<b>核稿</b>" in w.status.text()
    qtbot.waitUntil(lambda: _offered(w)[:2] == ["同意", "退回"], timeout=WAIT)
    assert w.body.text.toPlainText().startswith("市人民政府：")
    panel = w.routing  # 核稿 settles the 会签: the org chart's departments, the draft's ticked
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    assert panel.title() == "核稿：确定会签科室" and not panel.lead.isVisible()
    assert panel.countersign.isVisible() and panel.countersign.chosen() == ["党政办", "经济发展办"]
    _take(qtbot, w, "同意", "countersign", "文字已核，同意送会签。")
    assert sorted(w.view.holder_names) == ["林佳慧", "郑伟民"]
    on.clear()
    leave(qtbot, w, window)

    # each 会签 department's 科长 at her or his own desk
    for login, name, other, opinion in (("linjiahui", "林佳慧", "郑伟民", "党政办无意见。"),
                                        ("zhengweimin", "郑伟民", None, "经济发展办同意。")):
        window = desk(qtbot, tmp_path, file_keyring, url, login)
        on.set()
        w = open_document(qtbot, window, TODO, TITLE)
        assert "<b>会签</b>" in w.status.text() and name in w.status.text()
        if other:  # the step waits for every department
            _take(qtbot, w, "同意", "countersign", opinion)
            qtbot.waitUntil(lambda w=w: w.view.holder_names == ["郑伟民"], timeout=WAIT)
            assert "approve" not in w.action_buttons
        else:
            _take(qtbot, w, "同意", "sign_off", opinion)
            assert w.view.holder_names == ["梁海涛"]
        on.clear()
        leave(qtbot, w, window)

    # 镇长 梁海涛: 签发 with his handwritten signature
    window = desk(qtbot, tmp_path, file_keyring, url, "lianghaitao")
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert "<b>签发</b>" in w.status.text()
    countersigned = [(e.step, e.actor_name, e.opinion) for e in w.view.timeline
                     if e.step == "countersign" and e.outcome == "accepted"]
    assert countersigned == [("countersign", "林佳慧", "党政办无意见。"),
                             ("countersign", "郑伟民", "经济发展办同意。")]
    _sign_on_the_pad(qtbot, w)
    _take(qtbot, w, "同意", "recheck", "同意上报。")
    assert w.view.record.get("signers") and w.view.record.get("date") == _office_today()
    assert any(e.step == "sign_off" and e.actor_name == "梁海涛" for e in w.view.timeline)
    signed = next(e for e in w.view.timeline if e.step == "sign_off" and e.outcome == "accepted")
    assert signed.signature_id and w.opened.signatures[signed.event_id][0] in ("strokes", "png")
    on.clear()
    leave(qtbot, w, window)

    # 党政办主任 陈伟杰: 复核
    window = desk(qtbot, tmp_path, file_keyring, url, "chenweijie", 1)
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert "<b>复核</b>" in w.status.text()
    _take(qtbot, w, "同意", "number", "已复核。")
    on.clear()
    leave(qtbot, w, window)

    # 文书 黄晓梅: 编号, 用印, 分发
    window = desk(qtbot, tmp_path, file_keyring, url, "huangxiaomei", 1)
    on.set()
    w = open_document(qtbot, window, TODO, TITLE)
    assert "<b>编号</b>" in w.status.text() and not w.missing_line.isVisible()
    assert "待编号" in w.elements.text()
    assert w.action_buttons["approve"].isEnabled()  # the elements are complete
    _take(qtbot, w, "编号", "seal")
    number = w.view.record.get("doc_number") or ""
    assert re.fullmatch(r"洪府〔\d{4}〕\d+号", number), number
    assert number in w.elements.text() and "待编号" not in w.elements.text()
    assert "待用印" in w.official_line.text()
    _take(qtbot, w, "用印", "dispatch")
    qtbot.waitUntil(lambda: w.view.official is not None and w.view.official.verdict is not None,
                    timeout=WAIT)
    line = w.official_line.text()
    assert "验章结果：通过" in line and "签章单位：洪阳镇人民政府" in line, line
    assert f"事由：公文用印：{number}" in line
    bar = w.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     bar.tabRect(1).center())
    qtbot.waitUntil(lambda: w.official.page_count() >= 1, timeout=WAIT)
    assert w.tabs.currentIndex() == 1 and w.official.name.text().endswith("KB）")
    assert "（正式文件）.pdf" in w.official.name.text()
    _take(qtbot, w, "分发", "dispatched")
    assert "已分发" in w.status.text() and "approve" not in w.action_buttons
    assert {r.unit_name for r in w.view.receipts} == {"普宁市人民政府", "普宁市财政局"}
    steps = [e.step for e in w.view.timeline if e.outcome == "accepted"]
    assert steps == ["draft", "review", "countersign", "countersign", "sign_off", "recheck",
                     "number", "seal", "dispatch"], steps
    on.clear()
    leave(qtbot, w, window)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"
