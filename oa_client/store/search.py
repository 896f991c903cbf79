"""Full-text search over the encrypted store: trigram FTS5, bigrams for short Chinese terms.

Every query term is matched as a literal substring: FTS syntax characters in the
user's input (`"`, `*`, `OR`, `(`) are quoted, never interpreted, so a query
returns results or an empty list and never an error.
"""

from __future__ import annotations

import html
import json
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from oa_client.store.db import Database
from oa_client.store.grams import TITLE_MARK, is_gram_term, normalize, record_grams

SNIPPET_CHARS = 80
KINDS = ("document", "opinion", "attachment", "meeting")


@dataclass(frozen=True)
class SearchHit:
    """One search result: what it is, where it belongs, and a snippet with highlights."""

    kind: str
    ref_id: str
    owner_id: str | None
    title: str
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans in snippet
    title_highlights: list[tuple[int, int]] = field(default_factory=list)

    def snippet_html(self) -> str:
        """The snippet as HTML with matches in <b>, everything else escaped."""
        return _mark(self.snippet, self.highlights)

    def title_html(self) -> str:
        """The title as HTML with matches in <b>."""
        return _mark(self.title, self.title_highlights)


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(html.escape(text[pos:start]))
        out.append("<b>" + html.escape(text[start:end]) + "</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def split_terms(query: str) -> list[str]:
    """The query's terms: lower case, split on white space, duplicates dropped."""
    seen: list[str] = []
    for term in query.lower().split():
        if term not in seen:
            seen.append(term)
    return seen


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lowered
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = low.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = low.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def make_snippet(body: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> tuple[str, list]:
    """A window of `body` around the first match, with the match spans inside it."""
    spans = _spans(body, terms)
    if not spans:
        text = body[:width]
        return (text + ("…" if len(body) > width else "")), []
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(body), start + width)
    prefix = "…" if start > 0 else ""
    text = prefix + body[start:end] + ("…" if end < len(body) else "")
    shift = len(prefix) - start
    inside = [(s + shift, min(e, end) + shift) for s, e in spans if s >= start and s < end]
    return text.replace("\n", " "), inside


def search(
    db: Database, query: str, *, kinds: tuple[str, ...] | None = None, limit: int = 50,
    offset: int = 0,
) -> list[SearchHit]:
    """Hits for `query`: title matches first, then body matches, newest first within each.

    Each tier streams from the FTS index in rowid order and stops at the page, so a
    common two-character word among 100k documents costs no more than a rare one.
    """
    terms = split_terms(query)
    if not terms or limit <= 0:
        return []
    plan = _Plan(terms, kinds)
    want = offset + limit
    title_ids = plan.rowids(db, title_only=True, limit=want)
    rowids = list(title_ids)
    if len(rowids) < want:
        seen = set(title_ids)
        more = plan.rowids(db, title_only=False, limit=want + len(title_ids))
        rowids.extend(r for r in more if r not in seen)
    rowids = rowids[offset:want]
    if not rowids:
        return []
    by_id = _texts(db, rowids)
    hits = []
    for rowid in rowids:
        if rowid not in by_id:
            continue
        kind, ref_id, owner_id, title, body = by_id[rowid]
        snippet, spans = make_snippet(body or title, terms)
        hits.append(
            SearchHit(
                kind=kind, ref_id=ref_id, owner_id=owner_id, title=title, snippet=snippet,
                highlights=spans, title_highlights=_spans(title, terms),
            )
        )
    return hits


def _texts(db: Database, rowids: list[int]) -> dict[int, tuple]:
    """rowid → (kind, ref_id, owner_id, title, body) for a page of hits (the index holds no
    text: each kind's is read back as its arm of `_ARMS` says, the same text it matched)."""
    marks = ",".join("?" * len(rowids))
    items = db.query(f"SELECT rowid, kind, ref_id, owner_id FROM search_items"
                     f" WHERE rowid IN ({marks})", tuple(rowids))
    texts: dict[int, tuple[str, str]] = {}
    for kind in {item[1] for item in items}:
        join, title, body = _ARMS[kind]
        texts.update((r[0], (r[1] or "", r[2] or "")) for r in db.query(
            f"SELECT si.rowid, {title}, {body} FROM search_items si {join}"
            f" WHERE si.rowid IN ({marks}) AND +si.kind = '{kind}'", tuple(rowids)))
    return {rowid: (kind, ref_id, owner_id, *texts.get(rowid, ("", "")))
            for rowid, kind, ref_id, owner_id in items}


class _Plan:
    """How one query is answered: trigram phrases, bigram tokens, LIKE for the rest."""

    def __init__(self, terms: list[str], kinds: tuple[str, ...] | None) -> None:
        self.long = [t for t in terms if len(t) >= 3]
        short = [(t, normalize(t)) for t in terms if len(t) < 3]
        self.grams = [n for t, n in short if 0 < len(n) < 3 and is_gram_term(n)]
        self.like = [t for t, n in short if not (0 < len(n) < 3 and is_gram_term(n))]
        self.kinds = kinds

    def rowids(self, db: Database, *, title_only: bool, limit: int) -> list[int]:
        """Matching rowids, newest first, at most `limit`."""
        tri = " AND ".join(_phrase(t) for t in self.long)
        bi = " AND ".join(_gram(t, title_only=title_only) for t in self.grams)
        where: list[str] = []
        params: list[object] = []
        if tri:
            source, col = "search_tri f", "title"
            where.append("search_tri MATCH ?")
            params.append(f"{col} : ({tri})" if title_only else tri)
            if bi:  # `+`: the trigram match drives, the bigram rowids are gathered once (as
                # a rowid constraint on search_tri it ran the trigram match once per rowid:
                # seconds for a common character at 100k records)
                where.append("+f.rowid IN (SELECT rowid FROM search_bi WHERE search_bi MATCH ?)")
                params.append(bi)
        elif bi:
            source = "search_bi f"
            where.append("search_bi MATCH ?")
            params.append(bi)
        else:
            source = None
        if self.like:  # LIKE needs the text: read per kind (`_like_rowids`)
            return self._like_rowids(db, source, where, params, title_only=title_only,
                                     limit=limit)
        if self.kinds:
            source = f"{source} JOIN search_items si ON si.rowid = f.rowid"
            where.append(f"si.kind IN ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        sql = (f"SELECT f.rowid FROM {source} WHERE {' AND '.join(where)}"
               f" ORDER BY f.rowid DESC LIMIT ?")
        return [r[0] for r in db.query(sql, (*params, limit))]

    def _like_rowids(self, db: Database, source: str | None, where: list[str],
                     params: list[object], *, title_only: bool, limit: int) -> list[int]:
        """Rowids whose text holds every LIKE term (and matches the FTS part, if any).

        The items come newest first and each one's text is looked up for its kind alone
        (`_ARMS`), so the walk stops at `limit`; through the `search_text` view SQLite built
        every record's text first (50–120 ms at 100k). With an FTS part, its rowids drive one
        walk and a CASE looks up the text of the item's kind; without, one arm per kind that
        has items walks them and the arms are merged. No `lower()`: LIKE folds the same case lower()
        does (ASCII; both Unicode when SQLite has ICU), so it only copied every text.
        """
        kinds = [k for k in _ARMS if not self.kinds or k in self.kinds]
        columns = 1 if title_only else 2  # title, or title and body
        conds: dict[str, str] = {}  # kind → its LIKE conditions (each with `params_each`)
        for kind in kinds:
            _join, title, body = _ARMS[kind]
            fields = (title, body)[:columns]
            conds[kind] = " AND ".join(
                "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in fields) + ")"
                for _term in self.like)
        params_each = [_like(t) for t in self.like for _c in range(columns)]
        if not source:  # the merge asks every arm for its first item: no arm for a kind
            # without any (it would walk every item to find none)
            kinds = [k for k in kinds
                     if db.query("SELECT 1 FROM search_items WHERE kind = ? LIMIT 1", (k,))]
            if not kinds:
                return []
            sql = " UNION ALL ".join(
                f"SELECT si.rowid FROM search_items si {_ARMS[k][0]}"
                f" WHERE +si.kind = '{k}' AND {conds[k]}" for k in kinds)
            return [r[0] for r in db.query(f"{sql} ORDER BY 1 DESC LIMIT ?",
                                           (*params_each * len(kinds), limit))]
        if not kinds:
            return []
        case = "".join(f" WHEN '{k}' THEN (SELECT {conds[k]} FROM search_items si {_ARMS[k][0]}"
                       f" WHERE si.rowid = it.rowid)" for k in kinds)  # runs the item's kind's
        sql = (f"SELECT f.rowid FROM {source} JOIN search_items it ON it.rowid = f.rowid"
               f" WHERE {' AND '.join(where)} AND CASE it.kind{case} END"
               f" ORDER BY f.rowid DESC LIMIT ?")
        return [r[0] for r in db.query(sql, (*params, *params_each * len(kinds), limit))]


