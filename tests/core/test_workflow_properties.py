"""Property tests: random event sequences never crash; state is a deterministic function of events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oa_client.domain.workflow import Event, Workflow, default_flow
from oa_client.errors import OAError, PermissionDenied, ValidationError
from tests.core.test_workflow_helpers import ORG, T0, UNIT

PEOPLE = ["alice", "odir", "dep", "boss", "clerk", "clerk2", "sealer", "sup", "chief2", "chief3",
          "chief4a", "boss2", "nobody"]
FLOWS = {name: Workflow(default_flow(name), resolver=ORG) for name in ("outgoing", "incoming")}
STEPS = [*sorted({s.id for wf in FLOWS.values() for s in wf.definition.steps}), "nowhere"]
ACTIONS = ["submit", "approve", "read", "return", "withdraw", "reassign", "delegate", "urge"]
VALUES = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["通知", "请示", "报告"]),
    "countersign_departments": st.lists(st.sampled_from(["D2", "D3", "D4", "D9"]), max_size=3),
    "substantive_change": st.booleans(),
    "urgency": st.sampled_from(["特急", "加急", None]),
    "lead_department": st.sampled_from(["D2", "D3"]),
    "readers": st.lists(st.sampled_from(PEOPLE), max_size=3),
    "supervise": st.booleans(),
    "handling_days": st.integers(min_value=-1, max_value=30),
    "leader": st.sampled_from(["principal_leader", "deputy_leader"]),
})

step_event = st.fixed_dictionaries({
    "action": st.sampled_from(ACTIONS),
    "actor_id": st.sampled_from(PEOPLE),
    "step": st.one_of(st.none(), st.sampled_from(STEPS)),
    "opinion": st.sampled_from(["", "同意", "  "]),
    "to_step": st.one_of(st.none(), st.sampled_from(STEPS)),
    "to_user": st.one_of(st.none(), st.sampled_from(PEOPLE)),
    "on_behalf_of": st.one_of(st.none(), st.sampled_from(PEOPLE)),
    "values": VALUES,
    "valid_from": st.one_of(st.none(), st.just(date(2026, 3, 2))),
    "valid_until": st.one_of(st.none(), st.sampled_from([date(2026, 3, 1), date(2026, 3, 9)])),
    "gap_h": st.integers(min_value=0, max_value=30),
})


@st.composite
def scenario(draw):
    flow = draw(st.sampled_from(sorted(FLOWS)))
    start = {"id": "s", "action": "start", "actor_id": draw(st.sampled_from(["alice", "clerk"])),
             "at": T0, "unit_id": UNIT, "department_id": "D2", "values": draw(VALUES)}
    raw = [start] if draw(st.integers(0, 9)) else []
    at = T0
    for i, e in enumerate(draw(st.lists(step_event, max_size=40))):
        e = dict(e)
        at = at + timedelta(hours=e.pop("gap_h"))
        raw.append({"id": f"e{i}", "at": at, **e})
    if draw(st.booleans()) and len(raw) > 2:  # a resent event
        raw.insert(draw(st.integers(1, len(raw))), raw[1])
    return flow, [Event.model_validate(r) for r in raw]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenario())
def test_replay_never_crashes_and_is_deterministic(case) -> None:
    flow, events = case
    wf = FLOWS[flow]
    a = wf.replay(events)
    b = wf.replay(list(events))
    assert a == b
    assert a.model_dump() == b.model_dump()
    assert len(a.history) == len({e.id for e in events})
    if a.status in ("completed", "refused"):
        assert a.current is None
    if a.status == "running":
        assert a.current is not None


@SETTINGS
@given(scenario())
def test_folding_apply_equals_replay_and_check_agrees_with_judgement(case) -> None:
    flow, events = case
    wf = FLOWS[flow]
    state = wf.replay([])
    for event in events:
        verdict = wf.judge(state, event)
        if verdict.outcome == "accepted":
            wf.check(state, event)
            if event.action not in ("start", "delegate"):
                allowed = wf.allowed(state, event.actor_id, at=event.at)
                assert any(x.action == event.action for x in allowed), (event, allowed)
        elif any(h.event_id == event.id for h in state.history):
            pass
        else:
            with pytest.raises((PermissionDenied, ValidationError)) as e:
                wf.check(state, event)
            assert isinstance(e.value, OAError) and e.value.message and e.value.reason_code
        state = wf.apply(state, event)
    assert state == wf.replay(events)


@SETTINGS
@given(scenario())
def test_every_refused_event_keeps_its_author_and_a_reason(case) -> None:
    flow, events = case
    st_ = FLOWS[flow].replay(events)
    for h in st_.history:
        if h.outcome != "accepted":
            assert h.reason and h.reason_code and h.actor_id
        if h.delegated:
            assert h.on_behalf_of and h.on_behalf_of != h.actor_id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FLOWS)), VALUES, st.data())
def test_guided_walks_only_take_what_allowed_offers(flow, values, data) -> None:
    wf = FLOWS[flow]
    at = T0
    events = [Event(id="s", action="start", actor_id="alice", at=at, unit_id=UNIT,
                    department_id="D2", values=values)]
    state = wf.replay(events)
    for i in range(40):
        at += timedelta(hours=1)
        offers = [(p, a) for p in PEOPLE for a in wf.allowed(state, p, at=at) if a.action != "delegate"]
        if not offers:
            break
        person, offer = data.draw(st.sampled_from(offers))
        extra = {}
        if offer.action == "return":
            extra = {"opinion": "退回理由", "to_step": data.draw(st.sampled_from(offer.targets))
                     if offer.targets else None}
        if offer.action == "reassign":
            extra = {"to_user": data.draw(st.sampled_from([p for p in PEOPLE if p not in state.holders]))}
        values = {}
        if offer.action in ("submit", "approve", "read"):
            writable = wf.definition.step(offer.step).writable
            values = {k: v for k, v in data.draw(VALUES).items() if writable is None or k in writable}
        event = Event(id=f"g{i}", action=offer.action, actor_id=person, at=at, step=offer.step,
                      on_behalf_of=offer.on_behalf_of, values=values, **extra)
        wf.check(state, event)  # whatever allowed offers is accepted
        state = wf.apply(state, event)
        events.append(event)
        assert state.history[-1].outcome == "accepted"
    assert state == wf.replay(events)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.sampled_from(PEOPLE), st.sampled_from(["submit", "approve", "read", "return",
                                                              "reassign"]))
def test_someone_not_holding_the_step_is_refused_with_a_reason(case, person, action) -> None:
    flow, events = case
    wf = FLOWS[flow]
    state = wf.replay(events)
    if state.current is None or person in state.current.holders:
        return
    event = Event(id="probe", action=action, actor_id=person, at=T0 + timedelta(days=30),
                  step=state.current.step, opinion="理由", to_step="draft", to_user="nobody2")
    with pytest.raises((PermissionDenied, ValidationError)) as e:
        wf.check(state, event)
    assert e.value.message and e.value.reason_code
    assert wf.apply(state, event).history[-1].outcome in ("rejected", "superseded")
