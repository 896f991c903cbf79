"""Supervision tasks (督办事项): the rules the client and the server share.

A task comes from a leader's 批示 on a document, a decision in meeting minutes, or
is entered by the 督查室. The 牵头单位 and 配合单位 report progress on a schedule;
a missing report is chased (催办); the deadline light follows working days; an
extension or a 销号 is requested by a unit and decided by the 督查室 (or, for an
extension, by the leader who ordered the task).

States: `open` → `closing` (销号 requested, awaiting the 督查室) → `closed`;
a rejected 销号 goes back to `open`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from oa_client.domain.workdays import (
    DEFAULT_WARN_DAYS,
    Light,
    WorkdayCalendar,
    check_deadline,
    deadline_light,
    shipped_calendar,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _

#: the `settings` record holding the server's supervision policy (warning days …)
POLICY_ID = "supervision"

STATES = ("open", "closing", "closed")
STATE_LABELS = {"open": "办理中", "closing": "待销号确认", "closed": "已销号"}
_STATE_IDS = (_("办理中"), _("待销号确认"), _("已销号"))
IMPORTANCE = ("一般", "重要", "重大")
_IMPORTANCE_IDS = (_("一般"), _("重要"), _("重大"))
REPORT_EVERY = ("weekly", "monthly")
REPORT_LABELS = {"weekly": "每周", "monthly": "每月", None: "不定期"}
_REPORT_IDS = (_("每周"), _("每月"), _("不定期"))
SOURCE_KINDS = ("instruction", "minutes", "manual")
SOURCE_LABELS = {"instruction": "领导批示", "minutes": "会议纪要", "manual": "督查室立项"}
_SOURCE_IDS = (_("领导批示"), _("会议纪要"), _("督查室立项"))

#: actions of task_events
ACTIONS = ("extend_request", "extend_decide", "close_request", "close_decide", "chase",
           "reassign")
ACTION_LABELS = {
    "extend_request": "申请延期", "extend_decide": "延期审批", "close_request": "申请销号",
    "close_decide": "销号确认", "chase": "催办", "reassign": "调整牵头单位",
}
_ACTION_IDS = (_("申请延期"), _("延期审批"), _("申请销号"), _("销号确认"), _("催办"),
               _("调整牵头单位"))
#: roles that may enter tasks and decide on them (督查室) and leaders who order them
SUPERVISOR_ROLE = "supervisor"
LEADER_ROLES = ("principal_leader", "deputy_leader")
CREATOR_ROLES = (SUPERVISOR_ROLE, *LEADER_ROLES, "office_director")


def is_leader(roles: Iterable[str]) -> bool:
    """Whether these roles hold a leader's (主要领导, 分管领导): who may order a task."""
    return not set(roles).isdisjoint(LEADER_ROLES)


def decides_extension(task: Mapping[str, Any], *, user_id: str | None,
                      roles: Iterable[str]) -> bool:
    """Whether this user decides a task's extension request: the 督查室, or the leader who
    ordered the task (named in `ordered_by` and holding a leader role)."""
    held = set(roles)
    return SUPERVISOR_ROLE in held or (
        bool(user_id) and task.get("ordered_by") == user_id and is_leader(held))


def state_label(state: str) -> str:
    """A task state in the current language."""
    return _(STATE_LABELS.get(state, state))


def action_label(action: str) -> str:
    """A task event's action in the current language."""
    return _(ACTION_LABELS.get(action, action))


