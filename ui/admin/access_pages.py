"""系统管理员 · 设备与会话 (sign a device out, revoke it: it wipes itself at next contact)
and 登录限制 (the waits after failed sign-ins per login and address; clear them)."""

from __future__ import annotations

from oa_client.i18n import _
from sync import admin as api
from ui.admin.common import AdminPage, Table, filter_box, short
from ui.qt import QCheckBox

DEVICE_HEADERS = ("姓名", "登录名", "设备", "首次登录", "最近使用", "在线登录", "状态")
DELAY_HEADERS = ("登录名", "来源地址", "失败次数", "最近失败", "须等待至")
_HEADER_IDS = (_("姓名"), _("登录名"), _("设备"), _("首次登录"), _("最近使用"), _("在线登录"),
               _("状态"), _("来源地址"), _("失败次数"), _("最近失败"), _("须等待至"))


def device_state(device: dict) -> str:
    """正常 / 已停用，待清除 / 已停用并清除."""
    if device.get("wiped_at"):
        return _("已停用并清除")
    if device.get("revoked_at"):
        return _("已停用，待清除")
    return _("正常")


class DevicesPage(AdminPage):
    """Every device of every account, with its open sign-ins."""

    title = "设备与会话"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.devices: list[dict] = []
        self.search = filter_box(_("按姓名、登录名或设备筛选"))
        self.search.textChanged.connect(lambda _t: self._show())
        self.tools.addWidget(self.search, 1)
        self.sign_out_button = self.button(_("注销登录"), self.sign_out, enabled=False)
        self.revoke_button = self.button(_("停用设备…"), self.revoke, enabled=False)
        self.button(_("刷新"), self.refresh)
        self.table = Table(DEVICE_HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.layout_.addWidget(self.table, 1)
        self.final_push = QCheckBox(_("停用前允许该设备上传尚未同步的修改"))
        self.final_push.setChecked(True)
        self.layout_.addWidget(self.final_push)
        self.finish_layout()

    def refresh(self) -> None:
        """Read every device."""
        transport = self.transport
        self.call(lambda: api.devices(transport), self._loaded)

    def _loaded(self, devices: list[dict]) -> None:
        self.devices = devices
        self._show()

    def _show(self) -> None:
        needle = self.search.text().strip().lower()
        shown = [d for d in self.devices if not needle or needle in " ".join(
            (d["user_name"], d["login"], d["name"])).lower()]
        self.table.fill(shown, lambda d: (
            d["user_name"], d["login"], d["name"], short(d["registered_at"]),
            short(d["last_seen_at"]), str(d["open_sessions"]), device_state(d)))
        self._selected()

    def _selected(self) -> None:
        d = self.table.current()
        live = bool(d) and not d.get("revoked_at")
        self.sign_out_button.setEnabled(live and d["open_sessions"] > 0)
        self.revoke_button.setEnabled(live)

    def sign_out(self) -> None:
        """End the selected device's sign-ins (it may sign in again)."""
        d, transport = self.table.current(), self.transport
        if d is None:
            return
        self.call(lambda: api.sign_out_device(transport, d["id"]), lambda _r: (
            self.say(_("已注销 {name} 在“{device}”上的登录").format(name=d["user_name"],
                                                              device=d["name"])),
            self.refresh()))

    def revoke(self) -> None:
        """Revoke the selected device after a confirmation."""
        d, transport = self.table.current(), self.transport
        if d is None:
            return
        final_push = self.final_push.isChecked()
        self.confirm(_("停用设备"), _(
            "停用 {name} 的“{device}”？它的登录立即失效，下次联网时清除该设备上的全部本机数据。"
        ).format(name=d["user_name"], device=d["name"]), lambda: self.call(
            lambda: api.revoke_device(transport, d["id"], final_push=final_push), lambda _r: (
                self.say(_("已停用 {name} 的“{device}”").format(name=d["user_name"],
                                                            device=d["name"])),
                self.refresh())))


class DelaysPage(AdminPage):
    """(login, address) pairs that failed to sign in, and how long each must wait."""

    title = "登录限制"

    def __init__(self, session) -> None:
        super().__init__(session)
        self.clear_button = self.button(_("清除所选"), self.clear, enabled=False)
        self.button(_("刷新"), self.refresh)
        self.tools.addStretch(1)
        self.table = Table(DELAY_HEADERS)
        self.table.itemSelectionChanged.connect(
            lambda: self.clear_button.setEnabled(self.table.current() is not None))
        self.layout_.addWidget(self.table, 1)
        self.finish_layout()

    def refresh(self) -> None:
        """Read the pairs with failures in the last day."""
        transport = self.transport
        self.call(lambda: api.signin_delays(transport), lambda rows: (
            self.table.fill(rows, lambda r: (r["login"], r["source"], str(r["failures"]),
                                             short(r["last_failure_at"], seconds=True),
                                             short(r["blocked_until"], seconds=True))),
            self.clear_button.setEnabled(False)))

    def clear(self) -> None:
        """Clear the selected login's wait from that address."""
        row, transport = self.table.current(), self.transport
        if row is None:
            return
        self.call(lambda: api.clear_delays(transport, row["login"], row["source"]), lambda _n: (
            self.say(_("已清除 {login}（{source}）的登录等待").format(login=row["login"],
                                                                  source=row["source"])),
            self.refresh()))
