"""Verification fails loudly: changed bytes, appended bytes, wrong CA, bad dates, no signature."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from docs_exchange.pki import CertificateAuthority
from docs_exchange.signing import PadesSigner
from docs_exchange.verify import verify_pdf
from oa_client import i18n
from oa_client.errors import SignatureError
from tests.support import pki_fixtures as fx


def _byte_ranges(pdf: bytes) -> list[list[int]]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [list(map(int, s.byte_range)) for s in reader.embedded_regular_signatures]


def _signed_positions(pdf: bytes) -> list[int]:
    """Positions spread over both parts of the last signature's byte range."""
    _start, la, b, lb = _byte_ranges(pdf)[-1]
    picks = [0, 9, la // 4, la // 2, (3 * la) // 4, la - 2, b + 1, b + lb // 2, b + lb - 2]
    return sorted(set(picks))


@pytest.mark.parametrize("which", range(9))
def test_one_changed_byte_in_the_signed_range_fails(which: int) -> None:
    pdf = fx.signed_twice()
    positions = _signed_positions(pdf)
    pos = positions[min(which, len(positions) - 1)]
    report = verify_pdf(fx.flip(pdf, pos), trust_roots=fx.trust())
    assert not report.ok, f"byte {pos} changed but the report passed"
    assert report.problems or any(s.problems for s in report.signatures)
    assert "未通过" in report.text()
    with pytest.raises(SignatureError):
        report.raise_for_failure()


def test_changed_byte_inside_the_signature_value_fails() -> None:
    pdf = fx.signed_twice()
    la = _byte_ranges(pdf)[-1][1]
    report = verify_pdf(fx.flip(pdf, la + 40), trust_roots=fx.trust())
    assert not report.ok


def test_changed_text_in_the_first_revision_breaks_both_signatures() -> None:
    pdf = fx.signed_twice()
    pos = pdf.index(b"Test document")
    tampered = pdf[:pos] + b"Fake" + pdf[pos + 4 :]
    report = verify_pdf(tampered, trust_roots=fx.trust())
    assert not report.ok
    assert not any(s.intact for s in report.signatures)
    assert "签名之后文件已被改动" in report.text()


def test_bytes_appended_after_the_last_signature_are_not_intact() -> None:
    report = verify_pdf(fx.signed_twice() + b"\n% added later\n", trust_roots=fx.trust())
    assert not report.ok and not report.fully_covered
    assert any("未经签名" in p for p in report.problems)


def test_unsigned_incremental_update_after_signing_fails() -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(fx.signed_twice()), strict=False)
    from pyhanko.pdf_utils import generic

    info = writer.root  # change something harmless-looking: add a catalog entry
    info[generic.NameObject("/Lang")] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trust_roots=fx.trust())
    assert not report.ok
    assert report.signatures[-1].intact  # the signature itself is fine ...
    assert not report.fully_covered  # ... but the file does not end where it ends


def test_wrong_ca_is_untrusted() -> None:
    report = verify_pdf(fx.signed_twice(), trust_roots=[fx.other_ca().cert_pem])
    assert not report.ok
    assert all(s.intact and not s.trusted for s in report.signatures)
    assert "不是由受信任的根证书签发" in report.text()


def test_no_trust_roots_is_said_so() -> None:
    report = verify_pdf(fx.signed_twice(), trust_roots=[])
    assert not report.ok
    assert any("没有指定受信任的根证书" in p for p in report.problems)


def test_expired_certificate_is_said_so() -> None:
    old = CertificateAuthority.create(
        "旧根证书", clock=fx.clock_at(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    )
    cred = old.issue(fx.OFFICIAL, kind="person", unit=fx.UNIT, valid_days=30)
    with pytest.raises(SignatureError, match="过期"):  # today nobody can sign with it ...
        PadesSigner(cred).sign_pdf(
            fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None,
            field_name=None,
        )
    # ... but a file signed while it was in force now reports it expired
    back_then = fx.clock_at(dt.datetime(2020, 1, 15, tzinfo=dt.UTC))
    signed = PadesSigner(cred, clock=back_then).sign_pdf(
        fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None, field_name=None
    )
    report = verify_pdf(signed, trust_roots=[old.cert_pem])
    assert not report.ok
    entry = report.signatures[0]
    assert entry.intact and entry.cert_status == "expired"
    assert re.search(r"签名证书已过期（有效期至 2020-01-3[01]）", report.text())


def test_not_yet_valid_certificate_is_said_so() -> None:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    cred = fx.ca().issue(fx.OFFICIAL, kind="person", unit=fx.UNIT, not_before=start)
    with pytest.raises(SignatureError, match="才生效"):
        PadesSigner(cred).sign_pdf(
            fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None,
            field_name=None,
        )
    signed = PadesSigner(cred, clock=fx.clock_at(start + dt.timedelta(hours=1))).sign_pdf(
        fx.sample_pdf(), anchor=None, stamp_png=None, reason="签发", location=None, field_name=None
    )
    report = verify_pdf(signed, trust_roots=fx.trust())
    assert not report.ok
    assert report.signatures[0].cert_status == "not_yet_valid"
    assert "签名证书尚未生效" in report.text()
    # verified later, when it is in force, the same file passes
    later = verify_pdf(signed, trust_roots=fx.trust(), now=start + dt.timedelta(days=1))
    assert later.ok, later.text()


def test_pdf_without_signature() -> None:
    report = verify_pdf(fx.sample_pdf(), trust_roots=fx.trust())
    assert not report.ok and not report.signatures
    assert "文件中没有电子签名或电子印章" in report.text()


@pytest.mark.parametrize(
    "garbage",
    [b"", b"hello world", b"%PDF-1.7\n garbage \x00\xff" * 10, bytes(range(256)) * 20],
    ids=["empty", "text", "pdf-header-garbage", "binary"],
)
def test_garbage_file(garbage: bytes) -> None:
    report = verify_pdf(garbage, trust_roots=fx.trust())
    assert not report.ok
    assert report.problems
    assert "未通过" in report.text()


def test_truncated_signed_pdf() -> None:
    pdf = fx.signed_twice()
    report = verify_pdf(pdf[: len(pdf) // 2], trust_roots=fx.trust())
    assert not report.ok


def test_report_in_english() -> None:
    try:
        i18n.set_language("en")
        text = verify_pdf(fx.signed_twice(), trust_roots=fx.trust()).text()
        assert "passed" in text.lower()
        assert "自签名以来未被修改" not in text
    finally:
        i18n.set_language("zh_CN")
