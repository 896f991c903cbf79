"""The whole of one request as HTML for the detail panes: form values (computed ones too), the
route its answers take, where it is and who holds it, notices, the timeline and the outputs."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from oa_client.domain.catalogue import planned_stages
from oa_client.domain.forms import compute
from oa_client.domain.forms_values import is_empty
from oa_client.i18n import _
from oa_client.services import requests as rq


def esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""))


def local_time(text: Any) -> str:
    """An ISO time from the server as local wall-clock time, to the minute."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text or "")[:16].replace("T", " ")
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")


def show_value(value: Any) -> str:
    if isinstance(value, dict):
        if "start" in value:
            return f"{value.get('start', '')} — {value.get('end', '')}"
        return str(value.get("name") or value.get("id") or "")
    if isinstance(value, list):
        return "、".join(show_value(v) for v in value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def detail_html(store, request_id: str) -> str:
    """Everything about one request: form, route, where it is, notices, timeline, outputs."""
    rec = rq.request_view(store, request_id)
    item = rq.item_for(store, rec)
    entries, now = rq.timeline(store, request_id)
    out = [f"<h3>{esc(rec.get('title') or item.title())}</h3>",
           f"<p>{esc(_('编号'))}：{esc(now['number'] or _('（提交后由服务器编号）'))}　"
           f"{esc(_('状态'))}：<b>{esc(now['state'])}</b></p>"]
    if rec.get("promised_by"):
        out.append(f"<p>{esc(_('承诺办结日期'))}：{esc(rec['promised_by'])}</p>")
    if now["step"] and rec.get("state") in ("submitted", "in_review"):
        due = local_time(now["due_at"])
        late = f"<span style='color:#b00020'>{esc(_('已超过办理时限'))}</span>" if now["overdue"] else ""
        out.append(f"<p>{esc(_('当前环节'))}：{esc(now['step'])}　{esc(_('办理人'))}：{esc('、'.join(now['holders']))}"
                   f"　{esc(_('时限'))}：{esc(due)} {late}</p>")
    for notice in now["notices"]:
        out.append(f"<p style='background:#fff4ce;padding:4px'>⚠ {esc(notice.get('message'))}</p>")
    stages = planned_stages(item, rec.get("form") or {}, workdays_between=rq.workdays_between)
    out.append(f"<p>{esc(_('审批流程'))}：{esc(' → '.join('+'.join(s.title() for s in st.steps) for st in stages))}</p>")
    out.append("<table cellspacing='0' cellpadding='3' border='1' style='border-color:#ccc'>")
    form = compute(item.form, rec.get("form") or {}, workdays_between=rq.workdays_between)
    for spec in item.form.fields:
        if not is_empty(form.get(spec.key)):
            out.append(f"<tr><td bgcolor='#f3f3f3'>{esc(spec.title())}</td><td>{esc(show_value(form[spec.key]))}"
                       f"{esc(spec.unit)}</td></tr>")
    out.append("</table>")
    if entries:
        out.append(f"<h4>{esc(_('办理过程'))}</h4><ol>")
        for e in entries:
            when = local_time(e.at)
            status = ""
            if e.status in ("superseded", "rejected"):
                status = f"　<span style='color:#b00020'>（{esc(e.reason or _('未被采纳'))}）</span>"
            elif e.status == "pending":
                status = f"　<span style='color:#777'>（{esc(_('待同步'))}）</span>"
            extra = ""
            if e.extra.get("signer_name"):
                extra = _("，加签：{name}").format(name=e.extra["signer_name"])
            elif e.extra.get("to_name"):
                extra = _("，交给：{name}").format(name=e.extra["to_name"])
            out.append(f"<li>{esc(when)}　{esc(e.who)}　<b>{esc(e.action)}</b>"
                       f"{esc('（' + e.step + '）') if e.step else ''}{esc(extra)}"
                       f"{'：' + esc(e.opinion) if e.opinion else ''}{status}</li>")
        out.append("</ol>")
    for output in now["outputs"]:
        seal = ""
        if output.get("sealed") and output.get("attachment_id"):
            seal = _("（已加盖{seal}，可下载）").format(seal=output.get("seal"))
        elif output.get("sealed"):
            seal = _("（待本单位印章管理员加盖{seal}后出具）").format(seal=output.get("seal"))
        body = "".join(f"<p>{esc(p)}</p>" for p in output.get("text") or [])
        out.append(f"<h4>{esc(output.get('name'))}　{esc(output.get('number'))}{esc(seal)}</h4>"
                   f"<div style='border:1px solid #c00;padding:6px'>{body}</div>")
    return "".join(out)
