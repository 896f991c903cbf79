"""One translation mechanism for every layer: gettext catalogs in resources/translations.

Message ids are the Simplified Chinese texts (zh_CN is the default language and
needs no catalog); `en` and any later language are gettext catalogs, one per
area (`resources/translations/<lang>/LC_MESSAGES/<area>.po`, compiled to `.mo`),
chained into one translation.
Stdlib-only, so the domain and docs_exchange may use it too.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "oa"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "translations"

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def set_language(language: str | None = None) -> str:
    """Switch every layer to `language` (zh_CN, en); unknown ones fall back to zh_CN."""
    global _current, _language
    language = language or os.environ.get("OA_LANG") or DEFAULT_LANGUAGE
    if language.startswith("en"):
        language = "en"
    elif language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    chain: gettext.NullTranslations = gettext.NullTranslations()
    catalogs = sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.mo"))
    for mo in catalogs:
        with mo.open("rb") as f:
            catalog = gettext.GNUTranslations(f)
        if isinstance(chain, gettext.GNUTranslations):
            chain.add_fallback(catalog)
        else:
            chain = catalog
    _current = chain
    _language = language
    return language


def current_language() -> str:
    """The language the user interface and errors currently speak."""
    return _language


def _(message: str) -> str:
    """Translate one user-facing message (its id is the Chinese text)."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message that depends on a count."""
    return _current.ngettext(singular, plural, n)


set_language()
