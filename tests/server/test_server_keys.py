"""Keys out of the database (#20.5): a dump of every table yields no key; the keys live in a 0600
file beside the data directory, survive a restart, and an older database's secrets move there."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from docs_exchange.pki import CertificateAuthority
from docs_exchange.verify import verify_pdf
from oa_client.errors import KeyUnavailable
from oa_server import audit, audit_checkpoints
from oa_server.authority.meetings_replies import checkin_code
from oa_server.db import make_engine
from oa_server.keys import LEGACY_SECRETS, default_key_file, forget_cached_keys, load_server_keys
from oa_server.main import create_app
from oa_server.migrate import upgrade
from oa_server.models import ServerSecret, User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from tests.server.support import Clock, bearer, build_template, make_settings, sign_in
from tests.server.test_signing_service import SEAL_KEEPER, rendered

LEGACY_TOKEN_KEY = "11" * 32
LEGACY_STORAGE_KEY = "22" * 32
LEGACY_CHECKIN = "33" * 32


@pytest.fixture
def key_file_settings(tmp_path: Path) -> Any:
    """The server as an office runs it: no OA_SERVER_SECRET_KEY, so a key file beside the data dir
    (made on first start), and the demo org seeded by that server."""
    forget_cached_keys()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = make_settings(data_dir, f"sqlite:///{data_dir / 'oa-server.sqlite3'}", secret_key=None)
    build_template(settings.effective_database_url, keys=load_server_keys(settings))
    return settings


def _keys_app(settings: Any, clock: Clock | None = None) -> Any:
    return create_app(settings, clock=clock or Clock())


def _signing_keys(app: Any) -> SigningKeys:
    keys = getattr(app.state, "signing_keys", None)
    if keys is None:
        keys = SigningKeys(data_dir=app.state.settings.data_dir, clock=app.state.clock)
        app.state.signing_keys = keys
    return keys


def _seal(app: Any) -> bytes:
    """用印 through the seal service (what the 用印 step calls)."""
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        sealed = service.seal_pdf(
            session, keys=_signing_keys(app), settings=app.state.settings, user=keeper,
            unit_id=keeper.unit_id, pdf=rendered().pdf, anchor=rendered().seal_anchor, reason="用印",
            clock=app.state.clock,
        )
    return sealed.pdf


def _dump(db_file: Path) -> str:
    conn = sqlite3.connect(db_file)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _material(app: Any) -> dict[str, str]:
    """Every secret the server holds, as the strings a dump could show."""
    keys = app.state.server_keys
    raw = keys.checkpoint_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return {
        "master": keys.master.hex(),
        "token key": keys.token_key.hex(),
        "storage password": keys.storage_password.decode(),
        "audit key": keys.audit_key.hex(),
        "checkpoint key": raw.hex(),
        "check-in key": keys.checkin_secret,
    }


def test_a_dump_of_every_table_yields_no_key(key_file_settings: Any) -> None:
    app = _keys_app(key_file_settings)
    try:
        with TestClient(app) as client:
            tokens = sign_in(client, "liuyang")
            assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
            sealed = _seal(app)
            root = client.get("/api/v1/ca/root").content
            auditor = bearer(sign_in(client, "hexiaoqin"))
            assert client.post("/api/v1/audit/checkpoints", headers=auditor).status_code == 201
        assert verify_pdf(sealed, trust_roots=[root]).ok
        dump = _dump(Path(key_file_settings.effective_database_url.removeprefix("sqlite:///")))
        for name, secret in _material(app).items():
            assert secret.lower() not in dump.lower(), f"the {name} is in the database"
        assert "PRIVATE KEY" not in dump
        with app.state.sessionmaker() as session:
            names = set(session.scalars(select(ServerSecret.name)))
        assert not names & set(LEGACY_SECRETS)
        # the key file: beside the data directory, never inside, 0600 in a 0700 directory
        key_file = default_key_file(key_file_settings.data_dir)
        assert key_file.is_file() and key_file.parent.parent == key_file_settings.data_dir.resolve().parent
        assert key_file_settings.data_dir.resolve() not in key_file.parents
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
        assert json.loads(key_file.read_text())["master"] == app.state.server_keys.master.hex()
    finally:
        app.state.engine.dispose()


def test_the_keys_still_work_after_a_restart(key_file_settings: Any) -> None:
    first = _keys_app(key_file_settings)
    with TestClient(first) as client:
        tokens = sign_in(client, "liuyang")
        sealed = _seal(first)
        root = client.get("/api/v1/ca/root").content
        auditor = bearer(sign_in(client, "hexiaoqin"))
        checkpoint = client.post("/api/v1/audit/checkpoints", headers=auditor).json()
    first.state.engine.dispose()
    forget_cached_keys()  # a new process: everything read again from the key file
    second = _keys_app(key_file_settings)
    try:
        with TestClient(second) as client:
            assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
            assert client.get("/api/v1/ca/root").content == root
            again = _seal(second)
            assert verify_pdf(again, trust_roots=[root]).ok and verify_pdf(sealed, trust_roots=[root]).ok
            verdict = client.post("/api/v1/audit/verify", json={"checkpoints": [checkpoint]},
                                  headers=bearer(sign_in(client, "hexiaoqin"))).json()
            assert verdict["ok"] is True, verdict
    finally:
        second.state.engine.dispose()


def test_a_key_file_others_can_read_is_refused(key_file_settings: Any) -> None:
    create_app(key_file_settings).state.engine.dispose()
    key_file = default_key_file(key_file_settings.data_dir)
    key_file.chmod(0o644)
    forget_cached_keys()
    with pytest.raises(KeyUnavailable, match="权限过宽"):
        create_app(key_file_settings)


def _legacy_storage_password(hex_value: str) -> bytes:
    """How a release before the key file derived the CA/seal key password from the table's secret."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"oa-server signing key storage v1").derive(bytes.fromhex(hex_value))
    return derived.hex().encode()


