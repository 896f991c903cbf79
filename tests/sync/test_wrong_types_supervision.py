"""A tampered client with a valid account pushes 督办 ops (tasks, progress reports, requests
and decisions) whose fields hold the wrong kind of JSON value, or a new task carrying fields
only the server writes. Each bad op is refused alone with `validation`, naming the field,
and nothing of it is stored for the desks that read it; the server's own fields of a new
task start as the server sets them; never a 500, and the other ops of the push still apply."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from oa_client.services import supervision_views as views
from oa_server.sync_models import SyncRecord
from tests.server.support import copy_sqlite
from tests.sync.support import LiveServer, make_client, server_session

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in China
TASKS = "supervision_tasks"


def _op(entity: str, rid: str, payload: dict, *, base_rev: int = 0, kind: str = "action") -> dict:
    return {"op_id": uuid.uuid4().hex, "kind": kind, "entity": entity, "entity_id": rid,
            "base_rev": base_rev, "payload": payload}


def _rid(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


class World:
    """One server for the module: the 督查室 (林东升, whose unit leads) and two tasks of his."""

    def __init__(self, live: LiveServer, client, fin_unit: str) -> None:
        self.live, self.client, self.fin = live, client, fin_unit
        self.unit = str(client.transport.user["unit"]["id"])
        self.uid = str(client.transport.user["id"])

    def task(self, **extra) -> dict:
        """A well-formed new task as the desk writes it."""
        return {"title": "整治城区内涝点", "content": "请于年底前完成整治", "lead_unit_id": self.unit,
                "assist_unit_ids": [self.fin], "deadline": "2026-12-18", "importance": "一般",
                "report_every": "weekly", "source": {"kind": "manual"},
                "milestones": [{"title": "节点一", "due": "2026-12-01"}], "owner_id": self.uid,
                "ordered_by": None, **extra}

    def push(self, *ops: dict):
        """The results of one push."""
        return self.client.transport.push(list(ops)).results

    def one(self, entity: str, rid: str, payload: dict, **kw):
        """One raw op's result."""
        return self.push(_op(entity, rid, payload, **kw))[0]

    def stored(self, collection: str, rid: str) -> dict | None:
        """The record as the server holds it (with its rev), or None."""
        with server_session(self.live) as s:
            rec = s.query(SyncRecord).filter_by(collection=collection, id=rid).one_or_none()
            if rec is None or rec.deleted:
                return None
            return {**json.loads(rec.data), "rev": rec.rev}

    def new_task(self, **extra) -> str:
        rid = _rid("task")
        assert self.one(TASKS, rid, self.task(**extra), kind="upsert").status == "applied"
        return rid


@pytest.fixture(scope="module")
def world(sync_template, tmp_path_factory):
    root = tmp_path_factory.mktemp("wrong-types-supervision")
    live = LiveServer(root / "server",
                      f"sqlite:///{copy_sqlite(sync_template, root / 'server')}").start()
    live.clock.now = NOW
    fin = make_client(live, root, "chenmeiling")
    sv = make_client(live, root, "lindongsheng")  # 督查室
    w = World(live, sv, str(fin.transport.user["unit"]["id"]))
    w.base = w.new_task()
    w.closing = w.new_task()
    assert w.one("task_events", _rid("ev"), {"task_id": w.closing, "action": "close_request",
                                            "result": "已完成整治"}).status == "applied"
    yield w
    fin.close()
    sv.close()
    live.stop()


def _refused(result, label: str) -> None:
    assert (result.status, result.code) == ("rejected", "validation"), result
    assert label in result.message, result.message


TASK_CASES = [
    ("content", 5, "督办内容"), ("content", 1.5, "督办内容"), ("content", True, "督办内容"),
    ("content", ["内容"], "督办内容"), ("content", {"a": 1}, "督办内容"),
    ("title", 5, "事项名称"),
    ("importance", 0, "重要程度"), ("importance", False, "重要程度"), ("importance", "要紧", "重要程度"),
    ("importance", [], "重要程度"), ("importance", {}, "重要程度"),
    ("source", 0, "来源"), ("source", False, "来源"), ("source", "", "来源"), ("source", [], "来源"),
    ("source", {"kind": "manual", "id": [1]}, "来源"),
    ("milestones", [{"title": "节点一", "due": "2026-12-01", "id": [1]}], "标识"),
    ("milestones", [{"title": "节点一", "due": "2026-12-01", "id": {"a": 1}}], "标识"),
    ("adjust_deadline", "yes", "顺延到工作日"),
]


@pytest.mark.parametrize("field,value,label", TASK_CASES)
def test_a_task_opened_with_a_wrongly_typed_field_is_refused_naming_it(world, field, value, label):
    rid = _rid("task")
    _refused(world.one(TASKS, rid, world.task(**{field: value}), kind="upsert"), label)
    assert world.stored(TASKS, rid) is None


EDIT_CASES = [
    ("milestones", 5, "节点"), ("milestones", 1.5, "节点"), ("milestones", True, "节点"),
    ("milestones", [{"title": "节点一", "due": "2026-12-01", "id": [1]}], "标识"),
    ("milestones", [{"title": "节点一", "due": "2026-12-01", "id": {"a": 1}}], "标识"),
    ("content", 5, "督办内容"), ("content", {"a": 1}, "督办内容"), ("importance", 0, "重要程度"),
]


@pytest.mark.parametrize("field,value,label", EDIT_CASES)
def test_an_edit_with_a_wrongly_typed_field_leaves_the_task_as_it_was(world, field, value, label):
    before = world.stored(TASKS, world.base)
    payload = {**{k: v for k, v in before.items() if k not in ("id", "rev")}, field: value}
    _refused(world.one(TASKS, world.base, payload, base_rev=before["rev"], kind="upsert"), label)
    assert world.stored(TASKS, world.base) == before


