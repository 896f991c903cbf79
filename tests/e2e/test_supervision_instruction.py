"""A leader's real 批示 on a received document (the documents flow's `instruct` step) becomes
a supervision task for two units, which both see it with its source."""

from __future__ import annotations

from datetime import UTC, date, datetime

from oa_client.services import documents as docs


def _unit(desk, name: str) -> str:
    return next(u["id"] for u in desk.store.records.list("units", limit=1000)
                if u["name"] == name)


def _step(desks, login: str, doc_id: str, step_id: str, action: str = "approve", **kw) -> None:
    desk = desks[login]
    desk.sync()  # see the step it now holds
    desk.act(doc_id, action, step_id, **kw)


def _at_instruction(desks, title: str, body: str) -> str:
    """A 洪阳镇 请示 sent to 市政府, received there and proposed to the mayor for his 批示:
    the 收文's id."""
    clerk = desks["huangxiaomei"]  # 洪阳镇 文书
    req, _c = docs.compose(clerk.store, me=clerk.me, fields={
        "doc_kind": "请示", "issuer_name": "洪阳镇人民政府", "title": title,
        "main_to": [_unit(clerk, "普宁市人民政府")], "body": body})
    _step(desks, "huangxiaomei", req, "draft", "submit", opinion="请审核。")
    _step(desks, "chenweijie", req, "review", opinion="同意。")
    _step(desks, "lianghaitao", req, "sign_off", opinion="同意上报。")
    _step(desks, "chenweijie", req, "recheck")
    for s in ("number", "seal", "dispatch"):
        _step(desks, "huangxiaomei", req, s)
    clerk.sync()
    city = _unit(clerk, "普宁市人民政府")
    inc = str(docs.get_document(clerk.store, req)["receipts"][city]["incoming_id"])
    _step(desks, "wuqiong", inc, "receive")
    _step(desks, "wuqiong", inc, "register", values={"handling_days": 5})
    _step(desks, "wuqiong", inc, "vet")
    _step(desks, "huangjianhua", inc, "propose", opinion="拟请陈市长阅示。",
          values={"leader": "principal_leader"})
    return inc


def test_a_real_instruction_on_a_received_request_becomes_a_task(desks):
    inc = _at_instruction(
        desks, "洪阳镇人民政府关于拨付防汛抢险资金的请示",
        "普宁市人民政府：\n堤围多处受损，恳请拨付防汛抢险资金60万元。\n妥否，请批示。")

    instruction = "同意拨付，请财政局按程序办理，洪阳镇做好资金使用监管，月底前报结果。"
    mayor = desks["chenzhiqiang"]
    finance, hongyang = _unit(mayor, "普宁市财政局"), _unit(mayor, "洪阳镇人民政府")
    # the 批示 marked for 督办 names the units and the deadline: the task opens with it
    _step(desks, "chenzhiqiang", inc, "instruct", opinion=instruction, values={"supervise": {
        "title": "落实市长批示：拨付洪阳镇防汛抢险资金", "lead_unit_id": finance,
        "assist_unit_ids": [hongyang], "deadline": "2026-12-31", "importance": "重要",
        "report_every": "monthly"}})
    doc = mayor.doc(inc)
    assert doc["direction"] == "incoming" and doc.get("flow_step") != "instruct"  # 批示 taken
    (task,) = [t for t in mayor.store.records.list("supervision_tasks", limit=100)
               if (t.get("source") or {}).get("id") == inc]
    tid = task["id"]

    # 财政局 leads, 洪阳镇 assists; both see it with its source, ordered by the mayor
    for login, unit in (("weiguoqiang", finance), ("lianghaitao", hongyang)):
        desk = desks[login]
        desk.sync()
        task = desk.store.records.get("supervision_tasks", tid)
        assert unit in [task["lead_unit_id"], *task["assist_unit_ids"]]
        assert (task["lead_unit_id"], task["assist_unit_ids"]) == (finance, [hongyang])
        assert {k: task["source"][k] for k in ("kind", "collection", "id", "text")} == {
            "kind": "instruction", "collection": "documents", "id": inc, "text": instruction}
        assert task["title"] == "落实市长批示：拨付洪阳镇防汛抢险资金"
        assert task["ordered_by"] == mayor.id and task["state"] == "open"
        assert (task["deadline"], task["importance"], task["report_every"]) == (
            "2026-12-31", "重要", "monthly")


def test_an_instruction_written_under_a_delegation_opens_the_task_in_the_leaders_name(desks):
    """The mayor's 委托: his 秘书 (no leader role) writes the 批示 for him and marks it for
    督办. The task is ordered by the mayor — the server checks that the 批示 it cites is
    there, so the desk sends the 批示 first — and nobody's name but the mayor's is on it."""
    inc = _at_instruction(desks, "洪阳镇人民政府关于修缮防汛仓库的请示",
                          "普宁市人民政府：\n防汛仓库年久失修，恳请安排修缮资金。\n妥否，请批示。")
    mayor, secretary = desks["chenzhiqiang"], desks["liuyang"]
    today = datetime.now(UTC).date()
    docs.delegate(mayor.store, me=mayor.me, delegate_id=secretary.id, start=today,
                  end=date(today.year + 1, 1, 1))
    mayor.sync()
    finance = _unit(mayor, "普宁市财政局")
    _step(desks, "liuyang", inc, "instruct", opinion="请财政局研究解决。", on_behalf_of=mayor.id,
         values={"supervise": {"title": "落实市长批示：修缮洪阳镇防汛仓库",
                               "lead_unit_id": finance, "deadline": "2026-12-31"}})
    (task,) = [t for t in secretary.store.records.list("supervision_tasks", limit=100)
               if (t.get("source") or {}).get("id") == inc]
    assert task["ordered_by"] == mayor.id and task["state"] == "open"
    assert task["title"] == "落实市长批示：修缮洪阳镇防汛仓库"
