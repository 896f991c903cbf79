"""The monthly 督办通报: tasks as of a month's end, grouped by lead unit into
已办结 / 正在办理 / 逾期未办结, with counts (pure; docs_exchange lays it out)."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oa_client.domain.supervision import parse_day
from oa_client.errors import ValidationError
from oa_client.i18n import _

GROUPS = ("done", "in_progress", "overdue")
GROUP_LABELS = {"done": "已办结", "in_progress": "正在办理", "overdue": "逾期未办结"}
_GROUP_IDS = (_("已办结"), _("正在办理"), _("逾期未办结"))


@dataclass(frozen=True)
class BulletinItem:
    """One task's line in the bulletin."""

    task_id: str
    title: str
    deadline: str
    group: str
    note: str = ""


@dataclass
class UnitSection:
    """One lead unit's tasks in the bulletin."""

    unit_id: str
    unit_name: str
    items: list[BulletinItem] = field(default_factory=list)

    def count(self, group: str) -> int:
        """How many of the unit's tasks are in a group."""
        return sum(1 for i in self.items if i.group == group)


@dataclass
class Bulletin:
    """The month's bulletin: sections by unit and the totals."""

    year: int
    month: int
    as_of: date
    sections: list[UnitSection]

    def totals(self) -> dict[str, int]:
        """Tasks per group over all units."""
        return {g: sum(s.count(g) for s in self.sections) for g in GROUPS}

    @property
    def title(self) -> str:
        """关于…督办事项办理情况的通报."""
        return _("关于{year}年{month}月督办事项办理情况的通报").format(
            year=self.year, month=self.month)


def month_end(year: int, month: int) -> date:
    """The last day of a month (ValidationError for a bad month)."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationError(_("通报月份不正确"), field="month")
    return date(year, month, _calendar.monthrange(year, month)[1])


def _closed_on(task: Mapping[str, Any]) -> date | None:
    if task.get("state") != "closed" or not task.get("closed_at"):
        return None
    return parse_day(task["closed_at"], field_name="closed_at")


def group_of(task: Mapping[str, Any], as_of: date) -> str | None:
    """Which group a task falls in as of a date (None: not started yet)."""
    started = task.get("started_on") or task.get("created_at")
    if started and parse_day(started, field_name="created_at") > as_of:
        return None
    closed = _closed_on(task)
    if closed is not None and closed <= as_of:
        return "done"
    if parse_day(task.get("deadline"), field_name="deadline") < as_of:
        return "overdue"
    return "in_progress"


def build_bulletin(tasks: Iterable[Mapping[str, Any]], *, year: int, month: int,
                   unit_names: Mapping[str, str], today: date | None = None) -> Bulletin:
    """Group the tasks by lead unit as of the month's end (or today, if earlier)."""
    end = month_end(year, month)
    as_of = min(end, today) if today else end
    by_unit: dict[str, UnitSection] = {}
    for t in tasks:
        group = group_of(t, as_of)
        if group is None:
            continue
        unit = str(t.get("lead_unit_id") or "")
        section = by_unit.setdefault(unit, UnitSection(unit, unit_names.get(unit, unit)))
        note = str(t.get("result") or "") if group == "done" else str(t.get("last_progress") or "")
        section.items.append(BulletinItem(str(t.get("id")), str(t.get("title") or ""),
                                          str(t.get("deadline") or ""), group, note))
    sections = sorted(by_unit.values(), key=lambda s: s.unit_name)
    for s in sections:
        s.items.sort(key=lambda i: (GROUPS.index(i.group), i.deadline, i.title))
    return Bulletin(year, month, as_of, sections)


def bulletin_paragraphs(b: Bulletin) -> list[str]:
    """The bulletin's body text: totals, then each unit's tasks by group."""
    t = b.totals()
    out = [_("截至{date}，全市共有督办事项{n}项，其中已办结{done}项，正在办理{doing}项，"
             "逾期未办结{late}项。现将各单位办理情况通报如下：").format(
        date=f"{b.as_of.year}年{b.as_of.month}月{b.as_of.day}日", n=sum(t.values()),
        done=t["done"], doing=t["in_progress"], late=t["overdue"])]
    for i, s in enumerate(b.sections, 1):
        out.append(_("{n}、{unit}（已办结{done}项，正在办理{doing}项，逾期{late}项）").format(
            n=_chinese_number(i), unit=s.unit_name, done=s.count("done"),
            doing=s.count("in_progress"), late=s.count("overdue")))
        for g in GROUPS:
            for item in (x for x in s.items if x.group == g):
                line = _("【{group}】{title}（期限{deadline}）").format(
                    group=_(GROUP_LABELS[g]), title=item.title, deadline=item.deadline)
                if item.note:
                    line += _("：{note}").format(note=item.note)
                out.append(line)
    if t["overdue"]:
        out.append(_("请逾期未办结事项的牵头单位抓紧办理，于5个工作日内向督查室书面说明原因。"))
    return out


def bulletin_tables(b: Bulletin) -> list[str]:
    """The bulletin's tables as body lines (a 公文 body is text): the counts per unit, then
    the overdue tasks, columns set apart by full-width spaces."""
    t = b.totals()
    gap = "\u3000"
    out = [_("表1　各单位督办事项办理情况统计"),
           gap.join((_("序号"), _("牵头单位"), _("已办结"), _("正在办理"), _("逾期未办结"), _("合计")))]
    for i, s in enumerate(b.sections, 1):
        out.append(gap.join((str(i), s.unit_name, str(s.count("done")), str(s.count("in_progress")),
                             str(s.count("overdue")), str(len(s.items)))))
    out.append(gap.join(("", _("合计"), str(t["done"]), str(t["in_progress"]), str(t["overdue"]),
                         str(sum(t.values())))))
    late = [(s.unit_name, i) for s in b.sections for i in s.items if i.group == "overdue"]
    if late:
        out.append(_("表2　逾期未办结事项"))
        out.append(gap.join((_("序号"), _("督办事项"), _("牵头单位"), _("办结期限"))))
        out += [gap.join((str(n), item.title, unit, item.deadline))
                for n, (unit, item) in enumerate(late, 1)]
    return out


def bulletin_body(b: Bulletin) -> str:
    """The whole body of the 通报 公文: the text, then its tables."""
    return "\n".join([*bulletin_paragraphs(b), *bulletin_tables(b)])


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
