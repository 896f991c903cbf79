"""Issuing reports (下发): a new template to subordinate units, the next period of one already
issued (the same record — the same family — so last period's figures pre-fill the new one),
and a revision of the template while drafts are open (the server keeps the old version so
those drafts migrate item by item).

Every issue is checked against the local dictionary first: the server refuses a template
whose items are not exactly the dictionary's, and a refusal found here costs no round trip.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from oa_client.domain.ids import new_id
from oa_client.domain.reports import ReportTemplate, misspelt_period, next_period
from oa_client.domain.reports_dictionary import mismatch_text
from oa_client.domain.reports_records import template_of
from oa_client.errors import NotFoundError, ValidationError
from oa_client.i18n import _
from oa_client.services import records as svc
from oa_client.services.reports_dictionary import check_template
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

__all__ = ["NextIssue", "issue_next", "issue_template", "issued_by", "next_issue", "period_problem",
           "revise_template"]

SCAN = 5000
_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def issued_by(store: LocalStore, unit_id: str) -> list[dict[str, Any]]:
    """Templates this unit issued (newest first)."""
    return store.records.list("report_templates", limit=SCAN, where={"unit_id": unit_id})


def _issues(record: dict[str, Any], period: str, deadline: dt.date) -> list[dict[str, str]]:
    """The record's issues with this one added (as the server will keep them)."""
    issues = [i for i in record.get("issues") or [] if i.get("period") != period]
    return [*issues, {"period": period, "deadline": deadline.isoformat()}]


def period_problem(kind: str, period: str, *, proposed: str | None = None) -> str | None:
    """Why `period` is not written as this kind's periods are (every desk counts the periods
    before and after it), with an example — `proposed` when that one is right; or None."""
    example = misspelt_period(kind, period)
    if example is None:
        return None
    if proposed is not None and misspelt_period(kind, proposed) is None:
        example = proposed
    return _("所属期“{period}”的写法不对，应写作 {example} 这样的格式").format(period=period, example=example)


def issue_template(store: LocalStore, *, template: ReportTemplate, period: str, deadline: dt.date,
                   recipients: list[str], record_id: str | None = None, unit_id: str | None = None) -> Changes:
    """Issue (or revise, or issue for the next period) a template to subordinate units."""
    if not recipients:
        raise ValidationError(_("请至少选择一个填报单位"), field="recipients")
    if not period:
        raise ValidationError(_("请填写报表所属期"), field="period")
    if (wrong := period_problem(template.period, period)) is not None:
        raise ValidationError(wrong, field="period")
    mismatches = check_template(store, template, record_id=record_id)
    if mismatches:
        raise ValidationError(mismatch_text(mismatches), field="data_items", problems=[m.message for m in mismatches])
    record: dict[str, Any] = {"id": record_id or new_id()}
    try:
        record = {**store.records.get("report_templates", record["id"]), **record}
    except NotFoundError:
        pass
    record.update(definition=template.model_dump(mode="json", exclude={"version"}), name=template.name,
                  period=period, deadline=deadline.isoformat(), recipients=list(recipients),
                  audience_units=list(recipients), issues=_issues(record, period, deadline))
    if unit_id and not record.get("unit_id"):
        record["unit_id"] = unit_id  # listed as ours at once, before the server echoes it
    return svc.save(store, "report_templates", record)


@dataclass(frozen=True)
class NextIssue:
    """What issuing the next period of a family would be: its period, a deadline, the same units."""

    record_id: str
    template: ReportTemplate
    period: str
    deadline: dt.date
    recipients: list[str]
    last_period: str


def _shift(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_issue(record: dict[str, Any]) -> NextIssue:
    """The next period of an issued template: the period after the last one, the deadline as far
    into it as the last deadline was into its period, the same recipient units."""
    template = template_of(record)
    issues = sorted(record.get("issues") or [{"period": record.get("period"), "deadline": record.get("deadline")}],
                    key=lambda i: str(i.get("period")))
    last = issues[-1]
    period = next_period(template.period, str(last.get("period")))
    if period is None:
        raise ValidationError(_("一次性报表没有下一期，请设计一份新报表"), field="period")
    try:
        deadline = _shift(dt.date.fromisoformat(str(last.get("deadline"))), _MONTHS[template.period])
    except (TypeError, ValueError):
        deadline = dt.date.today() + dt.timedelta(days=10)
    return NextIssue(record["id"], template, period, deadline, list(record.get("recipients") or []),
                     str(last.get("period")))


def issue_next(store: LocalStore, *, record_id: str, period: str, deadline: dt.date,
               recipients: list[str] | None = None) -> Changes:
    """下发下一期: the same template (same record) for a new period; last period's values pre-fill it."""
    record = store.records.get("report_templates", record_id)
    issued = {str(i.get("period")) for i in record.get("issues") or []} | {str(record.get("period"))}
    if period in issued:
        raise ValidationError(_("“{period}”期已经下发过了").format(period=period), field="period")
    return issue_template(store, template=template_of(record), period=period, deadline=deadline,
                          recipients=list(recipients if recipients is not None else record.get("recipients") or []),
                          record_id=record_id)


def revise_template(store: LocalStore, *, record_id: str, template: ReportTemplate) -> Changes:
    """修订: a new version of an issued template for the current period; open drafts migrate by item."""
    record = store.records.get("report_templates", record_id)
    deadline = dt.date.fromisoformat(str(record.get("deadline")))
    return issue_template(store, template=template, period=str(record.get("period")), deadline=deadline,
                          recipients=list(record.get("recipients") or []), record_id=record_id)
