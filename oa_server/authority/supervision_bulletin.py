"""The monthly 督办通报 as a draft 公文 (文种 通报) in the 发文 flow: the 督查室 drafts it, its
tables in the body, and finds it in 待办 to check and send for review like any draft."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from oa_client.domain.supervision_report import build_bulletin, bulletin_body
from oa_server.authority.context import Ctx
from oa_server.authority.supervision import TASKS, today_of
from oa_server.notify import iso, notify


def bulletin_doc_id(year: int, month: int) -> str:
    """The draft's id: one 通报 per month, however often it is asked for."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa:supervision:bulletin:{year:04d}-{month:02d}"))


def previous_month(day: date) -> tuple[int, int]:
    """The month before `day`'s."""
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def draft_bulletin(ctx: Ctx, *, year: int, month: int) -> tuple[str, bool]:
    """Write the month's 通报 as a draft by the acting 督查室 member (kept if it exists; none
    for a month without tasks); returns the document id and whether it was made now."""
    doc_id = bulletin_doc_id(year, month)
    if ctx.get("documents", doc_id) is not None:
        return doc_id, False
    tasks = [{**json.loads(text), "id": rid} for rid, text in ctx.texts(TASKS)]
    units = {str(t.get("lead_unit_id") or "") for t in tasks}
    names = {u: (ctx.org.unit(u).name if ctx.org.unit(u) is not None else u) for u in units if u}
    b = build_bulletin(tasks, year=year, month=month, unit_names=names, today=today_of(ctx))
    if not b.sections:
        return doc_id, False
    drafter = ctx.user
    order = sorted((u for u in units if ctx.org.unit(u) is not None),
                   key=lambda u: (ctx.org.unit(u).sort_order, names[u]))
    ctx.put("documents", doc_id, {
        "direction": "outgoing", "doc_kind": "通报", "title": b.title, "body": bulletin_body(b),
        "secrecy": "非涉密", "urgency": None, "issuer_name": drafter.unit.name,
        "main_to": order, "main_to_names": [names[u] for u in order], "cc_to": [],
        "cc_to_names": [], "attachments": [], "state": "draft", "drafter_id": ctx.user_id,
        "drafter_name": drafter.name, "department_id": str(drafter.department_id or "") or None,
        "body_rev": 0, "created_at": iso(ctx.now), "doc_number": None, "receipts": {},
        "holder_ids": [ctx.user_id], "source": {"kind": "supervision_bulletin",
                                               "period": f"{year:04d}-{month:02d}"},
    }, unit_id=str(drafter.unit_id))  # seen as any draft: its drafter and their 科长
    notify(ctx, key=f"bulletin:{year:04d}-{month:02d}", kind="bulletin.draft",
           args={"month": f"{year}年{month}月"}, collection="documents", record_id=doc_id,
           users=[ctx.user_id])
    return doc_id, True


def bulletin_month(ctx: Ctx) -> tuple[int, int]:
    """The month a 通报 made today covers: the last one."""
    return previous_month(today_of(ctx))


def summary(year: int, month: int, doc_id: str, made: bool) -> dict[str, Any]:
    """What the job or the button reports."""
    return {"document_id": doc_id, "month": f"{year:04d}-{month:02d}", "made": made}
