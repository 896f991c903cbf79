"""公文交换包: the untouched package verifies; every kind of tampering is refused with a reason."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import cache

import pytest

from docs_exchange.package import PackageLimits, build_package, verify_package
from docs_exchange.signing import PadesSigner
from oa_client.errors import ValidationError
from tests.support import pki_fixtures as fx

METADATA = {
    "title": "关于做好2026年度政务数据共享工作的通知",
    "doc_number": "普数〔2026〕12号",
    "issuer": fx.UNIT,
    "main_to": ["各镇人民政府", "市直各单位"],
    "urgency": "加急",
    "secrecy": "非涉密",
}
ATTACHMENTS = {"附件1 数据目录.xlsx": b"PK fake xlsx " * 50, "附件2 说明.txt": "共享说明".encode()}


@cache
def package() -> bytes:
    return build_package(
        pdf=fx.signed_twice(), attachments=ATTACHMENTS, metadata=METADATA, signer=PadesSigner(fx.seal())
    )


def _refused(data: bytes, fragment: str, **kwargs) -> None:
    report = verify_package(data, trust_roots=fx.trust(), **kwargs)
    assert not report.ok, report.text()
    assert report.pdf is None and not report.attachments
    assert any(fragment in p for p in report.problems), report.problems
    assert "未通过" in report.text()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_untouched_package_verifies() -> None:
    report = verify_package(package(), trust_roots=fx.trust())
    assert report.ok, report.text()
    assert report.metadata == METADATA
    assert report.pdf == fx.signed_twice()
    assert report.attachments == ATTACHMENTS
    assert report.signer.name == fx.UNIT
    assert report.document_report is not None and report.document_report.ok
    assert "通过" in report.text()


def test_layout_and_hashes() -> None:
    members = _members(package())
    assert set(members) == {
        "document.pdf", "metadata.json", "manifest.json", "manifest.sig",
        "attachments/附件1 数据目录.xlsx", "attachments/附件2 说明.txt",
    }
    meta = json.loads(members["metadata.json"])
    assert meta["elements"]["doc_number"] == "普数〔2026〕12号"
    assert meta["files"]["document.pdf"]["size"] == len(fx.signed_twice())
    manifest = json.loads(members["manifest.json"])
    assert set(manifest["files"]) == set(members) - {"manifest.json", "manifest.sig"}


def test_changed_pdf_byte_is_refused() -> None:
    pdf = fx.flip(fx.signed_twice(), 1000)
    _refused(fx.rezip(package(), replace={"document.pdf": pdf}), "正文被改动")


def test_changed_attachment_is_refused() -> None:
    name = "attachments/附件2 说明.txt"
    _refused(fx.rezip(package(), replace={name: "共享说朋".encode()}), "附件被改动")


def test_added_file_is_refused() -> None:
    _refused(fx.rezip(package(), add={"attachments/附件3.txt": b"extra"}), "多出了清单中没有的文件")


def test_removed_file_is_refused() -> None:
    _refused(fx.rezip(package(), drop=("attachments/附件1 数据目录.xlsx",)), "被删除")


def test_removed_document_is_refused() -> None:
    _refused(fx.rezip(package(), drop=("document.pdf",)), "document.pdf")


def test_changed_metadata_field_is_refused() -> None:
    meta = json.loads(_members(package())["metadata.json"])
    meta["elements"]["doc_number"] = "普数〔2026〕13号"
    forged = json.dumps(meta, ensure_ascii=False).encode()
    _refused(fx.rezip(package(), replace={"metadata.json": forged}), "元数据被改动")


def test_changed_manifest_is_refused() -> None:
    manifest = json.loads(_members(package())["manifest.json"])
    manifest["files"]["attachments/附件2 说明.txt"] = "0" * 64
    forged = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2).encode()
    _refused(fx.rezip(package(), replace={"manifest.json": forged}), "清单签名无效")


def test_missing_signature_is_refused() -> None:
    _refused(fx.rezip(package(), drop=("manifest.sig",)), "manifest.sig")


def test_bad_signature_is_refused() -> None:
    sig = _members(package())["manifest.sig"]
    _refused(fx.rezip(package(), replace={"manifest.sig": sig[:-10] + b"\x00" * 10}), "清单签名")
    _refused(fx.rezip(package(), replace={"manifest.sig": b"garbage"}), "已损坏")


def test_signature_by_someone_else_over_a_rewritten_manifest_is_untrusted() -> None:
    outsider = fx.other_ca().issue(fx.UNIT, kind="seal")
    forged = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata=METADATA, signer=PadesSigner(outsider)
    )
    _refused(forged, "不是由受信任的根证书签发")


def test_untrusted_signer_is_refused() -> None:
    report = verify_package(package(), trust_roots=[fx.other_ca().cert_pem])
    assert not report.ok
    assert any("不是由受信任的根证书签发" in p for p in report.problems)


@pytest.mark.parametrize("evil", ["../x", "attachments/../../etc/passwd", "/etc/passwd", "C:/x", "a\\..\\b"])
def test_zip_slip_names_are_refused(evil: str) -> None:
    _refused(fx.rezip(package(), add={evil: b"boom"}), "非法路径")


def test_zip_bomb_is_refused() -> None:
    bomb = fx.rezip(package(), add={"attachments/big.bin": bytes(20 * 1024 * 1024)})
    _refused(bomb, "疑似压缩炸弹")


def test_size_limits_are_configurable() -> None:
    _refused(package(), "疑似压缩炸弹", limits=PackageLimits(max_file_bytes=1000))
    _refused(package(), "过大", limits=PackageLimits(max_package_bytes=1000))
    _refused(package(), "文件过多", limits=PackageLimits(max_files=3))


@pytest.mark.parametrize("data", [b"", b"not a zip at all", fx.sample_pdf()], ids=["empty", "text", "pdf"])
def test_not_a_zip_is_refused(data: bytes) -> None:
    _refused(data, "不是有效的 zip")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_entries_are_refused() -> None:
    dup = fx.rezip(package(), add={"metadata.json": b"{}"})
    _refused(dup, "重名文件")


def test_unsigned_pdf_inside_is_refused() -> None:
    pkg = build_package(
        pdf=fx.sample_pdf(), attachments={}, metadata=METADATA, signer=PadesSigner(fx.seal())
    )
    _refused(pkg, "正文 PDF 的电子签名验证未通过")
    assert verify_package(pkg, trust_roots=fx.trust(), check_pdf_signatures=False).ok


@pytest.mark.parametrize("name", ["../evil.txt", "a/b.txt", "", "con:", " lead"])
def test_bad_attachment_names_are_refused_when_building(name: str) -> None:
    with pytest.raises(ValidationError, match="附件名称"):
        build_package(
            pdf=fx.signed_twice(), attachments={name: b"x"}, metadata={}, signer=PadesSigner(fx.seal())
        )


def test_non_json_metadata_is_refused_when_building() -> None:
    with pytest.raises(ValidationError, match="公文要素"):
        build_package(
            pdf=fx.signed_twice(), attachments={}, metadata={"when": object()},
            signer=PadesSigner(fx.seal()),
        )


def test_package_checked_after_the_certificates_expired_says_so() -> None:
    import datetime as dt

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365)
    report = verify_package(package(), trust_roots=fx.trust(), now=later)
    assert not report.ok
    assert any("证书已过期" in p for p in report.problems)


FINANCE = "普宁市财政局"


def test_package_signed_by_another_units_seal_of_the_same_ca_is_refused() -> None:
    # 财政局's seal is certified by the very same CA, so the signature itself is valid and trusted
    finance = fx.ca().issue(FINANCE, kind="seal")
    forged = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata=METADATA, signer=PadesSigner(finance)
    )
    report = verify_package(forged, trust_roots=fx.trust())
    assert report.signature_valid and report.signer_trusted
    assert not report.ok and report.pdf is None
    assert report.sender_unit == fx.UNIT
    assert f"交换包写明的发文单位是“{fx.UNIT}”，但清单是由“{FINANCE}”的证书签名的，已拒收" in report.problems


def test_package_naming_the_signers_unit_as_sender_but_another_issuer_is_refused() -> None:
    finance = fx.ca().issue(FINANCE, kind="seal")
    forged = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata=METADATA, signer=PadesSigner(finance),
        sender_unit=FINANCE,
    )
    _refused(forged, f"交换包写明的发文单位“{FINANCE}”不是公文的发文机关（{fx.UNIT}）")


def test_package_signed_by_an_official_is_refused_unless_officials_may_send() -> None:
    signed = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata=METADATA, signer=PadesSigner(fx.person())
    )
    _refused(signed, f"交换包须由发文单位“{fx.UNIT}”的电子印章签名")
    report = verify_package(signed, trust_roots=fx.trust(), accept_personal_signers=True)
    assert report.ok, report.text()
    outsider = fx.ca().issue("李四", kind="person", unit=FINANCE)
    forged = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata=METADATA, signer=PadesSigner(outsider)
    )
    report = verify_package(forged, trust_roots=fx.trust(), accept_personal_signers=True)
    assert not report.ok
    assert any(f"是由“{FINANCE}”的证书签名的" in p for p in report.problems)


def test_package_from_another_sender_than_the_exchange_says_is_refused() -> None:
    _refused(package(), f"与交换记录中的发文单位“{FINANCE}”不符", expected_sender=FINANCE)
    assert verify_package(package(), trust_roots=fx.trust(), expected_sender=fx.UNIT).ok


def test_package_without_a_sender_is_refused() -> None:
    assert json.loads(_members(package())["metadata.json"])["sender"] == {"unit": fx.UNIT}
    # re-signed by the right seal: only the missing sender is wrong
    forged = build_package(
        pdf=fx.signed_twice(), attachments={}, metadata={"title": "通知"}, signer=PadesSigner(fx.seal())
    )
    forged_members = _members(forged)
    meta = json.loads(forged_members["metadata.json"])
    del meta["sender"]
    body = json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2).encode()
    manifest = json.loads(forged_members["manifest.json"])
    manifest["files"]["metadata.json"] = hashlib.sha256(body).hexdigest()
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2).encode()
    resigned = fx.rezip(forged, replace={
        "metadata.json": body, "manifest.json": manifest_bytes,
        "manifest.sig": PadesSigner(fx.seal()).sign_detached(manifest_bytes),
    })
    _refused(resigned, "交换包没有写明发文单位")


def test_package_whose_pdf_carries_only_another_units_seal_is_refused() -> None:
    finance = fx.ca().issue(FINANCE, kind="seal")
    sealed_by_finance = PadesSigner(finance).sign_pdf(
        fx.signed_once(), anchor=fx.SEAL_ANCHOR, stamp_png=fx.seal_png(), reason="用印",
        location=None, field_name="Seal",
    )
    forged = build_package(
        pdf=sealed_by_finance, attachments={}, metadata=METADATA, signer=PadesSigner(fx.seal())
    )
    _refused(forged, f"正文 PDF 上没有发文单位“{fx.UNIT}”的电子印章")
