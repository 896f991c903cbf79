"""Bigram tokens for 1–2 character Chinese queries (trigram FTS needs three characters)."""

from __future__ import annotations

import re
import unicodedata
from operator import add

_RUN = re.compile(r"[^\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC and lower case: full-width Ａ１ and half-width A1 search alike."""
    return unicodedata.normalize("NFKC", text).lower()


def grams(text: str | None) -> str:
    """Space-separated bigrams of each run of letters/digits, plus each run's last character.

    "会议通知" → "会议 议通 通知 知": a two-character query is one token, a one-character
    query a prefix query.
    """
    if not text:
        return ""
    out: list[str] = []
    # a catch-up calls this for every title and body: pairs made by `map` stay in C
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        out += map(add, run, run[1:])
        out.append(run[-1])
    return " ".join(out)


def is_gram_term(term: str) -> bool:
    """True when a short query term is all letters/digits, so the bigram index can answer it."""
    return bool(term) and _RUN.fullmatch(term) is not None
