"""Auto-lock after idle time; unlock with the password, checked offline against its hash."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services import account
from ui.errors import error_text
from ui.ops import run_op
from ui.qt import (
    QDialog,
    QEvent,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)

INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                QEvent.Type.Wheel}


class IdleWatch(QObject):
    """Emits `idle` after `minutes` without keyboard or mouse input in the application.

    Input reaches a top-level window before its widgets, so the watch filters the windows
    (each one as it is focused), not the application: an application-wide filter would run
    Python for every event Qt sends any object, paints and layouts included."""

    idle = Signal()

    def __init__(self, app, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one may end up to 5% early
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        self.app = app
        for window in app.topLevelWindows():
            window.installEventFilter(self)
        app.focusWindowChanged.connect(self._focused)
        self.watching = True

    def set_minutes(self, minutes: int) -> None:
        """Change the idle time (0 = never lock)."""
        self.minutes = minutes
        self.timer.stop()
        self._input()

    def _focused(self, window) -> None:
        """A window came to the front (a click or Alt+Tab): that is input, and it is watched."""
        if window is not None:
            window.installEventFilter(self)  # Qt keeps one entry per filter
            self._input()

    def _input(self) -> None:
        """Count down from the start again (never, at 0)."""
        if self.minutes > 0:
            self.timer.start(self.minutes * 60_000)

    def eventFilter(self, obj, event) -> bool:
        """Any input restarts the countdown."""
        if event.type() in INPUT_EVENTS:
            self._input()
        return False

    def stop(self) -> None:
        """Stop watching (again is a no-op: signing out and closing both stop it)."""
        self.timer.stop()
        if not self.watching:
            return
        self.watching = False
        self.app.focusWindowChanged.disconnect(self._focused)
        for window in self.app.topLevelWindows():
            window.removeEventFilter(self)


class LockDialog(QDialog):
    """Covers the window until the password is entered (or the user signs out)."""

    unlocked = Signal()
    sign_out = Signal()

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(_("已锁定"))
        self.setModal(True)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        layout = QVBoxLayout(self)
        title = QLabel(_("客户端已锁定"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold")
        layout.addWidget(title)
        who = QLabel(_("{name}（{unit}）长时间未操作，为保护数据已自动锁定。请输入登录密码解锁。").format(
            name=session.display_name, unit=session.unit_name))
        who.setWordWrap(True)
        layout.addWidget(who)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("登录密码"))
        self.password.returnPressed.connect(self.try_unlock)
        layout.addWidget(self.password)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00000")
        layout.addWidget(self.problem)
        row = QHBoxLayout()
        self.unlock_button = QPushButton(_("解锁"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        out = QPushButton(_("退出登录"))
        out.clicked.connect(self._sign_out)
        row.addWidget(out)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        self.setMinimumWidth(440)

    def try_unlock(self) -> None:
        """Check the password on a worker."""
        password = self.password.text()
        if not password:
            self.problem.setText(_("请输入密码。"))
            return
        self.unlock_button.setEnabled(False)
        store = self.session.store
        run_op(self, lambda _c: account.check_password(store, password), success=self._checked,
               failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        self.problem.setText(error_text(exc))

    def _checked(self, ok: bool | None) -> None:
        self.unlock_button.setEnabled(True)
        if ok:
            self.password.clear()
            self.accept()
            self.unlocked.emit()
        else:
            self.password.selectAll()
            self.problem.setText(_("密码不正确。") if ok is False else
                                 _("本机没有可用于离线核对的密码，请退出后重新登录。"))

    def _sign_out(self) -> None:
        self.accept()
        self.sign_out.emit()

    def reject(self) -> None:
        """Escape does not unlock."""
