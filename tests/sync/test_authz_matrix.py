"""Authorisation matrix: every collection × role × state against the README's who-sees-what
table.

The demo org holds the demo records — 公文 carried through their real flows (a draft, 核稿,
签发, dispatched with 收文 at 财政局 and 教育局, a 收文 in 传阅), meetings with invited units,
零跑动 requests in every state, reports issued and filled, 督办 tasks — made by their authors
through the real rules, plus what the demo lacks: a draft with a body revision and an
attachment, attachments on a running 公文, a 收文, a meeting, a request, a task and a 填报,
a draft request, a personal (.ics) meeting, a phrase and a 委托, the 督查室's policy and its
monthly 通报 draft, and reminders (`notifications`) to people and to units of every kind the
server's jobs send. Then each user of the set
pulls, and what each holds — and which attachment bytes each may download — must be what
the table grants: computed here from the records and the org chart on their own (the flow
events, the invitations, the org's roles), not with `oa_server.visibility`; and, for the
records a reader checks by eye, written out by hand.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oa_client.errors import SyncError
from oa_client.services import records as svc
from oa_server.authority.requests_org import RequestOrg
from oa_server.models import User
from oa_server.org_view import OrgView
from oa_server.sync_models import BlobOwner, SyncAudience, SyncRecord
from sync.protocol import (
    ATTACHMENT_OWNERS,
    CHILD_COLLECTIONS,
    ORG_COLLECTIONS,
    SERVER_COLLECTIONS,
    SYNC_COLLECTIONS,
)
from tests.server.support import build_template, copy_sqlite
from tests.sync.support import (
    LiveServer,
    add_user,
    live_records,
    make_client,
    server_put,
    server_session,
)

#: the users of the matrix (and what each stands for)
USERS = {
    "liuyang": "拟稿人 (市政府办公室 秘书科)",
    "zhangsan": "colleague of the same section, 拟稿人 too",
    "wuqiong": "the unit's 文书 (another section)",
    "caiweidong": "the unit's 印章管理员: a colleague with no reading role",
    "zhengxiaoyan": "科长 of the drafter's section",
    "huangjianhua": "办公室主任",
    "chenzhiqiang": "主要领导 (市政府, signs for the 办公室)",
    "weiguoqiang": "主要领导 of another unit (财政局)",
    "huangli": "another unit's 文书 (财政局)",
    "lindongsheng": "督查室",
    "xiefang": "会议管理员",
    "yanglan": "乡镇统计员 (洪阳镇)",
    "lixiaolong": "拟稿人 of 数据局, issuer of a report",
    "huangxiaomei": "洪阳镇 文书",
}
ADMINS = ("huangwei", "sunyue", "hexiaoqin")  # 系统管理员, 安全保密管理员, 安全审计员
LEADERS = {"principal_leader", "deputy_leader", "office_director"}
OFFICE = {"office_director", "clerk"}
DESK = {"statistician", *LEADERS}
PUBLIC = {"rooms", "service_items", "data_items", "calendars", "settings"}
#: who of a unit a reminder to the unit is for, by its area (the README's table)
NOTICE_ROLES = {"supervision": LEADERS | OFFICE, "report": DESK,
                "meeting": OFFICE | {"principal_leader"}}

# -- on any server (SQLite here, PostgreSQL in test_postgres_sync) -------------------------

TOP_LEVEL = [c for c in SYNC_COLLECTIONS if c not in ORG_COLLECTIONS
             and c not in SERVER_COLLECTIONS and c not in CHILD_COLLECTIONS
             and c != "attachments"]
CHILDREN = ("document_events", "document_revisions")

SAMPLES = {
    "documents": {"direction": "outgoing", "title": "内部公文", "body": "正文"},
    "rooms": {"name": "第一会议室", "capacity": 20},
    "meetings": {"title": "周例会", "starts_at": "2026-11-23T09:00"},
    "service_items": {"code": "QJ", "name": "请休假"},
    "requests": {"service_item_id": "QJ", "state": "draft"},
    "data_items": {"code": "A01", "name": "常住人口", "version": 1},
    "report_templates": {"name": "月报", "period": "monthly"},
    "submissions": {"template_id": "tpl-1", "period": "2026-10", "state": "draft",
                    "kind": "submission"},
    "supervision_tasks": {"title": "督办事项", "state": "open"},
    "phrases": {"text": "同意，请办公室按程序办理。"},
    "delegations": {"delegate_id": "u2", "start": "2026-11-23", "end": "2026-11-27"},
}


@pytest.fixture
def owner(server, tmp_path):
    c = make_client(server, tmp_path, "liuyang")  # 市政府办公室
    yield c
    c.close()


@pytest.fixture
def outsider(server, tmp_path):
    c = make_client(server, tmp_path, "chenmeiling")  # 财政局
    yield c
    c.close()


def _push(client, collection, rid, kind="upsert", base_rev=1, payload=None):
    return client.transport.push([{"op_id": f"{collection}-{rid}-{kind}", "kind": kind,
                                   "entity": collection, "entity_id": rid, "base_rev": base_rev,
                                   "payload": payload or {"title": "越权"}}]).results[0]


def _seed(server, owner, collection: str, rid: str, data: dict | None = None) -> None:
    """Put one of the owner's records on the server as the server would (each module's rules
    for who may create what are tested with the module; this is about sight)."""
    me = owner.transport.user["id"]
    record = dict(data or SAMPLES[collection])
    if collection == "report_templates":
        record["issued_by"] = me
    if collection == "submissions":
        server_put(server, owner, [("report_templates", "tpl-1", {**SAMPLES["report_templates"],
                                                                  "issued_by": me})])
    if collection == "delegations":
        record["principal_id"] = me
    server_put(server, owner, [(collection, rid, record)])


@pytest.mark.parametrize("collection", TOP_LEVEL)
def test_top_level_records_are_invisible_and_unwritable_outside(server, owner, outsider,
                                                                 collection):
    _seed(server, owner, collection, f"{collection}-1")
    owner.engine.sync()
    outsider.engine.sync()
    public = collection in PUBLIC  # rooms, the catalogue, data items: everyone reads them
    assert len(live_records(outsider.store, collection)) == (1 if public else 0)
    hidden = _push(outsider, collection, f"{collection}-1")
    missing = _push(outsider, collection, f"{collection}-nope")
    deleting = _push(outsider, collection, f"{collection}-1", kind="delete")
    for result in (hidden, missing, deleting):
        assert result.status == "rejected" and result.server_record is None
    if not public:  # what a stranger learns of a hidden record is what they learn of none
        assert (hidden.code, hidden.message) == (missing.code, missing.message)
    assert deleting.code in ("forbidden", "read_only")
    owner.engine.sync()
    assert len(live_records(owner.store, collection)) == 1  # untouched


def _child(owner, collection: str, doc_id: str, **extra) -> None:
    """A valid child record for the documents authority: 送审 (a flow start) or a body revision."""
    me = owner.transport.user["id"]
    if collection == "document_events":
        record = {"document_id": doc_id, "action": "start", "actor_id": me,
                  "at": "2026-11-23T09:00:00+08:00"}
    else:
        record = {"document_id": doc_id, "base_rev": 0, "author_id": me, "body": "修改后的正文"}
    svc.append_event(owner.store, collection, {**record, **extra})


@pytest.mark.parametrize("collection", CHILDREN)
def test_children_follow_their_document(owner, outsider, collection):
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-p"})
    _child(owner, collection, "doc-p", id=f"{collection}-1")
    report = owner.engine.sync()
    assert (report.rejected, report.conflicts) == (0, 0)
    outsider.engine.sync()
    assert live_records(outsider.store, collection) == {}
    # an event on someone else's document is refused the same way as on a missing one
    on_hidden = _push(outsider, collection, "ev-x", kind="action", base_rev=0,
                      payload={"document_id": "doc-p", "action": "approve"})
    on_missing = _push(outsider, collection, "ev-y", kind="action", base_rev=0,
                       payload={"document_id": "no-doc", "action": "approve"})
    assert (on_hidden.status, on_hidden.code) == (on_missing.status, on_missing.code) == (
        "rejected", "forbidden")
    assert len(live_records(owner.store, collection)) == 1


def test_roles_grant_sight_where_the_table_says_so(server, owner, outsider, tmp_path):
    """督查室 sees every 督办 task, of any unit; a stranger does not."""
    supervisor = make_client(server, tmp_path, "lindongsheng")
    _seed(server, outsider, "supervision_tasks", "task-role",
          data={"title": "财政局督办", "state": "open"})
    supervisor.engine.sync()
    owner.engine.sync()
    assert len(live_records(supervisor.store, "supervision_tasks")) == 1
    assert live_records(owner.store, "supervision_tasks") == {}
    supervisor.close()


def test_bad_audience_is_a_validation_rejection(owner):
    result = _push(owner, "documents", "bad-aud", base_rev=0,
                   payload={"title": "x", "direction": "outgoing", "audience_units": "all"})
    assert (result.status, result.code) == ("rejected", "validation")


def test_attachments_follow_their_owner(owner, outsider):
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-a"})
    svc.attach(owner.store, owner_kind="document", owner_id="doc-a", name="内部.pdf", data=b"%PDF")
    owner.engine.sync()
    outsider.engine.sync()
    assert outsider.store.db.query("SELECT count(*) FROM attachments")[0][0] == 0
    meta = {"owner_kind": "document", "name": "x", "size": 1, "sha256": "0" * 64}
    on_hidden = _push(outsider, "attachments", "att-h", base_rev=0,
                      payload={**meta, "owner_id": "doc-a"})
    on_missing = _push(outsider, "attachments", "att-m", base_rev=0,
                       payload={**meta, "owner_id": "nothing"})
    unknown_owner = _push(outsider, "attachments", "att-u", base_rev=0,
                          payload={**meta, "owner_kind": "passwords", "owner_id": "doc-a"})
    assert {(r.status, r.code) for r in (on_hidden, on_missing, unknown_owner)} == {
        ("rejected", "forbidden")}


def test_a_clients_audience_lists_share_nothing(owner, outsider):
    """征求意见 by widening `audience_units` from the desk (it used to share the draft, its
    revisions and attachments with another unit): who sees a 公文 follows from its route."""
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-share"})
    _child(owner, "document_revisions", "doc-share")
    svc.attach(owner.store, owner_kind="document", owner_id="doc-share", name="附件一.txt",
               data="附件内容".encode())
    owner.engine.sync()
    unit = outsider.transport.user["unit"]["id"]
    rec = owner.store.records.get("documents", "doc-share")
    svc.save(owner.store, "documents", {**rec, "audience_units": [unit],
                                        "audience_users": [outsider.transport.user["id"]],
                                        "audience_roles": ["drafter"]})
    assert owner.engine.sync().rejected == 0
    report = outsider.engine.sync()
    assert live_records(outsider.store) == {} and report.downloaded == 0
    assert live_records(outsider.store, "document_revisions") == {}


def test_a_child_made_in_the_push_that_sends_its_document_follows_it(server, owner, tmp_path):
    """The draft, its attachment and its 送审 in one push: the attachment is new when the
    document's readers widen (the unit's leaders and office), and must widen with it."""
    svc.save(owner.store, "documents", {**SAMPLES["documents"], "id": "doc-same",
                                        "doc_kind": "通知", "secrecy": "非涉密"})
    svc.attach(owner.store, owner_kind="document", owner_id="doc-same", name="附件一.txt",
               data="同一次提交的附件".encode())
    _child(owner, "document_events", "doc-same")
    assert owner.engine.sync().rejected == 0
    director = make_client(server, tmp_path, "huangjianhua")  # the unit's 办公室主任
    report = director.engine.sync()
    assert set(live_records(director.store)) == {"doc-same"}
    assert len(live_records(director.store, "document_events")) == 1
    assert director.store.db.query("SELECT name FROM attachments") == [("附件一.txt",)]
    assert report.downloaded == 1
    director.close()


def test_whoever_loses_sight_loses_the_record_and_its_search_hits(server, tmp_path):
    """An invitee taken off a meeting pulls a tombstone: the meeting leaves the desk and its
    local search (which only ever holds what was pulled)."""
    from datetime import UTC, datetime, timedelta

    from oa_client.domain.meetings import Attendee, Meeting
    from oa_client.services import meetings as mtg

    organiser = make_client(server, tmp_path, "xiefang")
    guest = make_client(server, tmp_path, "weiguoqiang")  # 财政局: sees it only as an invitee
    gid = guest.transport.user["id"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    meeting = Meeting(subject="预算执行情况专题会", starts_at=start, ends_at=start + timedelta(hours=1),
                      location_text="财政局三楼", attendees=(
                          Attendee(kind="person", id=gid, name="魏国强"),))
    booked = mtg.book(organiser.store, meeting=meeting, user_id=organiser.transport.user["id"],
                      user_name="谢芳")
    assert organiser.engine.sync().rejected == 0
    guest.engine.sync()
    assert [h.kind for h in guest.store.search("预算执行情况")] == ["meeting"]
    other = Attendee(kind="person", id=organiser.transport.user["id"], name="谢芳")
    mtg.change(organiser.store, meeting_id=booked.meeting_id,
               user_id=organiser.transport.user["id"], attendees=(other,))
    assert organiser.engine.sync().rejected == 0
    guest.engine.sync()
    assert live_records(guest.store, "meetings") == {}
    assert guest.store.search("预算执行情况") == []
    for c in (organiser, guest):
        c.close()


#: what the PostgreSQL suite takes (star import): the tests above, not the demo world below
__all__ = ["outsider", "owner", *(name for name in dir() if name.startswith("test_"))]


# -- the world ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server on the demo org with the demo records and the extra ones below."""
    from ui.demo import seed_demo_records

    root = tmp_path_factory.mktemp("matrix")
    path = root / "template" / "oa-server.sqlite3"
    path.parent.mkdir()
    build_template(f"sqlite:///{path}")
    seeding = LiveServer(root / "seed-data", f"sqlite:///{path}").start()
    try:
        assert seed_demo_records(seeding.url, workdir=root / "seed") > 10
    finally:
        seeding.stop()
    shutil.copytree(root / "seed-data" / "blobs", root / "server" / "blobs")  # sealed PDFs
    live = LiveServer(root / "server", f"sqlite:///{copy_sqlite(path, root / 'server')}").start()
    add_user(live, like="liuyang", login="zhangsan", roles=("drafter",))
    _extras(live, root / "desks")
    yield live
    live.stop()


