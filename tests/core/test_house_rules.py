"""House rules from DESIGN §1 checked on the source: the import table (translations:
test_translations.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("oa_client", "ui", "sync", "docs_exchange", "oa_server", "bench")
SHARED_PURE = ("oa_client.errors", "oa_client.i18n", "oa_client.domain")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from pkg import submodule` imports the submodule too
            found.extend((node.lineno, f"{name}.{a.name}") for a in node.names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _breach(module: str, path: Path, imported: str) -> str | None:
    top = imported.split(".")[0]
    if top == "PySide6" and not (module == "ui.qt"):
        return "PySide6 is imported only through ui/qt.py"
    if _under(module, "oa_client.errors") or _under(module, "oa_client.i18n"):
        if not (_is_stdlib(imported) or _under(imported, "oa_client")):
            return "errors/i18n stay stdlib-only"
    if _under(module, "oa_client.domain"):
        allowed = _is_stdlib(imported) or top == "pydantic" or any(
            _under(imported, p) for p in SHARED_PURE
        )
        if not allowed and imported != "oa_client":
            return "the domain imports only stdlib and pydantic"
    elif _under(module, "oa_client"):
        for bad in ("requests", "fastapi", "sqlalchemy", "ui", "sync", "docs_exchange", "oa_server"):
            if _under(imported, bad):
                return f"oa_client must never import {bad}"
    if _under(module, "sync"):
        for bad in ("ui", "docs_exchange", "oa_server"):
            if _under(imported, bad):
                return f"sync must never import {bad}"
    if _under(module, "docs_exchange"):
        for bad in ("ui", "sync", "oa_server"):
            if _under(imported, bad):
                return f"docs_exchange must never import {bad}"
        if _under(imported, "oa_client") and imported != "oa_client" and not any(
            _under(imported, p) for p in SHARED_PURE
        ):
            return "docs_exchange imports oa_client.domain only"
    if _under(module, "ui") and _under(imported, "oa_server"):
        return "ui reaches the server only through sync"
    if _under(module, "oa_server"):
        if _under(imported, "ui"):
            return "oa_server must never import ui"
        if _under(imported, "oa_client") and imported != "oa_client" and not any(
            _under(imported, p) for p in SHARED_PURE
        ):
            return "oa_server imports oa_client.domain only"
        if _under(imported, "sync") and imported != "sync" and not _under(imported, "sync.protocol"):
            return "oa_server imports sync.protocol only"
    return None


def _sources() -> list[Path]:
    files: list[Path] = []
    for pkg in PACKAGES:
        files.extend(sorted((ROOT / pkg).rglob("*.py")))
    return files


def test_import_table_holds() -> None:
    breaches = []
    for path in _sources():
        module = _module_name(path)
        for line, imported in _imports(path):
            why = _breach(module, path, imported)
            if why:
                breaches.append(f"{path.relative_to(ROOT)}:{line} imports {imported}: {why}")
    assert not breaches, "\n".join(breaches)


def test_import_checker_catches_a_breach(tmp_path: Path) -> None:
    # The checker itself must fail on a breach, or the test above proves nothing.
    assert _breach("oa_client.store.db", ROOT, "PySide6.QtCore")
    assert _breach("oa_client.domain.document", ROOT, "sqlite3") is None
    assert _breach("oa_client.domain.document", ROOT, "requests")
    assert _breach("oa_client.services.docs", ROOT, "sync.engine")
    assert _breach("docs_exchange.pdf", ROOT, "oa_client.store.db")
    assert _breach("docs_exchange.pdf", ROOT, "oa_client.domain.document") is None
    assert _breach("oa_server.app", ROOT, "sync.engine")
    assert _breach("oa_server.app", ROOT, "sync.protocol") is None
    assert _breach("ui.main_window", ROOT, "oa_server.app")
    assert _breach("ui.qt", ROOT, "PySide6.QtWidgets") is None
