"""A revoked device's last contact: push what it may still push (when the revocation allows
it), say goodbye to the server, remove the profile from this computer — then say why."""

from __future__ import annotations

import logging
from collections.abc import Callable

from oa_client.errors import OAError
from oa_client.i18n import _
from oa_client.store.wipe import wipe
from sync import account as account_sync
from ui.ops import run_op
from ui.qt import QMessageBox, QWidget

log = logging.getLogger(__name__)


def farewell(parent: QWidget | None, session, exc: OAError, *,
             done: Callable[[str], None]) -> None:
    """On a worker: the last push (if allowed) and the wipe; then `done(what to tell the user)`."""
    final_push = bool(getattr(exc, "final_push", False))
    reason = exc.message or _("这台电脑已被停用。")

    def op(cancel) -> int:
        try:
            account_sync.farewell(session.store, session.transport, final_push=final_push,
                                  cancel=cancel)
        except OAError as err:  # the wipe goes ahead: the device is revoked either way
            log.warning("last push before the wipe not finished: %s", err)
        left = session.store.records.pending_ops()
        wipe(session.store, backend=session.keyring_backend)
        return left

    run_op(parent, op, success=lambda left: done(farewell_text(reason, left)),
           failure=lambda err: done(reason), pool="global")


def farewell_text(reason: str, left: int | None) -> str:
    """Why, what became of the changes not yet synced (`left` not sent; None: unknown), and
    that the data is gone."""
    if left == 0:
        fate = _("本机的修改均已上传到服务器。")
    elif left:
        fate = _("有 {n} 项未同步的修改未能上传，已随本机数据一起清除。").format(n=left)
    else:
        fate = ""
    return "\n".join(t for t in (reason, fate, _("本机的数据库、附件和保存的密钥已全部清除。")) if t)


def notice(parent: QWidget, text: str) -> QMessageBox:
    """Tell the user the device was revoked and its data removed (non-blocking)."""
    box = QMessageBox(QMessageBox.Icon.Warning, _("这台电脑已停用"), text,
                      QMessageBox.StandardButton.Ok, parent)
    box.button(QMessageBox.StandardButton.Ok).setText(_("知道了"))
    box.open()
    return box
