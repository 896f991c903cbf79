"""What a remembered start imports: the window shows before the store, sync and HTTP stacks
are loaded, and the 待办 list fills without the libraries only other screens need (PDF,
signatures, office files, the server). Run in a child process, as main.py starts the client,
so the imports of other tests cannot hide one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oa_client.services import account
from oa_client.store.local import open_store
from oa_client.store.profile import profile_slug

ROOT = Path(__file__).resolve().parents[2]
SERVER = "http://127.0.0.1:9"  # nothing listens: an offline start
LOGIN = "wangwei"

#: started by a helper the moment the main window shows, before any worker runs
NOT_WHEN_SHOWN = (
    "requests", "urllib3", "pydantic", "sqlcipher3", "cryptography", "argon2", "keyring",
    "sync", "oa_client.store.local", "oa_client.domain.workflow", "ui.shell_session",
    "ui.sync_controller", "ui.signin", "ui.admin",
)
#: still absent once the session is open and the 待办 list is filled
NOT_WHEN_TODO_READY = (
    "pyhanko", "pyhanko_certvalidator", "aiohttp", "reportlab", "docx", "openpyxl", "PIL",
    "pypdfium2", "sqlalchemy", "fastapi", "oa_server", "docs_exchange.verify",
    "docs_exchange.pdf", "ui.documents.window", "ui.meetings",
    "ui.requests", "ui.reports", "ui.supervision", "ui.signin", "ui.admin",
)

CHILD = """
import json, sys
from pathlib import Path
import main

seen = {}

def drive(shell):
    from ui.qt import QApplication

    def shown(window):
        seen["shown"] = sorted(sys.modules)  # the loader starts after this returns
        import keyring
        from tests.support.file_keyring import FileKeyring
        keyring.set_keyring(FileKeyring(Path(sys.argv[1])))
        window.session_ready.connect(lambda: window.sync.todos_changed.connect(
            lambda items: done(window, items)))

    def done(window, items):
        if "todo" in seen:
            return
        seen["todo"] = sorted(sys.modules)
        seen["todo_count"] = len(items)
        seen["todo_rows"] = window.todo_page.model.rowCount()
        print(json.dumps(seen), flush=True)
        window.stop()
        QApplication.instance().quit()

    shell.main_shown.connect(shown)

sys.exit(main.main(["--profile", sys.argv[2]], on_shell=drive))
"""


def _profile(tmp_path: Path, file_keyring) -> Path:
    """A remembered offline profile holding a document that waits for me."""
    profiles = tmp_path / "profiles"
    store = open_store(profiles / profile_slug(SERVER, LOGIN), keyring_backend=file_keyring,
                       server_url=SERVER, username=LOGIN)
    store.records.write("documents", [
        {"direction": "incoming", "doc_kind": "通知", "title": "关于防汛值班安排的通知",
         "state": "handle", "holder_ids": ["u-wang"], "rev": 1},
        {"direction": "outgoing", "doc_kind": "函", "title": "关于商请支持的函",
         "state": "archived", "rev": 1}])
    account.save_me(store, {"id": "u-wang", "login": LOGIN, "name": "王伟",
                            "unit": {"id": "unit-1", "name": "普宁市人民政府办公室"}})
    store.close()
    conf = tmp_path / "config" / "zhengwu-oa"
    conf.mkdir(parents=True)
    (conf / "zhengwu-oa.conf").write_text(
        f"[signin]\nremember=true\nserver={SERVER}\nlogin={LOGIN}\n", encoding="utf-8")
    return profiles


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


def test_remembered_start_defers_what_later_screens_need(tmp_path, file_keyring):
    profiles = _profile(tmp_path, file_keyring)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(file_keyring.file.parent),
                          str(profiles)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])

    assert seen["todo_count"] == 1 and seen["todo_rows"] == 1  # the start did open the profile
    assert "ui.main_window" in seen["shown"] and "ui.pages" in seen["shown"]
    assert _loaded(seen["shown"], NOT_WHEN_SHOWN) == []
    assert "oa_client.store.local" in seen["todo"]  # the worker opened the store meanwhile
    assert _loaded(seen["todo"], NOT_WHEN_TODO_READY) == []
    assert "ui.documents.page" in seen["todo"]  # the 公文 screen, built while the profile opened


def test_module_screens_are_built_when_first_shown(qtbot):
    from ui.main_window import MainWindow

    window = MainWindow(live_updates=False)
    qtbot.addWidget(window)
    window.show()
    assert window.stack.currentWidget() is window.todo_page  # the 待办 screen first
    assert window.record_pages.values() == []
    assert not any(window.record_pages.built(i) for i in range(1, 6))

    window.navigate(2)  # 会议: built now, in its own slot, the others still not
    assert window.record_pages.built(2)
    assert [i for i, _page in window.record_pages.items()] == [2]
    assert window.stack.currentIndex() == 2
    assert window.stack.currentWidget().widget() is window.record_pages[2]
    assert window.record_pages[2].isVisible()

    window.navigate(6)  # the slots after it kept their places
    assert window.stack.currentWidget() is window.contacts_page
    assert window.record_pages[2] is window.record_pages[2]  # built once


def test_the_documents_screen_is_built_while_the_profile_opens(qtbot):
    import threading

    from oa_client.errors import KeyUnavailable
    from ui.main_window import MainWindow

    window = MainWindow(live_updates=False)
    qtbot.addWidget(window)
    window.show()
    opening = threading.Event()

    def loader():  # a profile still opening on its worker, whose key then cannot be read
        opening.wait(10)
        raise KeyUnavailable("no key")

    window.load(loader)
    qtbot.waitUntil(lambda: window.record_pages.built(1), timeout=5000)
    assert [i for i, _page in window.record_pages.items()] == [1]  # 公文 only
    assert window.session is None and window.stack.currentWidget() is window.todo_page
    window.navigate(1)  # a click meanwhile shows the screen built already
    assert window.stack.currentWidget().widget() is window.record_pages[1]

    with qtbot.waitSignal(window.open_failed, timeout=5000):
        opening.set()
    assert window.sync_label.text() == "本机数据未打开"  # said as before
