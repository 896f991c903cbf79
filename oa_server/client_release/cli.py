"""`oa-server client publish FILE --version X --platform P`: publish a client package."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oa_server.i18n import _


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `client` commands to the oa-server parser."""
    client = sub.add_parser("client", help=_("客户端安装包（自动更新）")).add_subparsers(
        dest="client_cmd", required=True)
    pub = command("publish", cmd_publish, _("发布客户端安装包，客户端登录后会提示更新"), client)
    pub.add_argument("file")
    pub.add_argument("--version", required=True, help=_("版本号，如 1.2.0"))
    pub.add_argument("--platform", default="linux-amd64",
                     help="linux-amd64 | linux-arm64 | windows-amd64")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def cmd_publish(ctx: Any, args: argparse.Namespace) -> int:
    """Publish FILE as the current client release of its platform."""
    from oa_server.client_release.store import publish
    from oa_server.signing.keystore import SigningKeys

    keys = SigningKeys(data_dir=ctx.settings.data_dir)
    with ctx.session() as session:
        release = publish(Path(args.file), version=args.version, platform=args.platform,
                          settings=ctx.settings, session=session, keys=keys, actor=_actor(),
                          published=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    print(_("已发布客户端 {version}（{platform}）：{name}，{size} 字节，SHA-256 {sha}").format(
        version=release.version, platform=release.platform, name=release.filename,
        size=release.size, sha=release.sha256))
    return 0