def _gram(term: str, *, title_only: bool) -> str:
    """The bigram index's query for one short term: a token (two characters) or a prefix (one);
    a title's tokens carry TITLE_MARK (v12), so "in the title" is the marked token alone."""
    star = "" if len(term) == 2 else " *"
    title = _phrase(TITLE_MARK + term) + star
    return title if title_only else f"({_phrase(term)}{star} OR {title})"


def like_search(db: Database, query: str, *, limit: int = 50) -> list[tuple[str, str]]:
    """The naive baseline (LIKE over every document), kept for the benchmark's comparison."""
    terms = split_terms(query)
    if not terms:
        return []
    where = " AND ".join(["(title LIKE ? OR body LIKE ?)"] * len(terms))
    params: list[object] = []
    for t in terms:
        params.extend([f"%{t}%", f"%{t}%"])
    return db.query(
        f"SELECT 'document', id FROM documents WHERE {where} ORDER BY rowid DESC LIMIT ?",
        (*params, limit),
    )


#: kind → (owner expression, source table, condition) of what the index should hold
_SOURCES = {
    "document": ("t.id", "documents", "t.deleted = 0"),
    "opinion": ("t.document_id", "document_events",
                "t.deleted = 0 AND coalesce(json_extract(t.data, '$.opinion'), '') != ''"),
    "attachment": ("t.owner_id", "attachments", "t.deleted = 0"),
    "meeting": ("t.id", "meetings", "t.deleted = 0"),
}


