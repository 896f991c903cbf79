"""收文 through the workflow engine: refuse, 主办/协办, 传阅 readers, 督办, time limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from oa_client.domain.workflow import TimeLimit, weekday_add_limit, workday_add_limit
from tests.core.test_workflow_helpers import T0, UNIT, Script


def received(**values) -> Script:
    s = Script("incoming")
    s.do("start", "clerk", unit_id=UNIT, values={"urgency": None, **values})
    return s


def through_instruct(s: Script, **instruct_values) -> None:
    s.do("approve", "clerk2", "receive")
    s.do("approve", "clerk2", "register")
    s.do("approve", "clerk", "vet")
    s.do("approve", "odir", "propose", opinion="拟请王局长阅示")
    s.do("approve", "dep", "instruct", opinion="请办公室牵头办理", values=instruct_values)


def test_full_incoming_flow() -> None:
    s = received()
    assert s.state.current.step == "receive" and s.state.holders == ["clerk", "clerk2"]
    through_instruct(s, lead_department="D2", assist_departments=["D3"],
                     readers=["boss", "dep", "odir"])
    cur = s.state.current
    assert cur.step == "handle" and [p.label for p in cur.parts] == ["主办", "协办"]
    assert s.state.holders == ["chief2", "chief3"]
    s.do("approve", "chief3", "handle", opinion="已配合")
    s.do("approve", "chief2", "handle", opinion="已办理")
    cur = s.state.current
    assert cur.step == "circulate" and cur.holders == ["boss", "dep", "odir"]
    s.do("read", "dep", "circulate")
    cur = s.state.current
    assert cur.acted == ["dep"] and cur.holders == ["boss", "odir"]  # who has read, who has not
    s.do("read", "boss", "circulate")
    s.do("read", "odir", "circulate")
    assert s.state.current.step == "complete"  # not supervised: 催办 step skipped
    s.do("approve", "clerk", "complete")
    s.do("approve", "clerk", "archive")
    st = s.state
    assert st.status == "completed"
    assert st.path == ["receive", "register", "vet", "propose", "instruct", "handle", "circulate",
                       "complete", "archive"]


def test_register_is_held_by_whoever_signed_for_it() -> None:
    s = received()
    s.do("approve", "clerk2", "receive")
    assert s.state.holders == ["clerk2"]


def test_receive_may_be_refused_with_a_reason() -> None:
    s = received()
    s.do("return", "clerk", "receive", opinion="")
    assert s.last().reason_code == "reason_required"
    s.do("return", "clerk", "receive", opinion="非本单位来文")
    st = s.state
    assert st.status == "refused" and st.current is None


def test_vet_returns_non_conforming_to_receive() -> None:
    s = received()
    s.do("approve", "clerk2", "receive")
    s.do("approve", "clerk2", "register")
    s.do("return", "clerk", "vet", to_step="receive", opinion="缺少附件")
    assert s.state.current.step == "receive" and s.state.holders == ["clerk2"]


def test_principal_leader_instructs_when_chosen() -> None:
    s = received()
    s.do("approve", "clerk2", "receive")
    s.do("approve", "clerk2", "register")
    s.do("approve", "clerk", "vet")
    s.do("approve", "odir", "propose", values={"leader": "principal_leader"})
    assert s.state.holders == ["boss"]


def test_supervised_items_pass_the_urge_step_and_no_readers_skip_circulation() -> None:
    s = received()
    through_instruct(s, lead_department="D2", supervise=True)
    s.do("approve", "chief2", "handle")
    assert s.state.current.step == "urge" and s.state.holders == ["sup"]
    s.do("approve", "sup", "urge", opinion="已督办")
    assert s.state.current.step == "complete"


def test_urgent_handling_has_a_time_limit_and_overdue_uses_the_injected_clock() -> None:
    s = received(urgency="特急")
    assert s.state.current.due_at == T0 + timedelta(hours=1, minutes=0) + timedelta(hours=2)
    through_instruct(s, lead_department="D2")
    cur = s.state.current
    assert cur.step == "handle" and cur.due_at == cur.opened_at + timedelta(days=1)
    assert not s.state.overdue(cur.opened_at + timedelta(hours=23))
    assert s.state.overdue(cur.opened_at + timedelta(days=1, minutes=1))


def test_normal_handling_limit_comes_from_the_instruction() -> None:
    s = received()
    through_instruct(s, lead_department="D2", handling_days=5)
    cur = s.state.current
    assert cur.due_at == cur.opened_at + timedelta(days=5)
    s2 = received()
    through_instruct(s2, lead_department="D2")
    assert s2.state.current.due_at is None


def test_working_day_calendar_is_injectable() -> None:
    friday = datetime(2026, 3, 6, 10, 0)
    assert weekday_add_limit(friday, TimeLimit(days=1)) == datetime(2026, 3, 9, 10, 0)
    assert weekday_add_limit(friday, TimeLimit(days=1, working_days=False)) == datetime(2026, 3, 7, 10, 0)
    holiday = workday_add_limit(lambda d: d.weekday() < 5 and d.day != 9)  # Monday the 9th off
    assert holiday(friday, TimeLimit(days=1, hours=2)) == datetime(2026, 3, 10, 12, 0)
    seen = []

    def add_limit(start: datetime, limit: TimeLimit) -> datetime:
        seen.append(limit.days)
        return start + timedelta(days=100)

    s = Script("incoming", add_limit=add_limit)
    s.do("start", "clerk", unit_id=UNIT)
    assert s.state.current.due_at == s.now + timedelta(days=100) and seen


def test_circulation_reader_withdraws_own_read_mark() -> None:
    s = received()
    through_instruct(s, lead_department="D2", readers=["boss", "dep"])
    s.do("approve", "chief2", "handle")
    s.do("read", "boss", "circulate")
    s.do("withdraw", "boss", "circulate")
    assert s.state.current.holders == ["boss", "dep"]


def test_reassign_delegate_and_urge_in_the_incoming_flow() -> None:
    from datetime import date

    s = received()
    s.do("reassign", "clerk", "receive", to_user="odir", opinion="请代为签收")
    assert s.state.holders == ["odir"]
    s.do("approve", "odir", "receive")
    s.do("urge", "odir", "register")
    assert s.last().reason_code == "own_step"
    s.do("delegate", "odir", to_user="clerk2", valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31))
    s.do("approve", "clerk2", "register", on_behalf_of="odir", opinion="代为登记")
    entry = s.last()
    assert entry.outcome == "accepted" and entry.delegated
    s.do("urge", "odir", "vet", opinion="请尽快初审")
    assert s.last().outcome == "accepted" and s.state.current.urges == 1


@pytest.mark.parametrize("target", ["receive", "register", "vet", "propose", "instruct", "handle"])
def test_archive_may_return_to_any_earlier_step(target: str) -> None:
    s = received()
    through_instruct(s, lead_department="D2", assist_departments=["D3"])
    s.do("approve", "chief2", "handle")
    s.do("approve", "chief3", "handle")
    s.do("approve", "clerk", "complete")
    allowed = {a.action: a for a in s.wf.allowed(s.state, "clerk", at=s.now)}
    assert target in allowed["return"].targets
    s.do("return", "clerk", "archive", to_step=target, opinion="材料不全")
    expected = {"receive": ["clerk2"], "register": ["clerk2"], "vet": ["clerk"], "propose": ["odir"],
                "instruct": ["dep"], "handle": ["chief2", "chief3"]}[target]
    assert s.state.current.step == target and s.state.holders == expected
