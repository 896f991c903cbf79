"""The main window: navigation, module screens, search, sync status, tray, lock."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import date

from oa_client.i18n import _
from oa_client.services import policy as policy_svc
from ui.errors import error_text
from ui.ops import run_op
from ui.pages import ContactsPage, SearchPage, TodoPage
from ui.prefs import Prefs
from ui.qt import (
    QAction,
    QApplication,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSettings,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QSystemTrayIcon,
    Qt,
    QTimer,
    QToolBar,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.record_page import RecordPage, View

log = logging.getLogger(__name__)

NAV = ("待办", "公文", "会议", "事项", "报表", "督办", "通讯录")
_NAV_IDS = (_("待办"), _("公文"), _("会议"), _("事项"), _("报表"), _("督办"), _("通讯录"))
VIEWS = {
    1: [View("documents", "公文", ("title", "direction", "doc_kind", "doc_number", "urgency", "state", "updated_at"))],
    2: [View("meetings", "会议", ("title", "starts_at", "room_name", "state"), "starts_at DESC"),
        View("rooms", "会议室", ("name", "capacity", "unit_id"), "name")],
    3: [View("requests", "申请", ("title", "state", "applicant_id", "submitted_at")),
        View("service_items", "事项清单", ("name", "code", "category"), "name")],
    4: [View("submissions", "填报", ("title", "period", "state", "deadline", "unit_id")),
        View("report_templates", "报表模板", ("name", "period", "deadline"), "deadline DESC")],
    5: [View("supervision_tasks", "督办", ("title", "lead_unit_id", "deadline", "state"), "deadline")],
}
_VIEW_IDS = (_("会议室"), _("申请"), _("事项清单"), _("填报"), _("报表模板"), _("督办"))
PAGE_OF = {"documents": 1, "meetings": 2, "rooms": 2, "requests": 3, "service_items": 3,
           "submissions": 4, "report_templates": 4, "supervision_tasks": 5}
SEARCH_PAGE = 7
#: the module screen built while a profile opens (公文)
FIRST_MODULE = 1
#: nav index → "module:Class" of a module's own screen. It is built like RecordPage
#: (title, views) and offers the same: set_session(session, watermark), refresh(),
#: retranslate(), select_record(collection, id), `splitter`, `watermark`; optionally
#: screenshots(shot, window, wait) for `python -m ui.screenshots`.
MODULE_PAGES = {
    1: "ui.documents.page:DocumentsPage",
    2: "ui.meetings.page:MeetingsPage",
    3: "ui.requests.page:RequestsPage",
    4: "ui.reports.page:ReportsPage",
    5: "ui.supervision.page:SupervisionPage",
}


def _scrolling(page: QWidget) -> QScrollArea:
    """A module screen that scrolls instead of forcing the window wider than a small screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area


def module_page(index: int) -> type:
    """The screen class for a nav entry: the module's own once it exists, else the list."""
    target = MODULE_PAGES.get(index)
    if target is None:
        return RecordPage
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return RecordPage  # that module's screens are not built yet
        raise
    return getattr(module, cls_name)


class LazyPages:
    """The module screens by nav index (1–5). Indexing builds a screen the first time it is
    asked for; `values()` and `items()` give only the screens built so far."""

    def __init__(self, build: Callable[[int], QWidget]) -> None:
        self._build = build
        self._pages: dict[int, QWidget] = {}

    def __getitem__(self, index: int) -> QWidget:
        if index not in VIEWS:
            raise KeyError(index)
        page = self._pages.get(index)
        if page is None:
            page = self._pages[index] = self._build(index)
        return page

    def built(self, index: int) -> bool:
        """Whether screen `index` exists yet."""
        return index in self._pages

    def values(self) -> list[QWidget]:
        """The screens built so far."""
        return list(self._pages.values())

    def items(self) -> list[tuple[int, QWidget]]:
        """(index, screen) of the screens built so far."""
        return list(self._pages.items())


def _notice(first, count: int) -> tuple[str, str]:
    """(heading, text) telling of `count` new to-dos, `first` the most pressing, in the current
    language."""
    what = first.notice or first.title
    text = _("{what}（另有{n}项新待办）").format(what=what, n=count - 1) if count > 1 else what
    heading = _("提醒：{kind}").format(kind=first.kind_label) if first.notice \
        else _("新的待办：{kind}").format(kind=first.kind_label)
    return heading, text


