"""HTTP protocol for uvicorn that answers without Nagle's delay on every connection, and in
one write.

With `--workers N > 1` uvicorn binds the listening socket itself with protocol 0, and
asyncio only switches TCP_NODELAY on for sockets whose protocol says TCP: every small
response then waited ~40 ms for the peer's delayed ACK. Setting it per connection fixes
that whatever created the socket.

Without Nagle, each write is a packet of its own, and uvicorn writes a response's head and
its body apart: two sends, two packets, two wake-ups of the desk for one answer (a city of
desks at rest re-sending their long-polls pays it some eighty times a second). The writes a
response makes in one turn of the event loop are gathered and sent together at the end of
that turn (`Coalescing`); closing sends what is gathered first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # the C parser (uvicorn's "standard" extra): several times cheaper per request
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a declared dependency
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


class Coalescing:
    """A transport that gathers the writes of one event-loop turn into one send."""

    __slots__ = ("_loop", "_pending", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        """Gather `data`; sent with the turn's other writes when the turn ends."""
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def flush(self) -> None:
        """Send what is gathered, in one write."""
        pending, self._pending = self._pending, None
        if pending and not self.transport.is_closing():
            self.transport.writelines(pending)  # (uvloop: one writev, nothing copied)

    def close(self) -> None:
        """Send what is gathered, then close."""
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY set on each accepted connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Turn off Nagle's algorithm, then serve as usual."""
        _no_delay(transport)
        super().connection_made(transport)


if HttpToolsProtocol is not None:

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with TCP_NODELAY on each connection and its writes gathered."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            """Turn off Nagle's algorithm; serve as usual, each turn's writes sent together."""
            _no_delay(transport)
            loop = asyncio.get_running_loop()
            super().connection_made(Coalescing(transport, loop))  # type: ignore[arg-type]

    PROTOCOL = "oa_server.nodelay:NoDelayHttpToolsProtocol"
else:  # pragma: no cover
    PROTOCOL = "oa_server.nodelay:NoDelayH11Protocol"
