"""Supervision end to end through the real server: a 批示 on a received document becomes a
task for two units; progress, 催办, lights across the National Day week (server clock
injected), an extension, competing 销号 requests, the confirmation, and the month's 通报."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import pytest

from oa_client.errors import ValidationError
from oa_client.services import documents as docs
from oa_client.services import supervision as sup
from oa_client.services import supervision_views as views
from oa_client.services.todo import todo_items
from sync.org import fetch_org
from sync.transport import SyncError
from tests.sync.support import make_client
from ui.supervision.bulletin import render_bulletin

TASKS = "supervision_tasks"


def at(day: str, hour: int = 2) -> datetime:
    """A server clock reading (UTC; 02:00 UTC is 10:00 in China)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def unit_of(client) -> str:
    return str(client.transport.user["unit"]["id"])


def me(client) -> dict:
    return client.transport.user


def chase(client) -> dict:
    return client.transport.request("POST", "/supervision/chase").json()


def task(client, tid: str) -> dict:
    client.engine.sync()
    return client.store.records.get("supervision_tasks", tid)


def receive_document(people) -> str:
    """洪阳镇's 报告 to the city, walked through its 发文 flow and delivered by the exchange,
    registered and proposed to the mayor by the city office: the id of the city's incoming
    copy, now waiting for the mayor's 批示 (批办)."""
    from oa_client.services import documents as docs

    for c in people.values():
        fetch_org(c.store, c.transport)

    def step(login: str, doc_id: str, step_id: str, action: str = "approve", **kw) -> None:
        desk = people[login]
        desk.engine.sync()
        docs.act(desk.store, me=me(desk), doc_id=doc_id, action=action, step=step_id, **kw)
        assert desk.engine.sync().rejected == 0, desk.store.db.query("SELECT * FROM conflicts")

    town_clerk = people["huangxiaomei"]
    city = next(u["id"] for u in town_clerk.store.records.list("units", limit=1000)
                if u["name"] == "普宁市人民政府")
    report, _c = docs.compose(town_clerk.store, me=me(town_clerk), fields={
        "doc_kind": "报告", "issuer_name": "洪阳镇人民政府", "title": "关于洪阳镇防洪堤险情的报告",
        "main_to": [city], "body": "普宁市人民政府：\n汛期临近，防洪堤多处渗漏，亟需加固。\n特此报告。"})
    step("huangxiaomei", report, "draft", "submit", opinion="请审核。")
    step("chenweijie", report, "review", opinion="同意。")
    step("lianghaitao", report, "sign_off", opinion="同意上报。")
    step("chenweijie", report, "recheck")
    for s in ("number", "seal", "dispatch"):
        step("huangxiaomei", report, s)
    town_clerk.engine.sync()
    received = docs.get_document(town_clerk.store, report)["receipts"][city]["incoming_id"]
    step("wuqiong", received, "receive")
    step("wuqiong", received, "register", values={"handling_days": 5})
    step("wuqiong", received, "vet")
    step("huangjianhua", received, "propose", opinion="拟请陈市长阅示。",
         values={"leader": "principal_leader"})
    return str(received)


@pytest.fixture
def people(server, tmp_path):
    server.clock.now = at("2026-09-21")
    names = ("wuqiong", "chenzhiqiang", "lindongsheng", "lianghaitao", "lizhiming",
             "huangxiaomei", "chenweijie", "huangjianhua")
    clients = {n: make_client(server, tmp_path, n) for n in names}
    yield clients
    for c in clients.values():
        c.close()


