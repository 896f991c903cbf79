"""The monthly 督办通报 as a draft 公文 (文种 通报) in the 发文 flow: the 督查室 drafts it, its
tables in the body, and finds it in 待办 to check and send for review like any draft.

Its id is keyed with the server's secret: one draft per month however often it is asked
for, and no desk can write a record there first to stop it being made."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import date
from typing import Any

from oa_client.domain.supervision import SUPERVISOR_ROLE
from oa_client.domain.supervision_report import build_bulletin, bulletin_body
from oa_server.audit import chain_keys
from oa_server.authority.context import Ctx
from oa_server.authority.supervision import TASKS, today_of
from oa_server.notify import iso, notify


def period_of(year: int, month: int) -> str:
    """The month a 通报 covers, as its records write it: 2026-10."""
    return f"{year:04d}-{month:02d}"


def legacy_doc_id(year: int, month: int) -> str:
    """The id earlier releases gave the month's draft (anyone can work it out)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"oa:supervision:bulletin:{period_of(year, month)}"))


def bulletin_doc_id(ctx: Ctx, year: int, month: int) -> str:
    """The draft's id: one 通报 per month, derived from the server's secret key (a UUID of
    version 8), so only the server knows it before the draft exists."""
    message = f"oa-server supervision bulletin v1|{period_of(year, month)}".encode()
    digest = hmac.new(chain_keys(ctx.session).master, message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:16], "big")
    value = (value & ~(0xF << 76)) | (0x8 << 76)  # version 8: custom
    value = (value & ~(0b11 << 62)) | (0b10 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def made_by_server(ctx: Ctx, record: dict[str, Any], *, period: str) -> bool:
    """Whether a record is the month's 通报 as the server drafted it (its source and period,
    written for a 督查室 member), not something a desk put at its id."""
    source = record.get("source")
    maker = ctx.org.user(record.get("created_by"))
    return (isinstance(source, dict) and source.get("kind") == "supervision_bulletin"
            and source.get("period") == period and record.get("doc_kind") == "通报"
            and maker is not None and SUPERVISOR_ROLE in maker.roles)


def existing_bulletin(ctx: Ctx, year: int, month: int) -> str | None:
    """The id of the month's 通报 the server already drafted, if it did (an earlier release's
    draft counts only when the server made it)."""
    doc_id = bulletin_doc_id(ctx, year, month)
    if ctx.get("documents", doc_id) is not None:
        return doc_id
    old = ctx.get("documents", legacy_doc_id(year, month))
    if old is not None and made_by_server(ctx, old, period=period_of(year, month)):
        return str(old["id"])
    return None


def previous_month(day: date) -> tuple[int, int]:
    """The month before `day`'s."""
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def draft_bulletin(ctx: Ctx, *, year: int, month: int) -> tuple[str, bool]:
    """Write the month's 通报 as a draft by the acting 督查室 member (kept if it exists; none
    for a month without tasks); returns the document id and whether it was made now."""
    made = existing_bulletin(ctx, year, month)
    if made is not None:
        return made, False
    doc_id = bulletin_doc_id(ctx, year, month)
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