def _upload(client, data: bytes) -> str:
    """Upload bytes as the client's user; their hash."""
    sha = hashlib.sha256(data).hexdigest()
    state = client.transport.upload_start(sha, len(data))
    if not state.complete:
        client.transport.upload_chunk(state.upload_id, 0, data)
        client.transport.upload_finish(state.upload_id)
    return sha


def _find(server, collection: str, *, first: bool = False, **where: Any) -> dict[str, Any]:
    """The one live record whose data has these values (`first`: the oldest of several)."""
    with server_session(server) as s:
        found = [{**json.loads(r.data), "id": r.id} for r in s.query(SyncRecord).filter_by(
            collection=collection, deleted=False).order_by(SyncRecord.rev)]
    hits = [r for r in found if all(r.get(k) == v for k, v in where.items())]
    assert hits and (first or len(hits) == 1), (collection, where, len(hits))
    return hits[0]


def _extras(server, root: Path) -> None:
    liuyang = make_client(server, root, "liuyang")
    svc.save(liuyang.store, "documents", {"id": "doc-draft", "direction": "outgoing",
                                          "title": "草稿：机构调整方案", "body": "初稿"})
    svc.append_event(liuyang.store, "document_revisions", {
        "document_id": "doc-draft", "base_rev": 0, "author_id": liuyang.transport.user["id"],
        "body": "第二稿"})
    svc.attach(liuyang.store, owner_kind="document", owner_id="doc-draft", name="方案.txt",
               data="草稿附件".encode())
    svc.save(liuyang.store, "phrases", {"id": "phrase-1", "text": "同意，请按程序办理。"})
    assert liuyang.engine.sync().rejected == 0
    director = make_client(server, root, "huangjianhua")
    svc.save(director.store, "delegations", {
        "id": "deleg-1", "delegate_id": _user_id(server, "wuqiong"), "start": "2026-01-01",
        "end": "2099-12-31"})
    assert director.engine.sync().rejected == 0
    server_put(server, director, [("meetings", "ics-1", {
        "title": "外单位会议（导入）", "source": "ics", "starts_at": "2026-12-01T01:00:00Z",
        "ends_at": "2026-12-01T02:00:00Z", "organiser_id": director.transport.user["id"]})])
    server_put(server, liuyang, [("requests", "req-draft", {
        "applicant_id": liuyang.transport.user["id"], "state": "draft", "title": "草稿申请",
        "service_item_id": _find(server, "requests", title="公务用车：刘洋")["service_item_id"],
        "form": {}})])
    # attachments (uploaded by someone outside the matrix) on a record of every kind
    uploader = make_client(server, root, "zhouli")
    owners = [
        ("document", _find(server, "documents", state="review")["id"]),
        ("document", _find(server, "documents", direction="incoming", state="register")["id"]),
        ("meeting", _find(server, "meetings", title="全市防汛工作会议")["id"]),
        ("request", _find(server, "requests", title="公务用车：刘洋")["id"]),
        ("supervision_task", _find(server, "supervision_tasks",
                                   title="落实政务服务“一网通办”年度重点任务")["id"]),
        ("submission", _find(server, "submissions", first=True, kind="submission",
                             state="submitted", name="乡镇基本情况季报（一张表）")["id"]),
    ]
    for n, (kind, owner) in enumerate(owners):
        data = f"附件{n}：{kind}".encode()
        server_put(server, uploader, [("attachments", f"att-{kind}-{n}", {
            "owner_kind": kind, "owner_id": owner, "name": f"{kind}.txt", "size": len(data),
            "sha256": _upload(uploader, data)})])
    for c in (liuyang, director, uploader):
        c.close()
    _policy_and_bulletin(server, root)
    _reminders(server)