def test_instruction_to_closure_with_chasing_lights_extension_and_bulletin(server, people,
                                                                           tmp_path):
    mayor, duchashi = people["chenzhiqiang"], people["lindongsheng"]
    hongyang, liushadong = people["lianghaitao"], people["lizhiming"]
    hy, ls = unit_of(hongyang), unit_of(liushadong)

    # a received document (delivered by 公文交换) waits for the mayor's 批示; his 批示 marked
    # for 督办 opens the task: 洪阳镇 leads, 流沙东 assists, weekly reports, due after the holiday
    doc_id = receive_document(people)
    mayor.engine.sync()
    assert mayor.store.records.get("documents", doc_id)["flow_step"] == "instruct"
    instruction = "请洪阳镇牵头、流沙东街道配合，国庆节后完成加固，每周报送进展。"
    docs.act(mayor.store, me=me(mayor), doc_id=doc_id, action="approve", step="instruct",
             opinion=instruction, now=server.clock.now, values={"supervise": {
                 "title": "落实市长批示：防洪堤加固", "lead_unit_id": hy, "assist_unit_ids": [ls],
                 "deadline": "2026-10-09", "importance": "重要", "report_every": "weekly"}})
    assert mayor.engine.sync().rejected == 0
    (tid,) = [t["id"] for t in mayor.store.records.list("supervision_tasks", limit=100)
              if (t.get("source") or {}).get("id") == doc_id]
    for c in (hongyang, liushadong, duchashi):
        t = task(c, tid)
        assert t["state"] == "open" and t["lead_unit_id"] == hy and t["assist_unit_ids"] == [ls]
        assert (t["title"], t["deadline"], t["ordered_by"]) == (
            "落实市长批示：防洪堤加固", "2026-10-09", mayor.transport.user["id"])
    source = task(mayor, tid)["source"]
    assert (source["kind"], source["id"], source["text"]) == ("instruction", doc_id, instruction)
    assert mayor.store.records.get("documents", doc_id)["flow_step"] == "handle"

    # both units report in the first week; the next week only 洪阳镇 does
    sup.report_progress(hongyang.store, me=me(hongyang), task_id=tid, text="已完成勘察设计。",
                        attachments=[("勘察报告.txt", "渗漏点12处".encode())])
    sup.report_progress(liushadong.store, me=me(liushadong), task_id=tid, text="已调配物资。")
    from oa_client.services.conflicts import open_conflicts
    assert hongyang.engine.sync().rejected == 0, open_conflicts(hongyang.store)
    assert liushadong.engine.sync().rejected == 0
    server.clock.now = at("2026-09-28")
    sup.report_progress(hongyang.store, me=me(hongyang), task_id=tid, text="主体施工过半。")
    hongyang.engine.sync()
    assert chase(duchashi)["chased"] == []  # due today: not late yet
    assert task(duchashi, tid)["light"] == "green"  # 4 working days left

    server.clock.now = at("2026-09-30")
    result = chase(duchashi)
    assert result["chased"] == [{"task_id": tid, "unit_id": ls}]  # 流沙东 missed 9-28
    assert result["lights"] == {tid: "yellow"}  # 10-08 and 10-09 are all that is left
    assert chase(duchashi)["chased"] == []  # chased once per missed report
    t = task(liushadong, tid)
    assert set(t["chased"]) == {ls} and t["light"] == "yellow"
    chased_todo = todo_items(liushadong.store, user_id=me(liushadong)["id"], unit_id=ls)
    assert [(i.record_id, i.urgency) for i in chased_todo if i.kind == "supervise"] == [
        (tid, "加急")]  # the 催办 puts it at the top of 待办
    entries = views.timeline(liushadong.store, tid)
    assert [e.kind for e in entries].count("progress") == 3
    assert any(e.kind == "chase" and e.unit_id == ls for e in entries)
    assert any(e.attachments == ("勘察报告.txt",) for e in entries)
    file_id = next(e.attachment_ids[0] for e in entries if e.attachment_ids)
    assert views.read_attachment(liushadong.store, file_id) == ("勘察报告.txt",
                                                                "渗漏点12处".encode())
    # the 督查室 board shows the chased unit and the counts per light
    b = views.board(duchashi.store, today=date(2026, 9, 30))
    assert b.counts["yellow"] == 1 and b.rows[0].chased_units == (ls,)

    # the National Day week passes: on Saturday 10-10 (a make-up workday) it is red
    server.clock.now = at("2026-10-08")
    assert chase(duchashi)["lights"] == {}  # still yellow
    server.clock.now = at("2026-10-09", hour=15)  # 23:00 on Friday in Beijing: still yellow
    assert chase(duchashi)["lights"] == {}
    server.clock.now = at("2026-10-09", hour=17)  # 01:00 on Saturday 10-10 in Beijing
    assert chase(duchashi)["lights"] == {tid: "red"}
    assert views.board(hongyang.store, view="mine", unit_id=hy, today=date(2026, 10, 10)
                       ).counts["red"] == 1

    # 洪阳镇 asks for more time; the mayor who ordered the task approves it
    req, _c = sup.request_extension(hongyang.store, me=me(hongyang), task_id=tid,
                                    new_deadline="2026-10-23", reason="国庆期间连续降雨停工")
    hongyang.engine.sync()
    pending = task(mayor, tid)["pending_extension"]
    assert pending["id"] == req and pending["new_deadline"] == "2026-10-23"
    sup.decide_extension(mayor.store, me=me(mayor), task_id=tid, request_id=req, approve=True,
                         opinion="同意延期，务必确保质量")
    assert mayor.engine.sync().rejected == 0
    assert chase(duchashi)["lights"] == {tid: "green"}
    t = task(hongyang, tid)
    assert t["deadline"] == "2026-10-23" and t["pending_extension"] is None

    # both units ask for 销号; the first is taken, the second kept as superseded and told
    server.clock.now = at("2026-10-20")
    first, _c = sup.request_close(hongyang.store, me=me(hongyang), task_id=tid,
                                  result="加固工程完工，已通过验收。")
    sup.request_close(liushadong.store, me=me(liushadong), task_id=tid, result="配合完成。")
    assert hongyang.engine.sync().superseded == 0
    report = liushadong.engine.sync()
    assert report.superseded == 1
    events = liushadong.store.records.list("task_events", where={"task_id": tid}, limit=100)
    late = next(e for e in events if e["action"] == "close_request" and e["status"] ==
                "superseded")
    assert late["actor_id"] == liushadong.transport.user["id"]
    assert task(duchashi, tid)["state"] == "closing"
    fetch_org(duchashi.store, duchashi.transport)  # the 督查室 role comes from the org cache
    waiting = todo_items(duchashi.store, user_id=me(duchashi)["id"], unit_id=unit_of(duchashi))
    assert [(i.kind, i.record_id) for i in waiting] == [("supervise", tid)]
    assert tid in {i.record_id for i in todo_items(liushadong.store, user_id=me(liushadong)["id"],
                                                   unit_id=ls)}

    # the 督查室 rejects the result (reopened), then confirms the second request
    sup.decide_close(duchashi.store, me=me(duchashi), task_id=tid, request_id=first,
                     accept=False, opinion="缺少验收报告")
    duchashi.engine.sync()
    t = task(hongyang, tid)
    assert t["state"] == "open" and t["reopened"] == 1 and t["last_rejection"] == "缺少验收报告"
    again, _c = sup.request_close(hongyang.store, me=me(hongyang), task_id=tid,
                                  result="工程完工，验收报告已上传。")
    hongyang.engine.sync()
    duchashi.engine.sync()
    server.clock.now = at("2026-10-22")
    sup.decide_close(duchashi.store, me=me(duchashi), task_id=tid, request_id=again,
                     accept=True, opinion="同意销号")
    duchashi.engine.sync()
    # 流沙东 wrote a report offline before it heard of the closure: the server refuses it
    sup.report_progress(liushadong.store, me=me(liushadong), task_id=tid, text="补充材料。")
    assert liushadong.engine.sync().rejected == 1
    t = task(liushadong, tid)
    assert t["state"] == "closed" and t["result"] == "工程完工，验收报告已上传。"
    with pytest.raises(Exception, match="已销号"):
        sup.report_progress(liushadong.store, me=me(liushadong), task_id=tid, text="再补充。")

    # two more tasks from the 督查室 for the October 通报: one overdue, one in progress
    server.clock.now = at("2026-10-12")
    for title, lead, deadline in (("整治城区内涝点", ls, "2026-10-16"),
                                  ("编制明年防汛预案", hy, "2026-11-30")):
        sup.create_task(duchashi.store, me=me(duchashi), title=title, content=title,
                        lead_unit_id=lead, deadline=deadline, today=date(2026, 10, 12))
    assert duchashi.engine.sync().rejected == 0
    bulletin = views.monthly_bulletin(duchashi.store, year=2026, month=10)
    assert bulletin.totals() == {"done": 1, "in_progress": 1, "overdue": 1}
    by_unit = {s.unit_id: s for s in bulletin.sections}
    assert (by_unit[hy].count("done"), by_unit[hy].count("in_progress")) == (1, 1)
    assert by_unit[ls].count("overdue") == 1
    pdf = render_bulletin(bulletin, issuer="普宁市人民政府办公室", issued=date(2026, 11, 2))
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "tongbao.pdf"
    out.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout.replace(" ", "").replace("\n", "")
    assert "已办结1项" in text and "逾期未办结1项" in text and "正在办理1项" in text
    assert "通报" in text and "整治城区内涝点" in text


