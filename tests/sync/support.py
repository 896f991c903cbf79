"""A real OA server on a loopback port (uvicorn in a thread), clients that sync with it,
and a fault-injecting `requests` adapter."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from oa_client.store.local import LocalStore, open_store
from oa_server.embedded import EmbeddedServer
from sync.engine import SyncEngine
from sync.transport import MemoryTokenStore, Transport
from tests.server.support import Clock, free_port, make_settings
from tests.support.file_keyring import FileKeyring

PASSWORD = "Demo@2026"


class LiveServer(EmbeddedServer):
    """The app on loopback in a thread, on a test database, with a settable clock."""

    def __init__(self, data_dir: Path, db_url: str, clock: Clock | None = None,
                 **settings) -> None:
        self.clock = clock or Clock()
        super().__init__(make_settings(data_dir, db_url, **settings), clock=self.clock)


class FaultyAdapter(HTTPAdapter):
    """Injects the faults of a bad network: lost requests, lost responses after the server
    applied them, 500/503, timeouts, truncated bodies."""

    FAULTS = ("drop_request", "drop_response", "error_500", "error_503_after", "timeout", "truncate")

    def __init__(self, rng: random.Random, rate: float = 0.0) -> None:
        super().__init__()
        self.rng = rng
        self.rate = rate
        self.counts: dict[str, int] = {}

    def send(self, request, **kwargs):
        fault = self.rng.choice(self.FAULTS) if self.rng.random() < self.rate else None
        if fault:
            self.counts[fault] = self.counts.get(fault, 0) + 1
        if fault == "drop_request":
            raise requests.ConnectionError("injected: request lost")
        if fault == "timeout":
            raise requests.Timeout("injected: timeout")
        if fault == "error_500":
            return _fake(request, 500)
        response = super().send(request, **kwargs)
        if fault == "drop_response":
            _ = response.content
            raise requests.ConnectionError("injected: response lost after the server applied it")
        if fault == "error_503_after":
            _ = response.content
            return _fake(request, 503)
        if fault == "truncate":
            body = response.content
            response._content = body[: len(body) // 2]
        return response


def _fake(request, status: int) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps({"code": "internal", "message": "injected"}).encode()
    resp.headers["Content-Type"] = "application/json"
    resp.request = request
    resp.url = request.url
    return resp


@dataclass
class Client:
    """One desktop: an encrypted profile, a transport, an engine."""

    name: str
    store: LocalStore
    transport: Transport
    engine: SyncEngine
    adapter: FaultyAdapter
    ops: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Close the profile."""
        self.store.close()


def make_client(server: LiveServer, root: Path, login: str, *, name: str | None = None,
                rng: random.Random | None = None, device_id: str | None = None) -> Client:
    """A signed-in client with its own profile and device."""
    name = name or login
    kr_dir = root / f"kr-{name}"
    kr_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(root / f"profile-{name}", keyring_backend=FileKeyring(kr_dir),
                       server_url=server.url, username=login)
    adapter = FaultyAdapter(rng or random.Random(0))
    http = requests.Session()
    http.mount("http://", adapter)
    transport = Transport(server.url, device_id=device_id or store.device_id(), device_name=name,
                          tokens=MemoryTokenStore(), http=http, sleep=lambda s: None)
    transport.login(login, PASSWORD)
    engine = SyncEngine(store, transport, batch=50, pull_limit=200)
    return Client(name=name, store=store, transport=transport, engine=engine, adapter=adapter)


def server_session(server, bind=None):
    """A database session on a test server (in-thread or process); `bind`: through another
    engine, as another server process would write."""
    factory = server.app.state.sessionmaker if hasattr(server, "app") else server.sessionmaker
    return factory(bind=bind) if bind is not None else factory()


def add_user(server, *, like: str, login: str, roles: tuple[str, ...], name: str = "张三") -> str:
    """An account in the same unit and section as `like`, with the same password (once:
    the PostgreSQL suite shares its org between tests); return its id."""
    from oa_server.models import User, UserRole

    with server_session(server) as session:
        found = session.query(User).filter_by(login=login).one_or_none()
        if found is not None:
            return str(found.id)
        model = session.query(User).filter_by(login=like).one()
        user = User(id=uuid.uuid4(), login=login, name=name, unit_id=model.unit_id,
                    department_id=model.department_id, password_hash=model.password_hash,
                    created_at=model.created_at, role_links=[UserRole(role_code=r) for r in roles])
        session.add(user)
        session.commit()
        return str(user.id)


def server_put(server, client, records: list[tuple[str, str, dict]], *, bind=None) -> None:
    """Write records straight into the server's store as `client`'s user would through the
    server (no module rules; who sees them is the rule's: a document its drafter and 科长,
    a meeting its invitees, an attachment its owner's readers); `bind` as for
    `server_session`."""
    from datetime import UTC, datetime

    from oa_server.models import User
    from oa_server.sync_push import server_batch

    unit = client.transport.user["unit"]["id"]
    with server_session(server, bind) as session:
        user = session.get(User, uuid.UUID(client.transport.user["id"]))
        now = server.clock() if getattr(server, "clock", None) is not None else datetime.now(UTC)
        with server_batch(session, user=user, now=now) as ctx:
            for collection, rid, data in records:
                ctx.put(collection, rid, data, unit_id=unit)
        session.commit()


def live_records(store: LocalStore, collection: str = "documents") -> dict[str, tuple[int, dict]]:
    """id → (rev, data) of a client's live records, local bookkeeping fields dropped."""
    out = {}
    for rec in store.records.list(collection, limit=100_000, order_by="id"):
        data = {k: v for k, v in rec.items() if k not in ("id", "rev", "deleted", "updated_at")}
        out[rec["id"]] = (rec["rev"], {k: v for k, v in data.items() if v is not None})
    return out


class ProcessServer:
    """`oa-server serve --workers 2` as a real process on a database URL (PostgreSQL); its
    scheduled jobs off unless asked (tests and benchmarks run them at moments they choose)."""

    def __init__(self, data_dir: Path, db_url: str, log: Path, workers: int = 2,
                 jobs: bool = False, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import sys

        from tests.server.support import CHEAP_ENV

        root = Path(__file__).resolve().parents[2]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url
        env = {**os.environ, **CHEAP_ENV, "PYTHONPATH": str(root),
               "OA_SERVER_DATABASE_URL": db_url, "OA_SERVER_JOBS": str(jobs).lower(),
               **(env or {})}
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oa_server", "--data-dir", str(data_dir), "serve",
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
             "--log-level", "warning"],
            cwd=data_dir.parent, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )
        from oa_server.db import make_engine, make_sessionmaker
        from tests.server.support import fixed_keys

        self.engine = make_engine(db_url)
        self.sessionmaker = make_sessionmaker(self.engine, keys=fixed_keys())
        self.clock = None

    def start(self) -> ProcessServer:
        """Wait until both workers answer."""
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace"))
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the workers and release the database."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.engine.dispose()

    def session(self):
        """A database session on the server's database (for assertions)."""
        return self.sessionmaker()