def _old_release_database(tmp_path: Path) -> tuple[Any, Path]:
    """A database as the release before this one left it: secrets in the table, an unkeyed audit chain,
    a root CA encrypted with the table's secret."""
    data_dir = tmp_path / "old" / "data"
    data_dir.mkdir(parents=True)
    url = f"sqlite:///{data_dir / 'oa-server.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for name, value in (("access_token_key", LEGACY_TOKEN_KEY),
                                ("signing_storage_key", LEGACY_STORAGE_KEY),
                                ("meetings-checkin", LEGACY_CHECKIN)):
                conn.execute(text("INSERT INTO server_secrets (name, value) VALUES (:n, :v)"),
                             {"n": name, "v": value})
            prev = audit.GENESIS
            for seq in (1, 2, 3):
                row = {"seq": seq, "at": f"2026-01-0{seq}T00:00:00.000000+00:00", "actor": "cli:old",
                       "action": "old.thing", "target": "", "details": "{}", "prev_hash": prev}
                digest = audit.row_hash(**row)  # the plain SHA-256 chain of the old release
                conn.execute(text(
                    "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) "
                    "VALUES (:seq, :at, :actor, :action, :target, :details, :prev_hash, :hash)"),
                    {**row, "hash": digest})
                prev = digest
    finally:
        engine.dispose()
    CertificateAuthority.create("旧版本根证书").save(data_dir / "ca", password=_legacy_storage_password(LEGACY_STORAGE_KEY))
    forget_cached_keys()
    return make_settings(data_dir, url, secret_key=None), data_dir


def test_an_older_databases_secrets_move_out_and_keep_working(tmp_path: Path) -> None:
    settings, data_dir = _old_release_database(tmp_path)
    app = create_app(settings)
    try:
        with app.state.sessionmaker() as session:
            assert not set(session.scalars(select(ServerSecret.name))) & set(LEGACY_SECRETS)
            moved = session.scalars(select(audit.AuditEntry).where(
                audit.AuditEntry.action == "server.secrets_moved")).one()
            assert json.loads(moved.details)["names"] == sorted(LEGACY_SECRETS)
            assert audit.verify(session).ok  # old unkeyed rows + new keyed ones
            assert audit_checkpoints.make_checkpoint(session, app.state.server_keys).seq == 4
        key_file = default_key_file(data_dir)
        legacy = json.loads(key_file.read_text())["legacy"]
        assert legacy == {"access_token_key": LEGACY_TOKEN_KEY, "signing_storage_key": LEGACY_STORAGE_KEY,
                          "meetings-checkin": LEGACY_CHECKIN}
        keys = app.state.server_keys
        with app.state.sessionmaker() as session:
            third = session.get(audit.AuditEntry, 3)
        assert keys.audit_boundary == (3, third.hash)  # where the old rows end, kept outside the database
        # tokens signed before the upgrade, the CA's encrypted key and the sign-in codes keep working
        assert keys.token_key == bytes.fromhex(LEGACY_TOKEN_KEY)
        with app.state.sessionmaker() as session:
            ca = _signing_keys(app).ca(session=session, settings=settings, create=False)
        assert ca.name == "旧版本根证书"
        start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        assert checkin_code(keys.checkin_secret, "m1", start) == checkin_code(LEGACY_CHECKIN, "m1", start)
    finally:
        app.state.engine.dispose()


def test_removing_the_old_rows_marker_is_caught(tmp_path: Path) -> None:
    settings, _data_dir = _old_release_database(tmp_path)
    create_app(settings).state.engine.dispose()
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.begin() as conn:  # who writes the database drops the boundary marker too
            conn.execute(text("DELETE FROM server_secrets WHERE name = :n"), {"n": audit.LEGACY_BOUNDARY})
    finally:
        engine.dispose()
    forget_cached_keys()
    app = create_app(settings)
    try:
        with app.state.sessionmaker() as session:
            # the key file remembers where the old rows end: the database alone cannot undo it
            result = audit.verify(session)
        assert (result.ok, result.bad_seq, result.reason) == (False, 1, "boundary")
    finally:
        app.state.engine.dispose()


def test_the_token_key_is_not_a_database_row_any_more(client: TestClient, app: Any) -> None:
    sign_in(client, "liuyang")
    with app.state.sessionmaker() as session:
        names = set(session.scalars(select(ServerSecret.name)))
    assert not names & set(LEGACY_SECRETS)
    assert not any(re.fullmatch(r"[0-9a-f]{64}", n) for n in names)
