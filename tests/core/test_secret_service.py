"""The key really lives in a Secret Service keyring (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path
import keyring
from oa_client.store import keys
from oa_client.store.local import open_store

path = Path(sys.argv[1])
backend = keyring.get_keyring()
store = open_store(path, server_url="https://oa.puning.gov.cn", username="lisi")
store.records.write("documents", [{"direction": "incoming", "title": "关于做好防汛工作的通知", "body": "正文"}])
pid = store.profile.profile_id
store.close()
reopened = open_store(path)
count = reopened.records.count("documents")
reopened.close()
entry = keyring.get_password(keys.SERVICE, pid)
print(json.dumps({"backend": type(backend).__module__, "count": count, "entry_len": len(entry or "")}))
"""


@pytest.mark.secret_service
def test_profile_key_in_a_real_secret_service(tmp_path):
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is required (make test installs dbus and gnome-keyring)")
    (tmp_path / "home").mkdir()
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT)
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    inner = (
        "echo -n test-login-password | gnome-keyring-daemon --unlock --components=secrets"
        f" >/dev/null && {sys.executable} {script} {tmp_path / 'profile'}"
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", inner],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == "keyring.backends.SecretService"
    assert out["count"] == 1
    assert out["entry_len"] == 64