#: kind → (join, title, body): the `search_text` view's arms (schema v2), read by rowid
_ARMS = {
    "document": ("JOIN documents d ON d.id = si.ref_id", "d.title", "d.body"),
    "opinion": ("JOIN document_events e ON e.id = si.ref_id"
                " LEFT JOIN documents d ON d.id = e.document_id",
                "coalesce(d.title, '')", "json_extract(e.data, '$.opinion')"),
    "attachment": ("JOIN attachments a ON a.id = si.ref_id", "a.name", "''"),
    "meeting": ("JOIN meetings m ON m.id = si.ref_id", "m.title",
                "coalesce(json_extract(m.data, '$.agenda'), '')"),
}

#: the texts of the items past a search rowid (`?1`), in rowid order (`_SOURCES`' order, as
#: the catch-up adds them). Each arm takes its own rowid range: SQLite does not push
#: `rowid > ?` into the view's UNION ALL, so through `search_text` a chunk read every item
#: indexed before it again, in `(kind, ref_id)` order — and FTS5 writes out a segment each
#: time the rowid it is given goes down: records whose ids are not in the order they were
#: stored (ids are made on desks, records change later) cost a segment each, and merging
#: them (100k shuffled: 3.3 s instead of 1.1 s). `+si.kind`: the kind filters the range, it
#: does not pick the (kind, ref_id) index instead.
_PAST = " UNION ALL ".join(
    f"SELECT si.rowid AS rowid, {title} AS title, {body} AS body FROM search_items si {join}"
    f" WHERE si.rowid > ?1 AND +si.kind = '{kind}'"
    for kind, (join, title, body) in ((k, _ARMS[k]) for k in _SOURCES))

#: what a catch-up chunk reads and writes: the texts as one JSON array of
#: [rowid, title, body], the trigram rows (from that array), a bigram row
_TEXTS = f"SELECT json_group_array(json_array(rowid, title, body)) FROM ({_PAST})"
_TRI = ("INSERT INTO search_tri(rowid, title, body) SELECT json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)")
_BI = "INSERT INTO search_bi(rowid, g) VALUES (?, ?)"


