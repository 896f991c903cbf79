"""A push on PostgreSQL applies its ops once before it takes the revision lock; under the lock
that pass stands only if nothing it read has moved. Two pushes race here for real: one holds
the lock, uncommitted, while the other's pass reads the same records and then waits for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from oa_client.domain.ids import new_id
from oa_server import sync_service
from oa_server.db import make_engine, make_sessionmaker
from oa_server.models import User
from oa_server.sync_models import SyncRecord
from oa_server.sync_push import apply_batch
from sync.protocol import Op, OpResult
from tests.server.support import fixed_keys

pytestmark = pytest.mark.postgres

DRAFTER, OTHER_DRAFTER = "liuyang", "chenmeiling"  # 秘书科 of one unit, 预算股 of another


@pytest.fixture
def sessions(pg_admin: str, pg_template: str) -> Iterator:
    """Sessions on this test's own PostgreSQL database."""
    from tests.server import postgres

    name = postgres.unique_name("oa_unlocked")
    url = postgres.create_database(pg_admin, name, template=pg_template)
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine, keys=fixed_keys())
    finally:
        engine.dispose()
        postgres.drop_database(pg_admin, name)


def _user(session, login: str) -> User:
    return session.scalar(select(User).where(User.login == login))


def _draft(rid: str, title: str, base_rev: int = 0) -> Op:
    return Op(op_id=new_id(), kind="upsert", entity="documents", entity_id=rid,
              base_rev=base_rev, payload={"direction": "outgoing", "title": title})


def _push(sessions, login: str, ops: list[Op], device: str = "desk-a") -> list[OpResult]:
    with sessions() as session:
        return sync_service.push(session, user=_user(session, login), device_id=device, ops=ops,
                                 now=datetime.now(UTC))


def _record(sessions, rid: str) -> SyncRecord:
    with sessions() as session:
        return session.get(SyncRecord, ("documents", rid))


def _race(sessions, holder_login: str, holder_ops: list[Op], login: str, ops: list[Op]
          ) -> tuple[list[OpResult], list[OpResult]]:
    """The holder's push takes the lock and stays uncommitted until the other push, its pass
    done, is waiting for that lock; then the holder commits. Both pushes' results."""
    holder = sessions()
    held = apply_batch(holder, user=_user(holder, holder_login), device_id="desk-h",
                       ops=holder_ops, now=datetime.now(UTC))
    out: dict[str, list[OpResult]] = {}
    racer = threading.Thread(target=lambda: out.update(results=_push(sessions, login, ops)))
    racer.start()
    deadline = time.monotonic() + 20
    while not _waiting_for_a_lock(holder):
        assert time.monotonic() < deadline and racer.is_alive(), "the racer never waited"
        time.sleep(0.02)
    holder.commit()
    holder.close()
    racer.join(20)
    return held, out["results"]


def _waiting_for_a_lock(session) -> bool:
    with session.get_bind().connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'")).scalar())


def test_an_edit_read_before_anothers_commit_is_a_conflict_not_a_lost_update(sessions):
    rid = new_id()
    [made] = _push(sessions, DRAFTER, [_draft(rid, "初稿")])
    held, [late] = _race(sessions, DRAFTER, [_draft(rid, "甲的修改", made.rev)],
                         DRAFTER, [_draft(rid, "乙的修改", made.rev)])
    assert held[0].status == "applied"
    assert late.status == "conflict"
    assert late.server_record.rev == held[0].rev
    assert late.server_record.data["title"] == "甲的修改"
    stored = _record(sessions, rid)
    assert stored.rev == held[0].rev and "甲的修改" in stored.data


def test_a_pass_over_other_records_stands_and_takes_the_next_revision(sessions):
    mine, theirs = new_id(), new_id()
    [a, b] = _push(sessions, DRAFTER, [_draft(mine, "甲稿"), _draft(theirs, "乙稿")])
    held, [late] = _race(sessions, DRAFTER, [_draft(mine, "甲稿二", a.rev)],
                         DRAFTER, [_draft(theirs, "乙稿二", b.rev)])
    assert late.status == "applied"
    assert late.rev == held[0].rev + 1  # revisions in commit order, none skipped
    assert "乙稿二" in _record(sessions, theirs).data


def test_an_id_made_meanwhile_by_someone_else_is_not_taken_over(sessions):
    rid = new_id()
    held, [late] = _race(sessions, DRAFTER, [_draft(rid, "秘书科的稿")],
                         OTHER_DRAFTER, [_draft(rid, "预算股抢用同一编号")])
    assert held[0].status == "applied"
    assert (late.status, late.code) == ("rejected", "forbidden")
    stored = _record(sessions, rid)
    assert stored.rev == held[0].rev and "秘书科的稿" in stored.data


def test_a_pass_that_needs_more_than_keyed_reads_is_done_under_the_lock(sessions):
    """An attachment naming a file checks who else's records name it (a range): the same
    refusal as on SQLite, reached by the pass under the lock."""
    doc = new_id()
    _push(sessions, DRAFTER, [_draft(doc, "带附件的稿")])
    attach = Op(op_id=new_id(), kind="upsert", entity="attachments", entity_id=new_id(),
                payload={"owner_kind": "document", "owner_id": doc, "name": "未上传.txt",
                         "size": 3, "sha256": "ab" * 32, "mime": "text/plain"})
    [result] = _push(sessions, DRAFTER, [attach])
    assert (result.status, result.code) == ("rejected", "blob_unknown")
