"""HTTP protocol for uvicorn that answers without Nagle's delay on every connection.

With `--workers N > 1` uvicorn binds the listening socket itself with protocol 0, and
asyncio only switches TCP_NODELAY on for sockets whose protocol says TCP: every small
response then waited ~40 ms for the peer's delayed ACK. Setting it per connection fixes
that whatever created the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # the C parser (uvicorn's "standard" extra): several times cheaper per request
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a declared dependency
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


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
        """uvicorn's httptools protocol with TCP_NODELAY set on each accepted connection."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            """Turn off Nagle's algorithm, then serve as usual."""
            _no_delay(transport)
            super().connection_made(transport)

    PROTOCOL = "oa_server.nodelay:NoDelayHttpToolsProtocol"
else:  # pragma: no cover
    PROTOCOL = "oa_server.nodelay:NoDelayH11Protocol"
