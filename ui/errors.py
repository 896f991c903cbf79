"""The one place errors are shown to the user."""

from __future__ import annotations

import logging

from oa_client.errors import OAError
from oa_client.i18n import _
from ui.qt import QMessageBox, QWidget

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """What to tell a civil servant about an error (never a traceback)."""
    if isinstance(exc, OAError):
        return exc.message
    log.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
    return _("发生了意外错误（{name}）。数据未丢失，请重试；如仍出现，请联系系统管理员。").format(
        name=type(exc).__name__
    )


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show an error in a message box."""
    QMessageBox.warning(parent, _("提示"), error_text(exc))
