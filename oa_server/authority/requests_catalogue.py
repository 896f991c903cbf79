"""The catalogue (事项清单) administered on the server: imported from a file, stored as
`service_items` records everyone reads, one record per item version.

A request names the version it was filed under (`service_item_id`), so a catalogue
import never changes the form or flow of a request already in progress; older
versions and items left out of the file are marked `retired` (no new requests).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.domain.catalogue import STARTER_CATALOGUE, Catalogue, ServiceItem
from oa_client.domain.catalogue_io import export_catalogue, load_catalogue
from oa_server.authority.context import Ctx
from oa_server.models import User, UserRole
from oa_server.sync_push import server_batch

NAMESPACE = uuid.UUID("6f1d3c52-7a0e-4b8a-9c61-0d5e2f6a9b10")


def item_record_id(code: str, version: int) -> str:
    """The stable record id of one version of an item."""
    return str(uuid.uuid5(NAMESPACE, f"{code}@{version}"))


def item_data(item: ServiceItem) -> dict[str, Any]:
    """The record data of an item: indexed columns plus the whole definition as JSON."""
    body = json.loads(export_catalogue(Catalogue(items=[item])))["items"][0]
    return {"code": item.code, "name": item.name, "en": item.en, "category": item.category,
            "version": item.version, "promise_days": item.promise_days,
            "description": item.description, "item": body, "retired": False}


@lru_cache(maxsize=256)
def _parse(text: str) -> ServiceItem:
    return ServiceItem.model_validate(json.loads(text))


def item_of(record: dict[str, Any] | None) -> ServiceItem | None:
    """The ServiceItem a stored record holds (None when absent or unreadable)."""
    if not record or not isinstance(record.get("item"), dict):
        return None
    try:
        return _parse(json.dumps(record["item"], sort_keys=True, ensure_ascii=False))
    except ValueError:
        return None


def store_catalogue(ctx: Ctx, catalogue: Catalogue) -> dict[str, int]:
    """Write every item (audience `all`), retire older versions and items not in the file."""
    keep = {item_record_id(i.code, i.version) for i in catalogue.items}
    written = retired = 0
    for item in catalogue.items:
        ctx.put("service_items", item_record_id(item.code, item.version), item_data(item),
                )
        written += 1
    for rec in ctx.records("service_items"):
        if rec["id"] not in keep and not rec.get("retired"):
            data = {k: v for k, v in rec.items() if k not in ("id", "rev", "unit_id", "created_by")}
            ctx.put("service_items", rec["id"], {**data, "retired": True})
            retired += 1
    ctx.audit("catalogue.import", target="service_items",
              details={"items": written, "retired": retired,
                       "codes": [i.code for i in catalogue.items]})
    return {"items": written, "retired": retired}


def admin_user(session: Session) -> User | None:
    """The first system administrator (who the demo seeding acts as)."""
    return session.scalar(select(User).join(UserRole, UserRole.user_id == User.id)
                          .where(UserRole.role_code == "sysadmin").order_by(User.login))


def import_catalogue(session: Session, source: str | bytes, *, user: User, now: datetime
                     ) -> dict[str, int]:
    """Check a catalogue file (ValidationError naming the line when broken) and store it; caller commits."""
    catalogue = load_catalogue(source)
    with server_batch(session, user=user, now=now) as ctx:
        return store_catalogue(ctx, catalogue)


def seed_starter(session: Session, *, now: datetime) -> dict[str, int]:
    """Import the shipped starter catalogue (demo); nothing when there is no administrator."""
    user = admin_user(session)
    if user is None:
        return {"items": 0, "retired": 0}
    return import_catalogue(session, STARTER_CATALOGUE.read_bytes(), user=user, now=now)