def _index_texts(conn, top: int, pool: ThreadPoolExecutor) -> None:
    """Index the texts of the search items past rowid `top`, trigrams and bigrams at once.

    SQLite lets go of the GIL while it builds the trigram rows (C alone), so `pool`'s thread
    does that while this one makes the bigram tokens in Python: on two cores the two halves
    overlap. The texts are read once, as one JSON string that both sides decode (not as a
    tuple or a Python call per record; the trigram side does not look each record up by its
    id a second time). One thread at a time uses the connection.
    """
    texts = conn.execute(_TEXTS, (top,)).fetchone()[0]
    tri = pool.submit(conn.execute, _TRI, (texts,))
    try:
        rows = [(rowid, record_grams(title, body)) for rowid, title, body in json.loads(texts)]
    finally:
        wait([tri])  # the connection is this thread's again once the trigram rows are in
    tri.result()
    conn.executemany(_BI, rows)


def backlog(db: Database) -> bool:
    """Whether records stored by a deferred bulk write still wait for the search index."""
    return bool(db.query("SELECT 1 FROM meta WHERE key = 'search_backlog'"))


def pending(db: Database) -> int:
    """About how many records wait for the index (live source rows minus indexed ones)."""
    live = sum(db.query(f"SELECT count(*) FROM {table} t WHERE {cond}")[0][0]
               for _owner, table, cond in _SOURCES.values())
    return max(0, live - db.query("SELECT count(*) FROM search_items")[0][0])


def catch_up(db: Database, *, chunk: int = 20_000, should_stop=None,
             progress=None) -> int:
    """Index what a deferred bulk write left out, `chunk` records per transaction.

    Returns how many records were indexed. `should_stop()` is asked between chunks
    (the rest waits for the next call); `progress(done)` hears each chunk.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index") as pool:
        return _catch_up(db, pool, chunk, should_stop, progress)


def _writes(conn) -> tuple[int, int]:
    """Marks that change when anything is written: rows this connection changed, and the
    file's `data_version` (it changes when another connection commits)."""
    return conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0]


def _add_items(conn, after: dict[str, int], chunk: int) -> int:
    """Add up to `chunk` search items for the records past `after` (source rowids per kind,
    moved on to the last record looked at); how many."""
    added = 0
    for kind, (owner, table, cond) in _SOURCES.items():
        while added < chunk:
            # the next records in source rowid order; those indexed already are left as they
            # are by the (kind, ref_id) key itself, not by asking it first for each record
            n, last = conn.execute(
                f"SELECT count(*), max(r) FROM (SELECT t.rowid AS r FROM {table} t"
                f" WHERE t.rowid > ? AND {cond} ORDER BY t.rowid LIMIT ?)",
                (after[kind], chunk - added)).fetchone()
            if not n:
                break
            added += conn.execute(
                f"INSERT OR IGNORE INTO search_items(kind, ref_id, owner_id)"
                f" SELECT '{kind}', t.id, {owner} FROM {table} t"
                f" WHERE t.rowid > ? AND t.rowid <= ? AND {cond} ORDER BY t.rowid",
                (after[kind], last)).rowcount
            after[kind] = last
    return added


def _catch_up(db: Database, pool: ThreadPoolExecutor, chunk: int, should_stop,
              progress) -> int:
    done = 0
    after = dict.fromkeys(_SOURCES, 0)  # source rowids already looked at, per kind
    seen = None  # `_writes` as the last chunk ended
    # whether something was written between chunks: a record changed under a deferred write
    # loses its item, maybe below `after`, so the catch-up looks again from the start before
    # it is done (with nothing written, that look probed every record again for nothing)
    behind = False
    while backlog(db):
        if should_stop is not None and should_stop():
            return done
        # an index rebuilt from the records: a chunk lost to a power cut is done again
        with db.held() as held:
            with db.transaction(refetchable=True) as conn:
                behind = behind or (seen is not None and _writes(conn) != seen)
                top = conn.execute("SELECT coalesce(max(rowid), 0) FROM search_items").fetchone()[0]
                added = _add_items(conn, after, chunk)
                if added:
                    _index_texts(conn, top, pool)
                elif behind and any(after.values()):  # one more look from the start
                    after, behind = dict.fromkeys(_SOURCES, 0), False
                else:
                    conn.execute("DELETE FROM meta WHERE key = 'search_backlog'")
            seen = _writes(held)  # after COMMIT: it writes FTS5's pending terms
        done += added
        if progress is not None and added:
            progress(done)
    return done
