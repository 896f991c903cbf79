"""HTML for the task detail (facts, milestones, progress timeline) and the 通报 preview.
No Qt: plain functions the page feeds to its text browsers."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from oa_client.domain.supervision import (
    REPORT_LABELS,
    SOURCE_LABELS,
    action_label,
    milestone_light,
    state_label,
    task_light,
)
from oa_client.domain.supervision_report import Bulletin, bulletin_paragraphs
from oa_client.domain.workdays import DEFAULT_WARN_DAYS, light_label
from oa_client.i18n import _
from oa_client.services.supervision_views import TimelineEntry

COLOURS = {"green": "#1e8e3e", "yellow": "#d49b00", "red": "#c5221f"}
STATUS = {"pending": "待同步", "superseded": "未受理（已被他人抢先处理）", "applied": ""}
_STATUS_IDS = (_("待同步"), _("未受理（已被他人抢先处理）"))


def _e(value: Any) -> str:
    return html.escape(str(value or ""))


def local_time(stamp: str) -> str:
    """An ISO time stamp in this computer's time zone, to the minute."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:16].replace("T", " ")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def milestones_html(task: Mapping[str, Any], *, today: date, warn_days: int) -> str:
    """Each milestone with its date and its own light (reached ones say when)."""
    out = [f"<p><b>{_e(_('节点'))}</b></p>"]
    for m in task.get("milestones") or []:
        light = milestone_light(m, today=today, warn_days=warn_days)
        if light is None:
            lamp, colour = _("已完成（{date}）").format(date=m.get("done_on") or ""), "#8a8a8a"
        else:
            lamp, colour = light_label(light), COLOURS[light.value]
        out.append(f"<div><span style='color:{colour}'>●</span> {_e(m.get('due'))}　"
                   f"{_e(m.get('title'))}　<b style='color:{colour}'>{_e(lamp)}</b></div>")
    return "".join(out)


def detail_html(task: Mapping[str, Any], timeline: Sequence[TimelineEntry],
                names: Mapping[str, str], *, today: date, warn_days: int | None = None) -> str:
    """The selected task: light, facts, the instruction, milestones and its timeline (lights
    with the server's warning days)."""
    warn = DEFAULT_WARN_DAYS if warn_days is None else warn_days
    light = task_light(task, today=today, warn_days=warn)
    colour = COLOURS.get(light.value if light else "", "#8a8a8a")
    lamp = light_label(light) if light else state_label("closed")
    src = task.get("source") or {}
    rows = [
        (_("牵头单位"), names.get(task.get("lead_unit_id", ""), task.get("lead_unit_id"))),
        (_("配合单位"), "、".join(names.get(u, u) for u in task.get("assist_unit_ids") or [])
         or "—"),
        (_("办结期限"), task.get("deadline")),
        (_("批示领导"), names.get(task.get("ordered_by") or "", "") or "—"),
        (_("责任人"), names.get(task.get("owner_id") or "", "") or "—"),
        (_("重要程度"), _(task.get("importance") or "一般")),
        (_("报送频次"), _(REPORT_LABELS.get(task.get("report_every"), "不定期"))),
        (_("来源"), _(SOURCE_LABELS.get(src.get("kind", "manual"), "督查室立项"))
         + (f"：{src.get('doc_number') or ''}{src.get('title') or ''}" if src.get("title") else "")),
        (_("状态"), state_label(task.get("state") or "open")),
    ]
    out = [f"<h3><span style='color:{colour}'>●</span> {_e(task.get('title'))}</h3>",
           f"<p><b style='color:{colour}'>{_e(lamp)}</b>"
           + (f"　<span style='color:#b35900'>{_e(task.get('deadline_note'))}</span>"
              if task.get("deadline_note") else "") + "</p>",
           "<table cellspacing=4>"]
    out += [f"<tr><td style='color:#555'>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows]
    out.append("</table>")
    out.append(f"<p><b>{_e(_('督办内容'))}</b><br>{_e(task.get('content'))}</p>")
    if task.get("result"):
        out.append(f"<p><b>{_e(_('办理结果'))}</b><br>{_e(task.get('result'))}</p>")
    if task.get("milestones"):
        out.append(milestones_html(task, today=today, warn_days=warn))
    out.append(f"<p><b>{_e(_('办理过程'))}</b></p>")
    if not timeline:
        out.append(f"<p style='color:#777'>{_e(_('尚无进展反馈'))}</p>")
    out.append("<table cellspacing=3 width='100%'>")
    for e in timeline:
        what = action_label(e.kind)
        if e.kind == "progress":
            what = _("进展反馈") if e.percent is None else _("进展反馈（完成{n}%）").format(n=e.percent)
        colour = "#c5221f" if e.kind == "chase" else ("#777" if e.status != "applied" else "#000")
        note = STATUS.get(e.status, "")
        files = "".join(f"<br>📎 <a href='att:{_e(i)}'>{_e(f)}</a>"
                        for f, i in zip(e.attachments, e.attachment_ids, strict=False))
        out.append(
            f"<tr><td style='color:#555' width=130>{_e(local_time(e.at))}</td>"
            f"<td width=260>{_e(names.get(e.unit_id, ''))} {_e(names.get(e.who, ''))}</td>"
            f"<td style='color:{colour}'><b>{_e(what)}</b>　{_e(e.text)}"
            + (f" <i>（{_e(_(note))}）</i>" if note else "") + files + "</td></tr>")
    out.append("</table>")
    return "".join(out)


def bulletin_html(b: Bulletin, issuer: str) -> str:
    """A reading preview of the 通报 (the PDF is the official copy)."""
    body = "".join(f"<p style='text-indent:2em'>{_e(p)}</p>" for p in bulletin_paragraphs(b))
    return (f"<h2 style='color:#c00000;text-align:center'>{_e(issuer)}</h2><hr>"
            f"<h3 style='text-align:center'>{_e(b.title)}</h3>"
            f"<p>{_e(_('各有关单位：'))}</p>{body}")
