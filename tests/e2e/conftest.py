"""Fixtures for end-to-end tests: the demo-seeded server over HTTP (as in tests/sync), and
`desks` — signed-in desktop clients of demo users that act through the documents service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oa_client.services import documents as docs
from sync.engine import SyncReport
from sync.org import fetch_org
from tests.sync.conftest import server, sync_template
from tests.sync.support import Client, LiveServer, make_client

__all__ = ["Desk", "desks", "server", "sync_template"]


@dataclass
class Desk:
    """One official at their desktop: a synced client, who they are, the documents service."""

    client: Client

    @property
    def me(self) -> dict:
        """The signed-in user as /me returns it."""
        return self.client.transport.user

    @property
    def id(self) -> str:
        """The user's id."""
        return str(self.me["id"])

    @property
    def store(self):
        """The desk's encrypted local store."""
        return self.client.store

    def sync(self, *, clean: bool = True) -> SyncReport:
        """Push and pull; with `clean`, fail on any rejection or conflict."""
        report = self.client.engine.sync()
        if clean:
            assert (report.rejected, report.conflicts) == (0, 0), self.problems()
        return report

    def problems(self) -> list[tuple]:
        """Rows of the local conflicts table (rejected/superseded/conflicting ops)."""
        return self.store.db.query("SELECT * FROM conflicts")

    def act(self, doc_id: str, action: str, step: str | None = None, **kw) -> SyncReport:
        """Take a flow action through the service and sync it."""
        docs.act(self.store, me=self.me, doc_id=doc_id, action=action, step=step, **kw)
        return self.sync()

    def view(self, doc_id: str) -> docs.DocumentView:
        """The document window's data for this user (after a sync)."""
        return docs.open_document(self.store, doc_id, me=self.me)

    def doc(self, doc_id: str) -> dict:
        """The local document record."""
        return self.store.records.get("documents", doc_id)


@pytest.fixture
def desks(server: LiveServer, tmp_path: Path) -> Iterator[dict[str, Desk]]:
    """login → Desk, made on first use (each with its own profile and org cache)."""
    made: dict[str, Desk] = {}

    class _Desks(dict):
        def __missing__(self, login: str) -> Desk:
            desk = Desk(make_client(server, tmp_path, login))
            fetch_org(desk.store, desk.client.transport)
            desk.sync()
            made[login] = desk
            self[login] = desk
            return desk

    yield _Desks()
    for desk in made.values():
        desk.client.close()
