"""ASGI middleware: the request's language, and the request body size limit (413)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oa_server.i18n import _, human_size, negotiate, use_language

DRAIN_CAP = 1024 * 1024


class LanguageAndLimit:
    """Sets the language from Accept-Language and refuses bodies over `max_body_bytes`.

    The body is read up front (it is bounded by the limit), so an oversized request
    is answered 413 before any route sees it, with or without Content-Length.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        language = negotiate(headers.get("accept-language"))
        with use_language(language):
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await self._drain(receive)
                await self._too_large(send)
                return
            if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") and length in (None, "0"):
                await self.app(scope, receive, send)
                return
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    if message.get("more_body", False):
                        await self._drain(receive)
                    await self._too_large(send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            replay: list[Message] = [
                {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            ]

            async def replay_receive() -> Message:
                if replay:
                    return replay.pop()
                return await receive()

            await self.app(scope, replay_receive, send)

    @staticmethod
    async def _drain(receive: Receive) -> None:
        """Read and drop up to DRAIN_CAP more bytes before answering 413."""
        # Closing a socket with unread data makes the kernel send RST, which can destroy
        # the 413 before the client reads it.
        drained = 0
        while drained < DRAIN_CAP:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _too_large(self, send: Send) -> None:
        body: dict[str, Any] = {
            "code": "payload_too_large",
            "message": _("请求内容超过 {size} 的上限").format(size=human_size(self.max_body_bytes)),
        }
        data = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
