"""The server as the authority for 公文 records and their body revisions (痕迹).

- `documents`: a client creates only 发文 drafts; the elements are checked (the element that
  is wrong is named; classified 密级 refused; unknown or dissolved 主送/抄送 units refused;
  attachments over the size limit refused); server-owned fields (state, doc_number,
  holder_ids, receipts, flow_* …) always keep the server's values; the body changes only
  through revisions once the flow runs; after 签发 and 复核 the signed elements are fixed
  (the 版记 may be filled in at 编号); only the drafter deletes, and only a draft.
- `document_revisions`: append-only; by the drafter of a draft or the holder of the current
  step; a revision whose base is stale is kept as a conflicted revision (superseded, shown to
  its author) while the server's body stays; a taken one becomes the document's body.
The flow events are judged in documents_events.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from oa_client.domain.calendar_range import FIRST_YEAR, LAST_YEAR, in_range
from oa_client.domain.workflow.model import BEIJING
from oa_server.authority import Authority, Ruling, register
from oa_server.authority.content import content_unmoved, stamp_content
from oa_server.authority.context import Ctx
from oa_server.authority.documents_rules import (
    AFTER_RECHECK,
    DOCUMENTS,
    EVENTS,
    FINAL_STATES,
    RECORD_ELEMENTS,
    REVISIONS,
    SERVER_FIELDS,
    SIGNED_ELEMENTS,
    element_problem,
    elements_digest,
    iso,
    malformed,
    may_edit_draft,
)
from oa_server.i18n import _
from sync.protocol import Op


def _reject(exc: Any) -> Ruling:
    return Ruling.reject("validation", str(exc))


class Documents(Authority):
    """公文 records: drafts by their drafter, elements checked, server fields kept."""

    collection = DOCUMENTS

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge a create, edit or delete of a document."""
        if op.kind == "action":
            return Ruling.reject("append_only", _("公文只能保存，不能作为流转记录提交"))
        if op.kind == "delete":
            if current is None:
                return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
            if current.get("state") not in (None, "", "draft") or \
                    current.get("drafter_id", current.get("created_by")) != ctx.user_id:
                return Ruling.reject("not_allowed", _("只有拟稿人可以删除尚未送审的草稿"))
            return Ruling.accept(payload)
        if current is None:
            return self._create(ctx, payload)
        return self._edit(ctx, payload, current)

    def _create(self, ctx: Ctx, payload: dict[str, Any]) -> Ruling:
        if (payload.get("direction") or "outgoing") != "outgoing":
            return Ruling.reject("validation", _("收文只能由公文交换产生，不能直接创建"))
        problem = element_problem(ctx, payload)
        if problem is not None:
            return _reject(problem)
        out = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
        out.update(direction="outgoing", state="draft", drafter_id=ctx.user_id, body_rev=0,
                   created_at=iso(ctx.now), doc_number=None, holder_ids=[], receipts={})
        stamp_content(ctx, out, None)
        return Ruling.accept(out)

    def _edit(self, ctx: Ctx, payload: dict[str, Any], current: dict[str, Any]) -> Ruling:
        drafter = current.get("drafter_id", current.get("created_by"))
        draft = current.get("state") in (None, "", "draft") or (
            payload.get("state") == "draft" and drafter == ctx.user_id
            and self._only_submitted(ctx, str(current["id"]), drafter))
        if draft and not may_edit_draft(ctx, current):
            return Ruling.reject("not_allowed", _("只有拟稿人可以在起草阶段修改公文要素"))
        if not draft and ctx.user_id not in (current.get("holder_ids") or []):
            if current.get("doc_kind") == "纪要" and drafter == ctx.user_id:
                return self._minutes_distribution(ctx, payload, current)
            return Ruling.reject("not_allowed", _("只有当前环节的办理人可以修改公文要素"))
        if current.get("direction") == "incoming":
            return Ruling.reject("not_allowed", _("收文的内容不能修改"))
        out = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
        out.update({k: v for k, v in current.items() if k in SERVER_FIELDS})
        sent_rev = payload.get("body_rev") or 0  # the body the desk holds
        if isinstance(sent_rev, bool) or not isinstance(sent_rev, int):
            return _reject(malformed("body_rev"))
        stale_body = sent_rev < int(current.get("body_rev") or 0)
        if not draft or stale_body:
            # the body moves by revisions once it runs; and an upsert queued before a revision
            # the server already took carries the older text: keep the newer one
            out["body"] = current.get("body", "")
        if not draft:
            out["audience_units"] = current.get("audience_units") or []  # the flow's to set
        state = current.get("state")
        if state in AFTER_RECHECK:
            # signed off and rechecked: the 版记 may still be filled in at 编号, nothing else
            keys = SIGNED_ELEMENTS + (() if state == "number" else RECORD_ELEMENTS)
            if elements_digest(out, keys) != elements_digest(current, keys):
                return Ruling.reject("not_allowed", _("公文已签发，要素不能再修改（版记可在用印前填写）；"
                                                      "如需修改，请退回重新签发"))
        problem = element_problem(ctx, out)
        if problem is not None:
            return _reject(problem)
        stamp_content(ctx, out, current)
        return Ruling.accept(out)

    def _minutes_distribution(self, ctx: Ctx, payload: dict[str, Any], current: dict[str, Any]
                              ) -> Ruling:
        """The drafter of a 纪要 changes its 分送 (主送/抄送) while the flow is before 签发;
        nothing else, and after 签发 not at all."""
        if current.get("signed_off_on") or current.get("state") in ("recheck", *AFTER_RECHECK,
                                                                   *FINAL_STATES):
            return Ruling.reject("not_allowed", _("纪要已签发，分送单位不能再修改"))
        keys = ("main_to", "cc_to", "main_to_names", "cc_to_names")
        out = {**current, **{k: payload[k] for k in keys if k in payload}}
        if not (out.get("main_to") or out.get("cc_to")):
            return Ruling.reject("validation", _("纪要至少要分送一个单位"))
        others = [k for k in (*SIGNED_ELEMENTS, "body") if k not in keys and k in payload]
        if any(current.get(k) != payload[k] for k in others):
            return Ruling.reject("not_allowed", _("只有当前环节的办理人可以修改公文要素"))
        problem = element_problem(ctx, out)
        if problem is not None:
            return _reject(problem)
        stamp_content(ctx, out, current)
        return Ruling.accept(out)

    def rebase(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any]) -> bool:
        """An edit made before the document last moved still applies when nobody else wrote
        its elements since: flow events, read marks and receipts move only server fields, and
        a body revision moves the body, which `_edit` keeps when the edit carries an older
        one. (The desk's own 修改正文 goes before its next edit of the elements, and may go
        in the batch before it: that edit is then made on the moved document.)"""
        return op.kind == "upsert" and content_unmoved(ctx, payload, current)

    @staticmethod
    def _only_submitted(ctx: Ctx, doc_id: str, drafter: str) -> bool:
        """True when nobody but the drafter has acted yet (送审 only): an edit the drafter made
        before 送审 may arrive after it, since a desk sends one op per record per batch."""
        events = [e for e in ctx.children(EVENTS, DOCUMENTS, doc_id)
                  if e.get("status") == "applied" and not e.get("receipt_action")]
        return bool(events) and all(e.get("actor_id") == drafter
                                    and e.get("action") in ("start", "submit") for e in events)


