"""The server's signing service: CA root, personal certificates, unit seals (用印).

The seal is pressed only by the flow (oa_server/sealing.py): no endpoint seals an upload.
The seal service itself (`service.seal_pdf`) is tested here as a service, with the files the
flow would give it."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import RenderResult, render_pdf
from docs_exchange.pki import Credential
from docs_exchange.seal import draw_seal
from docs_exchange.signing import PadesSigner, SealAnchor, generate_personal_key
from docs_exchange.verify import verify_pdf
from oa_client.errors import PermissionDenied, ValidationError
from oa_server import cli
from oa_server.models import AuditEntry, User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from oa_server.signing.service import SealedPdf
from tests.server.support import bearer, sign_in

UNIT = "普宁市政务服务数据管理局"
OFFICIAL, OFFICIAL_NAME = "fangzhiyuan", "方志远"  # 局长 (principal leader) of UNIT
SEAL_KEEPER = "zhangmin"  # clerk + seal_keeper of UNIT
SAME_UNIT_NO_SEAL = "chenjing"  # office director of UNIT, no seal_keeper role
OTHER_UNIT_KEEPER = "caiweidong"  # seal_keeper of 普宁市人民政府办公室
SYSADMIN = "huangwei"
SECADMIN = "sunyue"  # 安全保密管理员: keeps the seals


@cache
def rendered() -> RenderResult:
    """A small 公文 of UNIT rendered to PDF, with its seal anchor."""
    doc = OfficialDocument(
        issuer_mark=UNIT + "文件",
        doc_number="普政数〔2026〕3号",
        title="关于开展政务数据共享专项检查的通知",
        main_to="各镇人民政府，市直各单位：",
        body=[
            "为进一步提升政务数据共享质量，经研究，决定在全市开展政务数据共享专项检查。",
            "请各单位于12月10日前完成自查，并将自查报告报送市政务服务数据管理局。",
        ],
        issuer_name=UNIT,
        date=dt.date(2026, 11, 20),
    )
    result = render_pdf(doc)
    assert result.seal_anchor is not None
    return result


def _auth(client: TestClient, who: str) -> dict[str, str]:
    return bearer(sign_in(client, who))


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _seal(app: FastAPI, who: str, pdf: bytes, *, unit_id: str | None = None,
          anchor: SealAnchor | None = None, reason: str = "用印") -> SealedPdf:
    """Press a seal through the seal service as `who` (what the 用印 step does)."""
    settings = app.state.settings
    keys = SigningKeys(data_dir=settings.data_dir, clock=app.state.clock)
    with app.state.sessionmaker() as session:
        user = session.scalar(select(User).where(User.login == who))
        assert user is not None
        return service.seal_pdf(
            session, keys=keys, settings=settings, user=user,
            unit_id=uuid.UUID(unit_id) if unit_id else user.unit_id, pdf=pdf,
            anchor=anchor or rendered().seal_anchor, reason=reason, clock=app.state.clock)


def _request_certificate(client: TestClient, headers: dict[str, str], csr_pem: bytes) -> Any:
    return client.post(
        "/api/v1/ca/certificates", json={"csr_pem": csr_pem.decode()}, headers=headers
    )


def _audit(app: FastAPI, action: str) -> list[dict[str, Any]]:
    with app.state.sessionmaker() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [
            {"actor": r.actor, "target": r.target, "details": json.loads(r.details)} for r in rows
        ]


def _signed_off_and_sealed(client: TestClient) -> tuple[bytes, bytes]:
    """签发 by the official on the device, then 用印 by the seal keeper; (root PEM, final PDF)."""
    official = _auth(client, OFFICIAL)
    # the CSR claims another name and unit: the server takes both from the account
    key = generate_personal_key(name="冒名者", unit="别的单位")
    response = _request_certificate(client, official, key.csr_pem)
    assert response.status_code == 201, response.text
    issued = response.json()
    assert (issued["subject"], issued["unit"]) == (OFFICIAL_NAME, UNIT)
    cert = x509.load_pem_x509_certificate(issued["certificate_pem"].encode())
    chain = [x509.load_pem_x509_certificate(p.encode()) for p in issued["chain_pem"]]
    credential = Credential(certificate=cert, chain=chain, private_key=key.private_key)
    signed_off = PadesSigner(credential).sign_pdf(rendered().pdf, reason="签发")

    sealed = _seal(client.app, SEAL_KEEPER, signed_off)
    assert sealed.pdf.startswith(signed_off)  # an incremental update: 签发 kept intact
    assert sealed.document_sha256 == hashlib.sha256(signed_off).hexdigest()
    root = client.get("/api/v1/ca/root")
    assert root.status_code == 200 and root.content.startswith(b"-----BEGIN CERTIFICATE-----")
    return root.content, sealed.pdf


def test_sign_off_and_seal_verify_against_the_server_root(
    client: TestClient, app: FastAPI, tmp_path: Path
) -> None:
    root, pdf = _signed_off_and_sealed(client)
    report = verify_pdf(pdf, trust_roots=[root])
    assert report.ok, report.text()
    assert len(report.signatures) == 2
    first, second = report.signatures
    assert all(s.intact and s.trusted for s in report.signatures)
    assert (first.signer.name, first.signer.unit, first.signer.kind) == (OFFICIAL_NAME, UNIT, "person")
    assert (second.signer.name, second.signer.unit, second.signer.kind) == (UNIT, UNIT, "seal")
    assert (first.reason, second.reason) == ("签发", "用印")

    # one byte changed anywhere after signing: verification fails loudly
    tampered = bytearray(pdf)
    spot = rendered().pdf.find(b"stream") + 40
    tampered[spot] ^= 0x01
    assert not verify_pdf(bytes(tampered), trust_roots=[root]).ok

    # another CA's root does not vouch for these signatures
    from docs_exchange.pki import CertificateAuthority

    stranger = CertificateAuthority.create("别处的根证书").cert_pem
    assert not verify_pdf(pdf, trust_roots=[stranger]).ok

    # every use of the seal is audited: who, which unit, which document
    uses = _audit(app, "seal.used")
    assert len(uses) == 1
    keeper = _me(client, _auth(client, SEAL_KEEPER))
    assert uses[0]["actor"] == f"user:{keeper['id']}"
    assert uses[0]["target"] == f"unit:{keeper['unit']['id']}"
    assert len(uses[0]["details"]["document_sha256"]) == 64
    issued = _audit(app, "ca.certificate_issued")
    assert len(issued) == 1 and issued[0]["details"]["subject"] == OFFICIAL_NAME

    if shutil.which("pdftoppm"):
        _assert_red_seal_at_anchor(pdf, tmp_path)


def _assert_red_seal_at_anchor(pdf: bytes, tmp_path: Path) -> None:
    anchor = rendered().seal_anchor
    (tmp_path / "signed.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-f", str(anchor.page + 1), "-l", str(anchor.page + 1),
         "-singlefile", str(tmp_path / "signed.pdf"), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=60,
    )
    page = Image.open(tmp_path / "page.png").convert("RGB")
    scale = 80 / 72
    box = (
        round(anchor.x_pt * scale),
        round(page.height - (anchor.y_pt + anchor.height_pt) * scale),
        round((anchor.x_pt + anchor.width_pt) * scale),
        round(page.height - anchor.y_pt * scale),
    )
    raw = page.crop(box).tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    red = sum(1 for r, g, b in pixels if r > 180 and g < 110 and b < 110)
    assert red > len(pixels) * 0.08, f"too little red seal ink at the anchor: {red}/{len(pixels)}"


def test_no_endpoint_seals_an_uploaded_pdf(client: TestClient, app: FastAPI) -> None:
    """A seal keeper uploads a PDF of her own and asks for the unit's seal: refused (issue
    #19, finding 2); the seal is pressed only on a record at 用印, by the flow."""
    keeper = _auth(client, SEAL_KEEPER)
    anchor = rendered().seal_anchor
    for path in ("/api/v1/seals/sign", "/api/v1/seals/sign/"):
        answer = client.post(
            path, params={"page": anchor.page, "x": anchor.x_pt, "y": anchor.y_pt,
                          "w": anchor.width_pt, "h": anchor.height_pt, "reason": "用印"},
            content=rendered().pdf, headers={**keeper, "Content-Type": "application/pdf"})
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "not_found" and answer.json()["message"]
    # the 公文 endpoint makes nothing of an arbitrary record: no such document
    arbitrary = client.post("/api/v1/documents/00000000-0000-7000-8000-000000000000/seal",
                            content=rendered().pdf, headers=keeper)
    assert arbitrary.status_code == 404 and arbitrary.json()["code"] == "not_found"
    assert not _audit(app, "seal.used")
    assert not any("/seals/sign" in p for p in client.get("/api/v1/openapi.json").json()["paths"])


