"""Reminders the server sends by itself (collection `notifications`), shared by server and desk.

The server's jobs (oa_server/jobs) write one record per reminder, seen by the people it
names (`to_users`) and, in the units it names (`to_units`), by those who answer for its kind
of work there (the README's who-sees-what table); the desk pulls them like any record and
shows them in 待办 and as tray messages. A record carries its message id (`msg`, the
Chinese text below) and its arguments, so each desk shows it in its own language:

    {"kind": "request.overdue", "msg": "…{title}…", "args": {"title": "…"},
     "collection": "requests", "record_id": "…", "to_users": […], "to_units": […],
     "created_at": "…Z", "expires_at": "…Z" | None, "urgent": true | false}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from oa_client.i18n import _

COLLECTION = "notifications"

#: kind → message id (Chinese, with {placeholders}); `text()` translates it
MESSAGES: dict[str, str] = {
    "supervision.warning": "督办事项“{title}”距办结期限不足{days}个工作日（{deadline}），请抓紧办理",
    "supervision.overdue": "督办事项“{title}”已超过办结期限（{deadline}）",
    "supervision.milestone": "督办事项“{title}”的节点“{milestone}”应于{due}完成",
    "supervision.chase": "督办事项“{title}”应于{due}报送进展，至今未报，请尽快报送",
    "request.overdue": "“{title}”的{step}已超过办理时限（{due}），请及时审批",
    "request.escalated": "{holder}的“{title}”（{step}）已超过办理时限（{due}），请督促办理",
    "request.reassigned": "“{title}”原审批人已不在岗，已转由您办理",
    "meeting.tomorrow": "明天{time}：{title}（{place}）",
    "meeting.soon": "{time}开会：{title}（{place}）",
    "report.due": "报表“{title}”（{period}）将于{deadline}截止，请按时填报",
    "report.chase": "报表“{title}”（{period}）已于{deadline}截止，贵单位尚未报送，请尽快报送",
    "bulletin.draft": "{month}督办通报已生成草稿，请核对后送审",
}
_MESSAGE_IDS = (
    _("督办事项“{title}”距办结期限不足{days}个工作日（{deadline}），请抓紧办理"),
    _("督办事项“{title}”已超过办结期限（{deadline}）"),
    _("督办事项“{title}”的节点“{milestone}”应于{due}完成"),
    _("督办事项“{title}”应于{due}报送进展，至今未报，请尽快报送"),
    _("“{title}”的{step}已超过办理时限（{due}），请及时审批"),
    _("{holder}的“{title}”（{step}）已超过办理时限（{due}），请督促办理"),
    _("“{title}”原审批人已不在岗，已转由您办理"),
    _("明天{time}：{title}（{place}）"),
    _("{time}开会：{title}（{place}）"),
    _("报表“{title}”（{period}）将于{deadline}截止，请按时填报"),
    _("报表“{title}”（{period}）已于{deadline}截止，贵单位尚未报送，请尽快报送"),
    _("{month}督办通报已生成草稿，请核对后送审"),
)
#: kind → heading of the tray message
HEADINGS: dict[str, str] = {
    "supervision": "督办提醒", "request": "审批提醒", "meeting": "会议提醒", "report": "报表提醒",
    "bulletin": "督办通报",
}
_HEADING_IDS = (_("督办提醒"), _("审批提醒"), _("会议提醒"), _("报表提醒"), _("督办通报"))


def text(record: Mapping[str, Any]) -> str:
    """The reminder in the current language (its arguments filled in)."""
    msg = str(record.get("msg") or MESSAGES.get(str(record.get("kind")), ""))
    args = record.get("args") or {}
    try:
        return _(msg).format(**args) if msg else ""
    except (KeyError, IndexError, ValueError):
        return msg


def heading(record: Mapping[str, Any]) -> str:
    """What kind of reminder it is, in the current language."""
    area = str(record.get("kind") or "").split(".", 1)[0]
    return _(HEADINGS.get(area, "提醒"))


def is_live(record: Mapping[str, Any], *, now: datetime) -> bool:
    """Whether the reminder still matters at `now` (not past its `expires_at`)."""
    until = record.get("expires_at")
    if not until:
        return True
    try:
        end = datetime.fromisoformat(str(until).replace("Z", "+00:00"))
    except ValueError:
        return True
    if end.tzinfo is None or now.tzinfo is None:
        return end.replace(tzinfo=None) > now.replace(tzinfo=None)
    return end > now
