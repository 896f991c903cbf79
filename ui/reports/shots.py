"""Screens of the 报表 module for `python -m ui.screenshots`: the signed-in user's list, a
township clerk's grid (pre-filled cells, a refused paste, a two-laptop conflict), and the
issuing office's review and drill-down aggregate. Demo users act through their own profiles."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from oa_client.i18n import _
from oa_client.services import reports as rep

PASSWORD = "Demo@2026"  # noqa: S105 (the published demo password)


def _empty() -> tuple[str, str]:
    """What the list says when it holds nothing (in the current language)."""
    return _("暂无需要本单位填报的报表。"), _("暂无报表。")


class _Desk:
    """A demo user on a device of their own (profile, org cache, sync)."""

    def __init__(self, server_url: str, root: Path, login: str, name: str) -> None:
        from oa_client.store.keys import MemoryKeyring
        from oa_client.store.local import open_store
        from sync.engine import SyncEngine
        from sync.org import fetch_org
        from sync.transport import MemoryTokenStore, Transport

        self.store = open_store(root / name, keyring_backend=MemoryKeyring(), server_url=server_url, username=login)
        self.transport = Transport(server_url, device_id=self.store.device_id(), tokens=MemoryTokenStore())
        self.transport.login(login, PASSWORD)
        fetch_org(self.store, self.transport)
        self.engine = SyncEngine(self.store, self.transport)
        self.engine.sync()
        me = self.transport.user or {}
        self.session = SimpleNamespace(store=self.store, transport=self.transport, me=me, user_id=str(me.get("id")),
                                       unit_id=str(me["unit"]["id"]), unit_name=me["unit"]["name"], names={})


def _page(kind: type, desk: _Desk, watermark: str) -> Any:
    """Another reports page (`kind`: the shown page's class) signed in as `desk`."""
    page = kind("报表", [])
    page.resize(1360, 820)
    page.set_session(desk.session, watermark)
    page.show()
    return page


def _values(pop: int, male: int, villages: tuple[int, int, int]) -> dict:
    return {"POP_TOTAL": str(pop), "POP_MALE": str(male), "POP_FEMALE": str(pop - male),
            "INSURED": str(int(pop * 0.96)), "INCOME_CUM": "10230.50", "GRAIN_AREA": "12800.5", "FLOOD": "否",
            "LEVEL": "无", "FILLER": "统计员", "PHONE": "13902760000",
            "villages": {k: {"V_HOUSEHOLDS": str(n // 4), "V_POP": str(n), "V_LOW_INCOME": str(n // 300),
                             "V_ROAD_KM": "15.0"} for k, n in zip(("v-east", "v-west", "v-south"), villages, strict=True)}}


def _submit_all(url: str, root: Path, clerk: _Desk) -> None:
    """Every township submits this quarter (洪阳镇 after settling its conflict), for the 汇总 screens."""
    fills = {"yanglan": _values(68213, 34890, (24310, 21008, 22895)),
             "wuhuiling": _values(52110, 26500, (20110, 17000, 15000)),
             "laiqiuxia": _values(47385, 23700, (16385, 15000, 16000))}
    desks = {"yanglan": clerk, "wuhuiling": _Desk(url, root, "wuhuiling", "ls"),
             "laiqiuxia": _Desk(url, root, "laiqiuxia", "mt")}
    for login, desk in desks.items():
        template_id = next(t["id"] for t in rep.templates_for_unit(desk.store, desk.session.unit_id)
                           if "一张表" in t.get("name", ""))
        form = rep.open_form(desk.store, template_id=template_id, unit_id=desk.session.unit_id)
        for c in form.conflicts:
            rep.resolve_conflict(desk.store, form, field=c["field"], row=c.get("row"), column=c.get("column"),
                                 value=c.get("kept"))
        rep.save_draft(desk.store, form, {**form.values, **fills[login]})
        rep.submit_form(desk.store, form)
        desk.engine.sync()


def _design_sample(designer: Any) -> None:
    """Fill the designer as an office would: a group of fields and a village table from the dictionary."""
    designer.name.setText("乡镇人口与低保情况季报")
    designer.code.setText("POP_LOW_Q")
    designer.add_section_button.click()
    designer.node_title.setText("一、人口")
    designer.node_title.editingFinished.emit()
    for code in ("POP_TOTAL", "POP_MALE", "POP_FEMALE"):
        designer.search.setText(code)
        designer.catalogue.setCurrentRow(0)
        designer.add_button.click()
    designer.search.clear()
    designer.add_table_button.click()
    designer.rows.setPlainText("东村\n西村\n南村")
    designer.apply_rows.click()
    for code in ("V_HOUSEHOLDS", "V_LOW_INCOME"):
        designer.search.setText(code)
        designer.catalogue.setCurrentRow(0)
        designer.add_button.click()
    designer.search.clear()
    designer.check()


def drive(page: Any, shot, window, wait) -> None:
    """Render the report screens (each call of `shot` writes one PNG)."""
    wait(lambda: page.session is not None)
    wait(lambda: page.list.count() > 0 or page.hint.text() in _empty())
    if not page.list.count():  # nothing to fill here: show what this unit issued
        page.switch.setCurrentIndex(1)
        wait(lambda: page.list.count() > 0 or page.hint.text() in _empty())
    if page.list.count():
        page.list.setCurrentRow(0)
        wait(lambda: page.stack.currentWidget() is not page.hint)
    shot(window, "07-reports")
    url = window.session.server_url
    root = Path(tempfile.mkdtemp(prefix="oa-report-shots-"))
    clerk = _Desk(url, root, "yanglan", "laptop-a")
    other = _Desk(url, root, "chenyuting", "laptop-b")  # the second 统计员 of 洪阳镇, her own laptop
    fill = _page(type(page), clerk, "杨兰 洪阳镇人民政府")
    wait(lambda: fill.list.count() > 0)
    row = next(i for i, e in enumerate(fill.entries) if "一张表" in e.get("name", ""))
    fill.list.setCurrentRow(row)
    panel = fill.fill
    wait(lambda: panel.form is not None and len(panel.grids) == 2)
    fields = panel.grids[0]
    fields.setCurrentCell(fields.sheet.rows.index("POP_TOTAL"), 0)
    panel.confirm_button.click()  # one pre-filled value checked (green), the others still blue
    shot(fill, "07a-report-fill-prefilled")
    panel.tabs.setCurrentIndex(1)
    villages = panel.grids[1]
    villages.setCurrentCell(0, 0)
    villages.paste_text("6120\t24310\t86\n5230\t二万一千\t64\n5904\t22895\t71\n")
    shot(fill, "07b-report-paste-refused")
    # two clerks change the same cell offline: both values kept, shown as a conflict naming the other
    panel.tabs.setCurrentIndex(0)
    form_b = rep.open_form(other.store, template_id=panel.form.record["id"], unit_id=other.session.unit_id)
    rep.save_draft(other.store, form_b, {**form_b.values, "PHONE": "13902768888"})
    rep.share_draft(other.store, form_b)
    other.engine.sync()
    fields = panel.grids[0]
    fields.item(fields.sheet.rows.index("PHONE"), 0).setText("13902769999")
    rep.share_draft(clerk.store, panel.form)
    clerk.engine.sync()
    fill.refresh()
    panel.open(clerk.session, panel.form.record["id"], panel.form.period)
    wait(lambda: panel.form is not None and bool(panel.form.conflicts))
    shot(fill, "07c-report-two-laptops-conflict")
    fill.close()
    _submit_all(url, root, clerk)
    office = _Desk(url, root, "lixiaolong", "office")
    review = _page(type(page), office, "李晓龙 普宁市政务服务数据管理局")
    review.switch.setCurrentIndex(1)
    wait(lambda: review.list.count() > 0)
    review.list.setCurrentRow(0)
    wait(lambda: bool(review.review.rows) and review.review.summary is not None)
    shot(review, "07d-report-review")
    review.review.tabs.setCurrentIndex(1)
    tree = review.review.tree
    total = tree.topLevelItem(0)
    for i in range(total.childCount()):
        total.child(i).setExpanded(True)
    shot(review, "07e-report-aggregate-drilldown")
    review.review.tabs.setCurrentIndex(2)
    wait(lambda: review.review.trend.view is not None and review.review.trend.item.count() > 0)
    shot(review, "07f-report-trend")
    review.issue_button.click()
    wait(lambda: review.office.issue_dialog is not None and review.office.issue_dialog.isVisible())
    shot(review.office.issue_dialog, "07g-report-issue-next-period")
    review.office.issue_dialog.reject()
    review.design_button.click()
    wait(lambda: review.office.designer is not None and review.office.designer.isVisible())
    _design_sample(review.office.designer)
    shot(review.office.designer, "07h-report-designer")
    review.office.designer.tabs.setCurrentIndex(1)
    shot(review.office.designer, "07i-report-designer-rules")
    review.office.designer.reject()
    review.switch.setCurrentIndex(2)
    wait(lambda: review.list.count() > 0)
    review.list.setCurrentRow(0)
    wait(lambda: review.stack.currentWidget() is review.dictionary)
    shot(review, "07j-report-dictionary")
    review.close()
    for desk in (clerk, other, office):
        desk.store.close()
