"""A unit's submission of a report and its life: submit (late or not), return with cell comments, accept."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from oa_client.domain.reports import ReportIssue, ReportTemplate
from oa_client.domain.reports_check import validate_submission
from oa_client.errors import ValidationError
from oa_client.i18n import _

__all__ = [
    "SAMPLE_TEMPLATES",
    "CellComment",
    "Submission",
    "accept",
    "load_report_templates",
    "return_for_changes",
    "submit",
]

#: Two shipped templates sharing data items (乡镇基本情况季报, 医保参保情况月报) for demos and tests.
SAMPLE_TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "catalogue" / "report_templates.json"


class CellComment(BaseModel):
    """The issuer's remark on one field or cell when returning a submission (退回修改)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    row: str | None = None
    column: str | None = None
    text: str = Field(min_length=1)


class Submission(BaseModel):
    """One unit's values for one report and period (填报), with its status."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str
    template_version: int = 1
    unit: str
    period: str
    values: dict[str, Any] = Field(default_factory=dict)
    status: Literal["draft", "submitted", "returned", "accepted"] = "draft"
    submitted_on: dt.date | None = None
    late: bool = False
    comments: list[CellComment] = Field(default_factory=list)


def submit(
    submission: Submission,
    *,
    template: ReportTemplate,
    issue: ReportIssue,
    on: dt.date,
    previous: Mapping[str, Any] | None = None,
) -> Submission:
    """Submit when every check passes; after the deadline it is marked late, or refused if the template says so."""
    if submission.status in ("submitted", "accepted"):
        raise ValidationError(_("这份报表已经上报，不能重复上报"), field="status")
    problems = validate_submission(template, submission.values, previous=previous)
    if problems:
        raise ValidationError(
            _("还有{n}处问题，修改后才能上报").format(n=len(problems)), field="values", problems=problems
        )
    late = issue.is_late(on)
    if late and template.late_policy == "refuse":
        raise ValidationError(
            _("已过截止日期（{deadline}），这份报表不再接受上报").format(deadline=issue.deadline.isoformat()),
            field="deadline",
        )
    return submission.model_copy(update={"status": "submitted", "submitted_on": on, "late": late, "comments": []})


def return_for_changes(submission: Submission, *, comments: list[CellComment]) -> Submission:
    """Send a submitted report back with remarks on the cells to fix."""
    if submission.status != "submitted":
        raise ValidationError(_("只有已上报的报表可以退回"), field="status")
    if not comments:
        raise ValidationError(_("退回时请至少写明一处需要修改的地方"), field="comments")
    return submission.model_copy(update={"status": "returned", "comments": list(comments)})


def accept(submission: Submission) -> Submission:
    """Accept a submitted report (审核通过)."""
    if submission.status != "submitted":
        raise ValidationError(_("只有已上报的报表可以审核通过"), field="status")
    return submission.model_copy(update={"status": "accepted"})


def load_report_templates(source: str | bytes | Path) -> list[ReportTemplate]:
    """Report templates from a file (Path) or JSON text: {"templates": [...]}; every bad one is listed."""
    try:
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        data = json.loads(text, parse_float=Decimal)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(_("无法读取报表模板：{error}").format(error=exc), field="templates") from exc
    raw = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ValidationError(_("报表模板文件应是一个含有 templates 列表的 JSON 对象"), field="templates")
    templates, problems = [], []
    for index, item in enumerate(raw):
        try:
            templates.append(ReportTemplate.model_validate(item))
        except PydanticError as exc:
            name = item.get("code") if isinstance(item, dict) else None
            for err in exc.errors():
                text = str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"]
                where = ".".join(str(p) for p in err["loc"])
                problems.append(_("报表“{code}”：{where} {message}").format(code=name or index + 1, where=where, message=text))
    if problems:
        raise ValidationError("\n".join(problems), field="templates", problems=problems)
    return templates
