"""Internal requests end to end through the real server and the demo org: the catalogue
imported by the administrator (a broken file refused with its line), every starter item
submitted and carried to its end with the steps its conditions choose, and the bad cases
of the issue (broken values, an amount changed after submission, an approver who left,
an edit made offline while the server approved)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from docs_exchange.verify import verify_pdf
from oa_client.domain.catalogue import STARTER_CATALOGUE, planned_stages
from oa_client.domain.catalogue_io import load_catalogue
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.services import records as svc
from oa_client.services import requests as rq
from oa_client.services import requests_stats as stats
from oa_client.services.conflicts import open_conflicts
from oa_client.services.todo import todo_items
from sync.org import fetch_org
from sync.transport import SyncError
from tests.core.test_catalogue import FILLED, TODAY
from tests.server.support import copy_sqlite
from tests.sync.conftest import sync_template  # noqa: F401
from tests.sync.support import PASSWORD, LiveServer, add_user, make_client

APPLICANT = "lixiaolong"  # 普政数 数据资源科 (a section without a 科长)
PEOPLE = {"zhouli": "分管领导", "fangzhiyuan": "主要领导", "chenjing": "办公室主任"}


@pytest.fixture(scope="module")
def live(sync_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # noqa: F811
    """One server for the module (many requests), the starter catalogue imported by the admin."""
    data_dir = tmp_path_factory.mktemp("requests-server")
    server = LiveServer(data_dir, f"sqlite:///{copy_sqlite(sync_template, data_dir)}").start()
    server.clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing: TODAY
    yield server
    server.stop()


class Desk:
    """Signed-in clients by login, created on first use, their org cache fetched."""

    def __init__(self, server: LiveServer, root: Path) -> None:
        self.server, self.root, self.clients = server, root, {}
        self.by_id: dict[str, str] = {}

    def __call__(self, login: str):
        if login not in self.clients:
            client = make_client(self.server, self.root, login)
            fetch_org(client.store, client.transport)
            self.clients[login] = client
            self.by_id[client.transport.user["id"]] = login
        return self.clients[login]

    def uid(self, login: str) -> str:
        return self(login).transport.user["id"]

    def login_of(self, user_id: str) -> str:
        if user_id not in self.by_id:
            for u in self("huangwei").transport.request("GET", "/admin/users").json():
                self.by_id.setdefault(u["id"], u["login"])  # the 系统管理员 sees logins
        return self.by_id[user_id]

    def close(self) -> None:
        for c in self.clients.values():
            c.close()


@pytest.fixture(scope="module")
def desk(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    d = Desk(live, tmp_path_factory.mktemp("desks"))
    admin = d("huangwei")
    broken = STARTER_CATALOGUE.read_text(encoding="utf-8").replace('"type": "money"', '"type": "currency"', 1)
    with pytest.raises(SyncError) as refused:
        admin.transport.request("POST", "/catalogue/import", data=broken.encode(),
                                headers={"Content-Type": "application/json"})
    assert refused.value.context["status"] == 422
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if '"currency"' in text)
    assert f"第{line}行" in refused.value.message and "currency" in refused.value.message
    assert rq.catalogue(admin.store) == []  # nothing stored
    resp = admin.transport.request("POST", "/catalogue/import", data=STARTER_CATALOGUE.read_bytes(),
                                   headers={"Content-Type": "application/json"})
    assert resp.json()["items"] == 10
    yield d
    d.close()


def _entry(client, code: str) -> rq.CatalogueEntry:
    return next(e for e in rq.catalogue(client.store) if e.item.code == code)


def _carry(desk: Desk, request_id: str, *, limit: int = 12, watcher: str = APPLICANT
           ) -> list[tuple[str, str]]:
    """Approve step after step as whoever holds it, `watcher`'s desk syncing along to see who
    that is (another than the applicant's leaves hers offline); the (step, login) visited."""
    watching = desk(watcher)
    visited: list[tuple[str, str]] = []
    for _i in range(limit):
        watching.engine.sync()
        rec = watching.store.records.get("requests", request_id)
        if rec["state"] in ("approved", "rejected"):
            return visited
        holder = desk.login_of(rec["approver_ids"][0])
        client = desk(holder)
        client.engine.sync()
        assert any(t.record_id == request_id for t in todo_items(client.store, user_id=desk.uid(holder)))
        visited.append((rec["flow_step"], holder))
        rq.act(client.store, request_id, user_id=desk.uid(holder), action="approve", opinion="同意")
        report = client.engine.sync()
        assert report.rejected == 0, (visited, rec["flow_step"], client.store.records.get("requests", request_id).get("flow_step"), rec["item_code"])
    raise AssertionError(f"not finished: {visited}")


def test_every_starter_item_goes_its_way_to_the_end(desk: Desk, tmp_path: Path):
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    entries = rq.catalogue(applicant.store)
    assert sorted(e.item.code for e in entries) == sorted(i.code for i in load_catalogue(STARTER_CATALOGUE).items)
    variants = {  # the second form of an item takes its conditional steps
        "LEAVE": {"leave_type": "事假", "start_date": "2026-11-23", "end_date": "2026-11-27"},
        "TRAVEL_EXPENSE": {"lodging_fee": "5380.00"},
        "SEAL": {"doc_kind": "合同协议", "counterparty": "普宁市某科技有限公司", "contract_amount": "80000.00"},
        "CERT": {"cert_type": "在职及收入证明"},
    }
    started, sealed_pdfs = [], []
    for entry in entries:
        for extra in ({}, variants.get(entry.item.code)):
            if extra is None:
                continue
            draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
            form = {**draft["form"], **FILLED[entry.item.code], **extra}
            if entry.item.code in ("LEAVE",):
                form["handover"] = {"id": desk.uid("chenjing"), "name": "陈静"}
            if entry.item.code == "CERT":
                form["hire_date"] = "2016-07-01"
            assert not rq.check_form(entry.item, form, today=TODAY), rq.check_form(entry.item, form, today=TODAY)
            rq.submit(applicant.store, draft["id"], user_id=desk.uid(APPLICANT), values=form, today=TODAY)
            started.append((entry, draft["id"], form))
    report = applicant.engine.sync()  # submitted offline, all queued: one push
    assert report.rejected == 0, {(c.code, c.message) for c in open_conflicts(applicant.store)}
    for entry, request_id, form in started:
        rec = applicant.store.records.get("requests", request_id)
        assert rec["state"] == "submitted" and rec["number"].startswith(entry.item.code)
        if entry.item.code == "LEAVE":  # 承诺时限 3 working days from Friday 2026-11-20
            assert rec["promised_by"] == "2026-11-25"
        expected = [s.key for s in planned_stages(entry.item, form, workdays_between=rq.workdays_between)]
        visited = _carry(desk, request_id)
        assert [step for step, _who in visited] == expected, entry.item.code
        rec = applicant.store.records.get("requests", request_id)
        assert rec["state"] == "approved" and rec["finished_at"]
        who = dict(visited)
        if "head" in who:
            assert who["head"] == "zhouli"  # no 科长 in 数据资源科: the 分管领导
        for step in ("hr", "finance", "office", "issue", "dispatch", "arrange", "stamp"):
            if step in who:
                assert who[step] == "chenjing"  # 人事/财务 handled by the 办公室 in this unit
        if "chief" in who:
            assert who["chief"] == "fangzhiyuan"
        if entry.item.output is not None:
            (out,) = rec["outputs"]
            assert out["number"] and out["sealed"] == entry.item.output.sealed and out["text"]
            if entry.item.code == "CERT" and not sealed_pdfs:
                sealed_pdfs.append(_sealed_output(desk, request_id))
        entries_, now = rq.timeline(applicant.store, request_id)
        assert [e.action for e in entries_][:2] == ["发起申请", "提交"] and now["state"] == "已批准"
    codes = {e.item.code: [] for e, *_r in started}
    for entry, _rid, form in started:
        codes[entry.item.code].append(
            [s.key for s in planned_stages(entry.item, form, workdays_between=rq.workdays_between)])
    assert ["head", "leader", "hr"] in codes["LEAVE"] and ["head", "hr"] in codes["LEAVE"]
    assert ["head", "finance", "leader"] in codes["TRAVEL_EXPENSE"]
    assert ["head", "contract_review", "leader", "stamp"] in codes["SEAL"]
    assert ["hr", "finance"] in codes["CERT"]
    assert len(sealed_pdfs) == 1
    facts = rq.known_facts(applicant.store, user_id=desk.uid(APPLICANT), today=TODAY)
    assert (facts["name"], facts["department"], facts["position"]) == ("李晓龙", "数据资源科", "科员")
    assert facts["annual_leave_balance"] == 10 - 2  # the approved 年休假 (2 working days) is counted
    rows = {r.code: r for r in stats.statistics(applicant.store)}
    assert rows["LEAVE"].total == 2 and rows["LEAVE"].approved == 2 and rows["OVERTIME"].total >= 1
    assert all(r.average_hours is not None and r.overdue_now == 0 for r in rows.values())
    path = stats.export_xlsx(list(rows.values()), tmp_path / "统计.xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A2"].value == "事项" and sheet.max_row == 2 + len(rows) + 1
    assert sheet.cell(sheet.max_row, 2).value == sum(r.total for r in rows.values())


def _sealed_output(desk: Desk, request_id: str) -> bytes:
    """The approved certificate: the applicant waits for the seal keeper, who has the server
    lay it out and press the unit's seal (bound to this request); a PDF, verified."""
    applicant, keeper = desk(APPLICANT), desk("zhangmin")  # 普政数's 印章管理员
    with pytest.raises(SyncError) as waiting:
        applicant.transport.request("POST", f"/requests/{request_id}/output")
    assert (waiting.value.status, waiting.value.code) == (409, "awaiting_seal")
    out = keeper.transport.request("POST", f"/requests/{request_id}/output").json()
    again = applicant.transport.request("POST", f"/requests/{request_id}/output").json()
    assert again["sha256"] == out["sha256"]  # made once
    pdf = applicant.transport.download(out["sha256"])
    assert hashlib.sha256(pdf).hexdigest() == out["sha256"] and out["number"].startswith("普政数证〔")
    report = verify_pdf(pdf, trust_roots=[applicant.transport.ca_root()])
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert seal.signer.kind == "seal" and seal.signer.unit == "普宁市政务服务数据管理局"
    # the item names 人事专用章: that seal's own certificate signs, not the 公章 with a label
    assert seal.signer.name == "普宁市政务服务数据管理局人事专用章"
    assert seal.locks_document and seal.timestamp_ok
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", request_id)
    assert rec["outputs"][0]["attachment_id"]
    return pdf


def _submitted(desk: Desk, code: str, **changes) -> tuple[rq.CatalogueEntry, str]:
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    entry = _entry(applicant, code)
    draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
    form = {**draft["form"], **FILLED[code], **changes}
    rq.submit(applicant.store, draft["id"], user_id=desk.uid(APPLICANT), values=form, today=TODAY)
    assert applicant.engine.sync().rejected == 0
    return entry, draft["id"]


def test_the_server_refuses_values_that_break_the_rules(desk: Desk):
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    entry = _entry(applicant, "TRAVEL_EXPENSE")
    draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
    bad = {**draft["form"], **FILLED["TRAVEL_EXPENSE"], "lodging_fee": "-380"}
    with pytest.raises(ValidationError) as local:
        rq.submit(applicant.store, draft["id"], user_id=desk.uid(APPLICANT), values=bad, today=TODAY)
    assert local.value.context["field"] == "lodging_fee"
    rq.save_draft(applicant.store, draft["id"], bad)  # a draft may be anything
    # a client that skips its own checks: the server checks with the same schema
    svc.append_event(applicant.store, "request_events", {
        "request_id": draft["id"], "action": "start", "actor_id": desk.uid(APPLICANT),
        "at": "2026-11-20T02:00:00+00:00", "form": bad})
    report = applicant.engine.sync()
    assert report.rejected == 1
    (conflict,) = [c for c in open_conflicts(applicant.store) if c.entity == "request_events"]
    assert "住宿费" in conflict.message and "负数" in conflict.message
    assert applicant.store.records.get("requests", draft["id"])["state"] == "draft"


BROKEN = [  # (item, values on top of a good form, what the server's refusal must say)
    ("LEAVE", {"reason": ""}, "请填写事由"),  # required
    ("LEAVE", {"leave_type": "病假"}, "请上传病假证明"),  # required_when
    ("LEAVE", {"phone": "0663-22"}, "联系电话应为11位手机号"),  # pattern
    ("LEAVE", {"leave_type": "年假"}, "请从列表中选择假别"),  # choice
    ("LEAVE", {"end_date": "2026-11-20"}, "结束日期不能早于开始日期"),  # not_before a field
    # compare rule, against the server's own balance: the 99 days the desk claims do not count
    ("LEAVE", {"annual_leave_balance": 99, "end_date": "2026-12-31"}, "超过了剩余年休假天数"),
    ("CAR", {"passengers": 0}, "乘车人数不能小于"),  # min
    ("CAR", {"start_time": "2026-11-19 08:30", "return_time": "2026-11-19 17:00"}, "不能早于今天"),  # today
    ("SUPPLY", {"quantity": "两箱"}, "应为整数"),  # type
    ("OVERTIME", {"hours": "6.25"}, "最多保留1位小数"),  # places
    ("ROOM", {"needs": ["投影", "话筒"]}, "不在可选范围内"),  # multi_choice option
]


def test_the_server_refuses_every_kind_of_broken_value(desk: Desk):
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    events = {}
    for code, changes, _words in BROKEN:
        entry = _entry(applicant, code)
        draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
        form = {**draft["form"], **FILLED[code], **changes}
        if code == "LEAVE":
            form["handover"] = {"id": desk.uid("chenjing"), "name": "陈静"}
        rq.save_draft(applicant.store, draft["id"], form)
        changes_ = svc.append_event(applicant.store, "request_events", {
            "request_id": draft["id"], "action": "start", "actor_id": desk.uid(APPLICANT),
            "at": "2026-11-20T02:00:00+00:00", "form": form})
        events[next(iter(changes_.ids))] = _words
    report = applicant.engine.sync()
    assert report.rejected == len(BROKEN)
    refused = {c.entity_id: c.message for c in open_conflicts(applicant.store) if c.entity == "request_events"}
    for event_id, words in events.items():
        assert words in refused[event_id], (words, refused[event_id])


def test_a_start_naming_a_list_or_object_as_its_added_signer_is_refused(desk: Desk):
    """加签 names one person by id: a list or an object there (from a client that skips its
    own checks) is refused, so no desk on the route meets it in the request's timeline."""
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    entry = _entry(applicant, "SUPPLY")
    sent = []
    for signer in (["x"], {"id": "x"}, 5):
        draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
        form = {**draft["form"], **FILLED["SUPPLY"]}
        rq.save_draft(applicant.store, draft["id"], form)
        svc.append_event(applicant.store, "request_events", {
            "request_id": draft["id"], "action": "start", "actor_id": desk.uid(APPLICANT),
            "at": "2026-11-20T02:00:00+00:00", "form": form, "add_signer": signer})
        sent.append(draft["id"])
    report = applicant.engine.sync()
    assert report.rejected == 3
    refused = [c.message for c in open_conflicts(applicant.store) if c.entity == "request_events"]
    assert sum("加签人" in m for m in refused) == 3
    for request_id in sent:
        assert applicant.store.records.get("requests", request_id)["state"] == "draft"


def test_an_amount_raised_after_submission_adds_the_leader_and_tells_the_approver(desk: Desk):
    _e, rid = _submitted(desk, "TRAVEL_EXPENSE")
    applicant = desk(APPLICANT)
    rec = applicant.store.records.get("requests", rid)
    assert rec["flow_step"] == "head"
    raised = {**rec["form"], "lodging_fee": "6380.00"}
    rq.amend(applicant.store, rid, raised, today=TODAY)
    assert applicant.engine.sync().rejected == 0
    rec = applicant.store.records.get("requests", rid)
    (notice,) = rec["notices"]
    assert "分管领导审批" in notice["added"][0] and notice["to"] == [desk.uid("zhouli")]
    zhouli = desk("zhouli")
    zhouli.engine.sync()
    assert zhouli.store.records.get("requests", rid)["notices"][0]["message"]
    (told,) = [t for t in todo_items(zhouli.store, user_id=desk.uid("zhouli")) if t.record_id == rid]
    assert told.title.startswith("【流程已调整】")
    visited = _carry(desk, rid)
    assert [s for s, _w in visited] == ["head", "finance", "leader"]


def test_an_approver_who_left_is_replaced_and_it_is_logged(desk: Desk, live: LiveServer):
    _e, rid = _submitted(desk, "OVERTIME")
    _e, other = _submitted(desk, "OVERTIME")
    applicant = desk(APPLICANT)
    rec = applicant.store.records.get("requests", rid)
    assert rec["approver_ids"] == [desk.uid("zhouli")]
    admin = desk("huangwei")
    admin.transport.request("POST", f"/admin/users/{desk.uid('zhouli')}/disable")
    try:
        # an applicant's 催办 hands the step over at once ...
        rq.act(applicant.store, rid, user_id=desk.uid(APPLICANT), action="urge", opinion="请尽快审批")
        assert applicant.engine.sync().rejected == 0
        rec = applicant.store.records.get("requests", rid)
        assert rec["approver_ids"] == [desk.uid("fangzhiyuan")]  # no other 分管领导: the unit head
        entries, _now = rq.timeline(applicant.store, rid)
        assert any(e.action == "转办" and "不在岗" in e.opinion for e in entries)
        # ... and the administrator's sweep hands over every other step she held
        assert admin.transport.request("POST", "/requests/sweep").json() == {"reassigned": 1}
        applicant.engine.sync()
        assert applicant.store.records.get("requests", other)["approver_ids"] == [desk.uid("fangzhiyuan")]
        assert admin.transport.request("POST", "/requests/sweep").json() == {"reassigned": 0}
        log = desk("hexiaoqin").transport.request("GET", "/audit", params={"action": "request.reassigned"})
        body = log.json()
        rows = body if isinstance(body, list) else body.get("entries", body.get("items", []))
        assert any(desk.uid("zhouli") in str(r) and desk.uid("fangzhiyuan") in str(r) for r in rows)
    finally:
        admin.transport.request("POST", f"/admin/users/{desk.uid('zhouli')}/enable")
        desk("zhouli").transport.login("zhouli", PASSWORD)  # disabling ended her sign-in


def test_an_offline_edit_after_the_server_approved_is_a_visible_conflict(desk: Desk):
    _e, rid = _submitted(desk, "OVERTIME")
    applicant = desk(APPLICANT)
    held = applicant.store.records.get("requests", rid)
    assert held["state"] == "submitted" and held["form"]["hours"] == "6.5"
    # the applicant's desk goes offline; meanwhile the approvers carry it to the end on the server
    visited = _carry(desk, rid, watcher="zhouli")
    assert [step for step, _who in visited] == ["head", "hr"]
    assert applicant.store.records.get("requests", rid)["state"] == "submitted"  # still offline
    # offline, she corrects the hours on the copy her desk holds, through the 保存修改 service
    rq.amend(applicant.store, rid, {**held["form"], "hours": "8"}, today=TODAY)
    report = applicant.engine.sync()
    # her edit was made on a revision the server has moved past: a conflict (DESIGN §4: the
    # server copy stays, hers is kept for her to decide), not a refusal of the edit itself
    assert (report.conflicts, report.rejected) == (1, 0)
    (mine,) = [c for c in open_conflicts(applicant.store) if c.entity_id == rid]
    assert (mine.entity, mine.kind) == ("requests", "edit") and "已被他人修改" in mine.message
    assert mine.local["form"]["hours"] == "8"  # what she typed is kept in the entry
    assert mine.server["data"]["state"] == "approved"  # next to what the server holds
    rec = applicant.store.records.get("requests", rid)
    assert (rec["state"], rec["form"]["hours"]) == ("approved", "6.5")  # the server's copy
    watcher = desk("zhouli")
    watcher.engine.sync()
    rec = watcher.store.records.get("requests", rid)
    assert (rec["state"], rec["form"]["hours"]) == ("approved", "6.5")  # unchanged on the server


def test_return_for_changes_reject_and_add_signer(desk: Desk):
    _e, rid = _submitted(desk, "SUPPLY")
    zhouli = desk("zhouli")
    zhouli.engine.sync()
    rq.act(zhouli.store, rid, user_id=desk.uid("zhouli"), action="return", opinion="请补充用途")
    zhouli.engine.sync()
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", rid)
    assert rec["state"] == "returned"
    assert any(t.record_id == rid for t in todo_items(applicant.store, user_id=desk.uid(APPLICANT)))
    rq.submit(applicant.store, rid, user_id=desk.uid(APPLICANT),
              values={**rec["form"], "purpose": "日常办公打印及档案整理"}, today=TODAY)
    assert applicant.engine.sync().rejected == 0
    zhouli.engine.sync()
    rq.act(zhouli.store, rid, user_id=desk.uid("zhouli"), action="approve", opinion="同意",
           add_signer=desk.uid("fangzhiyuan"))
    assert zhouli.engine.sync().rejected == 0
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", rid)
    assert rec["flow_step"] == "head__plus" and rec["approver_ids"] == [desk.uid("fangzhiyuan")]
    boss = desk("fangzhiyuan")
    boss.engine.sync()
    rq.act(boss.store, rid, user_id=desk.uid("fangzhiyuan"), action="reject", opinion="本季度已超预算")
    assert boss.engine.sync().rejected == 0
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", rid)
    assert rec["state"] == "rejected" and rec["approver_ids"] == []
    entries, now = rq.timeline(applicant.store, rid)
    assert [e.action for e in entries][-1] == "不予批准" and now["state"] == "不予批准"


def test_an_approver_delegates_and_the_delegate_acts_for_them(desk: Desk):
    _e, rid = _submitted(desk, "SUPPLY")
    zhouli, chenjing = desk("zhouli"), desk("chenjing")
    zhouli.engine.sync()
    rq.act(zhouli.store, rid, user_id=desk.uid("zhouli"), action="delegate", to_user=desk.uid("chenjing"),
           opinion="出差期间委托陈静审批", start=TODAY)
    assert zhouli.engine.sync().rejected == 0
    chenjing.engine.sync()
    with pytest.raises(PermissionDenied):  # not the approver, and not acting for anyone
        rq.act(chenjing.store, rid, user_id=desk.uid("chenjing"), action="approve")
    rq.act(chenjing.store, rid, user_id=desk.uid("chenjing"), action="approve", opinion="同意（代）",
           on_behalf_of=desk.uid("zhouli"))
    assert chenjing.engine.sync().rejected == 0
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", rid)
    assert rec["flow_step"] == "issue"
    entries, _now = rq.timeline(applicant.store, rid)
    assert any(e.action == "同意" and "代" in e.who and "陈静" in e.who for e in entries)


def test_a_step_a_delegation_or_an_added_signer_goes_only_to_someone_who_can_take_it(
        desk: Desk, live: LiveServer):
    """转办, 委托 and 加签 to one of the 三员, an account without a business role or an id nobody
    has are refused, saying why; the request stays with its approver."""
    _e, rid = _submitted(desk, "SUPPLY")
    zhouli, applicant = desk("zhouli"), desk(APPLICANT)
    zhouli.engine.sync()
    step = zhouli.store.records.get("requests", rid)["flow_step"]
    roleless = add_user(live, like="zhouli", login="req-no-roles", roles=(), name="无角色")
    for target in (desk.uid("huangwei"), desk.uid("sunyue"), roleless, str(uuid.uuid4())):
        for action, kw, words in (
                ("reassign", {"to_user": target}, "转办对象须是在岗的业务人员"),
                ("delegate", {"to_user": target, "start": TODAY}, "受委托人须是在岗的业务人员"),
                ("approve", {"add_signer": target}, "加签人不存在、已停用、是管理员账号")):
            seen = {c.id for c in open_conflicts(zhouli.store)}
            rq.act(zhouli.store, rid, user_id=desk.uid("zhouli"), action=action, opinion="请办理", **kw)
            assert zhouli.engine.sync().rejected == 1, (target, action)
            (new,) = [c for c in open_conflicts(zhouli.store) if c.id not in seen]
            assert new.entity == "request_events" and words in new.message, (target, action, new)
    # nor to the applicant: they would then approve their own request
    for action, kw, words in (("approve", {"add_signer": desk.uid(APPLICANT)}, "不能加签申请人本人"),
                              ("reassign", {"to_user": desk.uid(APPLICANT)}, "不能转办或委托给申请人"),
                              ("delegate", {"to_user": desk.uid(APPLICANT), "start": TODAY},
                               "不能转办或委托给申请人")):
        seen = {c.id for c in open_conflicts(zhouli.store)}
        rq.act(zhouli.store, rid, user_id=desk.uid("zhouli"), action=action, opinion="同意", **kw)
        assert zhouli.engine.sync().rejected == 1, action
        (new,) = [c for c in open_conflicts(zhouli.store) if c.id not in seen]
        assert words in new.message, (action, new)
    applicant.engine.sync()
    rec = applicant.store.records.get("requests", rid)
    assert (rec["flow_step"], rec["approver_ids"]) == (step, [desk.uid("zhouli")])
    entries, _now = rq.timeline(applicant.store, rid)
    assert not any(e.action in ("转办", "委托", "同意") for e in entries)


def test_an_overdue_step_is_urged_and_counted_in_the_office_view(desk: Desk, live: LiveServer):
    _e, rid = _submitted(desk, "OVERTIME")
    applicant = desk(APPLICANT)
    rec = applicant.store.records.get("requests", rid)
    assert not rq.overdue(rec, now=live.clock.now)
    live.clock.advance(hours=30)  # the 科室负责人 had 24 hours
    assert rq.overdue(rec, now=live.clock.now)
    rq.act(applicant.store, rid, user_id=desk.uid(APPLICANT), action="urge")
    assert applicant.engine.sync().rejected == 0
    with pytest.raises(SyncError) as refused:  # the office view is for the office and the leaders
        applicant.transport.request("GET", "/requests/statistics")
    assert refused.value.context["status"] == 403
    before = {r["code"]: r for r in desk("chenjing").transport.request("GET", "/requests/statistics").json()}
    assert before["OVERTIME"]["overdue_now"] >= 1 and before["LEAVE"]["total"] == 2
    _carry(desk, rid)  # approved late
    after = {r["code"]: r for r in desk("chenjing").transport.request("GET", "/requests/statistics").json()}
    assert after["OVERTIME"]["overdue_steps"] == before["OVERTIME"]["overdue_steps"] + 1
    assert after["OVERTIME"]["overdue_now"] == before["OVERTIME"]["overdue_now"] - 1
    entries, _now = rq.timeline(applicant.store, rid)
    assert any(e.action == "催办" for e in entries)


def test_who_may_apply_and_a_new_catalogue_version(desk: Desk):
    data = json.loads(STARTER_CATALOGUE.read_text("utf-8"))
    overtime = next(i for i in data["items"] if i["code"] == "OVERTIME")
    overtime.update(version=2, may_apply=["section_chief"])
    admin = desk("huangwei")
    result = admin.transport.request("POST", "/catalogue/import", json_body=data).json()
    assert result == {"items": 10, "retired": 1}  # OVERTIME@1 retired, its requests keep their flow
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    (entry,) = [e for e in rq.catalogue(applicant.store) if e.item.code == "OVERTIME"]
    assert entry.item.version == 2
    draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
    rq.save_draft(applicant.store, draft["id"], draft["form"])
    assert applicant.engine.sync().rejected == 1  # a 科员 is not among who may apply
    (refused,) = [c for c in open_conflicts(applicant.store) if c.entity_id == draft["id"]]
    assert "申请范围" in refused.message
    chief = desk("yangfan")  # 电子政务科 科长
    chief.engine.sync()
    mine = rq.new_draft(chief.store, record_id=entry.record_id, user_id=desk.uid("yangfan"))
    rq.submit(chief.store, mine["id"], user_id=desk.uid("yangfan"), today=TODAY,
              values={**mine["form"], **FILLED["OVERTIME"]})
    assert chief.engine.sync().rejected == 0
    rec = chief.store.records.get("requests", mine["id"])
    assert rec["item_version"] == 2 and rec["approver_ids"] == [desk.uid("zhouli")]  # never himself


def test_a_picked_attachment_is_stored_and_uploaded_with_the_request(desk: Desk, tmp_path: Path):
    applicant = desk(APPLICANT)
    applicant.engine.sync()
    entry = _entry(applicant, "TRAVEL_EXPENSE")
    draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(APPLICANT))
    scan = tmp_path / "票据.pdf"
    scan.write_bytes(b"%PDF-1.4 receipts " * 200)
    picked = {**draft["form"], **FILLED["TRAVEL_EXPENSE"],
              "attachments": [{"sha256": "pending", "name": scan.name, "path": str(scan)}]}
    stored = rq.attach_files(applicant.store, draft["id"], entry.item, picked)
    (file,) = stored["attachments"]
    assert file == {"sha256": hashlib.sha256(scan.read_bytes()).hexdigest(), "name": "票据.pdf",
                    "size": scan.stat().st_size}
    rq.submit(applicant.store, draft["id"], user_id=desk.uid(APPLICANT), values=stored, today=TODAY)
    report = applicant.engine.sync()
    assert report.rejected == 0 and report.uploaded == 1
    assert applicant.transport.blob_size(file["sha256"]) == file["size"]


