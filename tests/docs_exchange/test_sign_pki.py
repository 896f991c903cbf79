"""The server CA: roots, issuing seal and personal certificates, keys made on the device."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from docs_exchange.pki import EKU_DOCUMENT_SIGNING, SEAL_OU, CertificateAuthority, Credential
from docs_exchange.signing import (
    PadesSigner,
    generate_personal_key,
    load_private_key,
    serialize_private_key,
)
from docs_exchange.verify import verify_pdf
from oa_client.errors import SignatureError, ValidationError
from tests.support import pki_fixtures as fx


def test_root_has_ca_extensions() -> None:
    cert = fx.ca().certificate
    assert cert.subject == cert.issuer
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature


def test_seal_and_person_certificates() -> None:
    seal = fx.seal().certificate
    assert seal.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == fx.UNIT
    assert seal.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == SEAL_OU
    person = fx.person().certificate
    assert person.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == fx.OFFICIAL
    assert person.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == fx.UNIT
    for cert in (seal, person):
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert EKU_DOCUMENT_SIGNING in eku and ExtendedKeyUsageOID.SERVER_AUTH not in eku
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert cert.issuer == fx.ca().certificate.subject
        cert.verify_directly_issued_by(fx.ca().certificate)


def test_issue_refuses_bad_requests() -> None:
    with pytest.raises(ValidationError, match="所在单位"):
        fx.ca().issue("李四", kind="person")
    with pytest.raises(ValidationError, match="seal"):
        fx.ca().issue("李四", kind="robot")
    with pytest.raises(ValidationError):
        fx.ca().issue("", kind="seal")


def test_save_and_load_keep_the_key_private(tmp_path: Path) -> None:
    ca = CertificateAuthority.create("测试根证书", key_type="rsa")
    key_path = ca.save(tmp_path / "ca")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    loaded = CertificateAuthority.load(tmp_path / "ca")
    assert loaded.cert_pem == ca.cert_pem and loaded.name == "测试根证书"
    os.chmod(key_path, 0o644)
    with pytest.raises(SignatureError, match="权限过宽"):
        CertificateAuthority.load(tmp_path / "ca")
    with pytest.raises(SignatureError, match="找不到根证书文件"):
        CertificateAuthority.load(tmp_path / "missing")


def test_saved_key_can_be_encrypted(tmp_path: Path) -> None:
    ca = CertificateAuthority.create("测试根证书")
    key_path = ca.save(tmp_path, password="根证书口令")
    assert b"ENCRYPTED" in key_path.read_bytes()
    assert CertificateAuthority.load(tmp_path, password="根证书口令").cert_pem == ca.cert_pem
    with pytest.raises(SignatureError, match="密码不对"):
        CertificateAuthority.load(tmp_path, password="错")
    with pytest.raises(SignatureError, match="密码不对"):
        CertificateAuthority.load(tmp_path)


def test_key_made_on_the_device_is_certified_from_its_csr() -> None:
    personal = generate_personal_key(name="王五", unit=fx.UNIT)
    cred = fx.ca().issue("王五", kind="person", unit=fx.UNIT, public_key=personal.csr_pem)
    assert cred.private_key is None
    assert cred.certificate.public_key() == personal.private_key.public_key()
    # by public key alone too
    by_key = fx.ca().issue("王五", kind="person", unit=fx.UNIT, public_key=personal.public_key_pem)
    assert by_key.certificate.public_key() == personal.private_key.public_key()
    # the device holds the key and signs
    cred.private_key = personal.private_key
    signed = PadesSigner(cred).sign_pdf(
        fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None, field_name=None
    )
    assert verify_pdf(signed, trust_roots=fx.trust()).ok


def test_garbage_public_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="无法识别"):
        fx.ca().issue("王五", kind="person", unit=fx.UNIT, public_key=b"not a key")


def test_private_key_round_trip_needs_the_password() -> None:
    key = generate_personal_key(name="王五", unit=fx.UNIT).private_key
    blob = serialize_private_key(key, password="正确的密码")
    assert b"ENCRYPTED" in blob
    assert load_private_key(blob, password="正确的密码").private_numbers() == key.private_numbers()
    with pytest.raises(SignatureError, match="密码错误"):
        load_private_key(blob, password="错误")
    with pytest.raises(ValidationError, match="密码"):
        serialize_private_key(key, password="")


def test_pkcs12_round_trip() -> None:
    blob = fx.person().to_pkcs12("p12-密码")
    back = Credential.from_pkcs12(blob, "p12-密码")
    assert back.certificate == fx.person().certificate
    assert [c.subject for c in back.chain] == [fx.ca().certificate.subject]
    assert back.private_key is not None
    with pytest.raises(SignatureError, match="密码错误"):
        Credential.from_pkcs12(blob, "wrong")
    with pytest.raises(SignatureError):
        Credential(certificate=fx.person().certificate).to_pkcs12("x")
