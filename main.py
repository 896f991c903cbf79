"""政务协同办公客户端 — wiring only: parse arguments, build the app, start the UI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The client's command line."""
    parser = argparse.ArgumentParser(prog="oa-client", description="政务协同办公客户端")
    parser.add_argument("--profile", type=Path, help="profile directory (default: platform data dir)")
    parser.add_argument("--lang", choices=["zh_CN", "en"], default=None, help="UI language")
    parser.add_argument("--server", default="", help="OA server address")
    parser.add_argument("--user", default="", help="user name")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window once open, then exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the desktop client."""
    args = parse_args(argv)
    from oa_client.logsetup import setup_logging
    from oa_client.store.profile import default_profiles_dir, profile_slug
    from ui.app import make_app
    from ui.profile_window import ProfileWindow

    app = make_app(sys.argv[:1], language=args.lang)
    profile = args.profile or default_profiles_dir() / (
        profile_slug(args.server, args.user) if args.user else "default"
    )
    try:
        setup_logging(profile / "logs")
    except OSError as exc:  # a read-only profile still opens and says why in the window
        print(f"日志不可写 / log not writable: {exc}", file=sys.stderr)
    window = ProfileWindow(profile, server_url=args.server, username=args.user)
    if args.screenshot:
        def shoot(*_args) -> None:
            window.grab().save(str(args.screenshot))
            app.quit()

        window.opened.connect(shoot)
        window.failed.connect(shoot)
    window.show()
    window.open_profile()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
