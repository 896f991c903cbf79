"""The minute's re-read of the sign-ins that waits are vouched for (wait_signins.recheck): the
same desks, seeing through the same principals, as the full check builds from the user; a
revoked sign-in, a disabled user or a sign-in of another scope is not vouched for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from oa_server import auth, wait_signins
from oa_server.db import make_engine, make_sessionmaker
from oa_server.models import AuthSession, Device, User


def _sign_in(session, user: User, n: int, **fields) -> AuthSession:
    now = datetime.now(UTC)
    device = Device(user_id=user.id, device_id=f"desk-{n}", name=f"办公电脑{n}",
                    registered_at=now, last_seen_at=now)
    session.add(device)
    session.flush()
    signed = AuthSession(user_id=user.id, device_pk=device.id, created_at=now, **fields)
    session.add(signed)
    session.flush()
    return signed


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request) -> Iterator[str]:
    """The server database on SQLite (one node) and on PostgreSQL (a city's nodes)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("db_url")
        return
    from tests.server import postgres

    admin, template = request.getfixturevalue("pg_admin"), request.getfixturevalue("pg_template")
    name = postgres.unique_name("oa_recheck")
    yield postgres.create_database(admin, name, template=template)
    postgres.drop_database(admin, name)


def test_recheck_vouches_for_the_same_desks_as_the_full_check(any_db):
    engine = make_engine(any_db)
    try:
        with make_sessionmaker(engine)() as session:
            users = list(session.scalars(select(User).order_by(User.login)))
            with_roles = [u for u in users if u.roles]
            assert len(with_roles) >= 5 and any(u.department_id for u in with_roles)
            good = [_sign_in(session, u, n, scope=auth.FULL) for n, u in enumerate(users)]
            revoked = _sign_in(session, users[0], 900, scope=auth.FULL,
                               revoked_at=datetime.now(UTC), revoke_reason="signed_out")
            other_scope = _sign_in(session, users[1], 901, scope="password")
            disabled_user = users[2]
            disabled = _sign_in(session, disabled_user, 902, scope=auth.FULL)
            disabled_user.active = False
            session.commit()
            expected = {s.id: wait_signins.desk_of(s_user, s.id, s.device.device_id)
                        for s in good
                        for s_user in [session.get(User, s.user_id)] if s_user.active}

        with make_sessionmaker(engine)() as session:
            found = wait_signins.recheck(
                session, [s.id for s in good] + [revoked.id, other_scope.id, disabled.id])
    finally:
        engine.dispose()

    assert found == expected  # the same desks: user, sign-in, device and principals
    assert revoked.id not in found and other_scope.id not in found and disabled.id not in found
    assert good[2].id not in found  # its user is disabled now
    assert any(len(d.principals) > 3 for d in found.values())  # roles were read too
