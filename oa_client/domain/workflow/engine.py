"""The one workflow interpreter: (definition, events) → state, and what each user may do now."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oa_client.domain.workflow.conditions import evaluate
from oa_client.domain.workflow.definition import (
    COMPLETE_ACTIONS,
    END,
    FlowDefinition,
    StepDef,
    TimeLimit,
)
from oa_client.domain.workflow.model import (
    Activation,
    Allowed,
    Delegation,
    Event,
    FlowState,
    HistoryEntry,
    Opened,
    Part,
    PinnedPart,
)
from oa_client.domain.workflow.resolver import OrgResolver, calendar_add_limit
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.i18n import _

AddLimit = Callable[[datetime, TimeLimit], datetime]
_PLACEHOLDER = "\x00"


@dataclass(frozen=True)
class Verdict:
    """How the engine takes one event: accepted, superseded or rejected, and why."""

    outcome: str
    code: str | None = None
    message: str | None = None
    field: str | None = None
    identity: str = ""
    delegated: bool = False


def _no(code: str, message: str, *, field: str | None = None, superseded: bool = False) -> Verdict:
    return Verdict("superseded" if superseded else "rejected", code, message, field)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and v != ""]
    return [str(value)]


class Workflow:
    """Interprets one flow definition against an org chart; the same on the client and the server."""

    def __init__(
        self,
        definition: FlowDefinition,
        *,
        resolver: OrgResolver,
        add_limit: AddLimit = calendar_add_limit,
        delegations: Iterable[Delegation] = (),
    ) -> None:
        self.definition = definition
        self.resolver = resolver
        self.add_limit = add_limit
        self.delegations = tuple(delegations)

    # ---- public operations -------------------------------------------------------------
    def replay(self, events: Iterable[Event | dict[str, Any]]) -> FlowState:
        """The state after the events, in the order given (server revision order)."""
        state = FlowState(flow_id=self.definition.id)
        seen: set[str] = set()
        for raw in events:
            event = raw if isinstance(raw, Event) else Event.model_validate(raw)
            if event.id in seen:  # a resent event is the same event: take it once
                continue
            seen.add(event.id)
            self._take(state, event)
        return state

    def apply(self, state: FlowState, event: Event) -> FlowState:
        """A new state with one more event taken (the given state is left unchanged)."""
        new = state.model_copy(deep=True)
        if any(h.event_id == event.id for h in new.history):
            return new
        self._take(new, event)
        return new

    def pin(self, state: FlowState, event: Event) -> Event:
        """The event with the holders of the step it opens pinned (the server stores this copy).

        Any `opened` a client sent is thrown away first: only the authority resolves holders.
        """
        event = event.model_copy(update={"opened": None})
        after = self.apply(state, event)
        cur = after.current
        if cur is None or cur.opened_by != event.id or after.history[-1].outcome != "accepted":
            return event
        if event.action in ("return", "withdraw"):
            return event  # those reopen a step for who did it: no org chart involved
        opened = Opened(step=cur.step, parts=tuple(
            PinnedPart(key=p.key, label=p.label, holders=tuple(p.holders)) for p in cur.parts))
        return event.model_copy(update={"opened": opened})

    def judge(self, state: FlowState, event: Event) -> Verdict:
        """How this event would be taken now, without taking it."""
        return self._judge(state, event)

    def check(self, state: FlowState, event: Event) -> None:
        """Raise PermissionDenied (or ValidationError for bad input) unless the event is accepted now."""
        verdict = self._judge(state, event)
        if verdict.outcome == "accepted":
            return
        if verdict.field:
            raise ValidationError(verdict.message or "", field=verdict.field, reason_code=verdict.code)
        raise PermissionDenied(
            verdict.message or "", reason_code=verdict.code, superseded=verdict.outcome == "superseded"
        )

    def allowed(self, state: FlowState, user_id: str, *, at: datetime) -> list[Allowed]:
        """Every action `user_id` may take now (directly or under 委托), for the action bar."""
        out: list[Allowed] = []
        delegators = {d.principal_id for d in self._delegations(state)
                      if d.delegate_id == user_id and d.covers(at)}
        for principal in [None, *sorted(delegators)]:
            out.extend(self._allowed_as(state, user_id, principal, at))
        if state.status == "running":
            out.append(Allowed(action="delegate", step=None))
        return out

    def _allowed_as(self, state: FlowState, user_id: str, principal: str | None,
                    at: datetime) -> list[Allowed]:
        def probe(action: str, step: str | None, **extra: Any) -> bool:
            event = Event(id=_PLACEHOLDER, action=action, actor_id=user_id, at=at, step=step,
                          on_behalf_of=principal, **extra)
            return self._judge(state, event).outcome == "accepted"

        out: list[Allowed] = []
        cur = state.current
        if cur is not None:
            for action in self.definition.step(cur.step).actions:
                if action in COMPLETE_ACTIONS and probe(action, cur.step):
                    out.append(Allowed(action=action, step=cur.step, on_behalf_of=principal))
            targets = tuple(dict.fromkeys(state.path))
            if probe("return", cur.step, opinion="-", to_step=targets[-1] if targets else None):
                out.append(Allowed(action="return", step=cur.step, on_behalf_of=principal,
                                   targets=targets))
            if probe("reassign", cur.step, to_user=_PLACEHOLDER):
                out.append(Allowed(action="reassign", step=cur.step, on_behalf_of=principal))
            if probe("urge", cur.step):
                out.append(Allowed(action="urge", step=cur.step, on_behalf_of=principal))
        if probe("withdraw", None):
            out.append(Allowed(action="withdraw", step=None, on_behalf_of=principal))
        return out

    # ---- taking one event --------------------------------------------------------------
    def _take(self, state: FlowState, event: Event) -> None:
        verdict = self._judge(state, event)
        state.history.append(HistoryEntry(
            event_id=event.id, action=event.action, step=event.step, actor_id=event.actor_id,
            on_behalf_of=event.on_behalf_of if verdict.delegated else None,
            delegated=verdict.delegated, opinion=event.opinion, signature_id=event.signature_id,
            at=event.at, to_step=event.to_step, to_user=event.to_user, outcome=verdict.outcome,
            reason_code=verdict.code, reason=verdict.message,
        ))
        if verdict.outcome == "accepted":
            self._effect(state, event, verdict)
            if event.action == "withdraw" and event.step is None and state.current is not None:
                state.history[-1].step = state.current.step  # the timeline shows what came back

    def _delegations(self, state: FlowState) -> list[Delegation]:
        return [*self.delegations, *state.delegations]

    def _identity(self, state: FlowState, event: Event) -> Verdict | tuple[str, bool]:
        principal = event.on_behalf_of
        if principal is None or principal == event.actor_id:
            return event.actor_id, False
        if any(d.principal_id == principal and d.delegate_id == event.actor_id and d.covers(event.at)
               for d in self._delegations(state)):
            return principal, True
        return _no("no_delegation", _("没有有效的委托，不能代他人办理"))

    def _participant(self, state: FlowState, me: str) -> bool:
        return me == state.starter_id or any(
            h.outcome == "accepted" and me in (h.actor_id, h.on_behalf_of) for h in state.history)

    def _late(self, state: FlowState, event: Event, me: str) -> bool:
        """True when the author once held that step (or urged as a participant): superseded, kept."""
        if event.step is None:
            return False
        if event.action == "urge":
            return event.step in state.held and self._participant(state, me)
        return me in state.held.get(event.step, [])

    def _judge(self, state: FlowState, event: Event) -> Verdict:
        if any(h.event_id == event.id for h in state.history):
            return _no("duplicate", _("该操作已经记录过"))
        if event.action == "start":
            if state.status != "not_started":
                return _no("already_started", _("流程已经开始，不能重复发起"))
            return Verdict("accepted", identity=event.actor_id)
        if state.status == "not_started":
            return _no("not_started", _("流程尚未开始"))
        who = self._identity(state, event)
        if isinstance(who, Verdict):
            return who
        identity, delegated = who
        verdict = self._judge_action(state, event, identity)
        if verdict.outcome == "accepted":
            return Verdict("accepted", identity=identity, delegated=delegated)
        return verdict

    def _judge_action(self, state: FlowState, event: Event, me: str) -> Verdict:
        if event.values and event.action not in COMPLETE_ACTIONS:
            return _no("values_not_allowed", _("只有办理（提交、同意、已阅）时可以填写表单内容"), field="values")
        if event.action == "delegate":
            if event.on_behalf_of not in (None, event.actor_id):
                return _no("no_delegation", _("只能委托本人的职责"))
            if not event.to_user or event.to_user == event.actor_id:
                return _no("bad_delegation", _("请选择受委托人（不能是本人）"), field="to_user")
            if not event.valid_from or not event.valid_until or event.valid_until < event.valid_from:
                return _no("bad_delegation", _("委托期限不完整或结束日期早于开始日期"), field="valid_until")
            return Verdict("accepted")
        if event.action == "withdraw":
            return self._judge_withdraw(state, event, me)
        cur = state.current
        if state.status != "running" or cur is None:
            return _no("flow_closed", _("流程已经结束，您的办理意见已保留"),
                       superseded=self._late(state, event, me))
        if event.step is None:
            return _no("no_step", _("没有指明办理的环节"), field="step")
        if event.step != cur.step:
            if self._late(state, event, me):
                return _no("step_closed", _("该环节已经办结，您的办理意见已保留"), superseded=True)
            if event.step in state.held:
                return _no("not_holder", _("您不是该环节的办理人"))
            return _no("step_not_open", _("该环节尚未开始或不存在"))
        sdef = self.definition.step(cur.step)
        if event.action == "urge":
            if me in cur.holders:
                return _no("own_step", _("您是本环节的办理人，无需催办"))
            if not self._participant(state, me):
                return _no("not_participant", _("只有参与本流程的人员可以催办"))
            return Verdict("accepted")
        if event.action not in sdef.actions:
            return _no("action_not_offered", _("本环节不能进行此操作"))
        extra = sorted(set(event.values) - set(sdef.writable)) if sdef.writable is not None else []
        if extra:
            return _no("values_not_allowed", _("本环节不能修改这些内容：{fields}").format(
                fields="、".join(extra)), field="values")
        mine = [p for p in cur.parts if not p.done and me in p.holders]
        if not mine:
            if any(me in p.holders or me in p.former for p in cur.parts):
                return _no("already_done", _("本环节您承担的部分已由他人办理，您的意见已保留"), superseded=True)
            return _no("not_holder", _("您不是本环节的办理人"))
        if event.action == "return":
            if not event.opinion.strip():
                return _no("reason_required", _("退回必须填写理由"), field="opinion")
            if event.to_step is None and sdef.refusable and not state.path:
                return Verdict("accepted")
            if event.to_step not in state.path:
                return _no("bad_return_target", _("只能退回到已经办理过的环节"), field="to_step")
        if event.action == "reassign":
            if not event.to_user or event.to_user == me or event.to_user in cur.holders:
                return _no("bad_reassign", _("请选择转办给本环节以外的其他人员"), field="to_user")
        return Verdict("accepted")

    def _judge_withdraw(self, state: FlowState, event: Event, me: str) -> Verdict:
        cur = state.current
        if state.status == "running" and cur is not None:
            own = [p for p in cur.parts if p.done and me in (p.done_for, p.done_by)]
            if own and not cur.complete and event.step in (None, cur.step):
                if "withdraw" not in self.definition.step(cur.step).actions:
                    return _no("action_not_offered", _("本环节不能进行此操作"))
                return Verdict("accepted")
            prev = state.trail[-1] if state.trail else None
            if prev is not None and cur.opened_by_actor == me and event.step in (None, prev.step):
                if "withdraw" not in self.definition.step(prev.step).actions:
                    return _no("action_not_offered", _("本环节不能进行此操作"))
                if cur.touched:
                    return _no("next_acted", _("下一环节已经办理，不能撤回"), superseded=True)
                return Verdict("accepted")
        if self._late(state, event, me) or any(
                h.outcome == "accepted" and me in (h.actor_id, h.on_behalf_of) and h.action in COMPLETE_ACTIONS
                for h in state.history):
            return _no("next_acted", _("下一环节已经办理，不能撤回"), superseded=True)
        return _no("not_withdrawable", _("没有可以撤回的办理"))

    # ---- effects -----------------------------------------------------------------------
    def _effect(self, state: FlowState, event: Event, verdict: Verdict) -> None:
        me = verdict.identity
        if event.action == "start":
            state.status = "running"
            state.starter_id = event.actor_id
            state.unit_id, state.department_id = event.unit_id, event.department_id
            state.values = dict(event.values)
            self._enter(state, self.definition.first.id, event, me)
            return
        state.values.update(event.values)
        if event.action == "delegate":
            assert event.to_user and event.valid_from and event.valid_until
            state.delegations.append(Delegation(principal_id=me, delegate_id=event.to_user,
                                                start=event.valid_from, end=event.valid_until,
                                                event_id=event.id))
            return
        cur = state.current
        assert cur is not None
        if event.action == "urge":
            cur.urges += 1
            cur.last_urged_at = event.at
        elif event.action == "reassign":
            assert event.to_user
            for p in cur.parts:
                if not p.done and me in p.holders:
                    p.former = [*p.former, *p.holders]
                    p.holders = [event.to_user]
            self._held(state, cur.step, [event.to_user])
            cur.touched = True
        elif event.action == "return":
            self._return(state, event, me)
        elif event.action == "withdraw":
            self._withdraw(state, event, me)
        else:
            for p in cur.parts:
                if not p.done and me in p.holders:
                    p.done_by, p.done_for, p.done_event, p.done_at = event.actor_id, me, event.id, event.at
                    if cur.mode == "any":
                        break
            cur.touched = True
            if cur.complete:
                state.trail.append(cur)
                state.current = None
                state.values.update(self.definition.step(cur.step).sets)
                self._route(state, self.definition.step(cur.step), event, me)

    def _return(self, state: FlowState, event: Event, me: str) -> None:
        if event.to_step is None:  # 签收 refused (退回 to the sender)
            state.current = None
            state.status = "refused"
            return
        index = max(i for i, a in enumerate(state.trail) if a.step == event.to_step)
        target = state.trail[index]
        state.trail = state.trail[:index]
        parts = [Part(key=p.key, label=p.label, holders=[p.done_for or p.done_by or ""])
                 for p in target.parts if p.done]
        self._open(state, self.definition.step(target.step), parts, event, me)

    def _withdraw(self, state: FlowState, event: Event, me: str) -> None:
        cur = state.current
        assert cur is not None
        own = [p for p in cur.parts if p.done and me in (p.done_for, p.done_by)]
        if own and not cur.complete and event.step in (None, cur.step):
            for p in own:
                p.done_by = p.done_for = p.done_event = None
                p.done_at = None
            cur.touched = any(p.done for p in cur.parts)
            return
        prev = state.trail.pop()
        parts = [p.model_copy() for p in prev.parts]
        for p in parts:
            if me in (p.done_for, p.done_by):
                p.holders = [me]  # it comes back to whoever withdrew it
                p.done_by = p.done_for = p.done_event = None
                p.done_at = None
        act = self._open(state, self.definition.step(prev.step), parts, event, prev.opened_by_actor)
        act.touched = any(p.done for p in parts)

    # ---- routing -----------------------------------------------------------------------
    def _next_of(self, state: FlowState, sdef: StepDef) -> str:
        for t in sdef.next:
            if evaluate(t.when, state.values):
                return t.to
        return END

    def _route(self, state: FlowState, done: StepDef, event: Event, me: str) -> None:
        self._enter(state, self._next_of(state, done), event, me)

    def _enter(self, state: FlowState, target: str, event: Event, me: str) -> None:
        for _hop in range(2 * len(self.definition.steps) + 2):
            if target == END:
                state.current = None
                state.status = "completed"
                return
            sdef = self.definition.step(target)
            if not evaluate(sdef.when, state.values):
                parts = None
            elif event.opened is not None and event.opened.step == target:
                parts = [Part(key=p.key, label=p.label, holders=list(p.holders))
                         for p in event.opened.parts]
            else:
                parts = self._resolve(state, sdef)
            if parts is None or (not parts and sdef.optional):
                target = self._next_of(state, sdef)  # skipped by its condition or nobody to hold it
                continue
            self._open(state, sdef, parts, event, me)
            return
        # Skipping went round a loop whose exit condition does not hold: stop here, visibly
        # blocked (no holders), so the sender can still withdraw instead of the flow ending silently.
        self._open(state, self.definition.step(target), [], event, me)

    def _open(self, state: FlowState, sdef: StepDef, parts: list[Part], event: Event,
              opener: str | None) -> Activation:
        state.seq += 1
        limit = next((lim for lim in sdef.limits if evaluate(lim.when, state.values)), None)
        if limit is not None and limit.days_from is not None:
            days = state.values.get(limit.days_from)
            ok = isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 3650
            limit = limit.model_copy(update={"days": days, "days_from": None}) if ok else None
        act = Activation(
            seq=state.seq, step=sdef.id, name=sdef.name, mode=sdef.mode, parts=parts,
            opened_at=event.at, opened_by=event.id, opened_by_actor=opener,
            due_at=self.add_limit(event.at, limit) if limit else None,
        )
        state.current = act
        self._held(state, sdef.id, [h for p in parts for h in p.holders])
        return act

    @staticmethod
    def _held(state: FlowState, step: str, users: list[str]) -> None:
        known = state.held.setdefault(step, [])
        known.extend(u for u in users if u not in known)

    def _resolve(self, state: FlowState, sdef: StepDef) -> list[Part]:
        parts: list[Part] = []
        values = state.values
        for spec in sdef.holders:
            if not evaluate(spec.when, values):
                continue
            if spec.starter:
                found = [("starter", [state.starter_id or ""])]
            elif spec.actor_of is not None:
                last = [a for a in state.trail if a.step == spec.actor_of]
                users = [p.done_for or "" for p in last[-1].parts if p.done] if last else []
                found = [(f"actor_of:{spec.actor_of}", users)] if users else []
            elif spec.users_from is not None:
                found = [(f"user:{u}", [u]) for u in _as_list(values.get(spec.users_from))]
            else:
                role = spec.role or ""
                if spec.each_of is not None:
                    found = []
                    for target in _as_list(values.get(spec.each_of)):
                        if spec.scope == "department":
                            users = self.resolver.holders(role, unit_id=state.unit_id,
                                                          department_id=target, context=values)
                        else:
                            users = self.resolver.holders(role, unit_id=target, department_id=None,
                                                          context=values)
                        found.append((f"{role}@{target}", users))
                else:
                    dept = state.department_id if spec.scope == "department" else None
                    found = [(role, self.resolver.holders(role, unit_id=state.unit_id,
                                                          department_id=dept, context=values))]
            for key, users in found:
                users = list(dict.fromkeys(u for u in users if u))
                if users and key not in {p.key for p in parts}:
                    parts.append(Part(key=key, label=spec.label, holders=users))
        return parts
