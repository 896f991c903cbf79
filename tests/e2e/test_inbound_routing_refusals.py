"""Bad 收文 routing at 拟办 / 批办 through the real server: a 主办 section of another unit, a
reader who does not exist, a section with no 科长 to hold 承办, a 办理期限 of 0 days. The client
refuses each before anything is queued (the field named); a client that sends them anyway is
refused by the server with a clear message, the document stays at its step, and the same
person then routes it properly: 承办 is held by the chosen section's 科长."""

from __future__ import annotations

import pytest

from oa_client.errors import ValidationError
from oa_client.services import documents as docs
from tests.e2e.test_documents_flow import (
    CITY_DIRECTOR,
    at_propose,
)


def _department(desk, unit_name: str, name: str) -> str:
    unit = next(u for u in desk.store.records.list("units", limit=1000) if u["name"] == unit_name)
    return next(d["id"] for d in unit["departments"] if d["name"] == name)


def _outbox(desk) -> int:
    return desk.store.db.query("SELECT count(*) FROM outbox")[0][0]


def test_bad_routing_is_refused_by_client_and_server_and_nothing_is_lost(desks, monkeypatch):
    inc_id = at_propose(desks)
    director = desks[CITY_DIRECTOR]
    town_dept = _department(director, "洪阳镇人民政府", "党政办")
    no_chief = _department(director, "普宁市人民政府办公室", "行政科")
    secretary = _department(director, "普宁市人民政府办公室", "秘书科")
    ghost = "01900000-0000-7000-8000-000000000000"
    bad = [({"lead_department": [town_dept]}, "lead_department", "不属于本单位"),
           ({"lead_department": [no_chief]}, "lead_department", "没有科长"),
           ({"readers": [ghost]}, "readers", "传阅人"),
           ({"handling_days": 0}, "handling_days", "办理期限")]
    queued = _outbox(director)
    for values, field, words in bad:  # the client: refused at once, nothing queued
        with pytest.raises(ValidationError) as err:
            docs.act(director.store, me=director.me, doc_id=inc_id, action="approve",
                     step="propose", values={"leader": "principal_leader", **values})
        assert err.value.field == field and words in err.value.message
        assert _outbox(director) == queued
    assert director.view(inc_id).state == "propose"

    # a client without that check: the server refuses each, the document stays at 拟办
    monkeypatch.setattr(docs, "check_routing", lambda *_a, **_k: None)
    server_words = ["所选科室不属于本单位", "所选科室没有科长", "传阅人中有不存在或已停用的人员",
                    "办理时限应为 1 至 3650 天"]
    for (values, _field, _words), words in zip(bad, server_words, strict=True):
        docs.act(director.store, me=director.me, doc_id=inc_id, action="approve",
                 step="propose", values={"leader": "principal_leader", **values})
        report = director.sync(clean=False)
        assert report.rejected == 1
        messages = " ".join(str(row) for row in director.problems())
        assert words in messages, messages
        assert director.doc(inc_id)["state"] == "propose"
    monkeypatch.undo()

    # routed properly, 承办 is held by 秘书科's 科长 after the 批示
    view = director.view(inc_id)
    assert view.state == "propose" and view.can("approve")
    director.act(inc_id, "approve", "propose", opinion="拟请陈市长阅示，秘书科承办。",
                 values={"leader": "principal_leader", "lead_department": [secretary],
                         "handling_days": 7})
    mayor = desks["chenzhiqiang"]
    mayor.sync()
    mayor.act(inc_id, "approve", "instruct", opinion="同意。")
    chief = desks["zhengxiaoyan"]
    chief.sync()
    rec = chief.doc(inc_id)
    assert rec["state"] == "handle" and rec["holder_ids"] == [chief.id]
    assert rec["lead_department"] == [secretary] and rec["handling_days"] == 7


def test_a_supervision_request_of_the_wrong_shape_is_refused_at_propose(desks, monkeypatch):
    """拟办 proposing a 督办 the leader's desk could not make (days as text, units as a number,
    milestones as a number) or naming the leader as a number: refused by the server naming the
    part, the 收文 stays at 拟办 (the leader's 批办 would have failed making the task)."""
    inc_id = at_propose(desks)
    director = desks[CITY_DIRECTOR]
    monkeypatch.setattr(docs, "check_routing", lambda *_a, **_k: None)  # a client without it
    cases = [({"supervise": {"days": "x"}}, "督办要求填写不正确：days"),
             ({"supervise": {"assist_unit_ids": 5}}, "督办要求填写不正确：assist_unit_ids"),
             ({"supervise": {"milestones": 5}}, "督办要求填写不正确：milestones"),
             ({"supervise": "是"}, "督办要求填写不正确：supervise"),
             ({"leader": 5}, "请选择批示领导")]
    for values, words in cases:
        docs.act(director.store, me=director.me, doc_id=inc_id, action="approve",
                 step="propose", values={"leader": "principal_leader", **values})
        report = director.sync(clean=False)
        assert report.rejected == 1, values
        messages = " ".join(str(row) for row in director.problems())
        assert words in messages, messages
        assert director.doc(inc_id)["state"] == "propose"
