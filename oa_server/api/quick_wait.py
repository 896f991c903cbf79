"""The long-poll of a desk at rest, answered beside the framework: a desk re-sends `/sync/wait`
every 25 s all day, so what each wait costs the server's CPU is what a city's idle desks cost.

A wait whose sign-in this worker already vouches for (oa_server.wait_signins), with the
current protocol and a plain query (`cursor`, `timeout`, `quiet`), is answered by
`QuickWait`, an ASGI middleware outside the app's others: the token's signature is checked,
the remembered desk recalled, the hub waited on (`answer`, which the `/sync/wait` route runs
too), and the same JSON written — without routing, dependency solving, the exception and
body-limit layers, each of which a FastAPI request passes through (together most of a wait's
CPU when nothing happens). Everything else — the first wait of a sign-in, a sign-in to re-read, a malformed
query, an old client — goes through the app as before, to the route, which checks in full
and answers errors in their usual form (an error while waiting, the database away at the
timeout's re-check, reaches the app's outermost handler here as from the route: 500
`internal`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from oa_server import live, wait_signins
from oa_server.authz import business_roles
from oa_server.db import read_only
from oa_server.security import read_access_token
from sync.protocol import MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION, WaitResponse

#: the route (mounted under /api/v1)
PATH = "/api/v1/sync/wait"
WAIT_MAX_S = 30.0
DEFAULT_TIMEOUT_S = 25.0
#: a wait answers at a random point of the last fifth of its timeout, so desks that began
#: together (a server restart, a network coming back) spread their next requests out
WAIT_SPREAD = 0.2
_HEADER = PROTOCOL_HEADER.lower().encode("latin-1")
_CURSOR = re.compile(r"[0-9]{1,18}")
_SECONDS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?")


def signins_of(state: Any) -> wait_signins.SignIns:
    """The sign-ins this worker vouches for (made at the first wait)."""
    signins = getattr(state, "wait_signins", None)
    if signins is None:
        signins = state.wait_signins = wait_signins.SignIns()
    return signins


def recheck(state: Any, ids: list) -> dict:
    """Re-read the remembered sign-ins `ids` (on a worker thread); a user who became an
    administrator, or lost every business role, is vouched for no more (三员分立)."""
    with state.sessionmaker(bind=read_only(state.engine)) as session:
        desks = wait_signins.recheck(session, ids)
    return {sid: desk for sid, desk in desks.items() if business_desk(desk)}


def business_desk(desk: wait_signins.Desk) -> bool:
    """Whether a desk's roles (its `role:` principals) are those of a business user."""
    return business_roles(p.removeprefix("role:") for p in desk.principals
                          if p.startswith("role:"))


async def answer(state: Any, desk: wait_signins.Desk, cursor: int, timeout: float,
                 gone: Callable[[], Awaitable[bool]], *, quiet: bool = False) -> WaitResponse:
    """Sleep on the hub until news `desk` may see is newer than `cursor`, or about `timeout`;
    `quiet`: the desk asked how far it has nothing new (`WaitResponse.quiet_until`)."""
    hub = live.hub_for(state.engine)
    timeout *= 1.0 - WAIT_SPREAD * random.random()  # noqa: S311 (spreading, not a secret)
    found = await hub.wait_beyond(cursor, timeout=timeout, principals=desk.principals,
                                  gone=gone)
    return WaitResponse(changed=found.changed, high_water=found.high_water,
                        quiet_until=found.quiet_until if quiet else None)


def body_of(reply: WaitResponse) -> bytes:
    """The answer's JSON; `quiet_until` only when there is one (a desk that did not ask for
    it, an older client, takes no field it does not know)."""
    return reply.model_dump_json(exclude_none=True).encode()


class WaitQuery(NamedTuple):
    """A plain wait query: the desk's cursor, its timeout, whether it asked `quiet=1`."""

    cursor: int
    timeout: float
    quiet: bool = False


def plain_query(raw: bytes) -> WaitQuery | None:
    """The `cursor`, `timeout` and `quiet` of a query of only those, each once and plainly
    written; None: anything else (the route validates it and says what is wrong)."""
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    values = dict(pairs)
    if len(values) != len(pairs) or not set(values) <= {"cursor", "timeout", "quiet"}:
        return None
    cursor, timeout = values.get("cursor", "0"), values.get("timeout")
    quiet = values.get("quiet", "0")
    if not _CURSOR.fullmatch(cursor) or quiet not in ("0", "1"):
        return None
    if timeout is None:
        return WaitQuery(int(cursor), DEFAULT_TIMEOUT_S, quiet == "1")
    if not _SECONDS.fullmatch(timeout) or float(timeout) > WAIT_MAX_S:
        return None
    return WaitQuery(int(cursor), float(timeout), quiet == "1")


def _current_protocol(value: bytes | None) -> bool:
    try:
        return MIN_PROTOCOL_VERSION <= int(value or b"") <= PROTOCOL_VERSION
    except ValueError:
        return False


class QuickWait:
    """Answers the long-polls of desks this worker vouches for; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one connection scope."""
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        found = await self._vouched(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        state, desk, query = found
        reply = await answer(state, desk, query.cursor, query.timeout,
                             Request(scope, receive).is_disconnected, quiet=query.quiet)
        body = body_of(reply)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _vouched(scope: Scope) -> tuple[Any, wait_signins.Desk, WaitQuery] | None:
        """(app state, desk, query) of a wait the fast path may answer, else None."""
        query = plain_query(scope.get("query_string", b""))
        if query is None:
            return None
        token = protocol = None
        for name, value in scope["headers"]:
            if name == b"authorization" and token is None:  # (the first, as the route reads)
                token = value
            elif name == _HEADER:
                protocol = value
            elif name == b"content-length" and value != b"0":
                return None
        if token is None or not _current_protocol(protocol):
            return None
        scheme, _, credentials = token.decode("latin-1").partition(" ")
        app = scope.get("app")
        state = getattr(app, "state", None)
        key = getattr(state, "signing_key", None)
        if key is None or scheme.lower() != "bearer" or not credentials:
            return None
        claims = read_access_token(key, credentials.strip(), now=state.clock())
        if claims is None:
            return None
        signins = signins_of(state)
        desk = await signins.recall(claims.user_id, claims.session_id,
                                    lambda ids: recheck(state, ids))
        if desk is None:
            return None
        return state, desk, query
