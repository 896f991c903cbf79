"""The server as the authority: rules per collection, run inside every sync push.

Each module (documents, meetings, requests, reports, supervision) puts one module
in this package defining an `Authority` subclass and calling `register(...)` at
import time; `load()` imports every module here, so no list needs editing.

For every op on a registered collection the push calls, in the same transaction,
with the tenant's revision lock held (so everything it reads and writes is serial):

- `check(ctx, op, payload, current)` → a `Ruling`: accept (maybe with a rewritten
  payload: server-owned fields kept, holders pinned), reject with a code and a
  Chinese message, or supersede (the record is kept, marked, and its author told);
- `effects(ctx, op, payload, current)` after an accepted or superseded op: derived
  writes through `ctx.put` (a document's state and holders, an incoming copy for
  every receiving unit, a number from `ctx.next_number`) — each takes a revision
  after the op's own, so a reader pulls cause before effect.

Server-initiated changes (a scheduled 催办, an admin endpoint) use
`oa_server.sync_push.server_batch` to get the same `Ctx` outside a push.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from oa_server.authority.context import Ctx
    from sync.protocol import Op


@dataclass
class Ruling:
    """What the authority makes of one op."""

    status: Literal["accept", "reject", "supersede"]
    payload: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None

    @classmethod
    def accept(cls, payload: dict[str, Any]) -> Ruling:
        """Store `payload` (the client's, or the authority's rewrite of it)."""
        return cls("accept", payload)

    @classmethod
    def reject(cls, code: str, message: str) -> Ruling:
        """Refuse the op; nothing is stored; the client keeps its copy and shows `message`."""
        return cls("reject", None, code, message)

    @classmethod
    def supersede(cls, payload: dict[str, Any], message: str) -> Ruling:
        """Keep the record (marked by the authority) but tell its author it came too late."""
        return cls("supersede", payload, "superseded", message)


class Authority:
    """Rules for one collection; the base accepts what the generic store accepts."""

    collection: str = ""

    def check(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
              ) -> Ruling:
        """Judge one op (`current` is the stored record's data, None when new)."""
        return Ruling.accept(payload)

    def effects(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any] | None
                ) -> None:
        """Derived writes after the op was stored (same transaction)."""

    def rebase(self, ctx: Ctx, op: Op, payload: dict[str, Any], current: dict[str, Any]) -> bool:
        """Whether an op written against an older revision may still be judged against
        `current`: true only when the record has since moved by nothing the op's author
        wrote (the server's own bookkeeping). The base: never, the op is a conflict."""
        return False


REGISTRY: dict[str, Authority] = {}
_loaded = False


def register(authority: Authority) -> Authority:
    """Make `authority` the rules for its collection (one per collection)."""
    if not authority.collection:
        raise ValueError("an authority needs a collection")
    existing = REGISTRY.get(authority.collection)
    if existing is not None and type(existing) is not type(authority):
        raise ValueError(f"two authorities for {authority.collection}")
    REGISTRY[authority.collection] = authority
    return authority


def load() -> dict[str, Authority]:
    """Import every module of this package (each registers its authorities) once."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if info.name not in ("context", "flow"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return REGISTRY


def authority_for(collection: str) -> Authority | None:
    """The rules for a collection, if a module registered any."""
    return load().get(collection)
