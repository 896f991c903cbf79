"""What the UI benchmarks' child processes share: the Qt app, an offline session on the
bench profile, and a wait that keeps the event loop turning. Imported only in a child."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from bench._ui_profile import LOGIN, SERVER, EnvKeyring
from oa_client.services import account
from oa_client.store.local import open_store
from ui.app import make_app
from ui.qt import QApplication
from ui.shell_session import profile_dir_for


def start(root: str) -> SimpleNamespace:
    """The app and a signed-in session on the bench profile under `root` (offline)."""
    app = make_app([], language="zh_CN")
    store = open_store(profile_dir_for(Path(root) / "profiles", SERVER, LOGIN),
                       keyring_backend=EnvKeyring(), server_url=SERVER, username=LOGIN)
    me = account.load_me(store)
    session = SimpleNamespace(
        store=store, me=me, transport=None, user_id=me["id"], unit_id=me["unit"]["id"],
        unit_name=me["unit"]["name"], display_name=me["name"],
        names={r["id"]: r["name"] for r in store.records.list("users", limit=100)})
    return SimpleNamespace(app=app, store=store, session=session)


def until(flag: Callable[[], object], timeout: float = 60.0) -> None:
    """Turn the event loop until `flag()` is true (TimeoutError after `timeout` s)."""
    end = time.monotonic() + timeout
    while not flag():
        QApplication.processEvents()
        if time.monotonic() > end:
            raise TimeoutError
        time.sleep(0.0005)