def test_bad_input_is_refused_or_warned_with_the_field(server, people):
    mayor, duchashi, hongyang = people["chenzhiqiang"], people["lindongsheng"], \
        people["lianghaitao"]
    hy = unit_of(hongyang)
    push = duchashi.transport.push

    def create(client, tid, **data):
        base = {"title": "事项", "content": "内容", "lead_unit_id": hy, "assist_unit_ids": [],
                "deadline": "2026-09-30", "source": {"kind": "manual"}}
        return client.transport.push([{"op_id": f"op-{tid}", "kind": "upsert",
                                       "entity": "supervision_tasks", "entity_id": tid,
                                       "payload": {**base, **data}}]).results[0]

    # a deadline before the start: refused, naming the date
    r = create(duchashi, "t-early", deadline="2026-09-18")
    assert (r.status, r.code) == ("rejected", "validation") and "早于立项日期" in r.message
    # a deadline in the National Day holiday: kept with a warning, or moved on request
    assert create(duchashi, "t-hol", deadline="2026-10-02").status == "applied"
    duchashi.engine.sync()
    t = duchashi.store.records.get("supervision_tasks", "t-hol")
    assert t["deadline"] == "2026-10-02" and "国庆节" in t["deadline_note"]
    create(duchashi, "t-adj", deadline="2026-10-02", adjust_deadline=True)
    duchashi.engine.sync()
    assert duchashi.store.records.get("supervision_tasks", "t-adj")["deadline"] == "2026-10-08"
    # a clerk may not open a task on her own (no 批示, no minutes), nor anyone for an
    # unknown unit
    r = create(people["wuqiong"], "t-self")
    assert (r.status, r.code) == ("rejected", "forbidden")
    r = create(mayor, "t-unit", lead_unit_id="00000000-0000-0000-0000-000000000000")
    assert r.status == "rejected" and "单位不存在" in r.message
    # a unit that is not responsible cannot report; nobody reports as someone else
    r = mayor.transport.push([{"op_id": "p1", "kind": "action", "entity": "task_progress",
                               "entity_id": "p1", "payload": {"task_id": "t-hol",
                                                              "text": "代报"}}]).results[0]
    assert r.status == "rejected"
    r = hongyang.transport.push([{"op_id": "e1", "kind": "action", "entity": "task_events",
                                  "entity_id": "e1", "payload": {
                                      "task_id": "t-hol", "action": "close_decide",
                                      "accept": True}}]).results[0]
    assert (r.status, r.code) == ("rejected", "forbidden")  # only the 督查室 confirms 销号
    r = duchashi.transport.push([{"op_id": "e2", "kind": "action", "entity": "task_events",
                                  "entity_id": "e2", "payload": {
                                      "task_id": "t-hol", "action": "chase"}}]).results[0]
    assert r.status == "rejected"  # 催办 comes from the server's clock only
    # malformed payloads get a refusal with a message, never a server error
    odd = [("supervision_tasks", {"title": "x", "source": "批示"}),
           ("supervision_tasks", {"title": "x", "content": "y", "lead_unit_id": hy,
                                  "deadline": "2026-10-08", "ordered_by": 5}),
           ("supervision_tasks", {"title": "x", "content": "y", "lead_unit_id": hy,
                                  "deadline": None, "milestones": "明天"}),
           ("supervision_tasks", {"title": "x", "content": "y", "lead_unit_id": hy,
                                  "deadline": "2026-10-08", "audience_roles": "supervisor"}),
           ("task_events", {"task_id": "t-hol", "action": "__init__"}),
           ("task_events", {"task_id": "t-hol", "action": "extend_request",
                            "new_deadline": "明年", "reason": "x"}),
           ("task_progress", {"task_id": "t-hol", "text": "x", "percent": "一半"})]
    for i, (entity, payload) in enumerate(odd):
        client = hongyang if entity == "task_progress" else duchashi
        r = client.transport.push([{"op_id": f"odd{i}", "kind": "action" if entity != TASKS
                                    else "upsert", "entity": entity, "entity_id": f"odd{i}",
                                    "payload": payload}]).results[0]
        assert r.status == "rejected" and r.message, (entity, payload, r)
    # the 催办 pass is for the 督查室
    with pytest.raises(SyncError):
        hongyang.transport.request("POST", "/supervision/chase")
    # an edit cannot move the state or the deadline: only events do
    duchashi.engine.sync()
    cur = duchashi.store.records.get("supervision_tasks", "t-hol")
    r = push([{"op_id": "ed", "kind": "upsert", "entity": "supervision_tasks",
               "entity_id": "t-hol", "base_rev": cur["rev"],
               "payload": {**{k: v for k, v in cur.items() if k not in ("id", "rev")},
                           "state": "closed", "deadline": "2027-01-01", "title": "改名"}}]
             ).results[0]
    assert r.status == "applied"
    duchashi.engine.sync()
    cur = duchashi.store.records.get("supervision_tasks", "t-hol")
    assert (cur["state"], cur["deadline"], cur["title"]) == ("open", "2026-10-02", "改名")


