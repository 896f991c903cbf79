"""House rules from DESIGN §1 checked on the source: the import table and one-way imports
(translations: test_translations.py)."""

from __future__ import annotations

import ast
import sys
from collections import deque
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


def _import_statements(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in the file, in functions and TYPE_CHECKING
    blocks too: `import a.b` is (line, "a.b", []), `from m import x, y` (line, "m", ["x", "y"])
    with relative modules made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name, [a.name for a in node.names]))
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for line, name, names in _import_statements(path):
        found.append((line, name))
        # `from pkg import submodule` imports the submodule too
        found.extend((line, f"{name}.{n}") for n in names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _breach(module: str, path: Path, imported: str) -> str | None:
    top = imported.split(".")[0]
    if module == "main" and _under(imported, "bench"):
        return "main.py never imports bench (benchmarks import the product, not the reverse)"
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


def _wiring() -> list[Path]:
    """main.py and any other module at the top of the tree (module `main`, …)."""
    return sorted(ROOT.glob("*.py"))


def test_import_table_holds() -> None:
    breaches = []
    for path in _sources() + _wiring():
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
    assert _breach("main", ROOT, "bench.ui")
    assert _breach("bench.ui", ROOT, "main") is None


def _resolve(name: str, modules: set[str]) -> str | None:
    """The first-party module an imported name runs: itself, else its nearest known parent
    (a package is its `__init__`); None for anything not ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _import_graph() -> dict[str, set[str]]:
    """module -> the first-party modules it imports (every import statement, including those in
    functions and `if TYPE_CHECKING:` blocks: a type-only import back is still a cycle).
    `from pkg import name` is the submodule pkg.name when there is one, else pkg itself."""
    files = {_module_name(p): p for p in _sources() + _wiring()}
    modules = set(files)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in files.items():
        for _line, name, names in _import_statements(path):
            subs = [f"{name}.{n}" for n in names if f"{name}.{n}" in modules]
            targets = subs if subs and len(subs) == len(names) else [name, *subs]
            for target in targets:
                found = _resolve(target, modules)
                if found is not None and found != module:
                    graph[module].add(found)
    return graph


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in sorted(graph):
        if root in index:
            continue
        visit(root)
        work = [(root, iter(sorted(graph.get(root, ()))))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    visit(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def _cycle_through(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle from the component's first module back to it: [a, b, …, a]."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {component}")


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle as `a → b → a` (with the whole component when it is larger)."""
    out = []
    for component in _components(graph):
        cycle = _cycle_through(graph, component)
        line = " → ".join(cycle)
        if len(component) > len(cycle) - 1:
            line += f"  (one cycle of the knot {', '.join(component)})"
        out.append(line)
    return out


def test_imports_run_one_way() -> None:
    # DESIGN §1: no module imports, directly or through others, a module that imports it back
    graph = _import_graph()
    assert "main" in graph and "oa_client.domain.forms" in graph
    cycles = _cycles(graph)
    assert not cycles, "import cycles (move the shared piece into its own module):\n" + "\n".join(
        cycles
    )
    assert not {m for m in graph["main"] if _under(m, "bench")}, "main.py imports bench"


def test_import_graph_sees_every_import() -> None:
    # imports in functions and under TYPE_CHECKING count; `from pkg import module` is the module
    graph = _import_graph()
    assert "demo_wiring" in graph["main"]  # inside main()
    assert "ui.shell" in graph["main"]  # under TYPE_CHECKING
    assert "ui.documents.shots" in graph["ui.documents.page"]  # inside a method
    assert "oa_client.services.documents_boxes" in graph["ui.documents.data"]
    assert "oa_client.services" not in graph["ui.documents.data"]
    assert "oa_client.services.documents" in graph["ui.documents.data"]  # inside a function
    assert "oa_server.authority" in graph["oa_server.sync_push"]  # the package's __init__


def test_cycle_finder_finds_a_cycle() -> None:
    # The finder itself must report a cycle, or the test above proves nothing.
    looped = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    assert _components(looped) == [["a", "b", "c"]]
    assert _cycles(looped) == ["a → b → c → a"]
    two = {"x": {"y"}, "y": {"x"}, "p": {"q"}, "q": {"p", "x"}}
    assert _cycles(two) == ["p → q → p", "x → y → x"]
    assert _cycles({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    assert _cycles({}) == []
