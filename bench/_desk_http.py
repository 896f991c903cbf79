"""What the long-poll benches' desks share: signing in, request headers, and the raw
HTTP/1.1 exchange the lightweight asyncio desks hold `/sync/wait` with."""

from __future__ import annotations

import asyncio

import requests

from oa_server.demo import DEMO_PASSWORD
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION


def sign_in(base: str, login: str, device: str) -> str:
    """A demo user's access token for `device`."""
    r = requests.post(f"{base}/api/v1/auth/login", json={
        "login": login, "password": DEMO_PASSWORD, "device_id": device,
        "device_name": "bench"}, timeout=60)
    r.raise_for_status()
    return str(r.json()["access_token"])


def desk_headers(token: str) -> dict[str, str]:
    """The headers of a desk's requests (requests' form)."""
    return {"Authorization": f"Bearer {token}", PROTOCOL_HEADER: str(PROTOCOL_VERSION)}


def get_request(port: int, token: str, path: str) -> bytes:
    """A keep-alive GET of `path` on 127.0.0.1:`port`, as bytes to write."""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\n\r\n").encode()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next answer on a keep-alive connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), body


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int,
              token: str, path: str) -> tuple[int, bytes]:
    """Send a GET on the connection and read its answer."""
    writer.write(get_request(port, token, path))
    await writer.drain()
    return await read_answer(reader)
