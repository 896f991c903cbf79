"""The server package in a clean Debian 12 root with only its declared Depends: the oa-server
user, its systemd unit passing `systemd-analyze verify` (the host's systemd; the root has
none), the settings and the secret made at install, and `oa-server serve` from the bundle
answering /api/v1/health as the oa-server user with its data in /var/lib/oa-server, its jobs
process (`oa-server jobs loop`) running beside it. Remove
and purge keep the data and its key."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.dist.conftest import clean_root
from tests.dist.support import CLEAN_ENV, install, mb, record, sh, stop

pytestmark = [pytest.mark.dist, pytest.mark.timeout(900)]
PORT = 18791


def test_server_package_runs_as_its_own_user(root, debs, tmp_path):
    deb = debs["server"]
    install(root, deb)
    assert sh(root, "oa-server --version").strip() == f"oa-server {clean_root.deb_field(deb, 'Version')}"
    assert sh(root, "id -u oa-server").strip().isdigit()
    assert sh(root, "getent passwd oa-server").split(":")[5] == "/var/lib/oa-server"

    # the host's systemd checks the unit, the package's /opt/oa-server bound in privately
    # (verify also checks that ExecStart= names an executable file)
    unit = root / "lib/systemd/system/oa-server.service"
    verify = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs tmpfs /opt && mkdir /opt/oa-server && "
         f"mount --bind {root}/opt/oa-server /opt/oa-server && systemd-analyze verify {unit}"],
        capture_output=True, text=True, check=False, env=CLEAN_ENV)
    assert verify.returncode == 0, verify.stderr
    assert "oa-server.service" not in verify.stderr, verify.stderr
    assert (root / "etc/logrotate.d/oa-server").is_file()
    secret = root / "etc/oa-server/secret.env"
    assert "OA_SERVER_SECRET_KEY=" in secret.read_text(encoding="utf-8")
    assert oct(secret.stat().st_mode)[-3:] == "640"
    assert sh(root, "stat -c '%U:%G %a' /var/lib/oa-server").strip() == "oa-server:oa-server 750"

    binds = " && ".join(f"mount --rbind {p} {root}{p}" for p in ("/proc", "/sys", "/dev"))
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             f"{binds} && exec chroot {root} oa-server serve --port {PORT}"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=CLEAN_ENV,
            start_new_session=True)
    try:
        started, answer = time.monotonic(), None
        while time.monotonic() < started + 120 and server.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert answer is not None, log.read_text(errors="replace")[-3000:]
        assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
        ready_s = round(time.monotonic() - started, 2)
        time.sleep(3)  # a jobs process the bundle refused would be gone by now
        uids = serving_uids()
        jobs = [c for c in bundle_commands() if c[1:] == [b"jobs", b"loop"]]
    finally:
        stop(server)
    assert uids and uids == {int(sh(root, "id -u oa-server"))}, uids
    assert len(jobs) == 1, log.read_text(errors="replace")[-3000:]  # serve's jobs, running
    owner = sh(root, "stat -c %U /var/lib/oa-server/oa-server.sqlite3").strip()
    assert owner == "oa-server"

    numbers = {"server_bundle_mb": mb(root / "opt/oa-server"), "server_deb_mb": mb(deb),
               "server_health_after_s": ready_s}
    sh(root, "apt-get purge -y -qq oa-server >/dev/null 2>&1")
    assert not (root / "opt/oa-server").exists() and not unit.exists()
    assert (root / "var/lib/oa-server/oa-server.sqlite3").is_file() and secret.is_file()
    record(numbers)


def bundle_commands() -> list[list[bytes]]:
    """The command lines of the bundled server's running processes (seen from the host)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")[:-1]
        except OSError:
            continue
        if command and command[0] == b"/opt/oa-server/oa-server":
            found.append(command)
    return found


def serving_uids() -> set[int]:
    """The user ids of the running bundled server's processes (seen from the host)."""
    uids = set()
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if command[0] == b"/opt/oa-server/oa-server":
            uids.add(int(next(line for line in status.splitlines()
                              if line.startswith("Uid:")).split()[1]))
    return uids
