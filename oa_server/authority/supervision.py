"""Supervision (督查督办) rules on the server: tasks, progress reports, requests and decisions.

- `supervision_tasks`: who may open a task (督查室, leaders, office directors, or the flow
  of another module: a leader's real 批示 on a 公文 the author can see, made by the leader
  the task names as ordering it, or a decision of a meeting the author can see, ordered by
  its chair or the author); `ordered_by` is kept on edits but by the 督查室;
  the deadline checked against the start and the official calendar; states and the
  bookkeeping fields are the server's (changed only by events).
- `task_progress`: a responsible unit reports; a report on a closed task is refused.
- `task_events`: 延期 (request → the 督查室 or the ordering leader, who must hold a leader
  role, decides), 销号
  (request → the 督查室 confirms, or rejects and the task reopens), 调整牵头单位.
  The first of two competing requests wins; the later one is kept as superseded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, timedelta, timezone
from typing import Any

from oa_client.domain.indexed import is_text_list
from oa_client.domain.supervision import (
    ACTIONS,
    CREATOR_ROLES,
    IMPORTANCE,
    SUPERVISOR_ROLE,
    calendar_of,
    decides_extension,
    is_leader,
    parse_day,
    units_of,
    validate_task,
)
from oa_client.domain.workdays import WorkdayCalendar, check_deadline
from oa_client.errors import ValidationError
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from sync.protocol import Op

TASKS = "supervision_tasks"
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
#: fields only events (or the server) change
SERVER_FIELDS = (
    "state", "deadline", "lead_unit_id", "assist_unit_ids", "last_reports", "chased", "source",
    "pending_extension", "pending_close", "result", "closed_at", "closed_by", "created_at",
    "created_by_id", "started_on", "light", "audience_units", "audience_roles", "audience_users",
    "deadline_note", "extensions", "reopened", "last_rejection", "reassigned", "last_progress",
)
#: the server fields a desk sends when it opens a task (checked there); the others it drops
CREATE_FIELDS = ("deadline", "lead_unit_id", "assist_unit_ids", "source", "audience_roles",
                 "audience_users")


def roles(ctx: Ctx) -> set[str]:
    """The asking user's roles."""
    return set(ctx.user.roles)


def is_supervisor(ctx: Ctx) -> bool:
    """Whether the asking user works in the 督查室."""
    return SUPERVISOR_ROLE in roles(ctx)


def server_calendar(ctx: Ctx) -> WorkdayCalendar:
    """The shipped calendar with the admin-edited years (`calendars` records) on top."""
    return calendar_of(ctx.records("calendars"))


def put_task(ctx: Ctx, task: dict[str, Any]) -> None:
    """Store the server's change to a task (its readers follow its units: visibility)."""
    task["audience_units"] = units_of(task)
    ctx.put(TASKS, task["id"], task)


def _reject_validation(exc: ValidationError) -> Ruling:
    return Ruling.reject("validation", exc.message)


