"""安全保密管理员 · 角色 (business roles of an account), 印章管理员 (who keeps each unit's seal)
and 安全策略 (password rules, idle lock, watermark, for every client)."""

from __future__ import annotations

from oa_client.i18n import _
from oa_client.services.account import ADMIN_ROLES, role_names
from sync import admin as api
from ui.admin.common import AdminPage, Table, filter_box, short
from ui.qt import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)

SEAL_KEEPER = "seal_keeper"
USER_HEADERS = ("姓名", "登录名", "单位", "角色")
UNIT_HEADERS = ("单位", "印章管理员")
_HEADER_IDS = (_("姓名"), _("登录名"), _("单位"), _("角色"), _("印章管理员"))


def _is_admin(user: dict) -> bool:
    return bool(set(user["roles"]) & ADMIN_ROLES)


class RolesPage(AdminPage):
    """Pick an account, tick its business roles, save."""

    title = "角色"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.users: list[dict] = []
        self.catalogue: list[dict] = []
        self.search = filter_box(_("按姓名、登录名或单位筛选"))
        self.search.textChanged.connect(lambda _t: self._show())
        self.tools.addWidget(self.search, 1)
        self.button(_("刷新"), self.refresh)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = Table(USER_HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        split.addWidget(self.table)
        box = QGroupBox(_("业务角色"))
        self.boxes_layout = QVBoxLayout(box)
        self.boxes: dict[str, QCheckBox] = {}
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555")
        self.save_button = QPushButton(_("保存角色"))
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        split.addWidget(box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.layout_.addWidget(split, 1)
        self.finish_layout()

    def refresh(self) -> None:
        """Read the accounts and the role catalogue."""
        transport = self.transport
        self.call(lambda: (api.users(transport), api.roles(transport)), self._loaded)

    def _loaded(self, answer) -> None:
        self.users, catalogue = answer
        if not self.boxes:
            self.catalogue = [r for r in catalogue if not r["admin"]]
            for role in self.catalogue:
                box = QCheckBox(role_names([role["code"]])[0])
                box.setEnabled(False)
                self.boxes[role["code"]] = box
                self.boxes_layout.addWidget(box)
            self.boxes_layout.addWidget(self.hint)
            self.boxes_layout.addWidget(self.save_button)
            self.boxes_layout.addStretch(1)
        self._show()

    def _show(self) -> None:
        needle = self.search.text().strip().lower()
        shown = [u for u in self.users if u["active"] and (not needle or needle in " ".join(
            (u["login"], u["name"], u["unit"]["name"])).lower())]
        chosen = self.table.current()
        self.table.fill(shown, lambda u: (u["name"], u["login"], u["unit"]["name"],
                                          "、".join(role_names(u["roles"]))))
        if chosen is not None:
            self.table.select_where(lambda u: u["id"] == chosen["id"])
        self._selected()

    def _selected(self) -> None:
        user = self.table.current()
        editable = bool(user) and not _is_admin(user) and user["id"] != self.session.user_id
        for code, box in self.boxes.items():
            box.setChecked(bool(user) and code in user["roles"])
            box.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.hint.setText("" if not user or editable else _(
            "三员分立：管理员的角色只能在服务器上分配，不能兼任业务角色。"))

    def save(self) -> None:
        """Save the ticked roles of the selected account."""
        user, transport = self.table.current(), self.transport
        if user is None:
            return
        codes = [code for code, box in self.boxes.items() if box.isChecked()]

        def saved(u: dict) -> None:
            self.say(_("已保存 {name} 的角色：{roles}").format(
                name=u["name"], roles="、".join(role_names(u["roles"])) or _("（无）")))
            self.refresh()

        self.call(lambda: api.set_roles(transport, user["id"], codes), saved)


class SealKeepersPage(AdminPage):
    """Each unit's 印章管理员; pick a unit, tick who keeps its seal, save."""

    title = "印章管理员"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.users: list[dict] = []
        self.button(_("刷新"), self.refresh)
        self.tools.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = Table(UNIT_HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        split.addWidget(self.table)
        side = QWidget()
        self.people_layout = QVBoxLayout(side)
        self.people_title = QLabel(_("选择左侧单位"))
        self.people_title.setStyleSheet("font-weight:bold")
        self.people_layout.addWidget(self.people_title)
        self.people_layout.addWidget(QLabel(_("勾选的人员即为该单位的印章管理员：")))
        self.people_box = QVBoxLayout()
        self.people_layout.addLayout(self.people_box)
        self.save_button = QPushButton(_("保存印章管理员"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.people_layout.addWidget(self.save_button)
        self.people_layout.addStretch(1)
        self.people: dict[str, QCheckBox] = {}
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.layout_.addWidget(split, 1)
        self.finish_layout()

    def refresh(self) -> None:
        """Read the accounts and show each unit's seal keepers."""
        transport = self.transport
        self.call(lambda: api.users(transport), self._loaded)

    def _loaded(self, users: list[dict]) -> None:
        self.users = [u for u in users if u["active"]]
        units: dict[str, dict] = {}
        for u in self.users:
            units.setdefault(u["unit"]["id"], {"id": u["unit"]["id"], "name": u["unit"]["name"],
                                               "keepers": []})
            if SEAL_KEEPER in u["roles"]:
                units[u["unit"]["id"]]["keepers"].append(u["name"])
        chosen = self.table.current()
        self.table.fill(list(units.values()), lambda r: (r["name"], "、".join(r["keepers"])))
        if chosen is not None:
            self.table.select_where(lambda r: r["id"] == chosen["id"])
        self._selected()

    def _selected(self) -> None:
        unit = self.table.current()
        for box in self.people.values():
            box.hide()
            self.people_box.removeWidget(box)
            box.deleteLater()
        self.people = {}
        self.save_button.setEnabled(unit is not None)
        if unit is None:
            return
        self.people_title.setText(unit["name"])
        for u in self.users:
            if u["unit"]["id"] != unit["id"] or _is_admin(u):
                continue
            box = QCheckBox(f"{u['name']}　{u.get('position') or ''}")
            box.setChecked(SEAL_KEEPER in u["roles"])
            self.people[u["id"]] = box
            self.people_box.addWidget(box)

    def save(self) -> None:
        """Add or take away the seal keeper role where the ticks changed."""
        transport = self.transport
        changes = []
        for user_id, box in self.people.items():
            user = next(u for u in self.users if u["id"] == user_id)
            has = SEAL_KEEPER in user["roles"]
            if box.isChecked() != has:
                roles = [r for r in user["roles"] if r != SEAL_KEEPER]
                changes.append((user_id, roles + ([SEAL_KEEPER] if box.isChecked() else [])))
        if not changes:
            self.say(_("没有改动。"))
            return

        def op() -> list[dict]:
            return [api.set_roles(transport, uid, roles) for uid, roles in changes]

        self.call(op, lambda done: (self.say(_("已保存：{names}").format(
            names="、".join(u["name"] for u in done))), self.refresh()))


class PolicyPage(AdminPage):
    """The security policy form."""

    title = "安全策略"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.button(_("刷新"), self.refresh)
        self.save_button = self.button(_("保存策略"), self.save)
        self.tools.addStretch(1)
        body = QWidget()
        grid = QGridLayout(body)
        passwords = QGroupBox(_("密码规则"))
        form = QFormLayout(passwords)
        self.min_length = self._spin(8, 64, _(" 位"))
        form.addRow(_("最短长度："), self.min_length)
        self.min_classes = self._spin(1, 4, _(" 类"))
        form.addRow(_("至少包含字符类别（大写、小写、数字、符号）："), self.min_classes)
        self.forbid_login = QCheckBox(_("密码不能包含登录名"))
        form.addRow("", self.forbid_login)
        self.history = self._spin(0, 24, _(" 次"))
        self.history.setSpecialValueText(_("不限制"))
        form.addRow(_("不能与最近几次的密码相同："), self.history)
        self.max_age = self._spin(0, 3650, _(" 天"))
        self.max_age.setSpecialValueText(_("不限制"))
        form.addRow(_("密码最长使用："), self.max_age)
        grid.addWidget(passwords, 0, 0)
        clients = QGroupBox(_("客户端"))
        cform = QFormLayout(clients)
        self.idle = self._spin(1, 240, _(" 分钟"))
        cform.addRow(_("无操作自动锁定："), self.idle)
        self.watermark = QCheckBox(_("在公文和详情上显示姓名、单位、日期水印"))
        cform.addRow(_("水印："), self.watermark)
        grid.addWidget(clients, 0, 1)
        self.current = QLabel("")
        self.current.setWordWrap(True)
        self.current.setStyleSheet("color:#444")
        grid.addWidget(self.current, 1, 0, 1, 2)
        grid.setRowStretch(2, 1)
        row = QHBoxLayout()
        row.addWidget(body, 1)
        self.layout_.addLayout(row, 1)
        self.finish_layout()

    @staticmethod
    def _spin(low: int, high: int, suffix: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSuffix(suffix)
        return spin

    def refresh(self) -> None:
        """Read the policy in force."""
        transport = self.transport
        self.call(lambda: api.policy(transport), self._show)

    def _show(self, p: dict) -> None:
        self.min_length.setValue(p["min_length"])
        self.min_classes.setValue(p["min_classes"])
        self.forbid_login.setChecked(p["forbid_login"])
        self.history.setValue(p["history"])
        self.max_age.setValue(p["max_age_days"])
        self.idle.setValue(p["idle_lock_minutes"])
        self.watermark.setChecked(p["watermark"])
        when = short(p.get("updated_at")) or _("（默认策略）")
        self.current.setText(_("现行规则（{when}）：").format(when=when) + "；".join(p["rules"])
                             + _("。无操作 {n} 分钟锁定；水印{w}。").format(
                                 n=p["idle_lock_minutes"], w=_("开启") if p["watermark"] else _("关闭")))

    def values(self) -> dict:
        """The form as the server takes it."""
        return {"min_length": self.min_length.value(), "min_classes": self.min_classes.value(),
                "forbid_login": self.forbid_login.isChecked(), "history": self.history.value(),
                "max_age_days": self.max_age.value(), "idle_lock_minutes": self.idle.value(),
                "watermark": self.watermark.isChecked()}

    def save(self) -> None:
        """Set the policy for every client."""
        values, transport = self.values(), self.transport
        self.call(lambda: api.set_policy(transport, values), lambda p: (
            self._show(p), self.say(_("安全策略已保存，各客户端下次同步时生效。"))))
