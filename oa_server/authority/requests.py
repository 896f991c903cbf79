"""Internal requests (零跑动事项) with the server as the authority.

- `service_items`: the catalogue, written only by an administrator's import.
- `requests`: who may apply, the form checked with the item's own schema, server-owned
  fields (state, approver_ids, number …) kept; an edit after submission that changes the
  route is noted and the approvers are told; a finished request cannot be edited.
- `request_events`: the item's flow run by the one workflow engine, holders resolved from
  the org chart (科室负责人, 分管领导, 人事科, 财务科, 办公室), values snapshotted from the
  request's form, 加签 and 不予批准 (reject) on top of the engine's return.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from oa_client.domain import leave
from oa_client.domain.catalogue import ROLE_IDS, ServiceItem, may_apply, route_changes
from oa_client.domain.catalogue_flow import (
    APPLY_STEP,
    flow_definition,
    flow_values,
    signer_field,
    step_names,
)
from oa_client.domain.forms import validate
from oa_client.domain.ids import new_id
from oa_client.domain.workdays import shipped_calendar
from oa_client.domain.workflow import FlowDefinition, FlowState, Workflow
from oa_client.domain.workflow.model import BEIJING
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.context import Ctx
from oa_server.authority.flow import FlowEvents
from oa_server.authority.requests_catalogue import item_of
from oa_server.authority.requests_org import OFFICE_WORDS, RequestOrg
from oa_server.i18n import _
from sync.protocol import Op

#: fields of a request only the server writes
SERVER_FIELDS = (
    "state", "approver_ids", "holder_ids", "flow_step", "flow_status", "due_at", "number",
    "outputs", "finished_at", "submitted_at", "promised_by", "applicant_id", "step_name", "notices",
    "rejected", "item_code", "item_name", "item_version", "category", "audience_users",
    "audience_units", "audience_roles", "values", "office_ids",
)
#: the roles of a request's handling office (办公室, 人事科, 财务科)
OFFICE_ROLES = frozenset({"office_director", *OFFICE_WORDS})
CLOSED_STATES = ("approved", "rejected")


def workdays_between(a: date, b: date) -> int:
    """Working days on the shipped holiday calendar (the client counts the same way)."""
    return shipped_calendar().workdays_between(a, b)


def _problems_text(item: ServiceItem, form: dict[str, Any], today: date) -> str | None:
    problems = validate(item.form, form, today=today, workdays_between=workdays_between)
    if not problems:
        return None
    shown = "；".join(p.message for p in problems[:5])
    more = _("等{n}处").format(n=len(problems)) if len(problems) > 5 else ""
    return _("表单填写有误：{problems}{more}").format(problems=shown, more=more)


def _item_for(ctx: Ctx, request: dict[str, Any]) -> ServiceItem | None:
    return item_of(ctx.get("service_items", str(request.get("service_item_id") or "")))


def annual_leave_left(ctx: Ctx, applicant_id: str, *, exclude: str, today: date) -> int:
    """年休假 days the applicant has left this year, from the requests the server holds
    (in progress or approved), the one being submitted (`exclude`) not counted. The org
    chart holds no hire dates yet: everyone has the default entitlement, as on the desk."""
    requests = [r for r in ctx.records("requests", created_by=applicant_id) if r["id"] != exclude]
    return leave.balance({}, requests, today=today, item_of=lambda rec: _item_for(ctx, rec),
                         workdays_between=workdays_between)


class ServiceItems(Authority):
    """The catalogue is administered on the server (import), never written by a client."""

    collection = "service_items"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Refuse every client write."""
        return Ruling.reject("read_only", _("事项清单只能由管理员在服务器上导入"))


