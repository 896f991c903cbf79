"""The administrator's console: the same client, but only the pages of one of the three
separated administrators (三员分立) — never the business pages (公文, 会议, …).

系统管理员: 用户, 单位, 组织导入, 设备与会话, 登录限制. 安全保密管理员: 角色, 印章管理员,
安全策略. 安全审计员: 审计日志. Every page talks to the server on a worker; the window
locks after the policy's idle minutes and wipes the profile if this device is revoked.
"""

from __future__ import annotations

import logging

from oa_client.i18n import _
from oa_client.services import account
from oa_client.services.account import ADMIN_ROLE_NAMES, admin_role
from oa_client.services.policy import Policy
from sync import account as account_sync
from ui.account_dialogs import ChangePasswordDialog, DevicesDialog
from ui.admin.access_pages import DelaysPage, DevicesPage
from ui.admin.audit_page import AuditPage
from ui.admin.common import AdminPage
from ui.admin.import_page import OrgImportPage
from ui.admin.security_pages import PolicyPage, RolesPage, SealKeepersPage
from ui.admin.units_page import UnitsPage
from ui.admin.users_page import UsersPage
from ui.farewell import farewell
from ui.lock import IdleWatch, LockDialog
from ui.ops import run_op
from ui.qt import (
    QAction,
    QApplication,
    QLabel,
    QListWidget,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    Qt,
    QToolBar,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)
PAGES: dict[str, tuple[type[AdminPage], ...]] = {
    "sysadmin": (UsersPage, UnitsPage, OrgImportPage, DevicesPage, DelaysPage),
    "secadmin": (RolesPage, SealKeepersPage, PolicyPage),
    "auditor": (AuditPage,),
}
_TITLE_IDS = (_("用户"), _("单位"), _("组织导入"), _("设备与会话"), _("登录限制"), _("角色"),
              _("印章管理员"), _("安全策略"), _("审计日志"))


class AdminWindow(QMainWindow):
    """One administrator's pages, a lock, the 账号 menu; no business data."""

    session_ready = Signal()
    signed_out = Signal()
    wiped = Signal(str)  # this device was revoked: the profile is gone, say why

    def __init__(self) -> None:
        super().__init__()
        self.session = None
        self.role: str | None = None
        self.pages: list[AdminPage] = []
        self.idle = None
        self.locked = False
        self.policy = Policy()
        self.setWindowTitle(_("政务协同办公客户端 — 管理控制台"))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.nav = QListWidget()
        self.nav.setMaximumWidth(170)
        self.nav.setStyleSheet("QListWidget::item{padding:8px}")
        self.stack = QStackedWidget()
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([150, 1130])
        self.setCentralWidget(self.splitter)
        toolbar = QToolBar()
        toolbar.setObjectName("admin_toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.role_label = QLabel()
        self.role_label.setStyleSheet("font-weight:bold; color:#8b0000; padding:0 8px")
        toolbar.addWidget(self.role_label)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.user_label = QLabel()
        toolbar.addWidget(self.user_label)
        self.act_lock = QAction(_("锁定"), self)
        self.act_lock.triggered.connect(lambda _=False: self.lock())
        self.act_sign_out = QAction(_("退出登录"), self)
        self.act_sign_out.triggered.connect(lambda _=False: self.signed_out.emit())
        self.act_password = QAction(_("修改密码…"), self)
        self.act_password.triggered.connect(lambda _=False: self.change_password())
        self.act_devices = QAction(_("我的设备…"), self)
        self.act_devices.triggered.connect(lambda _=False: self.show_devices())
        toolbar.addAction(self.act_lock)
        toolbar.addAction(self.act_sign_out)
        self.menu_account = self.menuBar().addMenu(_("账号"))
        for a in (self.act_password, self.act_devices, self.act_lock, self.act_sign_out):
            self.menu_account.addAction(a)
        self.statusBar().showMessage(_("管理控制台：仅显示本管理员的职责页面，不含任何业务数据。"))
        self.resize(1280, 800)

    # -- session ----------------------------------------------------------------------------

    def set_session(self, session) -> None:
        """Show the pages of this administrator and start the idle lock."""
        self.session = session
        self.role = admin_role(session.me)
        self.role_label.setText(_(ADMIN_ROLE_NAMES.get(self.role or "", "")))
        self.user_label.setText(f"{session.display_name}  {session.unit_name}  ")
        for cls in PAGES.get(self.role or "", ()):
            page = cls(session)
            page.revoked.connect(self.device_revoked)
            self.pages.append(page)
            self.stack.addWidget(page)
            self.nav.addItem(_(cls.title))
        self.idle = IdleWatch(QApplication.instance(), self.policy.idle_lock_minutes, self)
        self.idle.idle.connect(self.lock)
        self.nav.setCurrentRow(0)
        self.load_policy()
        self.session_ready.emit()

    def page_titles(self) -> list[str]:
        """The titles in the navigation, top to bottom."""
        return [self.nav.item(i).text() for i in range(self.nav.count())]

    def page(self, cls: type[AdminPage]) -> AdminPage:
        """The page of a class, shown."""
        index = next(i for i, p in enumerate(self.pages) if isinstance(p, cls))
        self.nav.setCurrentRow(index)
        return self.pages[index]

    def _nav_changed(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.stack.setCurrentIndex(row)
            self.pages[row].refresh()

    def load_policy(self) -> None:
        """The security policy (the idle lock applies to the console too)."""
        session = self.session
        run_op(self, lambda _c: account_sync.fetch_policy(session.store, session.transport),
               success=self._apply_policy, failure=lambda exc: log.info("policy: %s", exc),
               pool="global")

    def _apply_policy(self, policy: Policy) -> None:
        self.policy = policy
        if self.idle is not None:
            self.idle.set_minutes(policy.idle_lock_minutes)

    # -- account ------------------------------------------------------------------------------

    def change_password(self) -> ChangePasswordDialog:
        """修改密码: old, new twice (the server enforces the policy)."""
        dialog = ChangePasswordDialog(self, transport=self.session.transport)
        self.password_dialog = dialog
        store = self.session.store

        def changed() -> None:
            new = dialog.new_password()
            run_op(self, lambda _c: account.remember_password(store, new), success=lambda _r: (
                self.statusBar().showMessage(_("密码已修改。"), 10_000)))

        dialog.accepted.connect(changed)
        dialog.open()
        return dialog

    def show_devices(self) -> DevicesDialog:
        """我的设备."""
        dialog = DevicesDialog(self, transport=self.session.transport)
        self.devices_dialog = dialog
        dialog.open()
        return dialog

    def device_revoked(self, exc) -> None:
        """This device was revoked: remove the profile (an administrator holds no outbox)."""
        farewell(self, self.session, exc, done=lambda message: self.wiped.emit(message))

    # -- lock -----------------------------------------------------------------------------------

    def lock(self) -> None:
        """Hide the console behind the unlock dialog."""
        if self.locked or self.session is None:
            return
        self.locked = True
        self.centralWidget().hide()
        dialog = LockDialog(self.session, self)
        self.lock_dialog = dialog
        dialog.unlocked.connect(self._unlocked)
        dialog.sign_out.connect(self.signed_out.emit)
        dialog.open()

    def _unlocked(self) -> None:
        self.locked = False
        self.centralWidget().show()
        if self.idle is not None:
            self.idle.set_minutes(self.policy.idle_lock_minutes)

    def stop(self) -> None:
        """Stop watching for idle time."""
        if self.idle is not None:
            self.idle.stop()
