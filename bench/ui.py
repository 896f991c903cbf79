"""UI benchmark: start-up to the main window with 100,000 cached documents, against a bare
Qt window in the same run; first page of the 100k list; a search through the UI.

`session_ready_s` is spawn → the remembered profile open behind the shown window;
`first_page_ms` (session open → first rows of the 公文 screen, which is built when first
shown) and `todo_ready_ms` (session open → 待办 list filled: the cold scan of the profile)
race from that moment; the search is timed after both. Each start is a fresh process
(`python -m bench._ui_startup`: the client started as main.py starts it, offscreen) on a
remembered profile, so the numbers include Python, Qt and our imports, from bytecode as an
installed client runs (a first, untimed start of each fills the cache). The bench profile
and its children are in `bench._ui_profile`.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._ui_documents import documents_metrics
from bench._ui_profile import build_profile, child_env, run_child
from bench.ui_meetings import meetings_metrics
from bench.ui_requests import requests_metrics

FLOOR = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""


def run(quick: bool = False, verbose: bool = True) -> dict:
    """Measure start-up, first page and search; return the metrics."""
    n = 10_000 if quick else 100_000
    rounds = 3 if quick else 5
    root = Path(tempfile.mkdtemp(prefix="oa-bench-ui-"))
    try:
        t = time.perf_counter()
        entries = build_profile(root, n)
        build_s = time.perf_counter() - t
        env = child_env(root, entries)
        app_args = [sys.executable, "-m", "bench._ui_startup", "--profile", str(root / "profiles")]
        # one untimed start of each fills the bytecode cache (see child_env)
        run_child([sys.executable, "-c", FLOOR], env, ("shown",))
        run_child(app_args, env, ("shown",))
        floor = [run_child([sys.executable, "-c", FLOOR], env, ("shown",))["shown"]
                 for _ in range(rounds)]
        runs = [run_child(app_args, env, ("shown", "session_ready", "first_page_ms",
                                          "todo_ready_ms", "search_ui_ms"))
                for _ in range(rounds)]
        meetings = meetings_metrics(root, entries)
        documents = documents_metrics(root, entries)
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
        "session_ready_s": round(statistics.median(r["session_ready"] for r in runs), 3),
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
