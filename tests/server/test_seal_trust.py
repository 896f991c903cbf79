"""Seals others can trust (#19.9, #19.7, #19.3): NSS (poppler's pdfsig, vfychain), OpenSSL and
pyHanko accept the server's certificates; a seal holds for years, locks the document, and is revoked
with the seal it was replaced by; disabled officials' certificates are revoked; each seal has its own key."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields
from sqlalchemy import select

from docs_exchange.crl import load_crl
from docs_exchange.pki import Credential
from docs_exchange.signing import PadesSigner, generate_personal_key
from docs_exchange.verify import verify_pdf
from oa_client.errors import ValidationError
from oa_server.models import AuditEntry, IssuedCertificate, User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from tests.server.support import Clock, bearer, sign_in
from tests.server.test_signing_service import (
    OFFICIAL,
    OFFICIAL_NAME,
    SEAL_KEEPER,
    SYSADMIN,
    UNIT,
    rendered,
)

TOOLS = ("pdfsig", "certutil", "vfychain", "openssl")
needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="poppler-utils, libnss3-tools and openssl come with `make setup` (scripts/bootstrap.sh)",
)


def _keys(app: FastAPI) -> SigningKeys:
    keys = getattr(app.state, "signing_keys", None)
    if keys is None:
        keys = SigningKeys(data_dir=app.state.settings.data_dir, clock=app.state.clock)
        app.state.signing_keys = keys
    return keys


def _seal(app: FastAPI, pdf: bytes, *, seal_name: str = "公章", keeper: str = SEAL_KEEPER) -> bytes:
    """用印 through the seal service, as the flow's 用印 step calls it."""
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.login == keeper)).one()
        sealed = service.seal_pdf(
            session, keys=_keys(app), settings=app.state.settings, user=user, unit_id=user.unit_id, pdf=pdf,
            anchor=rendered().seal_anchor, reason="用印", clock=app.state.clock, seal_name=seal_name,
            record="documents:test",
        )
    return sealed.pdf


def _personal(client: TestClient, who: str = OFFICIAL) -> Credential:
    """An official's key made on the device and certified by the server CA."""
    key = generate_personal_key(name="x", unit="y")
    issued = client.post("/api/v1/ca/certificates", json={"csr_pem": key.csr_pem.decode()},
                         headers=bearer(sign_in(client, who)))
    assert issued.status_code == 201, issued.text
    body = issued.json()
    return Credential(certificate=x509.load_pem_x509_certificate(body["certificate_pem"].encode()),
                      chain=[x509.load_pem_x509_certificate(p.encode()) for p in body["chain_pem"]],
                      private_key=key.private_key)


def _sign_off(credential: Credential, pdf: bytes) -> bytes:
    return PadesSigner(credential).sign_pdf(pdf, anchor=None, stamp_png=None, reason="签发", location=None,
                                            field_name="SignOff")


@pytest.fixture
def nss(tmp_path: Path, client: TestClient) -> Path:
    """An NSS database (what poppler and LibreOffice read) trusting the server's root, C,C,C."""
    db = tmp_path / "nss"
    db.mkdir()
    root = tmp_path / "root.pem"
    root.write_bytes(client.get("/api/v1/ca/root").content)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "oa-root", "-t", "C,C,C", "-a", "-i", str(root)],
                   check=True, capture_output=True)
    return db