def test_the_applicant_withdraws_before_anyone_acted_and_submits_again(desk: Desk):
    _e, rid = _submitted(desk, "CAR")
    applicant = desk(APPLICANT)
    rq.act(applicant.store, rid, user_id=desk.uid(APPLICANT), action="withdraw", opinion="改一下用车时间")
    assert applicant.engine.sync().rejected == 0
    rec = applicant.store.records.get("requests", rid)
    assert rec["state"] == "draft" and rec["approver_ids"] == [] and rec["flow_step"] == "apply"
    later = {**rec["form"], "start_time": "2026-11-24 08:30", "return_time": "2026-11-24 12:00"}
    rq.submit(applicant.store, rid, user_id=desk.uid(APPLICANT), values=later, today=TODAY)
    assert applicant.engine.sync().rejected == 0
    rec = applicant.store.records.get("requests", rid)
    assert rec["state"] == "submitted" and rec["form"]["return_time"] == "2026-11-24 12:00"
    assert rec["approver_ids"] == [desk.uid("zhouli")]
    entries, _now = rq.timeline(applicant.store, rid)
    assert [e.action for e in entries] == ["发起申请", "提交", "撤回", "提交"]


#: the starter items whose route names 人事科 or 财务科, each with the form that takes it there
SECTION_ITEMS = {
    "LEAVE": {}, "ABROAD": {}, "OVERTIME": {}, "TRAVEL_EXPENSE": {},
    "CERT": {"cert_type": "在职及收入证明"},
    "SEAL": {"doc_kind": "合同协议", "counterparty": "普宁市某科技有限公司",
             "contract_amount": "80000.00"},
}
SECTION_PEOPLE = {"hr": "wanglihua", "finance": "guozhendong", "head": "zhengxiaoyan"}


