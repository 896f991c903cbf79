"""Reports (一张表) as the server rules them: data items, templates, submissions.

- `data_items`: written by the office that owns them, by those who keep its reports
  (`DICTIONARY_KEEPERS`; never a village); a changed definition is a new version (earlier
  versions kept in `versions`); everyone reads the dictionary.
- `report_templates`: an office issues a template to units below it; it sees every
  submission. A changed definition is a new `version`; earlier ones stay in `history` so an
  old draft can be migrated by data item.
- `submissions`: clients only append edit actions (never at a head's id); the head (one per
  template, unit and period) is written here, only into a record that is that unit's head:
  values merge cell by cell against the edit's base (two laptops never reject each other; the
  same cell changed on both becomes a conflict holding both), submit (late marked, or refused
  per template), return with cell comments, accept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError as PydanticError

from oa_client.domain.calendar_range import in_range
from oa_client.domain.indexed import is_text_list
from oa_client.domain.reports import DataItem, ReportTemplate, misspelt_period
from oa_client.domain.reports_check import validate_submission
from oa_client.domain.reports_dictionary import MISMATCH_CODE, dictionary_mismatches, mismatch_text
from oa_client.domain.reports_fill import migrate_draft
from oa_client.domain.reports_records import (
    EDIT_ACTIONS,
    apply_edit,
    confirmations,
    conflict_key,
    is_head_id,
    is_subordinate,
    merge_marks,
    resolve_conflicts,
    submission_id,
    template_of,
    values_shape_error,
)
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from oa_server.roles import DRAFTER, LEADER_ROLES, SECTION_CHIEF, STATISTICIAN, level_code

KEEP_HISTORY = 10
KEEP_SUBMITS = 5
#: who keeps an issuing office's 数据项目录: those who design and issue its reports (拟稿人, 科长,
#: 统计员) and its leaders — not its 文书/收发员, 印章管理员, 会议管理员 or 督查室
DICTIONARY_KEEPERS = frozenset({DRAFTER, SECTION_CHIEF, STATISTICIAN, *LEADER_ROLES})


def _parent(ctx: Ctx, unit_id: str) -> str | None:
    unit = ctx.org.unit(unit_id)
    return str(unit.parent_id) if unit is not None and unit.parent_id else None


def _level(ctx: Ctx, unit_id: str) -> str | None:
    unit = ctx.org.unit(unit_id)
    return unit.level if unit is not None else None


class DataItems(Authority):
    """The dictionary of figures: only the owning office's keepers change an item; changes are versions."""

    collection = "data_items"

    def check(self, ctx: Ctx, op: Any, payload: dict[str, Any], current: dict[str, Any] | None) -> Ruling:
        """Validate the definition; bump the version when it changed."""
        if op.kind == "delete":
            return Ruling.reject("read_only", _("数据项不能删除，可停用后发布新版本"))
        refusal = _keeper_refusal(ctx)
        if refusal is not None:
            return Ruling.reject("forbidden", refusal)
        if current is not None and current.get("unit_id") != str(ctx.user.unit_id):
            return Ruling.reject("forbidden", _("只有定义该数据项的单位可以修改它"))
        definition = {k: v for k, v in payload.items() if k in DataItem.model_fields}
        try:
            item = DataItem.model_validate({**definition, "version": 1})
        except PydanticError as exc:
            return Ruling.reject("validation", _("数据项有误：{error}").format(error=_first(exc)))
        if item.code != op.entity_id:
            return Ruling.reject("validation", _("数据项编码不能修改（记录为“{id}”）").format(id=op.entity_id))
        versions = list((current or {}).get("versions") or [])
        version = int((current or {}).get("version") or 1)
        if current is not None:
            before = {k: v for k, v in current.items() if k in DataItem.model_fields}
            old = DataItem.model_validate({**before, "version": version})
            if old.definition() != item.definition():
                versions = [*versions, old.model_dump(mode="json")][-KEEP_HISTORY:]
                version += 1
        out = {**payload, **item.model_dump(mode="json"), "version": version, "versions": versions,
               "retired": bool(payload.get("retired"))}
        return Ruling.accept(out)


