"""Fixtures of the install tests: the packages `make test-dist` built, a copy of the cached
clean Debian root, a virtual screen, the demo server on the port the packages were built for.

`make test` has neither the packages nor (maybe) the root: these tests skip there, saying so;
`make test-dist` builds both first and sets OA_DIST_REQUIRED=1, so a missing piece fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "dist"
SHOTS = ROOT / "build" / "dist-shots"
PORT = 18790  # `make test-dist` builds the client with http://127.0.0.1:18790 in client.ini
sys.path.insert(0, str(ROOT / "packaging"))

import clean_root  # noqa: E402


def _missing(why: str) -> None:
    if os.environ.get("OA_DIST_REQUIRED") == "1":
        pytest.fail(why)
    pytest.skip(why + " — run `make test-dist`")


def _version(deb: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in clean_root.deb_field(deb, "Version").split("."))


@pytest.fixture(scope="session")
def debs() -> dict[str, Path]:
    """old/new client packages and the server package from build/dist."""
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=False).stdout.strip()
    clients = sorted(DIST.glob(f"zhengwu-oa_*_{arch}.deb"), key=_version)
    servers = sorted(DIST.glob(f"oa-server_*_{arch}.deb"), key=_version)
    if len(clients) < 2 or not servers:
        _missing("two client packages and a server package are needed in build/dist")
    return {"old": clients[-2], "new": clients[-1], "server": servers[-1]}


@pytest.fixture
def root(debs: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the cached clean root with the packages' Depends in its apt cache."""
    cached = clean_root.deps_root_path(list(debs.values()))
    if not clean_root.is_ready(cached):
        _missing(f"no cached clean root for these packages ({cached.name})")
    copy = tmp_path / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(cached), str(copy)], check=True)
    (copy / "tmp" / "debs").mkdir(parents=True, exist_ok=True)
    for deb in debs.values():
        shutil.copy(deb, copy / "tmp" / "debs" / deb.name)
    return copy


@pytest.fixture
def display() -> Iterator[str]:
    """An Xvfb screen on the host; its socket is bound into the root."""
    number = 90 + os.getpid() % 200
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1400x900x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """The demo org on loopback at the address baked into the test packages."""
    from demo_wiring import start_demo_server
    from oa_server.embedded import EmbeddedServer

    started = start_demo_server(tmp_path / "demo-server")  # migrated and seeded
    started.stop()
    server = EmbeddedServer(started.settings, port=PORT).start()
    yield server.url
    server.stop()