class Requests(Authority):
    """A request: applicant, form and its checks; the flow fields are the server's."""

    collection = "requests"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Who may apply and edit; the form validated with the item's schema when submitted."""
        if current is not None and str(current.get("applicant_id") or current.get("created_by")) != ctx.user_id:
            return Ruling.reject("forbidden", _("只有申请人本人可以修改申请"))
        if op.kind == "delete":
            if current and current.get("state") not in (None, "draft"):
                return Ruling.reject("not_draft", _("已提交的申请不能删除，可以撤回"))
            return Ruling.accept(payload)
        if current is not None and (current.get("state") in CLOSED_STATES):
            word = _("已批准") if current.get("state") == "approved" else _("未获批准")
            return Ruling.reject("closed", _("该申请已办结（{state}），不能再修改；您的修改已保留在本机").format(
                state=word))
        item = _item_for(ctx, payload if current is None else {**current, **payload})
        if item is None:
            return Ruling.reject("validation", _("申请的事项不存在或已停用，请在事项清单中重新选择"))
        if current is None:
            record = ctx.get("service_items", str(payload.get("service_item_id")))
            if record and record.get("retired"):
                return Ruling.reject("retired", _("事项“{name}”已停用，请选择新版本").format(name=item.name))
            if not may_apply(item, roles=set(ctx.user.roles)):
                return Ruling.reject("forbidden", _("您不在事项“{name}”的申请范围内").format(name=item.name))
        if current is not None and payload.get("service_item_id") != current.get("service_item_id"):
            return Ruling.reject("validation", _("提交后不能更换事项"))
        form = payload.get("form")
        if not isinstance(form, dict):
            return Ruling.reject("validation", _("申请表单内容不正确"))
        submitted = bool(payload.get("submitted")) or bool(current and current.get("submitted"))
        in_review = bool(current) and current.get("flow_status") == "running" and \
            current.get("flow_step") not in (None, APPLY_STEP)
        if in_review:  # an edit under review is checked here; a submission by its events
            problem = _problems_text(item, form, ctx.now.date())
            if problem:
                return Ruling.reject("validation", problem)
        out = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
        keep = {k: current[k] for k in SERVER_FIELDS if current and k in current}
        out.update(keep)
        out["submitted"] = submitted
        out.setdefault("title", item.name)
        if current is None:
            out.update(applicant_id=ctx.user_id, state="draft", item_code=item.code,
                       item_name=item.name, item_version=item.version, category=item.category)
        return Ruling.accept(out)

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Note a route change and tell the approvers (who sees a request: visibility)."""
        rid = op.entity_id
        record = ctx.get("requests", rid)
        if record is None:
            return
        data = {k: v for k, v in record.items() if k not in ("id", "rev", "created_by")}
        item = _item_for(ctx, record)
        running = record.get("flow_status") == "running" and record.get("flow_step") != APPLY_STEP
        if current is not None and item is not None and running:
            before, after = current.get("form") or {}, record.get("form") or {}
            added, removed = route_changes(item, before, after, workdays_between=workdays_between)
            if added or removed:
                names = step_names(item)
                told = list(dict.fromkeys([*(record.get("approver_ids") or [])]))
                notice = {
                    "at": ctx.now.isoformat(), "by": ctx.user_id, "to": told,
                    "added": [names.get(s.key, s.key) for s in added],
                    "removed": [names.get(s.key, s.key) for s in removed],
                    "message": _("申请人修改了表单，审批流程已重新计算：{change}").format(
                        change=_change_words(added, removed, names)),
                }
                data["notices"] = [*(record.get("notices") or []), notice]
                ctx.put("request_events", new_id(), {
                    "request_id": rid, "action": "note", "status": "note", "actor_id": ctx.user_id,
                    "at": ctx.now.isoformat(), "opinion": notice["message"], "notified": told,
                    "seq": len(RequestEvents().events(ctx, rid)) + 0.5,
                })
                ctx.audit("request.route_changed", target=f"requests:{rid}", details=notice)
                ctx.put("requests", rid, data)


def _change_words(added: list, removed: list, names: dict[str, str]) -> str:
    parts = []
    if added:
        parts.append(_("增加{steps}").format(steps="、".join(names.get(s.key, s.key) for s in added)))
    if removed:
        parts.append(_("不再需要{steps}").format(steps="、".join(names.get(s.key, s.key) for s in removed)))
    return "，".join(parts)


class RequestEvents(FlowEvents):
    """The request's approval flow: the catalogue flow run by the shared workflow engine."""

    collection, subject = "request_events", "requests"

    def definition(self, ctx: Ctx, subject: dict[str, Any]) -> FlowDefinition:
        """The flow of the item version the request was filed under."""
        item = _item_for(ctx, subject)
        if item is None:
            raise LookupError(subject.get("service_item_id"))
        return flow_definition(item)

    def workflow(self, ctx: Ctx, subject: dict[str, Any]) -> Workflow:
        """The engine with the request's own resolver (fallbacks, never the applicant)."""
        applicant = str(subject.get("applicant_id") or subject.get("created_by") or "")
        return Workflow(self.definition(ctx, subject), resolver=RequestOrg(ctx.org, applicant_id=applicant),
                        add_limit=self.add_limit(ctx, subject), delegations=self.delegations(ctx))

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Fill what only the server knows (values, unit, department, 加签) and judge the event."""
        subject = ctx.get("requests", str(payload.get("request_id") or ""))
        if subject is None or op.kind != "action":
            return super().check(ctx, op, payload, current)
        item = _item_for(ctx, subject)
        if item is None:
            return Ruling.reject("validation", _("申请的事项不存在或已停用"))
        if subject.get("state") in CLOSED_STATES and payload.get("action") != "urge":
            return Ruling.reject("closed", _("该申请已办结，不能再办理"))
        action = payload.get("action")
        if not isinstance(payload.get("add_signer", ""), str | None):  # a person's id, or none
            return Ruling.reject("validation", _("加签人不存在、已停用、是管理员账号或是您本人"))
        applicant = str(subject.get("applicant_id") or subject.get("created_by") or "")
        if action in ("reassign", "delegate") and str(payload.get("to_user") or "") == applicant:
            return Ruling.reject("validation", _("不能转办或委托给申请人本人：申请人不能审批自己的申请"))
        # (time limits run on the server's clock: FlowEvents.check takes the event at the
        # server's time, the desk's own kept as client_at)
        payload = {k: v for k, v in payload.items() if k not in ("opened", "values", "reject_request")}
        form = subject.get("form") or {}
        if action in ("start", "submit"):
            if ctx.user_id != str(subject.get("applicant_id")):
                return Ruling.reject("forbidden", _("只有申请人本人可以提交申请"))
            if isinstance(payload.get("form"), dict):  # the submission carries the form it submits
                form = payload["form"]
            if leave.is_annual_leave(subject, form):  # the balance is the server's, not the desk's
                form = {**form, "annual_leave_balance": annual_leave_left(
                    ctx, ctx.user_id, exclude=str(subject["id"]),
                    today=ctx.now.astimezone(BEIJING).date())}
                if isinstance(payload.get("form"), dict):
                    payload["form"] = form
            problem = _problems_text(item, form, ctx.now.date())
            if problem:
                return Ruling.reject("validation", problem)
        if action == "start":
            me = ctx.org.user(ctx.user_id)
            payload["unit_id"] = str(me.unit_id) if me else None
            payload["department_id"] = str(me.department_id) if me and me.department_id else None
        if action in ("start", "submit", "approve", "read"):
            values = flow_values(item, form, workdays_between=workdays_between)
            step = payload.get("step")
            signer = payload.get("add_signer")
            if step and action == "approve":
                if signer:
                    who = ctx.org.business_user(str(signer))
                    if who is None or str(signer) == ctx.user_id:
                        return Ruling.reject("validation", _("加签人不存在、已停用、是管理员账号或是您本人"))
                    if str(signer) == applicant:  # nobody approves their own request
                        return Ruling.reject("validation", _("不能加签申请人本人审批自己的申请"))
                    values[signer_field(step)] = [str(signer)]
                else:
                    values[signer_field(step)] = None
            payload["values"] = values
        elif payload.get("add_signer"):
            return Ruling.reject("validation", _("只有同意时可以加签"))
        if action == "return" and payload.get("reject"):
            payload["to_step"] = APPLY_STEP
        ruling = super().check(ctx, op, payload, current)
        if ruling.payload is not None and ruling.status == "accept":
            ruling.payload["seq"] = len(self.events(ctx, str(subject["id"]))) + 1
        return ruling

    def project(self, ctx: Ctx, subject: dict[str, Any], state: FlowState,
                event: dict[str, Any]) -> dict[str, Any]:
        """The request's state, approvers, step name, number and outputs after the event."""
        out = super().project(ctx, subject, state, event)
        item = _item_for(ctx, subject)
        names = step_names(item) if item else {}
        step = out["flow_step"]
        returned = any(h.action == "return" and h.outcome == "accepted" for h in state.history)
        if event.get("action") == "return" and event.get("reject"):
            out["rejected"] = True
        if out.get("rejected"):
            out.update(state="rejected", approver_ids=[], holder_ids=[], due_at=None,
                       finished_at=ctx.now.isoformat())
        elif state.status == "completed":
            out.update(state="approved", approver_ids=[], finished_at=ctx.now.isoformat())
            out["outputs"] = self.outputs(ctx, subject, item)
        elif step == APPLY_STEP:
            out.update(state="returned" if returned else "draft", approver_ids=[])
        else:
            acted = any(h.action == "approve" and h.outcome == "accepted" for h in state.history)
            out.update(state="in_review" if acted else "submitted", approver_ids=list(state.holders))
        if event.get("action") in ("start", "submit") and isinstance(event.get("form"), dict):
            out.update(form=event["form"], submitted=True)
        out["step_name"] = names.get(step or "", "")
        if event.get("action") == "start":
            out["submitted_at"] = ctx.now.isoformat()
            if item is not None:  # 承诺时限: working days from the day it reached the server
                day = ctx.now.astimezone(BEIJING).date()
                out["promised_by"] = shipped_calendar().add_workdays(day, item.promise_days).isoformat()
            if not subject.get("number") and item is not None:
                year = ctx.now.year
                n = ctx.next_number(f"request:{item.code}:{year}")
                out["number"] = f"{item.code}-{year}-{n:04d}"
        if event.get("action") == "start" and item is not None:
            out["office_ids"] = self.office(ctx, subject, item, state)
        if state.status == "completed" and item is not None and item.output is not None \
                and item.output.sealed:  # the unit's 印章管理员 presses the seal on the output
            keepers = ctx.org.users_with_role("seal_keeper", str(subject.get("unit_id") or ""))
            out["audience_users"] = sorted({*out["audience_users"], *keepers})
        return out

    def office(self, ctx: Ctx, subject: dict[str, Any], item: ServiceItem, state: FlowState
               ) -> list[str]:
        """The item's handling office (办公室, 人事科, 财务科 of the applicant's unit): the
        people its office steps resolve to, who see the request from its submission."""
        org = RequestOrg(ctx.org, applicant_id=str(subject.get("applicant_id") or ""))
        roles = {ROLE_IDS.get(getattr(part, "role", None) or "") for element in item.flow.steps
                 for part in [element, *getattr(element, "parallel", [])]}
        return sorted({u for role in sorted(OFFICE_ROLES & roles)
                       for u in org.holders(role, unit_id=state.unit_id, department_id=None,
                                            context={})})

    def outputs(self, ctx: Ctx, subject: dict[str, Any], item: ServiceItem | None) -> list[dict[str, Any]]:
        """What the approved request produces (rendered and sealed by `requests_output`)."""
        if item is None or item.output is None:
            return list(subject.get("outputs") or [])
        from oa_server.authority.requests_output import produce

        return [produce(ctx, subject, item)]

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Project the state; an urge also hands a step whose holder left to the new holder."""
        super().effects(ctx, op, payload, current)
        if payload.get("status") == "applied" and payload.get("action") == "urge":
            subject = ctx.get("requests", str(payload.get("request_id") or ""))
            if subject is not None:
                reassign_departed(ctx, self, subject)


def reassign_departed(ctx: Ctx, flow: RequestEvents, subject: dict[str, Any], *,
                      moved_to: list[tuple[str, str]] | None = None) -> int:
    """A step held by someone who left goes to the position's new holder or the unit head
    (logged); each (request id, new holder) is added to `moved_to` when given."""
    try:
        state = flow.state(ctx, subject)
    except LookupError:
        return 0
    cur = state.current
    if state.status != "running" or cur is None or cur.step == APPLY_STEP:
        return 0
    sdef = flow.definition(ctx, subject).step(cur.step)
    org = RequestOrg(ctx.org, applicant_id=str(subject.get("applicant_id") or ""))
    moved = 0
    for part in cur.parts:
        if part.done or any(ctx.org.active_user(h) for h in part.holders):
            continue
        left = part.holders[0]
        spec = next((h for h in sdef.holders if h.role and part.key == h.role), None)
        role = spec.role if spec else None
        dept = state.department_id if spec is not None and spec.scope == "department" else None
        new = org.replacement(role, unit_id=state.unit_id, department_id=dept, left=left)
        if not new or new[0] in cur.holders:
            continue
        event_id = new_id()
        reason = _("原审批人已不在岗，已转交{name}办理").format(name=_name(ctx, new[0]))
        event = {"request_id": str(subject["id"]), "action": "reassign", "step": cur.step,
                 "actor_id": left, "at": ctx.now.isoformat(), "to_user": new[0],
                 "opinion": reason, "by_server": True, "status": "applied",
                 "seq": len(flow.events(ctx, str(subject["id"]))) + 1}
        ctx.put("request_events", event_id, event)
        ctx.audit("request.reassigned", target=f"requests:{subject['id']}",
                  details={"step": cur.step, "from": left, "to": new[0], "reason": "holder_left"})
        moved += 1
        if moved_to is not None:
            moved_to.append((str(subject["id"]), new[0]))
        state = flow.state(ctx, {**subject})
        cur = state.current
        if cur is None:
            break
    if moved:
        fresh = ctx.get("requests", str(subject["id"])) or subject
        data = flow.project(ctx, fresh, state, {"action": "reassign"})
        ctx.put("requests", str(subject["id"]), data)
    return moved


def running(ctx: Ctx) -> list[dict[str, Any]]:
    """Requests whose flow is running (only those records are decoded)."""
    ids = [rid for rid, text in ctx.texts("requests") if '"flow_status":"running"' in text]
    ctx.preload({("requests", i) for i in ids})
    found = (ctx.get("requests", i) for i in ids)
    return [r for r in found if r is not None and r.get("flow_status") == "running"
            and r.get("state") not in CLOSED_STATES]


def sweep(ctx: Ctx, *, moved_to: list[tuple[str, str]] | None = None) -> int:
    """Hand every running request whose step holder left to the new holder; how many moved
    (each (request id, new holder) added to `moved_to` when given)."""
    flow = RequestEvents()
    moved = 0
    for rec in running(ctx):
        moved += reassign_departed(ctx, flow, rec, moved_to=moved_to)
    return moved


def _name(ctx: Ctx, user_id: str) -> str:
    user = ctx.org.user(user_id)
    return user.name if user is not None else user_id


register(ServiceItems())
register(Requests())
register(RequestEvents())
