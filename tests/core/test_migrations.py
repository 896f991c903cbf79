"""Migrations from the first schema to the current one on a populated database."""

from __future__ import annotations

import hashlib
import json

from oa_client.store import schema
from oa_client.store.db import Database
from oa_client.store.local import open_store
from tests.support.store_helpers import open_profile


def _store_at(tmp_path, file_keyring, version: int) -> Database:
    """A profile's store as an older client left it: schema `version`, nothing in it yet."""
    store = open_profile(tmp_path / "p", file_keyring)  # create profile + key
    key = bytes.fromhex(file_keyring.get_password("zhengwu-oa-client", store.profile.profile_id))
    store.close()
    (tmp_path / "p" / "oa.db").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / "p" / f"oa.db{suffix}").unlink(missing_ok=True)
    old = Database(tmp_path / "p" / "oa.db", key)
    assert old.migrate(target=version) == version
    return old



def test_v1_database_with_records_migrates_to_current(tmp_path, file_keyring):
    old = _store_at(tmp_path, file_keyring, 1)
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


def test_v10_records_are_indexed_by_who_they_wait_for_and_the_index_follows_edits(
        tmp_path, file_keyring):
    """v11: a store from before the people index back-fills it; later writes keep it true."""
    old = _store_at(tmp_path, file_keyring, 10)
    with old.transaction() as conn:
        conn.execute("INSERT INTO documents(id, direction, title, body, data) VALUES (?,?,?,?,?)",
                     ("d1", "incoming", "关于防汛的通知", "正文",
                      json.dumps({"holder_ids": ["u-lead"], "reader_ids": ["u-read"],
                                  "note": "u-elsewhere"})))
        conn.execute("INSERT INTO requests(id, applicant_id, state, data) VALUES (?,?,?,?)",
                     ("r1", "u-applicant", "pending", json.dumps({"approver_ids": ["u-boss"]})))
    old.close()

    def people(s) -> set[tuple[str, str, str]]:
        return set(s.db.query("SELECT person_id, collection, record_id FROM record_people"))

    store = open_store(tmp_path / "p", keyring_backend=file_keyring)
    try:
        assert people(store) == {("u-lead", "documents", "d1"), ("u-read", "documents", "d1"),
                                 ("u-applicant", "requests", "r1"), ("u-boss", "requests", "r1")}
        doc = store.records.get("documents", "d1")
        store.records.write("documents", [{**doc, "holder_ids": ["u-next"], "reader_ids": []}])
        # a holder who is also a reader, as a sync upsert writes it: one row, no conflict
        store.records.write("documents", [{**doc, "holder_ids": ["u-next", "u-next"],
                                           "reader_ids": ["u-next"]}])
        store.records.write("documents", [{"id": "d2", "direction": "incoming", "title": "新",
                                           "holder_ids": ["u-lead"]}])
        assert people(store) == {("u-next", "documents", "d1"), ("u-lead", "documents", "d2"),
                                 ("u-applicant", "requests", "r1"), ("u-boss", "requests", "r1")}
        with store.db.transaction() as conn:  # rows removed take their index rows with them
            conn.execute("DELETE FROM documents WHERE id = 'd2'")
            conn.execute("UPDATE requests SET applicant_id = 'u-other' WHERE id = 'r1'")
        assert people(store) == {("u-next", "documents", "d1"), ("u-other", "requests", "r1"),
                                 ("u-boss", "requests", "r1")}
    finally:
        store.close()


