"""收文 routing (拟办 / 批办): what the office proposes and the leader decides — the leader who
批示, the 主办 and 协办 departments, the readers (传阅), the 办理期限 and 督办 — chosen from the
local org chart and checked as the server checks them, before anything is queued.

`routing_options` reads what a step may choose from (with the document's current values as
defaults: at 批办 the 拟办 proposal); `routing_values` turns what the screen chose into the
step's flow values (`incoming.json`: `leader`, `lead_department`, `assist_departments`,
`readers`, `handling_days`, `supervise`), refusing bad input with a `ValidationError` naming
the field. 承办 is then held by each chosen department's 科长 (the server resolves holders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _
from oa_client.store.local import LocalStore

#: the flow values this screen edits (each shown when the step may write it)
ROUTING_FIELDS = ("leader", "lead_department", "assist_departments", "readers",
                  "handling_days", "supervise", "countersign_departments")
#: who 批示 (the `leader` value the 批办 step's holders follow) → label id
LEADERS = (("principal_leader", "主要领导"), ("deputy_leader", "分管领导"))
_LEADER_IDS = (_("主要领导"), _("分管领导"))
#: the role that holds 承办 for a department
HANDLER_ROLE = "section_chief"
#: 办理期限 when nobody set one (days)
DEFAULT_HANDLING_DAYS = 10
MAX_HANDLING_DAYS = 3650


@dataclass(frozen=True)
class Department:
    """A department of the handling unit and who would hold its 承办."""

    id: str
    name: str
    unit_name: str
    chiefs: tuple[str, ...]  # names of its 科长


@dataclass(frozen=True)
class Person:
    """Someone who may read the document (传阅)."""

    id: str
    name: str
    unit_name: str
    department: str
    position: str


@dataclass
class RoutingOptions:
    """What a routing step offers, with the defaults to show."""

    leaders: list[tuple[str, str]]  # (value, "主要领导（陈志强）")
    departments: list[Department]
    people: list[Person]
    defaults: dict[str, Any] = field(default_factory=dict)
    today: date = field(default_factory=date.today)

    def department(self, dept_id: str) -> Department | None:
        """The department with this id, or None."""
        return next((d for d in self.departments if d.id == dept_id), None)


def _units(doc: dict[str, Any]) -> list[str]:
    """The handling unit, then the addressed one (市政府 mail handled by its 办公室)."""
    out = [str(doc.get("unit_id") or "")]
    addressed = str(doc.get("recipient_unit_id") or "")
    if addressed and addressed not in out:
        out.append(addressed)
    return [u for u in out if u]


def routing_options(store: LocalStore, doc: dict[str, Any], *, today: date) -> RoutingOptions:
    """The leaders, the handling unit's departments and the people of the handling and the
    addressed unit, from the local org cache; defaults from the document's current values."""
    units = {u["id"]: u for u in store.records.list("units", limit=10_000)}
    users = [u for u in store.records.list("users", order_by="name", limit=100_000)
             if u.get("active", True) is not False]
    mine = _units(doc)
    leaders = []
    for value, label in LEADERS:
        names = [u.get("name") or "" for u in users
                 if value in (u.get("roles") or []) and u.get("unit_id") in mine]
        leaders.append((value, f"{_(label)}（{'、'.join(names)}）" if names else _(label)))
    departments = _departments(units, users, mine[0] if mine else "")
    people = [Person(id=u["id"], name=str(u.get("name") or ""),
                     unit_name=str((units.get(u.get("unit_id")) or {}).get("name") or ""),
                     department=str(u.get("department") or ""),
                     position=str(u.get("position") or ""))
              for u in users if u.get("unit_id") in mine]
    return RoutingOptions(leaders=leaders, departments=departments, people=people,
                          defaults=routing_defaults(doc, today=today), today=today)


def unit_departments(store: LocalStore, unit_id: str) -> list[Department]:
    """A unit's departments from the local org chart, each with its 科长 (who holds 承办 and
    会签 for it)."""
    units = {u["id"]: u for u in store.records.list("units", limit=10_000)}
    users = [u for u in store.records.list("users", order_by="name", limit=100_000)
             if u.get("active", True) is not False]
    return _departments(units, users, unit_id)


def _departments(units: dict[str, dict], users: list[dict], unit_id: str) -> list[Department]:
    unit = units.get(unit_id) or {}
    out = []
    for d in unit.get("departments") or []:
        chiefs = tuple(u.get("name") or "" for u in users if u.get("department_id") == d["id"]
                       and HANDLER_ROLE in (u.get("roles") or []))
        out.append(Department(id=str(d["id"]), name=str(d.get("name") or ""),
                              unit_name=str(unit.get("name") or ""), chiefs=chiefs))
    return out


def routing_defaults(doc: dict[str, Any], *, today: date) -> dict[str, Any]:
    """What the screen starts from: the values already on the document (at 批办, the 拟办
    proposal), else the 主要领导, no departments, nobody to read, 10 days, no 督办."""
    lead = doc.get("lead_department") or []
    days = doc.get("handling_days")
    days = days if isinstance(days, int) and not isinstance(days, bool) and days > 0 \
        else DEFAULT_HANDLING_DAYS
    deadline = today + timedelta(days=days)
    supervise = doc.get("supervise")
    spec = supervise if isinstance(supervise, dict) else {}
    try:
        supervise_deadline = date.fromisoformat(str(spec.get("deadline") or ""))
    except ValueError:
        supervise_deadline = deadline
    return {
        "leader": doc.get("leader") or "principal_leader",
        "lead_department": str(lead[0]) if isinstance(lead, list) and lead else
        (str(lead) if isinstance(lead, str) and lead else ""),
        "assist_departments": [str(d) for d in doc.get("assist_departments") or []],
        "readers": [str(r) for r in doc.get("reader_ids") or []],
        "deadline": deadline,
        "supervise": bool(supervise),
        "supervise_deadline": supervise_deadline,
        "countersign_departments": [str(d) for d in doc.get("countersign_departments") or []],
    }


