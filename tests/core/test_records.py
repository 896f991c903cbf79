"""Records and the outbox: written together or not at all; tombstones; clear errors."""

from __future__ import annotations

import contextlib

import pytest

from oa_client.domain.ids import new_id, uuid7, uuid7_time_ms
from oa_client.errors import NotFoundError, ValidationError
from oa_client.store.records import Op
from tests.support.store_helpers import open_profile, sample_document


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    yield s
    s.close()


def test_record_and_outbox_op_commit_together(store):
    doc = sample_document("关于报送材料的函", "请于本周五前报送。", id=new_id(), copy_no="000001")
    changes = store.records.write(
        "documents", [doc],
        ops=[Op(kind="upsert", entity="documents", entity_id=doc["id"], payload={"title": "x"})],
    )
    assert changes.ids == {doc["id"]} and changes.queued_ops == 1
    got = store.records.get("documents", doc["id"])
    assert got["copy_no"] == "000001" and got["title"] == "关于报送材料的函"
    assert [o["entity_id"] for o in store.records.outbox()] == [doc["id"]]


def test_a_failed_write_leaves_neither_record_nor_op(store):
    good = sample_document("好的", "正文", id="d-good")
    bad = {"id": "d-bad", "direction": "sideways", "title": "方向错误", "body": ""}  # CHECK fails
    with pytest.raises(ValidationError) as err:
        store.records.write(
            "documents", [good, bad],
            ops=[Op(kind="upsert", entity="documents", entity_id="d-good", payload={})],
        )
    assert err.value.field == "direction" and "内容不符合要求" in err.value.message
    assert store.records.count("documents") == 0
    assert store.records.pending_ops() == 0
    assert store.search("方向错误") == []


def test_missing_required_content_names_the_field(store):
    with pytest.raises(ValidationError) as err:
        store.records.write("meetings", [{"starts_at": "2026-11-23T09:00"}])
    assert err.value.field == "title" and "缺少必填内容" in err.value.message


def test_unserialisable_record_is_a_validation_error(store):
    with pytest.raises(ValidationError):
        store.records.write("documents", [sample_document("t", "b", extra=object())])
    assert store.records.count("documents") == 0


def test_delete_is_a_tombstone(store):
    changes = store.records.write("documents", [sample_document("待删除的通知", "正文")])
    (rid,) = changes.ids
    store.records.delete(
        "documents", rid, ops=[Op(kind="delete", entity="documents", entity_id=rid, payload={})]
    )
    assert store.records.count("documents") == 0
    assert store.records.get("documents", rid)["deleted"] is True
    assert store.records.pending_ops() == 1
    with pytest.raises(NotFoundError):
        store.records.delete("documents", "no-such-id")


def test_unknown_collection_and_bad_filters(store):
    with pytest.raises(ValidationError):
        store.records.write("secrets", [{}])
    with pytest.raises(ValidationError):
        store.records.list("documents", where={"data": "x"})
    with pytest.raises(ValidationError):
        store.records.list("documents", order_by="title; DROP TABLE documents")
    with pytest.raises(NotFoundError) as err:
        store.records.get("documents", "missing")
    assert "找不到" in err.value.message


def test_lazy_list_helpers(store):
    store.records.write(
        "documents", [sample_document(f"第{i}号", "正文", id=f"d{i:03d}") for i in range(120)]
    )
    ids = store.records.ids("documents", order_by="id")
    assert ids[:3] == ["d000", "d001", "d002"] and len(ids) == 120
    assert set(store.records.get_many("documents", ids[10:20])) == set(ids[10:20])
    page = store.records.list("documents", order_by="id", limit=50, offset=100)
    assert [d["id"] for d in page] == ids[100:]


def test_uuid7_is_time_ordered_and_versioned():
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5000
    assert all(u.version == 7 and u.variant == "specified in RFC 4122" for u in ids[:10])
    assert uuid7_time_ms(uuid7(now_ms=1_700_000_000_000)) >= 1_700_000_000_000


def _answer_stored_just_before_the_next_write(store, doc_id: str, rev: int) -> None:
    """The next transaction on the store first lets the push's writer thread store the
    server's answer to the pending op: the record moves to `rev`, the op leaves."""
    real = store.db.transaction

    @contextlib.contextmanager
    def racing():
        store.db.transaction = real
        with real() as conn:
            conn.execute("UPDATE documents SET rev = ? WHERE id = ?", (rev, doc_id))
            conn.execute("DELETE FROM outbox WHERE entity_id = ?", (doc_id,))
        with real() as conn:
            yield conn

    store.db.transaction = racing


def test_an_edit_is_based_on_the_revision_held_when_it_is_written(store):
    from oa_client.services import records as svc

    svc.save(store, "documents", sample_document("初稿", "正文", id="d-race"))
    form = store.records.get("documents", "d-race")  # what the compose form read (rev 0)
    _answer_stored_just_before_the_next_write(store, "d-race", 7)
    svc.save(store, "documents", {**form, "title": "二稿"})
    (op,) = store.records.outbox()
    assert (op["base_rev"], op["payload"]["title"]) == (7, "二稿")
    assert store.records.get("documents", "d-race")["rev"] == 7  # not set back to 0


