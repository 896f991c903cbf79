"""Sign-in: server address, user, password, remember me; first sync with progress;
offline start from the cached profile when the server cannot be reached."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from oa_client.errors import KeyUnavailable, SyncError
from oa_client.i18n import _
from oa_client.services.account import admin_role
from ui import shell_session as ss
from ui.account_dialogs import ask_new_password
from ui.errors import error_text
from ui.farewell import farewell_text, notice
from ui.ops import run_op
from ui.passphrase_dialog import PassphraseDialog
from ui.qt import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)
PHASES = {"push": "上传本机修改", "pull": "下载数据", "verify": "核对数据"}
_PHASE_IDS = (_("上传本机修改"), _("下载数据"), _("核对数据"))


def normalize_url(text: str) -> str:
    """A server address with a scheme and without a trailing slash."""
    text = text.strip().rstrip("/")
    if text and "://" not in text:
        text = "https://" + text
    return text


class SignInWindow(QWidget):
    """The first window: who signs in where; then the first sync."""

    signed_in = Signal(object)  # ShellSession
    failed = Signal(str)

    def __init__(self, *, root: Path, keyring_backend: Any = None, server_url: str = "",
                 login: str = "", remember: bool = True, demo_users: list[dict] | None = None,
                 proxy: str = "") -> None:
        super().__init__()
        self.root, self.keyring_backend, self.proxy = Path(root), keyring_backend, proxy
        self.demo_users = demo_users or []
        self.cancel = None
        self.pending: tuple | None = None
        self.setWindowTitle(_("登录 — 政务协同办公客户端"))
        layout = QVBoxLayout(self)
        title = QLabel(_("政务协同办公客户端"))
        title.setStyleSheet("font-size: 18pt; font-weight: bold; color: #8b0000")
        layout.addWidget(title)
        form = QFormLayout()
        self.server = QLineEdit(server_url)
        self.server.setPlaceholderText("https://oa.example.gov.cn")
        form.addRow(_("服务器地址："), self.server)
        self.user = QLineEdit(login)
        self.user.setPlaceholderText(_("登录名"))
        form.addRow(_("用户名："), self.user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.sign_in)
        form.addRow(_("密码："), self.password)
        self.remember = QCheckBox(_("记住我（下次启动直接打开本机数据）"))
        self.remember.setChecked(remember)
        form.addRow("", self.remember)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00000")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.offline_button = QPushButton(_("离线使用本机数据"))
        self.offline_button.clicked.connect(self.start_offline)
        self.offline_button.hide()
        row.addWidget(self.offline_button)
        row.addStretch(1)
        self.sign_in_button = QPushButton(_("登录"))
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.sign_in)
        row.addWidget(self.sign_in_button)
        layout.addLayout(row)
        self.progress_box = QWidget()
        pl = QHBoxLayout(self.progress_box)
        pl.setContentsMargins(0, 0, 0, 0)
        self.phase = QLabel()
        self.bar = QProgressBar()
        self.cancel_button = QPushButton(_("取消"))
        self.cancel_button.clicked.connect(self._cancel_sync)
        pl.addWidget(self.phase)
        pl.addWidget(self.bar, 1)
        pl.addWidget(self.cancel_button)
        self.progress_box.hide()
        layout.addWidget(self.progress_box)
        if self.demo_users:
            hint = QLabel(_("演示模式：选择一位演示用户（密码均为 Demo@2026）"))
            hint.setStyleSheet("color:#555")
            layout.addWidget(hint)
            self.user_list = QListWidget()
            for u in self.demo_users:
                item = QListWidgetItem(_("{name}　{unit}　{position}（{roles}）").format(
                    name=u["name"], unit=u["unit"], position=u.get("position") or "",
                    roles="、".join(u.get("role_names") or u.get("roles") or [])))
                item.setData(Qt.ItemDataRole.UserRole, u)
                self.user_list.addItem(item)
            self.user_list.currentItemChanged.connect(self._pick)
            self.user_list.itemDoubleClicked.connect(lambda _i: self.sign_in())
            layout.addWidget(self.user_list, 1)
        self.resize(640, 640 if self.demo_users else 320)

    def _pick(self, item, _prev) -> None:
        if item is None:
            return
        u = item.data(Qt.ItemDataRole.UserRole)
        self.user.setText(u["login"])
        self.password.setText(u.get("password") or "")

    def _busy(self, busy: bool, text: str = "") -> None:
        self.sign_in_button.setEnabled(not busy)
        self.message.setStyleSheet("color: #555" if busy else "color: #b00000")
        self.message.setText(text)

    def _fail(self, text: str) -> None:
        self._busy(False, text)
        self.progress_box.hide()
        self.failed.emit(text)

    def _values(self) -> tuple[str, str, str] | None:
        server, login, password = normalize_url(self.server.text()), self.user.text().strip(), \
            self.password.text()
        if not server or not login or not password:
            self._fail(_("请填写服务器地址、用户名和密码。"))
            return None
        return server, login, password

    # -- online -------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Check the server, sign in, then open (or create) the profile."""
        values = self._values()
        if values is None:
            return
        server, login, password = values
        self.offline_button.hide()
        self._busy(True, _("正在连接服务器…"))
        root, backend, remember = self.root, self.keyring_backend, self.remember.isChecked()

        def op(_c):
            exists = ss.profile_exists(root, server, login)
            try:
                return ss.login_online(server, login, password, root=root, backend=backend,
                                       remember=remember, proxy=self.proxy), exists
            except SyncError as exc:
                exc.profile_exists = exists
                raise

        run_op(self, op, success=lambda r: self._logged_in(server, login, password, r[0], r[1]),
               failure=self._login_failed, pool="global")

    def _logged_in(self, server: str, login: str, password: str, login_result,
                   existed: bool) -> None:
        """Signed in: a revoked device says goodbye; a password that must change is changed
        first; then the profile opens."""
        transport, _user = login_result
        if transport.device_revoked:
            self._revoked(server, login, transport, transport.device_revoked["message"],
                          final_push=True)
            return
        if transport.password_change:
            self._busy(True, _("请先设置新密码。"))

            def done(new: str | None) -> None:
                if new is None:
                    ss.forget_sign_in(transport)
                    self._fail(_("未修改密码，没有登录。"))
                    return
                self._open(server, login, new, login_result, existed)

            self.password_dialog = ask_new_password(
                self, transport=transport, reason=transport.password_change["message"],
                old_password=password, done=done)
            return
        self._open(server, login, password, login_result, existed)

    def _revoked(self, server: str, login: str, transport, message: str, *,
                 final_push: bool) -> None:
        """This device was revoked: push what the profile still holds (if allowed), remove it."""
        root, backend = self.root, self.keyring_backend
        self._busy(True, _("这台电脑已被停用，正在清除本机数据…"))

        def op(_c) -> int | None:
            return ss.discard_revoked(root, server, login, transport, final_push=final_push,
                                      backend=backend)

        def said(left: int | None) -> None:
            self._fail(_("这台电脑已被停用。"))
            self.show_notice(farewell_text(message, left))

        run_op(self, op, success=said, failure=lambda exc: self._fail(message), pool="global")

    def show_notice(self, text: str) -> None:
        """Say why this device's data was removed (non-blocking; kept as `notice_box`)."""
        self.notice_box = notice(self, text)

    def _login_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SyncError) and exc.kind == "revoked":
            self._revoked(normalize_url(self.server.text()), self.user.text().strip(), None,
                          exc.message, final_push=False)
            return
        if isinstance(exc, SyncError) and exc.kind == "network":
            if getattr(exc, "profile_exists", False):
                self._fail(_("无法连接服务器（{url}）。请检查网络或服务器地址。本机有您的数据，可以先离线使用，联网后自动同步。").format(
                    url=normalize_url(self.server.text())))
                self.offline_button.show()
            else:
                self._fail(_("无法连接服务器（{url}）。请检查网络和服务器地址；首次登录需要连接服务器。").format(
                    url=normalize_url(self.server.text())))
            return
        self._fail(error_text(exc))

    def _open(self, server: str, login: str, password: str, login_result, existed: bool,
              passphrase: str | None = None) -> None:
        transport, user = login_result
        root, backend = self.root, self.keyring_backend
        self._busy(True, _("正在打开本机加密数据…"))

        def op(_c):
            store = ss.open_profile(root, server, login, backend=backend, passphrase=passphrase)
            try:
                return ss.finish_sign_in(store, transport, user, password, backend=backend)
            except BaseException:
                store.close()
                raise

        def failed(exc: BaseException) -> None:
            retry = self._key_problem(exc)
            if retry is not None:
                self._open(server, login, password, login_result, existed, retry)

        run_op(self, op, success=lambda s: self._opened(s, first=not existed), failure=failed)

    def _key_problem(self, exc: BaseException) -> str | None:
        """Ask for a passphrase where that helps; otherwise say what to do. Returns it."""
        if isinstance(exc, KeyUnavailable):
            mode = None
            if exc.reason in ("passphrase_required", "wrong_passphrase"):
                mode = "enter"
            elif getattr(exc, "can_use_passphrase", False):
                mode = "create"
            if mode is not None:
                dialog = PassphraseDialog(
                    self, mode=mode, reason=exc.message if exc.reason != "passphrase_required" else "")
                self.passphrase_dialog = dialog
                if dialog.exec() == QDialog.DialogCode.Accepted:
                    return dialog.passphrase()
                self._fail(_("未打开本机数据。"))
                return None
            self._fail(exc.message + "\n" + _(
                "恢复办法：解锁或修复系统密钥环后重试；如密钥已丢失，可删除本机配置目录后重新登录，数据将从服务器重新同步（未同步的修改会丢失）。"))
            return None
        self._fail(error_text(exc))
        return None

    def _opened(self, session, *, first: bool) -> None:
        if first and admin_role(session.me) is None:  # the console pulls no business data
            self.first_sync(session)
        else:
            self._busy(False, "")
            self.signed_in.emit(session)

    # -- first sync -------------------------------------------------------------------------

    def first_sync(self, session) -> None:
        """Pull everything once with a progress bar (phase, count, cancel)."""
        from sync.engine import SyncEngine
        from ui.documents.official import arrival_checker
        from ui.sync_controller import _Bridge

        bridge = _Bridge(self)
        bridge.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self._bridge = bridge
        engine = SyncEngine(session.store, session.transport, progress=bridge.progress.emit,
                            check_arrivals=arrival_checker(session.store))
        self.progress_box.show()
        self.phase.setText(_("首次同步…"))
        self.bar.setRange(0, 0)
        self._busy(True, _("首次登录：正在从服务器下载您的数据，请稍候…"))

        def done(_r=None) -> None:
            self.progress_box.hide()
            self._busy(False, "")
            self.signed_in.emit(session)

        def failed(exc: BaseException) -> None:
            log.info("first sync not finished: %s", exc)
            done()

        self.cancel = run_op(self, lambda c: engine.sync(c), success=done, failure=failed,
                             pool="global")

    def _progress(self, p) -> None:
        self.phase.setText(_(PHASES.get(p.phase, p.phase)) + f" {p.done}/{p.total}")
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(min(p.done, max(1, p.total)))

    def _cancel_sync(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    # -- offline ------------------------------------------------------------------------------

    def start_offline(self, passphrase: str | None = None) -> None:
        """Open the cached profile with the password checked offline."""
        values = self._values()
        if values is None:
            return
        server, login, password = values
        root, backend, remember = self.root, self.keyring_backend, self.remember.isChecked()
        self._busy(True, _("正在打开本机加密数据…"))

        def op(_c):
            store = ss.open_profile(root, server, login, backend=backend, passphrase=passphrase,
                                    create=False)
            try:
                return ss.open_offline(store, password, server_url=server, backend=backend,
                                       remember=remember, proxy=self.proxy)
            except BaseException:
                store.close()
                raise

        def failed(exc: BaseException) -> None:
            retry = self._key_problem(exc)
            if retry is not None:
                self.start_offline(retry)

        run_op(self, op, success=lambda s: (self._busy(False, ""), self.signed_in.emit(s)),
               failure=failed)


def ask_password(parent: QWidget, session) -> str | None:
    """Ask for the password to sign in again; None when cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(_("重新登录"))
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel(_("请输入 {name} 的登录密码：").format(name=session.display_name)))
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    layout.addWidget(field)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("登录"))
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    if dialog.exec() == QDialog.DialogCode.Accepted and field.text():
        return field.text()
    return None
