"""Passphrase dialogs: set one up where no keyring exists, or enter it to open the profile."""

from __future__ import annotations

from oa_client.i18n import _
from ui.qt import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

MIN_LENGTH = 8


class PassphraseDialog(QDialog):
    """Ask for a passphrase; in "create" mode twice, with the consequences said plainly."""

    def __init__(self, parent: QWidget | None, *, mode: str, reason: str = "") -> None:
        super().__init__(parent)
        self.mode = mode
        self.setWindowTitle(_("设置本机数据口令") if mode == "create" else _("输入本机数据口令"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            reason
            + "\n\n"
            + (
                _(
                    "本机数据将用您设置的口令加密保存。每次打开客户端都需要输入此口令；"
                    "忘记口令将无法打开本机数据（可删除本机配置后重新登录，从服务器同步）。"
                )
                if mode == "create"
                else _("本机数据由口令保护，请输入口令以打开。")
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("口令："), self.first)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        if mode == "create":
            form.addRow(_("再次输入："), self.second)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00000")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def check(self) -> str | None:
        """What is wrong with the input, or None."""
        if not self.first.text():
            return _("请输入口令。")
        if self.mode == "create":
            if len(self.first.text()) < MIN_LENGTH:
                return _("口令至少需要 {n} 个字符。").format(n=MIN_LENGTH)
            if self.first.text() != self.second.text():
                return _("两次输入的口令不一致。")
        return None

    def _accept(self) -> None:
        problem = self.check()
        if problem:
            self.problem.setText(problem)
            return
        self.accept()

    def passphrase(self) -> str:
        """The passphrase typed."""
        return self.first.text()
