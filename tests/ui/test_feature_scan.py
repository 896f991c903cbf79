"""PySide's after-import scan answers as before, from the file's bytes (ui/feature_scan.py)."""

from __future__ import annotations

import inspect
import sys

import ui.qt  # noqa: F401  (installs the scan)
from ui.feature_scan import FEATURE_MODULE, uses_pyside


def _by_source(module) -> bool:
    """PySide's own answer: the module's source, as inspect reads it, names PySide6."""
    try:
        return "PySide6" in inspect.getsource(module)
    except Exception:
        return False


def test_the_answer_is_pysides_for_every_loaded_module():
    modules = [m for m in list(sys.modules.values()) if m is not None]
    assert len(modules) > 300
    differ = [m.__name__ for m in modules if uses_pyside(m) != _by_source(m)]
    assert differ == []
    assert uses_pyside(sys.modules["ui.qt"]) and not uses_pyside(sys.modules["json"])


def test_pyside_files_modules_imported_later_by_it(tmp_path, monkeypatch):
    feature = sys.modules[FEATURE_MODULE]
    assert feature._mod_uses_pyside is uses_pyside
    (tmp_path / "oa_probe_qt.py").write_text("import PySide6.QtCore\n", encoding="utf-8")
    (tmp_path / "oa_probe_plain.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("oa_probe_qt", "oa_probe_plain"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # imported anew, then dropped
        __import__(name)  # through the import hook PySide put in builtins
    assert feature.pyside_feature_dict["oa_probe_qt"] == 0  # uses PySide: default features
    assert feature.pyside_feature_dict["oa_probe_plain"] == -1  # ignored when switching