def test_only_the_units_seal_keeper_may_use_its_seal(client: TestClient, app: FastAPI) -> None:
    unit_id = _me(client, _auth(client, SEAL_KEEPER))["unit"]["id"]
    pdf = rendered().pdf
    for who in (SAME_UNIT_NO_SEAL, OTHER_UNIT_KEEPER, SYSADMIN):
        with pytest.raises(PermissionDenied) as refused:
            _seal(app, who, pdf, unit_id=unit_id)
        assert refused.value.code == "forbidden" and "印章管理员" in refused.value.message
    denied = _audit(app, "seal.use_denied")
    assert len(denied) == 3 and all(d["target"] == f"unit:{unit_id}" for d in denied)
    assert all(d["details"]["document_sha256"] == hashlib.sha256(pdf).hexdigest() for d in denied)
    assert not _audit(app, "seal.used")
    # the other unit's keeper may use their own unit's seal
    own = _seal(app, OTHER_UNIT_KEEPER, pdf)
    assert own.pdf.startswith(pdf) and own.unit.name == "普宁市人民政府办公室"


def test_bad_input_to_the_seal_is_a_validation_error(client: TestClient, app: FastAPI) -> None:
    for body in (b"", b"hello, not a pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50):
        with pytest.raises(ValidationError) as bad:
            _seal(app, SEAL_KEEPER, body)
        assert bad.value.code == "validation" and bad.value.context["field"] == "body"
    anchor = rendered().seal_anchor
    for wrong, field in (
        (SealAnchor(page=7, x_pt=anchor.x_pt, y_pt=anchor.y_pt, width_pt=100, height_pt=100),
         "anchor"),
        (SealAnchor(page=0, x_pt=560, y_pt=100, width_pt=100, height_pt=100), "anchor"),
    ):
        with pytest.raises(ValidationError) as bad:
            _seal(app, SEAL_KEEPER, rendered().pdf, anchor=wrong)
        assert bad.value.context["field"] == field
    with pytest.raises(ValidationError) as bad:
        _seal(app, SEAL_KEEPER, rendered().pdf, reason="用印\x00")
    assert bad.value.context["field"] == "reason"


def test_certificate_requests_refused(client: TestClient) -> None:
    admin = _auth(client, SYSADMIN)
    key = generate_personal_key(name="黄伟", unit=UNIT)
    assert _request_certificate(client, admin, key.csr_pem).status_code == 403

    official = _auth(client, OFFICIAL)
    der = bytearray(
        x509.load_pem_x509_csr(key.csr_pem).public_bytes(serialization.Encoding.DER)
    )
    der[-3] ^= 0x01  # inside the signature value
    bad = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    response = _request_certificate(client, official, bad)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation" and "签名无效" in response.json()["message"]
    for junk in ("", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"):
        response = client.post("/api/v1/ca/certificates", json={"csr_pem": junk}, headers=official)
        assert response.status_code == 422 and response.json()["field"] == "csr_pem"
    assert client.post("/api/v1/ca/certificates", json={"csr_pem": key.csr_pem.decode()}).status_code == 401


def test_imported_seal_png(client: TestClient, app: FastAPI) -> None:
    admin = _auth(client, SECADMIN)
    unit_id = _me(client, _auth(client, SEAL_KEEPER))["unit"]["id"]
    url = f"/api/v1/seals/{unit_id}/image"
    not_png = client.put(url, content=b"GIF89a not a png", headers={**admin, "Content-Type": "image/png"})
    assert not_png.status_code == 422 and not_png.json()["code"] == "validation"
    png = draw_seal(unit_name=UNIT, bottom_text="公文专用章", size_px=300)
    stored = client.put(url, content=png, headers={**admin, "Content-Type": "image/png"})
    assert stored.status_code == 200, stored.text
    assert (stored.json()["width"], stored.json()["height"]) == (300, 300)
    assert _audit(app, "seal.image_set")[0]["details"]["image_sha256"] == stored.json()["sha256"]
    keeper = _auth(client, SEAL_KEEPER)
    shown = client.get(url, headers=keeper)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(shown.content)).size == (300, 300)
    # only the security administrator imports seals (三员分立: not the system administrator,
    # who keeps accounts and the org); others may not even look
    assert client.put(url, content=png, headers={**keeper, "Content-Type": "image/png"}).status_code == 403
    sysadmin = _auth(client, SYSADMIN)
    refused = client.put(url, content=png, headers={**sysadmin, "Content-Type": "image/png"})
    assert refused.status_code == 403 and "管理印章" in refused.json()["message"]  # says why
    assert client.get(url, headers=sysadmin).status_code == 403
    assert client.get(url, headers=_auth(client, OTHER_UNIT_KEEPER)).status_code == 403
    missing = client.put(
        "/api/v1/seals/00000000-0000-7000-8000-000000000000/image",
        content=png, headers={**admin, "Content-Type": "image/png"},
    )
    assert missing.status_code == 404
    sealed = _seal(app, SEAL_KEEPER, rendered().pdf)
    assert verify_pdf(sealed.pdf, trust_roots=[client.get("/api/v1/ca/root").content]).ok


def test_keys_are_encrypted_0600_and_never_audited(
    client: TestClient, app: FastAPI, data_dir: Path
) -> None:
    _seal(app, SEAL_KEEPER, rendered().pdf)
    keys = [data_dir / "ca" / "ca-key.pem", *sorted((data_dir / "seals").rglob("seal-key.pem"))]
    assert len(keys) == 2
    for path in [*keys, data_dir / "ca" / "ca.pem"]:
        assert path.stat().st_mode & 0o777 == 0o600, path
    for path in keys:
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with app.state.sessionmaker() as session:
        logged = " ".join(r.details for r in session.scalars(select(AuditEntry)))
    assert "PRIVATE KEY" not in logged and "BEGIN" not in logged


def test_cli_ca_init_and_show_match_the_api(
    client: TestClient, data_dir: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--data-dir", str(data_dir), "--database-url", db_url]
    assert cli.main([*common, "ca", "show"]) == cli.EXIT_ERROR
    assert "ca init" in capsys.readouterr().err
    assert cli.main([*common, "ca", "init"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "已创建根证书" in out and "普宁市人民政府电子公文根证书" in out
    assert cli.main([*common, "ca", "init", "--name", "另一个"]) == cli.EXIT_OK
    assert "已存在" in capsys.readouterr().out
    assert cli.main([*common, "ca", "show", "--pem"]) == cli.EXIT_OK
    pem = capsys.readouterr().out
    assert pem.strip() == client.get("/api/v1/ca/root").text.strip()


def test_two_workers_creating_the_root_at_once_agree(app: FastAPI, settings: Any) -> None:
    import threading

    from oa_server.signing.keystore import SigningKeys, storage_password

    with app.state.sessionmaker() as session:
        storage_password(session, settings)  # the shared secret exists (its own race: auth's way)
    barrier = threading.Barrier(4)
    roots: list[bytes] = []

    def worker() -> None:
        keys = SigningKeys(data_dir=settings.data_dir)
        with app.state.sessionmaker() as session:
            barrier.wait()
            ca, _made = keys.create_ca(session=session, settings=settings)
            roots.append(ca.cert_pem)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(roots) == 4 and len(set(roots)) == 1
    assert len(_audit(app, "ca.created")) == 1
    assert not [p for p in (settings.data_dir).iterdir() if p.name.startswith(".tmp-")]
