"""The server as the authority: a module's rules run inside every push (judge, pin, project,
derived writes, numbering), and what it decides reaches every reader by pull."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oa_client.domain.workflow import parse_definition
from oa_client.services import records as svc
from oa_server import authority
from oa_server.authority import Ruling
from oa_server.authority.flow import FlowEvents
from tests.sync.support import live_records, make_client

FLOW = parse_definition({
    "id": "hook-test", "name": "测试流程", "version": 1,
    "steps": [
        {"id": "report", "name": "报送", "holders": [{"starter": True}],
         "actions": ["submit"], "next": [{"to": "confirm"}]},
        {"id": "confirm", "name": "确认", "holders": [{"role": "supervisor"}],
         "actions": ["approve", "return"], "next": [{"to": "file"}]},
        {"id": "file", "name": "归档", "holders": [{"role": "clerk"}],
         "actions": ["approve"], "next": []},
    ],
})


class _TaskEvents(FlowEvents):
    collection, subject = "task_events", "supervision_tasks"

    def definition(self, ctx, subject):
        return FLOW

    def project(self, ctx, subject, state, event):
        out = super().project(ctx, subject, state, event)
        if state.status == "completed" and not subject.get("serial"):
            out["serial"] = ctx.next_number(f"hook:{subject['unit_id']}")
        return out


class _Phrases(authority.Authority):
    collection = "phrases"

    def check(self, ctx, op, payload, current):
        if not str(payload.get("text") or "").strip():
            return Ruling.reject("validation", "常用意见不能为空")
        return Ruling.accept({**payload, "owner_id": ctx.user_id})


@pytest.fixture
def rules(monkeypatch):
    registry = dict(authority.load())
    registry["task_events"] = _TaskEvents()
    registry["phrases"] = _Phrases()
    registry.pop("supervision_tasks", None)  # the bare task records here are not 督办 rules' business
    monkeypatch.setattr(authority, "REGISTRY", registry)
    monkeypatch.setattr(authority, "_loaded", True)
    return registry


def _event(client, task_id, action, step=None, **extra):
    return svc.append_event(client.store, "task_events", {
        "task_id": task_id, "action": action, "step": step,
        "actor_id": client.transport.user["id"], "at": datetime.now(UTC).isoformat(), **extra})


def test_flow_events_are_judged_pinned_and_projected(server, tmp_path, rules):
    clerk = make_client(server, tmp_path, "liuyang")
    boss = make_client(server, tmp_path, "lindongsheng")  # 督查室, same unit
    svc.save(clerk.store, "supervision_tasks", {"id": "t1", "title": "整改落实", "state": "open"})
    _event(clerk, "t1", "start")
    _event(clerk, "t1", "submit", "report", opinion="已报送")
    clerk.engine.sync()
    task = clerk.store.records.get("supervision_tasks", "t1")
    assert task["flow_step"] == "confirm"
    boss_id = boss.transport.user["id"]
    assert task["holder_ids"] == [boss_id]  # resolved from the server's org chart
    events = live_records(clerk.store, "task_events")
    submitted = next(d for _r, d in events.values() if d["action"] == "submit")
    assert submitted["status"] == "applied"
    assert submitted["opened"]["parts"][0]["holders"] == [boss_id]  # pinned by the server

    # someone not holding the step is refused by the server, with a reason
    _event(clerk, "t1", "approve", "confirm")
    report = clerk.engine.sync()
    assert report.rejected == 1
    # a forged actor is refused too
    result = clerk.transport.push([{
        "op_id": "forge", "kind": "action", "entity": "task_events", "entity_id": "ev-forge",
        "payload": {"task_id": "t1", "action": "approve", "step": "confirm", "actor_id": boss_id,
                    "at": datetime.now(UTC).isoformat()}}]).results[0]
    assert (result.status, result.code) == ("rejected", "forbidden")

    boss.engine.sync()
    _event(boss, "t1", "approve", "confirm", opinion="同意销号")
    # the 文书 joins the readers: the earlier events (read by the rules in this push) get
    # their audience updated, not inserted twice, and keep their order
    assert boss.engine.sync().applied == 1
    filer = make_client(server, tmp_path, "wuqiong")
    filer.engine.sync()
    assert filer.store.records.get("supervision_tasks", "t1")["flow_step"] == "file"
    assert len(live_records(filer.store, "task_events")) == 3
    _event(filer, "t1", "approve", "file")
    assert filer.engine.sync().applied == 1
    clerk.engine.sync()
    task = clerk.store.records.get("supervision_tasks", "t1")
    assert task["flow_status"] == "completed" and task["holder_ids"] == []
    assert task["serial"] == 1  # a server sequence, taken once
    filer.close()

    # events are append-only
    result = clerk.transport.push([{
        "op_id": "edit-ev", "kind": "upsert", "entity": "task_events",
        "entity_id": submitted["id"] if "id" in submitted else next(iter(events)),
        "base_rev": max(r for r, _d in events.values()), "payload": {"opinion": "改"}}]).results[0]
    assert result.status in ("rejected", "conflict")
    clerk.close()
    boss.close()


def test_a_late_action_is_kept_as_superseded(server, tmp_path, rules):
    clerk = make_client(server, tmp_path, "liuyang")
    boss = make_client(server, tmp_path, "lindongsheng")
    svc.save(clerk.store, "supervision_tasks", {"id": "t2", "title": "督办二", "state": "open"})
    _event(clerk, "t2", "start")
    _event(clerk, "t2", "submit", "report")
    clerk.engine.sync()
    # the clerk withdraws nothing; the step is then closed by the 督查室 twice: the second
    # approval arrives after the step closed and is kept, marked, and reported to its author
    boss.engine.sync()
    _event(boss, "t2", "approve", "confirm", opinion="第一次")
    boss.engine.sync()
    _event(boss, "t2", "approve", "confirm", opinion="晚到的意见")
    report = boss.engine.sync()
    late = [d for _r, d in live_records(boss.store, "task_events").values()
            if d.get("opinion") == "晚到的意见"]
    assert late and late[0]["status"] == "superseded" and late[0]["reason"]
    assert report.superseded == 1
    clerk.close()
    boss.close()


def test_plain_authority_rewrites_and_rejects(server, tmp_path, rules):
    clerk = make_client(server, tmp_path, "liuyang")
    svc.save(clerk.store, "phrases", {"id": "p1", "text": "同意", "owner_id": "someone-else"})
    svc.save(clerk.store, "phrases", {"id": "p2", "text": "   "})
    report = clerk.engine.sync()
    assert report.rejected == 1
    assert clerk.store.records.get("phrases", "p1")["owner_id"] == clerk.transport.user["id"]
    clerk.close()


def test_calendars_are_server_only(server, tmp_path):
    clerk = make_client(server, tmp_path, "liuyang")
    result = clerk.transport.push([{"op_id": "cal", "kind": "upsert", "entity": "calendars",
                                    "entity_id": "2027", "payload": {"year": 2027}}]).results[0]
    assert (result.status, result.code) == ("rejected", "read_only")
    clerk.close()


def test_authorities_keep_no_state_between_ops():
    # One instance of each authority serves every push of the process: what its check works
    # out for an op goes to the batch's `ctx.plans`, which dies with the batch — an op refused
    # after its check (too large, a conflict) leaves nothing behind in the authority.
    held = {name: sorted(vars(rules)) for name, rules in authority.load().items() if vars(rules)}
    assert held == {}
