"""Search over the encrypted store: short and long Chinese queries, mixed, FTS syntax."""

from __future__ import annotations

import pytest

from oa_client.store.grams import grams, record_grams
from tests.support.store_helpers import open_profile, sample_document

DOCS = [
    ("关于召开全市防汛工作会议的通知", "各乡镇人民政府：定于6月10日召开防汛会议，请准时参加。"),
    ("关于印发数字政府建设规划的通知", "推进5G网络和政务云建设，完善一网通办。"),
    ("普宁市财政局关于预算执行情况的报告", "2022年全市一般公共预算收入完成情况良好。"),
    ("关于开展安全生产大检查的意见", "各单位要落实安全生产责任制，开展隐患排查。"),
    ("会议纪要", "会议研究了数字政府建设和防汛工作。"),
    ('标题含"引号"和*星号*(括号) OR 或者', "用于测试特殊字符。"),
]


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.records.write("documents", [sample_document(t, b) for t, b in DOCS])
    yield s
    s.close()


def titles(hits):
    return {h.title for h in hits}


def test_two_character_query(store):
    hits = store.search("会议")
    assert titles(hits) == {DOCS[0][0], DOCS[4][0]}
    assert titles(store.search("防汛")) == {DOCS[0][0], DOCS[4][0]}
    assert titles(store.search("通知")) == {DOCS[0][0], DOCS[1][0]}


def test_one_character_query(store):
    assert titles(store.search("税")) == set()
    assert DOCS[2][0] in titles(store.search("财"))
    assert titles(store.search("云")) == {DOCS[1][0]}  # last character of a run too: 政务云建设 → 云


def test_three_and_longer_queries(store):
    assert titles(store.search("数字政府")) == {DOCS[1][0], DOCS[4][0]}
    assert titles(store.search("一网通办")) == {DOCS[1][0]}
    assert titles(store.search("安全生产大检查")) == {DOCS[3][0]}
    assert store.search("不存在的内容") == []


def test_mixed_chinese_and_ascii(store):
    assert titles(store.search("5G网络")) == {DOCS[1][0]}
    assert titles(store.search("5g")) == {DOCS[1][0]}
    assert titles(store.search("2022年")) == {DOCS[2][0]}
    assert titles(store.search("防汛 6月")) == {DOCS[0][0]}


@pytest.mark.parametrize(
    "query",
    ['"', "*", "OR", "(", ")", '"引号"', "*星号*", "(括号)", "OR 或者", "NEAR(a b)", "a:b", "^",
     "-", "%", "_", "\\", "''", "会议 OR", "AND", "NOT 会议", "{col}:x", "\x00"],
)
def test_fts_syntax_never_errors(store, query):
    hits = store.search(query)
    assert isinstance(hits, list)


def test_fts_syntax_characters_are_literal(store):
    assert titles(store.search('"引号"')) == {DOCS[5][0]}
    assert titles(store.search("*星号*")) == {DOCS[5][0]}
    assert titles(store.search("(括号)")) == {DOCS[5][0]}
    assert titles(store.search("OR")) == {DOCS[5][0]}
    assert titles(store.search("%")) == set()  # LIKE wildcards are escaped


def test_ranked_title_first_and_snippet_highlighted(store):
    hits = store.search("会议纪要")
    assert hits[0].title == "会议纪要"
    hits = store.search("数字政府")
    assert hits[0].title == DOCS[1][0]  # in the title beats in the body
    body_hit = next(h for h in hits if h.title == "会议纪要")
    assert "<b>数字政府</b>" in body_hit.snippet_html()
    s, e = body_hit.highlights[0]
    assert body_hit.snippet[s:e] == "数字政府"
    assert "<b>数字政府</b>" in hits[0].title_html()


