"""When a commit waits for the disk: edits and their outbox ops always; what the server or the
profile can give again (pulled pages, push answers, index rebuilds) only goes to the WAL.
And the WAL is copied into the database at the end of a sync, not by every large commit."""

from __future__ import annotations

import pytest

from oa_client.errors import ValidationError
from oa_client.store.db import WAL_CHECKPOINT_PAGES
from tests.support.store_helpers import open_profile

FULL, NORMAL = 2, 1


def _level(conn) -> int:
    return conn.execute("PRAGMA synchronous").fetchone()[0]


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    yield s
    s.close()


def test_edits_wait_for_the_disk_and_refetchable_writes_do_not(store):
    db = store.db
    assert _level(db.conn) == FULL
    with db.transaction() as conn:
        assert _level(conn) == FULL
    with db.transaction(refetchable=True) as conn:
        assert _level(conn) == NORMAL
    assert _level(db.conn) == FULL
    with db.deferred_search(refetchable=True) as conn:
        assert _level(conn) == NORMAL
    assert _level(db.conn) == FULL
    # a refetchable transaction that fails leaves the next edit durable all the same
    with pytest.raises(ValidationError), db.transaction(refetchable=True) as conn:
        conn.execute("INSERT INTO documents(id, direction, title) VALUES ('d1', 'sideways', 'x')")
    assert _level(db.conn) == FULL
    changes = store.records.write("documents", [{"direction": "outgoing", "title": "关于防汛的通知"}])
    assert changes.ids and _level(db.conn) == FULL


def test_large_commits_leave_the_wal_to_the_checkpoint(store):
    db = store.db
    assert db.query("PRAGMA wal_autocheckpoint")[0][0] == WAL_CHECKPOINT_PAGES
    rows = [{"id": f"doc-{i:05d}", "direction": "outgoing", "title": f"第{i}号通知",
             "body": "各单位：" + "请认真贯彻落实。" * 40} for i in range(3000)]
    with db.transaction(refetchable=True) as conn:
        store.records.upsert_in(conn, "documents", rows)
    wal = db.path.with_name(db.path.name + "-wal")
    grown = wal.stat().st_size
    assert grown > 1000 * 4096  # more than SQLite's default checkpoint: still all in the WAL
    assert db.checkpoint() is True
    busy, frames, copied = db.query("PRAGMA wal_checkpoint(PASSIVE)")[0]
    assert busy == 0 and frames == copied
    assert store.records.count("documents") == 3000
    store.close()
    assert not wal.exists() or wal.stat().st_size == 0  # closing empties the WAL
