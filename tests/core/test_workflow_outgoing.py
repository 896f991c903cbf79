"""发文 through the workflow engine: every action, returns, withdraw, countersign, conditions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oa_client.errors import PermissionDenied, ValidationError
from tests.core.test_workflow_helpers import UNIT, Script


def started(kind: str = "通知", **values) -> Script:
    s = Script("outgoing")
    s.do("start", "alice", unit_id=UNIT, department_id="D2", values={"kind": kind, **values})
    return s


def to_sign_off(s: Script) -> None:
    s.do("submit", "alice", "draft")
    s.do("approve", "odir", "review", opinion="同意")


def test_full_outgoing_flow_notice_is_signed_by_the_deputy() -> None:
    s = started()
    assert s.state.current.step == "draft" and s.state.holders == ["alice"]
    to_sign_off(s)
    st = s.state
    assert st.current.step == "sign_off"  # no countersign departments: skipped
    assert st.holders == ["dep"]
    s.do("approve", "dep", "sign_off", opinion="同意印发")
    assert s.state.current.step == "recheck"
    s.do("approve", "odir", "recheck")
    assert s.state.current.step == "number" and s.state.holders == ["clerk", "clerk2"]
    s.do("approve", "clerk", "number")
    assert s.state.holders == ["sealer"]
    s.do("approve", "sealer", "seal")
    s.do("approve", "clerk2", "dispatch")
    st = s.state
    assert st.status == "completed" and st.current is None
    assert st.path == ["draft", "review", "sign_off", "recheck", "number", "seal", "dispatch"]
    assert all(h.outcome == "accepted" for h in st.history)
    assert [h.opinion for h in st.history if h.opinion] == ["同意", "同意印发"]


@pytest.mark.parametrize("kind", ["请示", "报告"])
def test_upward_documents_are_signed_by_the_principal_leader(kind: str) -> None:
    s = started(kind)
    to_sign_off(s)
    assert s.state.holders == ["boss"]
    s.do("approve", "dep", "sign_off")
    assert s.last().outcome == "rejected" and s.last().reason_code == "not_holder"


def test_countersign_is_parallel_and_needs_every_department() -> None:
    s = started(countersign_departments=["D3", "D4"], co_issuing_units=["U2"])
    to_sign_off(s)
    cur = s.state.current
    assert cur.step == "countersign" and cur.mode == "all"
    assert [p.holders for p in cur.parts] == [["chief3"], ["chief4a", "chief4b"], ["boss2"]]
    s.do("approve", "chief3", "countersign", opinion="无意见")
    s.do("approve", "chief4b", "countersign")
    assert s.state.current.step == "countersign"
    assert set(s.state.current.acted) == {"chief3", "chief4b"}
    assert s.state.holders == ["boss2"]
    s.do("approve", "chief4a", "countersign")  # D4's share was taken by a colleague first
    assert s.last().outcome == "superseded" and s.last().reason_code == "already_done"
    s.do("approve", "boss2", "countersign")
    assert s.state.current.step == "sign_off"


def test_countersign_member_may_withdraw_own_share_while_step_open() -> None:
    s = started(countersign_departments=["D3", "D4"])
    to_sign_off(s)
    s.do("approve", "chief3", "countersign")
    s.do("withdraw", "chief3", "countersign")
    assert s.last().outcome == "accepted"
    assert "chief3" in s.state.holders


def test_countersign_step_skipped_when_the_list_is_empty() -> None:
    s = started(countersign_departments=[])
    to_sign_off(s)
    assert s.state.current.step == "sign_off"


def test_substantive_change_after_sign_off_goes_back_to_the_same_signer() -> None:
    s = started()
    to_sign_off(s)
    s.do("reassign", "dep", "sign_off", to_user="boss")
    s.do("approve", "boss", "sign_off")
    s.do("approve", "odir", "recheck", values={"substantive_change": True})
    st = s.state
    assert st.current.step == "sign_off" and st.holders == ["boss"]
    s.do("approve", "boss", "sign_off", opinion="改后同意")
    assert s.state.current.step == "recheck"
    s.do("approve", "odir", "recheck")
    assert s.state.current.step == "number"


@pytest.mark.parametrize("target", ["draft", "review"])
def test_return_to_any_earlier_step_reopens_it_for_whoever_did_it(target: str) -> None:
    s = started()
    to_sign_off(s)
    s.do("return", "dep", "sign_off", to_step=target, opinion="请修改第三段")
    st = s.state
    assert st.current.step == target
    assert st.holders == {"draft": ["alice"], "review": ["odir"]}[target]
    assert st.path == ["draft", "review"][: ["draft", "review"].index(target)]


def test_return_needs_a_reason_and_an_earlier_step() -> None:
    s = started()
    to_sign_off(s)
    wf, st = s.wf, s.state
    with pytest.raises(ValidationError) as e:
        wf.check(st, s.ev("return", "dep", "sign_off", to_step="draft", opinion="  "))
    assert e.value.field == "opinion" and "理由" in e.value.message
    with pytest.raises(ValidationError) as e:
        wf.check(st, s.ev("return", "dep", "sign_off", to_step="seal", opinion="不妥"))
    assert e.value.field == "to_step"


def test_withdraw_allowed_until_the_next_holder_acts() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    assert any(a.action == "withdraw" for a in s.wf.allowed(s.state, "alice", at=s.now))
    s.do("withdraw", "alice", "draft")
    assert s.last().outcome == "accepted"
    assert s.state.current.step == "draft" and s.state.holders == ["alice"]
    s.do("submit", "alice", "draft")
    s.do("urge", "alice", "review")  # urging does not count as acting
    s.do("approve", "odir", "review")
    wf = s.wf
    with pytest.raises(PermissionDenied) as e:
        wf.check(s.state, s.ev("withdraw", "alice", "draft"))
    assert e.value.reason_code == "next_acted"
    s.do("withdraw", "alice", "draft")
    assert s.last().outcome == "superseded"


def test_withdraw_refused_after_a_reassign_and_for_strangers() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("reassign", "odir", "review", to_user="clerk")
    s.do("withdraw", "alice", "draft")
    assert s.last().outcome == "superseded" and s.last().reason_code == "next_acted"
    s.do("withdraw", "dep")
    assert s.last().outcome == "rejected" and s.last().reason_code == "not_withdrawable"


def test_reassign_hands_the_share_over() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("reassign", "odir", "review", to_user="clerk", opinion="请代为核稿")
    assert s.state.holders == ["clerk"]
    s.do("approve", "odir", "review")
    assert s.last().outcome == "superseded"  # no longer holds it, kept for him
    with pytest.raises(ValidationError) as e:
        s.wf.check(s.state, s.ev("reassign", "clerk", "review", to_user="clerk"))
    assert e.value.field == "to_user"


def test_delegation_window_marks_actions_taken_under_it() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("delegate", "odir", to_user="clerk", valid_from=date(2026, 3, 2), valid_until=date(2026, 3, 2))
    allowed = s.wf.allowed(s.state, "clerk", at=s.now)
    assert any(a.action == "approve" and a.on_behalf_of == "odir" for a in allowed)
    s.do("approve", "clerk", "review", on_behalf_of="odir", opinion="代核")
    entry = s.last()
    assert entry.outcome == "accepted" and entry.delegated and entry.on_behalf_of == "odir"
    assert s.state.trail[-1].parts[0].done_for == "odir"
    assert s.state.trail[-1].parts[0].done_by == "clerk"


def test_delegation_outside_its_window_is_refused() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("delegate", "odir", to_user="clerk", valid_from=date(2026, 3, 3), valid_until=date(2026, 3, 5))
    with pytest.raises(PermissionDenied) as e:
        s.wf.check(s.state, s.ev("approve", "clerk", "review", on_behalf_of="odir"))
    assert e.value.reason_code == "no_delegation" and "委托" in e.value.message
    later = s.now + timedelta(days=2)
    s.wf.check(s.state, s.ev("approve", "clerk", "review", on_behalf_of="odir", at=later))


def test_bad_delegation_input() -> None:
    s = started()
    with pytest.raises(ValidationError) as e:
        s.wf.check(s.state, s.ev("delegate", "odir", to_user="odir", valid_from=date(2026, 3, 2),
                                 valid_until=date(2026, 3, 3)))
    assert e.value.field == "to_user"
    with pytest.raises(ValidationError) as e:
        s.wf.check(s.state, s.ev("delegate", "odir", to_user="clerk", valid_from=date(2026, 3, 4),
                                 valid_until=date(2026, 3, 3)))
    assert e.value.field == "valid_until"


def test_urge_counts_and_only_participants_may_urge() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("urge", "alice", "review", opinion="请尽快核稿")
    s.do("urge", "alice", "review")
    assert s.state.current.urges == 2 and s.state.current.last_urged_at == s.now
    s.do("urge", "boss", "review")
    assert s.last().reason_code == "not_participant"
    s.do("urge", "odir", "review")
    assert s.last().reason_code == "own_step"


def test_two_officials_on_the_same_step_one_wins_other_is_superseded() -> None:
    s = started()
    to_sign_off(s)
    s.do("approve", "dep", "sign_off")
    s.do("approve", "odir", "recheck")
    s.do("approve", "clerk", "number")
    s.do("approve", "clerk2", "number", opinion="已编号")  # arrived after the step closed
    st = s.state
    assert [h.actor_id for h in st.superseded] == ["clerk2"]
    assert st.superseded[0].opinion == "已编号" and "保留" in st.superseded[0].reason
    assert st.current.step == "seal"


def test_actions_after_completion_are_superseded_not_dropped() -> None:
    s = started()
    to_sign_off(s)
    for actor, step in [("dep", "sign_off"), ("odir", "recheck"), ("clerk", "number"),
                        ("sealer", "seal"), ("clerk", "dispatch")]:
        s.do("approve", actor, step)
    s.do("approve", "clerk2", "dispatch", opinion="已分发")
    assert s.state.status == "completed"
    assert s.last().outcome == "superseded" and s.last().reason_code == "flow_closed"


def test_not_allowed_action_is_rejected_with_a_clear_reason() -> None:
    s = started()
    with pytest.raises(PermissionDenied) as e:
        s.wf.check(s.state, s.ev("submit", "boss", "draft"))
    assert e.value.message == "您不是本环节的办理人" and e.value.reason_code == "not_holder"
    with pytest.raises(PermissionDenied) as e:
        s.wf.check(s.state, s.ev("approve", "alice", "draft"))
    assert e.value.reason_code == "action_not_offered"
    with pytest.raises(PermissionDenied) as e:
        s.wf.check(s.state, s.ev("approve", "odir", "seal"))
    assert e.value.reason_code == "step_not_open"


def test_allowed_actions_for_the_action_bar() -> None:
    s = started()
    to_sign_off(s)
    actions = {a.action: a for a in s.wf.allowed(s.state, "dep", at=s.now)}
    assert set(actions) == {"approve", "return", "reassign", "delegate"}
    assert actions["return"].targets == ("draft", "review")
    assert {a.action for a in s.wf.allowed(s.state, "alice", at=s.now)} == {"urge", "delegate"}
    assert {a.action for a in s.wf.allowed(s.state, "odir", at=s.now)} == {"withdraw", "urge", "delegate"}


def test_start_twice_and_events_before_start() -> None:
    s = Script("outgoing")
    s.do("submit", "alice", "draft")
    assert s.last().reason_code == "not_started"
    s.do("start", "alice", unit_id=UNIT)
    s.do("start", "alice", unit_id=UNIT)
    assert s.last().reason_code == "already_started"


def test_apply_leaves_the_old_state_alone_and_matches_replay() -> None:
    s = started()
    before = s.state
    event = s.ev("submit", "alice", "draft")
    after = s.wf.apply(before, event)
    assert before.current.step == "draft" and after.current.step == "review"
    s.events.append(event)
    assert s.state == after
    assert s.wf.apply(after, event) == after  # the same event twice is taken once


def test_a_step_nobody_holds_blocks_visibly_and_the_sender_may_withdraw() -> None:
    from oa_client.domain.workflow import StaticOrg, Workflow, default_flow

    org = StaticOrg({("office_director", UNIT, None): ["odir"],
                     ("deputy_leader", UNIT, None): ["dep"]})  # no clerk in this unit
    s = started()
    s.wf = Workflow(default_flow("outgoing"), resolver=org)
    to_sign_off(s)
    for actor, step in [("dep", "sign_off"), ("odir", "recheck")]:
        s.do("approve", actor, step)
    st = s.state
    assert st.blocked and st.current.step == "number" and st.holders == []
    s.do("withdraw", "odir", "recheck")
    assert not s.state.blocked and s.state.holders == ["odir"]


def test_skip_loop_without_a_way_out_blocks_instead_of_ending() -> None:
    from oa_client.domain.workflow import Workflow, parse_definition
    from tests.core.test_workflow_helpers import ORG

    flow = parse_definition({"id": "loop", "name": "循环", "steps": [
        {"id": "a", "name": "甲", "holders": [{"starter": True}], "actions": ["submit"], "next": [{"to": "b"}]},
        {"id": "b", "name": "乙", "holders": [{"role": "clerk"}], "when": {"field": "f", "op": "eq", "value": 1},
         "next": [{"to": "c"}]},
        {"id": "c", "name": "丙", "holders": [{"role": "clerk"}], "when": {"field": "f", "op": "eq", "value": 1},
         "next": [{"to": "b", "when": {"field": "g", "op": "eq", "value": 1}}]},
    ]})
    s = Script("outgoing")
    s.wf = Workflow(flow, resolver=ORG)
    s.do("start", "alice", unit_id=UNIT, values={"g": 1})
    s.do("submit", "alice", "a")
    assert s.state.status == "running" and s.state.blocked
    s2 = Script("outgoing")
    s2.wf = Workflow(flow, resolver=ORG)
    s2.do("start", "alice", unit_id=UNIT, values={"g": 2})
    s2.do("submit", "alice", "a")
    assert s2.state.status == "completed"


def test_delegation_dates_are_beijing_dates_for_aware_times() -> None:
    from datetime import UTC, datetime

    from oa_client.domain.workflow import Delegation

    d = Delegation(principal_id="odir", delegate_id="clerk", start=date(2026, 3, 3), end=date(2026, 3, 3))
    assert d.covers(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))  # 01:00 on 3 March in Beijing
    assert not d.covers(datetime(2026, 3, 3, 17, 0, tzinfo=UTC))


def test_superseded_actions_are_listed_for_their_author() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("approve", "odir", "review")
    s.do("approve", "odir", "review", opinion="重复提交")
    assert [h.opinion for h in s.state.superseded_for("odir")] == ["重复提交"]
    assert s.state.superseded_for("alice") == []


def test_events_and_state_travel_as_json() -> None:
    from oa_client.domain.workflow import Event, FlowState

    s = started(countersign_departments=["D3"])
    to_sign_off(s)
    s.do("approve", "chief3", "countersign", opinion="同意", signature_id="sig-1")
    wire = [e.model_dump_json() for e in s.events]
    again = [Event.model_validate_json(w) for w in wire]
    assert s.wf.replay(again) == s.state
    state = s.state
    assert FlowState.model_validate_json(state.model_dump_json()) == state
    assert state.history[-1].signature_id == "sig-1"


def test_pinned_holders_make_replay_independent_of_later_org_changes() -> None:
    from oa_client.domain.workflow import StaticOrg, Workflow, default_flow

    s = started()
    server_events = []
    state = s.wf.replay([])
    for event in [*s.events, s.ev("submit", "alice", "draft")]:
        pinned = s.wf.pin(state, event)  # what the authority stores
        server_events.append(pinned)
        state = s.wf.apply(state, pinned)
    assert server_events[-1].opened.step == "review"
    assert [p.holders for p in server_events[-1].opened.parts] == [("odir",)]
    reorganised = Workflow(default_flow("outgoing"), resolver=StaticOrg({
        ("office_director", UNIT, None): ["new_director"]}))
    assert reorganised.replay(server_events).holders == ["odir"]  # as pinned, not as the org is now
    assert reorganised.replay([e.model_copy(update={"opened": None}) for e in server_events]).holders == [
        "new_director"]


def test_a_step_may_set_only_its_own_form_fields() -> None:
    s = started()
    s.do("submit", "alice", "draft", values={"countersign_departments": ["D3"]})
    with pytest.raises(ValidationError) as e:
        s.wf.check(s.state, s.ev("approve", "odir", "review", values={"kind": "请示"}))
    assert e.value.field == "values" and "kind" in e.value.message
    with pytest.raises(ValidationError) as e:
        s.wf.check(s.state, s.ev("urge", "alice", "review", values={"urgency": "特急"}))
    assert e.value.reason_code == "values_not_allowed"
    s.do("approve", "odir", "review", values={"urgency": "特急"})
    assert s.last().outcome == "accepted" and s.state.values["urgency"] == "特急"
    assert s.state.current.step == "countersign"


def test_a_stranger_acting_on_a_closed_step_is_rejected_not_superseded() -> None:
    s = started()
    s.do("submit", "alice", "draft")
    s.do("approve", "odir", "review")
    s.do("approve", "boss", "review", opinion="我也同意")
    assert s.last().outcome == "rejected" and s.last().reason_code == "not_holder"
    s.do("urge", "alice", "review")  # a participant's late reminder is kept as superseded
    assert s.last().outcome == "superseded"


def test_pin_ignores_holders_a_client_made_up() -> None:
    from oa_client.domain.workflow import Opened, PinnedPart

    s = started()
    forged = s.ev("submit", "alice", "draft").model_copy(update={"opened": Opened(
        step="review", parts=(PinnedPart(key="x", holders=("alice",)),))})
    pinned = s.wf.pin(s.state, forged)
    assert [p.holders for p in pinned.opened.parts] == [("odir",)]
    assert s.wf.pin(s.state, s.ev("urge", "alice", "draft")).opened is None
