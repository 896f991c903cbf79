"""The 公文 screens against the real demo server: a 请示 of 洪阳镇 goes through its flow with
the demo users acting on their own clients; the shell user walks the lists, filters, the
document window (timeline, signatures, action bar), signs off with an opinion and a
handwritten signature; other users see other action bars; the sender sees the receipts."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import requests

from oa_client.errors import ValidationError
from oa_client.store.db import Database
from tests.ui.support import WAIT, close_main, make_shell, sign_in, wait_synced
from ui.documents.shots import SHOT_TITLE, actor_session, issue_document, signature
from ui.documents.window import DocumentWindow
from ui.ops import db_pool
from ui.qt import QDate, Qt, QTest


@pytest.fixture
def gui_io(monkeypatch):
    """Database and HTTP calls made on the GUI thread while `on` is set."""
    seen: list[str] = []
    on = threading.Event()
    main = threading.main_thread()
    for cls, name in ((Database, "query"), (Database, "transaction"), (requests.Session, "request")):
        original = getattr(cls, name)

        def recorder(self, *args, _original=original, _name=name, **kwargs):
            if on.is_set() and threading.current_thread() is main:
                seen.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, recorder)
    return on, seen


def _window(qtbot, actor, doc_id: str, *, offline: bool = False) -> DocumentWindow:
    session = actor_session(actor)
    if offline:
        session.transport = None
    w = DocumentWindow(session, doc_id)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=WAIT):
        w.reload()
    return w


def _close(actors) -> None:
    from ui.qt import QThreadPool

    QThreadPool.globalInstance().waitForDone(10_000)
    db_pool().waitForDone(10_000)
    for a in actors.values():
        a.close()


def _rows(page) -> list[str]:
    model = page.model
    return [(model.record(r) or {}).get("title", "") for r in range(model.rowCount())]


def _wait_list(qtbot, page, expected: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == expected and all(
        page.model.record(r) is not None for r in range(expected)), timeout=WAIT)


def test_leader_walks_lists_filters_and_signs_off_in_the_document_window(
        qtbot, tmp_path, file_keyring, demo_server, gui_io):
    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="review")
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lianghaitao")  # 镇长: 请示 are signed by the principal leader
    wait_synced(qtbot, window)
    on, seen = gui_io
    on.set()
    window.navigate(1)
    page = window.record_pages[1]
    _wait_list(qtbot, page, 1)
    assert _rows(page) == [SHOT_TITLE] and page.tabs.tabText(0).startswith("待办")
    assert not page.offline_note.isVisible()
    assert "签发" in page.model.data(page.model.index(0, 4))

    # filters: 文种, text, date range — and back
    page.kind.setCurrentText("通知")
    page.reload()
    _wait_list(qtbot, page, 0)
    assert "没有符合条件的公文" in page.detail.toPlainText()
    page.kind.setCurrentText("请示")
    page.text.setText("榕江堤防")
    page.reload()
    _wait_list(qtbot, page, 1)
    page.text.setText("不存在的标题")
    page.reload()
    _wait_list(qtbot, page, 0)
    page.text.clear()
    page.use_dates.setChecked(True)
    page.since.setDate(QDate.currentDate().addDays(1))
    page.until.setDate(QDate.currentDate().addDays(3))
    page.reload()
    _wait_list(qtbot, page, 0)
    page.clear_filters()
    _wait_list(qtbot, page, 1)
    # the other boxes: 收文 holds nothing for this user yet, 发文 this unit's 请示
    page.tabs.setCurrentIndex(5)
    qtbot.waitUntil(lambda: SHOT_TITLE in _rows(page), timeout=WAIT)
    page.tabs.setCurrentIndex(4)
    qtbot.waitUntil(lambda: SHOT_TITLE not in _rows(page) and page.box == "incoming", timeout=WAIT)
    page.tabs.setCurrentIndex(0)
    _wait_list(qtbot, page, 1)

    # the document window: elements, timeline with signatures, an action bar for 签发
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.current is not None and page.current["id"] == doc_id, timeout=WAIT)
    window.activateWindow()
    page.table.setFocus()
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        QTest.keyClick(page.table, Qt.Key.Key_Return)  # Enter opens the selected document
    w = opened.args[0]
    qtbot.waitUntil(lambda: w.view is not None, timeout=WAIT)
    assert w.title.text() == SHOT_TITLE and "签发" in w.status.text()
    assert "待编号" in w.elements.text() and "普宁市人民政府" in w.elements.text()
    assert {"approve", "return"} <= set(w.action_buttons) and "submit" not in w.action_buttons
    steps = [(e.step_name, e.action_label, e.actor_name, e.opinion) for e in w.view.timeline]
    assert steps[:2] == [("起草", "提交", "黄晓梅", "请审核。"), ("核稿", "同意", "陈伟杰", "文字已核，同意报签。")]
    assert [k for k, _v in w.opened.signatures.values()] == ["strokes", "strokes"]
    assert "sig:" in w.timeline.toHtml()  # the signatures are drawn from their strokes
    assert w.attachments.count() == 2 and not w.receipts_box.isVisibleTo(w)
    assert w.body.marked_button.isEnabled()  # the drafter's revision can be compared

    # 退回 without a reason is refused (by the service, said in the window)
    w._act({"action": "return", "step": "sign_off", "opinion": "  "})
    qtbot.waitUntil(lambda: "退回必须填写理由" in w.problem.text(), timeout=WAIT)

    # 常用意见 + handwritten signature + 同意 (Ctrl+Enter takes the default action)
    index = w.phrases.findData("同意。")
    w.phrases.setCurrentIndex(index)
    w.phrases.activated.emit(index)
    assert w.opinion.toPlainText() == "同意。"
    w.set_signature(signature())
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT)
    with qtbot.waitSignal(w.loaded, timeout=WAIT):
        QTest.keyClick(w.opinion, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    mine = w.view.timeline[-1]
    assert (mine.step_name, mine.actor_name, mine.opinion) == ("签发", "梁海涛", "同意。")
    assert w.opened.signatures[mine.event_id][0] == "strokes"
    assert w.opinion.toPlainText() == "" and w.signature is None
    # the change syncs; the server takes it; 待办 empties, 已办/在办 shows it
    # wait for the window to show *my* event as the server took it (pulled), not any accepted one
    qtbot.waitUntil(lambda: any(e.event_id == mine.event_id and e.outcome == "accepted"
                                for e in w.view.timeline), timeout=WAIT)
    assert w.view.timeline[-1].event_id == mine.event_id
    assert "approve" not in w.action_buttons and "复核" in w.status.text()
    _wait_list(qtbot, page, 0)
    page.tabs.setCurrentIndex(1)  # 在办: I acted, the flow goes on
    qtbot.waitUntil(lambda: SHOT_TITLE in _rows(page), timeout=WAIT)
    on.clear()
    # locking the main window hides the open document too; unlocking brings it back
    window.lock()
    assert not w.isVisible()
    window.lock_dialog.password.setText("Demo@2026")
    with qtbot.waitSignal(window.lock_dialog.unlocked, timeout=WAIT):
        window.lock_dialog.try_unlock()
    assert w.isVisible()
    w.close()
    close_main(qtbot, window)
    _close(actors)
    assert seen == [], f"I/O on the GUI thread: {sorted(set(seen))}"


def test_action_bar_offers_only_what_each_user_may_do(qtbot, tmp_path, demo_server, monkeypatch):
    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="sign_off")
    try:
        director = _window(qtbot, actors["chenweijie"], doc_id)  # holds 复核
        assert {"approve", "return"} <= set(director.action_buttons)
        assert director.action_buttons["approve"].text().startswith("同意")
        drafter = _window(qtbot, actors["huangxiaomei"], doc_id)  # drafted it, holds nothing now
        assert "approve" not in drafter.action_buttons and "return" not in drafter.action_buttons
        # 转办 from the bar: the director hands 复核 to the deputy (a person picked in a dialog)
        import ui.documents.window as window_module

        offered: list[str] = []

        class Picked:
            def __init__(self, title, people, parent, **kwargs):
                self.people = dict(people)
                offered.extend(self.people.values())

            def exec(self):
                return True

            def person(self):
                return next(i for i, label in self.people.items() if label.startswith("朱艳萍"))

        monkeypatch.setattr(window_module, "PersonDialog", Picked)
        director.opinion.setPlainText("请朱副镇长复核。")
        with qtbot.waitSignal(director.loaded, timeout=WAIT):
            director.action_buttons["reassign"].click()
        assert director.view.timeline[-1].action == "reassign"
        # the 三员 hold no business: the dialog never offers them (the server would refuse)
        assert offered and not [p for p in offered if p.startswith(("黄伟", "孙悦", "何晓琴"))]
        assert director.view.timeline[-1].opinion == "请朱副镇长复核。"
        assert "approve" not in director.action_buttons  # 复核 is with 朱艳萍 now
        assert actors["chenweijie"].sync().applied == 1  # the server takes the 转办
        mayor = _window(qtbot, actors["lianghaitao"], doc_id)  # signed; may withdraw until 复核 acts
        assert "approve" not in mayor.action_buttons
        assert set(mayor.action_buttons) <= {"withdraw", "urge", "delegate"}
        assert "withdraw" in mayor.action_buttons
        # the deputy takes 复核: the mayor's 撤回 is gone, the clerk now has 编号 (needs the server)
        from ui.documents.shots import Actor

        actors["zhuyanping"] = Actor(demo_server.url, tmp_path / "actors", "zhuyanping")
        actors["zhuyanping"].act(doc_id, "approve", "recheck", opinion="已复核。")
        actors["lianghaitao"].sync()
        with qtbot.waitSignal(mayor.loaded, timeout=WAIT):
            mayor.reload()
        assert "withdraw" not in mayor.action_buttons and "approve" not in mayor.action_buttons
        actors["huangxiaomei"].sync()
        clerk = _window(qtbot, actors["huangxiaomei"], doc_id, offline=True)
        assert clerk.action_buttons["approve"].text().startswith("编号")
        assert "需要连接服务器" in clerk.bar_note.text() and "当前离线" in clerk.bar_note.text()
        with qtbot.waitSignal(clerk.loaded, timeout=WAIT):
            clerk.action_buttons["approve"].click()
        assert "待编号" in clerk.waiting.text() and clerk.waiting.isVisibleTo(clerk)
        assert clerk.view.timeline[-1].outcome == "pending"
        # the list, offline: it says what waits for the server; the box still lists the 请示
        from ui.documents.page import DocumentsPage

        page = DocumentsPage("公文")
        qtbot.addWidget(page)
        page.show()
        with qtbot.waitSignal(page.loaded, timeout=WAIT):
            page.set_session(clerk.session, "")
        assert page.offline_note.isVisible() and "编号、用印需服务器完成" in page.offline_note.text()
        page.tabs.setCurrentIndex(5)  # 发文
        qtbot.waitUntil(lambda: SHOT_TITLE in _rows(page), timeout=WAIT)
    finally:
        _close(actors)


def test_sender_sees_receipts_and_chases_a_unit(qtbot, tmp_path, demo_server, monkeypatch):
    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", attachments=1)
    try:
        w = _window(qtbot, actors["huangxiaomei"], doc_id)
        assert w.receipts_box.isVisibleTo(w)
        table = w.receipts
        shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
        assert shown == {"普宁市人民政府": "已签收", "普宁市财政局": "已退回",
                         "普宁市政务服务数据管理局": "已发送"}
        row = {table.item(r, 0).text(): r for r in range(table.rowCount())}
        assert table.item(row["普宁市人民政府"], 2).text() == "吴琼"
        # each state the city's copy went through, with its time
        assert [line.split("　")[0] for line in
                table.item(row["普宁市人民政府"], 1).toolTip().splitlines()] == [
            "已发送", "已送达", "已签收"]
        assert "本局非主送机关" in table.item(row["普宁市财政局"], 4).text()
        units = {r.unit_name: r.unit_id for r in w.view.receipts}
        assert not table.buttons[("chase", units["普宁市人民政府"])].isEnabled()  # signed for
        assert table.buttons[("resend", units["普宁市财政局"])].isEnabled()  # returned
        chase = table.buttons[("chase", units["普宁市政务服务数据管理局"])]
        assert chase.isEnabled()
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            chase.click()
        assert w.problem.text() == ""
        queued = [op["payload"] for op in actors["huangxiaomei"].store.records.outbox()
                  if op["entity"] == "document_events"]
        assert [(p["receipt_action"], p["document_id"]) for p in queued] == [("chase", doc_id)]
        assert actors["huangxiaomei"].sync().applied == 1  # the server counts the 催收
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            w.reload()
        bureau = next(r for r in w.view.receipts if r.unit_name == "普宁市政务服务数据管理局")
        assert bureau.chased == 1
        assert "已催收 1 次" in table.item(row["普宁市政务服务数据管理局"], 4).text()
        # an attachment is saved where the user chooses (decrypted from the profile)
        import ui.documents.window as window_module

        target = tmp_path / "saved.csv"
        monkeypatch.setattr(window_module.QFileDialog, "getSaveFileName",
                            staticmethod(lambda *a, **k: (str(target), "")))
        item = w.attachments.item(0)
        assert item.text().startswith("附件1：堤防险情统计表1")
        w.attachments.itemActivated.emit(item)
        qtbot.waitUntil(lambda: "附件已保存" in w.problem.text(), timeout=WAIT)
        assert target.read_text(encoding="utf-8").startswith("地点,长度（米）,险情")
        # the state line, the timeline up to 分发, the number the server gave
        assert "已分发" in w.status.text() and "洪府〔" in w.elements.text()
        assert [e.step_name for e in w.view.timeline] == [
            "起草", "核稿", "签发", "复核", "编号", "用印", "分发"]
    finally:
        _close(actors)


def test_standing_delegation_from_the_list(qtbot, tmp_path, file_keyring, demo_server, monkeypatch):
    from ui.documents import page as page_module

    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "lianghaitao")
    wait_synced(qtbot, window)
    window.navigate(1)
    page = window.record_pages[1]
    start = date.today()

    class Picked:  # the dialog as a user fills it: 朱艳萍, a week from today
        def __init__(self, title, people, parent, **kwargs):
            self.people = dict(people)

        def exec(self):
            return True

        def person(self):
            return next(i for i, label in self.people.items() if label.startswith("朱艳萍"))

        def dates(self):
            return start, start + timedelta(days=6)

    monkeypatch.setattr(page_module, "PersonDialog", Picked)
    with qtbot.waitSignal(page.wrote, timeout=WAIT):
        page.standing_delegation()
    store = window.session.store
    rows = store.records.list("delegations")
    assert len(rows) == 1 and rows[0]["principal_id"] == window.session.user_id
    assert (rows[0]["start"], rows[0]["end"]) == (start.isoformat(), (start + timedelta(days=6)).isoformat())
    close_main(qtbot, window)


def test_compose_saves_a_draft_then_sends_it_for_review(qtbot, tmp_path, file_keyring,
                                                        demo_server, monkeypatch):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "huangxiaomei")  # 洪阳镇 文书
    wait_synced(qtbot, window)
    window.navigate(1)
    page = window.record_pages[1]
    compose = page.compose()
    form = compose.form
    qtbot.waitUntil(lambda: "普宁市人民政府" in form.units, timeout=WAIT)
    assert form.issuer_name.text() == "洪阳镇人民政府"
    form.kind.setCurrentText("请示")
    form.title.setText("洪阳镇人民政府关于增设防汛物资储备点的请示")
    form.main_to.setText("普宁市人民政府")
    form.cc_to.setText("不存在的单位")
    form.body.setPlainText("市人民政府：\n拟在宝镜院村增设防汛物资储备点一处。\n妥否，请批示。")
    # a unit the directory does not know is refused, naming the element, and nothing is saved
    records = page.session.store.records
    documents_before, outbox_before = records.count("documents"), records.outbox()
    form.request(submit=False)
    qtbot.waitUntil(lambda: "【抄送机关】" in form.problem.text(), timeout=WAIT)
    assert "不存在的单位" in form.problem.text() and form.doc_id is None
    assert records.count("documents") == documents_before
    assert not [d for d in records.list("documents", limit=1000) if d.get("title") == form.title.text()]
    assert records.outbox() == outbox_before == []
    form.cc_to.setText("普宁市财政局")
    attachment = tmp_path / "储备点选址图.txt"
    attachment.write_text("宝镜院村委会旁空地，面积约200平方米。", encoding="utf-8")
    form.add_files([attachment])
    qtbot.waitUntil(lambda: form.attachments.count() == 1, timeout=WAIT)
    with qtbot.waitSignal(page.wrote, timeout=WAIT) as wrote:
        assert form.request(submit=False)
    doc_id = wrote.args[0]
    assert "草稿已保存" in form.problem.text() and form.doc_id == doc_id
    page.tabs.setCurrentIndex(3)  # 草稿
    qtbot.waitUntil(lambda: _rows(page) == ["洪阳镇人民政府关于增设防汛物资储备点的请示"],
                    timeout=WAIT)
    # the draft's window offers 送审 and 修改要素, which brings the elements back into the form
    form.title.setText("（未保存的改动）")
    w = page.open_document(doc_id)  # the page owns it
    qtbot.waitUntil(lambda: w.view is not None, timeout=WAIT)
    assert "submit" in w.action_buttons and w.edit_elements.isVisibleTo(w)
    # 修改正文: a revision with my name; 痕迹 then compares it with the first text
    import ui.documents.window as window_module

    class Edited:
        def __init__(self, body, parent):
            self.body = body

        def exec(self):
            return True

        def text(self):
            return self.body.replace("一处", "两处")

    monkeypatch.setattr(window_module, "BodyDialog", Edited)
    w.edit_body.click()
    # a reload queued before the edit (the draft's sync) may land first: wait for the edit's
    qtbot.waitUntil(lambda: "两处" in w.view.body, timeout=WAIT)
    assert len(w.view.revisions) == 1
    with qtbot.waitSignal(w.body.shown, timeout=WAIT):
        w.body.marked_button.click()
    assert ("insert", "两") in w.body.segments and ("delete", "一") in w.body.segments
    w.edit_elements.click()
    qtbot.waitUntil(lambda: form.heading.text() == "修改草稿", timeout=WAIT)
    assert form.title.text() == "洪阳镇人民政府关于增设防汛物资储备点的请示"
    assert (form.main_to.text(), form.cc_to.text()) == ("普宁市人民政府", "普宁市财政局")
    assert form.attachments.count() == 1 and form.doc_id == doc_id
    w.close()
    # 送核稿: the same draft (not a second one), then it leaves 草稿
    with qtbot.waitSignal(page.wrote, timeout=5000, raising=False) as wrote:
        assert form.request(submit=True)
    assert wrote.signal_triggered, form.problem.text()
    assert wrote.args[0] == doc_id and page.compose_window is None
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and page.box == "drafts", timeout=WAIT)
    store = window.session.store
    qtbot.waitUntil(lambda: store.records.get("documents", doc_id).get("state") == "review"
                    and not window.sync.running, timeout=WAIT)
    doc = store.records.get("documents", doc_id)
    assert doc["cc_to_names"] == ["普宁市财政局"] and doc["main_to_names"] == ["普宁市人民政府"]
    assert [a["name"] for a in doc["attachments"]] == ["储备点选址图"]
    assert store.records.count("documents") == len({d["id"] for d in store.records.list(
        "documents", limit=1000)})
    close_main(qtbot, window)


def test_delegate_acts_for_the_leader_and_a_late_withdrawal_shows_superseded(qtbot, tmp_path,
                                                                             demo_server):
    from oa_client.services import documents as svc
    from ui.documents.shots import Actor

    root = tmp_path / "actors"
    doc_id, actors = issue_document(demo_server.url, root, stop_after="review")
    try:
        boss = actors["lianghaitao"]
        deputy = actors["zhuyanping"] = Actor(demo_server.url, root, "zhuyanping")
        svc.delegate(boss.store, me=boss.me, delegate_id=deputy.user_id, start=date.today(),
                     end=date.today() + timedelta(days=3))
        boss.sync()
        deputy.sync()
        w = _window(qtbot, deputy, doc_id)
        button = w.action_buttons["approve"]
        assert "代梁海涛" in button.text()  # acting under the 委托 says for whom
        w.opinion.setPlainText("同意上报。")
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            button.click()
        deputy.sync()
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            w.reload()
        last = w.view.timeline[-1]
        assert (last.step_name, last.actor_name, last.delegated_note, last.outcome) == (
            "签发", "朱艳萍", "代梁海涛", "accepted")
        assert "代梁海涛" in w.timeline.toPlainText()

        # 撤回 taken offline after the next step was already handled: kept, shown superseded
        late, _ = issue_document(demo_server.url, root, title="洪阳镇人民政府关于增补防汛抢险队员的请示",
                                 stop_after="draft", actors=actors, attachments=0)
        drafter = actors["huangxiaomei"]
        svc.act(drafter.store, me=drafter.me, doc_id=late, action="withdraw", step="draft")
        actors["chenweijie"].act(late, "approve", "review", opinion="同意。")
        assert drafter.sync().superseded == 1
        mine = _window(qtbot, drafter, late)
        entry = mine.view.timeline[-1]
        assert (entry.action, entry.outcome) == ("withdraw", "superseded")
        text = mine.timeline.toPlainText()
        assert "已失效：该环节已由他人办理，意见保留" in text and entry.reason in text
    finally:
        _close(actors)


def test_a_conflicting_body_edit_is_kept_compared_and_taken_again(qtbot, tmp_path, demo_server,
                                                                 monkeypatch):
    from oa_client.services import documents as svc
    from ui.documents.shots import Actor

    doc_id, actors = issue_document(demo_server.url, tmp_path / "actors", stop_after="draft",
                                    attachments=0)
    laptop = actors["laptop"] = Actor(demo_server.url, tmp_path / "laptop", "chenweijie")
    try:
        desk = actors["chenweijie"]  # the director holds 核稿 on two devices
        desk.sync()
        laptop.sync()
        body = desk.store.records.get("documents", doc_id)["body"]
        svc.save_body(laptop.store, me=laptop.me, doc_id=doc_id,  # offline on the laptop …
                      body=body.replace("妥否，请批示。", "以上请示妥否，请批示。"))
        svc.save_body(desk.store, me=desk.me, doc_id=doc_id,  # … while the desk sends first
                      body=body.replace("9处", "十处"))
        desk.sync()
        laptop.sync()
        w = _window(qtbot, laptop, doc_id)
        assert w.conflict.isVisibleTo(w) and "冲突稿" in w.conflict_text.text()
        assert "十处" in w.view.body  # the server's text stays …
        mine = [r for r in w.view.revisions if r.get("conflicted")]
        assert len(mine) == 1 and "以上请示妥否" in mine[0]["body"]  # … and nothing is lost
        with qtbot.waitSignal(w.body.shown, timeout=WAIT):
            w.conflict_compare.click()
        assert ("insert", "以上请示") in w.body.segments
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            w.conflict_reapply.click()
        assert laptop.sync().applied >= 1
        with qtbot.waitSignal(w.loaded, timeout=WAIT):
            w.reload()
        assert "以上请示妥否" in w.view.body and not w.conflict.isVisibleTo(w)

        # a draft that was never sent can be deleted from its window (after a confirmation)
        import ui.documents.window as window_module

        draft_id, _ch = svc.compose(actors["huangxiaomei"].store, me=actors["huangxiaomei"].me,
                                    fields={"doc_kind": "通知", "title": "一份不再需要的通知"})
        d = _window(qtbot, actors["huangxiaomei"], draft_id)
        assert d.delete_draft.isVisibleTo(d)
        monkeypatch.setattr(window_module.QMessageBox, "question",
                            staticmethod(lambda *a, **k: window_module.QMessageBox.StandardButton.Yes))
        with qtbot.waitSignal(d.changed, timeout=WAIT):
            d.delete_draft.click()
        assert actors["huangxiaomei"].store.records.get("documents", draft_id)["deleted"]
    finally:
        _close(actors)


def test_a_draft_keeps_copy_number_secrecy_term_joint_issuers_and_imprint(tmp_path, demo_server):
    from ui.documents import data
    from ui.documents.shots import Actor

    drafter = Actor(demo_server.url, tmp_path / "actors", "liuyang")  # 市府办 科员
    try:
        values = {"kind": "通知", "secrecy": "内部", "secrecy_term": "1年", "urgency": None,
                  "title": "普宁市人民政府办公室　普宁市政务服务数据管理局关于做好数据安全工作的通知",
                  "main_to": ["普宁市财政局"], "cc_to": [], "countersign_departments": [],
                  "co_issuing_units": ["普宁市政务服务数据管理局"], "body": "各单位：\n请做好数据安全工作。",
                  "note": None, "issuer_name": "普宁市人民政府办公室", "copy_no": "12",
                  "printer": "普宁市人民政府办公室", "print_date": "2026-03-05", "attachments": []}
        doc_id = data.save_draft(drafter.store, drafter.me, values, submit=False)
        report = drafter.sync()
        assert (report.rejected, report.conflicts) == (0, 0)
        rec = drafter.store.records.get("documents", doc_id)  # as the server kept it
        assert rec["co_issuing_units"] == [drafter.unit_id("普宁市政务服务数据管理局")]
        assert (rec["copy_no"], rec["secrecy"], rec["secrecy_term"]) == ("12", "内部", "1年")
        assert (rec["printer"], rec["print_date"]) == ("普宁市人民政府办公室", "2026-03-05")
        back = data.draft_values(drafter.store, doc_id)
        assert {k: back[k] for k in ("co_issuing_units", "copy_no", "secrecy_term", "printer",
                                     "print_date")} == {
            "co_issuing_units": ["普宁市政务服务数据管理局"], "copy_no": "12", "secrecy_term": "1年",
            "printer": "普宁市人民政府办公室", "print_date": "2026-03-05"}
        with pytest.raises(ValidationError) as refused:  # a unit the directory does not know
            data.save_draft(drafter.store, drafter.me,
                            {**values, "co_issuing_units": ["不存在的单位"]}, submit=False)
        assert refused.value.field == "co_issuing_units"
    finally:
        drafter.close()


def test_a_draft_keeps_its_countersign_departments_as_department_ids(tmp_path, demo_server):
    from oa_client.services import documents as svc
    from oa_client.services.documents_routing import unit_departments
    from ui.documents import data
    from ui.documents.shots import Actor

    drafter = Actor(demo_server.url, tmp_path / "actors", "liuyang")  # 市府办 秘书科
    try:
        depts = {d.name: d.id for d in unit_departments(drafter.store, drafter.unit_id(
            "普宁市人民政府办公室"))}
        values = {"kind": "通知", "secrecy": "非涉密", "urgency": None,
                  "title": "普宁市人民政府办公室关于做好防汛值班工作的通知",
                  "main_to": ["普宁市财政局"], "cc_to": [], "co_issuing_units": [],
                  "countersign_departments": ["秘书科", "财务科"], "date": "2026-03-05",
                  "body": "各单位：\n请做好防汛值班工作。", "note": None,
                  "issuer_name": "普宁市人民政府办公室", "attachments": []}
        doc_id = data.save_draft(drafter.store, drafter.me, values, submit=False)
        report = drafter.sync()
        assert (report.rejected, report.conflicts) == (0, 0)
        rec = drafter.store.records.get("documents", doc_id)  # as the server kept it
        assert rec["countersign_departments"] == [depts["秘书科"], depts["财务科"]]
        assert rec["date"] == "2026-03-05"
        back = data.draft_values(drafter.store, doc_id)
        assert (back["countersign_departments"], back["date"]) == (["秘书科", "财务科"], "2026-03-05")
        before = drafter.store.records.get("documents", doc_id)
        for bad in (["不存在科"], ["普宁市财政局"]):  # not a department of my unit: refused
            with pytest.raises(ValidationError) as refused:
                data.save_draft(drafter.store, drafter.me, {**values, "countersign_departments":
                                                            ["秘书科", *bad]}, submit=False,
                                doc_id=doc_id)
            assert refused.value.field == "countersign_departments"
            assert str(refused.value).startswith(f"本单位没有这些科室：{bad[0]}。")
        assert drafter.store.records.get("documents", doc_id) == before  # nothing written
        # a draft an older client saved with a unit's id (its form took unit names): readable
        old_id, _ch = svc.compose(drafter.store, me=drafter.me, fields={
            "doc_kind": "通知", "title": "普宁市人民政府办公室关于旧草稿的通知",
            "body": "各单位：\n旧草稿。", "countersign_departments": [drafter.unit_id("普宁市财政局")]})
        assert data.draft_values(drafter.store, old_id)["countersign_departments"] == ["普宁市财政局"]
    finally:
        drafter.close()