def test_dissolved_lead_unit_is_reassigned_and_logged(server, people, tmp_path):
    duchashi = people["lindongsheng"]
    admin = make_client(server, tmp_path, "huangwei")
    meitang = make_client(server, tmp_path, "zhangjianguo")  # 梅塘镇 head
    village = make_client(server, tmp_path, "zhengxiaofen")  # 梅塘镇溪南村
    tid, _c = sup.create_task(duchashi.store, me=me(duchashi), title="村道硬化", content="年底前完成",
                              lead_unit_id=unit_of(village), deadline="2026-12-15",
                              today=date(2026, 9, 21))
    duchashi.engine.sync()
    admin.transport.request("POST", f"/admin/units/{unit_of(village)}/disable")
    result = chase(duchashi)
    assert result["reassigned"] == [{"task_id": tid, "from": unit_of(village),
                                     "to": unit_of(meitang)}]
    t = task(meitang, tid)  # the parent unit now sees and leads the task
    assert t["lead_unit_id"] == unit_of(meitang) and t["reassigned"][0]["from"] == unit_of(village)
    events = meitang.store.records.list("task_events", where={"task_id": tid}, limit=10)
    assert [e["action"] for e in events] == ["reassign"]
    with server.app.state.sessionmaker() as s:
        from sqlalchemy import text
        actions = [a for (a,) in s.execute(text("SELECT action FROM audit_log"))]
    assert "supervision.reassign" in actions
    # the calendar is admin-editable per year; clients read it after a sync
    table = {"year": 2027, "source": "测试：2027年安排", "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
        "workdays": [{"date": "2027-01-09", "name": "元旦调休上班"}]}
    with pytest.raises(SyncError) as err:
        duchashi.transport.request("PUT", "/supervision/calendars/2027",
                                   json_body={**table, "workdays": [{"date": "2027-01-05"}]})
    assert "不是周末" in str(err.value)
    for bad in ([1, 2], {**table, "year": 2028}, {**table, "holidays": "春节"}):
        with pytest.raises(SyncError) as err:
            duchashi.transport.request("PUT", "/supervision/calendars/2027", json_body=bad)
        assert err.value.message and "Traceback" not in err.value.message
    with pytest.raises(SyncError):  # a township head is no calendar administrator
        people["lianghaitao"].transport.request("PUT", "/supervision/calendars/2027",
                                                json_body=table)
    duchashi.transport.request("PUT", "/supervision/calendars/2027", json_body=table)
    duchashi.engine.sync()
    cal = sup.calendar(duchashi.store)
    assert cal.is_workday(date(2027, 1, 9)) and not cal.is_workday(date(2027, 1, 1))
    admin.close()
    meitang.close()
    village.close()


