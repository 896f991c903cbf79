"""Step effects end to end: a substantive change after 签发 goes back to the signer; a number
taken back by a return is voided and logged, never reused; a 批示 marked for supervision
opens a 督办事项 the 督查室 sees; 撤回 while the next person has not acted."""

from __future__ import annotations

import re

from oa_client.services import documents as docs
from sync.engine import SyncReport
from tests.e2e.test_documents_flow import (
    CITY_DIRECTOR,
    CITY_MAYOR,
    CLERK,
    DIRECTOR,
    MAYOR,
    at_propose,
    request_fields,
    unit_id,
)
from tests.sync.support import make_client


def _to_recheck(desks) -> str:
    clerk, director, mayor = desks[CLERK], desks[DIRECTOR], desks[MAYOR]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    director.sync()
    director.act(doc_id, "approve", "review")
    mayor.sync()
    mayor.act(doc_id, "approve", "sign_off", opinion="同意。")
    director.sync()
    return doc_id


def test_substantive_change_after_sign_off_goes_back_to_the_signer(desks):
    doc_id = _to_recheck(desks)
    director, mayor = desks[DIRECTOR], desks[MAYOR]
    body = director.doc(doc_id)["body"]
    docs.save_body(director.store, me=director.me, doc_id=doc_id,
                   body=body.replace("80 万元", "120 万元"))
    director.sync()
    view = director.view(doc_id)
    assert ("delete", "8") in view.body_marked and ("insert", "12") in view.body_marked
    director.act(doc_id, "approve", "recheck", opinion="金额有变，请镇长重新签发。")
    mayor.sync()
    view = mayor.view(doc_id)
    assert view.state == "sign_off" and view.holder_names == ["梁海涛"] and view.can("approve")
    mayor.act(doc_id, "approve", "sign_off", opinion="同意按 120 万元上报。")
    director.sync()
    assert director.view(doc_id).state == "recheck"
    director.act(doc_id, "approve", "recheck")
    assert director.doc(doc_id)["state"] == "number"


def test_a_returned_number_is_voided_and_never_reused(desks, server, tmp_path):
    doc_id = _to_recheck(desks)
    director, clerk = desks[DIRECTOR], desks[CLERK]
    director.act(doc_id, "approve", "recheck")
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    first = clerk.doc(doc_id)["doc_number"]
    clerk.act(doc_id, "return", "seal", to_step="recheck", opinion="附件缺页，退回复核。")
    rec = clerk.doc(doc_id)
    assert rec["doc_number"] is None and rec["voided_numbers"][0]["doc_number"] == first
    director.sync()
    director.act(doc_id, "approve", "recheck")
    clerk.sync()
    clerk.act(doc_id, "approve", "number")
    second = clerk.doc(doc_id)["doc_number"]
    seq = [int(re.search(r"〕(\d+)号", n)[1]) for n in (first, second)]
    assert seq[1] == seq[0] + 1  # the voided number is never handed out again
    auditor = make_client(server, tmp_path, "hexiaoqin")  # 安全审计员 reads the audit log
    log = auditor.transport.request("GET", "/audit", params={
        "action": "document.number_voided"}).json()
    auditor.close()
    assert first in str(log)


def test_instruction_marked_for_supervision_opens_a_task(desks):
    inc_id = at_propose(desks)
    director = desks[CITY_DIRECTOR]
    dept = desks["zhengxiaoyan"].me["department"]["id"]
    director.act(inc_id, "approve", "propose", values={
        "leader": "principal_leader", "lead_department": [dept], "supervise": True})
    mayor = desks[CITY_MAYOR]
    mayor.sync()
    mayor.act(inc_id, "approve", "instruct", opinion="请市府办牵头，十日内办结并报结果。",
              values={"supervise": True, "handling_days": 10})
    (task,) = mayor.store.records.list("supervision_tasks", limit=10)
    assert task["source"]["id"] == inc_id and task["source"]["kind"] == "instruction"
    assert task["content"] == "请市府办牵头，十日内办结并报结果。"
    supervisor = desks["lindongsheng"]
    supervisor.sync()
    assert [t["title"] for t in supervisor.store.records.list("supervision_tasks", limit=10)] == [
        "洪阳镇人民政府关于拨付防汛抢险资金的请示"]


