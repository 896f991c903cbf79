"""Demo records put on a demo server the way a client would: sign in as each author,
save locally, sync. No Qt here; `main.py --demo`, the screenshots and tests call it."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from oa_client.services.demo_records import AUTHORS, PROBE, demo_records
from oa_client.services.records import save
from oa_client.store.keys import MemoryKeyring
from oa_client.store.local import open_store
from sync.engine import SyncEngine
from sync.transport import MemoryTokenStore, Transport

log = logging.getLogger(__name__)
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 (the published demo password)
DEMO_SYSADMIN = "huangwei"


def demo_directory(server_url: str) -> dict[str, dict]:
    """login → account of every demo user, as the demo system administrator lists them (the
    通讯录 names no logins; the demo seeder works by login)."""
    admin = Transport(server_url, device_id="demo-seed-directory", tokens=MemoryTokenStore())
    admin.login(DEMO_SYSADMIN, DEMO_PASSWORD)
    try:
        return {p["login"]: p for p in admin.request("GET", "/admin/users").json()}
    finally:
        admin.logout()


def seed_demo_records(server_url: str, *, workdir: Path | None = None) -> int:
    """Create the demo records on the server unless it has some already; return how many."""
    root = Path(workdir or tempfile.mkdtemp(prefix="oa-demo-seed-"))
    kr = MemoryKeyring()
    created = 0
    try:
        probe = Transport(server_url, device_id="demo-seed-probe", tokens=MemoryTokenStore())
        probe.login(PROBE, DEMO_PASSWORD)
        if probe.digest().collections.get("documents"):
            return 0
        people = demo_directory(server_url)
        plan = demo_records(people)
        for author in AUTHORS:
            store = open_store(root / author, keyring_backend=kr, server_url=server_url,
                               username=author)
            try:
                transport = Transport(server_url, device_id=store.device_id(),
                                      tokens=MemoryTokenStore())
                transport.login(author, DEMO_PASSWORD)
                for collection, record in plan[author]:
                    save(store, collection, record)
                    created += 1
                SyncEngine(store, transport).sync()
            finally:
                store.close()
        # 零跑动事项 go through the real catalogue and flows
        from ui.requests.demo import seed_requests

        created += seed_requests(server_url, root=root, keyring=kr, password=DEMO_PASSWORD,
                                 people=people)
        created += _seed_documents(server_url, root=root, keyring=kr,
                                   people=people)  # 公文 through real flows
        log.info("demo records seeded: %d", created)
        return created
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Desk:
    """A demo user's desk for oa_client.services.documents_demo: store, /me, sync()."""

    def __init__(self, server_url: str, root: Path, keyring, login: str) -> None:
        from sync.org import fetch_org

        self.store = open_store(root / f"doc-{login}", keyring_backend=keyring,
                                server_url=server_url, username=login)
        self.transport = Transport(server_url, device_id=self.store.device_id(),
                                   tokens=MemoryTokenStore())
        self.me = self.transport.login(login, DEMO_PASSWORD)
        fetch_org(self.store, self.transport)
        self.engine = SyncEngine(self.store, self.transport)

    def sync(self) -> None:
        """Push and pull."""
        self.engine.sync()


def _seed_documents(server_url: str, *, root: Path, keyring, people: dict[str, dict]) -> int:
    """Carry the demo 公文 along their flows, each step by the demo user who holds it."""
    from oa_client.services.documents_demo import seed_documents

    desks: list[_Desk] = []

    def open_desk(login: str) -> _Desk:
        desks.append(_Desk(server_url, root, keyring, login))
        return desks[-1]

    try:
        return seed_documents(open_desk, people=people)
    finally:
        for d in desks:
            d.store.close()
