"""The 公文 flow on the client: which template applies, who holds a role (local org cache),
and the flow state replayed from the local events (the server's and our own pending ones)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from oa_client.domain.workflow import (
    DEFAULT_FLOWS_DIR,
    Delegation,
    Event,
    FlowDefinition,
    FlowState,
    Workflow,
    read_definition,
)
from oa_client.store.local import LocalStore

EVENT_FIELDS = tuple(Event.model_fields)
#: server statuses of a flow event; a local event not yet synced has "pending"
LIVE_STATUSES = ("applied", "pending")


@lru_cache(maxsize=32)
def _definition(direction: str, doc_code: str) -> FlowDefinition:
    if doc_code:
        override = DEFAULT_FLOWS_DIR / "units" / f"{doc_code}.{direction}.json"
        if override.is_file():
            return read_definition(override)
    return read_definition(DEFAULT_FLOWS_DIR / f"{direction}.json")


def flow_definition(direction: str, doc_code: str | None = None) -> FlowDefinition:
    """The flow a document follows: the unit's template (resources/flows/units/<代字>.<direction>.json)
    or the shipped default for its direction."""
    return _definition("incoming" if direction == "incoming" else "outgoing", doc_code or "")


class LocalOrg:
    """OrgResolver over the local org cache (users with `roles`, `unit_id`, `department_id`)."""

    def __init__(self, store: LocalStore) -> None:
        self._users = store.records.list("users", limit=100_000, order_by="name")

    def holders(self, role: str, *, unit_id: str | None, department_id: str | None,
                context: Mapping[str, Any]) -> list[str]:
        """Users of the unit (and department, when given) holding the role."""
        return [u["id"] for u in self._users
                if u.get("unit_id") == unit_id and role in (u.get("roles") or [])
                and (department_id is None or u.get("department_id") == department_id)]


class FallbackOrg:
    """Holders from the handling unit, else (same role) from the addressed unit: a 收文 for the
    市政府 is handled by its 办公室, and the 市政府's leaders 批示 (mirrors the server)."""

    def __init__(self, org: LocalOrg, handler: str, addressed: str) -> None:
        self.org, self.handler, self.addressed = org, handler, addressed

    def holders(self, role: str, *, unit_id: str | None, department_id: str | None,
                context: Mapping[str, Any]) -> list[str]:
        """The handling unit's holders, or the addressed unit's when it has none."""
        found = self.org.holders(role, unit_id=unit_id, department_id=department_id,
                                 context=context)
        if found or unit_id != self.handler or department_id is not None:
            return found
        return self.org.holders(role, unit_id=self.addressed, department_id=None, context=context)


def event_of(record: dict[str, Any]) -> Event:
    """The workflow event inside an event record (its other fields set aside)."""
    data = {k: record[k] for k in EVENT_FIELDS if k in record and record[k] is not None}
    data["id"] = record["id"]
    return Event.model_validate(data)


def event_records(store: LocalStore, doc_id: str) -> list[dict[str, Any]]:
    """Every local event record of a document: server-taken ones in the server's order (those
    answered but not yet pulled last), then our pending ones in the order we made them."""
    rows = store.records.list("document_events", where={"document_id": doc_id},
                              order_by="created_at", limit=10_000)
    # the server's order is `seq` (a child's revision moves when the document's audience does);
    # an event the server took but we have not pulled yet has its revision, not yet its seq:
    # it is newer than every pulled one (as in requests' timeline)
    taken = sorted((r for r in rows if int(r.get("rev") or 0) > 0),
                   key=lambda r: (not r.get("seq"), int(r.get("seq") or 0), int(r["rev"])))
    pending = [r for r in rows if int(r.get("rev") or 0) <= 0]
    for r in pending:
        r.setdefault("status", "pending")
        if not r.get("status"):
            r["status"] = "pending"
    return taken + pending


def local_delegations(store: LocalStore) -> list[Delegation]:
    """Standing 委托 records (collection `delegations`) known on this device."""
    out = []
    for rec in store.records.list("delegations", limit=10_000):
        try:
            out.append(Delegation(principal_id=rec["principal_id"], delegate_id=rec["delegate_id"],
                                  start=date.fromisoformat(str(rec["start"])),
                                  end=date.fromisoformat(str(rec["end"])), event_id=rec["id"]))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def unit_code(store: LocalStore, unit_id: str | None) -> str:
    """A unit's 发文机关代字 from the local org cache ('' when unknown)."""
    rows = store.records.get_many("units", [unit_id]) if unit_id else {}
    return str((rows.get(unit_id or "") or {}).get("doc_code") or "")


def workflow_for(store: LocalStore, doc: dict[str, Any]) -> Workflow:
    """The engine for a document, resolving holders from the local org cache."""
    code = unit_code(store, doc.get("unit_id"))
    resolver: LocalOrg | FallbackOrg = LocalOrg(store)
    handler, addressed = doc.get("unit_id"), doc.get("recipient_unit_id")
    if doc.get("direction") == "incoming" and addressed and addressed != handler:
        resolver = FallbackOrg(resolver, str(handler), str(addressed))
    return Workflow(flow_definition(doc.get("direction") or "outgoing", code),
                    resolver=resolver, delegations=local_delegations(store))


def replay(store: LocalStore, doc: dict[str, Any]) -> tuple[Workflow, FlowState, list[dict]]:
    """(engine, state, event records) for a document: the server's taken events and our
    pending ones replayed in order; superseded/rejected ones are kept out of the state."""
    workflow = workflow_for(store, doc)
    records = event_records(store, doc["id"])
    events = []
    for rec in records:
        if rec.get("status") in LIVE_STATUSES and not rec.get("receipt_action"):
            try:
                events.append(event_of(rec))
            except ValueError:
                continue
    return workflow, workflow.replay(events), records


def dumps_values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Form values as plain JSON data (dates as ISO text)."""
    def plain(v: Any) -> Any:
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        return v
    return json.loads(json.dumps({k: plain(v) for k, v in (values or {}).items()},
                                 ensure_ascii=False, default=str))
