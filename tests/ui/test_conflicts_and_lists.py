"""A conflict appears in the panel and is resolved; the lazy list at 100,000 rows;
settings applied without a restart."""

from __future__ import annotations

import json

from oa_client.services.records import save
from tests.sync.support import live_records, make_client
from tests.ui.support import WAIT, close_main, make_shell, sign_in
from ui.lazy_model import BATCH, LazyRecordModel
from ui.qt import QApplication, Qt

DRAFT = "普宁市人民政府办公室关于开展机关作风建设专项检查的通知"


def test_conflict_shown_and_resolved_keep_mine(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    store = window.session.store
    mine = store.records.list("documents", where={"title": DRAFT})[0]

    # the section chief edits the same draft on her computer first
    chief = make_client(demo_server, tmp_path / "chief", "zhengxiaoyan")
    chief.engine.sync()
    theirs = dict(chief.store.records.get("documents", mine["id"]))
    theirs = {k: v for k, v in theirs.items() if k not in ("updated_at", "deleted")}
    theirs["body"] = "核稿意见已改：请补充检查时间安排。"
    save(chief.store, "documents", theirs)
    chief.engine.sync()

    edited = {k: v for k, v in mine.items() if k not in ("updated_at", "deleted")}
    edited["body"] = "拟稿人修改：增加第四条 工作纪律。"
    save(store, "documents", edited)
    window.sync_now()
    qtbot.waitUntil(lambda: window.sync.state == "attention", timeout=WAIT)
    assert "需要处理（1）" in window.sync_label.text()
    assert window.sync.open_conflicts == 1

    window.show_conflicts()
    panel = window.conflicts_panel
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: len(panel.items) == 1, timeout=WAIT)
    assert "工作纪律" in panel.mine.toPlainText()
    assert "补充检查时间" in panel.theirs.toPlainText()
    assert panel.keep_mine_button.isEnabled()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        panel.keep_mine_button.click()
    qtbot.waitUntil(lambda: panel.items == [], timeout=WAIT)
    row = store.db.query("SELECT resolved_at, resolution FROM conflicts")[0]
    assert row[0] and json.loads(row[1])["choice"] == "mine"

    window.sync_now()
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    chief.engine.sync()
    assert live_records(chief.store)[mine["id"]][1]["body"] == "拟稿人修改：增加第四条 工作纪律。"
    chief.close()
    close_main(qtbot, window)


def test_lazy_model_fetches_only_visible_batches_and_disables_failed_rows(qtbot):
    ids = [f"id{i:06d}" for i in range(100_000)]
    asked: list[int] = []

    def fetch(batch: list[str]) -> dict[str, dict]:
        asked.append(len(batch))
        return {i: {"id": i, "title": f"公文 {i}", "state": "review"} for i in batch
                if i != "id000007"}

    model = LazyRecordModel(["title", "state"])
    model.set_ids(ids, fetch)
    assert model.rowCount() == 100_000
    assert model.data(model.index(5, 0)) == "…"  # asks for the batch, never blocks
    qtbot.waitUntil(lambda: model.record(5) is not None, timeout=WAIT)
    assert model.data(model.index(5, 0)) == "公文 id000005"
    assert model.data(model.index(5, 1)) == "核稿"
    assert asked == [BATCH]
    failed = model.index(7, 0)
    assert model.data(failed) == "（无法读取）"
    assert not (model.flags(failed) & Qt.ItemFlag.ItemIsEnabled)
    model.data(model.index(99_999, 0))
    qtbot.waitUntil(lambda: model.record(99_999) is not None, timeout=WAIT)
    assert asked == [BATCH, BATCH]


def test_settings_font_scale_and_language_apply_at_once(qtbot, tmp_path, file_keyring, demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url)
    window = sign_in(qtbot, shell, "liuyang")
    app = QApplication.instance()
    size = app.font().pointSizeF()
    prefs = type(window.prefs)(**{**window.prefs.__dict__, "font_scale": 150, "language": "en",
                                  "proxy": "http://127.0.0.1:9"})
    window.apply_prefs(prefs)
    try:
        assert app.font().pointSizeF() == size * 1.5
        assert window.nav.item(0).text() == "To-do"
        assert window.act_sync.text().startswith("Sync")
        assert window.session.transport.http.proxies == {"http": "http://127.0.0.1:9",
                                                         "https": "http://127.0.0.1:9"}
    finally:
        window.apply_prefs(type(prefs)(**{**prefs.__dict__, "font_scale": 100, "language": "zh_CN",
                                          "proxy": ""}))
    assert window.nav.item(0).text() == "待办"
    close_main(qtbot, window)


def test_live_update_brings_a_new_todo_and_a_notification(qtbot, tmp_path, file_keyring,
                                                          demo_server):
    shell = make_shell(tmp_path, file_keyring, demo_server.url, live_updates=True)
    window = sign_in(qtbot, shell, "zhengxiaoyan")
    qtbot.waitUntil(lambda: window.sync.state == "synced", timeout=WAIT)
    before = len(window.todo_page.model.items)
    # a draft is sent for 核稿 and the office director asks her section to 会签; nobody presses F5
    from oa_client.services import documents as docs

    drafter = make_client(demo_server, tmp_path / "drafter", "liuyang")
    director = make_client(demo_server, tmp_path / "director", "huangjianhua")
    doc_id, _ = docs.compose(drafter.store, me=drafter.transport.user, fields={
        "doc_kind": "通知", "title": "关于开展安全生产大检查的通知",
        "body": "请各单位立即开展安全生产大检查。"})
    docs.act(drafter.store, me=drafter.transport.user, doc_id=doc_id, action="submit", step="draft")
    drafter.engine.sync()
    director.engine.sync()
    dept = window.session.me["department"]["id"]
    docs.act(director.store, me=director.transport.user, doc_id=doc_id, action="approve",
             step="review", values={"countersign_departments": [dept]})
    director.engine.sync()
    qtbot.waitUntil(lambda: len(window.todo_page.model.items) == before + 1, timeout=WAIT)
    assert any("安全生产大检查" in n for n in window.notifications)
    drafter.close()
    director.close()
    close_main(qtbot, window)
