"""系统管理员 · 用户: open accounts, disable and enable them, reset a password to a one-time
one. Administrators' accounts and one's own are shown but not changed here (三员分立:
on the server host only)."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services.account import ADMIN_ROLES, role_names
from sync import admin as api
from ui.admin.common import AdminPage, Table, filter_box, show_one_time_password
from ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

HEADERS = ("登录名", "姓名", "单位", "科室", "职务", "角色", "状态")
_HEADER_IDS = (_("登录名"), _("姓名"), _("单位"), _("科室"), _("职务"), _("角色"), _("状态"))


def state_text(user: dict) -> str:
    """正常 / 已停用 / 待修改密码."""
    if not user.get("active"):
        return _("已停用")
    return _("待修改密码") if user.get("must_change_password") else _("正常")


class NewUserDialog(QDialog):
    """登录名, 姓名, 单位, 科室, 职务, 电话 of a new account."""

    def __init__(self, parent: QWidget, units: list[dict]) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("新建用户"))
        self.units = [u for u in units if u.get("active", True)]
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.login = QLineEdit()
        self.login.setPlaceholderText(_("字母开头，如 wangfang"))
        form.addRow(_("登录名："), self.login)
        self.name = QLineEdit()
        form.addRow(_("姓名："), self.name)
        self.unit = QComboBox()
        for u in self.units:
            self.unit.addItem(u["name"], u["id"])
        self.unit.currentIndexChanged.connect(self._departments)
        form.addRow(_("单位："), self.unit)
        self.department = QComboBox()
        form.addRow(_("科室："), self.department)
        self.position = QLineEdit()
        form.addRow(_("职务："), self.position)
        self.phone = QLineEdit()
        form.addRow(_("电话："), self.phone)
        layout.addLayout(form)
        note = QLabel(_("新账号没有角色（由安全保密管理员分配）；首次登录用一次性密码，登录后须设置新密码。"))
        note.setWordWrap(True)
        note.setStyleSheet("color:#555")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("创建"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._departments()
        self.setMinimumWidth(440)

    def _departments(self) -> None:
        self.department.clear()
        self.department.addItem(_("（无）"), None)
        unit = next((u for u in self.units if u["id"] == self.unit.currentData()), None)
        for d in (unit or {}).get("departments") or []:
            self.department.addItem(d["name"], d["id"])

    def fields(self) -> dict:
        """The new account's fields as the server takes them."""
        out = {"login": self.login.text().strip(), "name": self.name.text().strip(),
               "unit_id": self.unit.currentData(), "department_id": self.department.currentData(),
               "position": self.position.text().strip() or None,
               "phone": self.phone.text().strip() or None}
        return {k: v for k, v in out.items() if v is not None}


class UsersPage(AdminPage):
    """Every account; add, disable/enable, reset password."""

    title = "用户"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.users: list[dict] = []
        self.units: list[dict] = []
        self.search = filter_box(_("按姓名、登录名或单位筛选"))
        self.search.textChanged.connect(lambda _t: self._show())
        self.tools.addWidget(self.search, 1)
        self.add_button = self.button(_("新建用户…"), self.add)
        self.disable_button = self.button(_("停用"), lambda: self.set_active(False), enabled=False)
        self.enable_button = self.button(_("启用"), lambda: self.set_active(True), enabled=False)
        self.reset_button = self.button(_("重置密码…"), self.reset, enabled=False)
        self.button(_("刷新"), self.refresh)
        self.table = Table(HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.layout_.addWidget(self.table, 1)
        self.hint = QLabel("")
        self.hint.setStyleSheet("color:#555")
        self.layout_.addWidget(self.hint)
        self.finish_layout()

    def refresh(self) -> None:
        """Read the accounts and units."""
        transport = self.transport
        self.call(lambda: (api.users(transport), api.units(transport)), self._loaded)

    def _loaded(self, answer) -> None:
        self.users, self.units = answer
        self._show()

    def _show(self) -> None:
        needle = self.search.text().strip().lower()
        shown = [u for u in self.users if not needle or needle in " ".join(
            (u["login"], u["name"], u["unit"]["name"])).lower()]
        self.table.fill(shown, lambda u: (
            u["login"], u["name"], u["unit"]["name"], (u.get("department") or {}).get("name", ""),
            u.get("position") or "", "、".join(role_names(u["roles"])), state_text(u)))
        self._selected()

    def _changeable(self, user: dict | None) -> bool:
        return bool(user) and user["id"] != self.session.user_id \
            and not set(user["roles"]) & ADMIN_ROLES

    def _selected(self) -> None:
        user = self.table.current()
        ok = self._changeable(user)
        self.disable_button.setEnabled(ok and user["active"])
        self.enable_button.setEnabled(ok and not user["active"])
        self.reset_button.setEnabled(ok and user["active"])
        self.hint.setText("" if not user or ok else _(
            "三员分立：管理员账号（包括您自己的）只能在服务器上由运维人员处理。"))

    def add(self) -> None:
        """The new-account dialog; then the one-time password, shown once."""
        dialog = NewUserDialog(self, self.units)
        self.new_user_dialog = dialog
        transport = self.transport

        def create() -> None:
            fields = dialog.fields()
            self.call(lambda: api.create_user(transport, **fields), self._created)

        dialog.accepted.connect(create)
        dialog.open()

    def _created(self, answer: dict) -> None:
        self.say(_("已创建用户：{name}（{login}）").format(name=answer["user"]["name"],
                                                    login=answer["user"]["login"]))
        show_one_time_password(self, answer)
        self.refresh()

    def set_active(self, active: bool) -> None:
        """Disable or enable the selected account (after a confirmation)."""
        user = self.table.current()
        if not self._changeable(user):
            return
        transport = self.transport
        text = (_("启用 {name} 的账号？") if active else
                _("停用 {name} 的账号？其所有登录将立即失效。")).format(name=user["name"])

        def done(_u) -> None:
            self.say((_("已启用：{name}") if active else _("已停用：{name}")).format(
                name=user["name"]))
            self.refresh()

        self.confirm(_("启用账号") if active else _("停用账号"), text,
                     lambda: self.call(lambda: api.set_active(transport, user["id"],
                                                              active=active), done))

    def reset(self) -> None:
        """Reset the selected account's password to a one-time one (after a confirmation)."""
        user = self.table.current()
        if not self._changeable(user):
            return
        transport = self.transport
        self.confirm(_("重置密码"), _(
            "为 {name} 生成一次性密码？其原密码立即失效、所有登录被注销；本人下次登录时须设置新密码。"
        ).format(name=user["name"]), lambda: self.call(
            lambda: api.reset_password(transport, user["id"]), self._reset_done))

    def _reset_done(self, answer: dict) -> None:
        self.say(_("已重置 {name} 的密码").format(name=answer["user"]["name"]))
        show_one_time_password(self, answer)
        self.refresh()
