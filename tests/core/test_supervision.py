"""Supervision rules and offline task creation: deadlines, lights, report schedules."""

from __future__ import annotations

from datetime import date

import pytest

from oa_client.domain.supervision import (
    DeadlineWarning,
    count_lights,
    missing_reports,
    settle_deadline,
    task_light,
)
from oa_client.domain.workdays import Light
from oa_client.errors import ValidationError
from oa_client.services import supervision as sup
from tests.support.store_helpers import open_profile

ME = {"id": "u-clerk", "unit": {"id": "unit-office", "name": "办公室"}}


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    yield s
    s.close()


def test_create_task_offline_with_its_audience_and_outbox(store):
    tid, changes = sup.create_task(
        store, me=ME, title="落实防洪堤加固", content="请抓紧推进。", lead_unit_id="unit-a",
        assist_unit_ids=["unit-b"], deadline="2026-06-30", ordered_by="u-mayor",
        source={"kind": "instruction", "collection": "documents", "id": "d1", "text": "请办"},
        milestones=[{"title": "完成设计", "due": "2026-05-29"}], report_every="weekly",
        today=date(2026, 5, 6))
    assert changes.queued_ops == 1 and tid in changes.ids
    task = store.records.get("supervision_tasks", tid)
    assert task["state"] == "open" and task["deadline"] == "2026-06-30"
    assert task["audience_units"] == ["unit-a", "unit-b"]
    assert task["audience_roles"] == ["supervisor"] and task["audience_users"] == ["u-mayor"]
    assert task["source"]["kind"] == "instruction"


@pytest.mark.parametrize(("field", "kwargs"), [
    ("title", {"title": " "}),
    ("content", {"content": ""}),
    ("lead_unit_id", {"lead_unit_id": ""}),
    ("assist_unit_ids", {"assist_unit_ids": ["unit-a"]}),
    ("deadline", {"deadline": "2026-13-01"}),
    ("deadline", {"deadline": "2026-05-01"}),  # before the start
    ("importance", {"importance": "特别"}),
    ("report_every", {"report_every": "daily"}),
    ("source", {"source": {"kind": "rumour"}}),
    ("milestones", {"milestones": [{"title": "晚了", "due": "2026-07-30"}]}),
])
def test_each_bad_input_names_its_field(store, field, kwargs):
    args = dict(me=ME, title="事项", content="内容", lead_unit_id="unit-a", assist_unit_ids=[],
                deadline="2026-06-30", today=date(2026, 5, 6))
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        sup.create_task(store, **args)
    assert err.value.field == field and err.value.message
    assert store.records.count("supervision_tasks") == 0


def test_a_holiday_deadline_is_warned_then_adjusted_on_request(store):
    with pytest.raises(DeadlineWarning) as err:
        settle_deadline(date(2026, 10, 2), start=date(2026, 9, 1), adjust=None)
    assert err.value.suggestion == date(2026, 10, 8) and "国庆节" in err.value.message
    assert settle_deadline(date(2026, 10, 2), start=date(2026, 9, 1), adjust=True) == (
        date(2026, 10, 8), None)
    kept, note = settle_deadline(date(2026, 10, 2), start=date(2026, 9, 1), adjust=False)
    assert kept == date(2026, 10, 2) and "国庆节" in note
    tid, _c = sup.create_task(store, me=ME, title="事项", content="内容", lead_unit_id="u",
                              deadline="2026-10-03", adjust_deadline=True,
                              today=date(2026, 9, 1))
    assert store.records.get("supervision_tasks", tid)["deadline"] == "2026-10-08"


def test_lights_follow_working_days_across_the_national_day_week():
    task = {"deadline": "2026-10-09", "state": "open"}
    # 9-28 (Mon): 9-29, 9-30, 10-8, 10-9 are the only workdays left → 4 > 3: green
    assert task_light(task, today=date(2026, 9, 28)) == Light.GREEN
    assert task_light(task, today=date(2026, 9, 29)) == Light.YELLOW  # 3 workdays left
    assert task_light(task, today=date(2026, 10, 5)) == Light.YELLOW
    assert task_light(task, today=date(2026, 10, 10)) == Light.RED
    assert task_light({**task, "warn_days": 1}, today=date(2026, 9, 30)) == Light.GREEN
    assert task_light({**task, "state": "closed"}, today=date(2026, 10, 10)) is None
    counts = count_lights([task, {**task, "state": "closed"}], today=date(2026, 10, 10))
    assert counts == {"green": 0, "yellow": 0, "red": 1, "closed": 1}


def test_missing_reports_per_unit():
    task = {"lead_unit_id": "a", "assist_unit_ids": ["b"], "report_every": "weekly",
            "started_on": "2026-09-01", "last_reports": {"a": "2026-09-08"}, "state": "open"}
    assert missing_reports(task, today=date(2026, 9, 8)) == {}
    assert missing_reports(task, today=date(2026, 9, 9)) == {"b": date(2026, 9, 8)}
    assert set(missing_reports(task, today=date(2026, 9, 16))) == {"a", "b"}


def test_the_bulletin_groups_tasks_as_of_the_month_end():
    from oa_client.domain.supervision_report import build_bulletin, bulletin_paragraphs

    tasks = [
        {"id": "a", "title": "甲", "lead_unit_id": "u1", "deadline": "2026-10-20",
         "state": "closed", "closed_at": "2026-10-18T02:00:00+00:00", "started_on": "2026-10-01",
         "result": "已完成"},
        # closed only in November: overdue in the October bulletin
        {"id": "b", "title": "乙", "lead_unit_id": "u1", "deadline": "2026-10-20",
         "state": "closed", "closed_at": "2026-11-03T02:00:00+00:00", "started_on": "2026-10-01"},
        {"id": "c", "title": "丙", "lead_unit_id": "u2", "deadline": "2026-12-01",
         "state": "open", "started_on": "2026-10-01"},
        {"id": "d", "title": "丁", "lead_unit_id": "u2", "deadline": "2026-12-01",
         "state": "open", "started_on": "2026-11-02"},  # not started in October
    ]
    b = build_bulletin(tasks, year=2026, month=10, unit_names={"u1": "甲局", "u2": "乙镇"})
    assert b.totals() == {"done": 1, "in_progress": 1, "overdue": 1}
    assert [s.unit_name for s in b.sections] == ["乙镇", "甲局"]
    text = "\n".join(bulletin_paragraphs(b))
    assert "共有督办事项3项" in text and "【逾期未办结】乙" in text and "：已完成" in text
    with pytest.raises(ValidationError) as err:
        build_bulletin(tasks, year=2026, month=13, unit_names={})
    assert err.value.field == "month"


def test_who_decides_an_extension():
    """The 督查室, or the leader who ordered the task; never someone merely named as its
    orderer without a leader role (the server refuses them too)."""
    from oa_client.domain.supervision import decides_extension

    task = {"ordered_by": "u-mayor"}
    assert decides_extension(task, user_id="u-mayor", roles=["principal_leader"])
    assert decides_extension(task, user_id="u-dcs", roles=["supervisor"])
    assert not decides_extension(task, user_id="u-other", roles=["deputy_leader"])
    assert not decides_extension({"ordered_by": "u-clerk"}, user_id="u-clerk",
                                 roles=["office_director", "clerk"])
    assert not decides_extension({}, user_id=None, roles=[])
