"""Full-text search over the encrypted store: trigram FTS5, bigrams for short Chinese terms.

Every query term is matched as a literal substring: FTS syntax characters in the
user's input (`"`, `*`, `OR`, `(`) are quoted, never interpreted, so a query
returns results or an empty list and never an error.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from oa_client.store.db import Database
from oa_client.store.grams import is_gram_term, normalize

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
    """Ranked hits for `query` (title matches weigh more); empty for an empty query."""
    terms = split_terms(query)
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= 3]
    short = [(t, normalize(t)) for t in terms if len(t) < 3]
    gram_terms = [n for t, n in short if 0 < len(n) < 3 and is_gram_term(n)]
    like_terms = [t for t, n in short if not (0 < len(n) < 3 and is_gram_term(n))]

    where: list[str] = []
    params: list[object] = []
    if long_terms:
        source = "search_tri JOIN search_items si ON si.rowid = search_tri.rowid"
        where.append("search_tri MATCH ?")
        params.append(" AND ".join(_phrase(t) for t in long_terms))
        rank = "bm25(search_tri, 8.0, 1.0)"
        if gram_terms:
            where.append("si.rowid IN (SELECT rowid FROM search_bi WHERE search_bi MATCH ?)")
            params.append(_gram_match(gram_terms))
    elif gram_terms:
        source = "search_bi JOIN search_items si ON si.rowid = search_bi.rowid"
        where.append("search_bi MATCH ?")
        params.append(_gram_match(gram_terms))
        rank = "bm25(search_bi)"
    else:
        source = "search_items si"
        rank = "si.rowid DESC"
    for term in like_terms:
        where.append("(lower(si.title) LIKE ? ESCAPE '\\' OR lower(si.body) LIKE ? ESCAPE '\\')")
        params.extend([_like(term), _like(term)])
    if kinds:
        where.append(f"si.kind IN ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    sql = (
        f"SELECT si.kind, si.ref_id, si.owner_id, si.title, si.body FROM {source}"
        f" WHERE {' AND '.join(where) or '1'} ORDER BY {rank} LIMIT ? OFFSET ?"
    )
    params.extend([limit, offset])
    rows = db.query(sql, tuple(params))
    hits = []
    for kind, ref_id, owner_id, title, body in rows:
        snippet, spans = make_snippet(body or title, terms)
        hits.append(
            SearchHit(
                kind=kind, ref_id=ref_id, owner_id=owner_id, title=title, snippet=snippet,
                highlights=spans, title_highlights=_spans(title, terms),
            )
        )
    return hits


def _gram_match(terms: list[str]) -> str:
    parts = []
    for term in terms:
        parts.append(_phrase(term) if len(term) == 2 else _phrase(term) + " *")
    return " AND ".join(parts)


def like_search(db: Database, query: str, *, limit: int = 50) -> list[tuple[str, str]]:
    """The naive baseline (LIKE over every body), kept for the benchmark's comparison."""
    terms = split_terms(query)
    if not terms:
        return []
    where = " AND ".join(["(title LIKE ? OR body LIKE ?)"] * len(terms))
    params: list[object] = []
    for t in terms:
        params.extend([f"%{t}%", f"%{t}%"])
    return db.query(
        f"SELECT kind, ref_id FROM search_items WHERE {where} LIMIT ?", (*params, limit)
    )
