"""Per-request language for server messages, without touching the process-wide switch.

`_()` here translates into the language of the current request (a context
variable set by the middleware from `Accept-Language`); outside a request it is
`oa_client.i18n._`. Catalogs are loaded once per language and shared read-only,
so concurrent requests in different languages never disturb each other.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from oa_client import i18n as core_i18n

_request_language: ContextVar[str | None] = ContextVar("oa_request_language", default=None)


@lru_cache(maxsize=8)
def catalog(language: str) -> gettext.NullTranslations:
    """All compiled catalogs of `language`, chained; zh_CN is the identity."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    if language == core_i18n.DEFAULT_LANGUAGE:
        return chain
    for mo in sorted((core_i18n.TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.mo")):
        with mo.open("rb") as f:
            found = gettext.GNUTranslations(f)
        if isinstance(chain, gettext.GNUTranslations):
            chain.add_fallback(found)
        else:
            chain = found
    return chain


def negotiate(header: str | None) -> str:
    """Pick zh_CN or en from an Accept-Language header; default is zh_CN."""
    if not header:
        return core_i18n.DEFAULT_LANGUAGE
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        if tag.startswith("en"):
            choices.append((quality, -index, "en"))
        elif tag.startswith("zh"):
            choices.append((quality, -index, core_i18n.DEFAULT_LANGUAGE))
    choices = [c for c in choices if c[0] > 0]
    return max(choices)[2] if choices else core_i18n.DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the current request, else the process-wide one."""
    return _request_language.get() or core_i18n.current_language()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Speak `language` in this context (request, task or thread) only."""
    token = _request_language.set(language)
    try:
        yield
    finally:
        _request_language.reset(token)


def _(message: str) -> str:
    """Translate a server message into the current request's language."""
    language = _request_language.get()
    if language is None:
        return core_i18n._(message)
    return catalog(language).gettext(message)


def retranslate(message: str) -> str:
    """Translate an already-made Chinese message (e.g. from the domain) if it is a known id."""
    language = _request_language.get()
    if language is None or language == core_i18n.DEFAULT_LANGUAGE:
        return message
    return catalog(language).gettext(message)


def human_size(n: int) -> str:
    """A byte count as B, KB or MB for messages."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} B"
