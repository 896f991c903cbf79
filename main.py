"""政务协同办公客户端 — wiring only: parse arguments, build the app, start the UI."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.shell import Shell

STARTED = time.perf_counter()
log = logging.getLogger("main")


class _Version(argparse.Action):
    """--version: the version is looked up only when asked for (it reads package metadata)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        """Print `oa-client <version>` and exit."""
        from oa_client.version import version

        print(f"oa-client {version()}")
        parser.exit()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The client's command line."""
    parser = argparse.ArgumentParser(prog="oa-client", description="政务协同办公客户端")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--profile", type=Path, help="profiles directory (default: platform data dir)")
    parser.add_argument("--lang", choices=["zh_CN", "en"], default=None, help="UI language")
    parser.add_argument("--server", default="", help="OA server address")
    parser.add_argument("--user", default="", help="user name")
    parser.add_argument("--demo", action="store_true",
                        help="start the embedded demo server on loopback and pick a demo user")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the first window, then exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, on_shell: Callable[[Shell], None] | None = None) -> int:
    """Start the desktop client; `on_shell` sees the shell before it starts (a tool's timers)."""
    if not sys.warnoptions:  # users read our messages, not the libraries' deprecation notices
        warnings.simplefilter("ignore")
    args = parse_args(argv)
    from oa_client.logsetup import setup_logging
    from oa_client.store.profile import default_profiles_dir
    from ui.app import apply_font_scale, make_app
    from ui.prefs import Prefs

    app = make_app(sys.argv[:1], language=args.lang)
    prefs = Prefs.load()
    if args.lang is None and prefs.language != "zh_CN":
        from ui.app import install_language

        install_language(app, prefs.language)
    if prefs.font_scale != 100:
        apply_font_scale(app, prefs.font_scale)
    profiles = args.profile or default_profiles_dir()
    try:
        setup_logging(profiles / "logs")
    except OSError as exc:
        print(f"日志不可写 / log not writable: {exc}", file=sys.stderr)
    server = None
    demo_users = None
    server_url = args.server
    if args.demo:
        try:
            from demo_wiring import demo_dir, demo_user_list, start_demo_server
        except ImportError:  # an installed client carries no server
            print("此安装版不含演示服务器，请用源码运行 make run / "
                  "this installed client has no demo server", file=sys.stderr)
            return 2
        from ui.demo import seed_demo_records

        server = start_demo_server(demo_dir(profiles))
        server_url = server.url
        print(f"演示服务器 / demo server: {server.url}", flush=True)
        try:
            seed_demo_records(server.url)
        except Exception as exc:  # the demo still starts; the log says why
            log.warning("demo records not seeded: %s", exc)
        demo_users = demo_user_list()
    from ui.shell import Shell

    shell = Shell(root=profiles, server_url=server_url, login=args.user, demo_users=demo_users)
    if args.screenshot:
        def shoot(widget) -> None:
            from ui.qt import QTimer

            QTimer.singleShot(800, lambda: (widget.grab().save(str(args.screenshot)), app.quit()))

        shell.sign_in_shown.connect(shoot)
        shell.main_shown.connect(shoot)
    if on_shell is not None:
        on_shell(shell)
    shell.start()
    code = app.exec()
    if shell.window is not None:
        shell.window.stop()
        if shell.window.session is not None:
            from ui.ops import db_pool

            store = shell.window.session.store
            db_pool().start(store.close)
    from ui.ops import db_pool

    db_pool().waitForDone(5000)
    if server is not None:
        server.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
