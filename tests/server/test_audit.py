"""The hash-chained audit log: written for every change, read only by the auditor, tamper-evident."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from oa_server import audit
from tests.server.support import allow_tampering, bearer, login, sign_in


def test_only_the_auditor_reads_the_log(client: TestClient) -> None:
    for who in ("huangwei", "sunyue", "liuyang", "chenzhiqiang"):
        response = client.get("/api/v1/audit", headers=bearer(sign_in(client, who)))
        assert response.status_code == 403, who
        assert response.json()["code"] == "forbidden"
        assert (
            client.get("/api/v1/audit/verify", headers=bearer(sign_in(client, who))).status_code
            == 403
        )
    assert client.get("/api/v1/audit").status_code == 401
    auditor = sign_in(client, "hexiaoqin")
    rows = client.get("/api/v1/audit", params={"limit": 5}, headers=bearer(auditor)).json()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == "0" * 64 and rows[1]["prev_hash"] == rows[0]["hash"]


def test_auditor_cannot_read_business_data_or_administer(client: TestClient) -> None:
    auditor = sign_in(client, "hexiaoqin")
    assert client.get("/api/v1/org/contacts", headers=bearer(auditor)).status_code == 403
    assert client.get("/api/v1/admin/users", headers=bearer(auditor)).status_code == 403


def test_writes_are_chained_and_verify(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    units = client.get("/api/v1/org/units", headers=bearer(sysadmin)).json()
    client.post(
        "/api/v1/admin/units",
        json={
            "name": "普宁市审计局",
            "level": "部门",
            "doc_code": "普审",
            "parent_id": units[0]["id"],
        },
        headers=bearer(sysadmin),
    )
    auditor = sign_in(client, "hexiaoqin")
    rows = client.get(
        "/api/v1/audit", params={"action": "unit.create", "limit": 1000}, headers=bearer(auditor)
    ).json()
    last = rows[-1]
    assert last["details"]["name"] == "普宁市审计局"
    assert last["actor"] == f"user:{sysadmin['user']['id']}"
    result = client.get("/api/v1/audit/verify", headers=bearer(auditor)).json()
    assert result["ok"] is True and result["checked"] > 70
    assert result["head_seq"] == result["checked"] and len(result["head_hash"]) == 64


def _engine(app: FastAPI):  # type: ignore[no-untyped-def]
    return app.state.engine


def test_changed_row_is_caught(client: TestClient, app: FastAPI) -> None:
    login(client, "liuyang", "Wrong@2026")
    with _engine(app).begin() as conn:
        allow_tampering(conn)
        conn.execute(text("UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 7"))
    auditor = sign_in(client, "hexiaoqin")
    result = client.get("/api/v1/audit/verify", headers=bearer(auditor)).json()
    assert (result["ok"], result["checked"], result["bad_seq"], result["reason"]) == (
        False,
        6,
        7,
        "hash",
    )


def test_removed_row_is_caught(client: TestClient, app: FastAPI) -> None:
    with _engine(app).begin() as conn:
        allow_tampering(conn)
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    with app.state.sessionmaker() as session:
        result = audit.verify(session)
    assert not result.ok and result.bad_seq == 3 and result.reason == "missing"


@pytest.mark.parametrize("with_key", [False, True], ids=["plain-sha256", "with-the-chain-key"])
def test_rewritten_row_with_fresh_hash_is_caught(
    client: TestClient, app: FastAPI, with_key: bool
) -> None:
    with app.state.sessionmaker() as session:
        row = session.get(audit.AuditEntry, 4)
        assert row is not None
        forged = audit.row_hash(
            seq=4,
            at=row.at,
            actor="user:forger",
            action=row.action,
            target=row.target,
            details=row.details,
            prev_hash=row.prev_hash,
            key=audit.chain_key(session) if with_key else None,
        )
    with _engine(app).begin() as conn:
        allow_tampering(conn)
        conn.execute(
            text("UPDATE audit_log SET actor = 'user:forger', hash = :h WHERE seq = 4"),
            {"h": forged},
        )
    with app.state.sessionmaker() as session:
        result = audit.verify(session)
    if with_key:  # even one who holds the key breaks the next row's link
        assert (result.ok, result.bad_seq, result.reason) == (False, 5, "prev_hash")
    else:  # without the key (outside the database) the row itself does not verify
        assert (result.ok, result.bad_seq, result.reason) == (False, 4, "hash")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"],
)
def test_database_refuses_to_change_the_log(app: FastAPI, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), _engine(app).begin() as conn:
        conn.execute(text(statement))
    with app.state.sessionmaker() as session:
        assert audit.verify(session).ok


def test_scrub_drops_secret_looking_keys() -> None:
    details = {
        "login": "a",
        "password": "p",
        "new_password": "p",
        "refresh_token": "t",
        "nested": {"secret_key": "s", "ok": 1},
        "list": [{"token": "t"}],
    }
    assert audit.scrub(details) == {"login": "a", "nested": {"ok": 1}, "list": [{}]}
