"""A push reads its records straight from the driver: a record it only moves to a new
revision keeps its stored time as it was, and reads back as the same aware datetime."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from oa_server.db import make_engine, make_sessionmaker
from oa_server.models import User
from oa_server.sync_models import SyncAudience, SyncRecord
from oa_server.sync_push import server_batch
from oa_server.sync_rows import RECORDS, datetime_param, read_by_ids
from sync.protocol import OpResult

THEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _record(session: Session, me: User, rid: str) -> None:
    session.execute(insert(SyncRecord).values(
        collection="phrases", id=rid, rev=0, deleted=False, data=json.dumps({"text": "同意"}, ensure_ascii=False),
        unit_id=str(me.unit_id), parent=None, created_by=str(me.id), updated_by=str(me.id),
        updated_at=THEN))
    session.execute(insert(SyncAudience).values(
        collection="phrases", record_id=rid, principal=f"user:{me.id}", active=True))


def test_a_record_read_in_bulk_and_moved_keeps_its_time(db_url):
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as s:
            me = s.scalars(select(User).where(User.login == "liuyang")).one()
            _record(s, me, "p-1")
            _record(s, me, "p-2")
            s.commit()
            found = {r.id: r for r in read_by_ids(s, "phrases", ["p-1", "p-2", "p-none"])}
            assert sorted(found) == ["p-1", "p-2"] and found["p-1"].data == '{"text": "同意"}'
            with server_batch(s, user=me, now=NOW) as ctx:
                ctx.preload({("phrases", "p-1")})
                batch = ctx._batch
                batch.take_rev(batch.records[("phrases", "p-1")],
                               OpResult(op_id="", status="applied"))
            s.commit()
        with make_sessionmaker(engine)() as s:
            moved, kept = (s.get(SyncRecord, ("phrases", rid)) for rid in ("p-1", "p-2"))
            assert moved.rev > 0 and kept.rev == 0
            assert moved.updated_at == THEN and moved.updated_at.tzinfo is not None
            assert json.loads(moved.data) == {"text": "同意"}
    finally:
        engine.dispose()


def test_a_time_written_in_bulk_is_stored_as_the_driver_would_store_it(db_url):
    """`datetime_param` hands the driver the text its own adapter would have made (once per
    batch, not once per row): the stored column is the same either way."""
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as s:
            when = datetime_param(s)
            conn = s.connection()
            for at in (THEN, NOW, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)):
                ours = when(at)
                raw = RECORDS.c.updated_at.type.bind_processor(conn.dialect)(at)
                if conn.dialect.name == "sqlite":
                    assert isinstance(ours, str)  # the driver adapts nothing per row
                stored = [conn.exec_driver_sql("SELECT CAST(? AS TEXT)", (value,)).scalar()
                          for value in (ours, raw)]
                assert stored[0] == stored[1]
                assert when(at) is ours  # the same instant again: made once
    finally:
        engine.dispose()
