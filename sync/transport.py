"""HTTP transport to the OA server on `requests`: auth with refresh, retries, zstd or gzip
bodies (`sync.protocol`), timeouts.

A 401 refreshes the access token once (rotating refresh token, kept by a
`TokenStore` — the OS keyring in the client) and resends; a failed refresh stops
with SyncError(kind="auth") so the UI can ask to sign in again, the outbox kept.
Network errors, timeouts, truncated bodies and 5xx/429 are retried a few times
quickly, then raised as SyncError(kind="network"/"server") for the engine's
backoff. 401/403/409/422 are never retried, nor a sign-in told to wait (429
`too_many_attempts`: SyncError(kind="throttled", retry_after=…)).

Two answers change what the client may do: a sign-in whose password must change first
(`password_change` after login: only the change is open; SyncError(kind="password")
for anything else), and a revoked device (SyncError(kind="revoked", final_push=…):
push what it may, say goodbye, remove the profile).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from oa_client.errors import SyncError
from oa_client.i18n import _
from sync import protocol
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    DigestResponse,
    PullResponse,
    PushResponse,
    UploadState,
    WaitResponse,
)
from sync.pull_page import PulledPage, read_pull

log = logging.getLogger(__name__)
API = "/api/v1"
COMPRESS_OVER = 1024
QUICK_RETRIES = (0.2, 0.6)
TIMEOUT = (5.0, 60.0)
_quote = json.encoder.encode_basestring  # a str as a JSON string literal


def _wire_bytes(resp: requests.Response, decoded: int) -> int:
    """Bytes that crossed the network for a response body (compressed, as sent)."""
    try:
        return int(resp.raw.tell())
    except (AttributeError, TypeError, ValueError, OSError):
        return decoded


class TokenStore(Protocol):
    """Where the rotating refresh token lives between runs (the keyring in the client)."""

    def load(self) -> str | None: ...
    def save(self, token: str | None) -> None: ...


class MemoryTokenStore:
    """A TokenStore in memory (tests, benchmarks)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def load(self) -> str | None:
        """The stored refresh token."""
        return self.token

    def save(self, token: str | None) -> None:
        """Replace the stored refresh token."""
        self.token = token


class KeyringTokenStore:
    """The refresh token in the OS keyring, next to the profile's database key."""

    SERVICE = "zhengwu-oa-client"

    def __init__(self, profile_id: str, *, backend: Any = None) -> None:
        import keyring

        self.name = f"{profile_id}:refresh"
        self.backend = backend or keyring.get_keyring()

    def load(self) -> str | None:
        """The stored refresh token, or None."""
        return self.backend.get_password(self.SERVICE, self.name)

    def save(self, token: str | None) -> None:
        """Store (or remove) the refresh token."""
        if token is None:
            try:
                self.backend.delete_password(self.SERVICE, self.name)
            except Exception:
                log.debug("no refresh token to delete")
        else:
            self.backend.set_password(self.SERVICE, self.name, token)


@dataclass
class Session:
    """Who we are signed in as."""

    user: dict
    access_token: str


@dataclass(frozen=True)
class EncodedJSON:
    """A request body already written as JSON text."""

    text: str


@dataclass(frozen=True)
class RequestBody:
    """Request bytes ready to send, with the headers that describe them (`plain`: the JSON
    itself, kept when it went out in zstd, for a server that turns out not to read that)."""

    data: bytes
    headers: dict[str, str]
    plain: bytes | None = None

    def in_gzip(self) -> RequestBody | None:
        """The same body in gzip, when it went out in zstd (None otherwise)."""
        if self.plain is None:
            return None
        return RequestBody(protocol.compress(self.plain, "gzip"),
                           {**self.headers, "Content-Encoding": "gzip"})


def encode_json(value: Any, coding: str = "gzip") -> RequestBody:
    """A JSON request body (`EncodedJSON` as it is), compressed in `coding` (gzip, or zstd for
    a server that reads it: `protocol.request_coding`) when it is not tiny."""
    data = (value.text if isinstance(value, EncodedJSON) else
            json.dumps(value, ensure_ascii=False, separators=(",", ":"))).encode()
    headers = {"Content-Type": "application/json"}
    if len(data) <= COMPRESS_OVER:
        return RequestBody(data, headers)
    headers["Content-Encoding"] = coding
    return RequestBody(protocol.compress(data, coding), headers,
                       plain=data if coding != "gzip" else None)


def server_seconds(header: str | None) -> float | None:
    """The server's time on a request from its `Server-Timing` header (the first metric's
    `dur`, milliseconds), None when absent or unreadable."""
    for param in (header or "").split(",", 1)[0].split(";")[1:]:
        name, _sep, value = param.strip().partition("=")
        if name == "dur":
            try:
                seconds = float(value.strip('"')) / 1000
            except ValueError:
                return None
            return seconds if 0 <= seconds < 3600 else None
    return None


