"""The client's sync engine: push the outbox, pull changes until caught up, check digests.

It never opens a dialog: it reports progress through a callback and returns a
SyncReport; conflicts and rejected ops become rows in the `conflicts` table that
the UI lists. Nothing a civil servant did is dropped: an op leaves the outbox only
in the same local transaction that records what the server did with it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from oa_client.domain.ids import new_id
from oa_client.errors import StoreError, SyncError
from oa_client.i18n import _
from oa_client.store import search as search_index
from oa_client.store.db import Database
from oa_client.store.local import LocalStore
from oa_client.store.records import COLLECTIONS
from sync.blobs import BlobSync
from sync.protocol import (
    CHILD_COLLECTIONS,
    MAX_OPS_PER_PUSH,
    SYNC_COLLECTIONS,
    OpResult,
    PullResponse,
    Record,
    digest_of,
)
from sync.pull_page import PulledPage, PulledRecord
from sync.transport import PreparedOps, Transport

log = logging.getLogger(__name__)
GLOBAL = "*"
#: synced collections and the local tables they land in
LOCAL_TABLES = (*COLLECTIONS, "attachments")
SKEW_WARN_S = 300
#: a pulled page at least this large is stored without search indexing; the index
#: catches up at the end of the sync (schema v6), so a first sync lists records sooner
BULK_PAGE = 2000
PUSH_MAX_BYTES = 4 * 1024 * 1024
#: the outbox's last ops (no more than a batch) may go as two batches, the second with
#: 1/TAIL_SHARE of them (see `_batch_cap`)
TAIL_SHARE = 3
#: what one more push request costs the server beyond its ops (sign-in, lock, commit)
PUSH_REQUEST_S = 0.003
#: the least time a second batch must save to be worth its request
TAIL_GAIN_S = 0.002
WIRE_KEYS = ("op_id", "kind", "entity", "entity_id", "base_rev", "payload")
#: a record the server sent: read from a pull page, or in a push's conflict answer
Incoming = PulledRecord | Record


@dataclass
class Progress:
    """Where a sync stands: phase (push, pull, verify), done of total, bytes on the wire."""

    phase: str
    done: int
    total: int
    bytes: int = 0


@dataclass
class SyncReport:
    """What one sync did."""

    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    superseded: int = 0  # kept by the server but too late for their step: shown to the author
    pulled: int = 0
    repulled: list[str] = field(default_factory=list)
    server_changed: bool = False
    clock_skew_s: float = 0.0
    uploaded: int = 0
    downloaded: int = 0
    indexed: int = 0  # records the search index caught up with after a bulk pull
    checked: int = 0  # 正式文件 whose seal was checked on arrival (see SyncEngine.check_arrivals)
    warnings: list[str] = field(default_factory=list)


_gc_lock = threading.Lock()
_gc_state = {"holders": 0, "was_enabled": False}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a pull, push or index catch-up handles
    batches of records.

    A page of thousands of records is thousands of short-lived objects, freed by reference
    counting anyway; meanwhile the collector would walk the whole heap again and again
    (a fifth of a bulk pull's time; one full collection, ~0.1 s, in a push of 1,000).
    Nested and concurrent holders are counted; the collector runs again when the last
    one leaves.
    """
    with _gc_lock:
        if _gc_state["holders"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["holders"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["holders"] -= 1
            if _gc_state["holders"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


class Backoff:
    """Delays between failed attempts: seconds at first, growing to hours, with jitter."""

    def __init__(self, *, base: float = 2.0, cap: float = 4 * 3600.0, rng: random.Random | None = None):
        self.base, self.cap, self.failures = base, cap, 0
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def failed(self) -> float:
        """Record a failure; return how long to wait before the next attempt."""
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** (self.failures - 1))
        return delay * (0.75 + 0.5 * self.rng.random())

    def succeeded(self) -> None:
        """Reset after a good sync."""
        self.failures = 0

    @staticmethod
    def retryable(exc: BaseException) -> bool:
        """Network trouble and server errors are retried; auth, forbidden, conflicts are not."""
        return isinstance(exc, SyncError) and exc.kind in ("network", "server")


def _wire_bytes(op: dict) -> int:
    """The bytes an outbox op's payload takes in a request (UTF-8: a Chinese character is 3)."""
    return len(op["payload"].encode())


def _running_mean(before: float | None, seen: float) -> float:
    """A measure that follows the latest ones: half the last value, half the new one."""
    return seen if before is None else (before + seen) / 2


@dataclass
class _Prepared:
    """A push batch chosen ahead of its send: its ops as the outbox holds them, whether it
    stopped at a record in flight, and the ops as sent with the request already encoded."""

    ops: list[dict]
    held: bool
    wire: PreparedOps | None


class SyncEngine:
    """Sync one profile with one server."""

    def __init__(self, store: LocalStore, transport: Transport, *, batch: int = MAX_OPS_PER_PUSH,
                 pull_limit: int = 2000,
                 progress: Callable[[Progress], None] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 check_arrivals: Callable[[list[bytes]], int] | None = None) -> None:
        self.store = store
        self.db = store.db
        self.records = store.records
        self.transport = transport
        self.batch = batch
        #: payload bytes (UTF-8) a push request may carry (the server's body limit is 10 MB)
        self.max_push_bytes = PUSH_MAX_BYTES
        self.pull_limit = pull_limit
        self.progress = progress or (lambda p: None)
        self.now = now
        #: seconds a push request takes beyond the server's own work on it (network, HTTP,
        #: sign-in; the server says its part in `Server-Timing`), and seconds to store one
        #: answer: measured on this engine's pushes (None until then; see `_batch_cap`)
        self.push_overhead_s: float | None = None
        self.store_s_per_op: float | None = None
        #: crash-point hooks for the kill tests: name → callable (no-ops in normal use)
        self.hooks: dict[str, Callable[[], None]] = {}
        #: called with the profile's trust roots once attachments came down: checks the seals
        #: of what arrived (the wiring supplies it; the engine knows no signatures)
        self.check_arrivals = check_arrivals

    def _hook(self, name: str) -> None:
        hook = self.hooks.get(name)
        if hook is not None:
            hook()

    # -- cursor ----------------------------------------------------------------------------

    def cursor(self) -> tuple[int, str | None]:
        """The pull cursor and the server identity it belongs to."""
        rows = self.db.query("SELECT cursor, server_id FROM sync_cursors WHERE collection = ?",
                             (GLOBAL,))
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    def skip_quiet(self, cursor: int, quiet_until: int) -> bool:
        """Move the pull cursor from `cursor` to `quiet_until`, a revision up to which the
        server vouched that nothing this user may see changed (a long-poll's answer), so the
        next pull reads only what came after; only forward, and only if no pull moved it
        meanwhile (a pull started since then stands). Whether it moved."""
        if quiet_until <= cursor:
            return False
        with self.db.transaction(refetchable=True) as conn:
            moved = conn.execute(
                "UPDATE sync_cursors SET cursor = ? WHERE collection = ? AND cursor = ?",
                (quiet_until, GLOBAL, cursor)).rowcount
        return moved == 1

    @staticmethod
    def _save_cursor(conn, cursor: int, server_id: str) -> None:
        conn.execute(
            "INSERT INTO sync_cursors(collection, cursor, server_id) VALUES (?, ?, ?)"
            " ON CONFLICT(collection) DO UPDATE SET cursor = excluded.cursor,"
            " server_id = excluded.server_id",
            (GLOBAL, cursor, server_id),
        )

    # -- the whole sync ----------------------------------------------------------------------

    def sync(self, cancel: threading.Event | None = None) -> SyncReport:
        """Push the outbox, pull until caught up, then compare digests and repair."""
        report = SyncReport()
        blobs = BlobSync(self.store, self.transport,
                         progress=lambda d, t, b: self.progress(Progress("blobs", d, t, b)))
        report.uploaded = blobs.upload_all(cancel)
        self.push(report, cancel)
        self.pull(report, cancel)
        self.verify(report, cancel)
        self.index(report, cancel)
        report.downloaded = blobs.download_all(cancel)
        self._remember_trust_root()
        if self.check_arrivals is not None:
            report.checked = self.check_arrivals(self.trust_roots())
        self.db.checkpoint()  # the WAL the sync grew goes into the database now, not mid-pull
        return report

    def index(self, report: SyncReport, cancel: threading.Event | None = None) -> None:
        """Index for search what a bulk pull stored unindexed (in chunks, cancellable)."""
        if not search_index.backlog(self.db):
            return
        total = search_index.pending(self.db)
        self.progress(Progress("index", 0, total))
        with gc_paused():
            report.indexed += search_index.catch_up(
                self.db, should_stop=lambda: cancel is not None and cancel.is_set(),
                progress=lambda done: self.progress(Progress("index", done, max(total, done))))

    def _remember_trust_root(self) -> None:
        """Keep the server CA's root in the profile, so signatures verify offline too."""
        if self.trust_roots():
            return
        try:
            pem = self.transport.ca_root()
        except SyncError as exc:
            log.info("no CA root from the server (%s)", exc.kind)
            return
        if pem.startswith(b"-----BEGIN CERTIFICATE-----"):
            with self.db.transaction() as conn:
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('ca_root_pem', ?)",
                             (pem.decode("ascii"),))

    def trust_roots(self) -> list[bytes]:
        """The trust anchors kept in the profile (the server CA's root once synced)."""
        rows = self.db.query("SELECT value FROM meta WHERE key = 'ca_root_pem'")
        return [rows[0][0].encode("ascii")] if rows else []

    def _cancelled(self, cancel: threading.Event | None) -> None:
        if cancel is not None and cancel.is_set():
            raise SyncError(_("同步已取消，未完成的内容下次继续"), kind="cancelled")

    # -- push --------------------------------------------------------------------------------

    def push(self, report: SyncReport, cancel: threading.Event | None = None) -> None:
        """Send the outbox in batches; each result is recorded with the op's removal.

        Ops go in outbox order, a batch at most one op per record: a second edit of the
        same record waits (with everything after it) for the first one's revision, so a desk
        never conflicts with itself. While the server works on a batch, a second thread
        writes the previous batch's results, then chooses and encodes the next batch (which
        stops at the records on the wire: their later ops wait for the new revision).
        """
        with gc_paused(), ThreadPoolExecutor(max_workers=1,
                                             thread_name_prefix="oa-push") as writer:
            self._push_batches(report, cancel, writer)

    def _next_batch(self, in_flight: list[dict]) -> tuple[list[dict], bool]:
        """The next ops to send, in outbox order, and whether the batch stopped at an op
        whose record is in flight (in the batch on the wire, `in_flight`, or earlier in this
        one): that op needs the revision the answer brings, and nothing after it may
        overtake it (a 正文修订 sent before the held edit of its document would move the
        document on the server and turn the desk's own edit into a conflict)."""
        busy = {(op["entity"], op["entity_id"]) for op in in_flight}
        sent = {op["seq"] for op in in_flight}
        whole: dict[int, dict] = {}
        if sent:
            # chosen on the heads; the payloads, read after, stay the JSON text the outbox
            # stored: spliced into the request as is (those in flight are not read again)
            heads = self.records.outbox_heads(limit=self.batch + len(sent) + 1)
            cap = self._batch_cap(sum(1 for head in heads if head[0] not in sent))
        else:  # nothing in flight: the batch is the outbox's head, read whole at once (no
            # more of it than the batch takes: a third of a push may go in a batch after)
            cap = self._batch_cap(self.records.pending_ops())
            first = self.records.outbox_first(limit=cap)
            whole = {op["seq"]: op for op, _nbytes in first}
            heads = [(op["seq"], op["entity"], op["entity_id"], nbytes) for op, nbytes in first]
        chosen, seen, size, held = [], set(), 0, False
        for seq, entity, entity_id, nbytes in heads:
            key = (entity, entity_id)
            if seq in sent:
                continue
            if key in seen or key in busy:
                held = True
                break
            size += nbytes
            if chosen and size > self.max_push_bytes:
                break  # the server refuses a body over its limit (413)
            seen.add(key)
            chosen.append(seq)
            if len(chosen) == cap:
                break
        if not sent:
            return [whole[seq] for seq in chosen], held
        return self.records.outbox_ops(chosen), held

    def _batch_cap(self, waiting: int) -> int:
        """How many ops the next batch takes when `waiting` ops are left to send (more than
        a batch: a batch).

        The answers of a push's last batch are stored after the server is done; those of a
        batch before it, while the next one is on the wire. So the last ops may go as two
        batches, the second a third of them: a push of 1,000 then ends with 333 answers to
        store instead of 1,000, for one more request. Only where that pays, as measured on
        this engine's earlier pushes: the time to store the first two thirds' answers
        against what a request costs beyond its ops (near the server a few milliseconds;
        across a slow network more than the answers take, and the batch goes whole)."""
        if waiting > self.batch:
            return self.batch
        head = waiting - waiting // TAIL_SHARE
        overhead, per_op = self.push_overhead_s, self.store_s_per_op
        if head == waiting or overhead is None or per_op is None:
            return self.batch
        if per_op * head - overhead - PUSH_REQUEST_S < TAIL_GAIN_S:
            return self.batch
        return head

    def _prepare(self, in_flight: list[dict] | None) -> _Prepared:
        """The next batch (see `_next_batch`) with its request encoded; none for `None`."""
        if in_flight is None:
            return _Prepared([], False, None)
        ops, held = self._next_batch(in_flight)
        wire = self.transport.prepare_push([{k: op[k] for k in WIRE_KEYS} for op in ops])
        return _Prepared(ops, held, wire)

    def _store_then_prepare(self, answered: list[tuple[dict, OpResult]], report: SyncReport,
                            in_flight: list[dict] | None) -> _Prepared:
        """The writer's turn while a batch is on the wire: store the answers of the batch
        before it, then choose and encode the batch after it."""
        if answered:
            self._store_results(answered, report, in_flight or [])
        return self._prepare(in_flight)

    def _push_batches(self, report: SyncReport, cancel: threading.Event | None,
                      writer: ThreadPoolExecutor) -> None:
        total = self.records.pending_ops()
        done = 0
        job: tuple[Future, int] | None = None  # on the writer: `_store_then_prepare`

        def finish_job() -> _Prepared:
            nonlocal job, done
            if job is None:
                return self._prepare(None)
            future, stored = job
            job = None
            following = future.result()
            if stored:
                done += stored
                self.progress(Progress("push", done, max(total, done), self.transport.bytes_sent))
            return following

        try:
            batch, answered = self._prepare([]), []
            while batch.ops:
                # submitted before the cancel check: a cancelled push still stores the
                # answers it has
                job = (writer.submit(self._store_then_prepare, answered, report, batch.ops),
                       len(answered))
                self._cancelled(cancel)
                self._hook("before_push")
                sent_at = time.perf_counter()
                try:
                    resp = self.transport.push(batch.wire)
                except SyncError as exc:
                    finish_job()
                    if self._too_many(exc, batch.ops):
                        batch, answered = self._prepare([]), []
                        continue
                    if exc.kind != "too_large":
                        self._count_attempt(batch.ops)
                        raise
                    self._too_large(batch.ops, report)
                    batch, answered = self._prepare([]), []
                    continue
                self._hook("after_push_response")
                self._note_overhead(time.perf_counter() - sent_at)
                following = finish_job()
                self._check_skew(resp.server_time, report)
                by_id = {r.op_id: r for r in resp.results}
                answered = [(op, by_id[op["op_id"]]) for op in batch.ops if op["op_id"] in by_id]
                if not answered:
                    raise SyncError(_("服务器没有处理本次提交，稍后自动重试"), kind="server")
                report.pushed += len(answered)
                if following.ops:
                    batch = following  # these answers are stored while it is on the wire
                    continue
                # nothing could go beside this batch: store its answers; if later ops of its
                # records wait (held), they go next, with the revisions the answers bring
                job = (writer.submit(self._store_then_prepare, answered, report,
                                     [] if following.held else None), len(answered))
                batch, answered = finish_job(), []
        finally:
            finish_job()

    def _note_overhead(self, elapsed: float) -> None:
        """Learn what a push request costs beyond the server's work (`push_overhead_s`),
        from a request that took `elapsed` seconds (a server that does not say: not known)."""
        server_s = self.transport.push_server_s
        if server_s is None:
            return
        self.push_overhead_s = _running_mean(self.push_overhead_s, max(0.0, elapsed - server_s))

    def _store_results(self, answered: list[tuple[dict, OpResult]], report: SyncReport,
                       in_flight: list[dict]) -> None:
        """One batch's answers, in one local transaction: applied ops leave the outbox and
        their records take the new revision; conflicts and refusals are kept for the user.
        `in_flight`: the batch on the wire meanwhile (its ops are of other records)."""
        started = time.perf_counter()
        # refetchable: answers lost to a power cut come back when the ops are resent
        with self.db.transaction(refetchable=True) as conn:
            applied = [(op, r) for op, r in answered if r.status == "applied"]
            late = [(op, r) for op, r in answered if r.status == "superseded"]
            self._settle_applied(conn, applied + late, {op["seq"] for op in in_flight})
            report.applied += len(applied)
            for op, result in late:
                self._note_superseded(conn, op, result, report)
            for op, result in answered:
                if result.status not in ("applied", "superseded"):
                    self._settle(conn, op, result, report)
        per_op = (time.perf_counter() - started) / len(answered)
        self.store_s_per_op = _running_mean(self.store_s_per_op, per_op)

    def _count_attempt(self, ops: list[dict]) -> None:
        """Count a failed send on the ops (kept in the outbox to diagnose an op that never goes);
        a store that cannot even do that must not hide the send's own error."""
        with contextlib.suppress(StoreError), self.db.transaction() as conn:
            conn.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?",
                             [(op["seq"],) for op in ops])

    @staticmethod
    def _settle_applied(conn, applied: list[tuple[dict, OpResult]], in_flight: set[int]
                        ) -> None:
        """Applied ops leave the outbox; records take their revision; later ops rebase (none
        of those on the wire: a batch never holds a record of the batch before it)."""
        if not applied:
            return
        conn.executemany("DELETE FROM outbox WHERE seq = ?", [(op["seq"],) for op, _r in applied])
        by_table: dict[str, list[tuple[int, str]]] = {}
        for op, result in applied:
            if op["entity"] in LOCAL_TABLES:
                by_table.setdefault(op["entity"], []).append((result.rev, op["entity_id"]))
        for table, rows in by_table.items():
            conn.executemany(f"UPDATE {table} SET rev = ? WHERE id = ?", rows)
        # the first pending ops, one more than are on the wire: if any op waits beside those,
        # one of these is (a probe per op saved when none does, as at a push's last batches)
        waiting = conn.execute("SELECT seq FROM outbox WHERE state = 'pending' ORDER BY seq"
                               " LIMIT ?", (len(in_flight) + 1,)).fetchall()
        if all(seq in in_flight for (seq,) in waiting):
            return
        conn.executemany(
            "UPDATE outbox SET base_rev = ? WHERE entity = ? AND entity_id = ? AND base_rev = ?"
            " AND state = 'pending'",
            [(r.rev, op["entity"], op["entity_id"], op["base_rev"]) for op, r in applied],
        )

    def _too_many(self, exc: SyncError, ops: list[dict]) -> bool:
        """Whether the server refused the batch for its number of ops (an older server takes
        fewer per push): then batches are halved from here on, and the batch goes again."""
        field = (exc.context.get("body") or {}).get("field")
        if exc.kind != "invalid" or field != "ops" or len(ops) <= 1:
            return False
        self.batch = max(1, min(self.batch // 2, len(ops) - 1))
        return True

    def _too_large(self, ops: list[dict], report: SyncReport) -> None:
        """A batch over the server's body limit: halve what a batch may carry; one op that is
        too large on its own is set aside as rejected (its content kept in the conflicts list)."""
        if len(ops) > 1:
            self.max_push_bytes = max(1, min(self.max_push_bytes,
                                             sum(map(_wire_bytes, ops))) // 2)
            return
        (op,) = ops
        result = OpResult(op_id=op["op_id"], status="rejected", code="too_large",
                          message=_("这条修改超过服务器允许的大小，未能提交；内容已保留在冲突列表中，"
                                    "请把大段内容改为附件后重新提交"))
        with self.db.transaction() as conn:
            self._settle(conn, op, result, report)

    @staticmethod
    def _note_superseded(conn, op: dict, result: OpResult, report: SyncReport) -> None:
        """The server kept the action but its step had closed: a row its author is shown."""
        conn.execute(
            "INSERT INTO conflicts(id, entity, entity_id, kind, local_payload, server_payload,"
            " server_rev, resolution) VALUES (?, ?, ?, 'superseded', ?, NULL, ?, ?)",
            (new_id(), op["entity"], op["entity_id"], op["payload"],  # as the outbox stored it
             result.rev, json.dumps({"code": result.code, "message": result.message},
                                    ensure_ascii=False)),
        )
        report.superseded += 1

    def _settle(self, conn, op: dict, result: OpResult, report: SyncReport) -> None:
        still_pending = conn.execute(
            "SELECT 1 FROM outbox WHERE seq = ? AND state = 'pending'", (op["seq"],)
        ).fetchone()
        if not still_pending:
            return  # folded into an earlier conflict in this batch
        entity, entity_id = op["entity"], op["entity_id"]
        conn.execute("DELETE FROM outbox WHERE seq = ?", (op["seq"],))
        local = self._local_payload(conn, entity, entity_id, fallback=json.loads(op["payload"]))
        kind = {"conflict": "edit", "rejected": "rejected", "superseded": "superseded"}[result.status]
        if result.status == "conflict" and result.server_record is not None:
            kind = "delete" if result.server_record.deleted or op["kind"] == "delete" else "edit"
        conn.execute(
            "INSERT INTO conflicts(id, entity, entity_id, kind, local_payload, server_payload,"
            " server_rev, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (new_id(), entity, entity_id, kind, json.dumps(local, ensure_ascii=False),
             result.server_record.model_dump_json() if result.server_record else None,
             result.server_record.rev if result.server_record else None,
             json.dumps({"code": result.code, "message": result.message}, ensure_ascii=False)),
        )
        # later ops on the same record are part of the local version kept above
        conn.execute("DELETE FROM outbox WHERE entity = ? AND entity_id = ? AND state = 'pending'",
                     (entity, entity_id))
        if result.status == "conflict":
            report.conflicts += 1
            if result.server_record is not None:
                self._apply_record(conn, result.server_record)
        else:
            report.rejected += 1
            if entity in COLLECTIONS:
                row = conn.execute(f"SELECT rev FROM {entity} WHERE id = ?", (entity_id,)).fetchone()
                if row is not None and row[0] == 0:
                    # never on the server: the conflict row keeps it, the list drops it
                    conn.execute(f"DELETE FROM {entity} WHERE id = ?", (entity_id,))
                elif row is not None:
                    conn.execute(f"UPDATE {entity} SET rev = -1 WHERE id = ?", (entity_id,))

    def _local_payload(self, conn, entity: str, entity_id: str, *, fallback: dict) -> dict:
        if entity not in COLLECTIONS:
            return fallback
        columns = COLLECTIONS[entity]
        row = conn.execute(
            f"SELECT deleted, {', '.join(columns)}, data FROM {entity} WHERE id = ?", (entity_id,)
        ).fetchone()
        if row is None:
            return fallback
        deleted, *values, data = row
        out = json.loads(data)
        out.update(zip(columns, values, strict=True))
        out["deleted"] = bool(deleted)
        return out

    # -- pull -------------------------------------------------------------------------------

    def pull(self, report: SyncReport, cancel: threading.Event | None = None) -> None:
        """Pull pages until caught up; each page and its cursor commit together.

        The next page is fetched on a helper thread while this one is applied, so the
        network and the encrypted database work at the same time. A large pull into a
        small table writes it without its secondary indexes and rebuilds them at the end
        (or, if the process dies first, when the profile is next opened).
        """
        try:
            self._pull_pages(report, cancel)
        except BaseException:
            try:
                self.db.restore_indexes()
            except Exception:  # the pull's own error matters more; the next open retries
                log.exception("could not rebuild deferred indexes")
            raise
        self.db.restore_indexes()

    def _pull_pages(self, report: SyncReport, cancel: threading.Event | None) -> None:
        cursor, server_id = self.cursor()
        considered: dict[str, bool] = {}  # table → whether it was empty when the pull began
        with gc_paused(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="oa-pull") as fetcher:
            ahead = None
            while True:
                self._cancelled(cancel)
                try:
                    page = (ahead.result() if ahead is not None else
                            self.transport.pull(cursor, limit=self.pull_limit, server_id=server_id))
                except SyncError as exc:
                    if exc.kind == "conflict" and exc.code in ("server_changed", "cursor_ahead"):
                        # restored or different server: start over, never deleting local data
                        report.server_changed = True
                        report.warnings.append(exc.code)
                        cursor, server_id, ahead = 0, None, None
                        continue
                    raise
                ahead = None
                if page.has_more:
                    ahead = fetcher.submit(self.transport.pull, page.next_cursor,
                                           limit=self.pull_limit, server_id=page.server_id)
                try:
                    self._check_skew(page.server_time, report)
                    self._apply_page(page, considered, remaining=page.high_water - cursor)
                except BaseException:
                    if ahead is not None:
                        ahead.cancel()
                    raise
                report.pulled += len(page.changes)
                cursor, server_id = page.next_cursor, page.server_id
                self.progress(Progress("pull", cursor, page.high_water, self.transport.bytes_received))
                if not page.has_more:
                    return

    def _apply_page(self, page: PulledPage | PullResponse, considered: dict[str, bool], *,
                    remaining: int) -> None:
        bulk = len(page.changes) >= BULK_PAGE
        # refetchable: a page lost to a power cut is lost with its cursor, and pulled again
        with (self.db.deferred_search(refetchable=True) if bulk else
              self.db.transaction(refetchable=True)) as conn:
            if bulk:
                self._defer_indexes(conn, page.changes, considered, remaining)
            self._apply_records(conn, page.changes,
                                fresh={t for t, empty in considered.items() if empty})
            self._hook("during_pull_apply")
            self._save_cursor(conn, page.next_cursor, page.server_id)

    @staticmethod
    def _defer_indexes(conn, records: list[Incoming], considered: dict[str, bool],
                       remaining: int) -> None:
        """Drop the secondary indexes of tables this pull will mostly fill (once per table):
        rebuilding an index once is cheaper than updating it row by row when the revisions
        still to come outnumber the rows already there."""
        for table in {r.collection for r in records if not r.deleted} - considered.keys():
            if table not in LOCAL_TABLES:
                continue
            rows = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            considered[table] = rows == 0
            if rows < remaining:
                Database.defer_indexes(conn, table)

    def _apply_records(self, conn, records: list[Incoming], *,
                       fresh: set[str] | frozenset[str] = frozenset()) -> None:
        """Apply a page in bulk; a record the local store refuses is set aside, not fatal.
        Tables in `fresh` were empty when the pull began: their rows are inserted first."""
        pending = set(conn.execute(
            "SELECT entity, entity_id FROM outbox WHERE state = 'pending'").fetchall())
        upserts: dict[str, list[Incoming]] = {}
        tombstones: dict[str, list[tuple[int, str]]] = {}
        for record in records:
            if record.collection not in LOCAL_TABLES or (record.collection, record.id) in pending:
                continue  # our unsent change wins locally; the push will meet the server's
            if record.deleted:
                tombstones.setdefault(record.collection, []).append((record.rev, record.id))
            else:
                upserts.setdefault(record.collection, []).append(record)
        for collection, rows in tombstones.items():
            conn.executemany(f"UPDATE {collection} SET deleted = 1, rev = ? WHERE id = ?", rows)
        for record in upserts.pop("attachments", []):
            conn.execute("SAVEPOINT apply_attachment")
            try:
                self.store.blobs.add_remote(conn, attachment_id=record.id, rev=record.rev,
                                            data=record.data)
                conn.execute("RELEASE apply_attachment")
            except Exception as exc:  # a bad record must not stop the sync
                conn.execute("ROLLBACK TO apply_attachment")
                conn.execute("RELEASE apply_attachment")
                self._set_aside(conn, record, exc)
        for collection in [c for c in LOCAL_TABLES if c in upserts]:  # parents before children
            recs = upserts[collection]
            conn.execute("SAVEPOINT apply_page")
            try:
                self.records.upsert_synced_in(conn, collection,
                                              [(r.id, r.rev, r.data) for r in recs],
                                              fresh=collection in fresh)
                conn.execute("RELEASE apply_page")
            except Exception:  # find the bad record one by one
                conn.execute("ROLLBACK TO apply_page")
                conn.execute("RELEASE apply_page")
                for record in recs:
                    self._apply_record(conn, record)
        self._store_orphans(conn)

    def _store_orphans(self, conn) -> None:
        """Store the children set aside because their parent had not come yet, once it has.

        A flow event or 正文修订 keeps the revision it was written at, and the document it
        moves takes a newer one: a pull page can end between them, and the child, met first,
        has no document to belong to. Kept aside (as any record the store refuses), it is
        stored here when its document arrives, and its conflict resolved."""
        waiting = conn.execute(
            "SELECT id, server_payload FROM conflicts WHERE kind = 'unreadable'"
            " AND resolved_at IS NULL AND entity IN ('document_events', 'document_revisions')"
        ).fetchall()
        for conflict_id, payload in waiting:
            record = Record.model_validate_json(payload)
            parent = record.data.get(CHILD_COLLECTIONS[record.collection][1])
            if conn.execute("SELECT 1 FROM documents WHERE id = ?", (parent,)).fetchone() is None:
                continue
            held = conn.execute(f"SELECT rev FROM {record.collection} WHERE id = ?",
                                (record.id,)).fetchone()
            if held is not None and int(held[0]) >= record.rev:  # came again since, stored
                self._orphan_stored(conn, conflict_id)
                continue
            conn.execute("SAVEPOINT store_orphan")
            try:
                self.records.upsert_in(conn, record.collection,
                                       [{**record.data, "id": record.id, "rev": record.rev}])
            except Exception:  # refused for another reason: it stays aside
                conn.execute("ROLLBACK TO store_orphan")
                conn.execute("RELEASE store_orphan")
                continue
            conn.execute("RELEASE store_orphan")
            self._orphan_stored(conn, conflict_id)

    @staticmethod
    def _orphan_stored(conn, conflict_id: str) -> None:
        conn.execute("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                     (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                      json.dumps({"code": "unreadable", "choice": "stored"}), conflict_id))

    def _apply_record(self, conn, record: Incoming) -> None:
        if record.collection not in COLLECTIONS:
            return
        pending = conn.execute(
            "SELECT 1 FROM outbox WHERE entity = ? AND entity_id = ? AND state = 'pending' LIMIT 1",
            (record.collection, record.id),
        ).fetchone()
        if pending:
            return  # our unsent change wins locally; the push will meet the server's version
        if record.deleted:
            conn.execute(f"UPDATE {record.collection} SET deleted = 1, rev = ? WHERE id = ?",
                         (record.rev, record.id))
            return
        conn.execute("SAVEPOINT apply_record")
        try:
            self.records.upsert_in(conn, record.collection,
                                   [{**record.data, "id": record.id, "rev": record.rev}])
            conn.execute("RELEASE apply_record")
        except Exception as exc:
            conn.execute("ROLLBACK TO apply_record")
            conn.execute("RELEASE apply_record")
            self._set_aside(conn, record, exc)

    @staticmethod
    def _set_aside(conn, record: Incoming, exc: Exception) -> None:
        """Keep a record the local store refuses as an 'unreadable' conflict, untouched."""
        known = conn.execute(
            "SELECT 1 FROM conflicts WHERE entity = ? AND entity_id = ? AND kind = 'unreadable'"
            " AND server_rev = ? AND resolved_at IS NULL", (record.collection, record.id, record.rev),
        ).fetchone()
        if known:
            return
        log.warning("could not store %s %s: %s", record.collection, record.id, type(exc).__name__)
        conn.execute(
            "INSERT INTO conflicts(id, entity, entity_id, kind, server_payload, server_rev,"
            " resolution) VALUES (?, ?, ?, 'unreadable', ?, ?, ?)",
            (new_id(), record.collection, record.id, record.model_dump_json(), record.rev,
             json.dumps({"code": "unreadable", "message": type(exc).__name__})),
        )

    # -- verify -------------------------------------------------------------------------------

    def local_digests(self) -> dict[str, tuple[int, str]]:
        """Count and digest of the synced live records per collection."""
        out = {}
        for collection in SYNC_COLLECTIONS:
            rows = self.db.query(
                f"SELECT id, rev FROM {collection} WHERE deleted = 0 AND rev != 0"
                " UNION SELECT entity_id, server_rev FROM conflicts WHERE entity = ?"
                " AND kind = 'unreadable' AND resolved_at IS NULL",
                (collection,),
            )
            if rows:
                out[collection] = (len(rows), digest_of([(r[0], int(r[1])) for r in rows]))
        return out

    def verify(self, report: SyncReport, cancel: threading.Event | None = None) -> None:
        """Compare digests with the server; re-pull every collection that differs."""
        self.progress(Progress("verify", 0, 1))
        remote = self.transport.digest()
        local = self.local_digests()
        for collection in sorted(set(remote.collections) | set(local)):
            r = remote.collections.get(collection)
            want = (r.count, r.digest) if r is not None else None
            if want == local.get(collection):
                continue
            self._cancelled(cancel)
            self._repull(collection)
            report.repulled.append(collection)
        self.progress(Progress("verify", 1, 1))

    def _repull(self, collection: str) -> None:
        seen: set[str] = set()
        cursor = 0
        server_id = None
        while True:
            page = self.transport.pull(cursor, limit=self.pull_limit, collection=collection)
            with self.db.transaction(refetchable=True) as conn:
                self._apply_records(conn, page.changes)
                seen.update(r.id for r in page.changes if not r.deleted)
            cursor, server_id = page.next_cursor, page.server_id
            if not page.has_more:
                break
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT id FROM {collection} WHERE deleted = 0 AND rev != 0"
            ).fetchall()
            gone = [r[0] for r in rows if r[0] not in seen]
            for rid in gone:
                pending = conn.execute(
                    "SELECT 1 FROM outbox WHERE entity = ? AND entity_id = ? AND state = 'pending'",
                    (collection, rid),
                ).fetchone()
                if not pending:  # a tombstone, not a hard delete: recoverable
                    conn.execute(f"UPDATE {collection} SET deleted = 1 WHERE id = ?", (rid,))
        log.info("re-pulled %s (%d records, server %s)", collection, len(seen), server_id)

    def _check_skew(self, server_time: str, report: SyncReport) -> None:
        try:
            skew = (self.now() - datetime.fromisoformat(server_time)).total_seconds()
        except ValueError:
            return
        report.clock_skew_s = skew
        if abs(skew) > SKEW_WARN_S and "clock_skew" not in report.warnings:
            report.warnings.append("clock_skew")
            log.warning("client clock differs from server by %.0f s", skew)
