"""收文 routing on the client (拟办 / 批办): the choices offered from the org chart, the flow
values made from them, and bad input refused with the field named and nothing queued."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oa_client.errors import ValidationError
from oa_client.services.documents_routing import check_values, routing_options, routing_values
from tests.support.store_helpers import open_profile

OFFICE, CITY, TOWN = "unit-office", "unit-city", "unit-town"
SECRETARY, ADMIN, OTHER = "dept-sec", "dept-admin", "dept-town"
TODAY = date(2026, 11, 23)
PROPOSE = ("leader", "lead_department", "assist_departments", "readers", "handling_days",
           "supervise")
INSTRUCT = PROPOSE[1:]


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.records.write("units", [
        {"id": OFFICE, "rev": 0, "name": "普宁市人民政府办公室", "doc_code": "普府办",
         "departments": [{"id": SECRETARY, "name": "秘书科"}, {"id": ADMIN, "name": "行政科"}]},
        {"id": CITY, "rev": 0, "name": "普宁市人民政府", "doc_code": "普府", "departments": []},
        {"id": TOWN, "rev": 0, "name": "洪阳镇人民政府", "doc_code": "洪府",
         "departments": [{"id": OTHER, "name": "党政办"}]}])
    s.records.write("users", [
        {"id": "u-mayor", "rev": 0, "unit_id": CITY, "name": "陈志强", "roles": ["principal_leader"]},
        {"id": "u-deputy", "rev": 0, "unit_id": CITY, "name": "林慧敏", "roles": ["deputy_leader"]},
        {"id": "u-chief", "rev": 0, "unit_id": OFFICE, "name": "郑晓燕", "department_id": SECRETARY,
         "department": "秘书科", "position": "科长", "roles": ["section_chief"]},
        {"id": "u-staff", "rev": 0, "unit_id": OFFICE, "name": "谢芳", "department_id": ADMIN,
         "department": "行政科", "roles": []},
        {"id": "u-town", "rev": 0, "unit_id": TOWN, "name": "黄晓梅", "department_id": OTHER,
         "roles": ["section_chief"]}])
    yield s
    s.close()


def _doc(**extra):
    return {"id": "inc-1", "direction": "incoming", "unit_id": OFFICE, "recipient_unit_id": CITY,
            "title": "关于拨付防汛抢险资金的请示", **extra}


def test_options_come_from_the_org_chart_with_the_proposal_as_defaults(store):
    opts = routing_options(store, _doc(leader="deputy_leader", lead_department=[SECRETARY],
                                       reader_ids=["u-staff"], handling_days=5), today=TODAY)
    assert opts.leaders == [("principal_leader", "主要领导（陈志强）"),
                            ("deputy_leader", "分管领导（林慧敏）")]
    assert [(d.name, d.chiefs) for d in opts.departments] == [("秘书科", ("郑晓燕",)),
                                                              ("行政科", ())]
    assert {p.name for p in opts.people} == {"陈志强", "林慧敏", "郑晓燕", "谢芳"}  # not 洪阳镇
    assert opts.defaults["leader"] == "deputy_leader"
    assert opts.defaults["lead_department"] == SECRETARY
    assert opts.defaults["readers"] == ["u-staff"]
    assert opts.defaults["deadline"] == TODAY + timedelta(days=5)


def test_values_of_a_proposal_and_of_an_instruction(store):
    opts = routing_options(store, _doc(), today=TODAY)
    assert routing_values(opts, step="propose", writable=PROPOSE, leader="principal_leader",
                          lead_department=SECRETARY, assist_departments=[], readers=["u-staff"],
                          deadline=TODAY + timedelta(days=7)) == {
        "leader": "principal_leader", "lead_department": [SECRETARY], "assist_departments": [],
        "readers": ["u-staff"],
        "handling_days": 7, "supervise": False}
    values = routing_values(opts, step="instruct", writable=INSTRUCT, leader="principal_leader",
                            lead_department=SECRETARY, readers=[], deadline=TODAY + timedelta(3),
                            supervise=True, supervise_deadline=date(2026, 12, 31))
    assert "leader" not in values  # not the 批办 step's to write
    assert values["supervise"] == {"deadline": "2026-12-31"} and values["handling_days"] == 3


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"lead_department": OTHER}, "lead_department", "不属于本单位"),
    ({"lead_department": ADMIN}, "lead_department", "没有科长"),
    ({"lead_department": ""}, "lead_department", "请选择主办科室"),
    ({"readers": ["u-ghost"]}, "readers", "传阅人不在本单位通讯录"),
    ({"deadline": TODAY - timedelta(days=1)}, "handling_days", "办理期限应晚于今天"),
    ({"deadline": TODAY}, "handling_days", "办理期限应晚于今天"),
    ({"supervise": True, "supervise_deadline": date(2026, 1, 1)}, "supervise", "督办期限应晚于今天"),
])
def test_bad_choices_are_refused_naming_the_field(store, kwargs, field, words):
    opts = routing_options(store, _doc(), today=TODAY)
    chosen = {"lead_department": SECRETARY, "readers": [], "deadline": TODAY + timedelta(5),
              **kwargs}
    with pytest.raises(ValidationError) as err:
        routing_values(opts, step="instruct", writable=INSTRUCT, **chosen)
    assert err.value.field == field and words in err.value.message


def test_act_refuses_bad_values_and_queues_nothing(store):
    doc = _doc()
    with pytest.raises(ValidationError) as err:
        check_values(store, doc, {"lead_department": [OTHER]})
    assert err.value.field == "lead_department"
    with pytest.raises(ValidationError) as err:
        check_values(store, doc, {"readers": ["u-ghost"]})
    assert err.value.field == "readers"
    with pytest.raises(ValidationError) as err:
        check_values(store, doc, {"handling_days": 0})
    assert err.value.field == "handling_days"
    check_values(store, doc, {"lead_department": [SECRETARY], "readers": ["u-chief"],
                              "handling_days": 5})


def test_countersign_at_review_takes_departments_of_the_unit_that_have_a_chief(store):
    from oa_client.services.documents_routing import unit_departments

    doc = {"id": "out-1", "direction": "outgoing", "unit_id": OFFICE, "title": "关于防汛值班的通知",
           "countersign_departments": [SECRETARY]}
    opts = routing_options(store, doc, today=TODAY)
    assert opts.defaults["countersign_departments"] == [SECRETARY]  # the draft's choice
    assert [(d.name, d.chiefs) for d in unit_departments(store, OFFICE)] == [
        ("秘书科", ("郑晓燕",)), ("行政科", ())]
    review = ("countersign_departments", "co_issuing_units", "urgency")
    assert routing_values(opts, step="review", writable=review,
                          countersign_departments=[SECRETARY, SECRETARY]) == {
        "countersign_departments": [SECRETARY]}
    assert routing_values(opts, step="review", writable=review, countersign_departments=[]) == {
        "countersign_departments": []}  # none: the 会签 step is skipped
    with pytest.raises(ValidationError) as nobody:
        routing_values(opts, step="review", writable=review, countersign_departments=[ADMIN])
    assert (nobody.value.field, str(nobody.value)) == (
        "countersign_departments", "“行政科”没有科长，无人会签，请选择其他科室")
    with pytest.raises(ValidationError) as foreign:  # 洪阳镇's department, not this unit's
        routing_values(opts, step="review", writable=review, countersign_departments=[OTHER])
    assert foreign.value.field == "countersign_departments"
