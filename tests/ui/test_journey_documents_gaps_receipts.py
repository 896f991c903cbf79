"""Journey (clicks and typing only, from sign-in): 洪阳镇's 文书 黄晓梅 opens from her 待办 a 请示
signed off without its 发文机关署名: the window names the missing element and its 编号 button
is disabled, saying why. Then, in 发文, the 请示 she sent: each receiving unit's receipt with
its time — 已签收 (the city), 已退回 with the reason (财政局), 已发送 (政数局, whose desk has not
pulled it yet); once 政数局's clerk's desk synced, a click on 同步 shows 已送达 there.
(The earlier steps are taken by the other demo users on their own clients.)"""

from __future__ import annotations

from tests.ui.journey import WAIT, click, open_document, sync
from tests.ui.support import close_main, make_shell, sign_in, wait_synced
from tests.ui.test_documents_screens import _close, gui_io  # noqa: F401 (a fixture)
from ui.documents.shots import Actor, issue_document

SENT = "洪阳镇人民政府关于拨付榕江堤防抢险加固资金的请示"
GAP = "洪阳镇人民政府关于申请修复水毁农田资金的请示"


def _receipts(w) -> dict[str, tuple[str, str, str, str]]:
    """unit → (状态, 签收人, 时间, 说明) as the receipts table shows them."""
    t = w.receipts
    return {t.item(r, 0).text(): tuple(t.item(r, c).text() for c in (1, 2, 3, 4))
            for r in range(t.rowCount())}


def test_journey_clerk_sees_the_missing_element_and_each_units_receipt(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):  # noqa: F811
    root = tmp_path / "actors"
    _sent_id, actors = issue_document(demo_server.url, root, title=SENT, attachments=0)
    issue_document(demo_server.url, root, title=GAP, attachments=0, stop_after="recheck",
                   issuer_name=None, actors=actors)
    window = sign_in(qtbot, make_shell(tmp_path / "clerk", file_keyring, demo_server.url),
                     "huangxiaomei")
    wait_synced(qtbot, window)
    on, seen = gui_io
    on.set()

    w = open_document(qtbot, window, "待办", GAP)  # at 编号, without its 发文机关署名
    assert "编号" in w.status.text()
    qtbot.waitUntil(w.missing_line.isVisible, timeout=WAIT)
    assert w.missing_line.text() == ("要素不全，补齐前不能编号、用印：发文机关署名。"
                                     "签发后的要素须退回修改并重新签发。")
    number = w.action_buttons["approve"]
    qtbot.waitUntil(number.isVisible, timeout=WAIT)  # the action bar is shown
    assert number.text().startswith("编号") and not number.isEnabled()
    assert number.toolTip() == "公文要素缺失或有误，不能编号：发文机关署名"
    assert w.action_buttons["return"].isEnabled()  # 退回 is how the gap gets fixed
    click(next(b for b in w.findChildren(type(number)) if b.text().startswith("关闭")
               and b.isVisible()))
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=WAIT)

    s = open_document(qtbot, window, "发文", SENT)  # dispatched: one receipt per unit
    assert not s.missing_line.isVisible() and s.receipts_box.isVisible()
    shown = _receipts(s)
    assert {u: row[0] for u, row in shown.items()} == {
        "普宁市人民政府": "已签收", "普宁市财政局": "已退回", "普宁市政务服务数据管理局": "已发送"}
    assert shown["普宁市人民政府"][1] == "吴琼" and shown["普宁市人民政府"][2]
    assert shown["普宁市财政局"][3] == "本局非主送机关，请按程序报送市政府。"
    assert shown["普宁市政务服务数据管理局"][1:] == ("", shown["普宁市政务服务数据管理局"][2], "")
    assert shown["普宁市政务服务数据管理局"][2]  # the time it was sent

    on.clear()  # 政数局's 文书 opens her client on her own computer: her desk pulls the 收文
    demo_server.clock.advance(minutes=25)
    actors["zhangmin"] = Actor(demo_server.url, root, "zhangmin")
    on.set()
    sync(qtbot, window)  # 黄晓梅 clicks 同步: the open window follows
    qtbot.waitUntil(lambda: _receipts(s)["普宁市政务服务数据管理局"][0] == "已送达", timeout=WAIT)
    delivered = _receipts(s)["普宁市政务服务数据管理局"]
    assert delivered[2] and delivered[2] != shown["普宁市政务服务数据管理局"][2]
    row = next(r for r in range(s.receipts.rowCount())
               if s.receipts.item(r, 0).text() == "普宁市政务服务数据管理局")
    assert [line.split("　")[0] for line in s.receipts.item(row, 1).toolTip().splitlines()] == [
        "已发送", "已送达"]
    on.clear()
    s.close()
    close_main(qtbot, window)
    _close(actors)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"
