"""Background sync for the shell: after sign-in, on F5, on a timer with backoff after
failures, and when the server's long-poll says something changed. The engine runs on a
worker; this object only turns its results into status text and signals."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from oa_client.errors import OAError, StoreError, SyncError
from oa_client.i18n import _
from oa_client.services import account, conflicts
from oa_client.services.policy import Policy
from oa_client.services.todo import TodoItem, todo_items
from sync import account as account_sync
from sync.engine import Backoff, Progress, SyncEngine
from sync.org import fetch_org
from ui.documents.official import arrival_checker
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import QObject, Qt, QTimer, Signal
from ui.shell_session import ShellSession

log = logging.getLogger(__name__)
PERIOD_MS = 5 * 60 * 1000
ORG_EVERY_S = 3600


@dataclass
class SyncOutcome:
    """What a background sync found, computed on the worker."""

    pending: int = 0
    conflicts: int = 0
    todos: list[TodoItem] = field(default_factory=list)
    finished_at: str = ""
    policy: Policy | None = None  # the security policy as the server gave it with this sync


class _Bridge(QObject):
    progress = Signal(object)
    wake = Signal()


class SyncController(QObject):
    """Runs syncs for one session and says where they stand."""

    status_changed = Signal(str, str)  # text, state: offline/syncing/synced/attention/auth
    progress = Signal(object)  # Progress
    synced = Signal(object)  # SyncOutcome
    todos_changed = Signal(list)
    new_todos = Signal(list)
    auth_lost = Signal(str)
    device_revoked = Signal(object)  # SyncError(kind="revoked"): push what it may, then wipe
    policy_changed = Signal(object)  # Policy
    failed = Signal(object)

    def __init__(self, session: ShellSession, parent: QObject | None = None, *,
                 live_updates: bool = True, wait_timeout: float = 25.0) -> None:
        super().__init__(parent)
        self.session = session
        self.engine = (SyncEngine(session.store, session.transport, progress=self._on_progress,
                                  check_arrivals=arrival_checker(session.store))
                       if session.transport is not None else None)
        self.backoff = Backoff()
        self.running = False
        self.again = False  # asked for while one ran: what was written meanwhile goes next
        self.paused = False  # sign in again
        self.pending = 0
        self.open_conflicts = 0
        self.known_todos: set[tuple[str, str, str]] | None = None
        self.last_org = 0.0
        self.cancel: threading.Event | None = None
        self.state = "offline"
        self.last_time = ""
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._progress_gui, Qt.ConnectionType.QueuedConnection)
        self._bridge.wake.connect(self.sync_now, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.sync_now)
        self.live_updates, self.wait_timeout = live_updates, wait_timeout
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    # -- status --------------------------------------------------------------------------

    def _say(self, text: str, state: str) -> None:
        self.state = state
        self.status_changed.emit(text, state)

    def restate(self) -> None:
        """Say the current state again (after the language changed)."""
        texts = {
            "offline": self.offline_text,
            "syncing": lambda: _("同步中…"),
            "synced": lambda: _("已同步 {time}").format(time=self.last_time),
            "attention": lambda: _("需要处理（{k}）").format(k=self.open_conflicts),
            "auth": lambda: _("请重新登录（{n} 项待同步）").format(n=self.pending),
        }
        if self.state in texts:
            self._say(texts[self.state](), self.state)

    def offline_text(self) -> str:
        """离线（N 项待同步）."""
        return _("离线（{n} 项待同步）").format(n=self.pending)

    def refresh_counts(self) -> None:
        """Re-read pending ops, open conflicts and to-dos (after a local change)."""
        session = self.session

        def op(_c):
            return self._outcome(session)

        run_op(None, op, success=self._on_counts, failure=lambda e: log.warning("counts: %s", e))

    def _on_counts(self, out: SyncOutcome) -> None:
        self.pending, self.open_conflicts = out.pending, out.conflicts
        self.todos_changed.emit(out.todos)
        if self.running:
            return
        if self.paused:
            self._say(_("请重新登录（{n} 项待同步）").format(n=self.pending), "auth")
        elif self.open_conflicts:
            self._say(_("需要处理（{k}）").format(k=self.open_conflicts), "attention")
        elif self.state in ("offline", "") or self.engine is None:
            self._say(self.offline_text(), "offline")

    def _outcome(self, session: ShellSession) -> SyncOutcome:
        store = session.store
        return SyncOutcome(pending=store.records.pending_ops(),
                           conflicts=conflicts.count_open(store),
                           todos=todo_items(store, user_id=session.user_id, unit_id=session.unit_id),
                           finished_at=account.last_sync(store) or "")

    # -- syncing ------------------------------------------------------------------------

    def start(self) -> None:
        """Sync now and keep syncing (timer, long-poll)."""
        # the 待办 list is the screen a start shows: its scan goes to the database before the sync
        self.refresh_counts()
        QTimer.singleShot(0, self.sync_now)
        if self.live_updates and self.engine is not None and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="oa-live-updates", daemon=True)
            self._poller.start()

    def resume(self) -> None:
        """After signing in again: sync again."""
        self.paused = False
        self.backoff.succeeded()
        self.sync_now()

    def sync_now(self) -> None:
        """Start a sync, or another once the running one is done (a change made meanwhile goes
        then, not at the next period); nothing while paused for signing in again."""
        if self.running:
            self.again = True
            return
        if self.engine is None or self.paused or self._stop.is_set():
            return
        self.timer.stop()
        self.running = True
        self._say(_("同步中…"), "syncing")
        session, engine = self.session, self.engine
        org_due = time.monotonic() - self.last_org > ORG_EVERY_S

        def op(cancel):
            transport = session.transport
            if transport.access_token is None:
                if transport.tokens.load() is None and session.offline_password:
                    # started offline with the password: sign in now that the server answers
                    login = session.me.get("login") or session.store.profile.username
                    transport.login(login, session.offline_password)
                    session.offline_password = None
                else:
                    transport.refresh()  # a remembered sign-in: trade the stored token
            engine.sync(cancel)
            if org_due:
                fetch_org(session.store, transport)
                session.load_names()
            account.set_last_sync(session.store, datetime.now().strftime("%H:%M"))
            out = self._outcome(session)
            try:
                out.policy = account_sync.fetch_policy(session.store, transport)
            except OAError as exc:  # kept: the policy the profile already holds applies
                log.info("security policy not refreshed: %s", exc)
            return out

        self.cancel = run_op(None, op, success=self._on_synced, failure=self._on_failed,
                             pool="global")
        if org_due:
            self.last_org = time.monotonic()

    def cancel_sync(self) -> None:
        """Ask a running sync to stop at its next step."""
        if self.cancel is not None:
            self.cancel.set()

    def _on_progress(self, p: Progress) -> None:  # worker thread
        self._bridge.progress.emit(p)

    def _progress_gui(self, p: Progress) -> None:
        self.progress.emit(p)
        if self.running:
            self._say(_("同步中 {done}/{total}").format(done=p.done, total=p.total), "syncing")

    def _on_synced(self, out: SyncOutcome) -> None:
        self.running = False
        self.backoff.succeeded()
        self.pending, self.open_conflicts = out.pending, out.conflicts
        self.last_time = out.finished_at
        if self.open_conflicts:
            self._say(_("需要处理（{k}）").format(k=self.open_conflicts), "attention")
        else:
            self._say(_("已同步 {time}").format(time=out.finished_at), "synced")
        keys = {t.key for t in out.todos}  # a new reminder about a listed item is news too
        fresh = [t for t in out.todos if t.key not in (self.known_todos or keys)]
        self.known_todos = keys
        self.todos_changed.emit(out.todos)
        if fresh:
            self.new_todos.emit(fresh)
        self.synced.emit(out)
        if out.policy is not None:
            self.policy_changed.emit(out.policy)
        self.timer.start(PERIOD_MS)
        if self.again:
            self.again = False
            self.sync_now()

    def _on_failed(self, exc: BaseException) -> None:
        self.running = self.again = False  # the backoff retries
        self.refresh_counts()
        if isinstance(exc, SyncError) and exc.kind == "revoked":
            self.paused = True
            self.stop()
            self._say(_("这台电脑已被停用"), "revoked")
            self.device_revoked.emit(exc)
            return
        if isinstance(exc, SyncError) and exc.kind in ("auth", "password"):
            self.paused = True
            self._say(_("请重新登录（{n} 项待同步）").format(n=self.pending), "auth")
            self.auth_lost.emit(error_text(exc))
            return
        if isinstance(exc, SyncError) and exc.kind == "cancelled":
            self._say(self.offline_text(), "offline")
            return
        delay = self.backoff.failed()
        if isinstance(exc, SyncError) and exc.kind in ("network", "server"):
            self._say(self.offline_text(), "offline")
        else:
            self._say(error_text(exc), "error")
            if not isinstance(exc, OAError) or isinstance(exc, StoreError | SyncError):
                self.failed.emit(exc)
        log.info("sync failed (%s); next try in %.0f s", type(exc).__name__, delay)
        self.timer.start(int(delay * 1000))

    # -- live updates -----------------------------------------------------------------------

    def _poll(self) -> None:
        """Long-poll the server on this thread (never the GUI's); wake a sync on news."""
        backoff = Backoff(base=2.0, cap=300.0)
        while not self._stop.is_set():
            transport = self.session.transport
            if self.paused or transport is None or transport.access_token is None or self.running:
                self._stop.wait(1.0)
                continue
            try:
                cursor = self.engine.cursor()[0] if self.engine else 0
                answer = transport.wait(cursor, timeout=self.wait_timeout, quiet=True)
                backoff.succeeded()
                if answer.changed and not self._stop.is_set():
                    self._bridge.wake.emit()
                    self._stop.wait(1.0)
                elif answer.quiet_until is not None and self.engine is not None:
                    # nothing of ours up to there: the next pull starts after it
                    self.engine.skip_quiet(cursor, answer.quiet_until)
            except Exception as exc:  # offline, server restarting: try again later
                log.debug("long-poll: %s", type(exc).__name__)
                self._stop.wait(backoff.failed())

    def stop(self) -> None:
        """Stop the timer, the long-poll and any running sync."""
        self._stop.set()
        self.timer.stop()
        self.cancel_sync()
