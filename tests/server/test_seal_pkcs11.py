"""Seal keys in a PKCS#11 token (#20.5): SoftHSM2 started in the fixture; the seal key is made in the
token, signs there, and never exists as a file."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from docs_exchange.verify import verify_pdf
from oa_server.main import create_app
from oa_server.models import AuditEntry, User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from tests.server.support import Clock, make_settings
from tests.server.test_signing_service import SEAL_KEEPER, UNIT, rendered

MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                     "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
MODULE = next((p for p in MODULE_CANDIDATES if Path(p).exists()), None)
TOKEN, PIN, SO_PIN = "oa-seals", "246810", "13579111"

@pytest.fixture(autouse=True)
def _softhsm() -> None:
    """SoftHSM2 comes with `make setup` (scripts/bootstrap.sh): missing, the test fails."""
    assert MODULE is not None and shutil.which("softhsm2-util"), \
        "SoftHSM2 is missing: run `make setup` (softhsm2)"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SoftHSM2 token of its own (SOFTHSM2_CONF in a temporary directory), initialised here."""
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
                   check=True, capture_output=True)
    import pkcs11

    lib = pkcs11.lib(MODULE)
    lib.reinitialize()  # read this configuration even if another test loaded the module before
    yield str(MODULE)
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


@pytest.fixture
def hsm_app(softhsm: str, data_dir: Path, db_url: str) -> Iterator[FastAPI]:
    """The server with its seal keys in the token."""
    settings = make_settings(data_dir, db_url, pkcs11_module=softhsm, pkcs11_token=TOKEN, pkcs11_pin=PIN)
    app = create_app(settings, clock=Clock())
    yield app
    app.state.engine.dispose()


def _seal(app: FastAPI, seal_name: str = "公章") -> bytes:
    keys = SigningKeys(data_dir=app.state.settings.data_dir, clock=app.state.clock)
    app.state.signing_keys = getattr(app.state, "signing_keys", None) or keys
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        return service.seal_pdf(
            session, keys=app.state.signing_keys, settings=app.state.settings, user=keeper,
            unit_id=keeper.unit_id, pdf=rendered().pdf, anchor=rendered().seal_anchor, reason="用印",
            clock=app.state.clock, seal_name=seal_name,
        ).pdf


def _token_keys(softhsm: str) -> list[Any]:
    import pkcs11

    token = pkcs11.lib(softhsm).get_token(token_label=TOKEN)
    with token.open(user_pin=PIN) as session:
        return [
            {
                "label": key.label,
                "sensitive": key[pkcs11.Attribute.SENSITIVE],
                "extractable": key[pkcs11.Attribute.EXTRACTABLE],
                "never_extractable": key[pkcs11.Attribute.NEVER_EXTRACTABLE],
                "exported": _try_export(key),
            }
            for key in session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY})
        ]


def _try_export(key: Any) -> bool:
    import pkcs11

    try:
        key[pkcs11.Attribute.VALUE]
    except pkcs11.exceptions.PKCS11Error:
        return False
    return True


def test_a_seal_is_signed_in_the_token_and_its_key_is_never_a_file(hsm_app: FastAPI, softhsm: str) -> None:
    with TestClient(hsm_app) as client:
        root = client.get("/api/v1/ca/root").content
    sealed = _seal(hsm_app)
    report = verify_pdf(sealed, trust_roots=[root])
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert seal.signer.name == UNIT and seal.locks_document and seal.timestamp_ok
    # in the token: one private key, sensitive and never extractable, which does not come out
    keys = _token_keys(softhsm)
    assert len(keys) == 1 and keys[0]["label"].startswith("oa-seal-")
    assert keys[0]["sensitive"] and not keys[0]["extractable"] and keys[0]["never_extractable"]
    assert not keys[0]["exported"]
    # on disk: the certificate and a reference to the token object — no key file anywhere
    seals = hsm_app.state.settings.data_dir / "seals"
    names = sorted(p.name for p in seals.rglob("*") if p.is_file())
    assert names == ["seal-key.pkcs11", "seal.pem"]
    for path in seals.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes()
    with hsm_app.state.sessionmaker() as session:
        created = session.scalars(select(AuditEntry).where(AuditEntry.action == "seal.credential_created")).one()
    assert '"key_store":"pkcs11"' in created.details
    # the same key signs the next document: no second key is made
    assert verify_pdf(_seal(hsm_app), trust_roots=[root]).ok and len(_token_keys(softhsm)) == 1
