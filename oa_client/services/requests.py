"""Internal requests (零跑动事项) on the desk: catalogue, prefilled forms, drafts, submission
offline, approval actions and the applicant's timeline. Everything works on the local
store and syncs later; the server is the authority and may still refuse with a reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from oa_client.domain import leave
from oa_client.domain.catalogue import CATEGORIES, ServiceItem
from oa_client.domain.catalogue_flow import APPLY_STEP, step_names
from oa_client.domain.forms import Problem, prefill_form, validate
from oa_client.domain.ids import new_id
from oa_client.domain.workdays import shipped_calendar
from oa_client.errors import NotFoundError, PermissionDenied, ValidationError
from oa_client.i18n import _
from oa_client.services.records import append_event, attach, save
from oa_client.store.local import LocalStore
from oa_client.store.records import Changes

__all__ = [
    "CatalogueEntry",
    "TimelineEntry",
    "act",
    "amend",
    "attach_files",
    "catalogue",
    "check_form",
    "discard_unsaved",
    "item_for",
    "known_facts",
    "leave_balance",
    "new_draft",
    "overdue",
    "request_view",
    "save_draft",
    "search",
    "submit",
    "timeline",
    "with_pending",
    "workdays_between",
]

ACTION_WORDS = {
    "start": "发起申请", "submit": "提交", "approve": "同意", "return": "退回修改", "reject": "不予批准",
    "withdraw": "撤回", "reassign": "转办", "delegate": "委托", "urge": "催办", "note": "流程调整",
}
_ACTION_IDS = (_("发起申请"), _("提交"), _("同意"), _("退回修改"), _("不予批准"), _("撤回"), _("转办"),
               _("委托"), _("催办"), _("流程调整"))
STATE_WORDS = {"draft": "草稿", "submitted": "已提交", "in_review": "审批中", "returned": "退回修改",
               "approved": "已批准", "rejected": "不予批准"}
_STATE_IDS = (_("草稿"), _("已提交"), _("审批中"), _("退回修改"), _("已批准"), _("不予批准"))


def workdays_between(a: date, b: date) -> int:
    """Working days on the shipped holiday calendar (the server counts the same way)."""
    return shipped_calendar().workdays_between(a, b)


@dataclass(frozen=True)
class CatalogueEntry:
    """One item in force: its record id (what a request names) and its definition."""

    record_id: str
    item: ServiceItem

    @property
    def category(self) -> str:
        """人事 / 财务 / 行政 / 后勤."""
        return self.item.category


def catalogue(store: LocalStore) -> list[CatalogueEntry]:
    """The items in force, in category order then by code (retired versions left out)."""
    out = []
    for rec in store.records.list("service_items", limit=1000):
        if rec.get("retired") or not isinstance(rec.get("item"), dict):
            continue
        try:
            out.append(CatalogueEntry(rec["id"], ServiceItem.model_validate(rec["item"])))
        except ValueError:
            continue
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(out, key=lambda e: (order.get(e.category, 9), e.item.code))


def search(store: LocalStore, text: str = "", *, category: str | None = None) -> list[CatalogueEntry]:
    """Items whose name, code or description contains `text`, in one category or all."""
    needle = text.strip().lower()
    return [e for e in catalogue(store)
            if (category is None or e.category == category)
            and needle in f"{e.item.name} {e.item.en} {e.item.code} {e.item.description}".lower()]


def item_for(store: LocalStore, request: dict[str, Any]) -> ServiceItem:
    """The item version a request was filed under."""
    try:
        rec = store.records.get("service_items", str(request.get("service_item_id") or ""))
    except NotFoundError:
        raise NotFoundError(_("找不到该申请的事项，请先同步事项清单")) from None
    return ServiceItem.model_validate(rec["item"])


def leave_balance(store: LocalStore, *, user_id: str, today: date | None = None) -> int:
    """Annual leave left this year: the entitlement minus 年休假 days approved or in progress."""
    today = today or datetime.now(UTC).date()
    return leave.balance(
        _user(store, user_id),
        store.records.list("requests", limit=5000, where={"applicant_id": user_id}),
        today=today, item_of=lambda rec: _item_or_none(store, rec),
        workdays_between=workdays_between)


def _item_or_none(store: LocalStore, request: dict[str, Any]) -> ServiceItem | None:
    try:
        return item_for(store, request)
    except NotFoundError:
        return None


def _user(store: LocalStore, user_id: str) -> dict[str, Any]:
    try:
        return store.records.get("users", user_id)
    except NotFoundError:
        return {}


def known_facts(store: LocalStore, *, user_id: str, today: date | None = None) -> dict[str, Any]:
    """What the organisation already knows about the applicant (never asked again)."""
    today = today or datetime.now(UTC).date()
    me = _user(store, user_id)
    facts = {
        "name": me.get("name"), "person": {"id": user_id, "name": me.get("name")} if me else None,
        "unit": me.get("unit_name"), "department": me.get("department") or me.get("unit_name"),
        "position": me.get("position"), "phone": me.get("phone") or me.get("office_phone"),
        "office_phone": me.get("office_phone"), "rank": me.get("rank"), "hire_date": me.get("hire_date"),
        "today": today.isoformat(),
    }
    balance = leave_balance(store, user_id=user_id, today=today)
    facts["annual_leave_balance"] = balance
    return {k: v for k, v in facts.items() if v not in (None, "")}


def check_form(item: ServiceItem, values: dict[str, Any], *, field: str | None = None,
               today: date | None = None) -> list[Problem]:
    """Problems with the values (validation as you type: pass `field`)."""
    return validate(item.form, values, field=field, today=today, workdays_between=workdays_between)


def new_draft(store: LocalStore, *, record_id: str, user_id: str, values: dict[str, Any] | None = None,
              today: date | None = None) -> dict[str, Any]:
    """A new request for an item, prefilled from what the organisation holds, saved as a draft."""
    rec = store.records.get("service_items", record_id)
    item = ServiceItem.model_validate(rec["item"])
    known = known_facts(store, user_id=user_id, today=today)
    form = prefill_form(item.form, known=known, values=values)
    request = {"id": new_id(), "service_item_id": record_id, "applicant_id": user_id,
               "state": "draft", "submitted": False, "item_code": item.code, "item_name": item.name,
               "category": item.category, "title": _title(item, form), "form": form}
    store.records.write("requests", [request])  # on this desk until saved or submitted
    return request


def _pending_op(store: LocalStore, request_id: str) -> bool:
    return bool(store.db.query("SELECT 1 FROM outbox WHERE entity = 'requests' AND entity_id = ?"
                               " AND state = 'pending' LIMIT 1", (request_id,)))


def discard_unsaved(store: LocalStore, request_id: str) -> bool:
    """Drop a new request that was never saved nor submitted (the form was closed); True if dropped."""
    rec = store.records.get("requests", request_id)
    if int(rec.get("rev") or 0) != 0 or _pending_op(store, request_id) or _has_start(store, request_id):
        return False
    store.records.delete("requests", request_id)
    return True


def _title(item: ServiceItem, form: dict[str, Any]) -> str:
    who = form.get("applicant") or ""
    return f"{item.name}：{who}" if who else item.name


def save_draft(store: LocalStore, request_id: str, values: dict[str, Any]) -> Changes:
    """Keep what was typed so far (no checks: a draft may be incomplete)."""
    rec = store.records.get("requests", request_id)
    if rec.get("state") in ("approved", "rejected"):
        raise PermissionDenied(_("该申请已办结，不能再修改"))
    item = item_for(store, rec)
    return save(store, "requests", {**rec, "form": dict(values), "title": _title(item, values)})


def amend(store: LocalStore, request_id: str, values: dict[str, Any], *, today: date | None = None) -> Changes:
    """Change a request under review (e.g. the amount): checked here, then by the server, which
    recalculates the route and tells the approvers."""
    rec = store.records.get("requests", request_id)
    if rec.get("state") not in ("submitted", "in_review"):
        if request_view(store, request_id).get("state") == "submitted":
            raise PermissionDenied(_("申请尚未送达服务器，请同步后再修改"))
        raise PermissionDenied(_("只有审批中的申请可以这样修改"))
    item = item_for(store, rec)
    problems = check_form(item, values, today=today)
    if problems:
        raise ValidationError("；".join(p.message for p in problems[:5]), field=problems[0].field,
                              problems=problems)
    return save(store, "requests", {**rec, "form": dict(values), "title": _title(item, values)})


def _event(store: LocalStore, request_id: str, *, user_id: str, action: str, **extra: Any) -> Changes:
    body = {"request_id": request_id, "action": action, "actor_id": user_id,
            "at": datetime.now(UTC).isoformat(), "status": "pending", **extra}
    return append_event(store, "request_events", body)


def submit(store: LocalStore, request_id: str, *, user_id: str, values: dict[str, Any] | None = None,
           today: date | None = None) -> Changes:
    """Submit (or resubmit after 退回修改) offline: checked here first, queued for the server."""
    rec = store.records.get("requests", request_id)
    if str(rec.get("applicant_id")) != user_id:
        raise PermissionDenied(_("只有申请人本人可以提交申请"))
    waiting = [e for e in store.records.list("request_events", where={"request_id": request_id}, limit=1000)
               if e.get("action") == "submit" and e.get("status") == "pending"]
    if rec.get("state") not in (None, "draft", "returned") or waiting:
        raise PermissionDenied(_("该申请已提交，正在审批中"))
    item = item_for(store, rec)
    form = dict(values if values is not None else rec.get("form") or {})
    problems = check_form(item, form, today=today)
    if problems:
        first = problems[0]
        raise ValidationError("；".join(p.message for p in problems[:5]), field=first.field,
                              problems=problems)
    # the events carry the form (one op per record in a push: a second edit of the request
    # would wait behind them); the server writes it into the request when it accepts them
    record = {**rec, "form": form, "submitted": True, "title": _title(item, form), "state": "submitted"}
    if int(rec.get("rev") or 0) == 0 and not _pending_op(store, request_id):
        changes = save(store, "requests", record)  # the server needs the record before its events
    else:
        changes = store.records.write("requests", [record])
    if not rec.get("flow_status") and not _has_start(store, request_id):
        changes = changes.merge(_event(store, request_id, user_id=user_id, action="start", form=form))
    changes = changes.merge(_event(store, request_id, user_id=user_id, action="submit", step=APPLY_STEP,
                                   opinion=_("提交申请"), form=form))
    return changes


def attach_files(store: LocalStore, request_id: str, item: ServiceItem, values: dict[str, Any]) -> dict[str, Any]:
    """Store files picked for attachment fields (encrypted, synced with the request); the form keeps
    only their hash, name and size."""
    out = dict(values)
    for spec in item.form.fields:
        if spec.type != "attachment" or not isinstance(out.get(spec.key), list):
            continue
        files = []
        for f in out[spec.key]:
            if isinstance(f, dict) and f.get("path"):
                rec = store.records.get("requests", request_id)
                if int(rec.get("rev") or 0) == 0 and not _pending_op(store, request_id):
                    save(store, "requests", rec)  # the server needs the request before its files
                data = Path(f["path"]).read_bytes()
                attach(store, owner_kind="request", owner_id=request_id, name=str(f.get("name") or ""),
                       data=data)
                f = {"sha256": hashlib.sha256(data).hexdigest(), "name": f.get("name"), "size": len(data)}
            files.append(f)
        out[spec.key] = files
    return out


def with_pending(request: dict[str, Any], submission: dict[str, Any] | None) -> dict[str, Any]:
    """The request as its applicant sees it while a submission waits to be sent (a pull of the
    server's older copy must not make it look like a draft again)."""
    if submission is None or request.get("state") not in (None, "draft", "returned"):
        return request
    form = submission.get("form") if isinstance(submission.get("form"), dict) else request.get("form")
    return {**request, "state": "submitted", "form": form, "submitted": True}


def request_view(store: LocalStore, request_id: str) -> dict[str, Any]:
    """The request with a submission still waiting to be sent taken into account."""
    rec = store.records.get("requests", request_id)
    waiting = [e for e in store.records.list("request_events", where={"request_id": request_id}, limit=1000)
               if e.get("action") in ("start", "submit") and e.get("status") == "pending"]
    return with_pending(rec, waiting[-1] if waiting else None)


def _has_start(store: LocalStore, request_id: str) -> bool:
    return any(e.get("action") == "start" and e.get("status") != "rejected"
               for e in store.records.list("request_events", where={"request_id": request_id}, limit=1000))


def act(store: LocalStore, request_id: str, *, user_id: str, action: str, opinion: str = "",
        to_user: str | None = None, add_signer: str | None = None, on_behalf_of: str | None = None,
        start: date | None = None, until: date | None = None) -> Changes:
    """An approver's or applicant's action: approve (optionally 加签), return (退回修改), reject
    (不予批准), reassign (转办), delegate (委托 until a date), urge (催办), withdraw."""
    rec = store.records.get("requests", request_id)
    step = rec.get("flow_step")
    extra: dict[str, Any] = {"opinion": opinion.strip()}
    if on_behalf_of:
        extra["on_behalf_of"] = on_behalf_of
    if action in ("return", "reject") and not opinion.strip():
        raise ValidationError(_("退回或不予批准必须写明理由"), field="opinion")
    if action in ("approve", "return", "reject", "reassign"):
        if user_id not in (rec.get("approver_ids") or []) and not on_behalf_of:
            raise PermissionDenied(_("您不是当前环节的审批人"))
    if action == "approve":
        if add_signer:
            if add_signer == user_id:
                raise ValidationError(_("不能给自己加签"), field="add_signer")
            extra["add_signer"] = add_signer
        return _event(store, request_id, user_id=user_id, action="approve", step=step, **extra)
    if action == "return":
        return _event(store, request_id, user_id=user_id, action="return", step=step,
                      to_step=APPLY_STEP, **extra)
    if action == "reject":
        return _event(store, request_id, user_id=user_id, action="return", step=step,
                      to_step=APPLY_STEP, reject=True, **extra)
    if action == "reassign":
        if not to_user:
            raise ValidationError(_("请选择转办给谁"), field="to_user")
        return _event(store, request_id, user_id=user_id, action="reassign", step=step, to_user=to_user,
                      **extra)
    if action == "delegate":
        if not to_user or to_user == user_id:
            raise ValidationError(_("请选择受委托人（不能是本人）"), field="to_user")
        start = start or datetime.now(UTC).date()
        end = until or start + timedelta(days=7)
        return _event(store, request_id, user_id=user_id, action="delegate", to_user=to_user,
                      valid_from=start.isoformat(), valid_until=end.isoformat(), **extra)
    if action == "urge":
        return _event(store, request_id, user_id=user_id, action="urge", step=step,
                      **{**extra, "opinion": extra["opinion"] or _("请尽快审批")})
    if action == "withdraw":
        return _event(store, request_id, user_id=user_id, action="withdraw", **extra)
    raise ValidationError(_("不认识的操作：{action}").format(action=action), field="action")


def overdue(request: dict[str, Any], *, now: datetime | None = None) -> bool:
    """Whether the current step is past its time limit (催办 is offered then)."""
    due = request.get("due_at")
    if not due or request.get("state") not in ("submitted", "in_review"):
        return False
    try:
        when = datetime.fromisoformat(str(due).replace("Z", "+00:00"))
    except ValueError:
        return False
    now = now or datetime.now(UTC)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)) < now


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the applicant's timeline: when, who, what, on which step, how it went."""

    at: str
    who: str
    action: str
    step: str
    opinion: str = ""
    status: str = "applied"
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _names(store: LocalStore) -> dict[str, str]:
    return {u["id"]: u.get("name") or "" for u in store.records.list("users", limit=100_000)}