def _pdfsig(nss: Path, pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdfsig's verdict per signature: field → its lines' values."""
    path = tmp_path / f"doc-{len(pdf)}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True,
                         timeout=60).stdout
    blocks = re.split(r"^Signature #\d+:\s*$", out, flags=re.M)[1:]
    result = []
    for block in blocks:
        lines = [ln.strip().removeprefix("- ") for ln in block.strip().splitlines()]
        entry = {"total": "Total document signed" in lines}
        for ln in lines:
            name, sep, value = ln.partition(": ")
            if sep:
                entry[name] = value
        result.append(entry)
    return result


def _add_signature_field(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec("Signature9", on_page=0, box=(90, 500, 450, 560)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@needs_tools
def test_pdfsig_with_nss_trusts_the_seal_and_sees_the_whole_document(
    app: FastAPI, client: TestClient, nss: Path, tmp_path: Path
) -> None:
    sealed = _seal(app, _sign_off(_personal(client), rendered().pdf))
    official, seal = _pdfsig(nss, sealed, tmp_path)
    assert seal["Signer Certificate Common Name"] == UNIT
    assert seal["Signature Validation"] == "Signature is Valid."
    assert seal["Certificate Validation"] == "Certificate is Trusted."
    assert seal["total"]
    assert official["Signer Certificate Common Name"] == OFFICIAL_NAME
    assert official["Signature Validation"] == "Signature is Valid."
    assert official["Certificate Validation"] == "Certificate is Trusted."
    assert verify_pdf(sealed, trust_roots=[client.get("/api/v1/ca/root").content]).ok


@needs_tools
def test_a_changed_byte_and_an_added_field_fail_in_pdfsig_and_in_verify(
    app: FastAPI, client: TestClient, nss: Path, tmp_path: Path
) -> None:
    root = client.get("/api/v1/ca/root").content
    sealed = _seal(app, rendered().pdf)
    assert sealed.startswith(b"%PDF-1.7")  # the version the layout wrote
    pos = sealed.index(b"/Type /Page") + 2  # inside the signed range
    changed = sealed[:pos] + bytes([sealed[pos] ^ 0x01]) + sealed[pos + 1:]
    (seal,) = _pdfsig(nss, changed, tmp_path)
    assert seal["Signature Validation"] != "Signature is Valid."
    assert not verify_pdf(changed, trust_roots=[root]).ok
    added = _add_signature_field(sealed)
    seal = _pdfsig(nss, added, tmp_path)[0]
    assert not seal["total"]  # pdfsig: "Not total document signed"
    report = verify_pdf(added, trust_roots=[root])
    assert not report.ok
    assert any("新增了签名域：Signature9" in p for p in report.signatures[0].problems)


@needs_tools
def test_nss_and_openssl_accept_the_certificates_for_signing(
    app: FastAPI, client: TestClient, nss: Path, tmp_path: Path
) -> None:
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        unit = keeper.unit
        seal = _keys(app).seal_credential(session=session, settings=app.state.settings, unit=unit)
        tsa = _keys(app).tsa(session=session, settings=app.state.settings)
    person = _personal(client)
    root = tmp_path / "root.pem"
    root.write_bytes(client.get("/api/v1/ca/root").content)
    for name, cert, purpose in (("seal", seal.certificate, "smimesign"), ("person", person.certificate, "smimesign"),
                                ("tsa", tsa.credential.certificate, "timestampsign")):
        der, pem = tmp_path / f"{name}.der", tmp_path / f"{name}.pem"
        der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        if name != "tsa":  # NSS's certUsageEmailSigner: what pdfsig and LibreOffice ask of a signer
            nss_out = subprocess.run(["vfychain", "-d", f"sql:{nss}", "-u", "4", str(der)],
                                     capture_output=True, text=True)
            assert "Chain is good!" in nss_out.stdout + nss_out.stderr and nss_out.returncode == 0, name
        ossl = subprocess.run(["openssl", "verify", "-CAfile", str(root), "-purpose", purpose, str(pem)],
                              capture_output=True, text=True)
        assert ossl.returncode == 0 and ossl.stdout.strip().endswith("OK"), (name, ossl.stdout, ossl.stderr)


def test_a_seal_verifies_years_after_its_certificate_expired(app: FastAPI, client: TestClient) -> None:
    root = client.get("/api/v1/ca/root").content
    sealed = _seal(app, _sign_off(_personal(client), rendered().pdf))
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        seal = _keys(app).seal_credential(session=session, settings=app.state.settings, unit=keeper.unit)
    later = seal.certificate.not_valid_after_utc + dt.timedelta(days=365)
    report = verify_pdf(sealed, trust_roots=[root], now=later)  # offline: the CRL is in the file
    assert report.ok, report.text()
    assert all(s.validated_by_timestamp for s in report.signatures)


def test_a_disabled_officials_certificate_is_revoked_as_of_then(app: FastAPI, client: TestClient,
                                                                 clock: Clock) -> None:
    root = client.get("/api/v1/ca/root").content
    official = _personal(client)
    before = _seal(app, _sign_off(official, rendered().pdf))  # 签发 and 用印 while in office
    with app.state.sessionmaker() as session:
        user_id = session.scalars(select(User.id).where(User.login == OFFICIAL)).one()
    clock.advance(minutes=5)
    disabled = client.post(f"/api/v1/admin/users/{user_id}/disable", headers=bearer(sign_in(client, SYSADMIN)))
    assert disabled.status_code == 200, disabled.text
    crl_response = client.get("/api/v1/ca/crl")
    assert crl_response.status_code == 200 and crl_response.headers["content-type"] == "application/pkix-crl"
    crl = load_crl(crl_response.content)
    entry = crl.get_revoked_certificate_by_serial_number(official.certificate.serial_number)
    assert entry is not None
    with app.state.sessionmaker() as session:
        row = session.get(IssuedCertificate, format(official.certificate.serial_number, "x"))
        assert row.revoked_at is not None and row.user_id == user_id
        revoked = session.scalars(select(AuditEntry).where(AuditEntry.action == "ca.certificate_revoked")).all()
        assert any(r.target == f"certificate:{row.serial}" for r in revoked)
    # what was signed and sealed before stays valid, judged with today's CRL
    assert verify_pdf(before, trust_roots=[root], crls=[crl_response.content], now=clock.now).ok
    # the key still signs — but a 签发 sealed after the revocation does not verify
    clock.advance(minutes=5)
    after = _seal(app, _sign_off(official, rendered().pdf))
    report = verify_pdf(after, trust_roots=[root], crls=[crl_response.content], now=clock.now)
    assert not report.ok
    assert any("被吊销，早于签名时间" in p for p in report.signatures[0].problems)
    # the seal itself embedded the CRL that lists it: the file alone says so too
    assert not verify_pdf(after, trust_roots=[root], now=clock.now).ok


def test_a_replaced_seal_is_revoked_and_no_longer_used(app: FastAPI, client: TestClient, clock: Clock) -> None:
    root = client.get("/api/v1/ca/root").content
    first = _seal(app, rendered().pdf)
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        unit_id = keeper.unit_id
    old = verify_pdf(first, trust_roots=[root]).signatures[0]
    clock.advance(minutes=5)
    response = client.post(f"/api/v1/seals/{unit_id}/replace", headers=bearer(sign_in(client, "sunyue")))
    assert response.status_code == 201, response.text
    assert client.post(f"/api/v1/seals/{unit_id}/replace",
                       headers=bearer(sign_in(client, SEAL_KEEPER))).status_code == 403
    new_serial = response.json()["serial"]
    crl = client.get("/api/v1/ca/crl").content
    with app.state.sessionmaker() as session:
        revoked = session.scalars(select(IssuedCertificate).where(IssuedCertificate.revoked_at.is_not(None),
                                                                  IssuedCertificate.unit_id == unit_id)).all()
    assert [r.seal_name for r in revoked] == ["公章"] and revoked[0].serial != new_serial
    assert load_crl(crl).get_revoked_certificate_by_serial_number(int(revoked[0].serial, 16)) is not None
    assert verify_pdf(first, trust_roots=[root], crls=[crl], now=clock.now).ok  # sealed before the replacement
    clock.advance(minutes=5)
    second = _seal(app, rendered().pdf)
    report = verify_pdf(second, trust_roots=[root], crls=[crl], now=clock.now)
    seal = report.signatures[0]
    assert seal.ok and seal.signer.not_before != old.signer.not_before, report.text()
    from pyhanko.pdf_utils.reader import PdfFileReader

    signer = PdfFileReader(io.BytesIO(second), strict=False).embedded_regular_signatures[0].signer_cert
    assert format(signer.serial_number, "x") == new_serial


def test_each_seal_of_a_unit_has_its_own_key_certificate_and_image(app: FastAPI, client: TestClient) -> None:
    root = client.get("/api/v1/ca/root").content
    public = _seal(app, rendered().pdf)
    personnel = _seal(app, rendered().pdf, seal_name="人事专用章")
    a = verify_pdf(public, trust_roots=[root]).signatures[0]
    b = verify_pdf(personnel, trust_roots=[root]).signatures[0]
    assert a.ok and b.ok
    assert (a.signer.name, a.signer.unit) == (UNIT, UNIT)
    assert (b.signer.name, b.signer.unit, b.signer.kind) == (f"{UNIT}人事专用章", UNIT, "seal")
    with app.state.sessionmaker() as session:
        keeper = session.scalars(select(User).where(User.login == SEAL_KEEPER)).one()
        keys = _keys(app)
        one = keys.seal_credential(session=session, settings=app.state.settings, unit=keeper.unit)
        two = keys.seal_credential(session=session, settings=app.state.settings, unit=keeper.unit,
                                   seal_name="人事专用章")
        assert keys.seal_image(unit=keeper.unit) != keys.seal_image(unit=keeper.unit, seal_name="人事专用章")
        used = session.scalars(select(AuditEntry).where(AuditEntry.action == "seal.used")).all()
    assert one.certificate.public_key() != two.certificate.public_key()
    assert {r.target for r in used} == {"documents:test"}
    assert '"seal":"人事专用章"' in used[-1].details
    # a name that is not a seal is refused
    with pytest.raises(ValidationError, match="印章名称不正确"):
        _seal(app, rendered().pdf, seal_name="随便")


def test_the_crl_endpoint_needs_no_sign_in_and_is_signed_by_the_root(client: TestClient) -> None:
    root = x509.load_pem_x509_certificate(client.get("/api/v1/ca/root").content)
    crl = load_crl(client.get("/api/v1/ca/crl").content)
    assert crl.issuer == root.subject and crl.is_signature_valid(root.public_key())
    assert crl.next_update_utc > dt.datetime.now(dt.UTC)
