"""The 收文 routing panel without a server: it shows only what the step may write, starts from
the document's values, keeps the user's choices when the same step is shown again (a sync),
refuses bad choices naming the field, and hides for a step that routes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oa_client.errors import ValidationError
from oa_client.services.documents_routing import (
    Department,
    Person,
    RoutingOptions,
    routing_defaults,
)
from ui.documents.routing import RoutingPanel
from ui.qt import Qt

TODAY = date(2026, 11, 23)
PROPOSE = ("leader", "lead_department", "assist_departments", "readers", "handling_days",
           "supervise")


def _options(**doc) -> RoutingOptions:
    return RoutingOptions(
        leaders=[("principal_leader", "主要领导（陈志强）"), ("deputy_leader", "分管领导（林慧敏）")],
        departments=[Department("d-sec", "秘书科", "普宁市人民政府办公室", ("郑晓燕",)),
                     Department("d-adm", "行政科", "普宁市人民政府办公室", ())],
        people=[Person("u-1", "谢芳", "普宁市人民政府办公室", "行政科", "科员"),
                Person("u-2", "刘洋", "普宁市人民政府办公室", "秘书科", "科员")],
        defaults=routing_defaults(doc, today=TODAY), today=TODAY)


def test_panel_shows_the_steps_fields_and_keeps_choices_across_a_sync(qtbot):
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_for(_options(), step="register", writable=("urgency", "handling_days"))
    panel.show()
    assert panel.deadline.isVisible() and not panel.lead.isVisible()
    assert not panel.readers_box.isVisible()
    assert panel.deadline.date().toPython() == TODAY + timedelta(days=10)  # the default

    panel.show_for(_options(lead_department=["d-sec"], handling_days=5), step="propose",
                   writable=PROPOSE)
    assert panel.lead.currentText() == "秘书科（科长：郑晓燕）"  # the document's value
    assert panel.leader.isVisible() and panel.readers_box.isVisible()
    assert panel.deadline.date().toPython() == TODAY + timedelta(days=5)
    panel.leader.setCurrentIndex(1)
    panel.readers.item(0).setCheckState(Qt.CheckState.Checked)
    panel.show_for(_options(lead_department=["d-sec"]), step="propose", writable=PROPOSE)
    assert panel.leader.currentData() == "deputy_leader"  # kept
    assert panel.values() == {"leader": "deputy_leader", "lead_department": ["d-sec"],
                              "assist_departments": [], "readers": ["u-1"],
                              "handling_days": 5, "supervise": False}

    panel.lead.setCurrentIndex(panel.lead.findData("d-adm"))
    with pytest.raises(ValidationError) as err:
        panel.values()
    assert err.value.field == "lead_department" and "没有科长" in err.value.message
    panel.mark(err.value.field)
    assert "border" in panel.lead.styleSheet() and not panel.deadline.styleSheet()

    panel.show_for(_options(), step="handle", writable=())
    assert panel.isHidden() and panel.values() == {}


def test_panel_at_review_settles_the_countersign_and_names_a_department_it_does_not_know(qtbot):
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    review = ("countersign_departments", "co_issuing_units", "urgency")
    panel.show_for(_options(countersign_departments=["d-sec", "d-gone"]), step="review",
                   writable=review)
    panel.show()
    assert panel.title() == "核稿：确定会签科室" and panel.countersign_box.isVisible()
    assert not panel.lead.isVisible() and not panel.readers_box.isVisible()
    lst = panel.countersign
    assert [lst.item(i).text() for i in range(lst.count())] == [
        "秘书科（科长：郑晓燕）", "行政科（无科长）", "d-gone（本单位没有此科室）"]
    with pytest.raises(ValidationError) as err:  # the record's value is kept until unticked
        panel.values()
    assert err.value.field == "countersign_departments" and "d-gone" in err.value.message
    panel.mark(err.value.field)
    assert "border" in lst.styleSheet()
    lst.item(2).setCheckState(Qt.CheckState.Unchecked)
    assert panel.values() == {"countersign_departments": ["d-sec"]}
    lst.item(1).setCheckState(Qt.CheckState.Checked)
    with pytest.raises(ValidationError) as err:
        panel.values()
    assert err.value.message == "“行政科”没有科长，无人会签，请选择其他科室"
