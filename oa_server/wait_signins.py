"""Sign-ins of long-polls, vouched for a minute at a time: a desk at rest re-sends `/sync/wait`
every 25 s, and checking its sign-in in the database each time would be all it costs.

A worker remembers each sign-in a wait was checked for in full (the ordinary check:
`deps.get_current_user`). A later wait whose token is well-signed and unexpired, and names a
remembered sign-in of the same user, skips the database while the remembered ones were
checked less than `REFRESH_S` ago; after that, two queries re-read them all at once (once per
worker per minute, however many desks wait): a sign-in revoked, of a user disabled, or no
longer of the full scope is forgotten, and its desk's next wait is checked in full — and
refused. Roles are re-read with it, so the principals a desk is woken for follow the org
chart within the same minute. Only waits use this: pulls and pushes are checked every time,
and a wait tells nothing but whether the desk has news. Each worker starts its minute at a
phase of its own (random), so workers started together do not all re-read at the same moment
and stall the server's pushes together; a sign-in is still re-read within the minute.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_server import auth
from oa_server.models import AuthSession, Device, User, UserRole
from oa_server.visibility import principals_for, principals_of

#: how long a sign-in checked in full vouches for the waits of its desk
REFRESH_S = 60.0


@dataclass(frozen=True)
class Desk:
    """A checked sign-in of a waiting desk: who, on which device, seeing through what."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    device_id: str
    principals: frozenset[str]


def desk_of(user: User, session_id: uuid.UUID, device_id: str) -> Desk:
    """The desk of a user signed in (roles loaded)."""
    return Desk(user.id, session_id, device_id, frozenset(principals_of(user)))


def recheck(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Desk]:
    """The sign-ins among `ids` still good for a wait (full scope, not revoked, the user
    active), as desks — in two queries, of columns only.

    It runs once a minute for all of a worker's waiting desks, on a worker thread but holding
    Python's lock: loading them as ORM objects (sign-in, device, user with unit, department,
    position and roles) took ~50–150 ms for 500 desks, a pause for every request of the
    worker meanwhile."""
    rows = session.execute(
        select(AuthSession.id, AuthSession.user_id, Device.device_id, User.unit_id,
               User.department_id)
        .join(Device, Device.id == AuthSession.device_pk)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.id.in_(list(ids)), AuthSession.revoked_at.is_(None),
               AuthSession.scope == auth.FULL, User.active.is_(True))
    ).all()
    roles: dict[uuid.UUID, list[str]] = {}
    for user_id, code in session.execute(
            select(UserRole.user_id, UserRole.role_code)
            .where(UserRole.user_id.in_({r.user_id for r in rows}))
            .order_by(UserRole.role_code)):
        roles.setdefault(user_id, []).append(code)
    return {r.id: Desk(r.user_id, r.id, r.device_id, frozenset(principals_for(
                r.user_id, r.unit_id, r.department_id, roles.get(r.user_id, ()))))
            for r in rows}


class SignIns:
    """The sign-ins this worker vouches for (on its event loop)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 phase: float | None = None) -> None:
        """`phase`: how far into its first minute this worker starts (seconds; random when
        not given)."""
        self._clock = clock
        self._known: dict[uuid.UUID, Desk] = {}
        self._used: dict[uuid.UUID, float] = {}  # when each last vouched for a wait
        if phase is None:
            phase = random.uniform(0.0, REFRESH_S)  # noqa: S311 (spreading, not a secret)
        self._checked_at = clock() - min(max(phase, 0.0), REFRESH_S)
        self._recheck: asyncio.Future[None] | None = None
        self.stats = {"remembered": 0, "vouched": 0, "rechecks": 0, "forgotten": 0}

    def remember(self, desk: Desk) -> None:
        """A sign-in just checked in full."""
        if desk.session_id not in self._known:
            self.stats["remembered"] += 1
        self._known[desk.session_id] = desk
        self._used[desk.session_id] = self._clock()

    async def recall(self, user_id: uuid.UUID, session_id: uuid.UUID,
                     read: Callable[[list[uuid.UUID]], dict[uuid.UUID, Desk]]) -> Desk | None:
        """The desk of a remembered sign-in of this user, re-read with all the others (by
        `read`, on a worker thread) when they were checked `REFRESH_S` ago; None: check it
        in full."""
        if session_id not in self._known:
            return None
        if self._clock() - self._checked_at >= REFRESH_S:
            if self._recheck is None or self._recheck.done():
                self._recheck = asyncio.ensure_future(self._reread(read))
            try:
                await asyncio.shield(self._recheck)
            except Exception:  # the database is away: the full check says so
                return None
        desk = self._known.get(session_id)
        if desk is None or desk.user_id != user_id:
            return None
        self.stats["vouched"] += 1
        self._used[session_id] = self._clock()
        return desk

    async def _reread(self, read: Callable[[list[uuid.UUID]], dict[uuid.UUID, Desk]]) -> None:
        from starlette.concurrency import run_in_threadpool

        started = self._clock()
        for sid in [s for s, at in self._used.items() if started - at > 2 * REFRESH_S]:
            self._known.pop(sid, None)  # its desk stopped waiting here: not re-read
            self._used.pop(sid, None)
        ids = list(self._known)
        self.stats["rechecks"] += 1
        try:
            fresh = await run_in_threadpool(read, ids)
        except Exception:
            self._known.clear()  # nothing vouched for: every wait is checked in full
            self._used.clear()
            raise
        for sid in ids:
            desk = fresh.get(sid)
            if desk is None:
                self.stats["forgotten"] += 1
                self._known.pop(sid, None)
                self._used.pop(sid, None)
            else:
                self._known[sid] = desk
        self._checked_at = started
