"""Mark a module screen dirty; reload now if it is shown, else when it is next shown.

A mixin of the module screens (before QWidget in their bases); they provide `session` and
`reload()`, and override `reload_on_show()` when their reload takes arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.qt import QEvent


class ReloadOnShow:
    """Reload a screen's data now if it is shown, else when it is next shown."""

    session: Any
    dirty: bool = False  # the data changed since the last reload

    def reload_on_show(self) -> None:
        """Reload with this screen's arguments (subclasses override)."""
        self.reload()

    def mark_dirty(self, now: Callable[[], None] | None = None) -> None:
        """Data changed: reload now if shown (by `now`, else `reload_on_show`), else when next shown."""
        self.dirty = True
        if self.isVisible():
            (now or self.reload_on_show)()

    def refresh(self) -> None:
        """Data changed (a sync or a local write): reload now if shown, else when next shown."""
        self.mark_dirty()

    def showEvent(self, event: QEvent) -> None:
        """Load when first shown (and after the data changed while hidden)."""
        super().showEvent(event)
        if self.dirty and self.session is not None:
            self.reload_on_show()
