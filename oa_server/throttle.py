"""Growing delays after failed sign-ins, per (login name, source address) — never a lock.

A stranger who guesses passwords for someone's login from his own address makes only
that pair wait: after `signin_free_failures` failures the next attempt from there must
wait `base`, then `base·2`, `base·4` … seconds (at most `cap`), answered 429 with
`retry_after`. The owner, from her own desk, is not slowed. Unknown logins are counted
like known ones, so the delays tell nobody which logins exist. A success clears the
pair; a pair idle for a day is forgotten; the system administrator can clear any.

The pair's row is taken (inserted if missing, then locked) before the password is
checked, so parallel guesses from one address queue behind each other instead of all
slipping through before the first failure is written.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from oa_server import audit
from oa_server.config import Settings
from oa_server.errors import TooManyAttempts
from oa_server.i18n import _
from oa_server.models import SigninDelay

FORGET_AFTER = timedelta(days=1)


def _key(login: str) -> str:
    return login.strip().lower()[:64]


def take(session: Session, *, login: str, source: str, now: datetime) -> SigninDelay:
    """The pair's row, locked for this transaction; TooManyAttempts while it must wait."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SigninDelay).values(login=_key(login), source=source[:64], failures=0)
                    .on_conflict_do_nothing(index_elements=["login", "source"]))
    row = session.scalars(
        select(SigninDelay).where(SigninDelay.login == _key(login),
                                  SigninDelay.source == source[:64])
        .with_for_update().execution_options(populate_existing=True)).one()
    if row.blocked_until is not None and row.blocked_until > now:
        wait = max(1, math.ceil((row.blocked_until - now).total_seconds()))
        session.commit()
        raise TooManyAttempts(
            _("登录失败次数较多，请 {seconds} 秒后再试").format(seconds=wait), retry_after=wait)
    return row


def failed(row: SigninDelay, *, settings: Settings, now: datetime) -> int:
    """Count one failure of the pair and set its wait; returns the failures so far."""
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - settings.signin_free_failures
    if over >= 0:
        wait = min(settings.signin_delay_cap, settings.signin_delay_base * 2 ** min(over, 30))
        row.blocked_until = now + timedelta(seconds=wait)
    return row.failures


def succeeded(session: Session, row: SigninDelay, *, now: datetime) -> None:
    """Forget the pair after a good sign-in, and pairs idle for a day."""
    session.delete(row)
    session.execute(delete(SigninDelay).where(SigninDelay.last_failure_at < now - FORGET_AFTER))


def listing(session: Session, *, now: datetime) -> list[SigninDelay]:
    """Pairs with failures in the last day, the latest first."""
    return list(session.scalars(
        select(SigninDelay).where(SigninDelay.failures > 0,
                                  SigninDelay.last_failure_at >= now - FORGET_AFTER)
        .order_by(SigninDelay.last_failure_at.desc())).all())


def clear(session: Session, *, actor: str, login: str, source: str | None = None) -> int:
    """Clear the delays of a login (from one source, or all); audited; returns how many."""
    query = delete(SigninDelay).where(SigninDelay.login == _key(login))
    if source:
        query = query.where(SigninDelay.source == source)
    count = int(getattr(session.execute(query), "rowcount", 0) or 0)
    audit.append(session, actor=actor, action="auth.delays_cleared", target=f"login:{_key(login)}",
                 details={"source": source, "pairs": count})
    return count
