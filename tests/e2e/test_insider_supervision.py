"""督办 against an insider: a task opened "from a 批示" must cite a leader's real 批示 on a 公文
and name that leader as ordering it; only the 督查室 or a leader who ordered a task decides its
extensions; nobody stops the month's 通报 by writing a record where it was going to be."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from oa_client.services import documents as docs
from oa_client.services import records as svc
from oa_client.services import supervision as sup
from sync.org import fetch_org
from tests.e2e.test_supervision import at, me, receive_document, task, unit_of
from tests.sync.support import make_client

TASKS = "supervision_tasks"


def push(client, entity: str, payload: dict, *, entity_id: str | None = None,
         kind: str = "upsert", base_rev: int = 0):
    """Send one raw op, as a tampered desk would; its result."""
    op = {"op_id": str(uuid.uuid4()), "kind": kind, "entity": entity,
          "entity_id": entity_id or str(uuid.uuid4()), "base_rev": base_rev, "payload": payload}
    return client.transport.push([op]).results[0]


def uid(client) -> str:
    return str(client.transport.user["id"])


def unit_named(client, name: str) -> str:
    return next(u["id"] for u in client.store.records.list("units", limit=1000)
                if u["name"] == name)


def task_payload(*, lead: str, ordered_by: str, source: dict) -> dict:
    return {"title": "落实市长批示：限期完成", "content": "市长批示：限期完成。",
            "lead_unit_id": lead, "assist_unit_ids": [], "deadline": "2026-12-30",
            "importance": "重要", "ordered_by": ordered_by, "source": source, "milestones": []}


@pytest.fixture
def people(server, tmp_path):
    server.clock.now = at("2026-09-21")
    names = ("wuqiong", "chenzhiqiang", "lindongsheng", "lianghaitao", "lizhiming",
             "huangxiaomei", "chenweijie", "huangjianhua", "lixiaolong", "liuyang")
    clients = {n: make_client(server, tmp_path, n) for n in names}
    yield clients
    for c in clients.values():
        c.close()


def test_a_drafter_cannot_open_a_task_in_the_mayors_name_citing_his_own_phrase(people):
    drafter, mayor = people["lixiaolong"], people["chenzhiqiang"]
    fetch_org(drafter.store, drafter.transport)
    finance = unit_named(drafter, "普宁市财政局")
    phrase = str(uuid.uuid4())
    assert push(drafter, "phrases", {"text": "同意"}, entity_id=phrase).status == "applied"
    cites_phrase = {"kind": "instruction", "collection": "phrases", "id": phrase,
                    "text": "陈市长批示"}
    for ordered_by in (uid(mayor), uid(drafter)):
        tid = str(uuid.uuid4())
        result = push(drafter, TASKS, task_payload(lead=finance, ordered_by=ordered_by,
                                                   source=cites_phrase), entity_id=tid)
        assert (result.status, result.code) == ("rejected", "forbidden"), result
        assert "领导批示督办须引用领导已批示" in result.message
        mayor.engine.sync()
        assert tid not in {t["id"] for t in mayor.store.records.list(TASKS, limit=1000)}


def test_a_leaders_real_instruction_opens_tasks_and_nobody_else_is_named_as_ordering_them(
        server, people):
    mayor, clerk = people["chenzhiqiang"], people["wuqiong"]
    office_director = people["huangjianhua"]
    doc_id = receive_document(people)
    clerk.engine.sync()
    hongyang = unit_of(people["lianghaitao"])
    cites_doc = {"kind": "instruction", "collection": "documents", "id": doc_id,
                 "text": "请洪阳镇抓紧加固。"}
    # the city office's clerk sees the document, but the mayor has not instructed on it yet
    early = push(clerk, TASKS, task_payload(lead=hongyang, ordered_by=uid(mayor),
                                            source=cites_doc))
    assert (early.status, early.code) == ("rejected", "forbidden"), early
    assert "陈志强未在该公文上作出批示" in early.message

    # the mayor's 批示 marked for 督办 opens the task (the desk's 批示 → 督办 flow)
    mayor.engine.sync()
    docs.act(mayor.store, me=me(mayor), doc_id=doc_id, action="approve", step="instruct",
             opinion="请洪阳镇抓紧加固。", now=server.clock.now, values={"supervise": {
                 "title": "落实市长批示：防洪堤加固", "lead_unit_id": hongyang,
                 "deadline": "2026-10-30"}})
    assert mayor.engine.sync().rejected == 0
    (made,) = [t for t in mayor.store.records.list(TASKS, limit=100)
               if (t.get("source") or {}).get("id") == doc_id]
    assert (made["ordered_by"], made["state"]) == (uid(mayor), "open")

    # after it, whoever sees the document may open a task from it in the mayor's name
    tid = str(uuid.uuid4())
    later = push(clerk, TASKS, task_payload(lead=hongyang, ordered_by=uid(mayor),
                                            source=cites_doc), entity_id=tid)
    assert later.status == "applied", later
    # but not in the name of someone who made no 批示 there, nor of someone who is no leader
    for who, words in ((office_director, "须写明作出批示的领导"), (clerk, "须写明作出批示的领导")):
        refused = push(clerk, TASKS, task_payload(lead=hongyang, ordered_by=uid(who),
                                                  source=cites_doc))
        assert (refused.status, refused.code) == ("rejected", "forbidden"), refused
        assert words in refused.message
    # the clerk who opened it cannot name herself as ordering it by an edit
    clerk.engine.sync()
    rec = clerk.store.records.get(TASKS, tid)
    svc.save(clerk.store, TASKS, {**rec, "ordered_by": uid(clerk), "title": "改名的事项"})
    assert clerk.engine.sync().rejected == 0
    kept = task(clerk, tid)
    assert (kept["title"], kept["ordered_by"]) == ("改名的事项", uid(mayor))


def test_a_self_ordered_task_leaves_its_extensions_to_the_supervision_office(people):
    director, duchashi = people["huangjianhua"], people["lindongsheng"]
    hongyang = people["lianghaitao"]
    tid, _c = sup.create_task(director.store, me=me(director), title="背街小巷改造",
                              content="年内完成", lead_unit_id=unit_of(hongyang),
                              deadline="2026-10-30", ordered_by=uid(director),
                              today=date(2026, 9, 21))
    assert director.engine.sync().rejected == 0
    task(hongyang, tid)
    req, _c = sup.request_extension(hongyang.store, me=me(hongyang), task_id=tid,
                                    new_deadline="2026-11-20", reason="拆迁未完成")
    assert hongyang.engine.sync().rejected == 0
    # the office director named himself as ordering it: he is no leader, so he cannot decide
    task(director, tid)
    decided = push(director, "task_events", {"task_id": tid, "action": "extend_decide",
                                             "request_id": req, "approve": True},
                   kind="action")
    assert (decided.status, decided.code) == ("rejected", "forbidden"), decided
    assert "延期申请由督查室或交办领导审批" in decided.message
    t = task(duchashi, tid)
    assert t["deadline"] == "2026-10-30" and t["pending_extension"]["id"] == req
    # the 督查室 decides it
    sup.decide_extension(duchashi.store, me=me(duchashi), task_id=tid, request_id=req,
                         approve=True)
    assert duchashi.engine.sync().rejected == 0
    assert task(hongyang, tid)["deadline"] == "2026-11-20"


def test_a_record_at_the_old_bulletin_id_does_not_stop_the_months_bulletin(server, people):
    duchashi, squatter, mayor = people["lindongsheng"], people["liuyang"], people["lianghaitao"]
    server.clock.now = at("2026-10-12")
    sup.create_task(duchashi.store, me=me(duchashi), title="河道清淤", content="汛前完成",
                    lead_unit_id=unit_of(mayor), deadline="2026-10-30", today=date(2026, 10, 12))
    assert duchashi.engine.sync().rejected == 0
    # a desk writes a 公文 where earlier releases put October's 通报, dressed up as one
    squat = str(uuid.uuid5(uuid.NAMESPACE_URL, "oa:supervision:bulletin:2026-10"))
    squatter.engine.sync()
    taken = push(squatter, "documents", {
        "direction": "outgoing", "doc_kind": "通报", "title": "普宁市人民政府办公室关于占位的通知",
        "issuer_name": "普宁市人民政府办公室", "secrecy": "非涉密", "body": "x",
        "main_to": [unit_of(mayor)], "source": {"kind": "supervision_bulletin",
                                                "period": "2026-10"}}, entity_id=squat)
    assert taken.status == "applied", taken
    server.clock.now = at("2026-11-02")
    body = {"year": 2026, "month": 10}
    made = duchashi.transport.request("POST", "/supervision/bulletins", json_body=body).json()
    assert made["made"] is True and made["month"] == "2026-10", made
    assert made["document_id"] != squat
    duchashi.engine.sync()
    doc = duchashi.store.records.get("documents", made["document_id"])
    assert (doc["doc_kind"], doc["state"], doc["drafter_id"]) == ("通报", "draft", uid(duchashi))
    assert doc["title"] == "关于2026年10月督办事项办理情况的通报" and "河道清淤" in doc["body"]
    # asked again: the same draft, none made
    again = duchashi.transport.request("POST", "/supervision/bulletins", json_body=body).json()
    assert (again["made"], again["document_id"]) == (False, made["document_id"])
    bulletins = [d for d in duchashi.store.records.list("documents", limit=1000)
                 if d.get("title") == "关于2026年10月督办事项办理情况的通报"]
    assert [d["id"] for d in bulletins] == [made["document_id"]]
    squatter.engine.sync()
    assert squatter.store.records.get("documents", squat)["title"] == \
        "普宁市人民政府办公室关于占位的通知"