def _check_unit(ctx: Ctx, unit_id: str, field: str) -> None:
    unit = ctx.org.unit(unit_id)
    if unit is None:
        raise ValidationError(_("单位不存在：{id}").format(id=unit_id), field=field)
    if not unit.active:
        raise ValidationError(_("单位“{name}”已撤销，请另选单位").format(name=unit.name),
                              field=field)


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _flag_or_none(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _texts_or_none(value: Any) -> bool:
    return value is None or is_text_list(value)


#: a task's fields a desk writes, as the user knows them: (field, label, allowed)
TASK_FIELD_TYPES = (
    ("title", "事项名称", _text_or_none), ("content", "督办内容", _text_or_none),
    ("importance", "重要程度", lambda v: v in (None, "") or (isinstance(v, str) and v in IMPORTANCE)),
    ("source", "来源", lambda v: v is None or (isinstance(v, Mapping) and all(
        _text_or_none(v.get(k)) for k in ("kind", "collection", "id", "text", "doc_number",
                                          "title")))),
    ("milestones", "节点", lambda v: v is None or isinstance(v, list)),
    ("adjust_deadline", "顺延到工作日", _flag_or_none),
)
#: a milestone's elements: (key, label, allowed)
MILESTONE_TYPES = (("id", "标识", _text_or_none), ("title", "名称", _text_or_none),
                   ("due", "完成时间", _text_or_none), ("done_on", "实际完成日期", _text_or_none))
#: a progress report's fields: (field, label, allowed)
PROGRESS_FIELD_TYPES = (("text", "进展情况", _text_or_none), ("attachment_ids", "附件", _texts_or_none))
#: the labels above, for the catalogs (translated when a refusal is written)
_LABEL_IDS = (_("事项名称"), _("督办内容"), _("重要程度"), _("来源"), _("节点"), _("顺延到工作日"),
              _("标识"), _("名称"), _("完成时间"), _("实际完成日期"), _("进展情况"), _("附件"), _("理由"),
              _("办理结果"), _("意见"), _("申请编号"), _("延期后的期限"), _("牵头单位"),
              _("是否同意延期"), _("是否同意销号"))


def task_problem(data: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> Ruling | None:
    """A refusal naming the first of the task's fields (not in `skip`) holding the wrong kind
    of JSON value, or None."""
    for key, label, allowed in TASK_FIELD_TYPES:
        if key not in skip and not allowed(data.get(key)):
            return Ruling.reject("validation", _("督办事项的“{field}”数据格式不正确").format(
                field=_(label)))
    if "milestones" in skip:
        return None
    for n, m in enumerate(data.get("milestones") or [], start=1):
        if not isinstance(m, Mapping):
            return Ruling.reject("validation", _("督办事项的“{field}”数据格式不正确").format(
                field=_("节点")))
        for key, label, allowed in MILESTONE_TYPES:
            if not allowed(m.get(key)):
                return Ruling.reject("validation", _("第{n}个节点的“{field}”数据格式不正确").format(
                    n=n, field=_(label)))
    return None


def instructed_by(ctx: Ctx, doc_id: str, leader_id: str) -> bool:
    """Whether the leader made a 批示 (the 批办 step taken, in person or by 委托) on the 公文."""
    return any(e.get("status") == "applied" and e.get("action") == "approve"
               and e.get("step") == "instruct"
               and leader_id in (e.get("actor_id"), e.get("on_behalf_of"))
               for e in ctx.children("document_events", "documents", doc_id))


def instruction_refusal(ctx: Ctx, source: Mapping[str, Any], ordered_by: Any) -> Ruling | None:
    """Why a task may not cite this 批示 (None: a 公文 the user sees, 批示 by the leader the
    task names as ordering it)."""
    doc_id = str(source.get("id"))
    if source.get("collection") != "documents" or not ctx.visible("documents", doc_id):
        return Ruling.reject("forbidden", _(
            "领导批示督办须引用领导已批示、您能查看的公文：所引用的不是公文，或您无权查看"))
    leader = ctx.org.active_user(ordered_by) if isinstance(ordered_by, str) else None
    if leader is None or not is_leader(leader.roles):
        return Ruling.reject("forbidden", _("领导批示督办须写明作出批示的领导（主要领导或分管领导）"))
    if not instructed_by(ctx, doc_id, str(ordered_by)):
        return Ruling.reject("forbidden", _("{name}未在该公文上作出批示，不能以其名义立项督办").format(
            name=leader.name))
    return None


def minutes_refusal(ctx: Ctx, source: Mapping[str, Any], ordered_by: Any) -> Ruling | None:
    """Why a task may not cite this meeting (None: one the user sees, ordered by its chair,
    by the user or by nobody)."""
    meeting_id = str(source.get("id"))
    if source.get("collection") != "meetings" or not ctx.visible("meetings", meeting_id):
        return Ruling.reject("forbidden", _(
            "会议决定督办须引用您能查看的会议：所引用的不是会议，或您无权查看"))
    meeting = ctx.get("meetings", meeting_id) or {}
    if ordered_by not in (None, "", ctx.user_id, meeting.get("chair_id")):
        return Ruling.reject("forbidden", _("会议决定事项的交办人只能是会议主持人或立项人本人"))
    return None


class Tasks(Authority):
    """督办事项: who may open and edit one; the server keeps its state fields."""

    collection = TASKS

    def _create_refusal(self, ctx: Ctx, payload: dict[str, Any]) -> Ruling | None:
        """Why the user may not open this task (None: they may)."""
        if roles(ctx) & set(CREATOR_ROLES):
            return None
        source = payload.get("source")
        kind = source.get("kind") if isinstance(source, dict) else None
        if kind == "instruction" and source.get("id"):
            return instruction_refusal(ctx, source, payload.get("ordered_by"))
        if kind == "minutes" and source.get("id"):
            return minutes_refusal(ctx, source, payload.get("ordered_by"))
        return Ruling.reject("forbidden", _("只有督查室、领导或公文、会议流程可以立项督办"))

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Create: rights, fields, units and deadline; edit: the server's fields kept."""
        if op.kind == "delete":
            if is_supervisor(ctx):
                return Ruling.accept(payload)
            return Ruling.reject("forbidden", _("只有督查室可以删除督办事项"))
        if current is None:
            return self._create(ctx, payload)
        if not (is_supervisor(ctx) or ctx.user_id in (current.get("created_by"),
                                                      current.get("ordered_by"))):
            return Ruling.reject("forbidden", _("只有督查室或立项人可以修改督办事项"))
        wrong = task_problem(payload, skip=SERVER_FIELDS)
        if wrong is not None:
            return wrong
        out = dict(payload)
        out.pop("adjust_deadline", None)  # a request of the 立项 form, not the task's
        kept = SERVER_FIELDS if is_supervisor(ctx) else (*SERVER_FIELDS, "ordered_by")
        for key in kept:  # the ordering leader is no editor's to name but the 督查室's
            if key in current:
                out[key] = current[key]
            else:
                out.pop(key, None)
        reached = {m.get("id"): m.get("done_on") for m in current.get("milestones") or []
                   if isinstance(m, dict) and isinstance(m.get("id"), str) and m.get("done_on")}
        out["milestones"] = [{**m, "done_on": reached.get(m.get("id"))} if isinstance(m, dict)
                             else m for m in out.get("milestones") or []]  # reached: by reports
        try:
            out = validate_task(out)
        except ValidationError as exc:
            return _reject_validation(exc)
        return Ruling.accept(out)

    def _create(self, ctx: Ctx, payload: dict[str, Any]) -> Ruling:
        refused = self._create_refusal(ctx, payload)
        if refused is not None:
            return refused
        wrong = task_problem(payload)
        if wrong is not None:
            return wrong
        # what only the server writes starts as the server sets it, whatever the desk sent
        payload = {k: v for k, v in payload.items() if k not in SERVER_FIELDS or k in CREATE_FIELDS}
        adjust = bool(payload.pop("adjust_deadline", None))
        try:
            out = validate_task(payload)
            _check_unit(ctx, out["lead_unit_id"], "lead_unit_id")
            for unit in out["assist_unit_ids"]:
                _check_unit(ctx, unit, "assist_unit_ids")
            deadline = parse_day(out["deadline"], field_name="deadline")
        except ValidationError as exc:
            return _reject_validation(exc)
        for key in ("audience_roles", "audience_users"):
            extra = out.get(key) or []
            if not is_text_list(extra):
                return Ruling.reject("validation", _("{key} 必须是字符串列表").format(key=key))
        out["milestones"] = [{**m, "done_on": None} for m in out["milestones"]]  # none reached yet
        today = today_of(ctx)
        if deadline < today:
            return Ruling.reject("validation", _("办结期限{deadline}早于立项日期{start}").format(
                deadline=deadline.isoformat(), start=today.isoformat()))
        found = check_deadline(deadline, calendar=server_calendar(ctx))
        note = None
        if found is not None:
            if adjust:
                deadline = found.suggestion
            else:
                note = found.message
        out.update(
            state="open", deadline=deadline.isoformat(), deadline_note=note,
            created_at=ctx.now.isoformat(timespec="seconds"), created_by_id=ctx.user_id,
            started_on=today.isoformat(), last_reports={}, chased={}, pending_extension=None,
            pending_close=None, extensions=[], reopened=0,
            audience_units=[out["lead_unit_id"], *out["assist_unit_ids"]],
            audience_roles=sorted({*(out.get("audience_roles") or []), SUPERVISOR_ROLE}),
            audience_users=[u for u in dict.fromkeys(
                [*(out.get("audience_users") or []), out.get("ordered_by"), out.get("owner_id")])
                if u],
        )
        return Ruling.accept(out)


class Progress(Authority):
    """进展反馈: from a responsible unit, never on a closed task; append-only."""

    collection = "task_progress"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """The reporter's unit must be responsible and the task still open."""
        if op.kind != "action" or current is not None:
            return Ruling.reject("append_only", _("进展反馈报送后不能修改"))
        task = ctx.get(TASKS, str(payload.get("task_id") or ""))
        if task is None:
            return Ruling.reject("not_found", _("督办事项不存在"))
        if task.get("state") == "closed":
            return Ruling.reject("closed", _("该事项已销号，不能再报送进展"))
        unit = str(ctx.user.unit_id)
        if unit not in units_of(task) and not is_supervisor(ctx):
            return Ruling.reject("forbidden", _("只有牵头单位和配合单位可以报送进展"))
        for key, label, allowed in PROGRESS_FIELD_TYPES:
            if not allowed(payload.get(key)):
                return Ruling.reject("validation", _("进展反馈的“{field}”数据格式不正确").format(
                    field=_(label)))
        if not str(payload.get("text") or "").strip():
            return Ruling.reject("validation", _("请填写进展情况"))
        percent = payload.get("percent")
        if percent is not None and (not isinstance(percent, int) or isinstance(percent, bool)
                                    or not 0 <= percent <= 100):
            return Ruling.reject("validation", _("完成进度应在0到100之间"))
        reached = payload.get("milestone_id")
        if reached is not None:
            if not any(m.get("id") == reached for m in task.get("milestones") or []):
                return Ruling.reject("validation", _("该督办事项没有这个节点"))
            if unit != task.get("lead_unit_id") and not is_supervisor(ctx):
                return Ruling.reject("forbidden", _("节点完成情况由牵头单位报送"))
        return Ruling.accept({**payload, "author_id": ctx.user_id, "report_unit_id": unit,
                              "created_at": ctx.now.isoformat(timespec="seconds")})

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """The unit's last report date on the task; its 催办 answered."""
        task = ctx.get(TASKS, str(payload["task_id"]))
        if task is None:
            return
        unit = str(payload["report_unit_id"])
        task["last_reports"] = {**(task.get("last_reports") or {}),
                                unit: today_of(ctx).isoformat()}
        task["chased"] = {k: v for k, v in (task.get("chased") or {}).items() if k != unit}
        task["last_progress"] = str(payload.get("text") or "")[:200]
        reached = payload.get("milestone_id")
        if reached:  # the lead unit reports a milestone reached: its light goes out
            task["milestones"] = [{**m, "done_on": m.get("done_on") or today_of(ctx).isoformat()}
                                  if m.get("id") == reached else m
                                  for m in task.get("milestones") or []]
        put_task(ctx, task)


#: a request's or decision's fields, as the user knows them: (field, label, allowed)
EVENT_FIELD_TYPES = (
    ("reason", "理由", _text_or_none), ("result", "办理结果", _text_or_none),
    ("opinion", "意见", _text_or_none), ("request_id", "申请编号", _text_or_none),
    ("new_deadline", "延期后的期限", _text_or_none), ("lead_unit_id", "牵头单位", _text_or_none),
    ("approve", "是否同意延期", _flag_or_none), ("accept", "是否同意销号", _flag_or_none),
)


def _late(message: str, payload: dict[str, Any]) -> Ruling:
    return Ruling.supersede({**payload, "status": "superseded"}, message)


class Events(Authority):
    """延期、销号、调整牵头单位: requests from the units, decisions by the 督查室 or leader."""

    collection = "task_events"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge one request or decision against the task as the server holds it."""
        if op.kind != "action" or current is not None:
            return Ruling.reject("append_only", _("督办记录提交后不能修改"))
        if payload.get("actor_id") not in (None, ctx.user_id):
            return Ruling.reject("forbidden", _("不能以他人名义操作"))
        task = ctx.get(TASKS, str(payload.get("task_id") or ""))
        if task is None:
            return Ruling.reject("not_found", _("督办事项不存在"))
        for key, label, allowed in EVENT_FIELD_TYPES:
            if not allowed(payload.get(key)):
                return Ruling.reject("validation", _("督办记录的“{field}”数据格式不正确").format(
                    field=_(label)))
        out = {**payload, "actor_id": ctx.user_id, "actor_unit_id": str(ctx.user.unit_id),
               "created_at": ctx.now.isoformat(timespec="seconds"), "status": "applied"}
        action = payload.get("action")
        if action not in ACTIONS or action == "chase":  # 催办 comes from the server's clock
            return Ruling.reject("validation", _("不支持的督办操作"))
        judge = getattr(self, f"_{action}")
        try:
            return judge(ctx, task, out)
        except ValidationError as exc:
            return _reject_validation(exc)

    # -- judges (check) -------------------------------------------------------------------

    def _extend_request(self, ctx: Ctx, task: dict, out: dict) -> Ruling:
        if str(ctx.user.unit_id) not in units_of(task):
            return Ruling.reject("forbidden", _("只有牵头单位和配合单位可以申请延期"))
        new = parse_day(out.get("new_deadline"), field_name="new_deadline")
        if new <= parse_day(task.get("deadline"), field_name="deadline"):
            raise ValidationError(_("延期后的期限应晚于原期限"), field="new_deadline")
        if not str(out.get("reason") or "").strip():
            raise ValidationError(_("请说明延期理由"), field="reason")
        out["new_deadline"] = new.isoformat()
        if task.get("state") == "closed":
            return _late(_("该事项已销号，不能申请延期"), out)
        if task.get("pending_extension"):
            return _late(_("已有一份延期申请等待审批，本申请未予受理"), out)
        found = check_deadline(new, calendar=server_calendar(ctx))
        if found is not None:
            out["new_deadline"], out["note"] = found.suggestion.isoformat(), found.message
        return Ruling.accept(out)

    def _extend_decide(self, ctx: Ctx, task: dict, out: dict) -> Ruling:
        if not decides_extension(task, user_id=ctx.user_id, roles=ctx.user.roles):
            return Ruling.reject("forbidden", _("延期申请由督查室或交办领导审批"))
        pending = task.get("pending_extension") or {}
        if pending.get("id") != out.get("request_id"):
            return _late(_("该延期申请已处理或已撤销"), out)
        return Ruling.accept(out)

    def _close_request(self, ctx: Ctx, task: dict, out: dict) -> Ruling:
        if str(ctx.user.unit_id) not in units_of(task):
            return Ruling.reject("forbidden", _("只有牵头单位和配合单位可以申请销号"))
        if not str(out.get("result") or "").strip():
            raise ValidationError(_("请填写办理结果"), field="result")
        if task.get("state") == "closed":
            return _late(_("该事项已销号"), out)
        if task.get("state") == "closing":
            unit = ctx.org.unit((task.get("pending_close") or {}).get("unit_id"))
            return _late(_("{unit}已提出销号申请，等待督查室确认，本申请未予受理").format(
                unit=unit.name if unit else _("其他单位")), out)
        return Ruling.accept(out)

    def _close_decide(self, ctx: Ctx, task: dict, out: dict) -> Ruling:
        if not is_supervisor(ctx):
            return Ruling.reject("forbidden", _("销号须由督查室确认"))
        if not out.get("accept") and not str(out.get("opinion") or "").strip():
            raise ValidationError(_("退回销号申请时请写明理由"), field="opinion")
        pending = task.get("pending_close") or {}
        if task.get("state") != "closing" or pending.get("id") != out.get("request_id"):
            return _late(_("该销号申请已处理"), out)
        return Ruling.accept(out)

    def _reassign(self, ctx: Ctx, task: dict, out: dict) -> Ruling:
        if not is_supervisor(ctx):
            return Ruling.reject("forbidden", _("只有督查室可以调整牵头单位"))
        unit = str(out.get("lead_unit_id") or "")
        _check_unit(ctx, unit, "lead_unit_id")
        out["lead_unit_id"] = unit
        if task.get("state") == "closed":
            return _late(_("该事项已销号"), out)
        out["from_unit_id"] = task.get("lead_unit_id")
        return Ruling.accept(out)

    # -- effects ----------------------------------------------------------------------------

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Apply an accepted request or decision to the task."""
        if payload.get("status") != "applied":
            return
        task = ctx.get(TASKS, str(payload["task_id"]))
        if task is None:
            return
        action, eid = payload.get("action"), op.entity_id
        if action == "extend_request":
            task["pending_extension"] = {
                "id": eid, "new_deadline": payload["new_deadline"], "reason": payload.get("reason"),
                "unit_id": payload["actor_unit_id"], "by": ctx.user_id}
        elif action == "extend_decide":
            pending = task.get("pending_extension") or {}
            if payload.get("approve"):
                task["extensions"] = [*(task.get("extensions") or []), {
                    "from": task.get("deadline"), "to": pending.get("new_deadline"),
                    "approved_by": ctx.user_id, "at": today_of(ctx).isoformat()}]
                task["deadline"] = pending.get("new_deadline")
            task["pending_extension"] = None
        elif action == "close_request":
            task["state"] = "closing"
            task["pending_close"] = {"id": eid, "unit_id": payload["actor_unit_id"],
                                     "result": payload.get("result"), "by": ctx.user_id}
        elif action == "close_decide":
            pending = task.get("pending_close") or {}
            if payload.get("accept"):
                task.update(state="closed", result=pending.get("result"),
                            closed_at=ctx.now.isoformat(timespec="seconds"),
                            closed_by=ctx.user_id, light=None)
            else:
                task.update(state="open", reopened=int(task.get("reopened") or 0) + 1,
                            last_rejection=payload.get("opinion"))
            task["pending_close"] = None
        elif action == "reassign":
            move_lead(ctx, task, str(payload["lead_unit_id"]), reason=payload.get("reason") or "")
        put_task(ctx, task)


def move_lead(ctx: Ctx, task: dict[str, Any], unit_id: str, *, reason: str) -> None:
    """Give the task a new lead unit (the old one stays in the history), logged."""
    old = task.get("lead_unit_id")
    task["lead_unit_id"] = unit_id
    task["assist_unit_ids"] = [u for u in task.get("assist_unit_ids") or [] if u != unit_id]
    task["reassigned"] = [*(task.get("reassigned") or []), {
        "from": old, "to": unit_id, "at": today_of(ctx).isoformat(), "reason": reason}]
    ctx.audit("supervision.reassign", target=f"{TASKS}:{task['id']}",
              details={"from": old, "to": unit_id, "reason": reason})


def today_of(ctx: Ctx) -> date:
    """The date for this change in China (offices work on Beijing time, the clock is UTC)."""
    now = ctx.now if ctx.now.tzinfo is not None else ctx.now.replace(tzinfo=UTC)
    return now.astimezone(CHINA).date()


register(Tasks())
register(Progress())
register(Events())
