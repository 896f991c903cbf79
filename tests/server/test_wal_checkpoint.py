"""A SQLite server database checkpoints its WAL on a background thread, not inside a commit:
what a commit wrote is in the WAL, durable, and the WAL is copied back after enough rows."""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import text

from oa_server import wal_checkpoint
from oa_server.db import checkpointer_of, make_engine


def _wait_runs(checkpointer, runs: int) -> None:
    deadline = time.monotonic() + 10
    while checkpointer.runs < runs and time.monotonic() < deadline:
        time.sleep(0.01)


def test_commits_leave_the_copy_to_the_background_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(wal_checkpoint, "ROWS", 100)
    path = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        checkpointer = checkpointer_of(engine)
        assert checkpointer is not None and checkpointer.rows == 100
        with engine.begin() as conn:
            # no checkpoint inside this connection's commits
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 500}] * 60)
        # 60 rows: under the mark, nothing copied yet (the rows are in the WAL, committed)
        time.sleep(0.1)
        assert checkpointer.runs == 0
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 60
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "y" * 500}] * 60)
        _wait_runs(checkpointer, 1)
        assert checkpointer.runs == 1
        # everything committed before it is copied into the database file
        busy, frames, copied = checkpointer.last
        assert busy == 0 and frames > 0 and copied == frames
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 120
    finally:
        engine.dispose()


def test_a_removed_database_is_not_made_again(tmp_path):
    path = tmp_path / "gone.sqlite3"
    checkpointer = wal_checkpoint.Checkpointer(path, rows=1)
    checkpointer.run()
    assert not path.exists() and checkpointer.runs == 0




def test_the_wal_starts_over_though_a_writer_came_during_the_checkpoint(tmp_path, monkeypatch):
    """A writer that began while a checkpoint ran appends to the WAL rather than restarting
    it; past RESTART_FRAMES the checkpoint waits for it and has the WAL start over."""
    monkeypatch.setattr(wal_checkpoint, "ROWS", 10**9)  # run by hand below
    monkeypatch.setattr(wal_checkpoint, "RESTART_FRAMES", 1)
    path = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        checkpointer = checkpointer_of(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 2000}] * 150)
        with engine.begin() as conn:  # a writer in the middle of its transaction …
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "y" * 2000}] * 20)
            during = threading.Thread(target=checkpointer.run)
            during.start()  # … when the checkpoint begins
            time.sleep(0.2)
        during.join(timeout=10)
        busy, frames, copied = checkpointer.last
        assert busy == 0 and copied == frames
        with engine.begin() as conn:  # the next writer begins the WAL again
            conn.execute(text("INSERT INTO t (v) VALUES ('z')"))
        with sqlite3.connect(path) as other:
            _busy, now, _copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert 0 < now < 10  # the one small commit, not the pages before it
    finally:
        engine.dispose()


def test_a_checkpoint_waits_out_a_moments_lock_instead_of_failing(tmp_path):
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    setup.execute("PRAGMA wal_autocheckpoint=0")
    setup.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 500,)] * 50)
    setup.commit()
    setup.close()
    holder = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # nobody else may even read until it closes
    holder.execute("INSERT INTO t (v) VALUES ('held')")
    release = threading.Timer(0.05, holder.close)  # (another process's moment of a lock)
    release.start()
    checkpointer = wal_checkpoint.Checkpointer(path, rows=1)
    checkpointer.run()  # in the background thread's place
    release.join()
    assert checkpointer.runs == 1 and checkpointer.last[0] == 0  # done once the lock was gone
