"""三员分立 as the insiders of issue #20 tried to break it, over HTTP against the real
server with the demo org: each attack is refused and leaves nothing behind.

孙悦 (安全保密管理员), 黄伟 (系统管理员), 何晓琴 (安全审计员), 方志远 (局长) — all of
普宁市政务服务数据管理局; 李晓龙 drafts there, 张敏 is its 文书 and 印章管理员.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oa_client.domain.meetings import Attendee, Meeting
from oa_client.services import meetings as mtg
from oa_client.services import records
from tests.e2e.admin_api import Api, signed_in, user_ids
from tests.e2e.conftest import Desk
from tests.sync.support import PASSWORD

SECADMIN, SYSADMIN, AUDITOR, DIRECTOR = "sunyue", "huangwei", "hexiaoqin", "fangzhiyuan"
WRONG = "Wrong@2026"


def _unit_document(desks: dict[str, Desk]) -> str:
    """A meeting notice to the 数据管理局 (booked by 谢芳): its 文书 sees it, as would anyone
    holding a business role there."""
    admin, clerk = desks["xiefang"], desks["zhangmin"]
    records.save(admin.store, "rooms", {"id": "r-admins", "name": "第三会议室", "building": "市政府大楼",
                                        "floor": "三楼", "capacity": 20, "equipment": []})
    admin.sync()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    meeting = Meeting(
        subject="政务数据共享工作会", starts_at=start, ends_at=start + timedelta(hours=1),
        room_id="r-admins", chair_id=admin.id, chair_name="谢芳", agenda=("通报数据共享目录",),
        attendees=(Attendee(kind="unit", id=clerk.me["unit"]["id"],
                            name="普宁市政务服务数据管理局", seats=2),),
        reply_deadline=start - timedelta(days=1))
    booked = mtg.book(admin.store, meeting=meeting, user_id=admin.id, user_name="谢芳",
                      now=datetime.now(UTC))
    admin.sync()
    return booked.meeting_id


def _pulled_ids(api: Api) -> tuple[int, set[str]]:
    resp = api.get("/sync/pull", params={"cursor": 0, "limit": 1000})
    ids = {r["id"] for r in resp.json().get("changes", [])} if resp.status_code == 200 else set()
    return resp.status_code, ids


def test_security_admin_cannot_make_herself_a_business_user(server, desks) -> None:
    doc_id = _unit_document(desks)
    clerk = signed_in(server.url, "zhangmin")  # the 文书 and 印章管理员 she wanted to be
    status, ids = _pulled_ids(clerk)
    assert status == 200 and doc_id in ids

    secadmin = signed_in(server.url, SECADMIN)
    ids_of = user_ids(secadmin)
    me = ids_of[SECADMIN]
    for roles in (["principal_leader", "clerk"], ["seal_keeper"], ["secadmin", "clerk"]):
        resp = secadmin.put(f"/admin/users/{me}/roles", json={"roles": roles})
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", (roles, resp.text)
    # nor another administrator's roles, nor an administrator's role for anyone
    for login, roles in ((AUDITOR, ["principal_leader"]), (SYSADMIN, ["clerk"]),
                         ("lixiaolong", ["auditor"]), ("lixiaolong", ["sysadmin"])):
        resp = secadmin.put(f"/admin/users/{ids_of[login]}/roles", json={"roles": roles})
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", (login, resp.text)

    assert secadmin.get("/me").json()["roles"] == ["secadmin"]
    status, ids = _pulled_ids(secadmin)
    assert (status, ids) == (403, set())
    assert signed_in(server.url, SECADMIN).signed_in["user"]["roles"] == ["secadmin"]
    # what she may do: business roles for a business user, audited under her name
    resp = secadmin.put(f"/admin/users/{ids_of['lixiaolong']}/roles",
                        json={"roles": ["drafter", "seal_keeper"]})
    assert resp.status_code == 200 and resp.json()["roles"] == ["drafter", "seal_keeper"]
    auditor = signed_in(server.url, AUDITOR)
    rows = auditor.get("/audit", params={"actor": f"user:{me}", "limit": 1000}).json()
    refused = [r for r in rows if r["action"] == "user.roles_refused"]
    assert len(refused) == 7 and {r["target"] for r in refused} >= {f"user:{me}"}
    assert [r["details"]["after"] for r in rows if r["action"] == "user.roles"] == \
        [["drafter", "seal_keeper"]]


def test_system_admin_cannot_become_the_director_or_the_auditor(server, desks) -> None:
    doc_id = _unit_document(desks)
    admin = signed_in(server.url, SYSADMIN)
    ids_of = user_ids(admin)
    director, auditor = ids_of[DIRECTOR], ids_of[AUDITOR]

    # a password of his choosing: never (he would know it)
    chosen = admin.post(f"/admin/users/{director}/reset-password", json={"password": "Known@2026"})
    assert chosen.status_code == 422 and chosen.json()["code"] == "validation"
    # another administrator's credentials and account state: not his to touch
    for path in (f"/admin/users/{auditor}/reset-password", f"/admin/users/{auditor}/disable",
                 f"/admin/users/{ids_of[SECADMIN]}/reset-password",
                 f"/admin/users/{ids_of[SYSADMIN]}/reset-password",
                 f"/admin/users/{ids_of[SYSADMIN]}/disable"):
        resp = admin.post(path)
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", (path, resp.text)
    auditor_api = signed_in(server.url, AUDITOR)
    assert auditor_api.get("/audit").status_code == 200
    assert Api(server.url).login(AUDITOR, "Known@2026").status_code == 401

    # the 局长: a one-time password that opens nothing but the change of it
    reset = admin.post(f"/admin/users/{director}/reset-password")
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["one_time_password"]
    assert one_time and reset.json()["user"]["must_change_password"] is True
    assert Api(server.url).login(DIRECTOR, PASSWORD).status_code == 401  # her old one is gone
    posing = Api(server.url, device="admin-pc")
    resp = posing.login(DIRECTOR, one_time)
    assert resp.status_code == 200
    change = resp.json()["password_change"]
    assert change["code"] == "password_reset" and "管理员" in change["message"]
    for method, path in (("GET", "/sync/pull?cursor=0"), ("GET", "/org/contacts"),
                         ("GET", "/me/devices"), ("GET", "/audit")):
        denied = posing.call(method, path)
        assert denied.status_code == 403, (path, denied.text)
        assert denied.json()["code"] == "password_change_required"
    refresh = posing.http.post(posing.base + "/auth/refresh", json={
        "refresh_token": resp.json()["refresh_token"], "device_id": "admin-pc"})
    assert refresh.status_code == 200 and refresh.json()["password_change"]["code"] == \
        "password_reset"
    posing.token = refresh.json()["access_token"]
    assert posing.get("/sync/pull?cursor=0").json()["code"] == "password_change_required"
    assert doc_id not in _pulled_ids(posing)[1]
    # every step is in the log the auditor reads, under his name
    rows = auditor_api.get("/audit", params={"actor": f"user:{ids_of[SYSADMIN]}",
                                             "limit": 1000}).json()
    actions = [(r["action"], r["target"]) for r in rows]
    assert ("user.reset_password", f"user:{director}") in actions
    assert ("user.reset_password_refused", f"user:{auditor}") in actions
    assert ("user.disable_refused", f"user:{auditor}") in actions


def test_no_stranger_can_lock_anyone_out(server) -> None:
    stranger = Api(server.url, source="127.0.0.2", device="street-pc")
    for who in (SYSADMIN, SECADMIN, AUDITOR, DIRECTOR):
        answers = [stranger.login(who, WRONG) for _ in range(8)]
        assert [a.status_code for a in answers[:3]] == [401, 401, 401]
        delayed = answers[3:]
        assert all(a.status_code in (401, 429) for a in delayed)
        assert any(a.status_code == 429 for a in delayed)
        # the owner, from her own desk, signs in at once
        assert Api(server.url).login(who, PASSWORD).status_code == 200, who
    # the stranger's own address waits, and the answer says how long
    waiting = stranger.login(DIRECTOR, PASSWORD)
    assert waiting.status_code == 429
    body = waiting.json()
    assert body["code"] == "too_many_attempts" and body["retry_after"] >= 1
    assert int(waiting.headers["Retry-After"]) == body["retry_after"]


def test_answers_reveal_neither_logins_nor_passwords(server) -> None:
    admin = signed_in(server.url, SYSADMIN)
    ids_of = user_ids(admin)
    assert admin.post(f"/admin/users/{ids_of['lixiaolong']}/disable").status_code == 200
    probe = Api(server.url, source="127.0.0.2")
    right = probe.login("lixiaolong", PASSWORD)  # disabled: the right password …
    wrong = probe.login("lixiaolong", WRONG)  # … the wrong one …
    nobody = probe.login("no.such.person", WRONG)  # … and no such login at all
    assert right.status_code == wrong.status_code == nobody.status_code == 401
    assert right.json() == wrong.json() == nobody.json() == \
        {"code": "unauthorized", "message": "用户名或密码错误"}
    # the 通讯录 names people, units, positions and phones — never their logins
    colleague = signed_in(server.url, "yangfan")
    people = colleague.get("/org/users").json()
    assert len(people) > 30 and all("login" not in p for p in people)
    assert {"name", "unit", "position", "phone"} <= set(people[0])
    assert "huangwei" not in colleague.get("/org/users").text
    assert "login" not in colleague.get("/org/contacts").json()[0]