def test_a_delete_is_based_on_the_revision_held_when_it_is_written(store):
    from oa_client.services import records as svc

    svc.save(store, "documents", sample_document("草稿", "正文", id="d-gone"))
    _answer_stored_just_before_the_next_write(store, "d-gone", 4)
    svc.delete(store, "documents", "d-gone")
    (op,) = store.records.outbox()
    assert (op["kind"], op["base_rev"]) == ("delete", 4)
    with pytest.raises(NotFoundError):
        svc.delete(store, "documents", "no-such-record")


def test_a_local_write_of_an_older_copy_keeps_the_stored_revision(store):
    """E.g. 修改正文 writes the document with the new body from a copy it read before a push
    stored its answer: the row keeps the answer's revision, so the next edit is based on it."""
    from oa_client.services import records as svc

    svc.save(store, "documents", sample_document("初稿", "正文", id="d-keep"))
    copy = store.records.get("documents", "d-keep")  # rev 0
    _answer_stored_just_before_the_next_write(store, "d-keep", 9)
    store.records.write("documents", [{**copy, "body": "新的正文"}])
    got = store.records.get("documents", "d-keep")
    assert (got["rev"], got["body"]) == (9, "新的正文")
    store.records.write("documents", [sample_document("新建", "正文", id="d-new", rev=0)])
    assert store.records.get("documents", "d-new")["rev"] == 0


def test_a_page_into_a_table_the_pull_found_empty_is_inserted_or_else_upserted(store):
    """`fresh` pages are inserted as new rows; a record already there (changed while the
    first sync ran, so pulled twice) turns the page into upserts; a bad row still fails."""
    from oa_client.store.records import RecordStore

    def page(ids, rev, title):
        return [(i, rev, {"direction": "outgoing", "title": f"{title}{i}", "state": "draft",
                          "drafter_id": "u1"}) for i in ids]

    with store.db.transaction() as conn:
        RecordStore.upsert_synced_in(conn, "documents", page(["d1", "d2"], 5, "初稿"), fresh=True)
    with store.db.transaction() as conn:
        RecordStore.upsert_synced_in(conn, "documents", page(["d2", "d3"], 9, "改稿"), fresh=True)
    got = {d["id"]: (d["rev"], d["title"], d["drafter_id"])
           for d in store.records.list("documents", limit=10)}
    assert got == {"d1": (5, "初稿d1", "u1"), "d2": (9, "改稿d2", "u1"), "d3": (9, "改稿d3", "u1")}
    bad = [("d4", 10, {"direction": "sideways", "title": "x"})]
    with pytest.raises(ValidationError), store.db.transaction() as conn:
        RecordStore.upsert_synced_in(conn, "documents", bad, fresh=True)
    assert store.records.count("documents") == 3


def test_a_pulled_integer_past_64_bits_is_stored_whole(store):
    """Data an older server kept (it now refuses such an op) reaches the desk whole."""
    from oa_client.store.records import RecordStore

    wide = {"direction": "outgoing", "title": "旧数据", "n": 10**30, "m": [-(2**63) - 1]}
    for fresh in (True, False):
        with store.db.transaction() as conn:
            RecordStore.upsert_synced_in(conn, "documents", [("d-wide", 3, wide)], fresh=fresh)
        got = store.records.get("documents", "d-wide")
        assert (got["n"], got["m"]) == (10**30, [-(2**63) - 1])


def test_waiting_for_reads_live_records_newest_first_in_batches(store, monkeypatch):
    import oa_client.store.records as records_module

    monkeypatch.setattr(records_module, "_IDS_PER_READ", 2)  # several IN (…) reads
    for i, day in enumerate(("2026-03-02", "2026-03-05", "2026-03-01", "2026-03-04", "2026-03-03")):
        store.records.write("documents", [{**sample_document(f"件{i}", "正文", id=f"d{i}"),
                                           "created_at": f"{day}T08:00:00Z",
                                           "holder_ids": ["u-me"] if i != 4 else ["u-other"],
                                           "reader_ids": ["u-me"] if i == 4 else []}])
    store.records.write("documents", [{**sample_document("不相干", "正文", id="d9"),
                                       "holder_ids": ["u-other"]}])
    store.records.delete("documents", "d3", sync=False)
    got = store.records.waiting_for("documents", "u-me", newest="created_at")
    assert [r["id"] for r in got] == ["d1", "d4", "d0", "d2"]
    assert got[0]["title"] == "件1" and not any(r["deleted"] for r in got)
    assert [r["id"] for r in store.records.waiting_for("documents", "u-me", newest="created_at",
                                                       limit=2)] == ["d1", "d4"]
    assert store.records.waiting_for("documents", "nobody") == []


