"""A pull's and a digest's sign-in check and read are one transaction: a desk woken by news
pulls and checks its digests at once, a dozen desks together, and each transaction more is
a lock taken (SQLite) or two round trips (PostgreSQL) more for each of them."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import event

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.support import make_client, server_put


def statements(engine) -> list[str]:
    """Every statement the engine sends from now on, in order."""
    seen: list[str] = []

    def _seen(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _seen)
    return seen


def test_a_pull_checks_the_sign_in_and_reads_in_one_transaction(server, tmp_path):
    desk = make_client(server, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    drafter = make_client(server, tmp_path, "liuyang")
    hw = desk.transport.pull(0).high_water
    doc = str(uuid.uuid4())
    server_put(server, drafter, [("documents", doc,
                                  {"direction": "outgoing", "title": "新待办", "body": "x"})])
    seen = statements(server.app.state.engine)
    page = desk.transport.pull(hw)
    assert [c.id for c in page.changes] == [doc] and page.high_water == hw + 1
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert "auth_sessions" in seen[1]  # the sign-in, read first inside it
    # and the transaction ended with the answer: a writer takes the lock at once
    server_put(server, drafter, [("documents", str(uuid.uuid4()),
                                  {"direction": "outgoing", "title": "又一件", "body": "y"})])
    assert desk.transport.pull(hw + 1).high_water == hw + 2
    desk.close()
    drafter.close()


def test_a_digest_checks_the_sign_in_and_reads_in_one_transaction(server, tmp_path):
    desk = make_client(server, tmp_path, "zhengxiaoyan")
    drafter = make_client(server, tmp_path, "liuyang")
    assert "documents" not in desk.transport.digest().collections  # (the server's id made)
    server_put(server, drafter, [("documents", str(uuid.uuid4()),
                                  {"direction": "outgoing", "title": "新待办", "body": "x"})])
    seen = statements(server.app.state.engine)
    answer = desk.transport.digest()  # news of the desk's: worked out again, not remembered
    assert answer.collections["documents"].count == 1 and answer.high_water == 1
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert "auth_sessions" in seen[1]
    desk.engine.sync()  # the desk's own digests, from what it pulled, match the server's
    assert desk.engine.local_digests()["documents"] == (
        answer.collections["documents"].count, answer.collections["documents"].digest)
    desk.close()
    drafter.close()


def test_a_pull_with_the_token_of_a_signed_out_session_reads_no_record(server, tmp_path):
    desk = make_client(server, tmp_path, "zhengxiaoyan")
    drafter = make_client(server, tmp_path, "liuyang")
    server_put(server, drafter, [("documents", str(uuid.uuid4()),
                                  {"direction": "outgoing", "title": "新待办", "body": "x"})])
    assert desk.transport.pull(0).changes  # signed in, the desk sees it
    headers = {"Authorization": f"Bearer {desk.transport.access_token}",
               PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    out = requests.post(f"{server.url}/api/v1/auth/logout", headers=headers, timeout=10)
    assert out.status_code in (200, 204), out.text
    seen = statements(server.app.state.engine)
    refused = requests.get(f"{server.url}/api/v1/sync/pull", params={"cursor": 0},
                           headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    assert seen and not any("sync_records" in s or "sync_counter" in s for s in seen)
    desk.close()
    drafter.close()