def test_snippet_escapes_html(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.records.write("documents", [sample_document("<script>会议</script>", "<b>正文</b>会议")])
    hit = s.search("会议")[0]
    assert "<script>" not in hit.title_html() and "&lt;script&gt;" in hit.title_html()
    s.close()


def test_index_follows_updates_and_deletes(store):
    doc = store.records.list("documents", where={"title": DOCS[2][0]})[0]
    doc["body"] = "改为社会保险基金的报告。"
    store.records.write("documents", [doc])
    assert titles(store.search("社会保险")) == {DOCS[2][0]}
    assert store.search("预算收入") == []
    store.records.delete("documents", doc["id"])
    assert store.search("社会保险") == []
    assert titles(store.search("报告")) == set()


def test_opinions_and_attachment_names_are_searched(store):
    doc = store.records.list("documents", where={"title": DOCS[0][0]})[0]
    store.records.write(
        "document_events",
        [{"document_id": doc["id"], "step": "instruct", "action": "approve",
          "opinion": "同意，请应急管理局牵头落实。"}],
    )
    store.blobs.put(owner_kind="document", owner_id=doc["id"], name="防汛值班表.xlsx", data=b"x")
    hits = store.search("应急管理局")
    assert [(h.kind, h.owner_id) for h in hits] == [("opinion", doc["id"])]
    kinds = {h.kind for h in store.search("值班表")}
    assert kinds == {"attachment"}
    assert {h.kind for h in store.search("防汛", kinds=("document",))} == {"document"}


def test_grams():
    assert grams("会议通知") == "会议 议通 通知 知"
    assert grams("5G，网络") == "5g g 网络 络"
    assert grams("") == ""
    assert grams("Ａ") == "a"


def test_record_grams_mark_the_title_and_keep_the_body_plain():
    assert record_grams("会议通知", "防汛") == "~会议 ~议通 ~通知 ~知 防汛 汛"
    assert record_grams("５Ｇ，网络", "") == "~5g ~g ~网络 ~络"
    assert record_grams("。", "防汛") == "防汛 汛"
    assert record_grams(None, None) == ""


def test_short_terms_rank_title_matches_first(store):
    for query in ("防汛", "汛", "数字", "会议", "防汛 会议"):
        hits = store.search(query)
        in_title = [q in hits[0].title for q in query.split()]
        assert all(in_title), query
    # a title match on one term and a body match on the other still counts, but after
    assert [h.title for h in store.search("会议 研究")] == [DOCS[4][0]]
    assert [h.title for h in store.search("纪要 研究")] == [DOCS[4][0]]
    assert [h.title for h in store.search("防汛 6月")] == [DOCS[0][0]]
    assert store.search("纪要 6月") == []


def test_long_and_short_terms_together(store):
    assert [h.title for h in store.search("数字政府 规")] == [DOCS[1][0]]
    assert [h.title for h in store.search("数字政府 会")] == [DOCS[4][0]]
    assert [h.title for h in store.search("防汛工作 纪")] == [DOCS[4][0]]
    assert [h.title for h in store.search("数字政府 建设")] == [DOCS[1][0], DOCS[4][0]]
    assert store.search("数字政府 税") == []


def test_deferred_bulk_write_is_found_once_the_index_catches_up(store):
    from oa_client.store import search as search_index

    old = store.records.list("documents", where={"title": DOCS[3][0]})[0]
    gone = store.records.list("documents", where={"title": DOCS[1][0]})[0]
    new = [sample_document(f"第{i}号防疫物资调拨单", "调拨口罩和消毒液。") for i in range(30)]
    with store.db.deferred_search() as conn:
        store.records.upsert_in(conn, "documents", new)
        store.records.upsert_in(conn, "documents", [{**old, "title": "关于开展森林防火检查的通知"}])
        conn.execute("UPDATE documents SET deleted = 1 WHERE id = ?", (gone["id"],))
    assert search_index.backlog(store.db)
    assert store.search("防疫物资") == []  # stored, listable, not yet indexed
    assert store.search("安全生产") == []  # the changed record's old text is out at once
    assert store.records.count("documents") == len(DOCS) + 30 - 1
    assert search_index.pending(store.db) == 31
    assert search_index.catch_up(store.db, chunk=7) == 31
    assert not search_index.backlog(store.db)
    assert len(store.search("防疫物资", limit=100)) == 30
    # the bigram index too, for titles and for bodies (empty bodies of the old one as well)
    assert len(store.search("口罩", limit=100)) == 30
    assert len(store.search("调拨", limit=100)) == 30
    assert titles(store.search("森林")) == {"关于开展森林防火检查的通知"}
    assert titles(store.search("森林防火")) == {"关于开展森林防火检查的通知"}
    assert titles(store.search("数字政府")) == {DOCS[4][0]}  # the deleted one stays out
    # written live again: indexed at once
    store.records.write("documents", [sample_document("关于秋冬季候鸟保护的通知", "")])
    assert titles(store.search("候鸟")) == {"关于秋冬季候鸟保护的通知"}


def test_catch_up_stops_when_asked_and_resumes(store):
    from oa_client.store import search as search_index

    with store.db.deferred_search() as conn:
        store.records.upsert_in(
            conn, "documents", [sample_document(f"乡村振兴简报第{i}期", "") for i in range(10)])
    assert search_index.catch_up(store.db, chunk=4, should_stop=lambda: True) == 0
    calls = []
    assert search_index.catch_up(store.db, chunk=4, should_stop=lambda: len(calls) >= 1,
                                 progress=calls.append) == 4
    assert search_index.backlog(store.db)
    assert search_index.catch_up(store.db, chunk=4) == 6
    assert len(store.search("乡村振兴", limit=50)) == 10


def test_search_indexes_write_a_catch_up_chunk_as_one_segment(store):
    """v10: FTS5 gathers 32 MB of terms before writing a segment (1 MB by default)."""
    from oa_client.store import schema

    for table in ("search_tri", "search_bi"):
        rows = store.db.query(f"SELECT v FROM {table}_config WHERE k = 'hashsize'")
        assert rows == [(schema.FTS_HASH_BYTES,)]


def test_a_catch_up_chunk_that_fails_is_rolled_back_whole(store, monkeypatch):
    """The trigram rows are written on a second thread while the bigrams are made: a failure
    on either side leaves neither, and the next catch-up does the chunk again."""
    from oa_client.store import search as search_index

    with store.db.deferred_search() as conn:
        store.records.upsert_in(
            conn, "documents", [sample_document(f"防疫物资调拨单第{i}号", "") for i in range(5)])
    items = store.db.query("SELECT count(*) FROM search_items")[0][0]

    def broken(title, body):
        raise RuntimeError("tokens could not be made")

    monkeypatch.setattr(search_index, "record_grams", broken)
    with pytest.raises(RuntimeError):
        search_index.catch_up(store.db)
    assert store.db.query("SELECT count(*) FROM search_items")[0][0] == items
    assert search_index.backlog(store.db)
    assert store.search("防疫物资") == []
    monkeypatch.undo()
    assert search_index.catch_up(store.db) == 5
    assert len(store.search("防疫物资")) == len(store.search("物资")) == 5
    assert len(store.search("调拨单", kinds=("document",))) == 5


def _varint(blob: bytes, off: int) -> tuple[int, int]:
    """An SQLite varint at `off`: (value, offset after it)."""
    value = 0
    for i in range(9):
        byte = blob[off + i]
        if i == 8:
            return (value << 8) | byte, off + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, off + i + 1
    raise AssertionError("unreachable")


def _segments(db, table: str) -> int:
    """How many segments an FTS5 index holds (its structure record: cookie, the v2 mark when
    present, the number of levels, then the number of segments)."""
    blob = db.query(f"SELECT block FROM {table}_data WHERE id = 10")[0][0]
    off = 8 if blob[4:8] == b"\xff\x00\x00\x01" else 4
    _levels, off = _varint(blob, off)
    return _varint(blob, off)[0]


def test_a_catch_up_chunk_is_one_segment_whatever_order_the_ids_are_in(tmp_path, file_keyring):
    """Records arrive in revision order, not id order (ids are made on desks, records change
    later): each chunk still reaches the indexes in rowid order, as one segment each (FTS5
    writes out a segment whenever a rowid goes down), with every kind's text."""
    from oa_client.store import search as search_index

    s = open_profile(tmp_path / "p", file_keyring)
    try:
        with s.db.deferred_search() as conn:
            # ids descending as they are stored; a few (FTS5 merges 16 segments at once)
            for i in range(6):
                doc = f"doc-{99 - i:03d}"
                conn.execute("INSERT INTO documents(id, direction, title, body) VALUES"
                             " (?, 'outgoing', ?, '调拨口罩')", (doc, f"第{i}号防汛物资调拨单"))
                conn.execute("INSERT INTO document_events(id, document_id, data) VALUES (?, ?, ?)",
                             (f"ev-{99 - i:03d}", doc, '{"opinion": "同意防汛调拨"}'))
                conn.execute("INSERT INTO meetings(id, title, data) VALUES (?, ?, ?)",
                             (f"mt-{99 - i:03d}", f"防汛调度会第{i}次", '{"agenda": "物资盘点"}'))
                conn.execute("INSERT INTO attachments(id, owner_kind, owner_id, name, size, sha256)"
                             " VALUES (?, 'document', ?, ?, 1, 'x')",
                             (f"at-{99 - i:03d}", doc, f"防汛物资清单{i}.xlsx"))
        assert search_index.catch_up(s.db, chunk=12) == 24
        assert _segments(s.db, "search_tri") == _segments(s.db, "search_bi") == 2
        assert len(s.search("防汛物资调拨单", kinds=("document",), limit=100)) == 6
        assert len(s.search("口罩", kinds=("document",), limit=100)) == 6  # body, bigrams
        assert len(s.search("同意防汛", kinds=("opinion",), limit=100)) == 6
        assert len(s.search("盘点", kinds=("meeting",), limit=100)) == 6  # agenda
        assert len(s.search("物资清单", kinds=("attachment",), limit=100)) == 6
        hits = s.search("第4号防汛", limit=100)  # the opinion carries its document's title
        assert {(h.kind, h.ref_id) for h in hits} == {("document", "doc-095"), ("opinion", "ev-095")}
    finally:
        s.close()


def _through_view(db, terms: list[str], kinds, *, title_only: bool) -> list[int]:
    """What a plan's LIKE terms found through the `search_text` view (as it did before)."""
    from oa_client.store.search import _like, _Plan

    plan = _Plan(terms, kinds)
    fts = [t for t in terms if t not in plan.like]
    sql = "SELECT rowid FROM search_text si WHERE 1"
    params: list[object] = []
    for term in plan.like:
        fields = ("title",) if title_only else ("title", "body")
        sql += " AND (" + " OR ".join(f"lower(si.{c}) LIKE ? ESCAPE '\\'" for c in fields) + ")"
        params.extend([_like(term)] * len(fields))
    if kinds:
        sql += f" AND si.kind IN ({','.join('?' * len(kinds))})"
        params.extend(kinds)
    rows = [r[0] for r in db.query(sql + " ORDER BY rowid DESC", tuple(params))]
    if not fts:
        return rows
    matched = set(_Plan(fts, kinds).rowids(db, title_only=title_only, limit=10**6))
    return [r for r in rows if r in matched]


def test_short_terms_of_neither_letters_nor_digits_find_what_the_view_found(tmp_path,
                                                                            file_keyring):
    """A short term like "c+" is matched with LIKE against each kind's own text (not through the
    `search_text` view): the same items in the same order, every kind, any case, any limit."""
    from oa_client.store.search import _Plan

    queries = [["c+"], ["c#"], ["5%"], ["_"], ["c+", "c#"], ["关于印发", "c+"], ["会议", "c+"],
               ["同意", "c+"], ["研讨会", "c#"], ["通", "c+"], ["关于", "说", "c#"], ["c+", "x!"]]

    def same_as_view(db) -> set[tuple[str, ...]]:
        found_some = set()
        for terms in queries:
            for kinds in (None, ("document",), ("opinion", "meeting"), ("attachment",)):
                for title_only in (True, False):
                    want = _through_view(db, terms, kinds, title_only=title_only)
                    if want:
                        found_some.add(tuple(terms))
                    for limit in (1, 3, 100):
                        got = _Plan(terms, kinds).rowids(db, title_only=title_only, limit=limit)
                        assert got == want[:limit], (terms, kinds, title_only, limit)
        return found_some

    s = open_profile(tmp_path / "p", file_keyring)
    try:
        for i in range(12):
            title = ["关于印发C+培训方案的通知", "会议纪要", "关于c#课程的说明"][i % 3]
            body = ["学习 c+ 和 C#。", "无关内容", "折扣 5% 起_下划线"][i % 4 % 3]
            with s.db.transaction() as conn:
                conn.execute("INSERT INTO documents(id, direction, title, body) VALUES"
                             " (?, 'outgoing', ?, ?)", (f"doc-{i:03d}", title, body))
        assert len(same_as_view(s.db)) == 9  # documents alone: the other kinds hold no items
        with s.db.transaction() as conn:
            for i in range(12):
                doc = f"doc-{i:03d}"
                conn.execute("INSERT INTO document_events(id, document_id, data) VALUES (?, ?, ?)",
                             (f"ev-{i:03d}", doc, f'{{"opinion": "同意，按C+{i}执行"}}'
                              if i % 2 else '{"opinion": "同意"}'))
                conn.execute("INSERT INTO meetings(id, title, data) VALUES (?, ?, ?)",
                             (f"mt-{i:03d}", f"C+研讨会第{i}次" if i % 4 else "例会",
                              '{"agenda": "c# 与 5% 议题"}'))
                conn.execute("INSERT INTO attachments(id, owner_kind, owner_id, name, size, sha256)"
                             " VALUES (?, 'document', ?, ?, 1, 'x')",
                             (f"at-{i:03d}", doc, f"附件{i}（C+）.docx" if i % 3 else "清单.xlsx"))
        assert set(map(tuple, queries)) - same_as_view(s.db) == {("c+", "x!")}  # others find some
        found = {(h.kind, h.ref_id) for h in s.search("c+", limit=100)}
        assert {k for k, _ in found} == {"document", "opinion", "meeting", "attachment"}
        # documents by title or body 8, opinions by their own text or their document's title 8
        assert len(found) == 8 + 8 + 9 + 8
        assert s.search("c+", kinds=("nothing",)) == []
    finally:
        s.close()


@pytest.mark.parametrize("writer", ["this connection", "another connection"])
def test_an_item_dropped_behind_the_catch_up_is_indexed_before_it_is_done(store, file_keyring,
                                                                           writer):
    """A record changed between two chunks under a deferred write loses its item below where
    the catch-up has got to: the catch-up looks again from the start and indexes it, whoever
    wrote it; with nothing written in between, it is done without that look."""
    from oa_client.store import search as search_index
    from oa_client.store.db import Database

    with store.db.deferred_search() as conn:
        store.records.upsert_in(
            conn, "documents", [sample_document(f"乡村振兴简报第{i}期", "") for i in range(10)])
    first = store.records.list("documents", where={"title": "乡村振兴简报第0期"})[0]["id"]
    key = bytes.fromhex(file_keyring.get_password("zhengwu-oa-client", store.profile.profile_id))
    other = Database(store.db.path, key)  # the same file, another connection
    db = store.db if writer == "this connection" else other

    def write_behind(done: int) -> None:
        if done == 4:  # after the first chunk: a record it indexed changes, deferred again
            with db.deferred_search() as conn:
                conn.execute("UPDATE documents SET title = '乡村振兴月报' WHERE id = ?", (first,))

    try:
        assert search_index.catch_up(store.db, chunk=4, progress=write_behind) == 10 + 1
    finally:
        other.close()
    assert not search_index.backlog(store.db)
    assert [h.ref_id for h in store.search("乡村振兴月报")] == [first]
    assert len(store.search("乡村振兴", limit=50)) == 10
    with store.db.deferred_search() as conn:  # nothing written between chunks: no second look
        store.records.upsert_in(
            conn, "documents", [sample_document(f"乡村振兴周报第{i}期", "") for i in range(6)])
    offered = []
    store.db.conn.set_trace_callback(
        lambda sql: offered.append(sql) if sql.startswith("INSERT OR IGNORE INTO search_items")
        else None)
    try:
        assert search_index.catch_up(store.db, chunk=4) == 6
    finally:
        store.db.conn.set_trace_callback(None)
    # the records are offered from the start once (a look from the start would be a second time)
    assert [sql for sql in offered if "FROM documents t WHERE t.rowid > 0 " in sql] == offered[:1]
