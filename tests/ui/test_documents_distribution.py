"""The 分送 editor of a 纪要 in the document window, against the demo server: the drafter
removes and adds units (clicks, Delete, the unit picker) and saves; an empty list, a unit the
org chart no longer has and a change the server refuses (the leader signed it off meanwhile)
are each said in Chinese with the edits kept; after 签发, and for anyone but the drafter, the
list is read-only. (The 纪要 is drafted and moved along by the demo users' services: set-up.)"""

from __future__ import annotations

from oa_client.services import meetings_minutes as minutes
from tests.ui.journey import WAIT, _front, click, tick_item, type_into
from tests.ui.test_documents_screens import _close
from ui.documents.shots import Actor, actor_session
from ui.documents.window import DocumentWindow
from ui.qt import QApplication, QDialogButtonBox, Qt, QTest, QTimer

FLOOD = "全市防汛工作会议"
CITY, DATA, TOWN, FINANCE = "普宁市人民政府", "普宁市政务服务数据管理局", "洪阳镇人民政府", "普宁市财政局"


def draft_minutes(actor: Actor, *, submit: bool = False) -> str:
    """谢芳 writes the flood meeting's 纪要 (分送 from its invited units) and syncs it."""
    meeting = next(m for m in actor.store.records.list("meetings", limit=100)
                   if m.get("title") == FLOOD)
    draft = minutes.draft_minutes(actor.store, meeting["id"], {})
    doc_id, _c = minutes.save_minutes(actor.store, me=actor.me, meeting_id=meeting["id"],
                                      title=draft.title, body=draft.body)
    if submit:
        minutes.route_minutes(actor.store, me=actor.me, doc_id=doc_id, opinion="请审核。")
    assert actor.sync().rejected == 0
    return doc_id


def answer_unit_chooser(qtbot, panel, *, filter_text: str, tick: list[str]) -> None:
    """When 添加单位 opens the picker: type the filter, tick the units by clicking their rows
    and pressing Space, click 确定 — as a person does."""
    tries = [0]

    def act() -> None:
        chooser = getattr(panel, "chooser", None)
        if chooser is None or not chooser.isVisible():
            tries[0] += 1
            if tries[0] < 400:
                QTimer.singleShot(50, act)
            return
        try:
            type_into(chooser.filter, filter_text)
            for name in tick:
                item = next(chooser.list.item(i) for i in range(chooser.list.count())
                            if chooser.list.item(i).text() == name)
                assert not item.isHidden(), name
                tick_item(chooser.list, item)
        except BaseException:  # never leave a modal dialog open
            chooser.reject()
            raise
        ok = chooser.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        QTest.mouseClick(ok, Qt.MouseButton.LeftButton)

    panel.chooser = None
    QTimer.singleShot(0, act)


def remove_unit(panel, name: str) -> None:
    """Click the unit's row and press Delete."""
    lst = panel.units
    item = next(lst.item(i) for i in range(lst.count()) if lst.item(i).text() == name)
    _front(lst)
    QTest.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     lst.visualItemRect(item).center())
    assert lst.currentItem() is item
    QTest.keyClick(lst, Qt.Key.Key_Delete)


def _window(qtbot, actor: Actor, doc_id: str, *, offline: bool = False) -> DocumentWindow:
    session = actor_session(actor)
    if offline:
        session.transport = None
    w = DocumentWindow(session, doc_id)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.distribution.loaded, timeout=WAIT):
        w.reload()
    return w


def _set_deleted(actor: Actor, unit_id: str, deleted: bool) -> None:
    """What a fetch of the org chart does to a dissolved unit (set-up, not a user's step)."""
    with actor.store.db.transaction() as conn:
        conn.execute("UPDATE units SET deleted = ? WHERE id = ?", (int(deleted), unit_id))


def _main_to(actor: Actor, doc_id: str) -> list[str]:
    return list(actor.store.records.get("documents", doc_id).get("main_to_names") or [])