def test_items_naming_a_section_are_handled_by_that_sections_people(desk: Desk):
    """In 市府办, which has a 人事科 and a 财务科, their 科长 handle those steps (in 普政数,
    which has neither, the 办公室 does: see the test above)."""
    from oa_client.domain.catalogue import may_apply

    clerk = desk("liuyang")  # 市府办 秘书科 科员; her 科长 is 郑晓燕
    clerk.engine.sync()
    named = {e.item.code for e in rq.catalogue(clerk.store)
             if any(s.role in ("人事科", "财务科") for s in e.item.flow.all_steps())}
    assert named == set(SECTION_ITEMS)  # every starter item that names a section is walked here
    for code, extra in SECTION_ITEMS.items():
        # a 科员 applies; for an item only 科长 may apply (a later catalogue version), 郑晓燕
        entry = _entry(clerk, code)
        login = "liuyang" if may_apply(entry.item, roles={"drafter"}) else "zhengxiaoyan"
        applicant = desk(login)
        applicant.engine.sync()
        draft = rq.new_draft(applicant.store, record_id=entry.record_id, user_id=desk.uid(login))
        form = {**draft["form"], **FILLED[code], **extra}
        if code == "LEAVE":
            form["handover"] = {"id": desk.uid("wuqiong"), "name": "吴琼"}
        if code == "CERT":
            form["hire_date"] = "2016-07-01"
        assert not rq.check_form(entry.item, form, today=TODAY), (code, rq.check_form(entry.item, form, today=TODAY))
        rq.submit(applicant.store, draft["id"], user_id=desk.uid(login), values=form, today=TODAY)
        assert applicant.engine.sync().rejected == 0, {(c.code, c.message) for c in open_conflicts(applicant.store)}
        visited = _carry(desk, draft["id"], watcher=login)
        steps = [s.key for s in planned_stages(entry.item, form, workdays_between=rq.workdays_between)]
        assert list(dict.fromkeys(s for s, _w in visited)) == steps, code
        who = dict(visited)
        assert {"hr", "finance"} & set(who) or "contract_review" in who, code
        for step, person in SECTION_PEOPLE.items():
            if step in who and (step != "head" or login == "liuyang"):
                assert who[step] == person, (code, step, who[step])
        if code == "SEAL":  # the contract review runs 财务科 and the 办公室 side by side
            assert {w for s, w in visited if s == "contract_review"} == {"guozhendong", "huangjianhua"}
        assert applicant.store.records.get("requests", draft["id"])["state"] == "approved"