class MainWindow(QMainWindow):
    """The window a civil servant lives in all day."""

    session_ready = Signal()
    open_failed = Signal(object)
    signed_out = Signal()
    remove_requested = Signal()
    wiped = Signal(str)  # this device was revoked: the profile is gone, say why
    search_done = Signal(list)

    def __init__(self, *, prefs: Prefs | None = None, live_updates: bool = True) -> None:
        super().__init__()
        self.prefs = prefs or Prefs()
        self.live_updates = live_updates
        self.session = None
        self.sync = None
        self.idle = None
        self.tray = None
        self.locked = False
        self.policy = policy_svc.Policy()
        self.notifications: list[str] = []
        #: (most pressing to-do, how many, the line) of a notice in the status bar
        self._status_notice: tuple[object, int, str] | None = None
        self.notified: tuple[str, str] | None = None  # what the last tray message opens
        self._build()
        self.retranslate()
        self._restore_geometry()

    # -- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle(_("政务协同办公客户端"))
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        self.banner = QWidget()
        bl = QHBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_button = QPushButton()
        self.banner_button.clicked.connect(self._banner_action)
        bl.addWidget(self.banner_text, 1)
        bl.addWidget(self.banner_button)
        self.banner.setStyleSheet("background:#fdecea; color:#8b0000")
        self.banner.hide()
        outer.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.nav = QListWidget()
        self.nav.addItems([_(n) for n in NAV])
        self.nav.setMaximumWidth(170)
        self.nav.setStyleSheet("QListWidget::item{padding:8px}")
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.splitter.addWidget(self.nav)
        self.stack = QStackedWidget()
        self.todo_page = TodoPage()
        self.todo_page.open_item.connect(self.open_record)
        self.stack.addWidget(self.todo_page)
        # the module screens are built the first time they are shown (or asked for)
        self.record_pages = LazyPages(self._make_page)
        for _index in range(1, 6):
            self.stack.addWidget(QWidget())  # the slot a module screen takes when built
        self.contacts_page = ContactsPage()
        self.stack.addWidget(self.contacts_page)
        self.search_page = SearchPage()
        self.search_page.open_item.connect(self.open_record)
        self.stack.addWidget(self.search_page)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([150, 1050])
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("main_toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(self.toolbar)
        style = self.style()
        self.act_sync = self._action(self.sync_now, QKeySequence("F5"), style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.act_conflicts = self._action(self.show_conflicts, None, style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.act_settings = self._action(self.show_settings, QKeySequence("Ctrl+,"), style.standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView))
        self.act_lock = self._action(self.lock, QKeySequence("Ctrl+L"), None)
        self.act_sign_out = self._action(self.sign_out, None, None)
        self.act_remove = self._action(self.remove_profile, None, None)
        self.act_password = self._action(self.change_password, None, None)
        self.act_devices = self._action(self.show_devices, None, None)
        for a in (self.act_sync, self.act_conflicts, self.act_settings):
            self.toolbar.addAction(a)
        self.toolbar.addSeparator()
        self.search_box = QLineEdit()
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(320)
        self.search_box.returnPressed.connect(self.run_search)
        self.toolbar.addWidget(self.search_box)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.user_label = QLabel()
        self.toolbar.addWidget(self.user_label)
        for a in (self.act_lock, self.act_sign_out):
            self.toolbar.addAction(a)
        self.menu_profile = self.menuBar().addMenu("")
        for a in (self.act_sync, self.act_conflicts, self.act_settings, self.act_password,
                  self.act_devices, self.act_lock, self.act_sign_out, self.act_remove):
            self.menu_profile.addAction(a)
        self.act_export = self._action(self.show_export, None, None)
        self.act_verify = self._action(self.show_verify, None, None)
        self.menu_docs = self.menuBar().addMenu("")
        self.menu_docs.addAction(self.act_export)
        self.menu_docs.addAction(self.act_verify)
        self.act_find = self._action(self.focus_search, QKeySequence.StandardKey.Find, None)
        self.addAction(self.act_find)
        for i in range(len(NAV)):
            a = QAction(self)
            a.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            a.triggered.connect(lambda _=False, i=i: self.navigate(i))
            self.addAction(a)
        self.sync_label = QLabel()
        self.statusBar().addPermanentWidget(self.sync_label)
        self.conflicts_button = QPushButton()
        self.conflicts_button.setFlat(True)
        self.conflicts_button.clicked.connect(self.show_conflicts)
        self.conflicts_button.hide()
        self.statusBar().addPermanentWidget(self.conflicts_button)
        self.nav.setCurrentRow(0)
        self.resize(1280, 800)

    def _make_page(self, index: int) -> QWidget:
        """Build module screen `index` into its slot of the stack, with the session if open."""
        page = module_page(index)(NAV[index], VIEWS[index])
        stale = getattr(page, "todos_stale", None)
        if stale is not None:
            stale.connect(lambda: self.sync.refresh_counts() if self.sync else None)
        slot = self.stack.widget(index)
        self.stack.removeWidget(slot)
        slot.deleteLater()
        self.stack.insertWidget(index, _scrolling(page))
        state = QSettings().value(f"main_window/page{index}")
        if state is not None:
            page.splitter.restoreState(state)
        if self.session is not None:
            page.set_session(self.session, self.watermark_text())
        return page

    def _action(self, slot: Callable, shortcut, icon) -> QAction:
        a = QAction(self)
        if icon is not None:
            a.setIcon(icon)
        if shortcut is not None:
            a.setShortcut(shortcut)
        a.triggered.connect(lambda _=False: slot())
        return a

    def retranslate(self) -> None:
        """Every text in the current language (used after switching language)."""
        self.setWindowTitle(_("政务协同办公客户端"))
        for i, name in enumerate(NAV):
            self.nav.item(i).setText(_(name))
        self.act_sync.setText(_("同步 (F5)"))
        self.act_conflicts.setText(_("需要处理"))
        self.act_settings.setText(_("设置"))
        self.act_lock.setText(_("锁定"))
        self.act_sign_out.setText(_("退出登录"))
        self.act_remove.setText(_("从本机删除此配置…"))
        self.act_password.setText(_("修改密码…"))
        self.act_devices.setText(_("我的设备…"))
        self.act_find.setText(_("搜索"))
        self.menu_profile.setTitle(_("账号"))
        self.menu_docs.setTitle(_("公文工具"))
        self.act_export.setText(_("公文排版导出…"))
        self.act_verify.setText(_("核验签章…"))
        self.search_box.setPlaceholderText(_("搜索公文、意见、附件、会议（Ctrl+F，离线可用）"))
        for page in (self.todo_page, self.contacts_page, self.search_page, *self.record_pages.values()):
            page.retranslate()
        self._show_user()
        self._restate_notice()
        if self.sync is None:
            self.sync_label.setText(_("正在打开本机数据…"))
        else:
            self.sync.restate()

    def _show_user(self) -> None:
        if self.session is not None:
            self.user_label.setText(f"{self.session.display_name}  {self.session.unit_name}  ")

    # -- session --------------------------------------------------------------------------

    def load(self, loader: Callable) -> None:
        """Open the session in the background (the window is already shown)."""
        run_op(self, lambda _c: loader(), success=self.set_session, failure=self._load_failed)
        # while the profile opens on a worker, the idle GUI thread builds the 公文 screen, the
        # one most days start on: its first click then shows rows at once
        QTimer.singleShot(0, self, self._build_while_loading)

    def _build_while_loading(self) -> None:
        if self.session is None and not self.record_pages.built(FIRST_MODULE):
            self.record_pages[FIRST_MODULE]

    def _load_failed(self, exc: BaseException) -> None:
        self.show_banner(error_text(exc), None)
        self.sync_label.setText(_("本机数据未打开"))
        self.open_failed.emit(exc)

    def watermark_text(self) -> str:
        """Name, unit and date for the watermark ('' when the policy turns it off)."""
        if not self.policy.watermark or self.session is None:
            return ""
        return f"{self.session.display_name}  {self.session.unit_name}  {date.today().isoformat()}"

    def set_session(self, session) -> None:
        """Show this session's data and start syncing."""
        from ui.lock import IdleWatch
        from ui.sync_controller import SyncController

        self.session = session
        self._show_user()
        for page in self.record_pages.values():
            page.set_session(session, self.watermark_text())
        self.contacts_page.set_session(session)
        self.sync = SyncController(session, self, live_updates=self.live_updates)
        self.sync.status_changed.connect(self._sync_status)
        self.sync.todos_changed.connect(self.todo_page.set_items)
        self.sync.new_todos.connect(self._notify_todos)
        self.sync.auth_lost.connect(self._auth_lost)
        self.sync.device_revoked.connect(self._device_revoked)
        self.sync.policy_changed.connect(self.apply_policy)
        self.sync.failed.connect(lambda exc: self.show_banner(error_text(exc), None))
        self.sync.synced.connect(self._after_sync)
        self._make_tray()
        self.idle = IdleWatch(QApplication.instance(), self.policy.idle_lock_minutes, self)
        self.idle.idle.connect(self.lock)
        store = session.store
        run_op(self, lambda _c: policy_svc.load(store), success=self.apply_policy,
               failure=lambda exc: log.warning("policy not read: %s", exc))
        self.sync.start()
        self.session_ready.emit()

    def apply_policy(self, policy: policy_svc.Policy) -> None:
        """Follow the security policy: the idle lock and the watermark."""
        self.policy = policy
        if self.idle is not None and not self.locked:
            self.idle.set_minutes(policy.idle_lock_minutes)
        for page in self.record_pages.values():
            page.watermark.set_text(self.watermark_text())

    def _device_revoked(self, exc) -> None:
        """This device was revoked: the last push (if allowed), then the profile is removed."""
        from ui.farewell import farewell

        self.stop()
        self.show_banner(_("这台电脑已被停用，正在清除本机数据…"), None)
        farewell(self, self.session, exc, done=self.wiped.emit)

    def _after_sync(self, out) -> None:
        self.hide_banner()
        for page in self.record_pages.values():
            page.refresh()
        if self.session is not None:
            self.contacts_page.set_session(self.session)
        self.conflicts_button.setVisible(bool(out.conflicts) and self.sync.state != "attention")
        self.conflicts_button.setText(_("需要处理（{k}）").format(k=out.conflicts))

    def _sync_status(self, text: str, state: str) -> None:
        self.sync_label.setText(text)
        if self.tray is not None:
            self.tray.setToolTip(_("政务协同办公客户端") + " — " + text)
        if self.sync is not None:
            k = self.sync.open_conflicts
            self.conflicts_button.setVisible(bool(k) and state != "attention")
            self.conflicts_button.setText(_("需要处理（{k}）").format(k=k))

    def _make_tray(self) -> None:
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon), self)
            self.tray.activated.connect(lambda _r: (self.showNormal(), self.activateWindow()))
            self.tray.messageClicked.connect(self.open_notified)
            self.tray.show()

    def _notify_todos(self, items: list) -> None:
        """New to-dos and reminders: a tray message (the most pressing first) that opens the
        item when clicked; in quiet hours only a line in the status bar."""
        from datetime import datetime

        first = min(items, key=lambda t: t.sort_key())
        heading, text = _notice(first, len(items))
        self.notifications.append(f"{heading} {text}")
        self.notified = (first.collection, first.record_id)
        quiet = self.prefs.is_quiet(datetime.now().time())
        if self.tray is not None and QSystemTrayIcon.supportsMessages() and not quiet:
            self.tray.showMessage(heading, text, QSystemTrayIcon.MessageIcon.Information, 10_000)
        else:
            message = f"{heading}　{text}"
            self._status_notice = (first, len(items), message)
            self.statusBar().showMessage(message, 10_000)

    def _restate_notice(self) -> None:
        """The status bar's notice of new to-dos, while still shown, in the current language."""
        if self._status_notice is None:
            return
        first, count, message = self._status_notice
        self._status_notice = None
        if self.statusBar().currentMessage() == message:
            heading, text = _notice(first, count)
            self._status_notice = (first, count, f"{heading}　{text}")
            self.statusBar().showMessage(self._status_notice[2], 10_000)

    def open_notified(self) -> None:
        """The tray message was clicked: bring the window up on the item it told of."""
        self.showNormal()
        self.activateWindow()
        if self.notified is not None:
            self.open_record(*self.notified)

    # -- banner ------------------------------------------------------------------------------

    def show_banner(self, text: str, action: str | None) -> None:
        """A message across the top of the window; `action` = "relogin" adds a button."""
        self.banner_action = action
        self.banner_text.setText(text)
        self.banner_button.setVisible(action is not None)
        self.banner_button.setText(_("重新登录"))
        self.banner.show()

    def hide_banner(self) -> None:
        """Hide the message."""
        self.banner.hide()

    def _banner_action(self) -> None:
        if getattr(self, "banner_action", None) == "relogin":
            self.relogin()

    def _auth_lost(self, message: str) -> None:
        self.show_banner(_("{message}。同步已暂停，本机的修改已保留，重新登录后继续同步。").format(
            message=message.rstrip("。")), "relogin")

    def relogin(self, password: str | None = None) -> None:
        """Sign in again (password asked when not given) and resume syncing."""
        from ui.signin import ask_password

        if password is None:
            password = ask_password(self, self.session)
            if not password:
                return
        session = self.session
        login = session.me.get("login") or session.store.profile.username

        def op(_c):
            from oa_client.services import account

            user = session.transport.login(login, password)
            account.remember_password(session.store, password)
            account.save_me(session.store, user)
            return user

        def signed(_user) -> None:
            change = session.transport.password_change
            if change:
                self._forced_change(change, password)
                return
            self.hide_banner()
            self.sync.resume()

        run_op(self, op, success=signed,
               failure=lambda exc: self.show_banner(error_text(exc), "relogin"))

    def _forced_change(self, change: dict, password: str) -> None:
        """The password must change before syncing again (reset by an administrator, expired)."""
        from ui.account_dialogs import ask_new_password

        session = self.session

        def done(new: str | None) -> None:
            if new is None:
                self.show_banner(_("未修改密码，同步已暂停。"), "relogin")
                return
            from oa_client.services import account

            run_op(self, lambda _c: account.remember_password(session.store, new),
                   success=lambda _r: (self.hide_banner(), self.sync.resume()))

        self.password_dialog = ask_new_password(self, transport=session.transport,
                                                reason=change.get("message", ""),
                                                old_password=password, done=done)

    # -- navigation ---------------------------------------------------------------------------

    def navigate(self, index: int) -> None:
        """Show screen `index` (0 = 待办 … 6 = 通讯录, 7 = search results)."""
        if index < len(NAV):
            self.nav.setCurrentRow(index)
        else:
            self.nav.setCurrentRow(-1)
            self.stack.setCurrentIndex(index)

    def _nav_changed(self, row: int) -> None:
        if row in VIEWS:
            self.record_pages[row]  # built on its first showing
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def open_record(self, collection: str, record_id: str) -> None:
        """Go to the screen of a record and select it."""
        index = PAGE_OF.get(collection)
        if index is None:
            return
        self.navigate(index)
        self.record_pages[index].select_record(collection, record_id)

    def focus_search(self) -> None:
        """Ctrl+F."""
        self.search_box.setFocus()
        self.search_box.selectAll()

    def run_search(self) -> None:
        """Search the local index on the database worker."""
        query = self.search_box.text().strip()
        if not query or self.session is None:
            return
        store = self.session.store
        run_op(self, lambda _c: store.search(query, limit=200),
               success=lambda hits: self._show_hits(query, hits),
               failure=lambda exc: self.show_banner(error_text(exc), None))

    def _show_hits(self, query: str, hits: list) -> None:
        self.search_page.show_hits(query, hits)
        self.navigate(SEARCH_PAGE)
        self.search_done.emit(hits)

    # -- actions -----------------------------------------------------------------------------

    def sync_now(self) -> None:
        """F5."""
        if self.sync is not None:
            if self.sync.paused:
                self.relogin()
            else:
                self.sync.sync_now()

    def show_conflicts(self) -> None:
        """The panel of conflicts and refused changes."""
        from ui.conflicts_panel import ConflictsPanel

        if self.session is None:
            return
        panel = ConflictsPanel(self.session, self)
        panel.changed.connect(lambda: self.sync.refresh_counts() if self.sync else None)
        self.conflicts_panel = panel
        panel.show()

    def show_export(self) -> None:
        """公文排版导出: a txt/docx 公文 to GB/T 9704 PDF and DOCX."""
        from ui.render_dialog import RenderDialog

        self.export_dialog = RenderDialog(self)
        self.export_dialog.show()

    def show_verify(self) -> None:
        """核验签章 of a PDF or exchange package against the server CA kept in the profile."""
        from ui.verify_dialog import VerifyDialog

        def roots() -> list[bytes]:  # runs on the dialog's worker
            if self.session is None:
                return []
            rows = self.session.store.db.query(
                "SELECT value FROM meta WHERE key = 'ca_root_pem'")
            return [rows[0][0].encode("ascii")] if rows else []

        self.verify_dialog = VerifyDialog(self, trust_roots=roots)
        self.verify_dialog.show()

    def show_settings(self) -> None:
        """The settings dialog; applied at once where Qt allows."""
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.prefs, self.policy, self)
        self.settings_dialog = dialog
        dialog.accepted.connect(lambda: self.apply_prefs(dialog.prefs()))
        dialog.open()

    def apply_prefs(self, prefs: Prefs) -> None:
        """Save and apply preferences: font scale, language, proxy."""
        from ui.app import apply_font_scale, install_language

        old = self.prefs
        self.prefs = prefs
        prefs.save()
        app = QApplication.instance()
        if prefs.font_scale != old.font_scale:
            apply_font_scale(app, prefs.font_scale)
        if prefs.language != old.language:
            install_language(app, prefs.language)
            self.retranslate()
        if self.session is not None and self.session.transport is not None:
            proxies = {"http": prefs.proxy, "https": prefs.proxy} if prefs.proxy else {}
            self.session.transport.http.proxies = proxies
        if prefs.server_url and prefs.server_url != old.server_url:
            QSettings().setValue("signin/server", prefs.server_url)  # used at the next sign-in

    def lock(self) -> None:
        """Hide everything behind the unlock dialog."""
        from ui.lock import LockDialog

        if self.locked or self.session is None:
            return
        self.locked = True
        self.centralWidget().hide()
        dialog = LockDialog(self.session, self)
        self.lock_dialog = dialog
        dialog.unlocked.connect(self._unlocked)
        dialog.sign_out.connect(self.sign_out)
        dialog.open()

    def _unlocked(self) -> None:
        self.locked = False
        self.centralWidget().show()
        if self.idle is not None:
            self.idle.set_minutes(self.policy.idle_lock_minutes)

    def sign_out(self) -> None:
        """Sign out and go back to the sign-in window."""
        self.signed_out.emit()

    def change_password(self):
        """修改密码: old, new twice; the server enforces the security policy."""
        from oa_client.services import account
        from ui.account_dialogs import ChangePasswordDialog

        if self.session is None or self.session.transport is None:
            return None
        dialog = ChangePasswordDialog(self, transport=self.session.transport)
        self.password_dialog = dialog
        store = self.session.store

        def changed() -> None:
            new = dialog.new_password()
            run_op(self, lambda _c: account.remember_password(store, new),
                   success=lambda _r: self.statusBar().showMessage(_("密码已修改。"), 10_000))

        dialog.accepted.connect(changed)
        dialog.open()
        return dialog

    def show_devices(self):
        """我的设备: where I am signed in; revoke a lost one."""
        from ui.account_dialogs import DevicesDialog

        if self.session is None or self.session.transport is None:
            return None
        dialog = DevicesDialog(self, transport=self.session.transport)
        self.devices_dialog = dialog
        dialog.open()
        return dialog

    def remove_profile(self) -> None:
        """Ask, then delete this profile from this computer."""
        from ui.qt import QMessageBox

        answer = QMessageBox.question(
            self, _("从本机删除此配置"),
            _("将从这台电脑删除您的本机数据（{n} 项未同步的修改也会丢失）和保存的密钥。服务器上的数据不受影响，之后可重新登录同步。确定删除吗？").format(
                n=self.sync.pending if self.sync else 0))
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_requested.emit()

    # -- closing -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop syncing and watching for idle time."""
        if self.sync is not None:
            self.sync.stop()
        if self.idle is not None:
            self.idle.stop()
        if self.tray is not None:
            self.tray.hide()

    def _restore_geometry(self) -> None:
        s = QSettings()
        geometry = s.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for key, splitter in self._splitters().items():
            state = s.value(f"main_window/{key}")
            if state is not None:
                splitter.restoreState(state)

    def _splitters(self) -> dict:
        out = {"nav": self.splitter, "contacts": self.contacts_page.splitter}
        out.update({f"page{i}": p.splitter for i, p in self.record_pages.items()})
        return out

    def save_geometry(self) -> None:
        """Remember geometry and splitters."""
        s = QSettings()
        s.setValue("main_window/geometry", self.saveGeometry())
        for key, splitter in self._splitters().items():
            s.setValue(f"main_window/{key}", splitter.saveState())

    def closeEvent(self, event) -> None:
        """Remember the layout, stop background work."""
        self.save_geometry()
        self.stop()
        super().closeEvent(event)
