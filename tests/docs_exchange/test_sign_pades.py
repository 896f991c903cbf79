"""PAdES signing: 签发 + 用印 on one PDF both verify; visible seal; the signer registry."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from docs_exchange.signing import PadesSigner, SealAnchor, make_signer
from docs_exchange.verify import verify_pdf
from oa_client.errors import SignatureError, ValidationError
from tests.support import pki_fixtures as fx


def test_official_then_seal_both_verify() -> None:
    report = verify_pdf(fx.signed_twice(), trust_roots=fx.trust())
    assert report.ok, report.text()
    assert [s.signer.name for s in report.signatures] == [fx.OFFICIAL, fx.UNIT]
    official, stamp = report.signatures
    assert official.signer.unit == fx.UNIT and official.signer.kind == "person"
    assert stamp.signer.kind == "seal"
    assert official.reason == "签发" and stamp.reason == "用印"
    assert all(s.intact and s.trusted and s.signing_time for s in report.signatures)
    assert report.fully_covered
    text = report.text()
    assert "通过" in text and "自签名以来未被修改" in text and fx.OFFICIAL in text


def test_first_signature_alone_verifies_and_is_kept_byte_for_byte() -> None:
    once = fx.signed_once()
    assert verify_pdf(once, trust_roots=fx.trust()).ok
    # incremental update: the second signature only appends
    assert fx.signed_twice().startswith(once)


def test_chain_is_embedded_in_the_signature() -> None:
    reader = PdfFileReader(io.BytesIO(fx.signed_twice()), strict=False)
    sig = reader.embedded_regular_signatures[-1]
    certs = [c.chosen for c in sig.signed_data["certificates"]]
    subjects = {c.subject.native.get("common_name") for c in certs}
    assert {fx.UNIT, "普宁市电子政务根证书"} <= subjects


def test_visible_seal_widget_is_at_the_anchor_box() -> None:
    reader = PdfFileReader(io.BytesIO(fx.signed_twice()), strict=False)
    page = reader.root["/Pages"]["/Kids"][fx.SEAL_ANCHOR.page]
    annots = [a.get_object() for a in page.get("/Annots", [])]
    rects = [list(map(float, a["/Rect"])) for a in annots if a.get("/FT") == "/Sig"]
    assert rects == [[360.0, 300.0, 480.0, 420.0]]


def test_any_object_with_anchor_attributes_is_accepted() -> None:
    class Anchor:
        page, x_pt, y_pt, width_pt, height_pt = 0, 100.5, 100.0, 80.0, 80.0

    signed = PadesSigner(fx.seal()).sign_pdf(
        fx.sample_pdf(), anchor=Anchor(), stamp_png=fx.seal_png(), reason="用印",
        location=None, field_name=None,
    )
    assert verify_pdf(signed, trust_roots=fx.trust()).ok


def test_anchor_without_stamp_draws_no_latin_text_stamp() -> None:
    signed = PadesSigner(fx.person()).sign_pdf(
        fx.sample_pdf(), anchor=SealAnchor(0, 100, 100, 80, 40), stamp_png=None, reason="签发",
        location=None, field_name=None,
    )
    # pyHanko's default stamp writes the signer's name in Courier, which has no Chinese
    assert b"/Courier" not in signed[len(fx.sample_pdf()) :]
    assert verify_pdf(signed, trust_roots=fx.trust()).ok


def test_anchor_outside_the_document_is_refused() -> None:
    with pytest.raises(ValidationError, match="文件只有 2 页"):
        PadesSigner(fx.seal()).sign_pdf(
            fx.sample_pdf(), anchor=SealAnchor(5, 0, 0, 50, 50), stamp_png=fx.seal_png(),
            reason="用印", location=None, field_name=None,
        )


def test_stamp_without_anchor_is_refused() -> None:
    with pytest.raises(ValidationError, match="盖章位置"):
        PadesSigner(fx.seal()).sign_pdf(
            fx.sample_pdf(), anchor=None, stamp_png=fx.seal_png(), reason="用印",
            location=None, field_name=None,
        )


def test_same_field_twice_is_refused() -> None:
    with pytest.raises(SignatureError, match="SignOff"):
        PadesSigner(fx.person()).sign_pdf(
            fx.signed_once(), anchor=None, stamp_png=None, reason="签发", location=None,
            field_name="SignOff",
        )


def test_not_a_pdf_cannot_be_signed() -> None:
    with pytest.raises(SignatureError, match="不是有效的 PDF"):
        PadesSigner(fx.person()).sign_pdf(
            b"hello", anchor=None, stamp_png=None, reason="签发", location=None, field_name=None
        )


def test_registry_picks_pades_from_the_key() -> None:
    signer = make_signer(fx.person())
    assert signer.algorithm == "ecdsa-sha256"
    assert signer.certificate == fx.person().certificate


def test_sm2_request_gives_a_clear_signature_error() -> None:
    for name in ("sm2", "SM2-SM3"):
        with pytest.raises(SignatureError, match="本机未安装国密算法组件") as err:
            make_signer(fx.person(), algorithm=name)
        assert err.value.algorithm == "sm2"


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(SignatureError, match="不支持的签名算法"):
        make_signer(fx.person(), algorithm="dsa-md5")


def test_certificate_without_key_cannot_sign() -> None:
    from docs_exchange.pki import Credential

    bare = Credential(certificate=fx.person().certificate, chain=fx.person().chain)
    with pytest.raises(SignatureError, match="私钥"):
        PadesSigner(bare)


def test_a_new_backend_is_registered_by_name() -> None:
    from docs_exchange import signing

    made = []

    def factory(credential):
        made.append(credential)
        return PadesSigner(credential)

    saved = dict(signing.ALGORITHMS), dict(signing._BACKENDS)
    try:
        signing.register_backend("test-backend", factory, algorithms=("test-alg",))
        signer = make_signer(fx.person(), algorithm="test-alg")
        assert made == [fx.person()] and signer.certificate == fx.person().certificate
    finally:
        signing.ALGORITHMS.clear()
        signing.ALGORITHMS.update(saved[0])
        signing._BACKENDS.clear()
        signing._BACKENDS.update(saved[1])
