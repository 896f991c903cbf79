"""Which window is open: sign-in or the main window; remembered starts; sign-out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oa_client.store.profile import profile_slug
from ui.main_window import MainWindow
from ui.ops import run_op
from ui.prefs import Prefs
from ui.qt import QObject, QSettings, Signal

if TYPE_CHECKING:  # the rest is imported where it is first needed: a remembered start shows
    from ui.admin.window import AdminWindow  # the main window before any of it
    from ui.signin import SignInWindow

log = logging.getLogger(__name__)


class Shell(QObject):
    """Starts the client and moves between sign-in and the main window."""

    main_shown = Signal(object)  # MainWindow, or AdminWindow for the three administrators
    sign_in_shown = Signal(object)  # SignInWindow

    def __init__(self, *, root: Path, keyring_backend: Any = None, server_url: str = "",
                 login: str = "", demo_users: list[dict] | None = None,
                 live_updates: bool = True) -> None:
        super().__init__()
        self.root, self.keyring_backend = Path(root), keyring_backend
        self.server_url, self.login, self.demo_users = server_url, login, demo_users
        self.live_updates = live_updates
        self.prefs = Prefs.load()
        self.window: MainWindow | AdminWindow | None = None
        self.sign_in_window: SignInWindow | None = None

    def remembered(self) -> tuple[str, str] | None:
        """(server, login) of a remembered sign-in whose profile is on this computer."""
        s = QSettings()
        if s.value("signin/remember") not in (True, "true"):
            return None
        server, login = str(s.value("signin/server") or ""), str(s.value("signin/login") or "")
        if self.server_url and server != self.server_url.rstrip("/"):
            return None
        if server and login and (self.root / profile_slug(server.rstrip("/"), login)
                                     / "profile.json").exists():
            return server, login
        return None

    def start(self) -> None:
        """Open the remembered profile at once, or show sign-in."""
        remembered = self.remembered()
        if remembered is not None:
            self.open_cached(*remembered)
        else:
            self.show_sign_in()

    def show_sign_in(self) -> None:
        """The sign-in window."""
        from ui.signin import SignInWindow

        s = QSettings()
        server = self.server_url or str(s.value("signin/server") or "") or self.prefs.server_url
        login = self.login or str(s.value("signin/login") or "")
        w = SignInWindow(root=self.root, keyring_backend=self.keyring_backend, server_url=server,
                         login=login, demo_users=self.demo_users, proxy=self.prefs.proxy)
        w.signed_in.connect(lambda session: self._signed_in(session, w))
        self.sign_in_window = w
        w.show()
        self.sign_in_shown.emit(w)

    def _signed_in(self, session, w: SignInWindow) -> None:
        from oa_client.services.account import admin_role

        admin = admin_role(session.me) is not None
        s = QSettings()
        # an administrator signs in every time: the console never opens by itself
        s.setValue("signin/remember", w.remember.isChecked() and not admin)
        s.setValue("signin/server", session.server_url)
        s.setValue("signin/login", session.me.get("login") or session.store.profile.username)
        w.close()
        self.sign_in_window = None
        window = self._admin() if admin else self._main()
        window.set_session(session)
        from ui.update_dialog import check_for_update

        check_for_update(window, session)  # an installed client offers the server's newer release

    def _admin(self) -> AdminWindow:
        from ui.admin.window import AdminWindow

        window = AdminWindow()
        window.signed_out.connect(lambda: self._leave(window, remove=False))
        window.wiped.connect(lambda text: self._wiped(window, text))
        self.window = window
        window.show()
        self.main_shown.emit(window)
        return window

    def _wiped(self, window, text: str) -> None:
        """The device was revoked and its profile removed: back to sign-in, saying why."""
        window.stop()
        window.close()
        self.window = None
        QSettings().setValue("signin/remember", False)
        self.show_sign_in()
        if self.sign_in_window is not None:
            self.sign_in_window.show_notice(text)

    def _main(self) -> MainWindow:
        window = MainWindow(prefs=self.prefs, live_updates=self.live_updates)
        window.signed_out.connect(lambda: self._leave(window, remove=False))
        window.remove_requested.connect(lambda: self._leave(window, remove=True))
        window.wiped.connect(lambda text: self._wiped(window, text))
        self.window = window
        window.show()
        self.main_shown.emit(window)
        return window

    def open_cached(self, server: str, login: str) -> MainWindow:
        """Show the main window at once and open the remembered profile behind it."""
        root, backend, proxy = self.root, self.keyring_backend, self.prefs.proxy
        window = self._main()

        def loader():  # on a worker: the store, sync and HTTP modules are imported there
            from ui import shell_session as ss

            store = ss.open_profile(root, server, login, backend=backend, create=False)
            try:
                return ss.open_offline(store, None, server_url=server, backend=backend,
                                       remember=True, proxy=proxy)
            except BaseException:
                store.close()
                raise

        window.open_failed.connect(lambda _exc: self._cached_failed(window))
        window.load(loader)
        return window

    def _cached_failed(self, window: MainWindow) -> None:
        QSettings().setValue("signin/remember", False)
        window.stop()
        window.close()
        self.show_sign_in()
        if self.sign_in_window is not None:
            self.sign_in_window.message.setText(window.banner_text.text())

    def _leave(self, window: MainWindow | AdminWindow, *, remove: bool) -> None:
        session = window.session
        window.stop()
        window.close()
        self.window = None
        QSettings().setValue("signin/remember", False)
        if session is None:
            self.show_sign_in()
            return
        from ui import shell_session as ss

        fn = ss.remove_profile if remove else ss.sign_out
        run_op(None, lambda _c: fn(session), success=lambda _r: self.show_sign_in(),
               failure=lambda exc: (log.warning("sign-out: %s", exc), self.show_sign_in()),
               pool="global")
