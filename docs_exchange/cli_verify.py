"""`python -m docs_exchange verify FILE.pdf|PKG.zip [--trust CA.pem ...] [--crl CA.crl ...]`.

Exit status 0 only when the file is intact and every signer is trusted; 1 when
verification fails; 2 when the file, a trust root or a CRL cannot be read. Trust
roots come from `--trust`, else from `OA_TRUST_ROOTS` (colon-separated PEM paths);
`--crl` adds the CA's latest revocation list (GET /api/v1/ca/crl) to those the
file embeds.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from docs_exchange.crl import crl_der
from docs_exchange.package import verify_package
from docs_exchange.pki import load_pem_certificates
from docs_exchange.verify import verify_pdf
from oa_client.errors import OAError
from oa_client.i18n import _

TRUST_ENV = "OA_TRUST_ROOTS"
EXIT_OK, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `verify` subcommand to a docs_exchange command line."""
    parser = subparsers.add_parser(
        "verify",
        help=_("验证 PDF 的电子签名或公文交换包"),
        description=_("验证 PDF 的电子签名或公文交换包"),
    )
    parser.add_argument("file", metavar="FILE", help=_("要验证的 PDF 文件或交换包（.zip）"))
    parser.add_argument(
        "--trust",
        metavar="CA.pem",
        action="append",
        default=[],
        help=_("受信任的根证书（PEM），可多次指定；未指定时读取环境变量 OA_TRUST_ROOTS"),
    )
    parser.add_argument(
        "--crl",
        metavar="CA.crl",
        action="append",
        default=[],
        help=_("根证书机构最新的证书吊销列表（DER 或 PEM），可多次指定"),
    )
    parser.set_defaults(func=run)
    return parser


def trust_paths(explicit: list[str], environ: dict[str, str] | None = None) -> list[Path]:
    """The trust root files to use: `--trust` ones, else those in OA_TRUST_ROOTS."""
    if explicit:
        return [Path(p) for p in explicit]
    env = (environ if environ is not None else os.environ).get(TRUST_ENV, "")
    return [Path(p) for p in env.split(os.pathsep) if p.strip()]


def run(args: argparse.Namespace) -> int:
    """Verify `args.file` and print a readable report; return the exit status."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(_("无法读取文件：{path}（{reason}）").format(path=args.file, reason=exc.strerror), file=sys.stderr)
        return EXIT_UNREADABLE
    roots: list[bytes] = []
    for path in trust_paths(list(getattr(args, "trust", []) or [])):
        try:
            blob = path.read_bytes()
            load_pem_certificates(blob)
        except OSError as exc:
            print(
                _("无法读取根证书文件：{path}（{reason}）").format(path=path, reason=exc.strerror),
                file=sys.stderr,
            )
            return EXIT_UNREADABLE
        except OAError as exc:
            print(f"{path}: {exc.message}", file=sys.stderr)
            return EXIT_UNREADABLE
        roots.append(blob)
    if not roots:
        print(_("提示：没有指定受信任的根证书（--trust 或 OA_TRUST_ROOTS），签名人身份无法确认。"))
    crls: list[bytes] = []
    for name in list(getattr(args, "crl", []) or []):
        try:
            crls.append(crl_der(Path(name).read_bytes()))
        except OSError as exc:
            print(_("无法读取吊销列表文件：{path}（{reason}）").format(path=name, reason=exc.strerror),
                  file=sys.stderr)
            return EXIT_UNREADABLE
        except OAError as exc:
            print(f"{name}: {exc.message}", file=sys.stderr)
            return EXIT_UNREADABLE
    try:
        if data.startswith(b"PK"):
            report = verify_package(data, trust_roots=roots, crls=tuple(crls))
        else:
            report = verify_pdf(data, trust_roots=roots, crls=crls)
    except OAError as exc:  # an unreadable trust root, for instance
        print(exc.message, file=sys.stderr)
        return EXIT_UNREADABLE
    print(report.text())
    return EXIT_OK if report.ok else EXIT_FAILED
