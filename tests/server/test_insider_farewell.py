"""A revoked device's last push is bounded, and the 三员 get no news from the long-poll.

A device revoked with a last push (`final_push`) may push what its outbox held at the
revocation, once, then say goodbye; it may not keep writing: an op made after the revocation
is refused, and the farewell ends at the goodbye or a week after the revocation. The three
administrators see no business records, so `/sync/wait` (route and fast path) refuses them
like every other sync endpoint."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from oa_client.domain.ids import uuid7_time_ms
from oa_server.api.quick_wait import signins_of
from oa_server.models import User, UserRole
from oa_server.wait_signins import REFRESH_S, SignIns
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.server.support import Clock, bearer, login, sign_in

WHO, LOST, DESK = "zhengxiaoyan", "lost-laptop-zx", "desk-zx"
PROTOCOL = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
#: how long a farewell lasts after the revocation (oa_server.auth.FAREWELL_WINDOW)
WEEK = timedelta(days=7)


def _op_id(at: datetime) -> str:
    """An op id as a desk makes it (UUIDv7) at `at` (built here: `ids.uuid7` never goes back
    in time within a process, and these tests make ids at chosen moments)."""
    ms = int(at.timestamp() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = ms << 80 | 0x7 << 76 | (rand >> 64 & 0xFFF) << 64 | 0b10 << 62 | rand & (1 << 62) - 1
    made = uuid.UUID(int=value)
    assert made.version == 7 and uuid7_time_ms(made) == ms
    return str(made)


def _phrase(op_id: str, text: str) -> dict[str, Any]:
    return {"op_id": op_id, "kind": "upsert", "entity": "phrases",
            "entity_id": str(uuid.uuid4()), "payload": {"text": text}}


def _push(client: TestClient, tokens: dict, device: str, ops: list[dict]) -> Any:
    return client.post("/api/v1/sync/push", headers={**bearer(tokens), **PROTOCOL},
                       json={"device_id": device, "ops": ops})


def _revoke_lost_laptop(client: TestClient) -> None:
    desk = sign_in(client, WHO, device=DESK)
    devices = client.get("/api/v1/me/devices", headers=bearer(desk)).json()
    pk = next(d["id"] for d in devices if d["device_id"] == LOST)
    answer = client.post(f"/api/v1/me/devices/{pk}/revoke", headers=bearer(desk),
                         json={"final_push": True})
    assert answer.status_code == 204, answer.text


def _farewell_sign_in(client: TestClient) -> dict:
    tokens = sign_in(client, WHO, device=LOST)
    assert tokens["device_revoked"], tokens  # a farewell: push what it holds, then wipe
    return tokens


def _refused_as_revoked(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "device_revoked"


def test_a_farewell_pushes_the_outbox_once_and_nothing_written_after_the_revocation(
        client: TestClient, clock: Clock) -> None:
    sign_in(client, WHO, device=LOST)
    revoked_at = clock.now
    held = _phrase(_op_id(revoked_at - timedelta(minutes=10)), "停用前写下的常用语")
    _revoke_lost_laptop(client)
    farewell = _farewell_sign_in(client)
    later = _phrase(_op_id(revoked_at + timedelta(hours=1)), "被吊销设备写入")
    not_from_a_desk = _phrase(str(uuid.uuid4()), "被吊销设备写入2")  # no UUIDv7: no outbox's
    answer = _push(client, farewell, LOST, [held, later, not_from_a_desk])
    assert answer.status_code == 200, answer.text
    first, *refused = answer.json()["results"]
    assert first["status"] == "applied" and first["rev"]  # what the outbox held goes up
    assert [(r["status"], r["code"]) for r in refused] == [("rejected", "device_revoked")] * 2
    assert "停用之后" in refused[0]["message"]
    again = _push(client, farewell, LOST, [held]).json()["results"][0]
    assert again == first  # sent again: the stored result, not a second application
    goodbye = client.post("/api/v1/me/farewell", headers=bearer(farewell))
    assert goodbye.status_code == 204
    # the farewell is over: its token pushes nothing, the device signs in no more
    _refused_as_revoked(_push(client, farewell, LOST, [held]))
    _refused_as_revoked(login(client, WHO, device=LOST))


def test_the_farewell_ends_a_week_after_the_revocation(client: TestClient, clock: Clock) -> None:
    sign_in(client, WHO, device=LOST)
    outbox = [_phrase(_op_id(clock.now - timedelta(minutes=10)), "停用前写下的常用语")]
    _revoke_lost_laptop(client)
    clock.advance(seconds=WEEK.total_seconds() - 60)
    farewell = _farewell_sign_in(client)  # the last minute of the week: still its farewell
    clock.advance(seconds=120)  # its access token is still unexpired, the week is over
    _refused_as_revoked(_push(client, farewell, LOST, outbox))
    refreshed = client.post("/api/v1/auth/refresh", json={
        "refresh_token": farewell["refresh_token"], "device_id": LOST})
    _refused_as_revoked(refreshed)
    _refused_as_revoked(login(client, WHO, device=LOST))


def _wait(client: TestClient, tokens: dict) -> Any:
    return client.get("/api/v1/sync/wait", params={"cursor": 0, "timeout": 0},
                      headers={**bearer(tokens), **PROTOCOL})


@pytest.mark.parametrize("admin", ["huangwei", "sunyue", "hexiaoqin"])
def test_an_administrator_cannot_long_poll(client: TestClient, admin: str) -> None:
    tokens = sign_in(client, admin)
    for _attempt in range(2):  # the first wait and the next one alike
        answer = _wait(client, tokens)
        assert answer.status_code == 403, answer.text
        body = answer.json()
        assert body["code"] == "forbidden" and "三员分立" in body["message"]
        assert "high_water" not in body and "changed" not in body


def test_a_desk_that_became_an_administrator_is_not_vouched_for_by_the_fast_path(
        app: FastAPI, client: TestClient) -> None:
    ticks = [0.0]
    app.state.wait_signins = SignIns(clock=lambda: ticks[0], phase=0.0)
    assert signins_of(app.state) is app.state.wait_signins
    tokens = sign_in(client, "liuyang")
    assert _wait(client, tokens).status_code == 200  # checked in full, then remembered
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.login == "liuyang")).one()
        session.execute(delete(UserRole).where(UserRole.user_id == user.id))
        session.add(UserRole(user_id=user.id, role_code="auditor"))
        session.commit()
    ticks[0] += REFRESH_S  # the minute's re-read of the remembered sign-ins
    answer = _wait(client, tokens)
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "forbidden"
