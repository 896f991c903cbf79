"""The .deb packages in a clean Debian 12 root with only their declared Depends.

Client: install, `oa-client --version`, sign in under Xvfb against the demo server on
loopback (the address comes from the package's client.ini: only name and password are
typed), screenshot; upgrade to the newer build and find the profile intact and opened from
the keyring; remove and purge, and find the profile still there. Server: install, its
systemd unit passes `systemd-analyze verify`, `oa-server serve` from the bundle answers
/api/v1/health as the oa-server user with its data in /var/lib/oa-server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.dist.conftest import SHOTS, clean_root

pytestmark = pytest.mark.dist
KEYRING_PASSWORD = "keyring-login"
RUN_CLIENT = """#!/bin/sh
export HOME=/root XDG_RUNTIME_DIR=/tmp/xdg DISPLAY={display} LANG=C.UTF-8
mkdir -p -m 700 /tmp/xdg
exec dbus-run-session -- sh -c 'echo -n {pw} | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec oa-client "$@"' sh "$@"
"""
PROFILES = Path("root/.local/share/zhengwu-oa/profiles")


def sh(root: Path, script: str, *, check: bool = True) -> str:
    """Run `script` in the root; its stdout (stderr joined on failure)."""
    proc = clean_root.in_root(root, script, check=False)
    if check:
        assert proc.returncode == 0, f"{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def install(root: Path, deb: Path) -> None:
    """dpkg -i, then its Depends from the root's apt cache only (no network)."""
    sh(root, f"dpkg -i /tmp/debs/{deb.name} >/dev/null 2>&1; "
             "apt-get install -f -y -qq --no-download --no-install-recommends >/dev/null")
    assert "install ok installed" in sh(root, f"dpkg-query -W -f='${{Status}}' "
                                              f"{clean_root.deb_field(deb, 'Package')}")


def start_client(root: Path, display: str) -> subprocess.Popen:
    """oa-client in the root on the host's virtual screen, with a keyring on a private bus."""
    script = root / "tmp" / "run-client.sh"
    script.write_text(RUN_CLIENT.format(display=display, pw=KEYRING_PASSWORD))
    script.chmod(0o755)
    binds = " && ".join(f"mount --rbind {p} {root}{p}" for p in ("/proc", "/sys", "/dev",
                                                                "/tmp/.X11-unix"))
    return subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             f"{binds} && exec chroot {root} /tmp/run-client.sh"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """End the client and everything it started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_window(display: str, name: str, timeout: float = 90) -> str:
    """The X window id of the first visible window of class `name` (Qt's WM_CLASS; titles
    are compound text that xdotool cannot match in Chinese)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", name],
                             capture_output=True, text=True, env={**os.environ, "DISPLAY": display},
                             check=False).stdout.split()
        if out:
            return out[0]
        time.sleep(0.3)
    raise AssertionError(f"no window titled {name!r} on {display}")


def xdo(display: str, *args: str) -> None:
    """One xdotool command on the virtual screen."""
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True)


def screenshot(display: str, name: str) -> Path:
    """A PNG of the whole virtual screen, kept in build/dist-shots/ to look at."""
    from PIL import ImageGrab

    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    image = ImageGrab.grab(xdisplay=display)
    image.save(path)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, f"{name} is blank"
    return path


def opened_count(root: Path) -> int:
    """How often a profile was opened (the client's log in the root)."""
    log = root / PROFILES / "logs" / "client.log"
    return log.read_text(encoding="utf-8").count("profile opened") if log.exists() else 0


def profile_state(root: Path) -> dict:
    """What must survive an upgrade: the profile's identity, its database and the keyring."""
    profiles = [p for p in (root / PROFILES).iterdir() if (p / "profile.json").exists()]
    assert len(profiles) == 1, profiles
    data = json.loads((profiles[0] / "profile.json").read_text(encoding="utf-8"))
    keyrings = sorted((root / "root/.local/share/keyrings").glob("*.keyring"))
    return {"dir": profiles[0].name, "profile_id": data["profile_id"],
            "db": (profiles[0] / "oa.db").stat().st_size > 0, "keyrings": [k.name for k in keyrings]}


