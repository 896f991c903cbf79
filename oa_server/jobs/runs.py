"""Claiming a job's period, running it under the lease, recording the outcome (`job_runs`).

See oa_server/jobs/__init__.py for the mechanism; this module is steps 1–3.
"""

from __future__ import annotations

import json
import logging
import time as _time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from oa_client.errors import OAError
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.jobs import Job, JobRun
from oa_server.models import JobRun as RunRow
from oa_server.models import User

log = logging.getLogger("oa_server.jobs")

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class RunResult:
    """One finished run as the runner saw it."""

    job: str
    slot: str
    outcome: str  # ok, failed, lost (another worker took the lease over meanwhile)
    touched: int
    details: dict[str, Any]
    result: Any = None  # the job's answer to a manual caller


def _claim(session: Session, *, job: Job, slot: str, node: str, now: datetime
           ) -> tuple[uuid.UUID, int] | None:
    """Take the period: insert its row, or take over a dead lease or a failed attempt."""
    row = RunRow(job=job.name, slot=slot, node=node, started_at=now, lease_until=now + job.lease,
                 outcome="running", attempts=1, touched=0, details="{}")
    session.add(row)
    try:
        session.commit()
        return row.id, 1
    except IntegrityError:
        session.rollback()
    current = session.scalar(select(RunRow).where(RunRow.job == job.name, RunRow.slot == slot))
    if current is None:
        return None
    taken = session.execute(
        update(RunRow)
        .where(RunRow.id == current.id, RunRow.attempts == current.attempts, or_(
            and_(RunRow.outcome == "running", RunRow.lease_until < now),
            and_(RunRow.outcome == "failed", RunRow.attempts < MAX_ATTEMPTS,
                 RunRow.finished_at < now - RETRY_AFTER)))
        .values(node=node, started_at=now, lease_until=now + job.lease, outcome="running",
                attempts=current.attempts + 1, finished_at=None)
        .execution_options(synchronize_session=False))
    session.commit()
    if taken.rowcount != 1:
        return None
    return current.id, current.attempts + 1


def _record(session: Session, *, run_id: uuid.UUID, attempts: int, node: str, outcome: str,
            touched: int, details: dict[str, Any], now: datetime) -> bool:
    """Write the outcome while the lease is still ours; False when another worker took it."""
    done = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.node == node, RunRow.attempts == attempts,
               RunRow.outcome == "running")
        .values(outcome=outcome, finished_at=now, touched=touched,
                details=json.dumps(details, ensure_ascii=False, default=str))
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


class JobFailed(OAError):
    """Raised to a manual caller when the job failed for a reason that is not an OAError."""

    code = "job_failed"


def run_job(sessions: sessionmaker[Session], job: Job, *, now: datetime, node: str,
            slot: str | None = None, actor: User | None = None,
            options: dict[str, Any] | None = None, reraise: bool = False,
            settings: Settings | None = None) -> RunResult | None:
    """Claim `job`'s period (`slot`, default: the one begun at `now`) and run it; None when
    another worker has it or had it. The job's writes and its outcome commit together.
    With `reraise`, a failure is recorded and then raised (as an OAError) to the caller."""
    slot = slot or job.schedule.slot(now)
    with sessions() as session:
        claimed = _claim(session, job=job, slot=slot, node=node, now=now)
    if claimed is None:
        return None
    run_id, attempts = claimed
    started = _time.perf_counter()
    with sessions() as session:
        try:
            if actor is not None:
                actor = session.merge(actor, load=True)
            outcome = job.run(JobRun(session=session, now=now, slot=slot, actor=actor,
                                     options=dict(options or {}), settings=settings))
            details = {**outcome.details,
                       "ms": round((_time.perf_counter() - started) * 1000, 1)}
            if not _record(session, run_id=run_id, attempts=attempts, node=node, outcome="ok",
                           touched=outcome.touched, details=details, now=now):
                session.rollback()
                log.warning("job %s %s: lease lost, work rolled back", job.name, slot)
                return RunResult(job.name, slot, "lost", 0, {})
            session.commit()
            return RunResult(job.name, slot, "ok", outcome.touched, details, outcome.result)
        except Exception as exc:  # a failed job is recorded; it never kills the loop
            session.rollback()
            error = exc
            message = exc.message if isinstance(exc, OAError) else f"{type(exc).__name__}: {exc}"
            log.exception("job %s %s failed", job.name, slot)
    failure = {"error": message, "ms": round((_time.perf_counter() - started) * 1000, 1)}
    with sessions() as session:
        _record(session, run_id=run_id, attempts=attempts, node=node, outcome="failed",
                touched=0, details=failure, now=now)
        session.commit()
    if reraise:
        if isinstance(error, OAError):
            raise error
        raise JobFailed(_("定时任务“{name}”执行失败，详情见运行记录").format(name=job.name),
                        job=job.name)
    return RunResult(job.name, slot, "failed", 0, failure)


def manual_slot(now: datetime) -> str:
    """The period name of a manual run: new every time, never a scheduled one."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"manual:{stamp}:{uuid.uuid4().hex[:8]}"


def run_manual(sessions: sessionmaker[Session], job: Job, *, now: datetime, node: str,
               actor: User | None = None, options: dict[str, Any] | None = None,
               settings: Settings | None = None) -> RunResult:
    """Run `job` now, outside its schedule, as `actor` when given (recorded like any run);
    a failure is recorded and raised."""
    result = run_job(sessions, job, now=now, node=node, slot=manual_slot(now), actor=actor,
                     options=options, reraise=True, settings=settings)
    if result is None:  # a fresh slot cannot be taken: the database refused the row
        return RunResult(job.name, "", "failed", 0, {"error": "claim"})
    return result


def settled(session: Session, keys: list[tuple[str, str]], *, now: datetime) -> set[tuple[str, str]]:
    """Which (job, slot) pairs need nothing from this worker now: done, or running under a
    live lease, or failed and not yet due for another attempt."""
    if not keys:
        return set()
    rows = session.execute(select(RunRow.job, RunRow.slot, RunRow.outcome, RunRow.lease_until,
                                  RunRow.attempts, RunRow.finished_at)
                           .where(RunRow.job.in_({k[0] for k in keys}),
                                  RunRow.slot.in_({k[1] for k in keys}))).all()
    out = set()
    for job, slot, outcome, lease_until, attempts, finished_at in rows:
        if outcome == "running" and lease_until < now:
            continue
        if outcome == "failed" and attempts < MAX_ATTEMPTS and (
                finished_at is None or finished_at < now - RETRY_AFTER):
            continue
        out.add((job, slot))
    return out


def recent_runs(session: Session, *, job: str | None = None, limit: int = 100
                ) -> list[dict[str, Any]]:
    """The newest runs (of one job, or all), as JSON-ready rows."""
    query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.job).limit(limit)
    if job:
        query = query.where(RunRow.job == job)
    return [run_out(r) for r in session.scalars(query)]


def run_out(row: RunRow) -> dict[str, Any]:
    """One run as the admin sees it."""
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        details = {}
    return {"job": row.job, "slot": row.slot, "node": row.node,
            "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "outcome": row.outcome, "attempts": row.attempts, "touched": row.touched,
            "details": details}
