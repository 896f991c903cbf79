"""A push names the audiences of the records it moved for the live-update notice
(`live.revision_taken`); the commit then reads back only revisions nobody named — and the
principals named are the ones the database holds, former readers included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oa_server import live
from oa_server.db import make_engine, make_sessionmaker
from oa_server.models import User
from oa_server.sync_models import SyncCounter, SyncRecord
from oa_server.sync_push import server_batch

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(db_url: str) -> Iterator:
    """Sessions on this test's server database."""
    engine = make_engine(db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _top(session: Session) -> int:
    return int(session.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev")))


def _people(session: Session) -> tuple[User, str, str]:
    me = session.scalars(select(User).where(User.login == "liuyang")).one()
    a, b = (str(u.id) for u in session.scalars(
        select(User).where(User.id != me.id).order_by(User.login).limit(2)))
    return me, a, b


def test_the_named_audience_is_the_stored_one_with_former_readers(sessions):
    with sessions() as s:
        me, a, b = _people(s)
        with server_batch(s, user=me, now=NOW) as ctx:
            ctx.put("meetings", "m-1", {"title": "周例会", "audience_users": [a, b]},
                    unit_id=None)
            ctx.put("documents", "d-1", {"title": "通知", "state": "draft",
                                         "direction": "outgoing"}, unit_id=None)
        s.commit()
    with sessions() as s:
        me, a, b = _people(s)
        top = _top(s)
        with server_batch(s, user=me, now=NOW) as ctx:  # b is dropped: a tombstone's reader
            ctx.put("meetings", "m-1", {"title": "周例会", "audience_users": [a]},
                    unit_id=None)
            ctx.put("documents", "d-2", {"title": "函", "state": "draft",
                                         "direction": "outgoing"}, unit_id=None)
        rev = _top(s)
        first, last, named = s.info[live._KNOWN]
        stored = live.audience_since(s, top, rev)
        assert (first, last) == (top + 1, rev)
        assert named == stored and f"user:{b}" in named and f"user:{a}" in named
        assert live._audience_of(s, top, rev) == stored
        s.rollback()


def test_revisions_written_without_a_notice_are_read_back_beside_the_named_ones(sessions):
    with sessions() as s:
        me, a, b = _people(s)
        with server_batch(s, user=me, now=NOW) as ctx:
            ctx.put("meetings", "m-1", {"title": "周例会", "audience_users": [b]},
                    unit_id=None)
        s.commit()
    with sessions() as s:
        me, a, b = _people(s)
        since = _top(s)
        # a revision taken by a writer that named nobody (as a migration's refresh does)
        s.execute(update(SyncRecord).where(SyncRecord.id == "m-1").values(rev=since + 1))
        s.execute(update(SyncCounter).where(SyncCounter.name == "rev").values(value=since + 1))
        with server_batch(s, user=me, now=NOW) as ctx:
            ctx.put("meetings", "m-2", {"title": "专题会", "audience_users": [a]},
                    unit_id=None)
        rev = _top(s)
        assert s.info[live._KNOWN][0] == since + 2
        who = live._audience_of(s, since, rev)
        assert who == live.audience_since(s, since, rev)
        assert {f"user:{a}", f"user:{b}"} <= who
        s.rollback()


def test_a_write_that_names_nobody_has_the_whole_span_read_back(sessions):
    with sessions() as s:
        me, a, _b = _people(s)
        top = _top(s)
        with server_batch(s, user=me, now=NOW) as ctx:
            ctx.put("meetings", "m-1", {"title": "周例会", "audience_users": [a]},
                    unit_id=None)
        live.revision_taken(s, _top(s))  # and another write that named nobody
        assert s.info[live._KNOWN] is live._UNKNOWN
        assert live._audience_of(s, top, _top(s)) == live.audience_since(s, top, _top(s))
        s.rollback()
        assert live._KNOWN not in s.info