def timeline(store: LocalStore, request_id: str) -> tuple[list[TimelineEntry], dict[str, Any]]:
    """The request's events in order, and where it is now (step, holders' names, due, overdue)."""
    rec = request_view(store, request_id)
    try:
        names = step_names(item_for(store, rec))
    except NotFoundError:
        names = {}
    people = _names(store)
    events = store.records.list("request_events", where={"request_id": request_id}, limit=1000,
                                order_by="created_at")
    entries = []
    # in the order the server took them (`seq`), then what is still waiting to be sent
    for e in sorted(events, key=lambda e: (not e.get("seq"), float(e.get("seq") or 0), str(e.get("at") or ""))):
        action = "reject" if e.get("action") == "return" and e.get("reject") else str(e.get("action"))
        who = people.get(str(e.get("actor_id")), "")
        if e.get("on_behalf_of"):
            who = _("{who}（代{principal}）").format(who=who, principal=people.get(e["on_behalf_of"], ""))
        extra = {k: e[k] for k in ("to_user", "add_signer", "notified", "by_server") if e.get(k)}
        if extra.get("to_user"):
            extra["to_name"] = people.get(extra["to_user"], "")
        if extra.get("add_signer"):
            extra["signer_name"] = people.get(extra["add_signer"], "")
        entries.append(TimelineEntry(
            at=str(e.get("at") or ""), who=who, action=_(ACTION_WORDS.get(action, action)),
            step=names.get(str(e.get("step") or ""), str(e.get("step") or "")), opinion=e.get("opinion") or "",
            status=str(e.get("status") or "pending"), reason=str(e.get("reason") or ""), extra=extra))
    now = {
        "state": _(STATE_WORDS.get(str(rec.get("state")), str(rec.get("state") or ""))),
        "step": rec.get("step_name") or names.get(str(rec.get("flow_step") or ""), ""),
        "holders": [people.get(u, u) for u in rec.get("approver_ids") or []],
        "due_at": rec.get("due_at") or "", "overdue": overdue(rec), "number": rec.get("number") or "",
        "outputs": rec.get("outputs") or [], "notices": rec.get("notices") or [],
    }
    return entries, now
