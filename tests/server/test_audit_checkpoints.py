"""An audit trail that survives an administrator (#20.4): signed checkpoints the auditor keeps catch a
truncated tail and a chain rewritten whole; only the auditor reaches them."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from oa_server import audit, audit_checkpoints, cli
from oa_server.main import checkpoint_if_due
from oa_server.models import AuditCheckpoint
from tests.server.support import CHEAP_ENV, Clock, allow_tampering, bearer, restore_guard, sign_in

AUDITOR = "hexiaoqin"
ENDPOINTS = (
    ("GET", "/api/v1/audit/checkpoints", None),
    ("POST", "/api/v1/audit/checkpoints", None),
    ("GET", "/api/v1/audit/checkpoint-key", None),
    ("POST", "/api/v1/audit/verify", {"checkpoints": []}),
)


def _auditor(client: TestClient) -> dict[str, str]:
    return bearer(sign_in(client, AUDITOR))


def _checkpoint(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/audit/checkpoints", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _verify(client: TestClient, headers: dict[str, str], checkpoints: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/api/v1/audit/verify", json={"checkpoints": checkpoints}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("who", ["huangwei", "sunyue", "liuyang", "zhangmin"])
def test_only_the_auditor_reaches_the_checkpoints(client: TestClient, who: str) -> None:
    headers = bearer(sign_in(client, who))
    for method, path, body in ENDPOINTS:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "forbidden" and response.json()["message"]
    assert client.get("/api/v1/audit/checkpoints").status_code == 401


def test_a_checkpoint_is_signed_with_the_published_key(client: TestClient, app: FastAPI) -> None:
    headers = _auditor(client)
    cp = _checkpoint(client, headers)
    assert set(cp) == {"seq", "head_hash", "at", "signature", "key_id"}
    with app.state.sessionmaker() as session:
        assert (cp["seq"], cp["head_hash"]) == audit.head(session)
        requested = session.get(audit.AuditEntry, cp["seq"])
    assert requested.action == "audit.checkpoint_requested"  # the auditor's own act is in the log
    key = client.get("/api/v1/audit/checkpoint-key", headers=headers)
    assert key.status_code == 200 and key.headers["x-key-id"] == cp["key_id"]
    public = load_pem_public_key(key.content)
    assert isinstance(public, Ed25519PublicKey)
    parsed = audit_checkpoints.Checkpoint.parse(cp)
    public.verify(bytes.fromhex(cp["signature"]), parsed.message())  # raises if it does not hold
    listed = client.get("/api/v1/audit/checkpoints", params={"after_seq": cp["seq"] - 1}, headers=headers)
    assert cp in listed.json()
    assert client.get("/api/v1/audit/checkpoints", params={"after_seq": cp["seq"]},
                      headers=headers).json() == []
    verdict = _verify(client, headers, [cp])
    assert verdict == {"ok": True, "rows": cp["seq"], "first_bad_seq": None,
                       "message": verdict["message"], "latest_seq": cp["seq"]}


def test_a_truncated_tail_is_caught_with_the_auditors_checkpoint(
    client: TestClient, app: FastAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = _auditor(client)
    for _ in range(3):  # some more history
        sign_in(client, "liuyang")
    held = _checkpoint(client, headers)
    head = held["seq"]
    with app.state.engine.begin() as conn:  # drop the guard, cut the last 8 rows, put the guard back
        allow_tampering(conn)
        conn.execute(text("DELETE FROM audit_log WHERE seq > :s"), {"s": head - 8})
        restore_guard(conn)
    # the chain alone still looks whole: what `audit verify` said before checkpoints
    old_style = client.get("/api/v1/audit/verify", headers=headers).json()
    assert old_style["ok"] is True and old_style["checked"] == head - 8
    verdict = _verify(client, headers, [held])
    assert verdict["ok"] is False
    assert verdict["first_bad_seq"] == head - 7
    assert verdict["latest_seq"] == head - 8 and verdict["rows"] == head - 8
    assert f"第 {head - 7} 条起的记录被删除" in verdict["message"]
    # the server will not sign the shortened chain either
    refused = client.post("/api/v1/audit/checkpoints", headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    # the CLI with the checkpoint file the auditor saved
    saved = tmp_path / "checkpoints.json"
    saved.write_text(json.dumps([held]), encoding="utf-8")
    settings = app.state.settings
    args = ["--data-dir", str(settings.data_dir), "--database-url", settings.effective_database_url,
            "audit", "verify", "--checkpoints", str(saved)]
    with pytest.MonkeyPatch.context() as mp:
        for key, value in CHEAP_ENV.items():
            mp.setenv(key, value)
        assert cli.main(args) == cli.EXIT_ERROR
    assert f"第 {head - 7} 条" in capsys.readouterr().err


def _rewrite_with_plain_sha256(conn: Any) -> int:
    rows = conn.execute(text("SELECT seq, at, actor, action, target, details FROM audit_log ORDER BY seq")).all()
    prev = audit.GENESIS
    for row in rows:
        actor = "user:nobody" if row.action == "auth.login" else row.actor  # hide who signed in
        digest = audit.row_hash(seq=row.seq, at=row.at, actor=actor, action=row.action, target=row.target,
                                details=row.details, prev_hash=prev)
        conn.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"),
                     {"a": actor, "p": prev, "h": digest, "s": row.seq})
        prev = digest
    return len(rows)


def test_a_chain_rewritten_whole_with_plain_sha256_is_caught(client: TestClient, app: FastAPI) -> None:
    headers = _auditor(client)
    held = _checkpoint(client, headers)
    with app.state.engine.begin() as conn:
        allow_tampering(conn)
        n = _rewrite_with_plain_sha256(conn)
        restore_guard(conn)
    verdict = _verify(client, headers, [held])
    assert verdict["ok"] is False and verdict["first_bad_seq"] == 1 and verdict["latest_seq"] == n
    assert "第 1 条记录的内容或哈希被改动" in verdict["message"]
    # without any checkpoint the keyed chain alone catches it too
    assert _verify(client, headers, [])["first_bad_seq"] == 1


def test_a_forged_checkpoint_is_not_trusted(client: TestClient) -> None:
    headers = _auditor(client)
    held = _checkpoint(client, headers)
    forged = {**held, "seq": held["seq"] + 50}  # "there were 50 more rows" — the signature says no
    verdict = _verify(client, headers, [forged])
    assert verdict["ok"] is False and verdict["first_bad_seq"] is None
    assert "签名无效" in verdict["message"]
    bad = client.post("/api/v1/audit/verify", json={"checkpoints": [{**held, "head_hash": "xyz"}]},
                      headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "validation"


def test_the_server_makes_a_checkpoint_every_hour(app: FastAPI, clock: Clock) -> None:
    def count() -> int:
        with app.state.sessionmaker() as session:
            return len(session.scalars(select(AuditCheckpoint)).all())

    assert count() == 0  # the app alone runs no background job
    assert checkpoint_if_due(app) is True
    made = count()
    assert made == 1
    assert checkpoint_if_due(app) is False and count() == made  # not due again yet
    clock.advance(minutes=59)
    assert checkpoint_if_due(app) is False
    clock.advance(minutes=2)
    assert checkpoint_if_due(app) is True and count() == made + 1
    with app.state.sessionmaker() as session:
        newest = audit_checkpoints.latest(session, app.state.server_keys)
    assert newest is not None and datetime.fromisoformat(newest.at) >= clock.now - timedelta(seconds=1)


def test_the_running_server_signs_its_first_checkpoint_by_itself(app: FastAPI) -> None:
    with TestClient(app):  # the lifespan starts the background job
        deadline = time.monotonic() + 10
        while True:
            with app.state.sessionmaker() as session:
                if session.scalars(select(AuditCheckpoint)).first() is not None:
                    break
            assert time.monotonic() < deadline, "no checkpoint made"
            time.sleep(0.1)
