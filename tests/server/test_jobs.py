"""The job scheduler (oa_server/jobs): periods on Beijing time, one run per period however
many workers tick, leases taken over from dead workers, failures recorded and retried, work
of a worker that lost its lease rolled back; the admin's endpoints and CLI; expired uploads."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from oa_server.cli import main as cli_main
from oa_server.jobs import Daily, Every, Job, JobRun, Monthly, Outcome
from oa_server.jobs.scheduler import Scheduler
from oa_server.models import JobRun as RunRow
from oa_server.notify import notice_id, notify
from oa_server.sync_models import BlobUpload, SyncRecord
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.server.support import CHEAP_ENV, Clock, bearer, sign_in


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_periods_are_named_on_beijing_time() -> None:
    daily = Daily(at=time(8, 0))
    assert daily.slot(utc("2026-09-30T23:59")) == "2026-09-30"  # 07:59 on 10-01 in Beijing
    assert daily.slot(utc("2026-10-01T00:00")) == "2026-10-01"  # 08:00 in Beijing
    assert Every(minutes=5).slot(utc("2026-09-30T02:07")) == "2026-09-30T10:05"
    assert Every(minutes=15).slot(utc("2026-09-30T16:14")) == "2026-10-01T00:00"
    monthly = Monthly(day=1, at=time(9, 0))
    assert monthly.slot(utc("2026-10-01T00:59")) == "2026-09"
    assert monthly.slot(utc("2026-10-01T01:00")) == "2026-10"
    assert monthly.slot(utc("2026-12-31T16:30")) == "2026-12"  # 00:30 on 1 January
    assert monthly.slot(utc("2027-01-01T01:00")) == "2027-01"


class Counting(Job):
    """A job that writes one reminder per period and counts its runs."""

    name = "test.counting"
    title = "测试"
    schedule = Every(minutes=5)

    def __init__(self, *, fail: int = 0, slow: float = 0.0) -> None:
        self.runs: list[str] = []
        self.fail = fail
        self.slow = slow
        self.lock = threading.Lock()

    def run(self, run: JobRun) -> Outcome:
        with self.lock:
            self.runs.append(run.slot)
            failing = len(self.runs) <= self.fail
        if failing:
            raise RuntimeError("磁盘已满")
        with run.batch() as ctx:
            unit = str(ctx.user.unit_id)
            sent = notify(ctx, key=f"test:{run.slot}", kind="meeting.soon", users=[],
                          units=[unit], args={"time": "09:00", "title": "例会", "place": "一楼"},
                          collection="meetings", record_id="m1")
        if self.slow:
            import time as _t

            _t.sleep(self.slow)
        return Outcome(touched=int(sent), details={"sent": int(sent)})


def _runs(app: FastAPI, job: str) -> list[RunRow]:
    with app.state.sessionmaker() as s:
        return list(s.scalars(select(RunRow).where(RunRow.job == job).order_by(RunRow.slot)))


def _notices(app: FastAPI) -> int:
    with app.state.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(SyncRecord)
                        .where(SyncRecord.collection == "notifications")) or 0


def test_two_workers_ticking_together_run_each_period_once(app: FastAPI, clock: Clock) -> None:
    job = Counting(slow=0.05)
    workers = [Scheduler(app.state.sessionmaker, clock=clock, node=f"worker-{i}",
                         jobs={job.name: job}) for i in range(2)]
    clock.now = utc("2026-09-30T02:00")
    for _step in range(4):  # four periods, both workers ticking at the same moment each time
        done = []
        threads = [threading.Thread(target=lambda w=w, d=done: d.extend(w.tick()))
                   for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(done) == 1 and done[0].outcome == "ok"
        for w in workers:  # a later tick in the same period does nothing
            assert w.tick() == []
        clock.advance(minutes=5)
    assert job.runs == ["2026-09-30T10:00", "2026-09-30T10:05", "2026-09-30T10:10",
                        "2026-09-30T10:15"]
    rows = _runs(app, job.name)
    assert [(r.slot, r.outcome, r.touched, r.attempts) for r in rows] == [
        (s, "ok", 1, 1) for s in job.runs]
    assert {r.node for r in rows} <= {"worker-0", "worker-1"}
    assert _notices(app) == 4


def test_a_dead_workers_lease_is_taken_over_and_the_period_done_once(app: FastAPI,
                                                                     clock: Clock) -> None:
    job = Counting()
    job.schedule = Daily(at=time(8, 0))
    start = utc("2026-09-30T02:00")
    with app.state.sessionmaker() as s:  # a worker claimed today's period, then died
        s.add(RunRow(job=job.name, slot="2026-09-30", node="dead", started_at=start,
                     lease_until=start + timedelta(minutes=30), outcome="running",
                     attempts=1, touched=0, details="{}"))
        s.commit()
    worker = Scheduler(app.state.sessionmaker, clock=clock, node="alive", jobs={job.name: job})
    clock.now = start + timedelta(minutes=10)
    assert worker.tick() == [] and job.runs == []  # its lease still runs: nobody starts it
    clock.now = start + timedelta(minutes=31)  # the lease ran out
    (result,) = worker.tick()
    assert (result.slot, result.outcome, result.touched) == ("2026-09-30", "ok", 1)
    assert worker.tick() == []
    (row,) = _runs(app, job.name)
    assert (row.node, row.outcome, row.attempts, row.touched) == ("alive", "ok", 2, 1)
    assert job.runs == ["2026-09-30"] and _notices(app) == 1


def test_a_failing_job_is_recorded_and_retried_three_times_at_most(app: FastAPI,
                                                                   clock: Clock) -> None:
    job = Counting(fail=5)
    job.schedule = Daily(at=time(8, 0))
    worker = Scheduler(app.state.sessionmaker, clock=clock, node="w", jobs={job.name: job})
    clock.now = utc("2026-09-30T02:00")
    (result,) = worker.tick()
    assert result.outcome == "failed" and result.details["error"] == "RuntimeError: 磁盘已满"
    (row,) = _runs(app, job.name)
    assert (row.outcome, row.attempts) == ("failed", 1) and row.finished_at is not None
    clock.advance(minutes=2)
    assert worker.tick() == []  # too soon to try again
    clock.advance(minutes=4)
    assert [r.outcome for r in worker.tick()] == ["failed"]
    clock.advance(minutes=6)
    assert [r.outcome for r in worker.tick()] == ["failed"]
    clock.advance(minutes=6)
    assert worker.tick() == []  # three attempts: the period is given up
    (row,) = _runs(app, job.name)
    assert (row.outcome, row.attempts) == ("failed", 3) and len(job.runs) == 3
    assert _notices(app) == 0


def test_work_of_a_worker_that_lost_its_lease_is_rolled_back(app: FastAPI, clock: Clock) -> None:
    from oa_server.jobs.runs import run_job

    class Overtaken(Counting):
        def run(self, run: JobRun) -> Outcome:
            # another worker took the lease over while this one ran (its rows say so)
            run.session.execute(update(RunRow).where(RunRow.job == self.name)
                                .values(node="other", attempts=2))
            return super().run(run)

    job = Overtaken()
    clock.now = utc("2026-09-30T02:00")
    result = run_job(app.state.sessionmaker, job, now=clock.now, node="slow")
    assert result is not None and result.outcome == "lost"
    assert _notices(app) == 0  # the slow worker's reminder was never committed
    (row,) = _runs(app, job.name)
    assert (row.node, row.outcome) == ("slow", "running")  # left to the lease's owner


def _admin_headers(client: TestClient) -> dict[str, str]:
    return {**bearer(sign_in(client, "huangwei")), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}


def test_the_system_admin_sees_the_jobs_runs_one_and_sees_the_run(client: TestClient,
                                                                  clock: Clock) -> None:
    clock.now = utc("2026-09-30T02:00")
    admin = _admin_headers(client)
    jobs = {j["name"]: j for j in client.get("/api/v1/jobs", headers=admin).json()}
    assert {"supervision.chase", "requests.remind", "requests.reroute", "meetings.remind",
            "reports.remind", "uploads.expire", "supervision.bulletin"} <= set(jobs)
    assert jobs["supervision.chase"]["schedule"] == "每天 08:00"
    assert jobs["supervision.chase"]["slot"] == "2026-09-30"
    assert jobs["meetings.remind"]["last_run"] is None
    ran = client.post("/api/v1/jobs/meetings.remind/run", headers=admin)
    assert ran.status_code == 200 and ran.json()["outcome"] == "ok"
    assert ran.json()["slot"].startswith("manual:2026-09-30T02:00:00")
    runs = client.get("/api/v1/jobs/runs", params={"job": "meetings.remind"}, headers=admin).json()
    assert [(r["job"], r["outcome"]) for r in runs] == [("meetings.remind", "ok")]
    assert runs[0]["started_at"].startswith("2026-09-30T02:00") and runs[0]["finished_at"]
    assert set(runs[0]["details"]) >= {"tomorrow", "soon", "ms"}
    last = {j["name"]: j for j in client.get("/api/v1/jobs", headers=admin).json()}
    assert last["meetings.remind"]["last_run"]["outcome"] == "ok"
    missing = client.post("/api/v1/jobs/nothing.here/run", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_only_the_system_admin_sees_the_jobs(client: TestClient) -> None:
    clerk = {**bearer(sign_in(client, "wuqiong")), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    for method, path in (("GET", "/api/v1/jobs"), ("GET", "/api/v1/jobs/runs"),
                         ("POST", "/api/v1/jobs/meetings.remind/run")):
        answer = client.request(method, path, headers=clerk)
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_unfinished_uploads_expire_after_a_day(app: FastAPI, client: TestClient, clock: Clock,
                                               data_dir: Path) -> None:
    clock.now = utc("2026-09-30T02:00")
    user = {**bearer(sign_in(client, "wuqiong")), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    data = "会议纪要草稿".encode() * 1000
    sha = hashlib.sha256(data).hexdigest()
    old = client.post("/api/v1/blobs/uploads", headers=user,
                      json={"sha256": sha, "size": len(data)}).json()
    assert client.put(f"/api/v1/blobs/uploads/{old['upload_id']}", params={"offset": 0},
                      headers=user, content=data[:100]).status_code == 200
    spool = data_dir / "blobs" / "uploads" / old["upload_id"]
    assert spool.stat().st_size == 100
    clock.advance(hours=20)
    user = {**bearer(sign_in(client, "wuqiong")), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    other = b"another file" * 10
    fresh = client.post("/api/v1/blobs/uploads", headers=user, json={
        "sha256": hashlib.sha256(other).hexdigest(), "size": len(other)}).json()
    clock.advance(hours=5)  # the first is 25 hours old, the second 5
    worker = Scheduler(app.state.sessionmaker, clock=clock, node="w",
                       jobs={"uploads.expire": _job("uploads.expire")},
                       settings=app.state.settings)
    (result,) = worker.tick()
    assert (result.outcome, result.touched) == ("ok", 1)
    assert not spool.exists()
    user = {**bearer(sign_in(client, "wuqiong")), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    gone = client.get(f"/api/v1/blobs/uploads/{old['upload_id']}", headers=user)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    kept = client.get(f"/api/v1/blobs/uploads/{fresh['upload_id']}", headers=user)
    assert kept.status_code == 200 and kept.json()["received"] == 0
    with app.state.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(BlobUpload)) == 1


def _job(name: str) -> Job:
    from oa_server.jobs import job_named

    job = job_named(name)
    assert job is not None
    return job


def test_the_cli_lists_the_jobs_and_runs_one(data_dir: Path, db_url: str,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in CHEAP_ENV.items():
        monkeypatch.setenv(key, value)
    base = ["--data-dir", str(data_dir), "--database-url", db_url, "jobs"]
    assert cli_main([*base, "list"]) == 0
    out = capsys.readouterr().out
    assert "supervision.chase" in out and "每天 08:00" in out and "尚未运行" in out
    assert cli_main([*base, "run", "reports.remind", "--at", "2026-09-30T09:30"]) == 0
    assert "reports.remind：完成，处理 0 条" in capsys.readouterr().out
    assert cli_main([*base, "list"]) == 0
    assert "上次：manual:2026-09-30T01:30:00" in capsys.readouterr().out
    assert cli_main([*base, "run", "nothing.here"]) == 1
    assert "没有名为“nothing.here”的定时任务" in capsys.readouterr().err
    assert cli_main([*base, "run", "reports.remind", "--at", "yesterday"]) == 1
    assert "--at 的格式" in capsys.readouterr().err


def test_notices_are_written_once_per_key(app: FastAPI, clock: Clock) -> None:
    from oa_server.jobs import JobRun as Run

    clock.now = utc("2026-09-30T02:00")
    for _i in range(2):
        with app.state.sessionmaker() as s:
            run = Run(session=s, now=clock.now, slot="x")
            with run.batch() as ctx:
                sent = notify(ctx, key="same", kind="meeting.soon", users=["u1"],
                              args={"time": "09:00", "title": "例会", "place": "一楼"},
                              collection="meetings", record_id="m1")
            s.commit()
        assert sent is (_i == 0)
    with app.state.sessionmaker() as s:
        rec = s.get(SyncRecord, ("notifications", notice_id("same")))
    assert rec is not None and "09:00开会：例会（一楼）" in rec.data


def test_the_supervision_policy_and_bulletin_endpoints_refuse_plainly(client: TestClient,
                                                                       clock: Clock) -> None:
    clock.now = utc("2026-10-12T02:00")

    def headers(login: str) -> dict[str, str]:
        return {**bearer(sign_in(client, login)), PROTOCOL_HEADER: str(PROTOCOL_VERSION)}

    office, clerk = headers("lindongsheng"), headers("wuqiong")
    assert client.get("/api/v1/supervision/policy", headers=clerk).json() == {"warn_days": 3}
    for body in ({"warn_days": 31}, {"warn_days": "2"}, {"warn_days": True}, {}):
        refused = client.put("/api/v1/supervision/policy", headers=office, json=body)
        assert refused.status_code == 422 and refused.json()["code"] == "validation", body
    forbidden = client.put("/api/v1/supervision/policy", headers=clerk, json={"warn_days": 2})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert client.put("/api/v1/supervision/policy", headers=office,
                      json={"warn_days": 2}).json() == {"warn_days": 2}
    assert client.get("/api/v1/supervision/policy", headers=clerk).json() == {"warn_days": 2}
    for body in ({"year": 2026, "month": 13}, {"year": "2026", "month": 9}, {}):
        refused = client.post("/api/v1/supervision/bulletins", headers=office, json=body)
        assert refused.status_code == 422 and refused.json()["code"] == "validation", body
    forbidden = client.post("/api/v1/supervision/bulletins", headers=clerk,
                            json={"year": 2026, "month": 9})
    assert forbidden.status_code == 403
    # a month without tasks makes no draft
    empty = client.post("/api/v1/supervision/bulletins", headers=office,
                        json={"year": 2026, "month": 9})
    assert empty.status_code == 200 and empty.json()["made"] is False
