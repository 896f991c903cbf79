"""UI benchmark: start-up to the main window with 100,000 cached documents, against a bare
Qt window in the same run; first page of the 100k list; a search through the UI.

`todo_ready_ms` (session open → 待办 list filled) shows the cold scan of the profile
that follows the first paint; the search is timed after it. Each start is a fresh process (`main.py`, offscreen) on a remembered profile, so the
numbers include Python, Qt and our imports. The key reaches the child through a
keyring back-end read from the environment (`EnvKeyring`); nothing touches the
user's own settings (XDG_CONFIG_HOME points at the run's directory).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import keyring.backend

ROOT = Path(__file__).resolve().parents[1]
SERVER = "http://127.0.0.1:9"  # nothing listens: the start is offline, as on a plane
LOGIN = "bench"
FLOOR = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""


class EnvKeyring(keyring.backend.KeyringBackend):
    """Entries from the OA_BENCH_KEYRING environment variable (JSON), for child processes."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries = json.loads(os.environ.get("OA_BENCH_KEYRING", "{}"))

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret."""
        return self.entries.get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret (this process only)."""
        self.entries[f"{service}\x00{username}"] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret."""
        self.entries.pop(f"{service}\x00{username}", None)


def _build(root: Path, n: int) -> dict[str, str]:
    """A remembered profile holding `n` documents; returns the keyring entries."""
    from bench.corpus import Corpus
    from oa_client.services import account
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from ui.shell_session import profile_dir_for

    kr = MemoryKeyring()
    store = open_store(profile_dir_for(root / "profiles", SERVER, LOGIN), keyring_backend=kr,
                       server_url=SERVER, username=LOGIN)
    corpus = Corpus(seed=7)
    states = ("review", "sign_off", "handle", "circulate", "archived")
    for start in range(0, n, 1000):
        docs = [{"direction": "incoming" if i % 3 else "outgoing", "doc_kind": "通知",
                 "title": corpus.title(), "body": corpus.body(200), "state": states[i % 5],
                 "doc_number": f"普府办〔2026〕{start + i + 1}号", "rev": 1}
                for i in range(min(1000, n - start))]
        store.records.write("documents", docs)
    account.save_me(store, {"id": "u-bench", "login": LOGIN, "name": "王伟",
                            "unit": {"id": "unit-bench", "name": "普宁市人民政府办公室"}})
    store.close()
    conf = root / "config" / "zhengwu-oa"
    conf.mkdir(parents=True)
    (conf / "zhengwu-oa.conf").write_text(
        f"[signin]\nremember=true\nserver={SERVER}\nlogin={LOGIN}\n", encoding="utf-8")
    return {f"{s}\x00{u}": v for (s, u), v in kr.entries.items()}


def _env(root: Path, entries: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data"),
            "PYTHON_KEYRING_BACKEND": "bench.ui.EnvKeyring",
            "OA_BENCH_KEYRING": json.dumps(entries), "OA_BENCH_UI": "1"}


def _start(args: list[str], env: dict[str, str], marks: tuple[str, ...]) -> dict[str, float]:
    """Run a child; seconds from spawning to each marker line (and values it printed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    seen: dict[str, float] = {}
    assert proc.stdout is not None
    killer = threading.Timer(120, proc.kill)  # a child that hangs fails the run, not the box
    killer.start()
    try:
        for line in proc.stdout:
            word, _sep, value = line.strip().partition(" ")
            if word in marks:
                seen[word] = float(value) if value else time.perf_counter() - t0
        proc.wait(timeout=30)
    finally:
        killer.cancel()
    missing = [m for m in marks if m not in seen]
    if missing:
        raise RuntimeError(f"child did not report {missing}")
    return seen


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Measure start-up, first page and search; return the metrics."""
    n = 10_000 if quick else 100_000
    rounds = 3 if quick else 5
    root = Path(tempfile.mkdtemp(prefix="oa-bench-ui-"))
    try:
        t = time.perf_counter()
        entries = _build(root, n)
        build_s = time.perf_counter() - t
        env = _env(root, entries)
        app_args = [sys.executable, str(ROOT / "main.py"), "--profile", str(root / "profiles")]
        floor = [_start([sys.executable, "-c", FLOOR], env, ("shown",))["shown"]
                 for _ in range(rounds)]
        runs = [_start(app_args, env, ("shown", "first_page_ms", "todo_ready_ms", "search_ui_ms"))
                for _ in range(rounds)]
        from bench.ui_meetings import meetings_metrics

        meetings = meetings_metrics(root, entries)
        from bench._ui_documents import documents_metrics

        documents = documents_metrics(root, entries)
        from bench.ui_requests import requests_metrics

        requests_form = requests_metrics()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    startup = statistics.median(r["shown"] for r in runs)
    qt_floor = statistics.median(floor)
    metrics = {
        "documents": n,
        "build_profile_s": round(build_s, 2),
        "startup_s": round(startup, 3),
        "qt_floor_s": round(qt_floor, 3),
        "startup_vs_qt_floor": round(startup / qt_floor, 2),
        "first_page_ms": round(statistics.median(r["first_page_ms"] for r in runs), 1),
        "search_ui_ms": round(statistics.median(r["search_ui_ms"] for r in runs), 1),
        "todo_ready_ms": round(statistics.median(r["todo_ready_ms"] for r in runs), 1),
        **meetings,
        **documents,
        **requests_form,
    }
    if verbose:
        print(f"profile with {n} documents built in {build_s:.1f} s", file=sys.stderr)
        for key, value in metrics.items():
            print(f"  {key:22} {value}", file=sys.stderr)
    return metrics


def drive(shell) -> None:
    """In the child (main.py with OA_BENCH_UI set): report the marks, then quit."""
    from ui.qt import QApplication, QElapsedTimer, QTimer

    app = QApplication.instance()
    timer = QElapsedTimer()
    since_ready = QElapsedTimer()

    def shown(window) -> None:
        QTimer.singleShot(0, lambda: print("shown", flush=True))
        window.session_ready.connect(lambda: ready(window))

    def ready(window) -> None:
        since_ready.start()
        page = window.record_pages[1]
        window.navigate(1)
        done: list[bool] = []

        def once() -> None:
            if not done:
                done.append(True)
                first(window)

        page.first_page.connect(once)
        timer.start()

    def first(window) -> None:
        print(f"first_page_ms {timer.nsecsElapsed() / 1e6:.2f}", flush=True)
        # the search is timed once the start-up scans (to-do list) are done
        window.sync.todos_changed.connect(lambda _items: todo_ready(window))

    def todo_ready(window) -> None:
        if getattr(window, "_bench_searching", False):
            return
        window._bench_searching = True
        print(f"todo_ready_ms {since_ready.nsecsElapsed() / 1e6:.2f}", flush=True)
        window.search_done.connect(lambda _hits: searched(window))
        window.search_box.setText("会议")
        timer.start()
        window.run_search()

    def searched(window) -> None:
        print(f"search_ui_ms {timer.nsecsElapsed() / 1e6:.2f}", flush=True)
        window.stop()
        app.quit()

    shell.main_shown.connect(shown)