def test_client_installs_signs_in_upgrades_and_keeps_the_profile(root, debs, display, demo_server):
    old, new = debs["old"], debs["new"]
    install(root, old)
    assert sh(root, "oa-client --version").strip() == f"oa-client {clean_root.deb_field(old, 'Version')}"
    assert not (root / "usr/bin/python3").exists()  # the bundle brings its own Python
    desktop = (root / "usr/share/applications/zhengwu-oa.desktop").read_text(encoding="utf-8")
    assert "Categories=Office;" in desktop and "Icon=zhengwu-oa" in desktop
    assert (root / "usr/share/icons/hicolor/256x256/apps/zhengwu-oa.png").is_file()
    assert demo_server in (root / "etc/zhengwu-oa/client.ini").read_text(encoding="utf-8")

    client = start_client(root, display)
    try:
        started = time.monotonic()
        window = wait_window(display, "zhengwu-oa")
        startup = time.monotonic() - started
        screenshot(display, "1-sign-in.png")
        xdo(display, "mousemove", "--window", window, "300", "130")  # focus follows the pointer
        xdo(display, "type", "--delay", "30", "zhengxiaoyan")  # the address is filled in already
        xdo(display, "key", "Tab")
        xdo(display, "type", "--delay", "30", "Demo@2026")
        xdo(display, "key", "Return")
        deadline = time.monotonic() + 120
        while opened_count(root) < 1:
            assert time.monotonic() < deadline and client.poll() is None, client.stderr.read()[-3000:] if client.poll() is not None else "no profile opened"
            time.sleep(0.5)
        time.sleep(8)  # the first sync fills the lists
        screenshot(display, "2-signed-in.png")
    finally:
        stop(client)
    before = profile_state(root)
    assert before["db"] and before["keyrings"]

    install(root, new)  # the upgrade
    assert sh(root, "oa-client --version").strip() == f"oa-client {clean_root.deb_field(new, 'Version')}"
    assert profile_state(root) == before
    client = start_client(root, display)
    try:
        deadline = time.monotonic() + 90
        while opened_count(root) < 2:  # the remembered profile, its key from the keyring
            assert time.monotonic() < deadline and client.poll() is None, "upgraded client did not open the profile"
            time.sleep(0.5)
        time.sleep(5)
        screenshot(display, "3-after-upgrade.png")
    finally:
        stop(client)
    log = (root / PROFILES / "logs" / "client.log").read_text(encoding="utf-8")
    assert "KeyUnavailable" not in log and "Traceback" not in log

    sh(root, "apt-get remove -y -qq zhengwu-oa >/dev/null")
    assert not (root / "opt/zhengwu-oa").exists() and not (root / "usr/bin/oa-client").exists()
    assert profile_state(root) == before
    assert (root / "etc/zhengwu-oa/client.ini").exists()  # remove keeps the unit's settings
    sh(root, "apt-get purge -y -qq zhengwu-oa >/dev/null")
    assert not (root / "etc/zhengwu-oa").exists()
    assert profile_state(root) == before  # purge never touches a user's profile
    numbers = {"client_startup_s": round(startup, 2)}
    (SHOTS / "numbers.json").write_text(json.dumps(numbers))


def test_server_package_runs_as_its_own_user(root, debs):
    deb = debs["server"]
    install(root, deb)
    assert sh(root, "id -u oa-server").strip().isdigit()
    # the host's systemd checks the unit, with the package's /opt/oa-server bound in privately
    unit = root / "lib/systemd/system/oa-server.service"
    verify = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs tmpfs /opt && mkdir /opt/oa-server && "
         f"mount --bind {root}/opt/oa-server /opt/oa-server && systemd-analyze verify {unit}"],
        capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stderr
    assert "oa-server.service" not in verify.stderr, verify.stderr
    assert (root / "etc/logrotate.d/oa-server").is_file()
    env = (root / "etc/oa-server/secret.env").read_text(encoding="utf-8")
    assert "OA_SERVER_SECRET_KEY=" in env and oct((root / "etc/oa-server/secret.env").stat().st_mode)[-3:] == "640"
    port = 18791
    binds = " && ".join(f"mount --rbind {p} {root}{p}" for p in ("/proc", "/sys", "/dev"))
    server = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"{binds} && exec chroot {root} oa-server serve --port {port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert answer is not None and answer.status_code == 200, server.stdout.read() if server.poll() is not None else "no answer"
        assert answer.json()["status"] == "ok"
    finally:
        stop(server)
    database = root / "var/lib/oa-server/oa-server.sqlite3"
    assert database.is_file()
    owner = sh(root, "stat -c %U /var/lib/oa-server/oa-server.sqlite3").strip()
    assert owner == "oa-server"
