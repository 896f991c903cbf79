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


#: a long-poll's answer, the response the city's idle desks get most
BODY = b'{"changed":false,"high_water":4711}'


def _data_segments_in(sock: socket.socket) -> int:
    """Segments with data this socket received (Linux `tcp_info.tcpi_data_segs_in`: the server
    runs on Linux, and so does this suite)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return int.from_bytes(info[152:156], "little")


@pytest.mark.parametrize("close", [False, True])
def test_an_answer_leaves_in_one_packet(close: bool) -> None:
    """The head and the body, written apart by uvicorn, reach the desk in one segment — also
    when the connection closes after the answer."""

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(BODY)).encode()),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": BODY})

    async def scenario() -> tuple[bytes, int]:
        loop = asyncio.get_running_loop()
        config = Config(app=app, http=nodelay.PROTOCOL, lifespan="off")
        config.load()
        server = await loop.create_server(
            lambda: NoDelayHttpToolsProtocol(config=config, server_state=ServerState(),
                                             app_state={}), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /sync/wait HTTP/1.1\r\nHost: x\r\n"
                     + (b"Connection: close\r\n" if close else b"") + b"\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        body = await reader.readexactly(len(BODY))
        segments = _data_segments_in(writer.get_extra_info("socket"))
        writer.close()
        server.close()
        return head + body, segments

    answer, segments = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(BODY)
    assert (b"connection: close" in answer.lower()) == close
    assert segments == 1
