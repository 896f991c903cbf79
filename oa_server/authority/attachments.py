"""The server as the authority for attachments (附件) and 常用意见 (phrases).

- `attachments`: a record never changes once made: its owner, name, size and SHA-256 are
  fixed (a new version is a new record; the old one stays), so no edit is taken. Its audience
  is its owner's, derived by the server: audience lists a client sends are dropped. Files the
  server made (a 公文's 正式文件 and exchange package, the copies delivered to a receiving
  unit, a request's output) are the server's alone: no client op makes, changes or deletes
  one. On a 公文 the drafter adds and deletes while it is a draft, the holders of the current
  step do until 签发; after 签发 the attachments are frozen until the document goes back to
  the drafter — only a handwritten signature on an opinion is still added, by whoever acts on
  the document now. On a 收文 those who act on it now add their own files. On other records
  whoever sees the record adds, and only an attachment's author deletes it.
- `phrases`: 常用意见 are their owner's alone: saved for oneself, changed and deleted by the owner.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from oa_client.domain.workflow import COMPLETE_ACTIONS
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.context import Ctx
from oa_server.authority.documents_events import DocumentEvents
from oa_server.authority.documents_rules import (
    DOCUMENTS,
    MAX_ATTACHMENT_BYTES,
    SERVER_MARKS,
    may_edit_draft,
)
from oa_server.i18n import _
from sync.protocol import ATTACHMENT_OWNERS, Op

ATTACHMENTS = "attachments"
#: fields a client states about an attachment (everything else in its payload is dropped)
CLIENT_FIELDS = ("owner_kind", "owner_id", "name", "size", "sha256", "mime", "purpose")
#: what a client may say an attachment is for
PURPOSES = (None, "signature")
#: 公文 states before 签发 in which the current holders add and remove attachments
BEFORE_SIGN_OFF = ("review", "countersign", "sign_off")
#: the largest file any record may carry (a 公文's own limit is smaller)
MAX_ANY_BYTES = 2 * 1024 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FLOW = DocumentEvents()


def may_act(ctx: Ctx, doc: dict[str, Any]) -> bool:
    """Whether the asking user holds the document's current step (or acts for a holder)."""
    state = _FLOW.state(ctx, doc)
    if state.status != "running":
        return False
    allowed = _FLOW.workflow(ctx, doc).allowed(state, ctx.user_id, at=ctx.now)
    return any(a.action in (*COMPLETE_ACTIONS, "return", "reassign") for a in allowed)


def _problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with the stated fields of a new attachment, None when nothing."""
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255 or "/" in name \
            or "\\" in name or any(unicodedata.category(ch) == "Cc" for ch in name):
        return _("附件名称不合法。")
    size = payload.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_ANY_BYTES:
        return _("附件大小不正确")
    if not isinstance(payload.get("sha256"), str) or not _SHA256.fullmatch(payload["sha256"]):
        return _("附件的校验值（SHA-256）格式不正确")
    if payload.get("mime") is not None and (not isinstance(payload["mime"], str)
                                            or len(payload["mime"]) > 127):
        return _("附件类型格式不正确")
    if payload.get("purpose") not in PURPOSES:
        return _("附件用途不正确")
    return None


def _document_rule(ctx: Ctx, doc: dict[str, Any], att: dict[str, Any], *, adding: bool
                   ) -> Ruling | None:
    """None when the asking user may add (or remove) `att` on the 公文 now, else the refusal."""
    if att.get("purpose") == "signature":
        if adding and may_act(ctx, doc):
            return None
        return Ruling.reject("not_allowed", _("手写签名只能由当前环节的办理人在办理时添加，添加后不能删除"))
    if doc.get("direction") == "incoming":
        if may_act(ctx, doc) and (adding or att.get("created_by") == ctx.user_id):
            return None
        return Ruling.reject("not_allowed", _("收文的附件只能由当前环节的办理人添加，删除仅限本人添加的附件"))
    state = doc.get("state")
    if state in (None, "", "draft"):
        if may_edit_draft(ctx, doc):
            return None
        return Ruling.reject("not_allowed", _("只有拟稿人可以在起草阶段添加或删除附件"))
    if state not in BEFORE_SIGN_OFF:
        return Ruling.reject("frozen", _("公文已签发，附件已锁定；如需修改附件，请退回拟稿人"))
    if may_act(ctx, doc):
        return None
    return Ruling.reject("not_allowed", _("只有当前环节的办理人可以添加或删除附件"))


class Attachments(Authority):
    """附件: immutable records, the owner's audience, per-owner rules for adding and removing."""

    collection = ATTACHMENTS

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge a new attachment or a removal; an edit is never taken."""
        if op.kind == "action":
            return Ruling.reject("validation", _("附件不能作为流转记录提交"))
        if current is not None and op.kind != "delete":
            return Ruling.reject("immutable", _("附件的名称、大小和内容不能修改；新版本请作为新附件添加，原附件保留"))
        att = current if current is not None else payload
        if any(att.get(mark) for mark in SERVER_MARKS):
            return Ruling.reject("read_only", _("正式文件和交换包由服务器生成，不能由客户端添加、修改或删除"))
        if current is None:
            problem = _problem(payload)
            if problem is not None:
                return Ruling.reject("validation", problem)
        owner = ATTACHMENT_OWNERS.get(str(att.get("owner_kind") or ""))
        parent = ctx.get(owner, str(att.get("owner_id") or "")) if owner else None
        if parent is None:
            return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
        if owner == DOCUMENTS:
            if current is None and int(payload["size"]) > MAX_ATTACHMENT_BYTES:
                return Ruling.reject("validation", _("附件“{name}”超过 {mb} MB 的大小限制").format(
                    name=payload["name"], mb=MAX_ATTACHMENT_BYTES // (1024 * 1024)))
            refused = _document_rule(ctx, parent, att, adding=current is None)
            if refused is not None:
                return refused
        elif current is not None and current.get("created_by") != ctx.user_id:
            return Ruling.reject("not_allowed", _("只能删除本人添加的附件"))
        if op.kind == "delete":
            return Ruling.accept(payload)
        return Ruling.accept({k: payload[k] for k in CLIENT_FIELDS if payload.get(k) is not None})


class Phrases(Authority):
    """常用意见: one's own, saved and removed only by their owner."""

    collection = "phrases"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """The owner is always the asking user; another's phrase is never touched."""
        if op.kind == "action":
            return Ruling.reject("validation", _("常用意见不能作为流转记录提交"))
        if current is not None and current.get("owner_id", current.get("created_by")) != ctx.user_id:
            return Ruling.reject("not_allowed", _("只能修改或删除本人的常用意见"))
        if op.kind == "delete":
            return Ruling.accept(payload)
        if payload.get("owner_id") not in (None, "", ctx.user_id):
            return Ruling.reject("not_allowed", _("只能为本人保存常用意见"))
        text = " ".join(str(payload.get("text") or "").split())
        if not text or len(text) > 500:
            return Ruling.reject("validation", _("常用意见不能为空，且不超过 500 字"))
        return Ruling.accept({"owner_id": ctx.user_id, "text": text})


register(Attachments())
register(Phrases())
