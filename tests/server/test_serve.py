"""`oa-server serve` as a real process (two uvicorn workers) spoken to over loopback HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.support import CHEAP_ENV, PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(data_dir: Path, db_url: str, tmp_path: Path) -> Iterator[str]:
    """Start the server on a free loopback port; yield its base URL; stop it."""
    port = free_port()
    # A small body limit: an over-limit body still fits the socket buffers, so the client
    # finishes sending before the server answers 413 and closes.
    env = {**os.environ, **CHEAP_ENV, "PYTHONPATH": str(ROOT), "OA_SERVER_MAX_BODY_BYTES": "4096",
           "OA_SERVER_SIGNIN_DELAY_BASE": "60"}
    env.pop("OA_SERVER_DATABASE_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oa_server",
            "--data-dir",
            str(data_dir),
            "--database-url",
            db_url,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail((tmp_path / "serve.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not come up")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_real_server_round_trip(server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        signed = http.post(
            "/api/v1/auth/login",
            json={
                "login": "lianghaitao",
                "password": PASSWORD,
                "device_id": "pc-1",
                "device_name": "镇政府办公电脑",
            },
        )
        assert signed.status_code == 200, signed.text
        tokens = signed.json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        # Several requests: with two workers both processes answer; state is in the database.
        for _ in range(6):
            assert http.get("/api/v1/me", headers=auth).json()["name"] == "梁海涛"
        rotated = http.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": tokens["refresh_token"], "device_id": "pc-1"},
        )
        assert rotated.status_code == 200
        replay = http.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": tokens["refresh_token"], "device_id": "pc-1"},
        )
        assert replay.status_code == 401
        for _ in range(4):
            assert (
                http.get(
                    "/api/v1/me",
                    headers={"Authorization": f"Bearer {rotated.json()['access_token']}"},
                ).status_code
                == 401
            )
        missing = http.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
        assert missing.status_code == 404
        assert missing.json() == {"code": "not_found", "message": "No such address on this server"}
        docs = http.get("/docs")
        assert docs.status_code == 200 and "http" not in docs.text.replace("http-equiv", "")
        assert http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        # Sign-in delays live in the database: failures spread over both workers still count;
        # the (login, address) pair waits — never a lock of the account.
        for _ in range(3):
            http.post(
                "/api/v1/auth/login",
                json={
                    "login": "yanglan",
                    "password": "Wrong@2026",
                    "device_id": "pc-2",
                    "device_name": "x",
                },
            )
        locked = http.post(
            "/api/v1/auth/login",
            json={
                "login": "yanglan",
                "password": PASSWORD,
                "device_id": "pc-2",
                "device_name": "x",
            },
        )
        assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
        assert locked.json()["retry_after"] > 50 and int(locked.headers["Retry-After"]) > 50
        too_big = http.post(
            "/api/v1/auth/login",
            content=b"x" * 8192,
            headers={"Content-Type": "application/json"},
        )
        assert too_big.status_code == 413
    # what the operator reads: our messages, no library notices (pyhanko's DSA deprecation)
    assert "Warning" not in (tmp_path / "serve.log").read_text(errors="replace")