def _keeper_refusal(ctx: Ctx) -> str | None:
    """Why the asking user may not define, revise or retire data items (None when they may)."""
    if level_code(_level(ctx, str(ctx.user.unit_id)) or "") == "village":
        return _("数据项目录由下发报表的单位维护；村级单位不下发报表，不能新建、修改或停用数据项")
    if not DICTIONARY_KEEPERS & set(ctx.user.roles):
        return _("只有下发报表单位的拟稿人、科长、统计员或单位领导可以新建、修改或停用数据项")
    return None


def _first(exc: PydanticError) -> str:
    err = exc.errors()[0]
    return str(err["ctx"]["error"]) if err["type"] == "value_error" else str(err["msg"])


class Templates(Authority):
    """Templates issued to subordinate units: valid definition, period, deadline, recipients."""

    collection = "report_templates"

    def check(self, ctx: Ctx, op: Any, payload: dict[str, Any], current: dict[str, Any] | None) -> Ruling:
        """Validate and version the template; only the issuing unit changes it."""
        if op.kind == "delete":
            return Ruling.reject("read_only", _("已下发的报表不能删除"))
        unit_id = str(ctx.user.unit_id)
        if current is not None and current.get("unit_id") != unit_id:
            return Ruling.reject("forbidden", _("只有下发该报表的单位可以修改它"))
        definition = payload.get("definition")
        if not isinstance(definition, dict):
            return Ruling.reject("validation", _("报表定义格式不正确，应为一份完整的报表模板"))
        try:
            template = ReportTemplate.model_validate({**definition, "version": 1})
        except PydanticError as exc:
            return Ruling.reject("validation", _("报表模板有误：{error}").format(error=_first(exc)))
        already = {i.get("code") for i in ((current or {}).get("definition") or {}).get("data_items") or []}
        mismatches = dictionary_mismatches(template, lambda code: ctx.get("data_items", code), already=already)
        if mismatches:
            return Ruling.reject(MISMATCH_CODE, mismatch_text(mismatches))
        try:
            deadline: dt.date | None = dt.date.fromisoformat(str(payload.get("deadline") or ""))
        except ValueError:
            deadline = None
        if deadline is None or not in_range(deadline):  # the reminders count days back from it
            return Ruling.reject("validation", _("请填写正确的截止日期，如 2026-04-10"))
        period = payload.get("period") or ""
        if not isinstance(period, str):
            return Ruling.reject("validation", _("报表所属期格式不正确，应为文字，如 2026-Q1"))
        if not period:
            return Ruling.reject("validation", _("请填写报表所属期"))
        # the desk's reports_issue.period_problem says the same; written here in the request's
        # language (a domain message formatted on the desk's side could not be retranslated)
        if (example := misspelt_period(template.period, period)) is not None:
            return Ruling.reject("validation", _("所属期“{period}”的写法不对，应写作 {example} 这样的格式")
                                 .format(period=period, example=example))
        recipients = payload.get("recipients") or []
        if not isinstance(recipients, list):
            return Ruling.reject("validation", _("填报单位格式不正确，应为单位列表"))
        if not recipients or not is_text_list(recipients):
            return Ruling.reject("validation", _("请至少选择一个填报单位"))
        for rid in recipients:
            unit = ctx.org.unit(rid)
            if unit is None or not unit.active or not is_subordinate(
                    rid, unit_id, parent_of=lambda u: _parent(ctx, u), level_of=lambda u: _level(ctx, u)):
                name = unit.name if unit is not None else rid
                return Ruling.reject("forbidden", _("“{unit}”不是本单位的下级单位，不能向其下发报表").format(unit=name))
        definition = template.model_dump(mode="json", exclude={"version"})
        version = int((current or {}).get("version") or 1)
        history = list((current or {}).get("history") or [])
        if current is not None and current.get("definition") != definition:
            history = [*history, {"version": version, "definition": current.get("definition")}][-KEEP_HISTORY:]
            version += 1
        issues = list((current or {}).get("issues") or [])
        if not issues or issues[-1].get("period") != period or issues[-1].get("deadline") != deadline.isoformat():
            issues = [i for i in issues if i.get("period") != period]
            issues.append({"period": period, "deadline": deadline.isoformat()})
        out = {**payload, "definition": definition, "name": template.name, "version": version,
               "history": history, "issues": issues, "deadline": deadline.isoformat(),
               "period_kind": template.period, "recipients": list(recipients),
               "audience_units": list(recipients), "issued_by": ctx.user_id}
        return Ruling.accept(out)