def routing_values(options: RoutingOptions, *, step: str, writable: tuple[str, ...] | list[str],
                   leader: str | None = None, lead_department: str | None = None,
                   assist_departments: list[str] | None = None, readers: list[str] | None = None,
                   deadline: date | None = None, supervise: bool = False,
                   supervise_deadline: date | None = None,
                   countersign_departments: list[str] | None = None) -> dict[str, Any]:
    """The flow values of a routing step from what was chosen; ValidationError (naming the
    field) for a department not of the handling unit or without a 科长, someone who is not
    in the org chart, a 办理期限 or 督办 deadline not after today, or 批办 without a 主办."""
    allowed = set(writable)
    values: dict[str, Any] = {}
    if "leader" in allowed and leader is not None:
        if leader not in {v for v, _label in options.leaders}:
            raise ValidationError(_("请选择批示领导"), field="leader")
        values["leader"] = leader
    lead = (lead_department or "").strip()
    assist = [d for d in dict.fromkeys(assist_departments or []) if d and d != lead]
    if "lead_department" in allowed:
        if lead:
            _check_department(options, lead, "lead_department")
            values["lead_department"] = [lead]
        elif step == "instruct":
            raise ValidationError(_("请选择主办科室（承办单位）"), field="lead_department")
    if "assist_departments" in allowed and (assist or assist_departments is not None):
        for dept in assist:
            _check_department(options, dept, "assist_departments")
        if assist or lead:
            values["assist_departments"] = assist
    if "readers" in allowed and readers is not None:
        known = {p.id for p in options.people}
        unknown = [r for r in readers if r not in known]
        if unknown:
            raise ValidationError(_("传阅人不在本单位通讯录中或已停用：{ids}").format(
                ids="、".join(unknown)), field="readers")
        values["readers"] = list(dict.fromkeys(readers))
    if "handling_days" in allowed and deadline is not None:
        values["handling_days"] = _days(options, deadline, "handling_days",
                                        _("办理期限应晚于今天（{today}）"))
    if "supervise" in allowed:
        values["supervise"] = False  # unticked at 批办: the 拟办 proposal's 督办 is dropped
        if supervise:
            until = supervise_deadline or deadline
            if until is None:
                raise ValidationError(_("请填写督办期限"), field="supervise")
            _days(options, until, "supervise", _("督办期限应晚于今天（{today}）"))
            values["supervise"] = {"deadline": until.isoformat()}
    if "countersign_departments" in allowed and countersign_departments is not None:
        chosen = [d for d in dict.fromkeys(countersign_departments) if d]  # 发文 at 核稿
        for dept in chosen:
            _check_department(options, dept, "countersign_departments")
        values["countersign_departments"] = chosen
    return values


def _check_department(options: RoutingOptions, dept_id: str, key: str) -> None:
    dept = options.department(dept_id)
    if dept is None:
        raise ValidationError(_("所选科室不属于本单位，请从本单位的科室中选择"), field=key)
    if not dept.chiefs and key == "countersign_departments":
        raise ValidationError(_("“{names}”没有科长，无人会签，请选择其他科室").format(
            names=dept.name), field=key)
    if not dept.chiefs:
        raise ValidationError(_("“{name}”没有科长，无人承办，请选择其他科室").format(name=dept.name),
                              field=key)


def _days(options: RoutingOptions, until: date, key: str, message: str) -> int:
    days = (until - options.today).days
    if days <= 0:
        raise ValidationError(message.format(today=options.today.isoformat()), field=key)
    if days > MAX_HANDLING_DAYS:
        raise ValidationError(_("期限不能超过 {n} 天").format(n=MAX_HANDLING_DAYS), field=key)
    return days


def check_values(store: LocalStore, doc: dict[str, Any], values: dict[str, Any] | None) -> None:
    """Refuse a 收文 step's routing values as the server would (before anything is queued):
    departments of the handling unit that have a 科长, people in the org chart, 1–3650 days."""
    if not values or doc.get("direction") != "incoming":
        return
    options = routing_options(store, doc, today=date.today())
    for key in ("lead_department", "assist_departments"):
        ids = values.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list):
            raise ValidationError(_("所选科室不属于本单位，请从本单位的科室中选择"), field=key)
        for dept in ids:
            _check_department(options, str(dept), key)
    readers = values.get("readers")
    if readers is not None:
        active = {u["id"] for u in store.records.list("users", limit=100_000)
                  if u.get("active", True) is not False}
        if not isinstance(readers, list) or any(str(r) not in active for r in readers):
            raise ValidationError(_("传阅人中有不存在或已停用的人员"), field="readers")
    days = values.get("handling_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)
                             or not 0 < days <= MAX_HANDLING_DAYS):
        raise ValidationError(_("办理期限应为 1 至 {n} 天").format(n=MAX_HANDLING_DAYS),
                              field="handling_days")