def _policy_and_bulletin(server, root: Path) -> None:
    """The 督查室 sets the warning days (a `settings` record) and has this month's 通报
    drafted (a 公文 the server writes for the member who asked)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    duchashi = make_client(server, root, "lindongsheng")
    assert duchashi.transport.request("PUT", "/supervision/policy", json_body={
        "warn_days": 2}).json() == {"warn_days": 2}
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))  # the server's month
    made = duchashi.transport.request("POST", "/supervision/bulletins", json_body={
        "year": today.year, "month": today.month}).json()
    assert made["made"] is True
    duchashi.close()


#: reminders as the server's jobs send them: kind → (people, units) by login
REMINDERS = {
    "supervision.warning": ((), ("huangjianhua",)),  # to 市政府办公室
    "supervision.overdue": (("zhengxiaoyan",), ("huangxiaomei",)),  # 洪阳镇 and its 责任人
    "supervision.chase": ((), ("huangli", "huangwei")),  # 财政局, 数据局 (the admins' unit)
    "report.due": ((), ("yanglan",)),  # 洪阳镇
    "report.chase": ((), ("huangli",)),  # 财政局
    "meeting.soon": ((), ("yanglan",)),  # 洪阳镇, invited
    "request.overdue": (("zhengxiaoyan",), ()),
}


def _reminders(server) -> None:
    """One reminder of every addressing, written by the server's own `notify`."""
    from datetime import UTC, datetime

    from oa_client.domain.notifications import MESSAGES
    from oa_server.jobs.system import system_user
    from oa_server.notify import notify
    from oa_server.sync_push import server_batch

    args = {"title": "背街小巷改造", "days": 2, "deadline": "2026-12-01", "milestone": "方案",
            "due": "2026-12-01", "step": "科室负责人审批", "time": "10:00", "place": "第一会议室",
            "period": "2026-Q4", "holder": "郑晓燕", "month": "2026年11月"}
    with server_session(server) as session:
        units = {str(u.login): str(u.unit_id) for u in session.query(User).all()}
        ids = {str(u.login): str(u.id) for u in session.query(User).all()}
        with server_batch(session, user=system_user(session), now=datetime.now(UTC)) as ctx:
            for kind, (people, in_units) in REMINDERS.items():
                used = {k: v for k, v in args.items() if "{" + k + "}" in MESSAGES[kind]}
                assert notify(ctx, key=f"matrix:{kind}", kind=kind, args=used,
                              collection="supervision_tasks", record_id=f"about-{kind}",
                              users=[ids[p] for p in people],
                              units=[units[u] for u in in_units])
        session.commit()


