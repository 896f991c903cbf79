"""Helpers of the install tests: commands in the clean root, the installed client started on
the host's virtual screen with a Secret Service keyring, and a look into a profile from
outside (its key read from a copy of the root's keyring, its database opened with that key)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.dist.conftest import ROOT, SHOTS, clean_root

KEYRING_PASSWORD = "keyring-login"
HOME = Path("root")  # the client runs as root in the root: its home is /root
DATA = HOME / ".local/share"
PROFILES = DATA / "zhengwu-oa/profiles"
# The desktop session the client needs and a test cannot borrow from the host: a private
# session bus with gnome-keyring unlocked by the user's login password, as at a desktop login.
SESSION = """#!/bin/sh
export HOME=/root XDG_RUNTIME_DIR=/tmp/xdg DISPLAY={display} LANG=C.UTF-8
mkdir -p -m 700 /tmp/xdg
exec dbus-run-session -- sh -c 'echo -n {pw} | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' sh "$@"
"""
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def sh(root: Path, script: str, *, check: bool = True) -> str:
    """Run `script` in the root; its stdout (its output on failure)."""
    proc = clean_root.in_root(root, script, check=False)
    if check:
        assert proc.returncode == 0, f"{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def install(root: Path, deb: Path) -> None:
    """`dpkg -i` as an administrator would (over an older version: an upgrade), then what it
    Depends on from the root's apt cache only (no network: nothing but what the package
    declares can come in). apt cannot install a local .deb with --no-download itself."""
    sh(root, f"dpkg -i /tmp/debs/{deb.name} >/tmp/dpkg.log 2>&1 || "
             "apt-get install -f -y -qq --no-download --no-install-recommends >/dev/null")
    package = clean_root.deb_field(deb, "Package")
    status = sh(root, f"dpkg-query -W -f='${{Status}} ${{Version}}' {package}")
    assert status == f"install ok installed {clean_root.deb_field(deb, 'Version')}", status


def start(root: Path, display: str, log: Path, *command: str) -> subprocess.Popen:
    """`command` in the root, in a desktop session on the host's virtual screen, in its own
    process group; its output goes to `log`."""
    script = root / "tmp" / "session.sh"
    script.write_text(SESSION.format(display=display, pw=KEYRING_PASSWORD))
    script.chmod(0o755)
    binds = " && ".join(f"mount --rbind {p} {root}{p}"
                        for p in ("/proc", "/sys", "/dev", "/tmp/.X11-unix"))
    words = " ".join(clean_root.shlex_quote(c) for c in command)
    with log.open("ab") as out:
        return subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             f"{binds} && exec chroot {root} /tmp/session.sh {words}"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=CLEAN_ENV,
            start_new_session=True)


def start_source_client(display: str, home: Path, log: Path) -> subprocess.Popen:
    """The source checkout's client (`.venv/bin/python main.py`) on the same screen, in the
    same kind of session, with a fresh home and profile directory."""
    (home / "run").mkdir(parents=True, mode=0o700)
    env = {**CLEAN_ENV, "HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_CONFIG_HOME": str(home / ".config"), "DISPLAY": display}
    inner = (f"echo -n {KEYRING_PASSWORD} | gnome-keyring-daemon --unlock --components=secrets"
             f" >/dev/null; exec {ROOT / '.venv/bin/python'} {ROOT / 'main.py'}"
             f" --profile {home / 'profiles'}")
    with log.open("ab") as out:
        return subprocess.Popen(["dbus-run-session", "--", "sh", "-c", inner], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """End a started program and everything it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_exit(proc: subprocess.Popen, timeout: float) -> int:
    """The exit status of `proc` once it ends by itself; fails after `timeout` seconds."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise AssertionError(f"the program did not end within {timeout:.0f} s") from None


def client_log(root: Path) -> str:
    """The client's own log in the root (profiles/logs/client.log)."""
    path = root / PROFILES / "logs" / "client.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def wait_log(root: Path, text: str, *, count: int, timeout: float, alive) -> None:
    """Until `text` is in the client's log `count` times."""
    deadline = time.monotonic() + timeout
    while client_log(root).count(text) < count:
        assert alive(), f"the client ended before its log said {text!r}"
        assert time.monotonic() < deadline, f"the client's log never said {text!r}:\n{client_log(root)[-2000:]}"
        time.sleep(0.3)


def profile_dir(root: Path) -> Path:
    """The one profile the journey made."""
    found = [p for p in (root / PROFILES).iterdir() if (p / "profile.json").exists()]
    assert len(found) == 1, found
    return found[0]


def blob_files(profile: Path) -> dict[str, str]:
    """name → SHA-256 of every encrypted attachment file outside the database."""
    folder = profile / "blobs"
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.is_dir() else {}


PROBE = r"""
import hashlib, json, sys
from pathlib import Path
import keyring
from oa_client.store import keys
from oa_client.store.db import Database

profile = Path(sys.argv[1])
info = json.loads((profile / "profile.json").read_text(encoding="utf-8"))
entry = keyring.get_password(keys.SERVICE, info["profile_id"])
key = keys.decode_entry(entry)
db = Database(profile / "oa.db", key)
tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
counts = {t: db.query(f"SELECT count(*) FROM {t} WHERE deleted = 0")[0][0]
          for t in ("units", "users", "documents", "attachments", "meetings", "requests")}
print(json.dumps({
    "backend": type(keyring.get_keyring()).__module__,
    "key_source": info.get("key_source"),
    "key_sha256": hashlib.sha256(key).hexdigest(),
    "schema": db.user_version,
    "counts": counts,
    "upgrade_check": db.query("SELECT * FROM upgrade_check") if "upgrade_check" in tables else None,
}))
db.close()
"""


def look_into_profile(root: Path, work: Path) -> dict:
    """The profile as the client keeps it: its key read from a copy of the root's login
    keyring (gnome-keyring on a private bus, unlocked with the login password), its database
    (a copy) opened with that key; schema version, live records, the key's digest."""
    shutil.rmtree(work, ignore_errors=True)
    home = work / "home"
    shutil.copytree(root / DATA / "keyrings", home / ".local/share/keyrings")
    profile = profile_dir(root)
    copy = work / "profile"
    shutil.copytree(profile, copy, ignore=shutil.ignore_patterns("blobs"))
    (work / "run").mkdir(mode=0o700)
    (work / "probe.py").write_text(PROBE)
    env = {**CLEAN_ENV, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_RUNTIME_DIR": str(work / "run"), "PYTHONPATH": str(ROOT)}
    inner = (f"echo -n {KEYRING_PASSWORD} | gnome-keyring-daemon --unlock --components=secrets"
             f" >/dev/null && {sys.executable} {work / 'probe.py'} {copy}")
    proc = subprocess.run(["dbus-run-session", "--", "sh", "-c", inner], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mb(path: Path) -> float:
    """Megabytes of a file or of every file under a folder."""
    files = [path] if path.is_file() else [p for p in path.rglob("*")
                                              if p.is_file() and not p.is_symlink()]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1)


def record(numbers: dict) -> None:
    """Add to build/dist-shots/numbers.json (make test-dist prints it)."""
    path = SHOTS / "numbers.json"
    SHOTS.mkdir(parents=True, exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **numbers}, ensure_ascii=False, indent=2) + "\n")
