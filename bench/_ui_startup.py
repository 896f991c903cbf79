"""The UI benchmark's start-up child: `python -m bench._ui_startup --profile DIR [main.py's
arguments]` starts the client exactly as main.py does, and prints the marks the parent times
(`shown`, `first_page_ms`, `todo_ready_ms`, `search_ui_ms`) before it quits."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import main as client

if TYPE_CHECKING:
    from ui.shell import Shell


def drive(shell: Shell) -> None:
    """Report the marks (shown, first page, to-do list ready, search), then quit."""
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


if __name__ == "__main__":
    sys.exit(client.main(sys.argv[1:], on_shell=drive))