def _user_id(server, login: str) -> str:
    with server_session(server) as s:
        return str(s.query(User).filter_by(login=login).one().id)


# -- the table, computed on its own ---------------------------------------------------------


class Table:
    """The README's who-sees-what table over the records and the org chart: for every live
    record, the ids of the users who may see it."""

    def __init__(self, server) -> None:
        with server_session(server) as s:
            self.people = {str(u.id): (str(u.unit_id), str(u.department_id or ""), set(u.roles),
                                       u.login) for u in s.query(User).all()}
            rows = s.query(SyncRecord).filter_by(deleted=False).all()
            self.records = {(r.collection, r.id): (json.loads(r.data), r.unit_id, r.created_by)
                            for r in rows}
            self.children: dict[tuple[str, str], list[dict]] = defaultdict(list)
            for r in rows:
                if r.parent:
                    parent = tuple(r.parent.split(":", 1))
                    self.children[parent].append(json.loads(r.data))  # type: ignore[index]
            self.offices = self._request_offices(s)
            self.owners = {(o.sha256, o.user_id) for o in s.query(BlobOwner).all()}
        self.login = {pid: p[3] for pid, p in self.people.items()}

    def holding(self, unit: Any, roles: set[str]) -> set[str]:
        """Who holds one of `roles` in the unit."""
        return {pid for pid, (u, _d, r, _l) in self.people.items() if u == str(unit) and r & roles}

    def anywhere(self, role: str) -> set[str]:
        """Who holds the role in any unit."""
        return {pid for pid, (_u, _d, r, _l) in self.people.items() if role in r}

    def business(self) -> set[str]:
        """Everyone with a business role and no admin role."""
        admin = {"sysadmin", "secadmin", "auditor"}
        return {pid for pid, (_u, _d, r, _l) in self.people.items() if r and not r & admin}

    def route(self, key: tuple[str, str], data: dict, *, incoming: bool = False) -> set[str]:
        """Everyone who held a step or acted on the subject, from its flow events; the current
        holders and readers; the standing delegates of the current holders."""
        out = {*(data.get("holder_ids") or []), *(data.get("reader_ids") or [])}
        for ev in self.children[key]:
            if "actor_id" not in ev or ev.get("status") != "applied":
                continue
            if not (incoming and ev.get("action") == "start"):  # 分发 by the sender
                out.add(ev["actor_id"])
            out.update(p for p in (ev.get("to_user"), ev.get("on_behalf_of")) if p)
            for part in (ev.get("opened") or {}).get("parts") or []:
                out.update(part.get("holders") or [])
        for (c, _i), (d, _u, _b) in self.records.items():
            if c == "delegations" and d.get("principal_id") in (data.get("holder_ids") or []):
                out.add(d["delegate_id"])
        return out

    def _request_offices(self, session) -> dict[str, set[str]]:
        """The handling office of every submitted request: who its office steps name."""
        from oa_client.domain.catalogue import ROLE_IDS
        from oa_server.authority.requests import OFFICE_ROLES
        from oa_server.authority.requests_catalogue import item_of

        out = {}
        self.sealed_outputs: set[str] = set()
        org = OrgView(session)
        for rec in session.query(SyncRecord).filter_by(collection="requests", deleted=False):
            data = json.loads(rec.data)
            item = item_of(json.loads(session.get(SyncRecord, (
                "service_items", data.get("service_item_id"))).data))
            if data.get("state") in (None, "draft") or item is None:
                continue
            roles = {ROLE_IDS[p.role] for e in item.flow.steps
                     for p in [e, *getattr(e, "parallel", [])] if getattr(p, "role", None)}
            if data.get("state") == "approved" and item.output is not None and item.output.sealed:
                self.sealed_outputs.add(rec.id)
            resolver = RequestOrg(org, applicant_id=data["applicant_id"])
            out[rec.id] = {u for role in roles & OFFICE_ROLES for u in resolver.holders(
                role, unit_id=rec.unit_id, department_id=None, context={})}
        return out

    def readers(self, key: tuple[str, str]) -> set[str]:
        """Who may see the record (the table, row by row)."""
        collection = key[0]
        data, unit, author = self.records[key]
        if collection in PUBLIC:
            return self.business()
        if collection in CHILD_COLLECTIONS or collection == "attachments":
            if collection == "attachments":
                parent = (ATTACHMENT_OWNERS[data["owner_kind"]], data["owner_id"])
            else:
                parent = (CHILD_COLLECTIONS[collection][0], data[CHILD_COLLECTIONS[collection][1]])
            return self.readers(parent) if parent in self.records else set()
        return getattr(self, f"_{collection}")(key, data, unit, author)

    def _documents(self, key, data, unit, author) -> set[str]:
        if data.get("direction") == "incoming":
            return (self.holding(unit, OFFICE) | self.holding(data["recipient_unit_id"], OFFICE)
                    | self.route(key, data, incoming=True))
        drafter = data.get("drafter_id") or author
        dept = self.people[drafter][1]
        out = {drafter} | {pid for pid, (_u, d, r, _l) in self.people.items()
                           if d == dept and "section_chief" in r}
        if any("actor_id" in ev for ev in self.children[key]):  # sent: its flow started
            out |= self.route(key, data) | self.holding(unit, LEADERS | {"clerk"})
        return out

    def _meetings(self, key, data, unit, author) -> set[str]:
        organiser = data.get("organiser_id") or author
        if data.get("source") == "ics":
            return {organiser}
        out = {organiser, author, data.get("chair_id")}
        for a in data.get("attendees") or []:
            if a.get("kind") == "person":
                out.add(a["id"])
            else:
                out |= self.holding(a["id"], OFFICE | {"principal_leader"})
        out |= {p for people in (data.get("rsvp_people") or {}).values() for p in people}
        room = self.records.get(("rooms", str(data.get("room_id"))))
        if room is not None:
            out |= set(room[0].get("manager_ids") or []) | self.holding(room[1], {"meeting_admin"})
        return out - {None}

    def _requests(self, key, data, unit, author) -> set[str]:
        out = {data.get("applicant_id") or author} | self.route(key, data) | \
            self.offices.get(key[1], set())
        if key[1] in self.sealed_outputs:  # approved, its output sealed by the unit's keeper
            out |= self.holding(unit, {"seal_keeper"})
        return out

    def _report_templates(self, key, data, unit, author) -> set[str]:
        out = {data.get("issued_by"), author} | self.holding(unit, DESK)
        for filling in data.get("recipients") or []:
            out |= self.holding(filling, DESK)
        return out - {None}

    def _submissions(self, key, data, unit, author) -> set[str]:
        tpl = self.records[("report_templates", data["template_id"])]
        out = {tpl[0].get("issued_by")} | self.holding(tpl[1], DESK)
        if data.get("kind") == "edit":
            filling = data["target_unit_id"] if data.get("action") in ("return", "accept") \
                else unit
            return out | {author} | self.holding(filling, DESK)
        return out | self.holding(unit, DESK)

    def _supervision_tasks(self, key, data, unit, author) -> set[str]:
        out = self.anywhere("supervisor") | {author, data.get("ordered_by"), data.get("owner_id"),
                                             *(data.get("audience_users") or [])}
        for u in [data.get("lead_unit_id"), *(data.get("assist_unit_ids") or [])]:
            out |= self.holding(u, LEADERS | OFFICE)
        return out - {None}

    def _phrases(self, key, data, unit, author) -> set[str]:
        return {author}

    def _delegations(self, key, data, unit, author) -> set[str]:
        return {data["principal_id"], data["delegate_id"]}

    def _notifications(self, key, data, unit, author) -> set[str]:
        roles = NOTICE_ROLES.get(data["kind"].split(".")[0], LEADERS | OFFICE)
        out = set(data.get("to_users") or [])
        for u in data.get("to_units") or []:
            out |= self.holding(u, roles)
        return out


