"""Each accepted connection answers without Nagle's delay, whoever bound the socket."""

from __future__ import annotations

import asyncio
import socket

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from oa_server import nodelay
from oa_server.nodelay import NoDelayH11Protocol, NoDelayHttpToolsProtocol


def test_serve_uses_the_c_parser_with_nodelay() -> None:
    # `oa-server serve` names this protocol; httptools is a declared server dependency
    assert nodelay.PROTOCOL == "oa_server.nodelay:NoDelayHttpToolsProtocol"


@pytest.mark.parametrize("protocol", [NoDelayH11Protocol, NoDelayHttpToolsProtocol])
def test_accepted_connection_gets_tcp_nodelay(protocol) -> None:
    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        # protocol 0, as uvicorn binds it for several workers: asyncio leaves Nagle on
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        config = Config(app=lambda *a: None, http=f"oa_server.nodelay:{protocol.__name__}")
        config.load()
        seen: list[int] = []

        def factory():
            proto = protocol(config=config, server_state=ServerState(), app_state={})
            original = proto.connection_made

            def made(transport):
                original(transport)
                sock = transport.get_extra_info("socket")
                seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            proto.connection_made = made
            return proto

        server = await loop.create_server(factory, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return seen[0]

    assert asyncio.run(scenario()) != 0