def test_withdraw_while_the_next_person_has_not_acted(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    assert clerk.view(doc_id).can("withdraw")
    clerk.act(doc_id, "withdraw", None, opinion="补充附件后再送。")
    view = clerk.view(doc_id)
    assert view.state == "draft" and view.can("submit") and view.holder_names == ["黄晓梅"]
    clerk.act(doc_id, "submit", "draft")
    director = desks[DIRECTOR]
    director.sync()
    director.act(doc_id, "approve", "review")
    clerk.sync()
    assert not clerk.view(doc_id).can("withdraw")  # the signer has the document now


def test_joint_issue_countersigned_in_parallel_by_both_units(desks):
    liu = desks["liuyang"]  # 市政府办公室
    finance, education = unit_id(liu, "普宁市财政局"), unit_id(liu, "普宁市教育局")
    doc_id, _ = docs.compose(liu.store, me=liu.me, fields={
        "doc_kind": "通知", "title": "关于做好2026年秋季学生资助资金发放工作的通知",
        "main_to": [unit_id(liu, "洪阳镇人民政府")], "body": "各镇人民政府：\n现就有关事项通知如下。",
        "co_issuing_units": [finance, education]})
    liu.act(doc_id, "submit", "draft")
    office = desks["huangjianhua"]
    office.sync()
    office.act(doc_id, "approve", "review", opinion="请财政局、教育局会签。")
    wei, xu = desks["weiguoqiang"], desks["xuwenbin"]  # the two bureaus' principal leaders
    for d in (wei, xu):
        d.sync()
        view = d.view(doc_id)
        assert view.state == "countersign" and sorted(view.holder_names) == ["许文斌", "魏国强"]
    wei.act(doc_id, "approve", "countersign", opinion="财政局同意。")
    xu.sync()
    view = xu.view(doc_id)
    assert view.state == "countersign" and view.holder_names == ["许文斌"]  # still waits for 教育局
    xu.act(doc_id, "approve", "countersign", opinion="教育局同意。")
    deputy = desks["linhuimin"]  # 分管副市长 signs for the 市政府办公室 (unit template)
    deputy.sync()
    view = deputy.view(doc_id)
    assert view.state == "sign_off" and view.holder_names == ["林慧敏"] and view.can("approve")


def test_urge_and_reassign(desks):
    clerk = desks[CLERK]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    clerk.act(doc_id, "urge", "review", opinion="加急件，请尽快核稿。")  # 催办 by the drafter
    director, deputy = desks[DIRECTOR], desks["zhuyanping"]
    director.sync()
    assert not director.view(doc_id).can("urge")  # the holder does not urge himself
    director.act(doc_id, "reassign", "review", to_user=deputy.id, opinion="请朱副镇长代为核稿。")
    deputy.sync()
    view = deputy.view(doc_id)
    assert view.state == "review" and view.holder_names == ["朱艳萍"] and view.can("approve")
    assert [(e.action_label, e.opinion) for e in view.timeline][-2:] == [
        ("催办", "加急件，请尽快核稿。"), ("转办", "请朱副镇长代为核稿。")]
    deputy.act(doc_id, "approve", "review")
    assert deputy.doc(doc_id)["state"] == "sign_off"


def test_an_action_the_server_took_but_not_yet_pulled_keeps_its_place(desks):
    # Between a push's answer and the pull that follows it, the answered event has its server
    # revision but not yet its place (seq): the flow must still count it last, so the window
    # never shows the step as open again (the action bar offered 同意 after 签发).
    clerk, director, mayor = desks[CLERK], desks[DIRECTOR], desks[MAYOR]
    doc_id, _ = docs.compose(clerk.store, me=clerk.me, fields=request_fields(clerk))
    clerk.act(doc_id, "submit", "draft")
    director.sync()
    director.act(doc_id, "approve", "review")
    mayor.sync()
    docs.act(mayor.store, me=mayor.me, doc_id=doc_id, action="approve", step="sign_off",
             opinion="同意。")
    report = SyncReport()
    mayor.client.engine.push(report)  # answered; the pull has not run
    assert report.applied == 1
    view = mayor.view(doc_id)
    assert view.state == "recheck" and not view.can("approve")
    assert (view.timeline[-1].actor_name, view.timeline[-1].step) == ("梁海涛", "sign_off")
    assert view.timeline[-1].outcome == "pending"  # the server's copy is not pulled yet
    mayor.sync()
    view = mayor.view(doc_id)
    assert view.state == "recheck" and view.timeline[-1].outcome == "accepted"
