"""Background operations: no I/O on the GUI thread.

`run_op(parent, op, success=…)` runs `op(cancel)` on a worker and calls `success`
or `failure` back on the GUI thread through a queued signal. Database work runs on
one single-thread pool (the SQLCipher connection is used by one thread at a time);
network and rendering may use the general pool. A progress dialog appears only
after ~600 ms and can be cancelled (the op sees `cancel.is_set()`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from oa_client.i18n import _
from ui.qt import QObject, QProgressDialog, QRunnable, Qt, QThreadPool, QTimer, QWidget, Signal

log = logging.getLogger(__name__)
PROGRESS_DELAY_MS = 600

_db_pool: QThreadPool | None = None
_live: set[_Bridge] = set()


def db_pool() -> QThreadPool:
    """The single-thread pool that owns the database connection."""
    global _db_pool
    if _db_pool is None:
        _db_pool = QThreadPool()
        _db_pool.setMaxThreadCount(1)
    return _db_pool


class _Bridge(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, op: Callable[[threading.Event], Any], bridge: _Bridge,
                 cancel: threading.Event) -> None:
        super().__init__()
        self.op, self.bridge, self.cancel = op, bridge, cancel
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.op(self.cancel)
        except BaseException as exc:  # handed to the GUI thread, shown in one place
            self.bridge.failed.emit(exc)
        else:
            self.bridge.done.emit(result)


def run_op(
    parent: QWidget | None,
    op: Callable[[threading.Event], Any],
    *,
    success: Callable[[Any], None],
    failure: Callable[[BaseException], None] | None = None,
    label: str | None = None,
    pool: str = "db",
    priority: int = 0,
) -> threading.Event:
    """Run `op` in the background (higher `priority` first); return the event that cancels it."""
    cancel = threading.Event()
    bridge = _Bridge()
    _live.add(bridge)
    dialog: list[QProgressDialog] = []
    timer = QTimer(parent)
    timer.setSingleShot(True)

    def show_progress() -> None:
        d = QProgressDialog(label or _("正在处理，请稍候…"), _("取消"), 0, 0, parent)
        d.setWindowModality(Qt.WindowModality.WindowModal)
        d.setMinimumDuration(0)
        d.canceled.connect(cancel.set)
        d.show()
        dialog.append(d)

    def finish() -> None:
        timer.stop()
        for d in dialog:
            d.close()
        _live.discard(bridge)

    def on_done(result: Any) -> None:
        finish()
        success(result)

    def on_failed(exc: BaseException) -> None:
        finish()
        if failure is not None:
            failure(exc)
        else:
            from ui.errors import show_error

            show_error(parent, exc)

    bridge.done.connect(on_done, Qt.ConnectionType.QueuedConnection)
    bridge.failed.connect(on_failed, Qt.ConnectionType.QueuedConnection)
    if label:
        timer.timeout.connect(show_progress)
        timer.start(PROGRESS_DELAY_MS)
    target = db_pool() if pool == "db" else QThreadPool.globalInstance()
    target.start(_Task(op, bridge, cancel), priority)
    return cancel
