"""The client package in a clean Debian 12 root with only its declared Depends.

Install; `oa-client --version`; the GUI on a virtual screen against the demo server on
loopback: the sign-in window comes with the server address from the package's client.ini,
only the user name and password are typed, the first sync brings the user's records and a
large attachment (an encrypted file beside the database); screenshots. Then the newer build
(`packaging/next_release.py`: this code plus one more schema step) is installed over it: the
remembered profile opens straight from its keyring entry, is migrated on that first start and
holds the same records, blobs and key. Remove, then purge: the profile is still there. The
cold start of the installed client and of the source checkout are timed in the same run."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from oa_client.store.schema import LATEST_VERSION
from tests.dist.conftest import PASSWORD, SHOTS, USER, clean_root
from tests.dist.support import (
    DATA,
    blob_files,
    client_log,
    install,
    look_into_profile,
    mb,
    profile_dir,
    record,
    sh,
    start,
    start_source_client,
    stop,
    wait_exit,
    wait_log,
)
from tests.dist.xscreen import close_window, press, screenshot, type_into, wait_window, windows

pytestmark = [pytest.mark.dist, pytest.mark.timeout(1800)]
APP = "zhengwu-oa"  # Qt's application name: the windows' WM_CLASS
SIGN_IN = "登录 — 政务协同办公客户端"
MAIN = "政务协同办公客户端"


def version(deb: Path) -> str:
    """The package's version."""
    return clean_root.deb_field(deb, "Version")


def running(proc):
    """A check that `proc` has not ended."""
    return lambda: proc.poll() is None


def untouched(root: Path) -> dict:
    """What no package step may change: the profile's files (the database bytes, the blobs,
    profile.json) and the login keyring holding the key."""
    profile = profile_dir(root)
    return {"profile": profile.name,
            "profile.json": (profile / "profile.json").read_text(encoding="utf-8"),
            "db": hashlib.sha256((profile / "oa.db").read_bytes()).hexdigest(),
            "blobs": blob_files(profile),
            "keyrings": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in sorted((root / DATA / "keyrings").iterdir())}}