def test_v11_search_index_is_rebuilt_as_v12_bigrams_and_finds_the_same(tmp_path, file_keyring):
    """v12: the bigram index of a v11 store is rebuilt (one column, no positions); short
    queries find what they found, titles first, and a backlog left by v11 still catches up."""
    from oa_client.store import search as search_index

    old = _store_at(tmp_path, file_keyring, 11)
    insert = "INSERT INTO documents(id, direction, title, body) VALUES (?, 'incoming', ?, ?)"
    with old.transaction() as conn:  # indexed by the v11 triggers
        conn.execute(insert, ("d1", "关于防汛值班的通知", "请各单位做好准备。"))
        conn.execute(insert, ("d2", "会议纪要", "会议研究了防汛工作和５Ｇ网络。"))
    with old.deferred_search() as conn:  # stored by a bulk pull, not yet indexed
        conn.execute(insert, ("d3", "防汛物资调拨单", ""))
    old.close()

    store = open_store(tmp_path / "p", keyring_backend=file_keyring)
    try:
        assert store.db.user_version == schema.LATEST_VERSION >= 12
        assert [h.ref_id for h in store.search("防汛")] == ["d1", "d2"]  # title before body
        assert [h.ref_id for h in store.search("汛")] == ["d1", "d2"]
        assert [h.ref_id for h in store.search("5g")] == ["d2"]
        assert store.search("物资") == []
        assert search_index.catch_up(store.db) == 1
        assert [h.ref_id for h in store.search("防汛")] == ["d3", "d1", "d2"]
        store.records.write("documents", [{"id": "d4", "direction": "incoming",
                                           "title": "汛期安排", "body": ""}])
        assert [h.ref_id for h in store.search("汛期")] == ["d4"]
        store.records.delete("documents", "d1")
        assert [h.ref_id for h in store.search("值班")] == []
        sql = store.db.query("SELECT sql FROM sqlite_master WHERE name = 'search_bi'")[0][0]
        assert "detail=none" in sql
    finally:
        store.close()


def test_v12_update_triggers_watch_their_columns_and_keep_search_and_people_true(
        tmp_path, file_keyring):
    """v13: the update triggers name the columns they watch (an answer that moves only `rev`
    skips them); edits of those columns still re-index and re-file the record, as before."""
    old = _store_at(tmp_path, file_keyring, 12)
    with old.transaction() as conn:
        conn.execute("INSERT INTO documents(id, direction, title, body, data) VALUES (?,?,?,?,?)",
                     ("d1", "incoming", "关于防汛值班的通知", "请各单位做好准备。",
                      json.dumps({"holder_ids": ["u-lead"]})))
        conn.execute("INSERT INTO requests(id, applicant_id, state, data) VALUES (?,?,?,?)",
                     ("r1", "u-applicant", "pending", json.dumps({"approver_ids": ["u-boss"]})))
        conn.execute("INSERT INTO meetings(id, title, data) VALUES (?,?,?)",
                     ("m1", "防汛调度会", json.dumps({"agenda": "汛情研判"})))
    old.close()

    def people(s) -> set[tuple[str, str, str]]:
        return set(s.db.query("SELECT person_id, collection, record_id FROM record_people"))

    store = open_store(tmp_path / "p", keyring_backend=file_keyring)
    try:
        assert store.db.user_version == schema.LATEST_VERSION >= 13
        triggers = dict(store.db.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_au'"))
        assert "AFTER UPDATE OF deleted, title, body ON documents" in triggers["documents_search_au"]
        assert "AFTER UPDATE OF data ON documents" in triggers["documents_people_au"]
        assert "AFTER UPDATE OF data, applicant_id ON requests" in triggers["requests_people_au"]
        assert all(" UPDATE OF " in sql for sql in triggers.values()), sorted(triggers)
        with store.db.transaction() as conn:  # what a push's answer writes: the revision alone
            conn.execute("UPDATE documents SET rev = 7 WHERE id = 'd1'")
            conn.execute("UPDATE meetings SET rev = 8 WHERE id = 'm1'")
        assert [h.ref_id for h in store.search("防汛值班")] == ["d1"]
        assert [h.ref_id for h in store.search("汛情")] == ["m1"]
        doc = store.records.get("documents", "d1")
        assert doc["rev"] == 7
        store.records.write("documents", [{**doc, "title": "关于抗旱保苗的通知",
                                           "holder_ids": ["u-next"]}])
        meeting = store.records.get("meetings", "m1")
        store.records.write("meetings", [{**meeting, "agenda": "旱情会商"}])
        with store.db.transaction() as conn:
            conn.execute("UPDATE requests SET applicant_id = 'u-other' WHERE id = 'r1'")
        assert store.search("防汛值班") == [] and store.search("汛情") == []
        assert [h.ref_id for h in store.search("抗旱保苗")] == ["d1"]
        assert [h.ref_id for h in store.search("旱情")] == ["m1"]
        assert people(store) == {("u-next", "documents", "d1"), ("u-other", "requests", "r1"),
                                 ("u-boss", "requests", "r1")}
        store.records.delete("documents", "d1")
        assert store.search("抗旱保苗") == []
    finally:
        store.close()