class PreparedOps(list):
    """Push ops with their request body already encoded (ahead of the send, on another
    thread); iterated like the plain list of ops."""

    def __init__(self, ops: list[dict], body: RequestBody) -> None:
        super().__init__(ops)
        self.body = body


def push_body(device_id: str, ops: list[dict]) -> EncodedJSON:
    """The PushRequest JSON; payloads kept as the outbox stored them (text) are spliced in."""
    quote, parts = _quote, []
    for op in ops:
        fields = []
        for key, value in op.items():
            kind = type(value)
            if kind is str:
                text = value if key == "payload" else quote(value)
            elif kind is int:
                text = str(value)  # (a revision: json.dumps took twice as long as the rest)
            else:
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            fields.append(f"{quote(key)}:{text}")
        parts.append("{" + ",".join(fields) + "}")
    return EncodedJSON(f'{{"device_id":{quote(device_id)},"ops":[{",".join(parts)}]}}')


class Transport:
    """One server, one device: every call the sync engine makes."""

    def __init__(
        self, base_url: str, *, device_id: str, device_name: str = "desktop",
        tokens: TokenStore | None = None, http: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT, sleep: Callable[[float], None] = time.sleep,
        language: str = "zh-CN",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.device_name = device_name
        self.tokens = tokens or MemoryTokenStore()
        self.http = http or requests.Session()
        self.timeout = timeout
        self.sleep = sleep
        self.language = language
        self.access_token: str | None = None
        self.user: dict | None = None
        #: after a sign-in: {"code", "message"} when the password must change first
        self.password_change: dict | None = None
        #: after a sign-in or refresh: {"message", "final_push"} when this device was revoked
        self.device_revoked: dict | None = None
        self._refresh_lock = threading.Lock()
        self.bytes_sent = 0
        #: the server's own seconds on the last push (its `Server-Timing`), None if unsaid
        self.push_server_s: float | None = None
        #: the codings the server reads in a request body, as its last answer named them
        self.server_codings: tuple[str, ...] = protocol.FALLBACK
        self.bytes_received = 0

    # -- low level -----------------------------------------------------------------------

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept-Language": self.language,
                   "Accept-Encoding": ", ".join(protocol.CODINGS)}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        headers.update(extra or {})
        return headers

    def _send(self, method: str, path: str, *, body: bytes | None, params: dict | None,
              headers: dict | None) -> requests.Response:
        url = self.base_url + API + path
        last: Exception | None = None
        for delay in (*QUICK_RETRIES, None):
            try:
                resp = self.http.request(method, url, data=body, params=params,
                                         headers=self._headers(headers), timeout=self.timeout)
                told_to_wait = resp.status_code == 429 and "Retry-After" in resp.headers
                if resp.status_code in (429, 500, 502, 503, 504) and delay is not None \
                        and not told_to_wait:
                    last = SyncError(_("服务器暂时无法处理（{status}），稍后自动重试").format(
                        status=resp.status_code), kind="server", status=resp.status_code)
                    self.sleep(delay)
                    continue
                received = len(resp.content)  # read it all now: a broken body fails here
                # what this server reads in a request body, as its answer says (RFC 7694)
                self.server_codings = protocol.accepted(
                    resp.headers.get("Accept-Encoding")) or protocol.FALLBACK
                self.bytes_sent += len(body or b"")
                self.bytes_received += _wire_bytes(resp, received)
                return resp
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                last = exc
                if delay is None:
                    break
                self.sleep(delay)
        if isinstance(last, SyncError):
            raise last
        raise SyncError(_("无法连接服务器，已转为离线；恢复网络后会自动同步"), kind="network",
                        detail=type(last).__name__) from last

    def encode(self, value: Any) -> RequestBody:
        """A JSON request body in the coding this server reads best (`encode_json`)."""
        return encode_json(value, protocol.request_coding(self.server_codings))

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                data: bytes | RequestBody | None = None, headers: dict | None = None,
                auth: bool = True, expect: tuple[int, ...] = (200,)) -> requests.Response:
        """Send one request (refreshing the token once on 401) and check its status. A body
        sent in zstd to a server whose answer turns out not to name zstd (an older node
        behind the same address) goes again in gzip."""
        encoded = self.encode(json_body) if json_body is not None else data
        body, extra = encoded, dict(headers or {})
        if isinstance(encoded, RequestBody):
            body = encoded.data
            extra.update(encoded.headers)
        used = self.access_token
        resp = self._send(method, path, body=body, params=params, headers=extra)
        if resp.status_code == 401 and auth:
            with self._refresh_lock:
                # another thread may have refreshed meanwhile: a second refresh would replay
                # the used refresh token and end the whole sign-in
                if self.access_token == used or self.access_token is None:
                    self.refresh()
            resp = self._send(method, path, body=body, params=params, headers=extra)
        if resp.status_code in (415, 422) and isinstance(encoded, RequestBody) \
                and "zstd" not in self.server_codings and (again := encoded.in_gzip()):
            log.info("the server does not read zstd request bodies: sent again in gzip")
            extra.update(again.headers)
            resp = self._send(method, path, body=again.data, params=params, headers=extra)
        if resp.status_code not in expect:
            raise self._error(resp)
        return resp

    def _error(self, resp: requests.Response) -> SyncError:
        try:
            payload = resp.json()
            code, message = payload.get("code", ""), payload.get("message", "")
        except ValueError:
            payload, code, message = {}, "", ""
        kind = {
            401: "auth", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large",
            422: "invalid", 426: "upgrade",
        }.get(resp.status_code, "server")
        kind = {"device_revoked": "revoked", "password_change_required": "password",
                "too_many_attempts": "throttled"}.get(code, kind)
        if kind == "revoked":
            final_push = bool((payload.get("context") or {}).get("final_push"))
            return SyncError(message, kind=kind, status=resp.status_code, code=code,
                             body=payload, final_push=final_push)
        if kind == "throttled":
            return SyncError(message, kind=kind, status=resp.status_code, code=code,
                             body=payload, retry_after=int(payload.get("retry_after") or 1))
        if kind == "upgrade":
            message = message or _("客户端版本过旧，请升级客户端")
        if kind == "auth":
            message = message or _("登录已失效，请重新登录")
        return SyncError(message or _("服务器返回错误（{status}）").format(status=resp.status_code),
                         kind=kind, status=resp.status_code, code=code, body=payload)

    def _json(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise SyncError(_("服务器的回应不完整，稍后自动重试"), kind="network",
                            detail="truncated") from exc

    def _model(self, model, resp: requests.Response):
        """The answer read by a model (or a reader such as `read_pull`); a body it cannot
        read is a truncated answer, retried later."""
        read = getattr(model, "model_validate_json", model)
        try:
            return read(resp.content)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise SyncError(_("服务器的回应不完整，稍后自动重试"), kind="network",
                            detail="truncated") from exc

    # -- auth ------------------------------------------------------------------------------

    def login(self, login: str, password: str) -> dict:
        """Sign in with a password; keeps the access token and stores the refresh token."""
        resp = self.request(
            "POST", "/auth/login", auth=False,
            json_body={"login": login, "password": password, "device_id": self.device_id,
                       "device_name": self.device_name},
        )
        return self._take_tokens(self._json(resp))

    def _take_tokens(self, data: dict) -> dict:
        self.access_token = data["access_token"]
        self.tokens.save(data["refresh_token"])
        self.user = data["user"]
        self.password_change = data.get("password_change")
        self.device_revoked = data.get("device_revoked")
        return data["user"]

    def refresh(self) -> dict:
        """Trade the stored refresh token for a new pair; SyncError(kind="auth") if refused."""
        token = self.tokens.load()
        if not token:
            raise SyncError(_("登录已失效，请重新登录"), kind="auth")
        self.access_token = None
        resp = self._send("POST", "/auth/refresh",
                          body=json.dumps({"refresh_token": token, "device_id": self.device_id}).encode(),
                          params=None, headers={"Content-Type": "application/json"})
        if resp.status_code != 200:
            if resp.status_code in (401, 403):
                self.tokens.save(None)
            err = self._error(resp)
            if err.kind == "revoked":
                raise err
            raise SyncError(err.message or _("登录已失效，请重新登录"), kind="auth",
                            status=resp.status_code) from None
        return self._take_tokens(self._json(resp))

    def logout(self) -> None:
        """Sign out on the server and forget the tokens."""
        try:
            self.request("POST", "/auth/logout", expect=(204,))
        finally:
            self.access_token = None
            self.tokens.save(None)

    # -- sync --------------------------------------------------------------------------------

    def prepare_push(self, ops: list[dict]) -> PreparedOps:
        """The ops of a push with its request body encoded now, to be sent later."""
        return PreparedOps(ops, self.encode(push_body(self.device_id, ops)))

    def push(self, ops: list[dict]) -> PushResponse:
        """Send a batch of outbox ops; an op's `payload` may be its stored JSON text.
        `push_server_s` becomes the server's own time on it (None if it does not say)."""
        # the outbox's ops are already plain JSON values: sent as they are (the server checks)
        body = ops.body if isinstance(ops, PreparedOps) else self.encode(
            push_body(self.device_id, ops))
        self.push_server_s = None
        resp = self.request("POST", "/sync/push", data=body)
        self.push_server_s = server_seconds(resp.headers.get("Server-Timing"))
        return self._model(PushResponse, resp)

    def pull(self, cursor: int, *, limit: int = 1000, collection: str | None = None,
             server_id: str | None = None) -> PulledPage | PullResponse:
        """Changes after `cursor` (read by `sync.pull_page`)."""
        params: dict[str, Any] = {"cursor": cursor, "limit": limit}
        if collection:
            params["collection"] = collection
        if server_id:
            params["server_id"] = server_id
        resp = self.request("GET", "/sync/pull", params=params)
        return self._model(read_pull, resp)

    def digest(self) -> DigestResponse:
        """Per-collection counts and digests."""
        return DigestResponse.model_validate(self._json(self.request("GET", "/sync/digest")))

    def wait(self, cursor: int, *, timeout: float = 25.0, quiet: bool = False) -> WaitResponse:
        """Long-poll until something newer than `cursor` exists (or `timeout`); `quiet`: ask
        how far nothing of ours changed (`WaitResponse.quiet_until`; a server that does not
        know the question leaves it out)."""
        old = self.timeout
        self.timeout = (old[0], timeout + 10)
        params: dict[str, Any] = {"cursor": cursor, "timeout": timeout}
        if quiet:
            params["quiet"] = 1
        try:
            resp = self.request("GET", "/sync/wait", params=params)
        finally:
            self.timeout = old
        return WaitResponse.model_validate(self._json(resp))

    def stream(self, path: str, *, headers: dict | None = None) -> requests.Response:
        """GET `path` (under /api/v1 unless it starts with it) as a stream, signed in (one
        refresh on 401); the caller reads and closes it. Network trouble is SyncError."""
        url = self.base_url + (path if path.startswith(API) else API + path)
        for attempt in (1, 2):
            try:
                resp = self.http.get(url, headers=self._headers(headers), stream=True,
                                     timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise SyncError(_("无法连接服务器，已转为离线；恢复网络后会自动同步"),
                                kind="network", detail=type(exc).__name__) from exc
            if resp.status_code == 401 and attempt == 1:
                resp.close()
                with self._refresh_lock:
                    self.refresh()
                continue
            return resp
        return resp

    def ca_root(self) -> bytes:
        """The server CA's root certificate (PEM): the trust anchor for signed documents."""
        return self.request("GET", "/ca/root", auth=False).content

    # -- blobs -------------------------------------------------------------------------------

    def blob_size(self, sha256: str) -> int | None:
        """The size of a blob on the server, or None when it is not there."""
        resp = self.request("HEAD", f"/blobs/{sha256}", expect=(200, 404))
        return int(resp.headers.get("Content-Length", "0")) if resp.status_code == 200 else None

    def upload_start(self, sha256: str, size: int) -> UploadState:
        """Open (or learn the state of) an upload."""
        resp = self.request("POST", "/blobs/uploads", json_body={"sha256": sha256, "size": size})
        return UploadState.model_validate(self._json(resp))

    def upload_status(self, upload_id: str) -> UploadState:
        """Where an upload stands."""
        return UploadState.model_validate(self._json(self.request("GET", f"/blobs/uploads/{upload_id}")))

    def upload_chunk(self, upload_id: str, offset: int, data: bytes) -> UploadState:
        """Send one chunk at `offset`."""
        resp = self.request("PUT", f"/blobs/uploads/{upload_id}", params={"offset": offset},
                            data=data, headers={"Content-Type": "application/octet-stream"})
        return UploadState.model_validate(self._json(resp))

    def upload_finish(self, upload_id: str) -> UploadState:
        """Ask the server to check the hash and keep the blob."""
        resp = self.request("POST", f"/blobs/uploads/{upload_id}/finish")
        return UploadState.model_validate(self._json(resp))

    def download(self, sha256: str, *, start: int = 0, end: int | None = None) -> bytes:
        """A blob's bytes, or the range [start, end]."""
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        resp = self.request("GET", f"/blobs/{sha256}", headers=headers, expect=(200, 206))
        return resp.content

    def iter_download(self, sha256: str, *, size: int, chunk: int = 1 << 20,
                      start: int = 0) -> Iterator[bytes]:
        """A blob in ranged pieces, resuming from `start`."""
        pos = start
        while pos < size:
            piece = self.download(sha256, start=pos, end=min(size, pos + chunk) - 1)
            if not piece:
                raise SyncError(_("下载中断，稍后自动重试"), kind="network")
            pos += len(piece)
            yield piece
