"""An insider steering the 公文 flow, refused by the server: flow values a step may not set
(文种, 签发领导所在单位, 传阅人 smuggled in at 送审), a 委托 used outside its window by a
back-dated event, an administrator named as a 收文's 传阅人, a 拟办 naming a leader role that
does not exist, and dates outside the years records take (成文日期, 印发日期, 委托期限)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from oa_client.services import documents as docs
from oa_server.models import User
from tests.e2e.test_documents_flow import CITY_DIRECTOR, at_propose, unit_id
from tests.sync.support import server_session

DRAFTER, DIRECTOR = "liuyang", "huangjianhua"  # 市政府办公室 (普府办: 市政府领导签发)
MAYOR, DEPUTY = "chenzhiqiang", "linhuimin"  # 市政府
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing


def user_id(server, login: str) -> str:
    """A demo user's id by login, from the server's database (administrators too)."""
    with server_session(server) as session:
        return str(session.scalar(select(User.id).where(User.login == login)))


def push(desk, entity: str, payload: dict, *, kind: str = "upsert", entity_id: str | None = None,
         base_rev: int = 0):
    """One raw op, as a desk that skipped its own checks would send it; the server's result."""
    op = {"op_id": str(uuid.uuid4()), "kind": kind, "entity": entity,
          "entity_id": entity_id or str(uuid.uuid4()), "base_rev": base_rev, "payload": payload}
    return desk.client.transport.push([op]).results[0]


def event(desk, doc_id: str, action: str, step: str | None = None, **extra):
    """One raw flow event by the desk's user on a document."""
    payload = {"document_id": doc_id, "action": action, "actor_id": desk.id,
               "at": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), **extra}
    if step:
        payload["step"] = step
    return push(desk, "document_events", payload, kind="action")


def _drafted(desk, kind: str, title: str, to_unit: str, body: str) -> str:
    """A 公文 of 市政府办公室, saved and synced."""
    doc_id, _ = docs.compose(desk.store, me=desk.me, fields={
        "doc_kind": kind, "title": title, "main_to": [unit_id(desk, to_unit)],
        "issuer_name": "普宁市人民政府办公室", "body": body})
    desk.sync()
    return doc_id


def request(desk) -> str:
    """A 请示 to 市政府: its 签发 is the mayor's."""
    return _drafted(desk, "请示", "普宁市人民政府办公室关于增拨防汛物资经费的请示", "普宁市人民政府",
                    "普宁市人民政府：\n恳请增拨防汛物资经费 30 万元。\n妥否，请批示。")


def notice(desk) -> str:
    """A 通知 to 洪阳镇: its 签发 is the deputy mayor's."""
    return _drafted(desk, "通知", "普宁市人民政府办公室关于做好防汛值班工作的通知", "洪阳镇人民政府",
                    "各镇人民政府：\n现就做好防汛值班工作通知如下。")


@pytest.fixture
def clock(server):
    """The server's clock, set to a fixed working morning."""
    server.clock.now = NOW
    return server.clock


def smuggled(server, desk, which: str) -> tuple[dict, str]:
    """The flow values a drafter smuggles in at 送审, and the name the refusal gives them."""
    if which == "kind":
        return {"kind": "通知"}, "文种"
    if which == "leader_unit":
        return {"leader_unit": unit_id(desk, "洪阳镇人民政府")}, "签发领导所在单位"
    return {"readers": [user_id(server, "zhangmin"), user_id(server, "huangli")]}, "传阅人"


