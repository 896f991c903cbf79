"""Translations (DESIGN §1): every catalog parses, keeps its placeholders, covers the code,
and compiles to a catalog gettext loads. The compiled .mo files are build output (set-up
makes them), so nothing here compares bytes with a committed binary."""

from __future__ import annotations

import ast
import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import PoFileError, read_po

from oa_client import i18n
from oa_client.i18n import TRANSLATIONS_DIR, _
from oa_client.i18n_compile import compile_catalog

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("oa_client", "ui", "sync", "docs_exchange", "oa_server", "bench")
CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"))
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _catalog_id(po: Path) -> str:
    return f"{po.parent.parent.name}/{po.name}"


def _read(po: Path):
    with po.open("rb") as f:
        return read_po(f, abort_invalid=True)


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """The {brace} field names and %-conversions of one message, each sorted."""
    braces = []
    try:
        braces = [field for _lit, field, _spec, _conv in string.Formatter().parse(text)
                  if field is not None]
    except ValueError:
        braces = ["<unbalanced braces>"]
    return sorted(braces), sorted(m for m in PERCENT.findall(text) if m != "%%")


def _pairs(message) -> list[tuple[str, str]]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if len(ids) == 1:
        return [(ids[0], s) for s in strings if s]
    # plural: the singular form may drop the count; every other form matches the plural id
    return [(ids[0] if i == 0 else ids[1], s) for i, s in enumerate(strings) if s]


def test_there_are_catalogs_for_every_language_but_the_default() -> None:
    languages = {po.parent.parent.name for po in CATALOGS}
    assert languages == set(i18n.LANGUAGES) - {i18n.DEFAULT_LANGUAGE}


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_catalog_parses_and_keeps_every_placeholder(po: Path) -> None:
    catalog = _read(po)
    broken = [f"{mid!r} → {text!r}" for message in catalog if message.id
              for mid, text in _pairs(message) if placeholders(mid) != placeholders(text)]
    assert not broken, f"{_catalog_id(po)}: the translation changes the placeholders:\n" + \
        "\n".join(broken)


def test_placeholder_check_sees_a_lost_or_renamed_field() -> None:
    assert placeholders("共 {n} 项") != placeholders("{count} items")
    assert placeholders("共 {n} 项") != placeholders("items")
    assert placeholders("%s 已保存") != placeholders("saved")
    assert placeholders("{a}与{b}") == placeholders("{b} and {a}")


def test_a_broken_catalog_is_refused(tmp_path: Path) -> None:
    po = tmp_path / "broken.po"
    for text in ('msgid "同意"\n\nmsgid "退回"\nmsgstr "Return"\n',  # msgstr lost
                 'msgid "同意"\nmsgtxt "Agree"\n'):  # misspelt keyword
        po.write_text(text, encoding="utf-8")
        with pytest.raises(PoFileError):
            _read(po)


@pytest.mark.parametrize("po", CATALOGS, ids=_catalog_id)
def test_compiled_catalog_loads_and_translates(po: Path, tmp_path: Path) -> None:
    mo = tmp_path / po.with_suffix(".mo").name
    mo.write_bytes(compile_catalog(po))
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    catalog = _read(po)
    singles = [m for m in catalog if m.id and isinstance(m.id, str) and m.string]
    assert singles, f"{_catalog_id(po)} holds no translations"
    wrong = [m.id for m in singles if compiled.gettext(m.id) != m.string]
    assert not wrong, f"{_catalog_id(po)}: compiled catalog misses {wrong[:5]}"


def test_set_up_compiled_the_catalogs_the_client_loads() -> None:
    # `make test` / `make run` compile the .po files during set-up (scripts/bootstrap.sh)
    for po in CATALOGS:
        assert po.with_suffix(".mo").exists(), f"{po.with_suffix('.mo')} missing: run `make translations`"
    try:
        i18n.set_language("en")
        assert _("数据库密钥不可用") == "The database key is unavailable"
        i18n.set_language("zh_CN")
        assert _("数据库密钥不可用") == "数据库密钥不可用"
    finally:
        i18n.set_language("zh_CN")


def _translatable_literals() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    for path in [*sources, ROOT / "main.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _messages(language: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for po in sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po")):
        for message in _read(po):
            if message.id and isinstance(message.id, str):
                messages[message.id] = message.string
    return messages


def test_every_user_facing_string_has_an_english_translation() -> None:
    catalog = _messages("en")
    missing = [
        f"{where}: {text!r}"
        for text, where in sorted(_translatable_literals().items(), key=lambda kv: kv[1])
        if not catalog.get(text)
    ]
    assert not missing, "add these to resources/translations/en/LC_MESSAGES/*.po:\n" + "\n".join(
        missing
    )