def test_the_supervision_office_moves_the_lead_and_the_cli_chases(server, people, capsys):
    duchashi, hongyang, liushadong = people["lindongsheng"], people["lianghaitao"], \
        people["lizhiming"]
    hy, ls = unit_of(hongyang), unit_of(liushadong)
    tid, _c = sup.create_task(duchashi.store, me=me(duchashi), title="河道清淤", content="汛前完成",
                              lead_unit_id=hy, assist_unit_ids=[ls], deadline="2026-11-30",
                              report_every="weekly", today=date(2026, 9, 21))
    duchashi.engine.sync()
    # only the 督查室 moves the lead; the old lead becomes nothing, the new one leads
    task(hongyang, tid)
    sup.reassign(hongyang.store, me=me(hongyang), task_id=tid, lead_unit_id=ls)
    assert hongyang.engine.sync().rejected == 1
    sup.reassign(duchashi.store, me=me(duchashi), task_id=tid, lead_unit_id=ls,
                 reason="职能调整，由流沙东街道牵头")
    assert duchashi.engine.sync().rejected == 0
    t = task(liushadong, tid)
    assert t["lead_unit_id"] == ls and t["assist_unit_ids"] == []
    assert t["reassigned"][0] == {"from": hy, "to": ls, "at": "2026-09-21",
                                  "reason": "职能调整，由流沙东街道牵头"}
    # the server chases every morning by itself; an operator may run the pass by hand for a
    # chosen moment (`oa-server supervision chase --at …`), so the light is certain here
    from oa_server import cli

    settings = server.settings
    args = ["--data-dir", str(settings.data_dir), "--database-url", str(settings.database_url),
            "supervision", "chase"]
    assert cli.main([*args, "--at", "2026-11-24T10:00"]) == 0
    # weeks have passed: the lead is chased. Tuesday 11-24 to the deadline Monday 11-30 leaves
    # 4 working days (25, 26, 27, 30), more than the 3 warning days: still green
    assert "催办 1 项" in capsys.readouterr().out
    t = task(liushadong, tid)
    assert set(t["chased"]) == {ls} and t["light"] == "green"
    # Wednesday: 3 working days left (26, 27, 30): yellow
    assert cli.main([*args, "--at", "2026-11-25T10:00+08:00"]) == 0
    assert "催办 0 项，状态灯变化 1 项" in capsys.readouterr().out
    assert task(liushadong, tid)["light"] == "yellow"


