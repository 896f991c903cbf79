"""Sign-in, lockout, token expiry, rotation, replay, logout, disabled accounts (also run on PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oa_server.security import issue_access_token
from tests.server.support import PASSWORD, Clock, bearer, login, sign_in


def _user_id(client: TestClient, admin_tokens: dict, who: str) -> str:
    users = client.get("/api/v1/admin/users", headers=bearer(admin_tokens)).json()
    return next(u["id"] for u in users if u["login"] == who)


def test_login_returns_tokens_and_user(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    assert tokens["user"]["name"] == "刘洋"
    assert tokens["user"]["unit"]["doc_code"] == "普府办"
    assert tokens["user"]["roles"] == ["drafter"]
    me = client.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["login"] == "liuyang" and me.json()["position"] == "科员"


def test_login_is_case_insensitive_on_login_name(client: TestClient) -> None:
    assert login(client, "LiuYang").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    wrong = login(client, "liuyang", "Wrong@2026")
    unknown = login(client, "nobody", "Wrong@2026")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"code": "unauthorized", "message": "用户名或密码错误"}


def _from(app, host: str) -> TestClient:
    return TestClient(app, client=(host, 40000))


def test_failures_make_that_address_wait_longer_and_longer(client: TestClient, app,
                                                           clock: Clock) -> None:
    for attempt in range(3):  # three free failures …
        assert login(client, "wuqiong", "Wrong@2026").status_code == 401, attempt
    waits = []
    for _ in range(4):  # … then each failure doubles the wait of this (login, address)
        early = login(client, "wuqiong")  # even the right password waits its turn
        assert early.status_code == 429
        body = early.json()
        assert body["code"] == "too_many_attempts" and str(body["retry_after"]) in body["message"]
        assert early.headers["Retry-After"] == str(body["retry_after"])
        waits.append(body["retry_after"])
        clock.advance(seconds=body["retry_after"])
        assert login(client, "wuqiong", "Wrong@2026").status_code == 401
    assert waits == [1, 2, 4, 8]
    # the same login from another address, and the owner after the wait, get in at once
    with _from(app, "10.20.30.40") as elsewhere:
        assert login(elsewhere, "wuqiong").status_code == 200
    assert login(client, "wuqiong").json()["retry_after"] == 16
    clock.advance(seconds=16)
    assert login(client, "wuqiong").status_code == 200
    for _ in range(3):  # a success forgets the failures
        assert login(client, "wuqiong", "Wrong@2026").status_code == 401


def test_the_wait_is_capped(client: TestClient, clock: Clock) -> None:
    for _ in range(20):
        login(client, "huangli", "Wrong@2026")
        clock.advance(hours=1)
    assert login(client, "huangli", "Wrong@2026").status_code == 401
    assert login(client, "huangli").json()["retry_after"] == 600


def test_unknown_logins_wait_like_known_ones(client: TestClient) -> None:
    unknown = [login(client, "nobody.here", "Wrong@2026") for _ in range(4)]
    known = [login(client, "maqing", "Wrong@2026") for _ in range(4)]
    assert [a.status_code for a in unknown] == [a.status_code for a in known] == [401] * 3 + [429]
    assert [a.json() for a in unknown] == [a.json() for a in known]


def test_sysadmin_clears_delays_secadmin_and_drafter_may_not(client: TestClient) -> None:
    assert [login(client, "guoyan", "Wrong@2026").status_code for _ in range(5)] == \
        [401, 401, 401, 429, 429]
    assert login(client, "guoyan").status_code == 429
    admin, secadmin, drafter = (sign_in(client, who) for who in ("huangwei", "sunyue", "liuyang"))
    listed = client.get("/api/v1/admin/signin-delays", headers=bearer(admin)).json()
    mine = [d for d in listed if d["login"] == "guoyan"]
    assert [(d["source"], d["failures"]) for d in mine] == [("testclient", 3)]
    for other in (secadmin, drafter):
        denied = client.post("/api/v1/admin/signin-delays/clear", json={"login": "guoyan"},
                             headers=bearer(other))
        assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    cleared = client.post("/api/v1/admin/signin-delays/clear", json={"login": "GuoYan"},
                          headers=bearer(admin))
    assert cleared.status_code == 200 and cleared.json() == {"cleared": 1}
    assert login(client, "guoyan").status_code == 200


def test_expired_access_token_is_refused(client: TestClient, clock: Clock) -> None:
    tokens = sign_in(client, "liuyang")
    clock.advance(minutes=16)
    response = client.get("/api/v1/me", headers=bearer(tokens))
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_forged_and_garbage_tokens_are_refused(client: TestClient, clock: Clock) -> None:
    tokens = sign_in(client, "liuyang")
    claims_user = tokens["user"]["id"]
    import uuid

    forged = issue_access_token(
        b"not-the-key",
        user_id=uuid.UUID(claims_user),
        session_id=uuid.uuid4(),
        now=clock(),
        ttl=900,
    )
    for token in (forged, "garbage", tokens["access_token"][:-2] + "xx", "v1..", ""):
        response = client.get("/api/v1/me", headers=bearer(token))
        assert response.status_code == 401, token
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_refresh_rotates_the_token(client: TestClient) -> None:
    first = sign_in(client, "liuyang")
    response = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": "dev-1"}
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    third = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": second["refresh_token"], "device_id": "dev-1"},
    )
    assert third.status_code == 200


def test_replayed_refresh_token_revokes_the_whole_family(client: TestClient) -> None:
    first = sign_in(client, "liuyang")
    second = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": "dev-1"}
    ).json()
    replay = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": "dev-1"}
    )
    assert replay.status_code == 401
    # The legitimate newest pair is dead too: the family is revoked.
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 401
    again = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": second["refresh_token"], "device_id": "dev-1"},
    )
    assert again.status_code == 401
    # Other sign-ins of the same user are untouched.
    other = sign_in(client, "liuyang", device="dev-2")
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_refresh_from_another_device_is_refused_and_revokes(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang", device="dev-1")
    stolen = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": "dev-9"},
    )
    assert stolen.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401


def test_unknown_refresh_token_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": "made-up", "device_id": "dev-1"}
    )
    assert response.status_code == 401 and response.json()["message"] == "登录已失效，请重新登录"


def test_expired_refresh_token_is_refused(client: TestClient, clock: Clock) -> None:
    tokens = sign_in(client, "liuyang")
    clock.advance(days=31)
    response = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": "dev-1"},
    )
    assert response.status_code == 401


def test_logout_revokes_access_and_refresh(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    response = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": "dev-1"},
    )
    assert response.status_code == 401
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 401


def test_disabled_user_cannot_sign_in_and_loses_sessions(client: TestClient) -> None:
    victim = sign_in(client, "chenmeiling")
    admin = sign_in(client, "huangwei")
    user_id = _user_id(client, admin, "chenmeiling")
    disabled = client.post(f"/api/v1/admin/users/{user_id}/disable", headers=bearer(admin))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(victim)).status_code == 401
    # right or wrong, the answer is the one an unknown login gets: nothing is confirmed
    right, wrong = login(client, "chenmeiling"), login(client, "chenmeiling", "Wrong@2026")
    assert right.status_code == wrong.status_code == 401 and right.json() == wrong.json()
    client.post(f"/api/v1/admin/users/{user_id}/enable", headers=bearer(admin))
    assert login(client, "chenmeiling").status_code == 200


def test_password_reset_gives_a_one_time_password_the_user_must_change(client: TestClient) -> None:
    victim = sign_in(client, "linxiaohong")
    admin = sign_in(client, "huangwei")
    user_id = _user_id(client, admin, "linxiaohong")
    chosen = client.post(f"/api/v1/admin/users/{user_id}/reset-password",
                         json={"password": "Neu@Pass2026"}, headers=bearer(admin))
    assert chosen.status_code == 422 and chosen.json()["code"] == "validation"
    ok = client.post(f"/api/v1/admin/users/{user_id}/reset-password", headers=bearer(admin))
    assert ok.status_code == 200
    one_time = ok.json()["one_time_password"]
    assert len(one_time) >= 16 and ok.json()["user"]["must_change_password"] is True
    assert client.get("/api/v1/me", headers=bearer(victim)).status_code == 401
    assert login(client, "linxiaohong").status_code == 401
    first = login(client, "linxiaohong", one_time)
    assert first.status_code == 200
    assert first.json()["password_change"] == {
        "code": "password_reset", "message": "您的密码已由管理员重置，请设置新密码后继续使用"}
    token = bearer(first.json())
    assert client.get("/api/v1/me", headers=token).json()["must_change_password"] is True
    pull = client.get("/api/v1/sync/pull", headers={**token, "X-OA-Protocol": "1"})
    assert pull.status_code == 403 and pull.json()["code"] == "password_change_required"
    policy = client.get("/api/v1/security-policy", headers=token).json()
    assert policy["rules"][0] == "至少 8 位"
    for bad, field, message in (
        ("Demo@2026x", "old_password", "原密码不正确"),
    ):
        refused = client.post("/api/v1/me/password", headers=token,
                              json={"old_password": bad, "new_password": "Fresh@Pass2026"})
        assert refused.status_code == 422 and refused.json()["field"] == field
        assert refused.json()["message"] == message
    for new, message in (("short@A1", None), ("alllowercase", "密码须包含小写字母、大写字母、数字、符号中的至少 3 类"),
                         ("Linxiaohong@2026", "密码不能包含登录名"),
                         (one_time, "不能使用最近 5 次用过的密码"),
                         ("Demo@2026", "不能使用最近 5 次用过的密码")):
        refused = client.post("/api/v1/me/password", headers=token,
                              json={"old_password": one_time, "new_password": new})
        if message is None:
            assert refused.status_code == 204  # 8 characters, 4 classes: allowed
            one_time = new
            continue
        assert refused.status_code == 422 and refused.json()["message"] == message, new
    assert client.get("/api/v1/sync/pull", headers={**token, "X-OA-Protocol": "1"}).status_code \
        == 200
    assert login(client, "linxiaohong", one_time).json()["password_change"] is None


def test_sign_in_registers_the_device_once(client: TestClient) -> None:
    sign_in(client, "zhangmin", device="laptop-7")
    sign_in(client, "zhangmin", device="laptop-7")
    auditor = sign_in(client, "hexiaoqin")
    rows = client.get(
        "/api/v1/audit",
        params={"action": "device.register", "limit": 1000},
        headers=bearer(auditor),
    ).json()
    mine = [r for r in rows if r["details"].get("device_id") == "laptop-7"]
    assert len(mine) == 1


def test_logins_are_audited_without_secrets(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    login(client, "liuyang", "Wrong@2026")
    client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": "dev-1"},
    )
    auditor = sign_in(client, "hexiaoqin")
    rows = client.get("/api/v1/audit", params={"limit": 1000}, headers=bearer(auditor)).json()
    actions = [r["action"] for r in rows]
    assert "auth.login" in actions and "auth.login_failed" in actions and "auth.refresh" in actions
    dump = str(rows)
    for secret in (PASSWORD, "Wrong@2026", tokens["refresh_token"], tokens["access_token"]):
        assert secret not in dump


def test_my_devices_and_signing_out_a_lost_one(client: TestClient) -> None:
    laptop = sign_in(client, "yangfan", device="laptop")
    desktop = sign_in(client, "yangfan", device="desktop")
    devices = client.get("/api/v1/me/devices", headers=bearer(desktop)).json()
    assert {d["device_id"] for d in devices} == {"laptop", "desktop"}
    assert [d["device_id"] for d in devices if d["current"]] == ["desktop"]
    lost = next(d for d in devices if d["device_id"] == "laptop")
    response = client.post(f"/api/v1/me/devices/{lost['id']}/sign-out", headers=bearer(desktop))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(laptop)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(desktop)).status_code == 200
    # Someone else's device is not found, not revoked.
    other = sign_in(client, "liuyang")
    again = client.post(f"/api/v1/me/devices/{lost['id']}/sign-out", headers=bearer(other))
    assert again.status_code == 404
