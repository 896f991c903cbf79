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
    """Report the marks (shown, session ready, first page, to-do list ready, search), then quit.

    From the session being ready, two things race: the 公文 screen (built when first shown)
    fetching its first page, and the 待办 list's scan; each is timed from that moment to its
    first answer, and the search is timed once both are in."""
    from ui.qt import QApplication, QElapsedTimer, QTimer

    app = QApplication.instance()
    timer = QElapsedTimer()
    since_ready = QElapsedTimer()
    seen: dict[str, float] = {}

    def shown(window) -> None:
        QTimer.singleShot(0, lambda: print("shown", flush=True))
        window.session_ready.connect(lambda: ready(window))

    def ready(window) -> None:
        print("session_ready", flush=True)
        since_ready.start()
        window.sync.todos_changed.connect(lambda _items: mark(window, "todo_ready_ms"))
        window.navigate(1)
        window.record_pages[1].first_page.connect(lambda: mark(window, "first_page_ms"))

    def mark(window, name: str) -> None:
        if name in seen:
            return
        seen[name] = since_ready.nsecsElapsed() / 1e6
        print(f"{name} {seen[name]:.2f}", flush=True)
        if len(seen) == 2:  # the search is timed once the start-up reads are done
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
