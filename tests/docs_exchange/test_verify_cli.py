"""`docs_exchange verify`: exit 0 only when intact and trusted; a readable report either way."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docs_exchange import cli_verify
from docs_exchange.package import build_package
from docs_exchange.signing import PadesSigner
from tests.support import pki_fixtures as fx

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docs_exchange")
    cli_verify.register(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = _parser().parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "signed": tmp_path / "signed.pdf",
        "tampered": tmp_path / "tampered.pdf",
        "plain": tmp_path / "plain.pdf",
        "ca": tmp_path / "ca.pem",
        "other": tmp_path / "other.pem",
        "pkg": tmp_path / "pkg.zip",
    }
    paths["signed"].write_bytes(fx.signed_twice())
    paths["tampered"].write_bytes(fx.signed_twice() + b"\n%more\n")
    paths["plain"].write_bytes(fx.sample_pdf())
    paths["ca"].write_bytes(fx.ca().cert_pem)
    paths["other"].write_bytes(fx.other_ca().cert_pem)
    paths["pkg"].write_bytes(
        build_package(
            pdf=fx.signed_twice(), attachments={"a.txt": b"a"}, metadata={"title": "通知"},
            signer=PadesSigner(fx.seal()),
        )
    )
    return paths


def test_good_pdf_exits_zero(files, capsys) -> None:
    code, out = _run(["verify", str(files["signed"]), "--trust", str(files["ca"])], capsys)
    assert code == 0 and "通过" in out and fx.OFFICIAL in out


def test_tampered_pdf_exits_one(files, capsys) -> None:
    code, out = _run(["verify", str(files["tampered"]), "--trust", str(files["ca"])], capsys)
    assert code == 1 and "未通过" in out


def test_wrong_trust_root_exits_one(files, capsys) -> None:
    code, out = _run(["verify", str(files["signed"]), "--trust", str(files["other"])], capsys)
    assert code == 1 and "不受信任" in out


def test_unsigned_pdf_exits_one(files, capsys) -> None:
    code, out = _run(["verify", str(files["plain"]), "--trust", str(files["ca"])], capsys)
    assert code == 1 and "没有电子签名" in out


def test_package_is_recognised(files, capsys) -> None:
    code, out = _run(["verify", str(files["pkg"]), "--trust", str(files["ca"])], capsys)
    assert code == 0 and "公文交换包验证结果：通过" in out


def test_trust_roots_from_the_environment(files, capsys, monkeypatch) -> None:
    monkeypatch.setenv("OA_TRUST_ROOTS", os.pathsep.join([str(files["other"]), str(files["ca"])]))
    code, _ = _run(["verify", str(files["signed"])], capsys)
    assert code == 0
    monkeypatch.delenv("OA_TRUST_ROOTS")
    code, out = _run(["verify", str(files["signed"])], capsys)
    assert code == 1 and "没有指定受信任的根证书" in out


def test_missing_file_exits_two(files, capsys, tmp_path) -> None:
    code, out = _run(["verify", str(tmp_path / "nope.pdf"), "--trust", str(files["ca"])], capsys)
    assert code == 2 and "无法读取文件" in out
    code, out = _run(["verify", str(files["signed"]), "--trust", str(tmp_path / "nope.pem")], capsys)
    assert code == 2 and "无法读取根证书文件" in out


def test_bad_trust_file_exits_two(files, capsys) -> None:
    code, out = _run(["verify", str(files["signed"]), "--trust", str(files["plain"])], capsys)
    assert code == 2 and "根证书" in out


def test_python_m_docs_exchange_verify(files) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OA_TRUST_ROOTS"}
    good = subprocess.run(
        [sys.executable, "-m", "docs_exchange", "verify", str(files["signed"]), "--trust", str(files["ca"])],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )
    assert good.returncode == 0, good.stderr
    assert "通过" in good.stdout
    assert "Warning" not in good.stderr  # no library notices (pyhanko's DSA deprecation)
    bad = subprocess.run(
        [sys.executable, "-m", "docs_exchange", "verify", str(files["tampered"]), "--trust", str(files["ca"])],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )
    assert bad.returncode == 1 and "未通过" in bad.stdout


def test_the_cas_latest_crl_fails_a_seal_made_after_the_revocation(tmp_path: Path, capsys) -> None:
    import datetime as dt

    from docs_exchange.crl import RevokedEntry

    stolen = fx.ca().issue(fx.UNIT, kind="seal")
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(fx.seal_long_term(fx.layout_pdf(), credential=stolen, anchor=fx.layout_anchor(),
                                         crls=(fx.crl(),)))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(fx.ca().cert_pem)
    crl = tmp_path / "ca.crl"
    crl.write_bytes(fx.crl(RevokedEntry(serial=stolen.certificate.serial_number,
                                        revoked_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))))
    code, _out = _run(["verify", str(sealed), "--trust", str(ca)], capsys)
    assert code == 0  # the CRL in the file was made before anyone knew
    code, out = _run(["verify", str(sealed), "--trust", str(ca), "--crl", str(crl)], capsys)
    assert code == 1 and "被吊销" in out
    code, out = _run(["verify", str(sealed), "--trust", str(ca), "--crl", str(tmp_path / "none.crl")], capsys)
    assert code == 2 and "无法读取吊销列表文件" in out