def _deadline(template: dict[str, Any], period: str) -> dt.date | None:
    for issue in template.get("issues") or []:
        if issue.get("period") == period:
            return dt.date.fromisoformat(issue["deadline"])
    if template.get("period") == period and template.get("deadline"):
        return dt.date.fromisoformat(template["deadline"])
    return None


def _own_head(record: dict[str, Any] | None, template_id: str, unit_id: str, period: str) -> dict[str, Any] | None:
    """The record at a head's id if it is that unit's head for that template and period, else None
    (something else squatting on the id is replaced by the head, never merged into)."""
    if record is None or record.get("kind") != "submission":
        return None
    if (record.get("template_id"), record.get("unit_id"), record.get("period")) != (template_id, unit_id, period):
        return None
    return record


class _Plan:
    """What one edit does to its head (computed in `check`, written in `effects`)."""

    def __init__(self, head: dict[str, Any], outcome: str, message: str | None = None) -> None:
        self.head, self.outcome, self.message = head, outcome, message


class Submissions(Authority):
    """Heads are server-written; clients append edits that merge cell by cell."""

    collection = "submissions"

    def check(self, ctx: Ctx, op: Any, payload: dict[str, Any], current: dict[str, Any] | None) -> Ruling:
        """Judge an edit action; the head it leads to is planned here and written in effects."""
        # a head's id is the server's (an edit there would squat on a unit's head), and anyone
        # can work it out: one answer whether or not the head exists, as for any refusal
        if is_head_id(op.entity_id):
            return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
        # an edit is append-only: an action, or (a plain save of a new record) an upsert creating it
        if current is not None or op.kind == "delete" or payload.get("kind") != "edit":
            return Ruling.reject("read_only", _("填报内容只能通过填报操作修改（保存、上报、退回）"))
        action = payload.get("action")
        if action not in EDIT_ACTIONS:
            return Ruling.reject("validation", _("未知的填报操作：{action}").format(action=action))
        template = ctx.get("report_templates", str(payload.get("template_id") or ""))
        if template is None or not ctx.visible("report_templates", template["id"]):
            return Ruling.reject("not_found", _("找不到这份报表，可能已被撤回"))
        issuer = action in ("return", "accept")
        unit_id = str(payload.get("target_unit_id") if issuer else ctx.user.unit_id)
        if issuer and template.get("unit_id") != str(ctx.user.unit_id):
            return Ruling.reject("forbidden", _("只有下发报表的单位可以审核、退回"))
        if not issuer and unit_id not in (template.get("recipients") or []):
            return Ruling.reject("forbidden", _("本单位不在这份报表的填报范围内"))
        period = str(payload.get("period") or "")
        deadline = _deadline(template, period)
        if deadline is None:
            return Ruling.reject("validation", _("这份报表没有下发“{period}”期").format(period=period))
        head_id = submission_id(template["id"], unit_id, period)
        if payload.get("submission_id") not in (None, head_id):
            return Ruling.reject("validation", _("填报记录与报表、单位、所属期不一致"))
        head = _own_head(ctx.get("submissions", head_id), template["id"], unit_id, period)
        try:
            plan = self._plan(ctx, payload, template, head, unit_id, period, deadline)
        except _Refused as exc:
            return Ruling.reject(exc.code, exc.message)
        ctx.plans[op.op_id] = plan
        out = {**payload, "submission_id": head_id, "state": "edit", "outcome": plan.outcome,
               "actor_id": ctx.user_id}
        if plan.message:
            return Ruling.supersede({**out, "reason": plan.message}, plan.message)
        return Ruling.accept(out)

    def effects(self, ctx: Ctx, op: Any, payload: dict[str, Any], current: dict[str, Any] | None) -> None:
        """Write the planned head (seen by the filling unit and the issuing unit)."""
        plan = ctx.plans.pop(op.op_id, None)
        if plan is None or plan.outcome == "unchanged":
            return
        head = {k: v for k, v in plan.head.items() if k != "fresh"}
        ctx.put("submissions", head["id"], head, unit_id=head["unit_id"])

    # -- planning ---------------------------------------------------------------------------

    def _plan(self, ctx: Ctx, payload: dict[str, Any], template: dict[str, Any], head: dict[str, Any] | None,
              unit_id: str, period: str, deadline: dt.date) -> _Plan:
        action = payload["action"]
        now = ctx.now.isoformat()
        new = dict(head) if head is not None else {
            "id": submission_id(template["id"], unit_id, period), "kind": "submission",
            "template_id": template["id"], "template_version": int(template.get("version") or 1),
            "unit_id": unit_id, "issuer_unit_id": template["unit_id"], "period": period,
            "deadline": deadline.isoformat(), "state": "draft", "values": {}, "conflicts": [],
            "comments": [], "submits": [], "dropped": [], "late": False, "name": template.get("name")}
        new["fresh"] = head is None
        new.pop("rev", None)
        new.pop("created_by", None)
        state = new.get("state")
        if action in ("return", "accept"):
            if head is None or state != "submitted":
                raise _Refused("validation", _("只有已上报的报表可以退回或审核通过"))
            if action == "accept":
                new.update(state="accepted", accepted_at=now, accepted_by=ctx.user_id)
                return _Plan(new, "accepted")
            comments = payload.get("comments") or []
            bad = _entries_error("comments", comments, text=True)
            if bad:
                raise _Refused("validation", _("退回意见格式不正确：{where}").format(where=bad))
            if not comments or not all(isinstance(c, dict) and str(c.get("text") or "").strip() for c in comments):
                raise _Refused("validation", _("退回时请至少写明一处需要修改的地方"))
            new.update(state="returned", comments=comments, returned_at=now, returned_by=ctx.user_id,
                       return_note=str(payload.get("note") or ""))
            return _Plan(new, "returned")
        if head is None and action == "resolve":
            raise _Refused("validation", _("没有需要处理的冲突"))
        return self._plan_values(ctx, payload, template, new, action, deadline, now)

    def _plan_values(self, ctx: Ctx, payload: dict[str, Any], template: dict[str, Any], new: dict[str, Any],
                     action: str, deadline: dt.date, now: str) -> _Plan:
        values = dict(new.get("values") or {})
        conflicts = list(new.get("conflicts") or [])
        latest = int(template.get("version") or 1)
        changed = False
        if action == "resolve":
            resolutions = payload.get("resolutions") or []
            bad = _entries_error("resolutions", resolutions, value=True)
            if bad:
                raise _Refused("validation", _("冲突取值格式不正确：{where}").format(where=bad))
            left = resolve_conflicts(values, conflicts, resolutions)
            changed = len(left) != len(conflicts)
            conflicts = left
        else:
            base, mine = payload.get("base") or {}, payload.get("values") or {}
            bad = values_shape_error(base) or values_shape_error(mine)
            if bad:
                raise _Refused("validation", _("填报数据格式不正确：{where}").format(where=bad))
            version = payload.get("template_version") or latest
            if isinstance(version, bool) or not isinstance(version, int):
                raise _Refused("validation", _("报表版本格式不正确，应为整数"))
            try:
                made_in = template_of(template, version)  # the version the edit was made in
            except KeyError:
                raise _Refused("validation", _("报表版本不存在，请同步后重试")) from None
            wrong = _kind_error(made_in, base) or _kind_error(made_in, mine)
            if wrong:
                raise _Refused("validation", wrong)
            prefilled = payload.get("prefilled")
            bad = _entries_error("prefilled", prefilled, value=True) if isinstance(prefilled, list) else None
            if bad:
                raise _Refused("validation", _("预填标记格式不正确：{where}").format(where=bad))
            if version != latest:  # an old laptop's draft: carry it into the new version by data item
                new_t = template_of(template)
                mine, dropped = migrate_draft(made_in, new_t, mine)
                base, _gone = migrate_draft(made_in, new_t, base)
                new["dropped"] = [*new.get("dropped", []), *[
                    {"field": p.field, "row": p.row, "column": p.column, "message": p.message,
                     "version": version} for p in dropped]]
            merged, found = apply_edit(values, base, mine, kept_by=str(new.get("updated_by") or ""),
                                       other_by=ctx.user_id, at=now,
                                       kept_device=str(new.get("updated_device") or ""),
                                       other_device=str(payload.get("device_id") or ""))
            changed = merged != values or bool(found)
            keys = {conflict_key(c) for c in found}
            conflicts = [c for c in conflicts if conflict_key(c) not in keys] + found
            values = merged
            if isinstance(payload.get("prefilled"), list):
                new["prefilled"] = merge_marks(list(new.get("prefilled") or []), payload["prefilled"])
        if new.get("state") in ("submitted", "accepted") and changed:
            return _Plan(new, "unchanged", _("这份报表已经上报，本次修改未生效（内容已保留在本机的填报记录中）；如需修改请联系下发单位退回"))
        new.update(values=values, conflicts=conflicts, updated_by=ctx.user_id, updated_at=now,
                   updated_device=str(payload.get("device_id") or ""), template_version=latest)
        if action != "submit":
            return _Plan(new, "saved" if changed or new.get("fresh") else "unchanged")
        return self._plan_submit(ctx, template, new, deadline, now)

    def _plan_submit(self, ctx: Ctx, template: dict[str, Any], new: dict[str, Any], deadline: dt.date,
                     now: str) -> _Plan:
        if new.get("state") in ("submitted", "accepted"):
            return _Plan(new, "unchanged")
        if new["conflicts"]:
            return _Plan(new, "saved", _("有{n}处冲突（两台电脑改了同一格），请选定取值后再上报；内容已保存").format(
                n=len(new["conflicts"])))
        problems = validate_submission(template_of(template), new["values"])
        if problems:
            return _Plan(new, "saved", _("还有{n}处问题，修改后才能上报：{first}；内容已保存").format(
                n=len(problems), first=problems[0].message))
        late = ctx.now.date() > deadline
        policy = (template.get("definition") or {}).get("late_policy", "allow")
        if late and policy == "refuse":
            return _Plan(new, "saved", _("已过截止日期（{deadline}），这份报表不再接受上报；内容已保存").format(
                deadline=deadline.isoformat()))
        confirmed, unconfirmed = confirmations(list(new.get("prefilled") or []), new["values"])
        submits = [*new.get("submits", []), {"at": now, "by": ctx.user_id, "late": late, "values": new["values"],
                                             "confirmed": confirmed, "unconfirmed": unconfirmed}][-KEEP_SUBMITS:]
        new.update(state="submitted", submitted_at=now, submitted_by=ctx.user_id, late=late,
                   submits=submits, resubmitted=len(submits) > 1, confirmed=confirmed, unconfirmed=unconfirmed)
        return _Plan(new, "submitted")


