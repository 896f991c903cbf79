"""A quicker answer to PySide's question, after every import, "does this module use PySide6?".

PySide (PYSIDE-2029, for `from __feature__ import …`) asks it of each module imported after
it, with `inspect.getsource` — about 0.2 ms a module, some 375 modules in a start, a third of
them on the GUI thread. The same answer comes from the file's bytes in a tenth of the time.
"""

from __future__ import annotations

import sys
from types import ModuleType

FEATURE_MODULE = "PySide6.support.feature"


def uses_pyside(module: ModuleType) -> bool:
    """Whether the module's source file names PySide6 (False without a source file)."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False  # built in, an extension, or only bytecode: no source to read
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def install() -> bool:
    """Answer PySide's scan with `uses_pyside`; False when this PySide has no such scan."""
    feature = sys.modules.get(FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = uses_pyside
    return True