@pytest.mark.parametrize("which", ["kind", "leader_unit", "readers"])
def test_values_smuggled_in_at_submit_are_refused_and_sign_off_stays_the_mayors(
        server, clock, desks, which):
    drafter = desks[DRAFTER]
    doc_id = request(drafter)
    values, name = smuggled(server, drafter, which)
    assert event(drafter, doc_id, "start", unit_id=drafter.me["unit"]["id"]).status == "applied"
    result = event(drafter, doc_id, "submit", "draft", values=values)
    assert (result.status, result.code) == ("rejected", "values_not_allowed"), result
    assert name in result.message and "本环节不能填写或修改" in result.message
    # the ordinary 送审 and 核稿 still work, and 签发 goes to the mayor as for every 请示
    drafter.sync()
    drafter.act(doc_id, "submit", "draft")
    director = desks[DIRECTOR]
    director.sync()
    refused = event(director, doc_id, "approve", "review", values=values)
    assert (refused.status, refused.code) == ("rejected", "values_not_allowed"), refused
    director.act(doc_id, "approve", "review")
    rec = director.doc(doc_id)
    assert rec["state"] == "sign_off" and rec["holder_ids"] == [user_id(server, MAYOR)]
    assert not rec.get("reader_ids")
    if which == "readers":  # nobody of 普政数 or 财政局 pulls the 发文
        outsider = desks["zhangmin"]
        outsider.sync()
        assert outsider.store.records.get_many("documents", [doc_id]) == {}


def test_a_back_dated_event_cannot_use_an_expired_delegation(server, clock, desks):
    drafter, director, deputy = desks[DRAFTER], desks[DIRECTOR], desks[DEPUTY]
    doc_id = notice(drafter)
    drafter.act(doc_id, "submit", "draft")
    director.sync()
    director.act(doc_id, "approve", "review")
    assert director.doc(doc_id)["holder_ids"] == [deputy.id]
    xujia = user_id(server, "xujia")
    expired = push(deputy, "delegations", {"delegate_id": xujia, "start": "2026-11-01",
                                           "end": "2026-11-30"})
    assert expired.status == "applied", expired
    delegate = desks["xujia"]
    result = event(delegate, doc_id, "approve", "sign_off", on_behalf_of=deputy.id,
                   opinion="同意", at="2026-11-15T02:00:00Z")
    assert (result.status, result.code) == ("rejected", "no_delegation"), result
    director.sync()
    assert director.doc(doc_id)["state"] == "sign_off" and not director.doc(doc_id).get("signers")
    # a 委托 that covers today still lets the delegate sign for the deputy mayor
    valid = push(deputy, "delegations", {"delegate_id": xujia, "start": "2026-12-07",
                                         "end": "2026-12-08"})
    assert valid.status == "applied", valid
    result = event(delegate, doc_id, "approve", "sign_off", on_behalf_of=deputy.id,
                   opinion="同意", at="2026-11-15T02:00:00Z")
    assert result.status == "applied", result
    director.sync()
    rec = director.doc(doc_id)
    assert rec["state"] == "recheck" and rec["signers"] == ["林慧敏"]
    taken = [e for e in director.store.records.list("document_events",
                                                    where={"document_id": doc_id}, limit=100)
             if e.get("step") == "sign_off" and e.get("status") == "applied"]
    # the event bears the server's time; the desk's own is kept for the record
    assert [datetime.fromisoformat(e["at"]) for e in taken] == [NOW]
    assert [e["client_at"] for e in taken] == ["2026-11-15T02:00:00Z"]


@pytest.mark.parametrize("wrong", ["administrator_reader", "unknown_leader"])
def test_propose_refuses_an_administrator_as_reader_and_an_unknown_leader(server, desks, wrong):
    inc_id = at_propose(desks)
    director = desks[CITY_DIRECTOR]
    dept = desks["zhengxiaoyan"].me["department"]["id"]
    values, words = {"leader": "principal_leader", "lead_department": [dept]}, "请选择批示领导"
    if wrong == "administrator_reader":  # 黄伟, 系统管理员 (三员)
        values["readers"], words = [user_id(server, "huangwei")], "传阅人须是在岗的业务人员"
    else:
        values["leader"] = "supervisor"
    result = event(director, inc_id, "approve", "propose", values=values)
    assert (result.status, result.code) == ("rejected", "validation"), result
    assert words in result.message
    director.sync()
    assert director.doc(inc_id)["state"] == "propose"
    director.act(inc_id, "approve", "propose", values={
        "leader": "principal_leader", "lead_department": [dept],
        "readers": [user_id(server, "lindongsheng")]})
    assert director.doc(inc_id)["state"] == "instruct"


