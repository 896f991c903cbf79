"""A reader paging by cursor never skips a revision, even while several writers commit at
once (on PostgreSQL through two worker processes): whatever it has not seen yet, it gets."""

from __future__ import annotations

import threading

from oa_client.domain.ids import new_id
from tests.sync.support import add_user, make_client

#: four 拟稿人 of one section (秘书科): their 科长 sees every draft of theirs
WRITERS = ("liuyang", "drafter2", "drafter3", "drafter4")
PER_WRITER = 60


def test_concurrent_writers_and_a_reader_that_never_skips(server, tmp_path):
    for login in WRITERS[1:]:
        add_user(server, like="liuyang", login=login, roles=("drafter",))
    writers = [make_client(server, tmp_path, login) for login in WRITERS]
    reader = make_client(server, tmp_path, "zhengxiaoyan")  # the section's 科长
    written: set[str] = set()
    lock = threading.Lock()

    def write(client):
        for i in range(PER_WRITER):
            rid = new_id()
            result = client.transport.push([{
                "op_id": rid, "kind": "upsert", "entity": "documents", "entity_id": rid,
                "base_rev": 0, "payload": {"direction": "outgoing", "title": f"并发{i}"}}]).results[0]
            assert result.status == "applied"
            with lock:
                written.add(rid)

    seen: set[str] = set()
    cursor = 0
    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        page = reader.transport.pull(cursor, limit=7)
        seen.update(r.id for r in page.changes)
        cursor = page.next_cursor
    for t in threads:
        t.join()
    while True:  # catch up on what committed after the last page
        page = reader.transport.pull(cursor, limit=50)
        seen.update(r.id for r in page.changes)
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert len(written) == len(WRITERS) * PER_WRITER
    assert written <= seen, f"{len(written - seen)} records skipped by the cursor"
    for c in (*writers, reader):
        c.close()