def _triggers(store) -> set[str]:
    return {r[0] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def test_a_fresh_page_is_inserted_without_per_row_triggers_and_loses_none_of_their_work(store):
    """A first sync's pages skip the insert triggers and do their work set-based: who each
    record waits for is indexed at once, the search index catches up as before, and the
    triggers are all there again for the next write."""
    from oa_client.store import search as search_index
    from oa_client.store.records import RecordStore

    before = _triggers(store)
    page = [(f"d{i}", i + 1, {"direction": "incoming", "title": f"关于第{i}期防汛值班的通知",
                              "holder_ids": ["u-lead", f"u-{i}"], "reader_ids": ["u-lead", ""]})
            for i in range(3)]
    requests = [("r1", 4, {"applicant_id": "u-app", "approver_ids": ["u-boss"], "state": "x"})]
    with store.db.deferred_search(refetchable=True) as conn:
        RecordStore.upsert_synced_in(conn, "documents", page, fresh=True)
        RecordStore.upsert_synced_in(conn, "requests", requests, fresh=True)
    assert _triggers(store) == before
    people = set(store.db.query("SELECT person_id, collection, record_id FROM record_people"))
    assert people == ({("u-lead", "documents", f"d{i}") for i in range(3)}
                      | {(f"u-{i}", "documents", f"d{i}") for i in range(3)}
                      | {("u-app", "requests", "r1"), ("u-boss", "requests", "r1")})
    assert store.records.waiting_for("documents", "u-lead") != []
    assert store.search("防汛值班") == []  # deferred: found once the index catches up
    assert search_index.catch_up(store.db) == 3
    assert len(store.search("防汛值班")) == 3 and len(store.search("防汛")) == 3
    # the triggers work again: a live write is indexed and its people recorded at once
    store.records.write("documents", [{"id": "d9", "direction": "incoming",
                                       "title": "关于森林防火的通知", "holder_ids": ["u-9"]}])
    assert len(store.search("森林")) == 1
    assert [r["id"] for r in store.records.waiting_for("documents", "u-9")] == ["d9"]


def test_a_fresh_page_that_fails_keeps_the_triggers(store):
    from oa_client.store.records import RecordStore

    before = _triggers(store)
    bad = [("d1", 1, {"direction": "incoming", "title": "好", "holder_ids": ["u1"]}),
           ("d2", 2, {"direction": "sideways", "title": "方向错误"})]
    with pytest.raises(ValidationError), store.db.deferred_search() as conn:
        RecordStore.upsert_synced_in(conn, "documents", bad, fresh=True)
    assert _triggers(store) == before
    assert store.records.count("documents") == 0
    assert store.db.query("SELECT count(*) FROM record_people") == [(0,)]


def test_none_and_flags_are_stored_as_sqlite_binds_them(store):
    """The adapter entries for None and bool (db.py) keep NULL a NULL and a flag 0/1."""
    store.records.write("documents", [sample_document("关于报送材料的函", "正文", id="d1",
                                                      urgency=None)])
    store.records.write("document_revisions", [{"id": "r1", "document_id": "d1",
                                                "conflicted": True, "base_rev": None},
                                               {"id": "r2", "document_id": "d1",
                                                "conflicted": False}])
    assert store.db.query("SELECT typeof(urgency) FROM documents WHERE id = 'd1'") == [("null",)]
    assert store.db.query("SELECT id, conflicted, typeof(conflicted), typeof(base_rev)"
                          " FROM document_revisions ORDER BY id") == [
        ("r1", 1, "integer", "null"), ("r2", 0, "integer", "null")]


def test_the_outbox_head_is_read_whole_as_the_heads_and_chosen_ops_would_give_it(store):
    docs = [sample_document(f"标题{i}", "正文" * i, id=f"d-{i}") for i in range(4)]
    store.records.write("documents", docs, ops=[
        Op(kind="upsert", entity="documents", entity_id=d["id"], payload={"title": d["title"]})
        for d in docs])
    first = store.db.query("SELECT min(seq) FROM outbox")[0][0]
    with store.db.transaction() as conn:  # an op no longer pending is not part of a batch
        conn.execute("UPDATE outbox SET state = 'failed' WHERE seq = ?", (first,))
    whole = store.records.outbox_first(limit=2)
    heads = store.records.outbox_heads(limit=2)
    assert [(op["seq"], op["entity"], op["entity_id"], n) for op, n in whole] == heads
    assert [op for op, _n in whole] == store.records.outbox_ops([seq for seq, *_ in heads])
    assert [op["entity_id"] for op, _n in whole] == ["d-1", "d-2"]
    # payload bytes are UTF-8 bytes of the stored JSON text (a Chinese character is 3)
    assert all(n == len(op["payload"].encode()) and n > len(op["payload"]) for op, n in whole)