def test_client_package_signs_in_upgrades_migrates_and_keeps_the_profile(
        root, debs, display, demo_server, tmp_path):
    old, new = debs["old"], debs["new"]

    # -- install: only the declared Depends, the bundle brings its own Python ----------------
    install(root, old)
    assert sh(root, "oa-client --version").strip() == f"oa-client {version(old)}"
    assert not list(root.glob("usr/bin/python3*")) and not list(root.glob("usr/lib/*/libpython3*"))
    desktop = (root / "usr/share/applications/zhengwu-oa.desktop").read_text(encoding="utf-8")
    assert "Categories=Office;" in desktop and "Icon=zhengwu-oa" in desktop
    assert "Name[zh_CN]=政务协同办公" in desktop and "Exec=oa-client" in desktop
    assert (root / "usr/share/icons/hicolor/256x256/apps/zhengwu-oa.png").is_file()
    assert f"url = {demo_server}" in (root / "etc/zhengwu-oa/client.ini").read_text(encoding="utf-8")
    numbers = {"client_bundle_mb": mb(root / "opt/zhengwu-oa"),
               "client_deb_mb": mb(old), "client_deb_compression": "gzip (make dist: xz)"}

    # -- first start: the address is filled in, a clerk types name and password ---------------
    started = time.monotonic()
    client = start(root, display, tmp_path / "client-1.log", "oa-client")
    try:
        alive = running(client)
        sign_in = wait_window(display, APP, SIGN_IN, timeout=180, alive=alive,
                              evidence=SHOTS / "failed-1-sign-in.png")
        numbers["installed_first_start_s"] = round(time.monotonic() - started, 2)
        time.sleep(1)  # painted
        screenshot(display, SHOTS / "1-sign-in.png", window=sign_in)
        type_into(display, sign_in, USER, "<Tab>", PASSWORD, "<Return>")
        main = wait_window(display, APP, MAIN, timeout=240, alive=alive,  # after the first sync
                           evidence=SHOTS / "failed-2-signed-in.png")
        wait_log(root, "profile opened", count=1, timeout=10, alive=alive)
        time.sleep(3)  # the lists fill from the store
        screenshot(display, SHOTS / "2-signed-in.png", window=main)
        close_window(display, main)  # as the user closes it
        assert wait_exit(client, 60) == 0, (tmp_path / "client-1.log").read_text()[-3000:]
    finally:
        stop(client)
    before = look_into_profile(root, tmp_path / "probe-1")
    assert before["backend"] == "keyring.backends.SecretService"
    assert before["key_source"] == "keyring"
    assert before["schema"] == LATEST_VERSION and before["upgrade_check"] is None
    assert before["counts"]["users"] >= 30 and before["counts"]["documents"] >= 2, before
    assert before["counts"]["attachments"] >= 1, before
    kept = untouched(root)
    assert kept["blobs"], "the large attachment did not land in the profile's blob folder"

    # -- upgrade: the newer package over the old one -----------------------------------------
    install(root, new)
    assert sh(root, "oa-client --version").strip() == f"oa-client {version(new)}"
    assert untouched(root) == kept  # the package steps never touch a profile
    assert f"url = {demo_server}" in (root / "etc/zhengwu-oa/client.ini").read_text(encoding="utf-8")
    started = time.monotonic()
    client = start(root, display, tmp_path / "client-2.log", "oa-client")
    try:
        alive = running(client)
        main = wait_window(display, APP, MAIN, timeout=180, alive=alive,  # no sign-in: remembered
                           evidence=SHOTS / "failed-3-after-upgrade.png")
        numbers["installed_remembered_start_s"] = round(time.monotonic() - started, 2)
        assert SIGN_IN not in [w.title for w in windows(display, APP)]
        wait_log(root, f"store migrated to schema {LATEST_VERSION + 1}", count=1, timeout=30,
                 alive=alive)
        wait_log(root, "profile opened", count=2, timeout=30, alive=alive)
        time.sleep(5)  # its sync runs; the lists fill
        screenshot(display, SHOTS / "3-after-upgrade.png", window=main)
        press(display, main, "ctrl+2")  # 公文: the documents the profile kept
        time.sleep(2)
        screenshot(display, SHOTS / "4-after-upgrade-documents.png", window=main)
        close_window(display, main)
        assert wait_exit(client, 60) == 0, (tmp_path / "client-2.log").read_text()[-3000:]
    finally:
        stop(client)
    log = client_log(root)
    assert "Traceback" not in log and "KeyUnavailable" not in log, log[-3000:]
    after = look_into_profile(root, tmp_path / "probe-2")
    assert after["key_sha256"] == before["key_sha256"]  # the same keyring entry opened it
    assert after["schema"] == LATEST_VERSION + 1
    # the new step ran once, on the profile as the old client left it
    assert after["upgrade_check"] == [[LATEST_VERSION + 1, before["counts"]["documents"]]]
    assert after["counts"] == before["counts"]
    migrated = untouched(root)
    assert (migrated["profile"], migrated["blobs"]) == (kept["profile"], kept["blobs"])

    # -- the source checkout's cold start, on the same screen in the same run ----------------
    started = time.monotonic()
    source = start_source_client(display, tmp_path / "source-home", tmp_path / "source.log")
    try:
        window = wait_window(display, APP, SIGN_IN, timeout=180, alive=running(source),
                             evidence=SHOTS / "failed-source-start.png")
        numbers["source_first_start_s"] = round(time.monotonic() - started, 2)
        close_window(display, window)
        assert wait_exit(source, 60) == 0
    finally:
        stop(source)

    # -- remove keeps the unit's settings, purge removes them; both keep the profile -----------
    sh(root, "apt-get remove -y -qq zhengwu-oa >/dev/null")
    assert not (root / "opt/zhengwu-oa").exists() and not (root / "usr/bin/oa-client").exists()
    assert not (root / "usr/share/applications/zhengwu-oa.desktop").exists()
    assert (root / "etc/zhengwu-oa/client.ini").exists()
    assert untouched(root) == migrated
    sh(root, "apt-get purge -y -qq zhengwu-oa >/dev/null")
    assert not (root / "etc/zhengwu-oa").exists()
    assert "zhengwu-oa" not in sh(root, "dpkg-query -W -f='${Package}\\n' 2>/dev/null || true").split()
    assert untouched(root) == migrated  # purge never touches a user's profile or keyring
    record(numbers)