def _entries_error(name: str, entries: Any, *, value: bool = False, text: bool = False) -> str | None:
    """Where a list of cell addresses (comments, resolutions, pre-fill marks) has the wrong JSON type."""
    if not isinstance(entries, list):
        return name
    for i, entry in enumerate(entries):
        where = f"{name}[{i}]"
        if not isinstance(entry, dict):
            return where
        if not isinstance(entry.get("field"), str):
            return f"{where}.field"
        for key in ("row", "column"):
            if not isinstance(entry.get(key), str | None):
                return f"{where}.{key}"
        if value and not isinstance(entry.get("value"), str | int | float | None):
            return f"{where}.value"
        if text and not isinstance(entry.get("text"), str):
            return f"{where}.text"
    return None


def _kind_error(template: ReportTemplate, values: dict[str, Any]) -> str | None:
    """Why values do not fit the template's kinds of data (a table as rows, a field as one value)."""
    tables = {t.key: t for t in template.tables}
    fields = {r.code for r in template.field_refs()}
    for key, value in values.items():
        if key in tables and not isinstance(value, dict):
            return _("填报数据格式不正确：“{title}”（{key}）是表格，应按行填写").format(
                title=tables[key].title, key=key)
        if key in fields and isinstance(value, dict):
            return _("填报数据格式不正确：“{label}”（{key}）是单个数据项，不能按表格填写").format(
                label=template.label(key), key=key)
    return None


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


register(DataItems())
register(Templates())
register(Submissions())