SERVER_OWNED = [("reassigned", 5), ("reassigned", True), ("reassigned", "text"), ("light", 5),
                ("last_progress", [1]), ("result", {"a": 1}), ("closed_at", 5), ("closed_by", 5),
                ("last_rejection", [1])]


@pytest.mark.parametrize("field,value", SERVER_OWNED)
def test_a_new_task_does_not_keep_fields_only_the_server_writes(world, field, value):
    rid = world.new_task(**{field: value})
    assert field not in world.stored(TASKS, rid)


def test_an_edit_does_not_set_the_last_progress_the_server_keeps(world):
    rid = world.new_task()
    before = world.stored(TASKS, rid)
    payload = {**{k: v for k, v in before.items() if k not in ("id", "rev")},
               "last_progress": 5, "title": "改名"}
    assert world.one(TASKS, rid, payload, base_rev=before["rev"], kind="upsert").status == "applied"
    after = world.stored(TASKS, rid)
    assert (after["title"], "last_progress" in after) == ("改名", False)


@pytest.mark.parametrize("bad", [5, True])
def test_a_task_opened_with_a_reassigned_value_can_still_be_reassigned(world, bad):
    rid = world.new_task(reassigned=bad)
    result = world.one("task_events", _rid("ev"), {"task_id": rid, "action": "reassign",
                                                   "lead_unit_id": world.fin, "reason": "职能调整"})
    assert result.status == "applied", result
    task = world.stored(TASKS, rid)
    assert task["lead_unit_id"] == world.fin and task["assist_unit_ids"] == []
    assert task["reassigned"] == [{"from": world.unit, "to": world.fin, "at": "2026-11-20",
                                   "reason": "职能调整"}]


PROGRESS_CASES = [
    ("text", 5, "进展情况"), ("text", 1.5, "进展情况"), ("text", True, "进展情况"),
    ("text", ["已完成"], "进展情况"), ("text", {"a": 1}, "进展情况"),
    ("attachment_ids", 5, "附件"), ("attachment_ids", 1.5, "附件"), ("attachment_ids", True, "附件"),
    ("attachment_ids", "text", "附件"), ("attachment_ids", {"a": 1}, "附件"),
    ("attachment_ids", [1], "附件"),
]


@pytest.mark.parametrize("field,value,label", PROGRESS_CASES)
def test_a_progress_report_with_a_wrongly_typed_field_is_refused_naming_it(
        world, field, value, label):
    before = world.stored(TASKS, world.base)
    rid = _rid("prog")
    _refused(world.one("task_progress", rid, {"task_id": world.base, "text": "已完成部署",
                                              "percent": 30, "attachment_ids": [], field: value}),
             label)
    assert world.stored("task_progress", rid) is None
    assert world.stored(TASKS, world.base) == before


#: (task: "base" open, "closing" awaiting the 督查室; the event; how the refusal names it)
EVENT_CASES = [
    *[("base", {"action": "extend_request", "new_deadline": "2026-12-31", "reason": v}, "理由")
      for v in (5, 1.5, True, ["工作量大"], {"a": 1})],
    ("base", {"action": "extend_request", "new_deadline": 20261231, "reason": "工作量大"},
     "延期后的期限"),
    *[("base", {"action": "close_request", "result": v}, "办理结果")
      for v in (5, True, ["已完成"], {"a": 1})],
    *[("base", {"action": "reassign", "lead_unit_id": "FIN", "reason": v}, "理由")
      for v in (5, ["调整"])],
    *[("closing", {"action": "close_decide", "request_id": "REQ", "accept": False, "opinion": v},
       "意见") for v in (5, True, ["缺少验收报告"], {"a": 1})],
    ("closing", {"action": "close_decide", "request_id": "REQ", "accept": "no", "opinion": "x"},
     "是否同意销号"),
]


@pytest.mark.parametrize("which,event,label", EVENT_CASES)
def test_a_request_or_decision_with_a_wrongly_typed_field_is_refused_naming_it(
        world, which, event, label):
    tid = world.base if which == "base" else world.closing
    before = world.stored(TASKS, tid)
    if event.get("lead_unit_id") == "FIN":
        event = {**event, "lead_unit_id": world.fin}
    if event.get("request_id") == "REQ":
        event = {**event, "request_id": before["pending_close"]["id"]}
    rid = _rid("ev")
    _refused(world.one("task_events", rid, {"task_id": tid, **event}), label)
    assert world.stored("task_events", rid) is None
    assert world.stored(TASKS, tid) == before


def test_the_other_ops_of_the_push_still_apply_and_the_desk_reads_the_task(world):
    good_task, bad_task = _rid("task"), _rid("task")
    good_report, bad_report = _rid("prog"), _rid("prog")
    results = world.push(
        _op(TASKS, bad_task, world.task(content=5), kind="upsert"),
        _op(TASKS, good_task, world.task(), kind="upsert"),
        _op("task_progress", bad_report, {"task_id": good_task, "text": "已完成部署",
                                          "attachment_ids": 5}),
        _op("task_progress", good_report, {"task_id": good_task, "text": "已完成部署",
                                           "percent": 30, "attachment_ids": []}))
    assert [r.status for r in results] == ["rejected", "applied", "rejected", "applied"]
    assert world.stored("task_progress", bad_report) is None
    assert world.stored(TASKS, good_task)["last_progress"] == "已完成部署"
    world.client.engine.sync()
    lines = views.timeline(world.client.store, good_task)
    assert [(e.kind, e.text) for e in lines] == [("progress", "已完成部署")]
