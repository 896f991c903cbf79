"""The administrators' API beyond the attacks: the security policy and its rules, a password
that expires, org import with a preview, the auditor's filters (also run on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.server.support import PASSWORD, Clock, bearer, login, sign_in

POLICY = {"min_length": 10, "min_classes": 4, "forbid_login": True, "history": 2,
          "max_age_days": 30, "idle_lock_minutes": 10, "watermark": False}


def test_only_the_security_admin_sets_the_policy(client: TestClient) -> None:
    for who in ("huangwei", "hexiaoqin", "fangzhiyuan"):
        denied = client.put("/api/v1/admin/security-policy", json=POLICY,
                            headers=bearer(sign_in(client, who)))
        assert denied.status_code == 403, who
    secadmin = sign_in(client, "sunyue")
    weak = client.put("/api/v1/admin/security-policy", json={**POLICY, "min_length": 4},
                      headers=bearer(secadmin))
    assert weak.status_code == 422 and weak.json()["field"] == "min_length"
    saved = client.put("/api/v1/admin/security-policy", json=POLICY, headers=bearer(secadmin))
    assert saved.status_code == 200
    assert saved.json()["rules"] == ["至少 10 位", "包含小写字母、大写字母、数字、符号中的至少 4 类",
                                     "不能包含登录名", "不能与最近 2 次用过的密码相同", "每 30 天须更换一次"]
    seen = client.get("/api/v1/security-policy", headers=bearer(sign_in(client, "liuyang"))).json()
    assert {k: seen[k] for k in POLICY} == POLICY and seen["updated_at"]
    auditor = sign_in(client, "hexiaoqin")
    rows = client.get("/api/v1/audit", params={"action": "policy.update"},
                      headers=bearer(auditor)).json()
    assert [(r["actor"], r["details"]["after"]["min_length"]) for r in rows] == \
        [(f"user:{secadmin['user']['id']}", 10)]


def test_a_password_older_than_the_policy_allows_must_change(client: TestClient,
                                                             clock: Clock) -> None:
    client.put("/api/v1/admin/security-policy", json=POLICY,
               headers=bearer(sign_in(client, "sunyue")))
    assert login(client, "liuyang").json()["password_change"] is None
    clock.advance(days=31)
    aged = login(client, "liuyang")
    assert aged.json()["password_change"] == {
        "code": "password_expired", "message": "您的密码已超过 30 天未更换，请设置新密码后继续使用"}
    token = bearer(aged.json())
    assert client.get("/api/v1/org/contacts", headers=token).json()["code"] == \
        "password_change_required"
    short = client.post("/api/v1/me/password", headers=token,
                        json={"old_password": PASSWORD, "new_password": "Ab@1234567"[:9]})
    assert short.status_code == 422 and short.json()["message"] == "密码至少 10 位"
    changed = client.post("/api/v1/me/password", headers=token,
                          json={"old_password": PASSWORD, "new_password": "Spring@Rain2026"})
    assert changed.status_code == 204
    assert client.get("/api/v1/org/contacts", headers=token).status_code == 200
    clock.advance(days=29)
    assert login(client, "liuyang", "Spring@Rain2026").json()["password_change"] is None


CSV = """type,name,login,level,parent,unit,department,position,roles,password
单位,普宁市司法局,,部门,普宁市人民政府,,,,,
科室,办公室,,,,普宁市司法局,,,,
人员,周健,zhoujian,,,普宁市司法局,办公室,科员,,
"""


def test_org_import_previews_then_applies_without_passwords_or_roles(client: TestClient) -> None:
    admin = sign_in(client, "huangwei")
    for who in ("sunyue", "hexiaoqin"):
        denied = client.post("/api/v1/admin/org-import/preview", json={"content": CSV},
                             headers=bearer(sign_in(client, who)))
        assert denied.status_code == 403
    preview = client.post("/api/v1/admin/org-import/preview", json={"content": CSV},
                          headers=bearer(admin))
    assert preview.status_code == 200
    assert preview.json()["applied"] is False
    assert [(c["kind"], c["action"], c["name"]) for c in preview.json()["changes"]] == [
        ("unit", "create", "普宁市司法局"), ("department", "create", "办公室"),
        ("user", "create", "周健")]
    users = client.get("/api/v1/admin/users", headers=bearer(admin)).json()
    assert "zhoujian" not in {u["login"] for u in users}  # a preview writes nothing
    for bad, message in ((CSV.replace("科员,,", "科员,drafter,"), "不能包含角色"),
                         (CSV.replace("科员,,", "科员,,Aa@123456"), "不能包含密码")):
        refused = client.post("/api/v1/admin/org-import", json={"content": bad},
                              headers=bearer(admin))
        assert refused.status_code == 422
        assert "第 4 行" in refused.json()["message"] and message in refused.json()["message"]
    applied = client.post("/api/v1/admin/org-import", json={"content": CSV}, headers=bearer(admin))
    assert applied.status_code == 200 and applied.json()["created"] == \
        {"unit": 1, "department": 1, "user": 1}
    person = next(u for u in client.get("/api/v1/admin/users", headers=bearer(admin)).json()
                  if u["login"] == "zhoujian")
    assert person["roles"] == [] and login(client, "zhoujian", PASSWORD).status_code == 401


def test_org_import_reads_any_line_ending_and_names_the_line_it_cannot_read(
        client: TestClient) -> None:
    """A CSV saved with bare \\r line ends (an old Mac export) is read like any other; one the
    CSV reader cannot read (a field past its size limit) is refused naming the line, not a 500."""
    admin = bearer(sign_in(client, "huangwei"))
    mac = client.post("/api/v1/admin/org-import/preview", json={"content": CSV.replace("\n", "\r")},
                      headers=admin)
    assert mac.status_code == 200, mac.text
    assert [c["name"] for c in mac.json()["changes"]] == ["普宁市司法局", "办公室", "周健"]
    huge = CSV.replace("科员", "科" * 140_000)  # past the csv module's 131,072-character field
    refused = client.post("/api/v1/admin/org-import/preview", json={"content": huge},
                          headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation")
    assert "第 4 行" in refused.json()["message"] and "CSV 格式不正确" in refused.json()["message"]


def test_the_auditor_filters_by_who_what_record_and_when(client: TestClient) -> None:
    admin = sign_in(client, "huangwei")
    ids = {u["login"]: u["id"] for u in client.get("/api/v1/admin/users",
                                                     headers=bearer(admin)).json()}
    start = datetime.now(UTC)  # the log keeps the server's wall-clock time
    client.post(f"/api/v1/admin/users/{ids['luojie']}/disable", headers=bearer(admin))
    client.post(f"/api/v1/admin/users/{ids['luojie']}/enable", headers=bearer(admin))
    client.post(f"/api/v1/admin/users/{ids['hexiaoqin']}/disable", headers=bearer(admin))
    auditor = bearer(sign_in(client, "hexiaoqin"))

    def rows(**params):
        answer = client.get("/api/v1/audit", params={"limit": 1000, **params}, headers=auditor)
        assert answer.status_code == 200, answer.text
        return [(r["action"], r["target"]) for r in answer.json()]

    mine = rows(actor=f"user:{admin['user']['id']}", action_prefix="user.")
    assert mine == [("user.disable", f"user:{ids['luojie']}"), ("user.enable", f"user:{ids['luojie']}"),
                    ("user.disable_refused", f"user:{ids['hexiaoqin']}")]
    assert rows(target=ids["luojie"], newest_first="true")[:2] == [
        ("user.enable", f"user:{ids['luojie']}"), ("user.disable", f"user:{ids['luojie']}")]
    before = rows(action_prefix="user.", until=start.isoformat())
    assert {a for a, _t in before} == {"user.create"}  # the demo's accounts, none of today's
    since = rows(action_prefix="user.", since=start.isoformat())
    assert since == mine
    assert rows(since=(start + timedelta(hours=1)).isoformat()) == []
    for who in ("huangwei", "sunyue"):
        assert client.get("/api/v1/audit", headers=bearer(sign_in(client, who))).status_code == 403
