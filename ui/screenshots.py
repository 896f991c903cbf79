"""`python -m ui.screenshots OUT_DIR`: every main screen and dialog, offscreen, with demo data.

Starts the demo server (through the demo wiring beside main.py, which may import the
server), signs in as a demo user like a person would, and saves a PNG per screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PASSWORD = "Demo@2026"  # noqa: S105 (the published demo password)


def _wait(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    from ui.qt import QApplication

    deadline = time.monotonic() + timeout
    while not cond():
        QApplication.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("screen did not get ready")
        time.sleep(0.02)
    for _ in range(5):
        QApplication.processEvents()


def _conflict(server_url: str, title: str, work: Path, login: str) -> None:
    """The same user on another device edits `title` first (so this desk gets a conflict)."""
    from oa_client.services.records import save
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from sync.engine import SyncEngine
    from sync.transport import MemoryTokenStore, Transport

    store = open_store(work / "other", keyring_backend=MemoryKeyring(), server_url=server_url,
                       username=login)
    t = Transport(server_url, device_id=store.device_id(), tokens=MemoryTokenStore())
    t.login(login, PASSWORD)
    engine = SyncEngine(store, t)
    engine.sync()
    doc = store.records.list("documents", where={"title": title})[0]
    doc = {k: v for k, v in doc.items() if k not in ("updated_at", "deleted")}
    doc["body"] += "三、检查时间：11月下旬至12月上旬。"
    save(store, "documents", doc)
    engine.sync()
    store.close()


def run(out: Path) -> list[Path]:
    """Render the screens into `out`; return the files written."""
    from demo_wiring import demo_user_list, start_demo_server
    from oa_client.store.keys import MemoryKeyring
    from ui.app import make_app
    from ui.demo import seed_demo_records
    from ui.qt import QSettings

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="oa-shots-"))
    app = make_app([], language="zh_CN")
    app.setOrganizationName("zhengwu-oa-screenshots")  # never touch the user's own settings
    QSettings().clear()
    server = start_demo_server(work / "demo-server")
    files: list[Path] = []

    def shot(widget, name: str) -> None:
        _wait(lambda: True)
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        files.append(path)

    try:
        seed_demo_records(server.url, workdir=work / "seed")
        from ui.shell import Shell

        shell = Shell(root=work / "profiles", keyring_backend=MemoryKeyring(), server_url=server.url,
                      demo_users=demo_user_list(), live_updates=False)
        shell.show_sign_in()
        w = shell.sign_in_window
        w.resize(720, 720)
        shot(w, "01-sign-in-demo-users")
        w.user.setText("huangjianhua")
        w.password.setText("wrong-password")
        w.sign_in_button.click()
        _wait(lambda: "错误" in w.message.text())
        shot(w, "02-sign-in-wrong-password")
        w.user_list.setCurrentRow(2)
        w.sign_in_button.click()
        _wait(lambda: shell.window is not None and shell.window.session is not None)
        window = shell.window
        window.resize(1360, 820)
        _wait(lambda: window.sync.state in ("synced", "attention") and not window.sync.running)
        _wait(lambda: bool(window.todo_page.model.items))
        shot(window, "03-todo")
        names = {1: "04-documents", 2: "05-meetings", 3: "06-requests", 4: "07-reports",
                 5: "08-supervision"}
        for index, name in names.items():
            window.navigate(index)
            page = window.record_pages[index]
            if hasattr(page, "screenshots"):  # a module's own screens
                page.screenshots(shot, window, _wait)
                continue
            _wait(lambda page=page: page.model.rowCount() > 0 and page.model.record(0) is not None)
            page.table.selectRow(0)
            _wait(lambda page=page: page.current is not None)
            shot(window, name)
        window.navigate(6)
        _wait(lambda: len(window.contacts_page.users) > 0)
        window.contacts_page.filter.setText("办公室")
        tree = window.contacts_page.tree
        for i in range(tree.topLevelItemCount()):
            top = tree.topLevelItem(i)
            if top.childCount():
                tree.setCurrentItem(top.child(0).child(0) or top.child(0))
        shot(window, "09-contacts")
        window.search_box.setText("防汛")
        window.run_search()
        _wait(lambda: bool(window.search_page.hits))
        shot(window, "10-search")

        # a draft of the signed-in 办公室主任's own (a colleague's draft he may not see), edited
        # on his other device first
        title = "普宁市人民政府办公室关于开展机关作风建设专项检查的通知（主任稿）"
        from oa_client.services.records import save

        store = window.session.store
        save(store, "documents", {
            "direction": "outgoing", "doc_kind": "通知", "secrecy": "非涉密", "state": "draft",
            "title": title, "drafter_id": window.session.user_id, "drafter_name": "黄建华",
            "issuer_name": "普宁市人民政府办公室",
            "body": "各镇人民政府（街道办事处），市直各单位：一、检查范围；二、检查内容。"})
        window.sync_now()
        _wait(lambda: window.sync.state == "synced" and not window.sync.running)
        _conflict(server.url, title, work, "huangjianhua")
        mine = store.records.list("documents", where={"title": title})[0]
        mine = {k: v for k, v in mine.items() if k not in ("updated_at", "deleted")}
        mine["body"] += "四、工作纪律：检查组成员要严格遵守中央八项规定精神。"
        save(store, "documents", mine)
        window.sync_now()
        _wait(lambda: window.sync.state == "attention")
        window.navigate(0)
        shot(window, "11-status-needs-attention")
        window.show_conflicts()
        panel = window.conflicts_panel
        _wait(lambda: bool(panel.items))
        shot(panel, "12-conflicts-panel")
        panel.close()

        from ui.settings_dialog import SettingsDialog

        settings = SettingsDialog(window.prefs, window.policy, window)
        settings.show()
        shot(settings, "13-settings")
        settings.close()
        window.lock()
        window.lock_dialog.password.setText("x")
        window.lock_dialog.try_unlock()
        _wait(lambda: bool(window.lock_dialog.problem.text()))
        shot(window.lock_dialog, "14-lock")
        window.lock_dialog.password.setText(PASSWORD)
        window.lock_dialog.try_unlock()
        _wait(lambda: not window.locked)
        from ui.passphrase_dialog import PassphraseDialog

        pd = PassphraseDialog(None, mode="create", reason="本机没有可用的系统密钥环。")
        pd.show()
        shot(pd, "15-passphrase")
        pd.close()
        window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "en"}))
        window.navigate(1)
        shot(window, "16-documents-english")
        window.apply_prefs(type(window.prefs)(**{**window.prefs.__dict__, "language": "zh_CN",
                                                  "font_scale": 150}))
        window.navigate(0)
        shot(window, "17-todo-font-150")
        window.stop()
        from ui.ops import db_pool

        db_pool().start(window.session.store.close)
        db_pool().waitForDone(10_000)
        window.close()
    finally:
        server.stop()
        QSettings().clear()
    del app
    return files


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ui.screenshots OUT_DIR", file=sys.stderr)
        return 2
    for path in run(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
