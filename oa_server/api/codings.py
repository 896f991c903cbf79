"""Content codings on the server: request bodies read in zstd or gzip (bounded), answers
written in zstd to a desk that takes it (else gzip), and every answer naming the codings the
server reads in a request (`Accept-Encoding`, RFC 7694), so a desk knows it may send zstd."""

from __future__ import annotations

import gzip
import zlib

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oa_client.errors import ValidationError
from oa_server.errors import PayloadTooLarge, UnsupportedEncoding
from oa_server.i18n import _, human_size
from sync import protocol

#: what this server reads in a request body, and the `Accept-Encoding` every answer carries
READ_CODINGS = protocol.CODINGS
READS = ", ".join(READ_CODINGS).encode()


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(_("解压后的请求内容超过 {size} 的上限").format(size=human_size(limit)),
                           limit=limit)


def decode_body(raw: bytes, coding: str, *, limit: int) -> bytes:
    """The body as sent, or decoded from gzip or zstd — never past `limit` bytes (a small
    compressed body can hold gigabytes of zeros); on a worker thread, never the event loop."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return raw
    if coding == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = inflater.decompress(raw, limit)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise ValidationError(_("请求内容不是有效的 gzip 数据"), field="body") from exc
        if inflater.unconsumed_tail:
            raise _too_large(limit)
        return out
    if coding == "zstd" and "zstd" in READ_CODINGS:
        return _unzstd(raw, limit)
    raise UnsupportedEncoding(_("服务器不支持这种请求压缩格式：{coding}").format(coding=coding),
                              coding=coding, accepted=list(READ_CODINGS))


def _unzstd(raw: bytes, limit: int) -> bytes:
    """One zstd frame, decoded up to `limit` bytes."""
    zstd = protocol.zstd
    assert zstd is not None
    bad = ValidationError(_("请求内容不是有效的 zstd 数据"), field="body")
    try:
        decoder = zstd.ZstdDecompressor()
        out = decoder.decompress(raw, max_length=limit)
        if not decoder.eof and not decoder.needs_input:
            raise _too_large(limit)  # more is waiting than the limit lets out
    except zstd.ZstdError as exc:
        raise bad from exc
    if not decoder.eof or decoder.unused_data:
        raise bad  # cut short, or more than the one frame a desk sends
    return out


class ZstdResponder(IdentityResponder):
    """An answer written in zstd (in blocks as a streamed answer goes, one frame in all)."""

    content_encoding = "zstd"

    def __init__(self, app: ASGIApp, minimum_size: int, *, thread_minimum_size: int,
                 exclude_content_types: tuple[str, ...]) -> None:
        super().__init__(app, minimum_size, exclude_content_types=exclude_content_types)
        self.thread_minimum_size = thread_minimum_size
        self._compressor = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """The next piece of the frame (large ones compressed off the event loop)."""
        if len(body) >= self.thread_minimum_size:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        zstd = protocol.zstd
        assert zstd is not None
        if self._compressor is None:
            self._compressor = zstd.ZstdCompressor(level=protocol.ZSTD_LEVEL)
        mode = zstd.ZstdCompressor.FLUSH_BLOCK if more_body else zstd.ZstdCompressor.FLUSH_FRAME
        return self._compressor.compress(body, mode)


class Compression(GZipMiddleware):
    """Answers in zstd for a desk that takes it, else gzip (Starlette's), else as they are."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pick the coding from the request's `Accept-Encoding`."""
        if scope["type"] != "http":  # pragma: no cover
            await self.app(scope, receive, send)
            return

        offered = protocol.accepted(Headers(scope=scope).get("accept-encoding"))
        responder: ASGIApp
        if "zstd" in offered and protocol.zstd is not None:
            responder = ZstdResponder(self.app, self.minimum_size,
                                      thread_minimum_size=self.thread_minimum_size,
                                      exclude_content_types=self.exclude_content_types)
        elif "gzip" in offered:
            responder = GZipResponder(self.app, self.minimum_size,
                                      compresslevel=self.compresslevel,
                                      thread_minimum_size=self.thread_minimum_size,
                                      exclude_content_types=self.exclude_content_types)
        else:
            responder = IdentityResponder(self.app, self.minimum_size,
                                          exclude_content_types=self.exclude_content_types)
        await responder(scope, receive, send)


class NamesReads:
    """Outermost: every answer, those made beside the framework too (a quick long-poll
    answer, the body-limit 413), names what this server reads in a request body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add `Accept-Encoding: <READS>` to the answer's headers."""
        if scope["type"] != "http":  # pragma: no cover
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"accept-encoding", READS)]
            await send(message)

        await self.app(scope, receive, stamped)
