"""The audit log as the auditor reads it: who (names for actor ids), what (actions in words),
filters as the screen offers them, and the export to an Excel workbook."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from oa_client.i18n import _

#: "what" filter: label → action prefix
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("全部操作", ""), ("登录与令牌", "auth."), ("账号", "user."), ("设备", "device."),
    ("安全策略", "policy."), ("单位与组织", "unit."), ("组织导入", "org."), ("审计", "audit."),
    ("业务数据同步", "sync."),
)
_CATEGORY_IDS = (_("全部操作"), _("登录与令牌"), _("账号"), _("设备"), _("安全策略"), _("单位与组织"),
                 _("组织导入"), _("审计"), _("业务数据同步"))
ACTIONS = {
    "auth.login": "登录", "auth.login_failed": "登录失败", "auth.logout": "退出登录",
    "auth.refresh": "续期登录", "auth.refresh_replay": "刷新令牌被重放",
    "auth.delays_cleared": "清除登录等待", "auth.login_revoked_device": "已停用设备尝试登录",
    "user.create": "新建账号", "user.disable": "停用账号", "user.enable": "启用账号",
    "user.reset_password": "重置密码", "user.roles": "分配角色",
    "user.password_changed": "修改密码", "user.password_change_failed": "修改密码失败",
    "device.register": "新设备登录", "device.revoke": "停用设备", "device.sign_out": "注销设备登录",
    "device.wiped": "设备已清除本机数据", "policy.update": "修改安全策略",
    "unit.create": "新建单位", "unit.disable": "停用单位", "unit.enable": "启用单位",
    "department.create": "新建科室", "org.import": "导入组织架构", "sync.push": "同步上传修改",
}
_ACTION_IDS = (_("登录"), _("登录失败"), _("退出登录"), _("续期登录"), _("刷新令牌被重放"),
               _("清除登录等待"), _("已停用设备尝试登录"), _("新建账号"), _("停用账号"), _("启用账号"),
               _("重置密码"), _("分配角色"), _("修改密码"), _("修改密码失败"), _("新设备登录"),
               _("停用设备"), _("注销设备登录"), _("设备已清除本机数据"), _("修改安全策略"),
               _("新建单位"), _("停用单位"), _("启用单位"), _("新建科室"), _("导入组织架构"),
               _("同步上传修改"))
COLUMNS = ("序号", "时间", "操作人", "操作", "对象", "详情")
_COLUMN_IDS = (_("序号"), _("时间"), _("操作人"), _("操作"), _("对象"), _("详情"))
EXPORT_PAGE = 1000


def action_text(action: str) -> str:
    """An action in words; a refused attempt says so."""
    base, refused = (action[: -len("_refused")], True) if action.endswith("_refused") else (
        action, False)
    text = _(ACTIONS[base]) if base in ACTIONS else base
    return _("{action}（被拒绝）").format(action=text) if refused else text


def who(actor: str, names: dict[str, str]) -> str:
    """An actor (`user:<id>`, `login:<name>`, `cli:<os user>`, `system`) in words."""
    kind, _sep, ref = actor.partition(":")
    if kind == "user":
        return names.get(ref, ref)
    if kind == "login":
        return _("（未知账号）{login}").format(login=ref)
    if kind == "cli":
        return _("服务器运维 {who}").format(who=ref)
    return _("系统") if actor == "system" else actor


def what(target: str, names: dict[str, str]) -> str:
    """A target (`user:<id>`, `device:<id>`, …) with a name where one is known."""
    kind, _sep, ref = target.partition(":")
    return f"{names[ref]}（{kind}）" if ref in names else target


def local_time(at: str) -> str:
    """The log's UTC time in the local zone, to the second."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def row_cells(row: dict[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    """One audit row as the table and the workbook show it."""
    details = json.dumps(row.get("details") or {}, ensure_ascii=False, sort_keys=True)
    return (str(row["seq"]), local_time(row["at"]), who(row["actor"], names),
            action_text(row["action"]), what(row["target"], names), details)


def all_rows(fetch: Callable[..., list[dict[str, Any]]], **filters: Any) -> Iterator[dict]:
    """Every row matching the filters, oldest first, fetched page by page."""
    after = 0
    while True:
        page = fetch(after_seq=after, limit=EXPORT_PAGE, **filters)
        yield from page
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1]["seq"]


def export_xlsx(rows: Iterator[dict[str, Any]], path: Path, *, names: dict[str, str],
                title: str) -> int:
    """Write the rows to an .xlsx workbook; returns how many rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计日志"))
    sheet.append([title])
    header = [_(c) for c in COLUMNS]
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append(list(row_cells(row, names)))
        count += 1
    for col, width in zip("ABCDEF", (8, 20, 16, 22, 36, 80), strict=True):
        sheet.column_dimensions[col].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return count
