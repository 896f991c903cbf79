"""Fixtures of the install tests: the packages `make test-dist` built, a copy of the cached
clean Debian root, a virtual screen, the demo server (with the demo's records and a large
attachment) on the address the test packages carry in client.ini.

These tests install packages into a Debian root and take minutes: they run under
`make test-dist` (OA_DIST_REQUIRED=1, run before a release), where a missing
package or root fails; under plain `make test` they are skipped, saying so."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "dist"
SHOTS = ROOT / "build" / "dist-shots"  # screenshots and numbers of the last run, to look at
PORT = 18790  # `make test-dist` builds the client with http://127.0.0.1:18790 in client.ini
USER = "liuyang"  # 刘洋, 秘书科科员: drafts, and reads what the demo sends his office
PASSWORD = "Demo@2026"
LARGE = "防汛物资储备明细（扫描件）.pdf"  # over the store's inline limit: an encrypted blob file
sys.path.insert(0, str(ROOT / "packaging"))

import clean_root  # noqa: E402

REQUIRED = os.environ.get("OA_DIST_REQUIRED") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Outside `make test-dist` the install tests do not run (they need its packages)."""
    if not REQUIRED:
        skip = pytest.mark.skip(reason="install tests: run by `make test-dist` (before a release), "
                                       "which builds the packages first")
        for item in items:
            if item.path.is_relative_to(Path(__file__).parent):
                item.add_marker(skip)


def _version(deb: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in clean_root.deb_field(deb, "Version").split("."))


@pytest.fixture(scope="session")
def debs() -> dict[str, Path]:
    """old/new client packages and the server package from build/dist."""
    arch = clean_root.dpkg_arch()
    clients = sorted(DIST.glob(f"zhengwu-oa_*_{arch}.deb"), key=_version)
    servers = sorted(DIST.glob(f"oa-server_*_{arch}.deb"), key=_version)
    if len(clients) != 2 or len(servers) != 1:
        pytest.fail(f"`make test-dist` makes two client packages and a server package in "
                    f"{DIST}; found {[p.name for p in clients + servers]}")
    return {"old": clients[0], "new": clients[1], "server": servers[0]}


@pytest.fixture
def root(debs: dict[str, Path], tmp_path: Path) -> Iterator[Path]:
    """A private copy of the cached clean root with the packages' Depends in its apt cache."""
    cached = clean_root.deps_root_path(list(debs.values()))
    if not clean_root.is_ready(cached):
        pytest.fail(f"no cached clean root for these packages ({cached}): "
                    "packaging/clean_root.py makes it")
    copy = tmp_path / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(cached), str(copy)], check=True)
    (copy / "tmp" / "debs").mkdir(parents=True, exist_ok=True)
    for deb in debs.values():
        shutil.copy(deb, copy / "tmp" / "debs" / deb.name)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)  # 1 GB each; the logs beside it stay


@pytest.fixture
def display() -> Iterator[str]:
    """An Xvfb screen on the host (a free display number); its socket is bound into the root."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """The demo org and its records on loopback at the address baked into the test packages,
    and a draft of USER's with a large attachment, made from another of his devices."""
    from demo_wiring import start_demo_server
    from oa_server.embedded import EmbeddedServer
    from ui.demo import seed_demo_records

    started = start_demo_server(tmp_path / "demo-server")  # migrated and seeded
    started.stop()
    if _port_in_use(PORT):
        pytest.fail(f"port {PORT} is taken: the test packages point their client at it")
    server = EmbeddedServer(started.settings, port=PORT).start()
    try:
        assert seed_demo_records(server.url, workdir=tmp_path / "seed") > 0
        _draft_with_large_attachment(server.url, tmp_path / "laptop")
        yield server.url
    finally:
        server.stop()


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _draft_with_large_attachment(url: str, work: Path) -> None:
    """USER drafts a 请示 on his laptop with a 6 MB scan attached, and syncs it."""
    from oa_client.services import documents as docs
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from sync.engine import SyncEngine
    from sync.org import fetch_org
    from sync.transport import MemoryTokenStore, Transport

    store = open_store(work, keyring_backend=MemoryKeyring(), server_url=url, username=USER)
    try:
        transport = Transport(url, device_id=store.device_id(), device_name="laptop",
                              tokens=MemoryTokenStore())
        transport.login(USER, PASSWORD)
        fetch_org(store, transport)
        city = next(u["id"] for u in store.records.list("units", limit=1000)
                    if u["name"] == "普宁市人民政府")
        me = transport.user
        doc_id, _ = docs.compose(store, me=me, fields={
            "doc_kind": "请示", "title": "普宁市人民政府办公室关于增拨防汛物资储备经费的请示",
            "main_to": [city], "urgency": "加急", "issuer_name": "普宁市人民政府办公室",
            "body": "今年汛期物资消耗较大，现有储备不足。\n恳请增拨经费 30 万元。\n妥否，请批示。"})
        scan = random.Random(23).randbytes(6 * 1024 * 1024)  # a scan does not compress
        docs.attach_file(store, me=me, doc_id=doc_id, name=LARGE, data=scan)
        report = SyncEngine(store, transport).sync()
        assert (report.rejected, report.conflicts) == (0, 0), report
    finally:
        store.close()