def parse_day(value: Any, *, field_name: str) -> date:
    """An ISO date (or the date part of an ISO datetime) or a ValidationError naming the field."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        raise ValidationError(
            _("日期格式不正确：{value}（应为 YYYY-MM-DD）").format(value=value or ""),
            field=field_name) from None


class DeadlineWarning(ValidationError):
    """The deadline is a day off: warned, with the next workday suggested."""

    def __init__(self, message: str, *, suggestion: date) -> None:
        super().__init__(message, field="deadline")
        self.suggestion = suggestion


def settle_deadline(deadline: date, *, start: date, adjust: bool | None,
                    calendar: WorkdayCalendar | None = None) -> tuple[date, str | None]:
    """Check a deadline against the start and the calendar.

    Before the start: a ValidationError. On a day off: `adjust=None` raises a
    DeadlineWarning (ask the user), True moves it to the next workday, False keeps
    it and returns the warning text as a note.
    """
    if deadline < start:
        raise ValidationError(
            _("办结期限{deadline}早于立项日期{start}").format(
                deadline=deadline.isoformat(), start=start.isoformat()), field="deadline")
    found = check_deadline(deadline, calendar=calendar)
    if found is None:
        return deadline, None
    if adjust is None:
        raise DeadlineWarning(found.message, suggestion=found.suggestion)
    if adjust:
        return found.suggestion, None
    return deadline, found.message


def validate_task(data: Mapping[str, Any]) -> dict[str, Any]:
    """The task's own fields checked (not the org or the calendar); returns a cleaned copy."""
    out = dict(data)
    title = str(data.get("title") or "").strip()
    if not title:
        raise ValidationError(_("请填写督办事项名称"), field="title")
    if len(title) > 200:
        raise ValidationError(_("督办事项名称不能超过200字"), field="title")
    out["title"] = title
    if not str(data.get("content") or "").strip():
        raise ValidationError(_("请填写督办内容（批示或决定事项原文）"), field="content")
    lead = str(data.get("lead_unit_id") or "")
    if not lead:
        raise ValidationError(_("请选择牵头单位"), field="lead_unit_id")
    out["lead_unit_id"] = lead
    assist = data.get("assist_unit_ids") or []
    if not isinstance(assist, list) or not all(isinstance(u, str) and u for u in assist):
        raise ValidationError(_("配合单位格式不正确"), field="assist_unit_ids")
    if lead in assist:
        raise ValidationError(_("牵头单位不能同时是配合单位"), field="assist_unit_ids")
    out["assist_unit_ids"] = list(dict.fromkeys(assist))
    parse_day(data.get("deadline"), field_name="deadline")
    for key in ("owner_id", "ordered_by"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise ValidationError(_("人员格式不正确"), field=key)
    if (data.get("importance") or "一般") not in IMPORTANCE:
        raise ValidationError(_("重要程度不正确"), field="importance")
    if data.get("report_every") not in (None, *REPORT_EVERY):
        raise ValidationError(_("报送频次只能是每周或每月"), field="report_every")
    source = data.get("source") or {"kind": "manual"}
    if not isinstance(source, Mapping) or source.get("kind") not in SOURCE_KINDS:
        raise ValidationError(_("督办来源不正确"), field="source")
    milestones = data.get("milestones") or []
    if not isinstance(milestones, list):
        raise ValidationError(_("节点格式不正确"), field="milestones")
    cleaned = []
    for i, m in enumerate(milestones):
        if not isinstance(m, Mapping) or not str(m.get("title") or "").strip():
            raise ValidationError(_("第{n}个节点缺少名称").format(n=i + 1), field="milestones")
        due = parse_day(m.get("due"), field_name="milestones")
        if due > parse_day(data.get("deadline"), field_name="deadline"):
            raise ValidationError(_("节点“{title}”的时间晚于办结期限").format(title=m["title"]),
                                  field="milestones")
        done = m.get("done_on")
        if done is not None:
            parse_day(done, field_name="milestones")
        cleaned.append({**m, "id": str(m.get("id") or f"m{i + 1}"),
                        "title": str(m["title"]).strip(), "due": due.isoformat(),
                        "done_on": done})
    if len({m["id"] for m in cleaned}) != len(cleaned):
        raise ValidationError(_("节点编号重复"), field="milestones")
    out["milestones"] = sorted(cleaned, key=lambda m: m["due"])
    return out


def warn_days_of(policy: Mapping[str, Any] | None) -> int:
    """Working days before a deadline when a light turns yellow, from the server's policy
    (the `settings` record `supervision`); the default when there is none."""
    days = (policy or {}).get("warn_days")
    if isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= 30:
        return days
    return DEFAULT_WARN_DAYS


def open_milestones(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The task's milestones not yet reached, earliest first."""
    return sorted((m for m in task.get("milestones") or []
                   if isinstance(m, Mapping) and not m.get("done_on") and m.get("due")),
                  key=lambda m: str(m.get("due")))


def milestone_light(milestone: Mapping[str, Any], *, today: date,
                    warn_days: int = DEFAULT_WARN_DAYS,
                    calendar: WorkdayCalendar | None = None) -> Light | None:
    """A milestone's own light (None once reached)."""
    if milestone.get("done_on"):
        return None
    try:
        due = parse_day(milestone.get("due"), field_name="milestones")
    except ValidationError:
        return None
    return deadline_light(deadline=due, today=today, warn_days=warn_days, calendar=calendar)


def units_of(task: Mapping[str, Any]) -> list[str]:
    """The responsible units: the lead unit first, then the assisting ones."""
    lead = str(task.get("lead_unit_id") or "")
    return [u for u in [lead, *(task.get("assist_unit_ids") or [])] if u]


#: lights from good to bad: a task shows the worst of its deadline's and its milestones'
LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED)


def task_light(task: Mapping[str, Any], *, today: date, warn_days: int = DEFAULT_WARN_DAYS,
               calendar: WorkdayCalendar | None = None) -> Light | None:
    """Green / yellow / red for an unfinished task (None once closed): the worst of its
    deadline's light and the lights of the milestones not yet reached."""
    if task.get("state") == "closed":
        return None
    try:
        deadline = parse_day(task.get("deadline"), field_name="deadline")
    except ValidationError:
        return None
    days = task.get("warn_days")
    warn = int(days) if isinstance(days, int) and not isinstance(days, bool) else warn_days
    lights = [deadline_light(deadline=deadline, today=today, warn_days=warn, calendar=calendar)]
    lights += [milestone_light(m, today=today, warn_days=warn, calendar=calendar)
               for m in open_milestones(task)]
    return max((x for x in lights if x is not None), key=LIGHT_ORDER.index)


def _period(every: str) -> timedelta:
    return timedelta(days=7 if every == "weekly" else 30)


def report_due(task: Mapping[str, Any], unit_id: str, *, calendar: WorkdayCalendar | None = None
               ) -> date | None:
    """When the unit's next progress report is due (None: no schedule or closed)."""
    every = task.get("report_every")
    if every not in REPORT_EVERY or task.get("state") == "closed":
        return None
    last = (task.get("last_reports") or {}).get(unit_id) or task.get("started_on") \
        or task.get("created_at")
    try:
        base = parse_day(last, field_name="created_at")
    except ValidationError:
        return None
    cal = calendar or shipped_calendar()
    return cal.next_workday(base + _period(every))


def missing_reports(task: Mapping[str, Any], *, today: date,
                    calendar: WorkdayCalendar | None = None) -> dict[str, date]:
    """Units whose scheduled report is overdue today → the date it was due."""
    out = {}
    for unit in units_of(task):
        due = report_due(task, unit, calendar=calendar)
        if due is not None and today > due:
            out[unit] = due
    return out


def count_lights(tasks: Iterable[Mapping[str, Any]], *, today: date,
                 warn_days: int = DEFAULT_WARN_DAYS, calendar: WorkdayCalendar | None = None
                 ) -> dict[str, int]:
    """How many tasks carry each light, and how many are closed."""
    counts = {Light.GREEN.value: 0, Light.YELLOW.value: 0, Light.RED.value: 0, "closed": 0}
    for t in tasks:
        light = task_light(t, today=today, warn_days=warn_days, calendar=calendar)
        counts[light.value if light else "closed"] += 1
    return counts


def calendar_of(tables: Iterable[Mapping[str, Any]]) -> WorkdayCalendar:
    """The shipped calendar with admin-edited year tables (records of `calendars`) on top."""
    from oa_client.domain.workdays import parse_year_table

    years = dict(shipped_calendar().tables)
    for data in tables:
        try:
            table = parse_year_table({k: v for k, v in data.items()
                                      if k in ("format", "year", "region", "source", "holidays",
                                               "workdays")})
        except ValidationError:
            continue
        years[table.year] = table
    return WorkdayCalendar(years.values())
