"""A desk at rest's long-poll answered beside the framework (oa_server.api.quick_wait): once
its sign-in is vouched for, its next waits skip routing and dependencies and answer as the
route does; anything the route would refuse or check in full still reaches the route.

Which path answered is read from the route's own protocol dependency: the route runs it on
every request it serves, the quick path never."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import Header

from oa_server import live
from oa_server.api import quick_wait
from oa_server.api.routes import sync as sync_routes
from sync.protocol import MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.support import make_client, server_put

LONG = 30.0


@pytest.fixture
def routed(server) -> dict:
    """Count the requests the `/sync` routes serve (their protocol check runs once each)."""
    counts = {"n": 0}
    original = sync_routes.check_protocol

    async def counting(x_oa_protocol: str | None = Header(None, alias=PROTOCOL_HEADER)) -> int:
        counts["n"] += 1
        return await original(x_oa_protocol)

    server.app.dependency_overrides[original] = counting
    yield counts
    server.app.dependency_overrides.pop(original, None)


def _desk(server, tmp_path, routed: dict, login: str = "liuyang"):
    """A desk signed in and caught up; the routed requests counted from now on."""
    me = make_client(server, tmp_path, login)
    hw = me.transport.pull(0).high_water
    routed["n"] = 0
    headers = {"Authorization": f"Bearer {me.transport.access_token}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    return me, hw, headers


def _wait(server, headers: dict, query: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/sync/wait?{query}", headers=headers, timeout=LONG)


def test_a_vouched_desks_next_wait_is_answered_as_the_route_answers(server, tmp_path, routed):
    me, hw, headers = _desk(server, tmp_path, routed)
    first = _wait(server, headers, f"cursor={hw}&timeout=0")  # checked in full, remembered
    assert routed["n"] == 1
    second = _wait(server, headers, f"cursor={hw}&timeout=0")
    assert routed["n"] == 1  # not routed: answered beside the framework
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json() == {"changed": False, "high_water": hw}
    assert second.headers["content-type"] == first.headers["content-type"]
    # both name the codings the server reads (a desk woken by either still pushes in zstd)
    assert second.headers["accept-encoding"] == first.headers["accept-encoding"] == "zstd, gzip"
    assert second.content == first.content
    server_put(server, me, [("documents", str(uuid.uuid4()),
                             {"direction": "outgoing", "title": "拟稿", "body": "x"})])
    routed["n"] = 0
    assert _wait(server, headers, f"cursor={hw}&timeout=0").json() == {
        "changed": True, "high_water": hw + 1}  # news already there: answered at once
    assert routed["n"] == 0
    assert server.app.state.wait_signins.stats["vouched"] == 2
    me.close()


def test_a_desk_that_asks_is_told_its_quiet_span_by_either_path(server, tmp_path, routed):
    """`quiet=1`: the route and the quick path answer alike, with `quiet_until` when there is
    no news (and the same answer as ever without it)."""
    me, hw, headers = _desk(server, tmp_path, routed, login="chenmeiling")  # 预算股
    other = make_client(server, tmp_path, "liuyang")  # 秘书科: his drafts are not hers
    server_put(server, other, [("documents", str(uuid.uuid4()),
                                {"direction": "outgoing", "title": "拟稿", "body": "x"})])
    first = _wait(server, headers, f"cursor={hw}&timeout=0&quiet=1")
    assert routed["n"] == 1
    second = _wait(server, headers, f"cursor={hw}&timeout=0&quiet=1")
    assert routed["n"] == 1  # beside the framework
    assert first.json() == second.json() == {"changed": False, "high_water": hw + 1,
                                             "quiet_until": hw + 1}
    assert _wait(server, headers, f"cursor={hw}&timeout=0").json() == {
        "changed": False, "high_water": hw + 1}  # not asked: not told
    assert _wait(server, headers, f"cursor={hw}&timeout=0&quiet=yes").status_code == 200  # (the route's
    assert routed["n"] == 2  # reading of a bool), answered by the route
    me.close()
    other.close()


def test_a_quick_wait_sleeps_until_a_push_it_may_see(server, tmp_path, routed):
    me, hw, headers = _desk(server, tmp_path, routed)
    assert _wait(server, headers, f"cursor={hw}&timeout=0").status_code == 200

    async def scenario() -> dict:
        hub = live.hub_for(server.app.state.engine)
        async with httpx.AsyncClient(base_url=server.url, headers=headers,
                                     timeout=LONG * 2) as http:
            waiting = asyncio.create_task(http.get(
                "/api/v1/sync/wait", params={"cursor": hw, "timeout": LONG}))
            await asyncio.to_thread(_until_waiting, hub)
            await asyncio.to_thread(server_put, server, me, [(
                "documents", str(uuid.uuid4()),
                {"direction": "outgoing", "title": "唤醒", "body": "x"})])
            return (await waiting).json()

    assert asyncio.run(scenario()) == {"changed": True, "high_water": hw + 1}
    assert routed["n"] == 1  # the woken wait was a quick one
    me.close()


def _until_waiting(hub) -> None:
    with hub.changed:
        assert hub.changed.wait_for(lambda: hub.waiting >= 1, timeout=LONG)


@pytest.mark.parametrize(("query", "code"), [
    ("cursor=-1&timeout=0", "validation"),
    ("cursor=0&timeout=99", "validation"),
    ("cursor=abc", "validation"),
    ("cursor=0&timeout=0&quiet=maybe", "validation"),  # the quiet question: yes or no
])
def test_a_query_the_route_refuses_is_refused_as_before(server, tmp_path, routed, query, code):
    me, hw, headers = _desk(server, tmp_path, routed)
    assert _wait(server, headers, f"cursor={hw}&timeout=0").status_code == 200
    refused = _wait(server, headers, query)
    assert refused.status_code == 422 and refused.json()["code"] == code
    assert routed["n"] == 2
    me.close()


def test_an_old_client_is_told_to_upgrade_though_its_sign_in_is_vouched_for(
        server, tmp_path, routed):
    me, hw, headers = _desk(server, tmp_path, routed)
    assert _wait(server, headers, f"cursor={hw}&timeout=0").status_code == 200
    old = _wait(server, {**headers, PROTOCOL_HEADER: str(MIN_PROTOCOL_VERSION - 1)},
                f"cursor={hw}&timeout=0")
    assert old.status_code == 426 and old.json()["code"] == "upgrade_required"
    missing = _wait(server, {"Authorization": headers["Authorization"]}, f"cursor={hw}&timeout=0")
    assert missing.status_code == 426
    me.close()


def test_a_forged_or_expired_token_of_a_vouched_sign_in_is_refused(server, tmp_path, routed):
    me, hw, headers = _desk(server, tmp_path, routed)
    assert _wait(server, headers, f"cursor={hw}&timeout=0").status_code == 200
    token = me.transport.access_token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = _wait(server, {**headers, "Authorization": f"Bearer {forged}"}, f"cursor={hw}")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    server.clock.advance(hours=1)  # past the access token's lifetime (15 minutes)
    expired = _wait(server, headers, f"cursor={hw}&timeout=0")
    assert expired.status_code == 401
    assert routed["n"] == 3  # both went to the route, which refused them
    me.close()


def test_another_desks_token_is_not_vouched_for_by_this_ones_sign_in(server, tmp_path, routed):
    me, hw, headers = _desk(server, tmp_path, routed, "liuyang")
    assert _wait(server, headers, f"cursor={hw}&timeout=0").status_code == 200
    other, _hw, theirs = _desk(server, tmp_path, routed, "caiweidong")
    assert _wait(server, theirs, f"cursor={hw}&timeout=0").status_code == 200
    assert routed["n"] == 1  # a sign-in of its own: checked in full the first time
    me.close()
    other.close()


@pytest.mark.parametrize(("raw", "expected"), [
    (b"cursor=12&timeout=25", (12, 25.0, False)),
    (b"timeout=0.5&cursor=0", (0, 0.5, False)),
    (b"cursor=7", (7, quick_wait.DEFAULT_TIMEOUT_S, False)),
    (b"", (0, quick_wait.DEFAULT_TIMEOUT_S, False)),
    (b"cursor=3&timeout=25&quiet=1", (3, 25.0, True)),
    (b"quiet=0&cursor=3", (3, quick_wait.DEFAULT_TIMEOUT_S, False)),
    (b"cursor=3&quiet=true", None),  # the route reads it (and says so when it is wrong)
    (b"cursor=3&quiet=1&quiet=1", None),
    (b"cursor=1&cursor=2", None),
    (b"cursor=1&extra=2", None),
    (b"cursor=-1", None),
    (b"cursor=1&timeout=30.5", None),
    (b"cursor=1&timeout=1e1", None),
    (b"cursor=%31", (1, quick_wait.DEFAULT_TIMEOUT_S, False)),  # decoded, as the route reads it
    (b"cursor=1&", None),
])
def test_only_a_plain_query_is_read_beside_the_route(raw, expected):
    assert quick_wait.plain_query(raw) == expected
