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


def test_lockout_after_five_failures_then_admin_unlock(client: TestClient) -> None:
    for attempt in range(4):
        response = login(client, "wuqiong", "Wrong@2026")
        assert response.status_code == 401, attempt
    fifth = login(client, "wuqiong", "Wrong@2026")
    assert fifth.status_code == 403 and fifth.json()["code"] == "locked"
    # Even the right password is refused while locked.
    locked = login(client, "wuqiong")
    assert locked.status_code == 403 and locked.json()["code"] == "locked"
    assert "分钟" in locked.json()["message"]
    admin = sign_in(client, "huangwei")
    user_id = _user_id(client, admin, "wuqiong")
    assert (
        client.post(f"/api/v1/admin/users/{user_id}/unlock", headers=bearer(admin)).status_code
        == 200
    )
    assert login(client, "wuqiong").status_code == 200


def test_secadmin_may_unlock_but_drafter_may_not(client: TestClient) -> None:
    for _ in range(5):
        login(client, "guoyan", "Wrong@2026")
    secadmin = sign_in(client, "sunyue")
    user_id = _user_id(client, secadmin, "guoyan")
    drafter = sign_in(client, "liuyang")
    denied = client.post(f"/api/v1/admin/users/{user_id}/unlock", headers=bearer(drafter))
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    assert (
        client.post(f"/api/v1/admin/users/{user_id}/unlock", headers=bearer(secadmin)).status_code
        == 200
    )
    assert login(client, "guoyan").status_code == 200


def test_failures_outside_the_window_do_not_lock(client: TestClient, clock: Clock) -> None:
    for _ in range(4):
        assert login(client, "huangli", "Wrong@2026").status_code == 401
    clock.advance(minutes=16)
    for _ in range(4):
        assert login(client, "huangli", "Wrong@2026").status_code == 401
    assert login(client, "huangli").status_code == 200


def test_lock_expires_after_its_duration(client: TestClient, clock: Clock) -> None:
    for _ in range(5):
        login(client, "maqing", "Wrong@2026")
    assert login(client, "maqing").status_code == 403
    clock.advance(minutes=16)
    assert login(client, "maqing").status_code == 200


def test_success_resets_the_failure_count(client: TestClient) -> None:
    for _ in range(4):
        login(client, "xiefang", "Wrong@2026")
    assert login(client, "xiefang").status_code == 200
    for _ in range(4):
        assert login(client, "xiefang", "Wrong@2026").status_code == 401


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
    refused = login(client, "chenmeiling")
    assert refused.status_code == 403 and refused.json()["code"] == "disabled"
    # A wrong password on a disabled account does not reveal that it is disabled.
    assert login(client, "chenmeiling", "Wrong@2026").status_code == 401
    client.post(f"/api/v1/admin/users/{user_id}/enable", headers=bearer(admin))
    assert login(client, "chenmeiling").status_code == 200


def test_password_reset_signs_out_and_new_password_works(client: TestClient) -> None:
    victim = sign_in(client, "linxiaohong")
    admin = sign_in(client, "huangwei")
    user_id = _user_id(client, admin, "linxiaohong")
    weak = client.post(
        f"/api/v1/admin/users/{user_id}/reset-password",
        json={"password": "123"},
        headers=bearer(admin),
    )
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    ok = client.post(
        f"/api/v1/admin/users/{user_id}/reset-password",
        json={"password": "Neu@Pass2026"},
        headers=bearer(admin),
    )
    assert ok.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(victim)).status_code == 401
    assert login(client, "linxiaohong").status_code == 401
    assert login(client, "linxiaohong", "Neu@Pass2026").status_code == 200


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
