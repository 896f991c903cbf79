"""A bulk pull may write a table without its secondary indexes; they always come back:
after the write, after a failed write, and after a process killed in between."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oa_client.store.db import Database
from tests.support.store_helpers import open_profile, sample_document

ROOT = Path(__file__).resolve().parents[2]
SECONDARY = {"documents_updated", "documents_state"}


def indexes(store, table: str = "documents") -> set[str]:
    """The indexes a table has, by name (SQLite's own automatic ones included)."""
    return {row[1] for row in store.db.query(f"PRAGMA index_list({table})")}


def backlog(store) -> list[tuple]:
    return store.db.query("SELECT value FROM meta WHERE key = 'index_backlog'")


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.records.write("documents", [sample_document(f"关于第{i}季度工作的通知", "正文") for i in range(5)])
    yield s
    s.close()


def test_deferred_indexes_are_dropped_then_rebuilt_and_still_used(store):
    assert SECONDARY <= indexes(store)
    with store.db.transaction() as conn:
        assert Database.defer_indexes(conn, "documents") == 2
    assert not SECONDARY & indexes(store)
    assert backlog(store)
    store.records.write("documents", [sample_document("关于防汛值班安排的通知", "正文")])
    assert store.db.restore_indexes() == 2
    assert SECONDARY <= indexes(store) and not backlog(store)
    assert store.db.restore_indexes() == 0  # nothing left to do
    plan = " ".join(str(r) for r in store.db.query(
        "EXPLAIN QUERY PLAN SELECT id FROM documents WHERE state = 'draft'"
        " ORDER BY updated_at DESC"))
    assert "documents_state" in plan
    assert store.records.count("documents") == 6


def test_unique_and_automatic_indexes_are_never_dropped(store):
    store.db.query("CREATE UNIQUE INDEX documents_number_u ON documents(doc_number)")
    with store.db.transaction() as conn:
        Database.defer_indexes(conn, "documents")
    left = indexes(store)
    assert "documents_number_u" in left
    assert any(name.startswith("sqlite_autoindex_documents") for name in left)
    store.db.restore_indexes()


def test_a_failed_bulk_write_rolls_the_drop_back(store):
    with pytest.raises(RuntimeError), store.db.transaction() as conn:
        Database.defer_indexes(conn, "documents")
        raise RuntimeError("写入中断")
    assert SECONDARY <= indexes(store) and not backlog(store)


def test_indexes_come_back_when_the_profile_opens_after_a_kill(tmp_path, file_keyring):
    profile = tmp_path / "p"
    open_profile(profile, file_keyring).close()
    child = textwrap.dedent(f"""
        import os, signal, sys
        from oa_client.store.db import Database
        from tests.support.file_keyring import FileKeyring
        from tests.support.store_helpers import open_profile
        store = open_profile({str(profile)!r}, FileKeyring({str(file_keyring.file.parent)!r}))
        with store.db.transaction() as conn:
            Database.defer_indexes(conn, "documents")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", child], cwd=ROOT, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = open_profile(profile, file_keyring)
    try:
        assert SECONDARY <= indexes(store)
        assert not backlog(store)
    finally:
        store.close()