def draft(desk, **elements) -> dict:
    """A 发文 draft as a desk writes it."""
    return {"direction": "outgoing", "doc_kind": "通知", "secrecy": "非涉密",
            "title": "普宁市人民政府办公室关于做好防汛值班工作的通知",
            "main_to": [unit_id(desk, "洪阳镇人民政府")], "issuer_name": "普宁市人民政府办公室",
            "body": "各镇人民政府：\n现就做好防汛值班工作通知如下。", **elements}


@pytest.mark.parametrize(("elements", "name"), [
    ({"date": "9999-01-01"}, "成文日期"),
    ({"date": "1899-12-31"}, "成文日期"),
    ({"date": "2026-12-07", "print_date": "9999-01-01"}, "印发日期"),
])
def test_a_document_date_outside_the_years_records_take_is_refused(desks, elements, name):
    drafter = desks[DRAFTER]
    result = push(drafter, "documents", draft(drafter, **elements))
    assert (result.status, result.code) == ("rejected", "validation"), result
    assert name in result.message and "1900" in result.message and "2199" in result.message
    fine = push(drafter, "documents", draft(drafter, date="2026-12-07", print_date="2026-12-08"))
    assert fine.status == "applied", fine


@pytest.mark.parametrize(("start", "end"), [
    ("0001-01-01", "9999-12-31"), ("2026-12-07", "9999-12-31"), ("1899-12-31", "2026-12-08"),
])
def test_a_delegation_outside_the_years_records_take_is_refused(server, desks, start, end):
    deputy = desks[DEPUTY]
    xujia = user_id(server, "xujia")
    result = push(deputy, "delegations", {"delegate_id": xujia, "start": start, "end": end})
    assert (result.status, result.code) == ("rejected", "validation"), result
    assert "委托期限" in result.message and "1900" in result.message
    fine = push(deputy, "delegations", {"delegate_id": xujia, "start": "2026-12-07",
                                        "end": "2026-12-31"})
    assert fine.status == "applied", fine


def test_a_delegation_in_force_cannot_be_undone_after_the_fact(server, desks, clock):
    """A delegate's acts are replayed against the principal's 委托 for as long as the flow
    lives: one that has taken effect may be extended or ended from today, never withdrawn or
    moved back (that turned the delegate's 签发 into nothing and sent the flow backwards)."""
    deputy, delegate_id = desks[DEPUTY], user_id(server, "xujia")
    made = push(deputy, "delegations", {"delegate_id": delegate_id, "start": "2026-12-01",
                                        "end": "2026-12-31"}, entity_id="dlg-in-force")
    assert made.status == "applied", made
    base = {"delegate_id": delegate_id, "start": "2026-12-01", "end": "2026-12-31"}
    refused = [
        push(deputy, "delegations", {}, kind="delete", entity_id="dlg-in-force", base_rev=made.rev),
        push(deputy, "delegations", {**base, "end": "2026-12-05"}, entity_id="dlg-in-force",
             base_rev=made.rev),  # ended before today (12-07)
        push(deputy, "delegations", {**base, "start": "2026-12-07"}, entity_id="dlg-in-force",
             base_rev=made.rev),  # its first week taken back
        push(deputy, "delegations", {**base, "delegate_id": user_id(server, "liuyang")},
             entity_id="dlg-in-force", base_rev=made.rev),  # someone else did those acts
    ]
    for result in refused:
        assert (result.status, result.code) == ("rejected", "not_allowed"), result
    assert "委托" in refused[0].message and "不能撤销" in refused[0].message
    ended = push(deputy, "delegations", {**base, "end": "2026-12-07"}, entity_id="dlg-in-force",
                 base_rev=made.rev)  # ended today: what was done under it stays covered
    assert ended.status == "applied", ended
    later = push(deputy, "delegations", {"delegate_id": delegate_id, "start": "2026-12-20",
                                         "end": "2026-12-31"}, entity_id="dlg-later")
    gone = push(deputy, "delegations", {}, kind="delete", entity_id="dlg-later", base_rev=later.rev)
    assert gone.status == "applied", gone  # not in force yet: withdrawn freely
