"""Bad input and conflicts on 公文, each refused (or kept and shown) by the client and again by
the real server over HTTP: missing/contradictory elements, classified 密级, an action by
someone not allowed, two officials on one step at once, an offline body edit against a
server change, an attachment over the size limit, a dissolved receiving unit, 退回 without
a reason, 委托 for someone else, 重发/催收."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from oa_client.errors import PermissionDenied, ValidationError
from oa_client.services import documents as docs
from oa_server.sync_models import SyncRecord
from sync.org import fetch_org
from tests.e2e.conftest import Desk
from tests.e2e.test_documents_flow import (
    CITY_CLERK,
    CLERK,
    DIRECTOR,
    MAYOR,
    request_fields,
    sign_off,
    unit_id,
)
from tests.sync.support import add_user, make_client

DEPUTY = "zhuyanping"  # 洪阳镇 副镇长


def _push(desk: Desk, entity: str, payload: dict, *, kind: str = "upsert", rid: str = "x",
          base_rev: int = 0):
    """One raw op straight to the server (what a tampered or outdated client could send)."""
    return desk.client.transport.push([{"op_id": f"raw-{entity}-{rid}", "kind": kind,
                                        "entity": entity, "entity_id": rid,
                                        "base_rev": base_rev, "payload": payload}]).results[0]


def _submitted(desks) -> tuple[Desk, str]:
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    return clerk, doc_id


def _event(desk: Desk, doc_id: str, action: str, step: str | None, **extra) -> dict:
    return {"document_id": doc_id, "action": action, "step": step, "actor_id": desk.id,
            "at": datetime.now(UTC).isoformat(), **extra}


def test_bad_elements_are_refused_by_client_and_server(desks):
    clerk = desks[CLERK]
    city, other = unit_id(clerk, "普宁市人民政府"), unit_id(clerk, "梅塘镇人民政府")
    cases = [
        (request_fields(clerk, title=" "), "title"),
        (request_fields(clerk, secrecy="机密"), "secrecy"),
        (request_fields(clerk, main_to=[city, other]), "main_to"),  # 请示 has one 主送
        (request_fields(clerk, cc_to=[city]), "cc_to"),  # both 主送 and 抄送
        (request_fields(clerk, doc_kind="请示报告"), "kind"),
        (request_fields(clerk, main_to=["01a20000-0000-7000-8000-000000000000"]), "main_to"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as err:
            docs.compose(clerk.store, me=clerk.me, fields=fields)
        assert err.value.field == field, fields
        result = _push(clerk, "documents", fields, rid=f"bad-{field}")
        assert (result.status, result.code) == ("rejected", "validation"), field
    classified = _push(clerk, "documents", request_fields(clerk, secrecy="绝密"), rid="secret")
    assert "涉密" in classified.message
    # nothing the server refused was stored; the desk's list is empty
    clerk.sync()
    assert docs.list_documents(clerk.store, me=clerk.me, box="drafts") == []
    # a client may never set the server's fields
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    rec = clerk.doc(doc_id)
    clerk.store.records.write("documents", [rec])
    from oa_client.services import records as rec_svc
    rec_svc.save(clerk.store, "documents", {**rec, "doc_number": "洪府〔2026〕99号",
                                            "state": "dispatched", "holder_ids": [clerk.id]})
    clerk.sync()
    rec = clerk.doc(doc_id)
    assert (rec["doc_number"], rec["state"], rec["holder_ids"]) == (None, "draft", [])


def test_not_allowed_and_empty_return_refused_by_client_and_server(desks, server):
    clerk, doc_id = _submitted(desks)
    mayor, director = desks[MAYOR], desks[DIRECTOR]
    mayor.sync()
    with pytest.raises(PermissionDenied):
        docs.act(mayor.store, me=mayor.me, doc_id=doc_id, action="approve", step="review")
    result = _push(mayor, "document_events", _event(mayor, doc_id, "approve", "review"),
                   kind="action", rid="ev-mayor")
    assert (result.status, result.code) == ("rejected", "not_holder")
    director.sync()
    with pytest.raises(ValidationError) as err:
        docs.act(director.store, me=director.me, doc_id=doc_id, action="return", step="review",
                 to_step="draft", opinion="  ")
    assert err.value.field == "opinion"
    result = _push(director, "document_events",
                   _event(director, doc_id, "return", "review", to_step="draft", opinion=""),
                   kind="action", rid="ev-ret")
    assert (result.status, result.code) == ("rejected", "reason_required")
    bad_dept = _push(director, "document_events", _event(
        director, doc_id, "approve", "review", values={"countersign_departments": ["秘书科"]}),
        kind="action", rid="ev-dept")
    assert (bad_dept.status, bad_dept.code) == ("rejected", "validation")
    assert "countersign_departments" in bad_dept.message
    director.act(doc_id, "return", "review", to_step="draft", opinion="请补充受灾数据。")
    clerk.sync()
    view = clerk.view(doc_id)
    assert view.state == "draft" and view.can("submit")
    assert view.timeline[-1].opinion == "请补充受灾数据。" and view.timeline[-1].action == "return"
    # 委托 for someone else's duties is refused by the server, saying why, and nothing is stored
    forged = _push(director, "delegations", {"principal_id": mayor.id, "delegate_id": clerk.id,
                                             "start": "2026-01-01", "end": "2026-12-31"},
                   rid="forged-deleg")
    assert (forged.status, forged.code) == ("rejected", "not_allowed")
    assert "不能替他人设立委托" in forged.message
    with server.app.state.sessionmaker() as session:
        stored = session.scalars(select(SyncRecord).where(SyncRecord.collection == "delegations")).all()
    assert [r.id for r in stored if json.loads(r.data).get("principal_id") == mayor.id] == []
    assert "forged-deleg" not in [r.id for r in stored]
    for desk in (director, clerk, mayor):  # the pusher, the would-be delegate, the principal
        desk.sync()
        assert [d["id"] for d in desk.store.records.list("delegations")] == [], desk.id


def _person(desk: Desk, name: str) -> str:
    return next(u["id"] for u in desk.store.records.list("users", limit=1000) if u["name"] == name)


def test_a_step_or_a_delegation_goes_only_to_someone_who_can_take_it(desks, server):
    """转办 and 委托 to one of the 三员, an account without a business role, a disabled account
    or an id nobody has are refused, saying why: the step would be held by nobody who can act
    (the 三员 see no business records). The document stays with its holder."""
    from oa_server.models import User

    _clerk, doc_id = _submitted(desks)
    director = desks[DIRECTOR]
    director.sync()
    roleless = add_user(server, like=DIRECTOR, login="no-roles", roles=(), name="无角色")
    left = add_user(server, like=DIRECTOR, login="has-left", roles=("drafter",), name="已调离")
    with server.app.state.sessionmaker() as session:
        session.get(User, uuid.UUID(left)).active = False
        session.commit()
    targets = {"系统管理员": _person(director, "黄伟"), "安全审计员": _person(director, "何晓琴"),
               "无业务角色": roleless, "已停用": left, "不存在": str(uuid.uuid4())}
    for label, target in targets.items():
        for action, code, words in (("reassign", "bad_reassign", "转办对象须是在岗的业务人员"),
                                    ("delegate", "bad_delegation", "受委托人须是在岗的业务人员")):
            extra = {"to_user": target, "opinion": "请代为办理。"}
            if action == "delegate":
                extra |= {"valid_from": "2026-01-01", "valid_until": "2026-12-31"}
            result = _push(director, "document_events",
                           _event(director, doc_id, action, "review" if action == "reassign" else None,
                                  **extra), kind="action", rid=f"ev-{action}-{label}")
            assert (result.status, result.code) == ("rejected", code), (label, action, result)
            assert words in result.message
        standing = _push(director, "delegations", {"delegate_id": target, "start": "2026-01-01",
                                                   "end": "2026-12-31"}, rid=f"deleg-{label}")
        assert (standing.status, standing.code) == ("rejected", "validation"), label
        assert "受委托人须是在岗的业务人员" in standing.message
    director.sync()
    view = director.view(doc_id)
    assert view.state == "review" and view.holder_names == [director.me["name"]]
    assert view.can("approve")
    assert [e.action for e in view.timeline if e.action in ("reassign", "delegate")] == []
    assert director.store.records.list("delegations") == []
    # the same 转办 to a colleague who can take it goes through
    director.act(doc_id, "reassign", "review", to_user=_person(director, "朱艳萍"),
                 opinion="请朱副镇长代为核稿。")
    assert director.view(doc_id).holder_names == ["朱艳萍"]


def test_a_draft_naming_another_units_department_for_countersign_is_not_sent(desks, server):
    """A tampered desk writes another unit's 科室 into its draft's 会签部门 and sends it: the
    server refuses the 送审 naming the element, so nobody outside the unit is put on its route."""
    from oa_server.models import Department, Unit
    clerk = desks[CLERK]
    with server.app.state.sessionmaker() as session:
        foreign = session.scalars(select(Department.id).join(Unit, Unit.id == Department.unit_id)
                                  .where(Unit.name == "普宁市人民政府办公室")).first()
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.sync()
    rec = clerk.doc(doc_id)
    edit = _push(clerk, "documents", {**{k: v for k, v in rec.items() if k not in ("rev",)},
                                      "countersign_departments": [str(foreign)]},
                 rid=doc_id, base_rev=int(rec["rev"]))
    assert edit.status == "applied", edit
    start = _push(clerk, "document_events", _event(clerk, doc_id, "start", None),
                  kind="action", rid="ev-start-foreign")
    assert (start.status, start.code) == ("rejected", "validation")
    assert "countersign_departments" in start.message
    clerk.sync()
    assert clerk.doc(doc_id)["state"] in (None, "", "draft")


def test_two_officials_on_one_step_one_wins_the_other_is_kept_and_shown(desks):
    _clerk, doc_id = _submitted(desks)
    mayor, deputy, director = desks[MAYOR], desks[DEPUTY], desks[DIRECTOR]
    today = datetime.now(UTC).date()
    docs.delegate(mayor.store, me=mayor.me, delegate_id=deputy.id, start=today,
                  end=date(today.year + 1, 1, 1))
    mayor.sync()
    director.sync()
    director.act(doc_id, "approve", "review")
    mayor.sync()
    deputy.sync()
    view = deputy.view(doc_id)
    assert any(a.action == "approve" and a.on_behalf_of == mayor.id for a in view.allowed)
    # both act at once: the deputy under the 委托, the mayor himself
    docs.act(deputy.store, me=deputy.me, doc_id=doc_id, action="approve", step="sign_off",
             opinion="代签：同意。", on_behalf_of=mayor.id)
    docs.act(mayor.store, me=mayor.me, doc_id=doc_id, action="approve", step="sign_off",
             opinion="同意上报。")
    assert mayor.sync().applied >= 1
    report = deputy.sync(clean=False)
    assert report.superseded == 1 and report.rejected == 0
    for desk in (deputy, mayor):
        desk.sync(clean=False)
        entries = {e.opinion: e for e in desk.view(doc_id).timeline}
        assert entries["同意上报。"].outcome == "accepted"
        late = entries["代签：同意。"]
        assert late.superseded and late.delegated_note == "代梁海涛" and late.reason
    assert mayor.doc(doc_id)["signers"] == ["梁海涛"]


def test_offline_body_edit_against_a_server_change_is_a_conflicted_revision(desks, server,
                                                                               tmp_path):
    clerk, doc_id = _submitted(desks)
    director = desks[DIRECTOR]
    director.sync()
    laptop = Desk(make_client(server, tmp_path, DIRECTOR, name="laptop"))
    fetch_org(laptop.store, laptop.client.transport)
    laptop.sync()
    original = director.doc(doc_id)["body"]
    # the laptop edits offline while the office PC changes the body on the server
    docs.save_body(laptop.store, me=laptop.me, doc_id=doc_id, body=original + "\n（笔记本修改）")
    docs.save_body(director.store, me=director.me, doc_id=doc_id, body=original + "\n（办公室修改）")
    director.sync()
    report = laptop.sync(clean=False)
    assert report.superseded == 1
    laptop.sync(clean=False)
    for desk in (laptop, clerk):
        desk.sync(clean=False)
        assert desk.doc(doc_id)["body"].endswith("（办公室修改）")  # the server's copy stays
        revs = {r["body"].rsplit("\n", 1)[-1]: r for r in desk.view(doc_id).revisions}
        assert revs["（笔记本修改）"]["conflicted"] == 1  # kept, nothing lost
        assert revs["（办公室修改）"]["conflicted"] == 0
    assert laptop.store.db.query("SELECT count(*) FROM conflicts")[0][0] == 1
    # the author resolves it: the laptop's text again, on top of the server's body
    conflicted = next(r for r in laptop.view(doc_id).revisions if r["conflicted"])
    docs.reapply_revision(laptop.store, me=laptop.me, doc_id=doc_id, revision_id=conflicted["id"])
    laptop.sync()
    assert laptop.doc(doc_id)["body"].endswith("（笔记本修改）")
    laptop.client.close()


def test_attachment_over_the_limit_is_refused(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    with pytest.raises(ValidationError) as err:
        docs.attach_file(clerk.store, me=clerk.me, doc_id=doc_id, name="航拍视频.mp4",
                         data=b"\0" * (docs.MAX_ATTACHMENT_BYTES + 1))
    assert err.value.field == "attachments" and "MB" in err.value.message
    assert docs.open_document(clerk.store, doc_id, me=clerk.me).attachments == []
    big = {"name": "航拍视频", "size": docs.MAX_ATTACHMENT_BYTES + 1}
    result = _push(clerk, "documents", request_fields(clerk, attachments=[big]), rid="big")
    assert (result.status, result.code) == ("rejected", "validation") and "MB" in result.message


def test_dissolved_receiving_unit_is_refused_with_a_clear_message(desks, server, tmp_path):
    clerk = desks[CLERK]
    meitang = unit_id(clerk, "梅塘镇人民政府")
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(
        clerk, doc_kind="函", title="关于商请协助抢修堤围的函", cc_to=[meitang]))
    clerk.act(doc_id, "submit", "draft")
    desks[DIRECTOR].sync()
    desks[DIRECTOR].act(doc_id, "approve", "review")
    deputy = desks[DEPUTY]  # a 函 is signed by the 分管领导
    deputy.sync()
    deputy.act(doc_id, "approve", "sign_off")
    desks[DIRECTOR].sync()
    desks[DIRECTOR].act(doc_id, "approve", "recheck")
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    clerk.act(doc_id, "approve", "seal")
    admin = make_client(server, tmp_path, "huangwei")
    admin.transport.request("POST", f"/admin/units/{meitang}/disable")
    admin.close()
    # a desk that has not refreshed its org chart sends it; the server refuses
    docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="dispatch")
    report = clerk.sync(clean=False)
    assert report.rejected == 1
    (payload,) = [str(r) for r in clerk.store.db.query(
        "SELECT * FROM conflicts WHERE kind = 'rejected'")]
    assert "梅塘镇人民政府" in payload and "撤销" in payload
    # once the desk knows, the client refuses it before sending
    fetch_org(clerk.store, clerk.client.transport)
    with pytest.raises(ValidationError) as err:
        docs.act(clerk.store, me=clerk.me, doc_id=doc_id, action="approve", step="dispatch")
    assert err.value.field == "cc_to" and "梅塘镇人民政府" in err.value.message
    assert clerk.doc(doc_id)["state"] == "dispatch"  # nothing sent, nothing lost


def test_refused_then_resent_and_chased(desks):
    clerk, doc_id = _submitted(desks)
    sign_off(desks, doc_id)
    clerk.sync()
    for step in ("number", "seal", "dispatch"):
        clerk.act(doc_id, "approve", step)
    city = unit_id(clerk, "普宁市人民政府")
    first = clerk.doc(doc_id)["receipts"][city]["incoming_id"]
    docs.chase(clerk.store, me=clerk.me, doc_id=doc_id, unit_id=city)
    clerk.sync()
    assert clerk.doc(doc_id)["receipts"][city]["chased"] == 1
    city_clerk = desks[CITY_CLERK]
    city_clerk.sync()
    assert city_clerk.doc(first)["chased"] == 1
    city_clerk.act(first, "return", "receive", opinion="请示应由镇政府主要负责人签发，请补正。")
    assert city_clerk.view(first).state == "refused"
    clerk.sync()
    receipt = clerk.doc(doc_id)["receipts"][city]
    assert receipt["status"] == "returned" and receipt["reason"].startswith("请示应由")
    assert clerk.view(doc_id).receipts[0].status_label == "已退回"
    docs.resend(clerk.store, me=clerk.me, doc_id=doc_id, unit_id=city)
    clerk.sync()
    receipt = clerk.doc(doc_id)["receipts"][city]
    assert receipt["status"] == "sent" and receipt["incoming_id"] != first
    assert receipt["history"][-1]["status"] == "returned"
    city_clerk.sync()
    assert city_clerk.view(receipt["incoming_id"]).state == "receive"
    clerk.sync()  # the new copy reached the city's desk
    assert clerk.doc(doc_id)["receipts"][city]["status"] == "delivered"
