"""`oa-server demo`: seed the 普宁市 demo org chart (idempotent; every user has one known password)."""

from __future__ import annotations

import json
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from oa_server.orgimport import Entry, ImportReport, import_entries, parse_json

DEMO_PASSWORD = "Demo@2026"  # noqa: S105  (published demo password, see DEMO.md)
DEMO_FILE = Path(__file__).resolve().parent / "demo_org.json"


def demo_users() -> list[dict[str, object]]:
    """The demo users as listed in demo_org.json."""
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))["users"]


def demo_entries() -> list[Entry]:
    """The demo org chart as import entries."""
    return parse_json(DEMO_FILE.read_text(encoding="utf-8"))


def seed(session: Session, *, hasher: PasswordHasher, actor: str = "cli:demo") -> ImportReport:
    """Create whatever of the demo org chart is missing; the caller commits."""
    return import_entries(
        session,
        actor=actor,
        hasher=hasher,
        entries=demo_entries(),
        skip_existing=True,
        default_password=DEMO_PASSWORD,
    )
