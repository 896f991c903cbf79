"""Migration 0007 on a database written under the old rule (every record seen by its whole
unit): the stored audiences become the table's, moved records take new revisions so the
colleagues who saw a draft pull its tombstone, and each blob's uploader owns it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from oa_server.db import make_engine, make_sessionmaker
from oa_server.demo import seed
from oa_server.migrate import upgrade
from oa_server.models import User
from oa_server.security import password_hasher
from oa_server.sync_models import Blob, BlobOwner, SyncAudience, SyncCounter, SyncRecord
from tests.server.support import fixed_keys, make_settings
from tests.sync.support import LiveServer, make_client

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _old_world(url: str) -> dict[str, str]:
    """A database at 0006 with a draft and a running 公文 of 刘洋's, seen unit-wide."""
    engine = make_engine(url)
    upgrade(engine, "0006")
    with make_sessionmaker(engine, keys=fixed_keys())() as s:
        seed(s, hasher=password_hasher(make_settings(Path("."))))
        s.flush()
        people = {u.login: u for u in s.scalars(select(User))}
        me, unit = str(people["liuyang"].id), str(people["liuyang"].unit_id)
        rows = [("draft", {"direction": "outgoing", "title": "草稿", "state": "draft",
                           "drafter_id": me}),
                ("running", {"direction": "outgoing", "title": "核稿中", "state": "review",
                             "flow_status": "running", "drafter_id": me,
                             "holder_ids": [str(people["huangjianhua"].id)],
                             "audience_users": [me, str(people["huangjianhua"].id)]})]
        for rev, (rid, data) in enumerate(rows, start=1):
            s.execute(insert(SyncRecord).values(
                collection="documents", id=rid, rev=rev, deleted=False,
                data=json.dumps({**data, "unit_id": unit}, ensure_ascii=False), unit_id=unit,
                parent=None, created_by=me, updated_by=me, updated_at=NOW))
            s.execute(insert(SyncAudience), [
                {"collection": "documents", "record_id": rid, "principal": p, "active": True}
                for p in (f"unit:{unit}", f"user:{me}")])
        s.execute(update(SyncCounter).where(SyncCounter.name == "rev").values(value=2))
        s.add(Blob(sha256="ab" * 32, size=3, created_by=me, created_at=NOW))
        s.commit()
    upgrade(engine)
    engine.dispose()
    return {"me": me}


def test_the_migration_narrows_old_audiences_and_tombstones_reach_colleagues(tmp_path):
    url = f"sqlite:///{tmp_path / 'oa.sqlite3'}"
    ids = _old_world(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        active = {(a.record_id, a.principal.split(":")[0]) for a in s.scalars(
            select(SyncAudience).where(SyncAudience.active.is_(True)))}
        revs = {r.id: r.rev for r in s.scalars(select(SyncRecord))}
        owners = [(o.sha256, o.user_id) for o in s.scalars(select(BlobOwner))]
        top = s.scalar(select(SyncCounter.value).where(SyncCounter.name == "rev"))
    engine.dispose()
    assert ("draft", "unit") not in active and ("running", "unit") not in active
    assert {("draft", "deptrole"), ("running", "unitrole")} <= active
    assert revs == {"draft": 3, "running": 4} and top == 4  # moved: new revisions, in order
    assert owners == [("ab" * 32, ids["me"])]

    live = LiveServer(tmp_path / "server", url).start()
    try:
        clerk = make_client(live, tmp_path, "wuqiong")  # the unit's 文书: had both
        page = clerk.transport.pull(2)  # where her desk stood before the upgrade
        seen = {r.id: r.deleted for r in page.changes}
        assert seen == {"draft": True, "running": False}  # the draft leaves her desk
        chief = make_client(live, tmp_path, "zhengxiaoyan")  # the drafter's 科长 keeps it
        assert {r.id for r in chief.transport.pull(0).changes if not r.deleted} == {
            "draft", "running"}
        for c in (clerk, chief):
            c.close()
    finally:
        live.stop()
