"""Workflow events on a subject record, judged by the one workflow engine (DESIGN §7).

A module subclasses `FlowEvents` (documents, requests, supervision tasks …), says
which collection holds the events and which the subject, and which flow definition
applies; the server then replays the subject's accepted events, judges the new one
(accepted / superseded / rejected), pins the holders of the step it opens from the
server's org chart, and projects the resulting state onto the subject record
(`flow_step`, `flow_status`, `holder_ids`, and `audience_users`: the route — everyone who
held or acted on a step, and their delegates — whom `oa_server.visibility` lets see it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pydantic

from oa_client.domain.workflow import (
    AddLimit,
    Delegation,
    Event,
    FlowDefinition,
    FlowState,
    Workflow,
    calendar_add_limit,
)
from oa_client.domain.workflow.model import BEIJING
from oa_server.authority import Authority, Ruling
from oa_server.authority.context import Ctx
from oa_server.i18n import _
from sync.protocol import CHILD_COLLECTIONS, Op

EVENT_FIELDS = tuple(Event.model_fields)


def event_of(record_id: str, payload: dict[str, Any]) -> Event:
    """The workflow event inside a stored event record (its other fields set aside)."""
    data = {k: payload[k] for k in EVENT_FIELDS if k in payload}
    data["id"] = record_id
    return Event.model_validate(data)


def server_time(ctx: Ctx, payload: dict[str, Any]) -> dict[str, Any]:
    """The event as the server takes it: at the server's time (`at`), which judges 委托
    windows and starts time limits, and which the timeline shows; the desk's own clock is kept
    as `client_at`, for the record only (a desk's clock may be wrong, or set back on purpose)."""
    out = {**payload, "at": ctx.now.isoformat()}
    out.setdefault("client_at", payload.get("at"))
    return out


class FlowEvents(Authority):
    """Append-only flow events for one kind of subject; subclass and set the three names."""

    collection = ""  # e.g. "document_events"
    subject = ""  # e.g. "documents"

    @property
    def subject_key(self) -> str:
        """The field of an event naming its subject (from sync.protocol.CHILD_COLLECTIONS)."""
        return CHILD_COLLECTIONS[self.collection][1]

    # -- what a module decides ----------------------------------------------------------

    def definition(self, ctx: Ctx, subject: dict[str, Any]) -> FlowDefinition:
        """The flow this subject follows (per unit template, or the shipped default)."""
        raise NotImplementedError

    def add_limit(self, ctx: Ctx, subject: dict[str, Any]) -> AddLimit:
        """How step time limits become deadlines (working days when the module says so)."""
        return calendar_add_limit

    def project(self, ctx: Ctx, subject: dict[str, Any], state: FlowState,
                event: dict[str, Any]) -> dict[str, Any]:
        """The subject's new data after an accepted event (default: flow fields and route)."""
        out = dict(subject)
        out["flow_status"] = state.status
        out["flow_step"] = state.current.step if state.current else None
        out["holder_ids"] = list(state.holders)
        out["due_at"] = (state.current.due_at.isoformat()
                         if state.current and state.current.due_at else None)
        out["audience_users"] = self.route(ctx, subject, state)
        return out

    def actors(self, subject: dict[str, Any], state: FlowState) -> set[str]:
        """Who acted on the subject's flow (default: everyone in its history)."""
        return {h.actor_id for h in state.history}

    def route(self, ctx: Ctx, subject: dict[str, Any], state: FlowState) -> list[str]:
        """The subject's route, kept: whoever was on it before, everyone who held or acted on
        a step, the delegates of 委托 in the flow, and the standing delegates of the current
        holders (they act for them, so they see it)."""
        people = {str(u) for u in subject.get("audience_users") or [] if u}
        for act in [*state.trail, *([state.current] if state.current else [])]:
            for part in act.parts:
                people.update([*part.holders, *part.former])
        people |= self.actors(subject, state)
        people |= {d.delegate_id for d in state.delegations}
        holders, today = set(state.holders), ctx.now.astimezone(BEIJING).date()
        people |= {d.delegate_id for d in self.delegations(ctx)
                   if d.principal_id in holders and d.start <= today <= d.end}
        return sorted(people)

    # -- the machinery ------------------------------------------------------------------

    def delegations(self, ctx: Ctx) -> list[Delegation]:
        """Standing 委托 records (collection `delegations`) that apply to anyone."""
        out = []
        for rec in ctx.records("delegations"):
            try:
                out.append(Delegation(principal_id=rec["principal_id"],
                                      delegate_id=rec["delegate_id"],
                                      start=date.fromisoformat(rec["start"]),
                                      end=date.fromisoformat(rec["end"]), event_id=rec["id"]))
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def workflow(self, ctx: Ctx, subject: dict[str, Any]) -> Workflow:
        """The engine for this subject, resolving holders from the server's org chart."""
        return Workflow(self.definition(ctx, subject), resolver=ctx.org,
                        add_limit=self.add_limit(ctx, subject),
                        delegations=self.delegations(ctx))

    def events(self, ctx: Ctx, subject_id: str) -> list[Event]:
        """The subject's accepted events, in revision order."""
        recs = [r for r in ctx.children(self.collection, self.subject, subject_id)
                if r.get("status") == "applied"]
        # by the sequence stamped on arrival: revisions move when the subject's readers change
        recs.sort(key=lambda r: (float(r.get("seq") or 0), int(r.get("rev") or 0)))
        return [event_of(r["id"], r) for r in recs]

    def next_seq(self, ctx: Ctx, subject_id: str) -> int:
        """The arrival number of the next event on a subject."""
        recs = ctx.children(self.collection, self.subject, subject_id)
        return int(max((float(r.get("seq") or 0) for r in recs), default=0)) + 1

    def state(self, ctx: Ctx, subject: dict[str, Any]) -> FlowState:
        """The subject's flow state now (as the server holds it)."""
        return self.workflow(ctx, subject).replay(self.events(ctx, str(subject["id"])))

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge the event against the replayed state; pin what it opens."""
        if op.kind != "action" or current is not None:
            return Ruling.reject("append_only", _("流转记录只能追加，不能修改或删除"))
        subject = ctx.get(self.subject, str(payload.get(self.subject_key) or ""))
        if subject is None:
            return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
        try:
            event_of(op.entity_id, payload)  # the event as the desk sent it must read, its time too
            payload = server_time(ctx, payload)
            event = event_of(op.entity_id, payload)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return Ruling.reject("validation", _("流转记录的内容不正确：{field}").format(field=where))
        if event.actor_id != ctx.user_id:
            return Ruling.reject("forbidden", _("只能以本人身份办理"))
        refusal = self.target_refusal(ctx, event)
        if refusal is not None:
            return refusal
        workflow = self.workflow(ctx, subject)
        state = workflow.replay(self.events(ctx, str(subject["id"])))
        verdict = workflow.judge(state, event)
        if verdict.outcome == "accepted":
            pinned = workflow.pin(state, event)
            out = {**payload, **pinned.model_dump(mode="json", exclude_none=True),
                   "status": "applied", "seq": self.next_seq(ctx, str(subject["id"]))}
            if verdict.delegated:
                out["delegated"] = True
            return Ruling.accept(out)
        if verdict.outcome == "superseded":
            out = {**payload, "status": "superseded", "reason": verdict.message or "",
                   "seq": self.next_seq(ctx, str(subject["id"]))}
            return Ruling.supersede(out, verdict.message or _("该步骤已由他人办理，您的意见已保留"))
        return Ruling.reject(verdict.code or "not_allowed",
                             verdict.message or _("您现在不能办理该操作"))

    @staticmethod
    def target_refusal(ctx: Ctx, event: Event) -> Ruling | None:
        """A 转办 or 委托 goes only to someone who can take it: an active business user (not one
        of the 三员, not a disabled or role-less account), else the step is held by nobody."""
        if event.action not in ("reassign", "delegate") or not event.to_user \
                or ctx.org.business_user(event.to_user) is not None:
            return None
        if event.action == "delegate":
            return Ruling.reject("bad_delegation",
                                 _("受委托人须是在岗的业务人员，不能是管理员或已停用的账号"))
        return Ruling.reject("bad_reassign",
                             _("转办对象须是在岗的业务人员，不能是管理员或已停用的账号"))

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Project the new state onto the subject (and whatever the module adds)."""
        if payload.get("status") != "applied":
            return
        subject = ctx.get(self.subject, str(payload.get(self.subject_key) or ""))
        if subject is None:
            return
        state = self.state(ctx, subject)
        data = self.project(ctx, subject, state, payload)
        ctx.put(self.subject, str(subject["id"]), data)
