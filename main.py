"""政务协同办公客户端 — wiring only: parse arguments, build the app, start the UI."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

STARTED = time.perf_counter()
log = logging.getLogger("main")
DEMO_PORT = 18765


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The client's command line."""
    parser = argparse.ArgumentParser(prog="oa-client", description="政务协同办公客户端")
    parser.add_argument("--profile", type=Path, help="profiles directory (default: platform data dir)")
    parser.add_argument("--lang", choices=["zh_CN", "en"], default=None, help="UI language")
    parser.add_argument("--server", default="", help="OA server address")
    parser.add_argument("--user", default="", help="user name")
    parser.add_argument("--demo", action="store_true",
                        help="start the embedded demo server on loopback and pick a demo user")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the first window, then exit")
    return parser.parse_args(argv)


def demo_dir(profiles: Path) -> Path:
    """Where the demo server keeps its SQLite database: next to the profiles."""
    return profiles.parent / "demo-server"


def start_demo_server(data_dir: Path):
    """Migrate, seed the demo org if empty, serve on loopback; return the running server."""
    from oa_server.config import Settings
    from oa_server.db import make_engine, make_sessionmaker
    from oa_server.demo import seed
    from oa_server.embedded import EmbeddedServer
    from oa_server.main import prepare_keys
    from oa_server.migrate import upgrade
    from oa_server.models import User
    from oa_server.security import password_hasher

    data_dir.mkdir(parents=True, exist_ok=True)
    # cheap but real Argon2id: a demo box signs in often
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'oa-server.sqlite3'}",
                        argon2_time_cost=2, argon2_memory_cost=19 * 1024, argon2_parallelism=1)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine, keys=prepare_keys(engine, settings))() as session:
            from sqlalchemy import func, select

            if not session.scalar(select(func.count()).select_from(User)):
                seed(session, hasher=password_hasher(settings))
                session.commit()
    finally:
        engine.dispose()
    # a stable port keeps the demo profile (named after the server address) across runs
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", DEMO_PORT))
            port = DEMO_PORT
        except OSError:
            port = None  # taken: any free port (the demo profile is then a new one)
    return EmbeddedServer(settings, port=port).start()


def demo_user_list() -> list[dict]:
    """The demo users for the sign-in list: name, unit, position, role names, password."""
    from oa_server.demo import DEMO_PASSWORD, demo_users
    from oa_server.roles import ROLE_NAMES

    return [{**u, "role_names": [ROLE_NAMES.get(r, r) for r in u.get("roles", [])],
             "password": DEMO_PASSWORD} for u in demo_users()]


def main(argv: list[str] | None = None) -> int:
    """Start the desktop client."""
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
        from ui.demo import seed_demo_records

        server = start_demo_server(demo_dir(profiles))
        server_url = server.url
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
    if os.environ.get("OA_BENCH_UI"):
        from bench.ui import drive  # the UI benchmark's child: report timings, then quit

        drive(shell)
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
