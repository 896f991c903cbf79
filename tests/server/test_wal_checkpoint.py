"""A SQLite server database checkpoints its WAL on a background thread, not inside a commit:
what a commit wrote is in the WAL, durable, and the WAL is copied back after enough rows."""

from __future__ import annotations

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

