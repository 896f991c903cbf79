"""The 公文 flow on the server: every `document_events` action judged by the shared workflow
engine (发文: resources/flows/outgoing.json, 收文: incoming.json; a unit template may
override), then the state projected onto the document with the effects of each step:
签发 (date, signer), 编号 (发文字号), 用印, 分发 (公文交换 and receipts), 签收/退回 (the
sender's receipt), 传阅 (readers). Receipt actions 重发/催收 ride on the same collection.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from oa_client.domain.document import gaps_message
from oa_client.domain.workflow import Event, FlowDefinition, FlowState, OrgResolver, Workflow
from oa_server.authority import Ruling, register
from oa_server.authority.content import stamp_content
from oa_server.authority.context import Ctx
from oa_server.authority.documents_exchange import (
    BEFORE_NUMBER,
    assign_number,
    deliver,
    dispatch,
    frozen_attachments,
    recipients,
    update_receipt,
    void_number,
)
from oa_server.authority.documents_rules import (
    DOCUMENTS,
    EVENTS,
    changed_since_sign_off,
    element_gaps,
    element_problem,
    elements_digest,
    flow_definition,
    iso,
    leader_unit,
    today,
    unit_problem,
    values_problem,
)
from oa_server.authority.flow import FlowEvents, event_of
from oa_server.i18n import _
from oa_server.signing.service import may_use_seal
from sync.protocol import Op

FINAL_STATE = {"outgoing": "dispatched", "incoming": "archived"}
#: the flow values of a 公文 as its desks name them (a refusal lists those a step may not set)
VALUE_NAMES = {
    "kind": "文种", "urgency": "紧急程度", "leader_unit": "签发领导所在单位", "readers": "传阅人",
    "leader": "批示领导", "lead_department": "主办科室", "assist_departments": "协办科室",
    "handling_days": "办理时限", "supervise": "督办", "countersign_departments": "会签部门",
    "co_issuing_units": "联合发文机关", "substantive_change": "实质性修改",
}
_VALUE_IDS = (_("文种"), _("紧急程度"), _("签发领导所在单位"), _("传阅人"), _("批示领导"),
              _("主办科室"), _("协办科室"), _("办理时限"), _("督办"), _("会签部门"),
              _("联合发文机关"), _("实质性修改"))


#: what a 重发 / 催收 record holds as a desk writes it (the server adds who, when, its order)
RECEIPT_FIELDS = ("id", "document_id", "receipt_action", "receiving_unit_id", "actor_id",
                  "created_at")


class FallbackOrg:
    """Holders from the handling unit, else (for the same role) from the addressed unit."""

    def __init__(self, org: OrgResolver, handler: str, addressed: str) -> None:
        self.org, self.handler, self.addressed = org, handler, addressed

    def holders(self, role: str, *, unit_id: str | None, department_id: str | None,
                context: Mapping[str, Any]) -> list[str]:
        """OrgResolver: the handling unit's holders, or the addressed unit's when it has none."""
        found = self.org.holders(role, unit_id=unit_id, department_id=department_id,
                                 context=context)
        if found or unit_id != self.handler or department_id is not None:
            return found
        return self.org.holders(role, unit_id=self.addressed, department_id=None, context=context)


def start_values(ctx: Ctx, doc: dict[str, Any]) -> dict[str, Any]:
    """What the flow conditions read from a document (kind, urgency, 会签 lists, and
    `leader_unit`: the parent unit, whose leaders sign for an office such as 市政府办公室)."""
    vals = {"kind": doc.get("doc_kind") or "", "urgency": doc.get("urgency") or None,
            "countersign_departments": doc.get("countersign_departments") or None,
            "co_issuing_units": doc.get("co_issuing_units") or None,
            "leader_unit": leader_unit(ctx, doc)}
    return {k: v for k, v in vals.items() if v is not None}


def sealing_units(doc: dict[str, Any]) -> list[uuid.UUID]:
    """The units whose seals a 发文 bears: the issuing unit, then each 联合发文 unit."""
    out: list[uuid.UUID] = []
    for value in [doc.get("unit_id"), *(doc.get("co_issuing_units") or [])]:
        try:
            unit = uuid.UUID(str(value))
        except ValueError:
            continue
        if unit not in out:
            out.append(unit)
    return out


def seal_refusal(ctx: Ctx, doc: dict[str, Any], event: dict[str, Any]) -> Ruling | None:
    """Why 用印 (or handing it on) is refused, None when it may go ahead: only a 印章管理员 of
    the issuing unit (or of a 联合发文 unit) in person, only on the body and elements the
    leader signed off."""
    units = sealing_units(doc)
    if event.get("action") == "reassign":
        target = ctx.org.active_user(event.get("to_user"))
        mine = [u for u in units if may_use_seal(ctx.user, unit_id=u)]
        if target is None or not any(may_use_seal(target, unit_id=u) for u in mine):
            return Ruling.reject("not_seal_keeper", _("用印只能转交本单位的印章管理员"))
        return None
    if not any(may_use_seal(ctx.user, unit_id=u) for u in units):
        return Ruling.reject("not_seal_keeper", _("只有本单位的印章管理员可以用印"))
    if changed_since_sign_off(doc):
        return Ruling.reject("changed_after_sign_off",
                             _("公文正文或要素在签发后被修改，须退回重新签发后才能用印"))
    gaps = element_gaps(ctx, doc)
    if gaps:
        return Ruling.reject("missing_elements", gaps_message("seal", gaps))
    return None


class DocumentEvents(FlowEvents):
    """Flow events of 公文 (发文 and 收文)."""

    collection = EVENTS
    subject = DOCUMENTS

    def definition(self, ctx: Ctx, subject: dict[str, Any]) -> FlowDefinition:
        """The unit's template for the document's direction, or the shipped default."""
        unit = ctx.org.unit(subject.get("unit_id"))
        return flow_definition(subject.get("direction") or "outgoing",
                               getattr(unit, "doc_code", None))

    def workflow(self, ctx: Ctx, subject: dict[str, Any]) -> Workflow:
        """The engine; a 收文 handled for another unit (市政府 by its 办公室) finds the roles
        the handling unit lacks (the leaders who 批示) in the addressed unit."""
        handler, addressed = subject.get("unit_id"), subject.get("recipient_unit_id")
        resolver: OrgResolver = ctx.org
        if subject.get("direction") == "incoming" and addressed and addressed != handler:
            resolver = FallbackOrg(ctx.org, str(handler), str(addressed))
        return Workflow(self.definition(ctx, subject), resolver=resolver,
                        add_limit=self.add_limit(ctx, subject), delegations=self.delegations(ctx))

    def events(self, ctx: Ctx, subject_id: str) -> list[Event]:
        """The document's accepted flow events in the order the server took them (`seq`: a
        child's revision moves when the document's audience changes, so it cannot order them;
        receipt actions are not flow events)."""
        return [event_of(rec["id"], rec) for rec in self._ordered(ctx, subject_id)
                if rec.get("status") == "applied" and not rec.get("receipt_action")]

    def _ordered(self, ctx: Ctx, subject_id: str) -> list[dict[str, Any]]:
        children = ctx.children(self.collection, self.subject, subject_id)
        return sorted(children, key=lambda r: (int(r.get("seq") or 0), int(r.get("rev") or 0)))

    # -- judging -------------------------------------------------------------------------

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Module rules first (start, 编号, 分发, 复核), then the workflow engine."""
        if op.kind != "action" or current is not None:
            return super().check(ctx, op, payload, current)
        doc = ctx.get(DOCUMENTS, str(payload.get("document_id") or ""))
        if doc is None:
            return Ruling.reject("forbidden", _("您无权修改该记录，或该记录不存在"))
        if payload.get("receipt_action"):
            return self._check_receipt(ctx, payload, doc)
        action, step = payload.get("action"), payload.get("step")
        payload = {**payload, "actor_name": ctx.user.name}
        if payload.get("values") and action != "start":
            refused = self._values_refusal(ctx, doc, payload)
            if refused is not None:
                return refused
        if action == "start":
            if doc.get("direction") != "outgoing" or doc.get("state") not in (None, "", "draft"):
                return Ruling.reject("not_allowed", _("只有起草中的发文可以送审"))
            if doc.get("drafter_id", doc.get("created_by")) != ctx.user_id:
                return Ruling.reject("not_allowed", _("只有拟稿人可以送审"))
            problem = element_problem(ctx, doc, stage="sign_off")
            if problem is not None:
                return Ruling.reject("validation", str(problem))
            values = start_values(ctx, doc)
            why = values_problem(ctx, doc, {k: values[k] for k in (
                "countersign_departments", "co_issuing_units") if k in values})
            if why:  # the draft's own 会签/联合发文 lists, as a tampered desk may have set them
                return Ruling.reject("validation", why)
            payload.update(values=values, unit_id=doc.get("unit_id"),
                           department_id=str(ctx.user.department_id or "") or None)
        elif action == "approve" and step == "number" and doc.get("direction") == "outgoing":
            unit = ctx.org.unit(doc.get("unit_id"))
            if not getattr(unit, "doc_code", None):
                return Ruling.reject("no_doc_code", _("本单位没有发文机关代字，不能编号发文"))
            gaps = element_gaps(ctx, doc)
            if gaps:  # no number for an incomplete 公文: it would be void at once
                return Ruling.reject("missing_elements", gaps_message("number", gaps))
        elif step == "seal" and action in ("approve", "reassign") \
                and doc.get("direction") == "outgoing":
            refused = seal_refusal(ctx, doc, payload)
            if refused is not None:
                return refused
        elif action == "approve" and step == "dispatch" and doc.get("direction") == "outgoing":
            if not doc.get("sealed_attachment_id"):
                return Ruling.reject("not_sealed", _("正式文件尚未生成（用印未完成），不能分发"))
            if not recipients(doc):
                return Ruling.reject("validation", _("没有主送或抄送单位，无法分发"))
            for unit_id, _kind in recipients(doc):
                why = unit_problem(ctx, unit_id)
                if why:
                    return Ruling.reject("unit_unavailable", why)
        elif action == "approve" and step == "recheck":
            if changed_since_sign_off(doc):
                payload["values"] = {**(payload.get("values") or {}), "substantive_change": True}
        ruling = super().check(ctx, op, payload, current)
        if ruling.payload is not None:
            ruling.payload["seq"] = self.next_seq(ctx, str(doc["id"]))
        return ruling

    def _values_refusal(self, ctx: Ctx, doc: dict[str, Any], payload: dict[str, Any]
                        ) -> Ruling | None:
        """Why an action's flow values are refused: a value its step may not set (文种, 签发
        领导所在单位, 传阅人 … steer who signs and who reads), or a wrong one; None when fine."""
        values, step = payload["values"], payload.get("step")
        definition = self.definition(ctx, doc)
        if isinstance(values, dict) and definition.has_step(step):
            writable = definition.step(str(step)).writable or []
            extra = [k for k in values if k not in writable]
            if extra:
                names = "、".join(_(VALUE_NAMES[k]) if k in VALUE_NAMES else str(k)
                                 for k in extra)
                return Ruling.reject("values_not_allowed",
                                     _("本环节不能填写或修改：{fields}").format(fields=names))
        why = values_problem(ctx, doc, values)
        return Ruling.reject("validation", why) if why else None

    def _check_receipt(self, ctx: Ctx, payload: dict[str, Any], doc: dict[str, Any]) -> Ruling:
        # a 重发 / 催收 record keeps what the desk writes for one, nothing else it sent: every
        # desk on the route reads these records in the document's timeline
        payload = {**{k: payload[k] for k in RECEIPT_FIELDS if k in payload}, "action": "urge"}
        kind = payload.get("receipt_action")
        unit_id = str(payload.get("receiving_unit_id") or "")
        if kind not in ("resend", "chase"):
            return Ruling.reject("validation", _("未知的回执操作"))
        if payload.get("actor_id") != ctx.user_id:
            return Ruling.reject("forbidden", _("只能以本人身份办理"))
        if str(ctx.user.unit_id) != str(doc.get("unit_id")) or "clerk" not in ctx.user.roles:
            return Ruling.reject("not_allowed", _("只有发文单位的文书可以重发或催收"))
        receipt = (doc.get("receipts") or {}).get(unit_id)
        if doc.get("direction") != "outgoing" or receipt is None:
            return Ruling.reject("validation", _("该单位不在本文的分发范围内"))
        status = receipt.get("status")
        if kind == "chase" and status not in ("sent", "delivered"):
            return Ruling.supersede({**payload, "status": "superseded"},
                                    _("该单位已签收或已退回，无需催收"))
        if kind == "resend":
            if status == "received":
                return Ruling.supersede({**payload, "status": "superseded"},
                                        _("该单位已签收，无需重发"))
            why = unit_problem(ctx, unit_id)
            if why:
                return Ruling.reject("unit_unavailable", why)
        return Ruling.accept({**payload, "status": "applied", "actor_name": ctx.user.name,
                              "at": iso(ctx.now), "seq": self.next_seq(ctx, str(doc["id"]))})

    # -- effects -------------------------------------------------------------------------

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Project the new state onto the document and run the step's effects."""
        if payload.get("status") != "applied":
            return
        doc = ctx.get(DOCUMENTS, str(payload.get("document_id") or ""))
        if doc is None:
            return
        if payload.get("receipt_action"):
            self._receipt_effect(ctx, payload, doc)
            return
        state = self.state(ctx, doc)
        data = self.project(ctx, doc, state, payload)
        data = self._step_effects(ctx, data, state, payload)
        ctx.put(DOCUMENTS, str(doc["id"]), data)

    def actors(self, subject: dict[str, Any], state: FlowState) -> set[str]:
        """Who acted; on a 收文, not the sending desk whose 分发 started it (it sees receipts)."""
        if subject.get("direction") != "incoming":
            return super().actors(subject, state)
        return {h.actor_id for h in state.history if h.action != "start"}

    def project(self, ctx: Ctx, subject: dict[str, Any], state: FlowState,
                event: dict[str, Any]) -> dict[str, Any]:
        """Flow fields plus the document's `state` (the current step or its final state)."""
        out = super().project(ctx, subject, state, event)
        direction = subject.get("direction") or "outgoing"
        if state.status == "running":
            out["state"] = state.current.step if state.current else out.get("state")
        elif state.status == "completed":
            out["state"] = FINAL_STATE[direction]
        elif state.status == "refused":
            out["state"] = "refused"
        readers = state.values.get("readers")
        if isinstance(readers, list) and direction == "incoming":  # 传阅 is a 收文's step
            out["reader_ids"] = [str(r) for r in readers]
            out["read_ids"] = sorted({h.on_behalf_of or h.actor_id for h in state.history
                                      if h.action == "read" and h.outcome == "accepted"})
        for key in ("leader", "lead_department", "assist_departments", "handling_days",
                    "supervise", "co_issuing_units", "countersign_departments"):
            if key in state.values:
                out[key] = state.values[key]
        return out

    def _step_effects(self, ctx: Ctx, data: dict[str, Any], state: FlowState,
                      event: dict[str, Any]) -> dict[str, Any]:
        action, step = event.get("action"), event.get("step")
        direction = data.get("direction") or "outgoing"
        if direction == "outgoing":
            if action == "approve" and step == "sign_off":
                signer = event.get("on_behalf_of") or event.get("actor_id")
                user = ctx.org.user(signer)
                data.update(signed_off_on=today(ctx).isoformat(),
                            signed_body_rev=int(data.get("body_rev") or 0),
                            frozen_attachments=frozen_attachments(ctx, data))
                if not data.get("date") or str(data["date"]) < data["signed_off_on"]:
                    data["date"] = data["signed_off_on"]  # 成文日期: the day the leader signed
                    # an element the desks edit: an edit made before this one is a conflict
                    stamp_content(ctx, data, data)
                if user is not None:
                    data["signers"] = [user.name]
                data["signed_digest"] = elements_digest(data)
            if action == "approve" and step == "number":
                data = assign_number(ctx, data)
            if action == "approve" and step == "seal" and (
                    state.current is None or state.current.step != "seal"):
                # every seal keeper took the step: the 正式文件 is made right after this push
                # commits (oa_server/sealing.py)
                data.update(seal_state="pending", seal_requested_by=event.get("actor_id"),
                            seal_error=None)
            if action in ("return", "withdraw") and data.get("state") in BEFORE_NUMBER:
                data = void_number(ctx, data, reason=str(event.get("opinion") or action))
            if state.status == "completed" and action == "approve" and step == "dispatch":
                data = dispatch(ctx, self, data)
            return data
        if step == "receive" and action == "approve":
            update_receipt(ctx, data, {"status": "received", "by": event.get("actor_id"),
                                       "by_name": ctx.user.name, "received_at": iso(ctx.now)})
        elif step == "receive" and action == "return" and state.status == "refused":
            update_receipt(ctx, data, {"status": "returned", "by": event.get("actor_id"),
                                       "by_name": ctx.user.name, "returned_at": iso(ctx.now),
                                       "reason": str(event.get("opinion") or "")})
        return data

    def _receipt_effect(self, ctx: Ctx, payload: dict[str, Any], doc: dict[str, Any]) -> None:
        unit_id = str(payload.get("receiving_unit_id") or "")
        receipts = dict(doc.get("receipts") or {})
        if unit_id not in receipts:
            return
        receipt = dict(receipts[unit_id])
        if payload["receipt_action"] == "chase":
            receipt.update(chased=int(receipt.get("chased") or 0) + 1, chased_at=iso(ctx.now))
            incoming = ctx.get(DOCUMENTS, str(receipt.get("incoming_id") or ""))
            if incoming is not None:
                ctx.put(DOCUMENTS, str(incoming["id"]),
                        {**incoming, "chased": int(incoming.get("chased") or 0) + 1,
                         "chased_at": iso(ctx.now)})
        else:
            receipt = {**deliver(ctx, self, doc, unit_id, receipt.get("kind") or "main",
                                 int(receipt.get("sent") or 1)),
                       "history": [*(receipt.get("history") or []),
                                   {k: receipt.get(k) for k in ("status", "reason", "incoming_id")}]}
        receipts[unit_id] = receipt
        ctx.put(DOCUMENTS, str(doc["id"]), {**doc, "receipts": receipts})


register(DocumentEvents())
