"""Who wrote a record's content last: what lets an edit made before the record last moved
still apply (`Authority.rebase`) when only the server's bookkeeping moved it since.

A record whose authority stamps it keeps two server fields: `content_version`, counting
the writes of its content (the fields a client edits), and `content_device`, the device
that made the latest one. Flow events, replies, approvals and read marks move the record
without touching either.
"""

from __future__ import annotations

from typing import Any

from oa_server.authority.context import Ctx

CONTENT_FIELDS = ("content_version", "content_device")


def stamp_content(ctx: Ctx, out: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Count one more write of the content, made by the asking device."""
    out["content_version"] = int((current or {}).get("content_version") or 0) + 1
    out["content_device"] = ctx.device_id


def content_unmoved(ctx: Ctx, payload: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether nobody else wrote the content since the op's author last saw it: the version
    it carries is the latest, or the latest write is this device's own (its ops arrive in
    order, so the op was made on top of that write, even before the desk pulled it back)."""
    latest = current.get("content_version")
    if not isinstance(latest, int) or latest < 1:
        return False  # never stamped: nothing tells who moved it
    if ctx.device_id is not None and current.get("content_device") == ctx.device_id:
        return True
    return payload.get("content_version") == latest
