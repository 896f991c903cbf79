"""The org chart and its administration under 三员分立 (also run on PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.support import bearer, login, sign_in


def _units(client: TestClient, tokens: dict) -> dict[str, dict]:
    return {u["name"]: u for u in client.get("/api/v1/org/units", headers=bearer(tokens)).json()}


def test_org_chart_needs_sign_in(client: TestClient) -> None:
    for path in ("/api/v1/org/units", "/api/v1/org/users", "/api/v1/org/roles"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_demo_units_have_levels_codes_and_sections(client: TestClient) -> None:
    units = _units(client, sign_in(client, "liuyang"))
    gov = units["普宁市人民政府"]
    assert gov["doc_code"] == "普府" and gov["level"] == "city" and gov["parent_id"] is None
    office = units["普宁市人民政府办公室"]
    assert office["doc_code"] == "普府办" and office["parent_id"] == gov["id"]
    assert {d["name"] for d in office["departments"]} >= {"秘书科", "文电科"}
    assert units["普宁市政务服务数据管理局"]["doc_code"] == "普政数"
    towns = [u for u in units.values() if u["level"] == "township"]
    assert len(towns) >= 3
    for town in towns:
        villages = [u for u in units.values() if u["parent_id"] == town["id"]]
        assert 2 <= len(villages) <= 3 and all(v["level"] == "village" for v in villages)
        assert all(v["level_name"] == "村" for v in villages)


def test_every_role_is_held_by_someone_in_the_demo(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    roles = {r["code"] for r in client.get("/api/v1/org/roles", headers=bearer(tokens)).json()}
    held = {
        r
        for u in client.get("/api/v1/org/users", headers=bearer(tokens)).json()
        for r in u["roles"]
    }
    assert roles == held and len(roles) == 13


def test_phone_numbers_only_within_ones_own_unit(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    users = client.get("/api/v1/org/users", headers=bearer(tokens)).json()
    assert len(users) >= 30
    mine = tokens["user"]["unit"]["id"]
    for user in users:
        if user["unit"]["id"] == mine:
            assert user["phone"], user["name"]
        else:
            assert user["phone"] is None and user["email"] is None, user["name"]


def test_users_of_one_unit(client: TestClient) -> None:
    tokens = sign_in(client, "liuyang")
    unit_id = _units(client, tokens)["普宁市财政局"]["id"]
    users = client.get("/api/v1/org/users", params={"unit_id": unit_id}, headers=bearer(tokens))
    assert {u["name"] for u in users.json()} == {"魏国强", "罗杰", "陈美玲", "黄莉"}
    assert all("login" not in u for u in users.json())
    bad = client.get("/api/v1/org/users", params={"unit_id": "not-a-uuid"}, headers=bearer(tokens))
    assert bad.status_code == 422 and bad.json()["field"] == "unit_id"


def test_contacts_for_business_users_only(client: TestClient) -> None:
    drafter = sign_in(client, "liuyang")
    contacts = client.get("/api/v1/org/contacts", headers=bearer(drafter))
    assert contacts.status_code == 200
    assert all(c["phone"] for c in contacts.json())
    for admin in ("huangwei", "sunyue", "hexiaoqin"):
        denied = client.get("/api/v1/org/contacts", headers=bearer(sign_in(client, admin)))
        assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
        assert "三员分立" in denied.json()["message"]


def test_sysadmin_sees_no_phone_numbers_even_in_own_unit(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    me = sysadmin["user"]["id"]
    for path in ("/api/v1/org/users", "/api/v1/admin/users"):
        users = client.get(path, headers=bearer(sysadmin)).json()
        assert len(users) > 30 and all(u["phone"] is None for u in users if u["id"] != me)


def test_sysadmin_builds_a_unit_and_account_secadmin_assigns_roles(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    units = _units(client, sysadmin)
    created = client.post(
        "/api/v1/admin/units",
        json={
            "name": "普宁市卫生健康局",
            "level": "部门",
            "doc_code": "普卫健",
            "parent_id": units["普宁市人民政府"]["id"],
        },
        headers=bearer(sysadmin),
    )
    assert created.status_code == 201, created.text
    unit = created.json()
    assert unit["level"] == "department" and unit["doc_code"] == "普卫健"
    dept = client.post(
        f"/api/v1/admin/units/{unit['id']}/departments",
        json={"name": "办公室"},
        headers=bearer(sysadmin),
    )
    assert dept.status_code == 201
    user = client.post(
        "/api/v1/admin/users",
        json={
            "login": "wangfang",
            "name": "王芳",
            "unit_id": unit["id"],
            "department_id": dept.json()["id"],
            "position": "科员",
            "phone": "0663-2277011",
        },
        headers=bearer(sysadmin),
    )
    assert user.status_code == 201, user.text
    assert user.json()["user"]["roles"] == [] and user.json()["user"]["must_change_password"]
    first_password = user.json()["one_time_password"]
    user_id = user.json()["user"]["id"]
    # 三员分立: the system administrator may not assign roles …
    denied = client.put(
        f"/api/v1/admin/users/{user_id}/roles",
        json={"roles": ["drafter"]},
        headers=bearer(sysadmin),
    )
    assert denied.status_code == 403
    # … the security administrator does.
    secadmin = sign_in(client, "sunyue")
    granted = client.put(
        f"/api/v1/admin/users/{user_id}/roles",
        json={"roles": ["drafter", "clerk"]},
        headers=bearer(secadmin),
    )
    assert granted.status_code == 200 and granted.json()["roles"] == ["clerk", "drafter"]
    changed = client.put(
        f"/api/v1/admin/users/{user_id}/roles",
        json={"roles": ["clerk", "section_chief"]},
        headers=bearer(secadmin),
    )
    assert changed.json()["roles"] == ["clerk", "section_chief"]
    signed = login(client, "wangfang", first_password)
    assert signed.status_code == 200
    assert signed.json()["password_change"]["code"] == "initial_password"
    changed = client.post("/api/v1/me/password", headers=bearer(signed.json()),
                          json={"old_password": first_password, "new_password": "Start@2026"})
    assert changed.status_code == 204
    me = client.get("/api/v1/me", headers=bearer(signed.json()))
    assert me.json()["unit"]["name"] == "普宁市卫生健康局"
    assert me.json()["must_change_password"] is False


def test_secadmin_and_business_users_cannot_manage_accounts(client: TestClient) -> None:
    units = _units(client, sign_in(client, "huangwei"))
    body = {
        "login": "someone",
        "name": "某人",
        "unit_id": units["普宁市教育局"]["id"],
    }
    for who in ("sunyue", "hexiaoqin", "fangzhiyuan", "liuyang"):
        response = client.post(
            "/api/v1/admin/users", json=body, headers=bearer(sign_in(client, who))
        )
        assert response.status_code == 403, who


def test_three_admin_roles_stand_alone(client: TestClient) -> None:
    secadmin = sign_in(client, "sunyue")
    users = client.get("/api/v1/admin/users", headers=bearer(secadmin)).json()
    target = next(u for u in users if u["login"] == "liuyang")
    for roles in (["sysadmin", "drafter"], ["auditor", "secadmin"]):
        response = client.put(
            f"/api/v1/admin/users/{target['id']}/roles",
            json={"roles": roles},
            headers=bearer(secadmin),
        )
        assert response.status_code == 403 and "三员分立" in response.json()["message"]
    unknown = client.put(
        f"/api/v1/admin/users/{target['id']}/roles",
        json={"roles": ["king"]},
        headers=bearer(secadmin),
    )
    assert unknown.status_code == 422 and "king" in unknown.json()["message"]


def test_admin_input_errors_are_4xx(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    units = _units(client, sysadmin)
    gov = units["普宁市人民政府"]["id"]
    cases = [
        ({"name": "普宁市财政局", "level": "部门", "parent_id": gov}, 422),  # duplicate name
        ({"name": "新单位", "level": "部门", "doc_code": "普财", "parent_id": gov}, 422),
        ({"name": "新单位", "level": "省", "parent_id": gov}, 422),
        ({"name": "新村", "level": "村"}, 422),  # a village needs its township
        (
            {
                "name": "新单位",
                "level": "部门",
                "parent_id": "00000000-0000-0000-0000-000000000000",
            },
            404,
        ),
    ]
    for body, status in cases:
        response = client.post("/api/v1/admin/units", json=body, headers=bearer(sysadmin))
        assert response.status_code == status, (body, response.text)
    missing = client.post(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/disable", headers=bearer(sysadmin)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    dup = client.post(
        "/api/v1/admin/users",
        json={"login": "liuyang", "name": "重名", "unit_id": gov},
        headers=bearer(sysadmin),
    )
    assert dup.status_code == 422 and dup.json()["field"] == "login"
    bad_login = client.post(
        "/api/v1/admin/users",
        json={"login": "刘 洋", "name": "刘洋", "unit_id": gov},
        headers=bearer(sysadmin),
    )
    assert bad_login.status_code == 422 and bad_login.json()["field"] == "login"


def test_disabled_unit_leaves_the_org_chart(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    unit_id = _units(client, sysadmin)["梅塘镇田中村"]["id"]
    response = client.post(f"/api/v1/admin/units/{unit_id}/disable", headers=bearer(sysadmin))
    assert response.status_code == 200 and response.json()["active"] is False
    assert "梅塘镇田中村" not in _units(client, sysadmin)


def test_english_messages_on_request(client: TestClient) -> None:
    response = login(client, "liuyang", "Wrong@2026", **{"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 401
    assert response.json()["message"] == "Wrong user name or password"
    zh = login(client, "liuyang", "Wrong@2026", **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert zh.json()["message"] == "用户名或密码错误"
