"""The 账号 menu's dialogs: change my password (old, new twice, the policy's rules shown; the
server enforces them) and my devices (revoke a lost one)."""

from __future__ import annotations

from collections.abc import Callable

from oa_client.i18n import _
from sync import account
from sync.transport import Transport
from ui.admin.common import Table, short
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class ChangePasswordDialog(QDialog):
    """Old password, new password twice, the rules of the security policy above them.

    With `reason` (a forced change after a reset, a first password or an expired one) the
    dialog says why, and `old_password` (what the user just signed in with) is not asked."""

    def __init__(self, parent: QWidget | None, *, transport: Transport, reason: str = "",
                 old_password: str | None = None) -> None:
        super().__init__(parent)
        self.transport, self.known_old = transport, old_password
        self.setWindowTitle(_("修改密码"))
        layout = QVBoxLayout(self)
        self.reason = QLabel(reason)
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color:#8b0000; font-weight:bold")
        self.reason.setVisible(bool(reason))
        layout.addWidget(self.reason)
        self.rules = QLabel(_("正在读取密码规则…"))
        self.rules.setWordWrap(True)
        self.rules.setStyleSheet("color:#444")
        layout.addWidget(self.rules)
        form = QFormLayout()
        self.old = _password_field()
        if old_password is None:
            form.addRow(_("原密码："), self.old)
        self.new = _password_field()
        form.addRow(_("新密码："), self.new)
        self.again = _password_field()
        self.again.returnPressed.connect(self.submit)
        form.addRow(_("再次输入新密码："), self.again)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color:#b00000")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("修改密码"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        run_op(self, lambda _c: account.policy_rules(transport), success=self._show_rules,
               failure=lambda exc: self.rules.setText(error_text(exc)), pool="global")

    def _show_rules(self, rules: list[str]) -> None:
        self.rules.setText(_("新密码须符合安全策略：") + "\n" + "\n".join(f"• {r}" for r in rules))

    def new_password(self) -> str:
        """The new password (after the dialog was accepted)."""
        return self.new.text()

    def submit(self) -> None:
        """Check the two entries agree, then ask the server (which applies the rules)."""
        old = self.known_old if self.known_old is not None else self.old.text()
        new = self.new.text()
        if not old or not new:
            self.problem.setText(_("请填写原密码和新密码。"))
            return
        if new != self.again.text():
            self.problem.setText(_("两次输入的新密码不一致。"))
            return
        self.ok_button.setEnabled(False)
        self.problem.setStyleSheet("color:#555")
        self.problem.setText(_("正在修改密码…"))
        transport = self.transport
        run_op(self, lambda _c: account.change_password(transport, old_password=old,
                                                         new_password=new),
               success=lambda _r: self.accept(), failure=self._refused, pool="global")

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.problem.setStyleSheet("color:#b00000")
        self.problem.setText(error_text(exc))


_DEVICE_HEADER_IDS = (_("设备"), _("首次登录"), _("最近使用"), _("在线登录"), _("状态"))


class DevicesDialog(QDialog):
    """My devices: where I am signed in, and revoking a lost one (it wipes itself)."""

    HEADERS = ("设备", "首次登录", "最近使用", "在线登录", "状态")

    def __init__(self, parent: QWidget | None, *, transport: Transport) -> None:
        super().__init__(parent)
        self.transport = transport
        self.devices: list[dict] = []
        self.setWindowTitle(_("我的设备"))
        layout = QVBoxLayout(self)
        note = QLabel(_("停用一台设备后，它的登录立即失效；它下次联网时会上传尚未同步的修改（如允许），"
                        "然后清除本机的全部数据。"))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = Table(self.HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.final_push = QCheckBox(_("允许该设备在清除前上传尚未同步的修改"))
        self.final_push.setChecked(True)
        layout.addWidget(self.final_push)
        row = QHBoxLayout()
        self.status = QLabel("")
        row.addWidget(self.status, 1)
        self.revoke_button = QPushButton(_("停用所选设备"))
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self.revoke)
        row.addWidget(self.revoke_button)
        close = QPushButton(_("关闭"))
        close.clicked.connect(self.accept)
        row.addWidget(close)
        layout.addLayout(row)
        self.resize(760, 360)
        self.refresh()

    def refresh(self) -> None:
        """Read my devices on a worker."""
        transport = self.transport
        run_op(self, lambda _c: account.my_devices(transport), success=self._show,
               failure=lambda exc: self.status.setText(error_text(exc)), pool="global")

    def _show(self, devices: list[dict]) -> None:
        self.devices = devices
        self.table.fill(devices, lambda d: (
            d["name"], short(d["registered_at"]), short(d["last_seen_at"]),
            str(d["open_sessions"]),
            _("已停用") if d.get("revoked_at") else _("本机") if d.get("current") else _("正常")))
        self._selected()

    def _chosen(self) -> dict | None:
        return self.table.current()

    def _selected(self) -> None:
        d = self._chosen()
        self.revoke_button.setEnabled(bool(d) and not d.get("current") and not d.get("revoked_at"))

    def revoke(self) -> None:
        """Revoke the chosen device after a confirmation."""
        d = self._chosen()
        if d is None:
            return
        transport, final_push = self.transport, self.final_push.isChecked()

        def revoke() -> None:
            run_op(self, lambda _c: account.revoke_my_device(transport, d["id"],
                                                             final_push=final_push),
                   success=lambda _r: (self.status.setText(
                       _("已停用：{name}").format(name=d["name"])), self.refresh()),
                   failure=lambda exc: self.status.setText(error_text(exc)), pool="global")

        box = QMessageBox(QMessageBox.Icon.Question, _("停用设备"), _(
            "停用“{name}”？它的登录立即失效，下次联网时清除本机数据。").format(name=d["name"]),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(_("停用"))
        box.button(QMessageBox.StandardButton.No).setText(_("取消"))
        box.accepted.connect(revoke)
        self.confirm_box = box
        box.open()


def ask_new_password(parent: QWidget | None, *, transport: Transport, reason: str,
                     old_password: str, done: Callable[[str | None], None]) -> ChangePasswordDialog:
    """Open the forced change (non-blocking); `done(new password or None)` when it closes."""
    dialog = ChangePasswordDialog(parent, transport=transport, reason=reason,
                                  old_password=old_password)
    dialog.accepted.connect(lambda: done(dialog.new_password()))
    dialog.rejected.connect(lambda: done(None))
    dialog.open()
    return dialog
