"""Bigram tokens for 1–2 character Chinese queries (trigram FTS needs three characters)."""

from __future__ import annotations

import re
import unicodedata
from operator import add

_RUN = re.compile(r"[^\W_]+", re.UNICODE)

#: what a title's tokens start with in the bigram index (v12), so one column without
#: positions still tells title matches from body matches; never part of a run
TITLE_MARK = "~"


def normalize(text: str) -> str:
    """NFKC and lower case: full-width Ａ１ and half-width A1 search alike."""
    return unicodedata.normalize("NFKC", text).lower()


def _joined(text: str, sep: str) -> str:
    """The bigrams of each run of letters/digits of `text`, plus each run's last character,
    joined by `sep`; "" when it has none."""
    # a catch-up calls this for every title and body: pairs made by `map` stay in C
    low = unicodedata.normalize("NFKC", text).lower()
    if low.isalnum():  # one run, as most titles are (isalnum is exactly what _RUN matches)
        return sep.join(map(add, low, low[1:])) + sep + low[-1] if len(low) > 1 else low
    out: list[str] = []
    for run in _RUN.findall(low):
        out += map(add, run, run[1:])
        out.append(run[-1])
    return sep.join(out)


def grams(text: str | None) -> str:
    """Space-separated bigrams of each run of letters/digits, plus each run's last character.

    "会议通知" → "会议 议通 通知 知": a two-character query is one token, a one-character
    query a prefix query.
    """
    return _joined(text, " ") if text else ""


def record_grams(title: str | None, body: str | None) -> str:
    """One record's bigram tokens (v12): the title's marked with TITLE_MARK, then the body's.

    ("会议", "通知") → "~会议 ~议 通知 知".
    """
    marked = _joined(title, " " + TITLE_MARK) if title else ""
    head = TITLE_MARK + marked if marked else ""
    tail = _joined(body, " ") if body else ""
    return f"{head} {tail}" if head and tail else head or tail


def is_gram_term(term: str) -> bool:
    """True when a short query term is all letters/digits, so the bigram index can answer it."""
    return bool(term) and _RUN.fullmatch(term) is not None