def test_drafter_edits_the_distribution_and_bad_input_is_refused_in_chinese(
        qtbot, tmp_path, demo_server):
    actors = {"xiefang": Actor(demo_server.url, tmp_path / "actors", "xiefang")}
    drafter = actors["xiefang"]
    doc_id = draft_minutes(drafter)
    w = _window(qtbot, drafter, doc_id)
    panel = w.distribution
    assert panel.isVisible() and panel.unit_names() == [CITY, DATA, TOWN]
    assert panel.add_button.isEnabled() and not panel.save_button.isEnabled()
    assert "取自会议的参会单位" in panel.note.text()

    # every unit removed: 保存 is refused in the window, nothing is written
    for name in (CITY, DATA, TOWN):
        remove_unit(panel, name)
    assert panel.unit_names() == [] and panel.save_button.isEnabled()
    click(panel.save_button)
    assert panel.message.text() == "纪要至少要分送一个单位：请先添加分送单位。"
    assert _main_to(drafter, doc_id) == [CITY, DATA, TOWN]

    # added back from the org chart, with one more unit
    answer_unit_chooser(qtbot, panel, filter_text="普宁市", tick=[DATA, FINANCE])
    click(panel.add_button)
    qtbot.waitUntil(lambda: panel.unit_names() == [DATA, FINANCE], timeout=WAIT)
    answer_unit_chooser(qtbot, panel, filter_text="洪阳", tick=[TOWN])
    click(panel.add_button)
    qtbot.waitUntil(lambda: panel.unit_names() == [DATA, FINANCE, TOWN], timeout=WAIT)
    assert [u for _i, u in panel.view.choices if u == "普宁市人民政府办公室"] == []  # not to itself
    assert panel.message.text() == "分送单位已修改，尚未保存。"

    # a unit the org chart has since dropped: the service names it, the list stays as it was
    town_id = next(i for i, n in zip(panel.unit_ids(), panel.unit_names(), strict=True) if n == TOWN)
    _set_deleted(drafter, town_id, True)
    click(panel.save_button)
    qtbot.waitUntil(lambda: panel.message.text().startswith("分送未保存："), timeout=WAIT)
    assert "洪阳镇人民政府" in panel.message.text() and "不存在或已撤销" in panel.message.text()
    assert panel.unit_names() == [DATA, FINANCE, TOWN] and panel.save_button.isEnabled()
    assert _main_to(drafter, doc_id) == [CITY, DATA, TOWN]
    _set_deleted(drafter, town_id, False)

    # saved from the keyboard: Alt+F
    panel.units.setFocus()
    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.message.text() == "分送单位已保存，同步后生效。", timeout=WAIT)
    assert _main_to(drafter, doc_id) == [DATA, FINANCE, TOWN]
    qtbot.waitUntil(lambda: not w.busy and panel.unit_names() == [DATA, FINANCE, TOWN]
                    and not panel.dirty, timeout=WAIT)
    assert drafter.sync().rejected == 0
    assert drafter.store.records.get("documents", doc_id)["main_to_names"] == [DATA, FINANCE, TOWN]
    w.close()
    _close(actors)


def test_distribution_is_read_only_for_others_and_after_sign_off_and_a_refusal_is_kept(
        qtbot, tmp_path, demo_server):
    root = tmp_path / "actors"
    actors = {login: Actor(demo_server.url, root, login)
              for login in ("xiefang", "huangjianhua", "linhuimin")}
    drafter, director, leader = actors["xiefang"], actors["huangjianhua"], actors["linhuimin"]
    doc_id = draft_minutes(drafter, submit=True)
    director.act(doc_id, "approve", "review", opinion="同意。")  # on to 签发

    # the office director sees the 分送 but may not change it
    w = _window(qtbot, director, doc_id)
    panel = w.distribution
    assert panel.unit_names() == [CITY, DATA, TOWN]
    assert panel.note.text() == "只有拟稿人可以修改纪要的分送单位（只读）。"
    assert not (panel.add_button.isEnabled() or panel.remove_button.isEnabled()
                or panel.save_button.isEnabled())
    w.close()

    # the drafter, no longer a holder, still changes it before 签发
    drafter.sync()
    w = _window(qtbot, drafter, doc_id, offline=True)
    panel = w.distribution
    assert panel.add_button.isEnabled()
    remove_unit(panel, CITY)
    click(panel.save_button)
    qtbot.waitUntil(lambda: panel.message.text() == "分送单位已保存，同步后生效。", timeout=WAIT)
    assert drafter.sync().rejected == 0
    # the leader signs it off on his desk while the drafter, not yet synced, takes one more off
    leader.act(doc_id, "approve", "sign_off", opinion="同意。")
    qtbot.waitUntil(lambda: not w.busy and not panel.dirty and panel.view is not None
                    and panel.unit_names() == [DATA, TOWN], timeout=WAIT)
    remove_unit(panel, TOWN)
    click(panel.save_button)
    qtbot.waitUntil(lambda: panel.message.text() == "分送单位已保存，同步后生效。", timeout=WAIT)
    report = drafter.sync()  # the server refuses it: the 纪要 moved on and was signed off
    assert report.rejected + report.conflicts == 1 and report.applied == 0, report
    drafter.sync()
    assert _main_to(drafter, doc_id) == [DATA, TOWN]
    with qtbot.waitSignal(panel.loaded, timeout=WAIT):
        w.reload()
    qtbot.waitUntil(lambda: "服务器未接受您的分送修改" in panel.message.text(), timeout=WAIT)
    text = panel.message.text()  # the server's reason (the 纪要 moved on since) and what was lost
    assert text.startswith("服务器未接受您的分送修改：该记录已被他人修改。"), text
    assert text.endswith("未生效的分送：普宁市政务服务数据管理局。") and "。。" not in text
    assert panel.unit_names() == [DATA, TOWN]
    assert panel.note.text() == "纪要已签发，分送单位不能再修改（只读）。"
    assert not (panel.add_button.isEnabled() or panel.save_button.isEnabled())
    w.close()
    QApplication.processEvents()
    _close(actors)


def test_screenshot_of_the_distribution_editor(qtbot, tmp_path, demo_server):
    from ui.documents.shots import minutes_distribution_window

    actors: dict[str, Actor] = {}
    shots = []

    def shot(widget, name: str) -> None:
        path = tmp_path / f"{name}.png"
        assert widget.grab().save(str(path))
        shots.append((name, widget.distribution.unit_names(), widget.distribution.message.text()))

    minutes_distribution_window(demo_server.url, tmp_path / "actors", actors, shot,
                                lambda cond, timeout=30: qtbot.waitUntil(cond, timeout=int(timeout * 1000)))
    assert shots == [("04i-minutes-distribution", [DATA, TOWN, FINANCE], "分送单位已修改，尚未保存。")]
    assert (tmp_path / "04i-minutes-distribution.png").stat().st_size > 20_000
    _close(actors)
