"""Migrations from the first schema to the current one on a populated database."""

from __future__ import annotations

import hashlib
import json

from oa_client.store import schema
from oa_client.store.db import Database
from oa_client.store.local import open_store
from tests.support.store_helpers import open_profile


def test_v1_database_with_records_migrates_to_current(tmp_path, file_keyring):
    store = open_profile(tmp_path / "p", file_keyring)  # create profile + key
    key = bytes.fromhex(file_keyring.get_password("zhengwu-oa-client", store.profile.profile_id))
    store.close()
    (tmp_path / "p" / "oa.db").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / "p" / f"oa.db{suffix}").unlink(missing_ok=True)

    old = Database(tmp_path / "p" / "oa.db", key)
    assert old.migrate(target=1) == 1
    with old.transaction() as conn:
        for i in range(200):
            conn.execute(
                "INSERT INTO documents(id, direction, title, body, data) VALUES (?,?,?,?,?)",
                (f"d{i}", "incoming", f"关于第{i}期防汛简报的通知", "请各单位认真学习。",
                 json.dumps({"copy_no": f"{i:06d}"})),
            )
        conn.execute(
            "INSERT INTO document_events(id, document_id, step, action, data) VALUES (?,?,?,?,?)",
            ("e1", "d7", "instruct", "approve", json.dumps({"opinion": "请水利局研究办理"})),
        )
        conn.execute(
            "INSERT INTO attachments(id, owner_kind, owner_id, name, size, sha256, content)"
            " VALUES ('a1', 'document', 'd3', '汛期值班安排.docx', 3, ?, x'010203')",
            (hashlib.sha256(b"\x01\x02\x03").hexdigest(),),
        )
        conn.execute(
            "INSERT INTO outbox(op_id, kind, entity, entity_id, payload)"
            " VALUES ('op1', 'upsert', 'documents', 'd1', '{}')"
        )
    old.close()

    store = open_store(tmp_path / "p", keyring_backend=file_keyring)
    try:
        assert store.db.user_version == schema.LATEST_VERSION
        assert store.records.count("documents") == 200
        assert store.records.get("documents", "d5")["copy_no"] == "000005"
        assert store.records.pending_ops() == 1
        assert len(store.search("防汛简报")) == 50  # one page
        hits = store.search("防汛简报", limit=500)
        assert sorted(h.kind for h in hits).count("document") == 200
        assert [h.kind for h in store.search("水利局")] == ["opinion"]
        assert [h.ref_id for h in store.search("值班安排")] == ["a1"]
        row = store.db.query("SELECT storage FROM attachments WHERE id = 'a1'")[0]
        assert row[0] == "inline"
        assert store.blobs.read("a1") == b"\x01\x02\x03"
    finally:
        store.close()