def test_extension_requests_one_at_a_time_decided_by_the_supervision_office(server, people):
    duchashi, hongyang, liushadong = people["lindongsheng"], people["lianghaitao"], \
        people["lizhiming"]
    hy, ls = unit_of(hongyang), unit_of(liushadong)
    tid, _c = sup.create_task(duchashi.store, me=me(duchashi), title="背街小巷改造",
                              content="年内完成", lead_unit_id=hy, assist_unit_ids=[ls],
                              deadline="2026-10-30", today=date(2026, 9, 21))
    duchashi.engine.sync()
    task(hongyang, tid)
    task(liushadong, tid)
    first, _c = sup.request_extension(hongyang.store, me=me(hongyang), task_id=tid,
                                      new_deadline="2026-11-20", reason="拆迁未完成")
    sup.request_extension(liushadong.store, me=me(liushadong), task_id=tid,
                          new_deadline="2026-12-20", reason="配合单位也要延期")
    hongyang.engine.sync()
    assert liushadong.engine.sync().superseded == 1  # one request at a time, the later told
    # a unit cannot decide its own request; the 督查室 can (the ordering leader too)
    sup.decide_extension(hongyang.store, me=me(hongyang), task_id=tid, request_id=first,
                         approve=True)
    assert hongyang.engine.sync().rejected == 1
    task(duchashi, tid)
    sup.decide_extension(duchashi.store, me=me(duchashi), task_id=tid, request_id=first,
                         approve=False, opinion="理由不充分")
    duchashi.engine.sync()
    t = task(hongyang, tid)
    assert t["deadline"] == "2026-10-30" and t["pending_extension"] is None
    # a new request; on a Sunday it is moved to the next workday and approved
    again, _c = sup.request_extension(hongyang.store, me=me(hongyang), task_id=tid,
                                      new_deadline="2026-11-15", reason="补充拆迁协议")
    hongyang.engine.sync()
    assert task(duchashi, tid)["pending_extension"]["new_deadline"] == "2026-11-16"
    sup.decide_extension(duchashi.store, me=me(duchashi), task_id=tid, request_id=again,
                         approve=True)
    duchashi.engine.sync()
    t = task(liushadong, tid)
    assert t["deadline"] == "2026-11-16"
    assert t["extensions"] == [{"from": "2026-10-30", "to": "2026-11-16",
                                "approved_by": me(duchashi)["id"], "at": "2026-09-21"}]
    # bad requests are refused on the device, naming the field
    task(hongyang, tid)
    with pytest.raises(ValidationError) as err:
        sup.request_extension(hongyang.store, me=me(hongyang), task_id=tid,
                              new_deadline="2026-11-01", reason="早于现期限")
    assert err.value.field == "new_deadline"