def _pulled(client) -> dict[str, set[str]]:
    """Every live record the user pulls, by collection."""
    live: dict[tuple[str, str], bool] = {}
    cursor = 0
    while True:
        page = client.transport.pull(cursor, limit=500)
        for rec in page.changes:
            live[(rec.collection, rec.id)] = not rec.deleted
        cursor = page.next_cursor
        if not page.has_more:
            break
    out: dict[str, set[str]] = defaultdict(set)
    for (collection, rid), alive in live.items():
        if alive:
            out[collection].add(rid)
    return out


@pytest.fixture(scope="module")
def table(world) -> Table:
    return Table(world)


@pytest.fixture(scope="module")
def desks(world, tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("matrix-desks")
    made = {login: make_client(world, root, login) for login in USERS}
    yield made
    for c in made.values():
        c.close()


# -- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("login", list(USERS))
def test_each_user_pulls_exactly_what_the_table_grants(table, desks, login):
    me = _user_id_of(table, login)
    expected: dict[str, set[str]] = defaultdict(set)
    for key in table.records:
        if me in table.readers(key):
            expected[key[0]].add(key[1])
    got = _pulled(desks[login])
    for collection in sorted(set(expected) | set(got)):
        assert got.get(collection, set()) == expected.get(collection, set()), (
            f"{login} ({USERS[login]}) in {collection}: extra "
            f"{got.get(collection, set()) - expected.get(collection, set())}, missing "
            f"{expected.get(collection, set()) - got.get(collection, set())}")


def test_every_collection_and_state_is_in_the_matrix(table):
    """The world really holds every kind of record in its states (else the matrix is thin)."""
    kinds = {c for c, _i in table.records}
    assert kinds >= {"documents", "document_events", "document_revisions", "attachments",
                     "meetings", "meeting_replies", "rooms", "service_items", "requests",
                     "request_events", "report_templates", "submissions", "supervision_tasks",
                     "phrases", "delegations", "notifications", "settings"}
    docs = [d for (c, _i), (d, _u, _b) in table.records.items() if c == "documents"]
    assert {(d.get("direction"), d.get("state")) for d in docs} >= {
        ("outgoing", "draft"), ("outgoing", "review"), ("outgoing", "sign_off"),
        ("outgoing", "dispatched"), ("incoming", "receive"), ("incoming", "register"),
        ("incoming", "circulate")}
    states = {d.get("state") for (c, _i), (d, _u, _b) in table.records.items()
              if c == "requests"}
    assert states >= {"draft", "submitted", "in_review", "approved"}


#: records a reader checks by eye: (collection, what identifies it, who of the matrix sees it
#: — everyone else of the matrix does not)
BY_HAND = [
    ("documents", {"id": "doc-draft"}, {"liuyang", "zhengxiaoyan"}),
    ("documents", {"state": "review"}, {"liuyang", "zhengxiaoyan", "huangjianhua", "wuqiong"}),
    ("documents", {"direction": "incoming", "state": "register"}, {"huangli"}),
    ("documents", {"direction": "incoming", "state": "circulate"}, {
        "wuqiong", "huangjianhua", "chenzhiqiang", "zhengxiaoyan", "liuyang"}),
    ("meetings", {"title": "全市防汛工作会议"}, {
        "chenzhiqiang", "huangjianhua", "zhengxiaoyan", "liuyang", "xiefang", "lixiaolong",
        "huangxiaomei"}),
    ("meetings", {"id": "ics-1"}, {"huangjianhua"}),
    ("requests", {"title": "公务用车：刘洋"}, {"liuyang", "zhengxiaoyan", "huangjianhua"}),
    ("requests", {"id": "req-draft"}, {"liuyang"}),
    ("report_templates", {"name": "乡镇基本情况季报（一张表）"}, {"lixiaolong", "yanglan"}),
    ("supervision_tasks", {"title": "落实政务服务“一网通办”年度重点任务"}, {
        "lindongsheng", "zhengxiaoyan", "huangjianhua", "wuqiong"}),
    ("phrases", {"id": "phrase-1"}, {"liuyang"}),
    ("delegations", {"id": "deleg-1"}, {"huangjianhua", "wuqiong"}),
    ("settings", {"id": "supervision"}, set(USERS)),
    ("documents", {"doc_kind": "通报"}, {"lindongsheng"}),  # the 通报 drafted for him
    # reminders: to people, only them; to a unit, those there who answer for the work
    ("notifications", {"kind": "request.overdue"}, {"zhengxiaoyan"}),
    ("notifications", {"kind": "bulletin.draft"}, {"lindongsheng"}),
    ("notifications", {"kind": "supervision.warning"}, {"huangjianhua", "wuqiong"}),
    ("notifications", {"kind": "supervision.overdue"}, {"zhengxiaoyan", "huangxiaomei"}),
    ("notifications", {"kind": "supervision.chase"}, {"weiguoqiang", "huangli"}),
    ("notifications", {"kind": "report.due"}, {"yanglan"}),
    ("notifications", {"kind": "report.chase"}, {"weiguoqiang"}),
    ("notifications", {"kind": "meeting.soon"}, {"huangxiaomei"}),
]


@pytest.mark.parametrize(("collection", "where", "seeing"), BY_HAND,
                         ids=[f"{c}-{next(iter(w.values()))}" for c, w, _s in BY_HAND])
def test_the_cells_a_reader_checks_by_eye(table, desks, collection, where, seeing):
    found = [rid for (c, rid), (d, _u, _b) in table.records.items() if c == collection
             and all((rid if k == "id" else d.get(k)) == v for k, v in where.items())]
    assert len(found) == 1, found
    assert {login for login in USERS if found[0] in _pulled(desks[login])[collection]} == seeing


@pytest.mark.parametrize("login", list(USERS))
def test_attachment_bytes_only_for_those_who_see_them(world, table, desks, login):
    """HEAD answers 200 exactly for the bytes the table lets the user read (own uploads and
    attachments of records they see); the rest is a 404, like a hash nobody has."""
    me = _user_id_of(table, login)
    client = desks[login]
    blobs: dict[str, bool] = {}
    for (c, rid), (data, _u, _b) in table.records.items():
        if c == "attachments" and data.get("sha256"):
            sha = data["sha256"]
            blobs[sha] = blobs.get(sha, False) or me in table.readers((c, rid)) \
                or (sha, me) in table.owners
    assert len(blobs) >= 8
    for sha, allowed in blobs.items():
        assert (client.transport.blob_size(sha) is not None) == allowed, (login, sha)
        if not allowed:
            with pytest.raises(SyncError) as err:
                client.transport.download(sha)
            assert err.value.kind == "not_found"


@pytest.mark.parametrize("login", ADMINS)
def test_the_three_administrators_see_no_business_record(world, table, tmp_path, login):
    admin = make_client(world, tmp_path, login)
    with pytest.raises(SyncError) as err:
        admin.transport.pull(0)
    assert err.value.kind == "forbidden"
    sha = next(d["sha256"] for (c, _i), (d, _u, _b) in table.records.items()
               if c == "attachments")
    with pytest.raises(SyncError) as err:
        admin.transport.download(sha)
    assert err.value.kind == "forbidden"
    admin.close()
    # nor would they through any principal they carry (their unit's reminders included)
    with server_session(world) as s:
        me = s.query(User).filter_by(login=login).one()
        mine = {"all", f"user:{me.id}", f"unit:{me.unit_id}", *(f"role:{r}" for r in me.roles)}
        reached = {a.collection for a in s.query(SyncAudience).filter(
            SyncAudience.active.is_(True), SyncAudience.principal.in_(mine))}
        notices = s.query(SyncRecord).filter_by(collection="notifications").all()
    assert reached and reached <= PUBLIC | set(ORG_COLLECTIONS), reached - PUBLIC
    assert any(str(me.unit_id) in json.loads(n.data)["to_units"] for n in notices)


def _user_id_of(table: Table, login: str) -> str:
    return next(pid for pid, name in table.login.items() if name == login)