class Revisions(Authority):
    """正文修订: append-only, by the one who may edit now; a stale base is kept as a conflict."""

    collection = REVISIONS

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Take a body revision, or keep it as a conflicted one when the body moved meanwhile."""
        if op.kind != "action" or current is not None:
            return Ruling.reject("append_only", _("正文修订记录只能追加，不能修改或删除"))
        doc = ctx.get(DOCUMENTS, str(payload.get("document_id") or ""))
        if doc is None:
            return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
        if not isinstance(payload.get("body"), str):
            return Ruling.reject("validation", _("正文修订缺少正文内容"))
        if doc.get("direction") == "incoming":
            return Ruling.reject("not_allowed", _("收文的内容不能修改"))
        draft = doc.get("state") in (None, "", "draft")
        if draft and not may_edit_draft(ctx, doc):
            return Ruling.reject("not_allowed", _("只有拟稿人可以修改草稿正文"))
        if not draft and ctx.user_id not in (doc.get("holder_ids") or []):
            return Ruling.reject("not_allowed", _("只有当前环节的办理人可以修改正文"))
        if doc.get("state") in ("number", "seal", "dispatch", "dispatched"):
            return Ruling.reject("not_allowed", _("公文已进入编号、用印或分发环节，正文不能再修改"))
        out = {**payload, "author_id": ctx.user_id, "created_at": iso(ctx.now),
               "server_base_rev": int(doc.get("body_rev") or 0)}
        try:
            base = int(payload.get("base_rev") or 0)
        except (TypeError, ValueError):
            return Ruling.reject("validation", _("正文修订的基础版本不正确"))
        if base != int(doc.get("body_rev") or 0):
            out.update(conflicted=1, status="conflicted")
            return Ruling.supersede(out, _("正文在您修改期间已被他人修改：服务器上的正文保持不变，"
                                           "您的修改已另存为冲突版本，请对照后重新修改"))
        out.update(conflicted=0, status="applied", previous=doc.get("body") or "")
        return Ruling.accept(out)

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """A taken revision becomes the body (and counts as a change after 签发 when it is)."""
        if payload.get("conflicted"):
            return
        doc = ctx.get(DOCUMENTS, str(payload.get("document_id") or ""))
        if doc is None:
            return
        data = {**doc, "body": payload["body"], "body_rev": int(doc.get("body_rev") or 0) + 1}
        ctx.put(DOCUMENTS, str(doc["id"]), data)


class Delegations(Authority):
    """委托: only for one's own duties, to an active colleague, for a proper date range."""

    collection = "delegations"

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """The principal is always the asking user (a 委托 naming someone else is refused,
        nothing stored); the delegate must be able to act."""
        if op.kind == "delete":
            if current is not None and current.get("principal_id") != ctx.user_id:
                return Ruling.reject("not_allowed", _("只能撤销本人的委托"))
            if current is not None and _in_force_since(ctx, current):
                return Ruling.reject("not_allowed", _(
                    "委托已开始生效，不能撤销（受委托人已办的事项以它为凭）；如需提前结束，请把结束日期改为今天"))
            return Ruling.accept(payload)
        if current is not None and current.get("principal_id") != ctx.user_id:
            return Ruling.reject("not_allowed", _("只能修改本人的委托"))
        if payload.get("principal_id") not in (None, "", ctx.user_id):
            return Ruling.reject("not_allowed", _("只能委托本人的职责，不能替他人设立委托"))
        delegate = ctx.org.business_user(payload.get("delegate_id"))
        if delegate is None:
            return Ruling.reject("validation",
                                 _("受委托人须是在岗的业务人员，不能是管理员或已停用的账号"))
        if str(delegate.id) == ctx.user_id:
            return Ruling.reject("validation", _("请选择受委托人（不能是本人）"))
        try:
            start = date.fromisoformat(str(payload.get("start")))
            end = date.fromisoformat(str(payload.get("end")))
        except ValueError:
            return Ruling.reject("validation", _("委托期限不完整或结束日期早于开始日期"))
        if end < start:
            return Ruling.reject("validation", _("委托期限不完整或结束日期早于开始日期"))
        if not (in_range(start) and in_range(end)):
            return Ruling.reject("validation", _("委托期限的年份须在 {first} 至 {last} 年之间").format(
                first=FIRST_YEAR, last=LAST_YEAR))
        if current is not None and (since := _in_force_since(ctx, current)) is not None:
            today = ctx.now.astimezone(BEIJING).date()
            kept = min(_day(current.get("end")) or today, today)
            if start != since or end < kept or str(current.get("delegate_id")) != str(delegate.id):
                return Ruling.reject("not_allowed", _(
                    "已生效的委托不能追溯修改：受委托人和开始日期不能改，结束日期不能早于今天"))
        return Ruling.accept({**payload, "principal_id": ctx.user_id,
                              "principal_name": ctx.user.name, "delegate_name": delegate.name,
                              "audience_users": [str(delegate.id)]})

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """The delegate acts for the principal: what the principal holds now (公文, 申请) joins
        the delegate's route, so the delegate sees it (later steps add delegates as they open)."""
        if op.kind == "delete":
            return
        principal, delegate = ctx.user_id, str(payload.get("delegate_id") or "")
        for collection in (DOCUMENTS, "requests"):
            for rid, text in ctx.texts(collection):
                if principal not in text or '"holder_ids":[' not in text:
                    continue
                rec = ctx.get(collection, rid)
                if rec is None or principal not in (rec.get("holder_ids") or []):
                    continue
                route = set(rec.get("audience_users") or [])
                if delegate not in route:
                    ctx.put(collection, rid, {**rec, "audience_users": sorted(route | {delegate})})


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _in_force_since(ctx: Ctx, delegation: dict[str, Any]) -> date | None:
    """The day a stored 委托 took effect, if it has (a delegate may have acted under it since:
    every flow replays those acts against it, so what has passed must stay covered)."""
    start = _day(delegation.get("start"))
    return start if start is not None and start <= ctx.now.astimezone(BEIJING).date() else None


register(Documents())
register(Revisions())
register(Delegations())