def test_a_unit_cannot_spare_itself_a_milestones_chase(server, people, capsys):
    """The id of a milestone's chase can be worked out from the task: the lead unit put an
    extension request of its own there first, and the sweep took the chase as done. It checks
    that the record there is that chase; the unit is chased all the same."""
    import uuid as uuid_module

    from oa_server import cli

    duchashi, hongyang = people["lindongsheng"], people["lianghaitao"]
    hy = unit_of(hongyang)
    tid, _c = sup.create_task(duchashi.store, me=me(duchashi), title="防汛仓库修缮",
                              content="分两步完成", lead_unit_id=hy, deadline="2026-11-30",
                              milestones=[{"title": "完成设计", "due": "2026-10-15"}],
                              today=date(2026, 9, 21))
    duchashi.engine.sync()
    (milestone,) = task(hongyang, tid)["milestones"]
    squat = str(uuid_module.uuid5(uuid_module.NAMESPACE_URL,
                                  f"oa:supervision:milestone:{tid}:{milestone['id']}:{milestone['due']}"))
    op = {"op_id": str(uuid_module.uuid4()), "kind": "action", "entity": "task_events",
          "entity_id": squat, "base_rev": 0,
          "payload": {"task_id": tid, "action": "extend_request", "unit_id": hy,
                      "actor_id": hongyang.transport.user["id"], "new_deadline": "2026-12-20",
                      "reason": "设计单位未定", "status": "pending"}}
    made = hongyang.transport.push([op]).results[0]
    assert made.status == "applied", made
    settings = server.settings
    assert cli.main(["--data-dir", str(settings.data_dir), "--database-url",
                     str(settings.database_url), "supervision", "chase",
                     "--at", "2026-10-20T10:00"]) == 0
    capsys.readouterr()
    hongyang.engine.sync()
    chases = [e for e in hongyang.store.records.list("task_events", limit=100)
              if e.get("task_id") == tid and e.get("action") == "chase"]
    assert [e.get("milestone_id") for e in chases] == [milestone["id"]]
