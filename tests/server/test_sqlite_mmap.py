"""A SQLite server database is read through a memory map, and its commits stay as durable:
WAL, `synchronous=FULL`, and what one connection commits the others read (from the WAL
before a checkpoint, from the mapped file after it)."""

from __future__ import annotations

from sqlalchemy import text

from oa_server.db import SQLITE_MMAP_BYTES, checkpointer_of, make_engine


def test_connections_map_the_file_and_commits_stay_synchronous(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_another_connection_reads_what_was_committed_before_and_after_a_checkpoint(tmp_path):
    path = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        reader = engine.connect()  # held open: its map of the file outlives the writes below
        writer = engine.connect()
        with writer.begin():
            writer.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            writer.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a" * 300}] * 500)
        with reader.begin():
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 500
        checkpointer = checkpointer_of(engine)
        assert checkpointer is not None
        checkpointer.run()  # the pages move from the WAL into the mapped file
        with writer.begin():
            writer.execute(text("UPDATE t SET v = 'b' WHERE id % 2 = 0"))
        with reader.begin():
            counts = dict(reader.execute(text("SELECT v, count(*) FROM t GROUP BY v")).all())
        assert counts == {"a" * 300: 250, "b": 250}
        reader.close()
        writer.close()
    finally:
        engine.dispose()
