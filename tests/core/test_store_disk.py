"""A full disk and a read-only directory give clear errors and lose nothing committed.

Each scenario runs in a private user+mount namespace (unshare) on a real tmpfs:
a tiny one that fills up, or one remounted read-only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.file_keyring import FileKeyring
from tests.support.store_helpers import open_profile, sample_document

ROOT = Path(__file__).resolve().parents[2]


def _unshare(script: str) -> subprocess.CompletedProcess:
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is required for the disk tests")
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-ec", script],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )


def test_disk_full_is_a_clear_error_and_keeps_committed_records(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    (tmp_path / "kr").mkdir()
    proc = _unshare(
        f"mount -t tmpfs -o size=1m tmpfs {mnt}; "
        f"{sys.executable} -m tests.support.fs_scenarios full {mnt} {tmp_path / 'kr'}"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["error"] is not None, out
    assert out["error"]["kind"] == "disk_full"
    assert "磁盘空间已满" in out["error"]["message"]
    assert out["saved"] > 0 and out["count_after"] == out["saved"]


def test_read_only_directory_is_a_clear_error(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    kr_dir = tmp_path / "kr"
    kr_dir.mkdir()
    # a profile made on a writable tmpfs, then the tmpfs remounted read-only
    proc = _unshare(
        f"mount -t tmpfs -o size=64m tmpfs {mnt}; "
        f"{sys.executable} -c \"import sys; sys.path.insert(0, '{ROOT}');"
        f"from tests.support.store_helpers import open_profile, sample_document;"
        f"from tests.support.file_keyring import FileKeyring;"
        f"from pathlib import Path;"
        f"s = open_profile(Path('{mnt}') / 'p', FileKeyring(Path('{kr_dir}')));"
        f"s.records.write('documents', [sample_document('只读测试', '正文')]); s.close()\"; "
        f"mount -o remount,ro {mnt}; "
        f"{sys.executable} -m tests.support.fs_scenarios readonly {mnt} {kr_dir}"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["new"]["kind"] == "read_only" and "只读" in out["new"]["message"]
    assert out["write"]["kind"] == "read_only"


def test_unwritable_profile_path_on_a_file(tmp_path):
    from oa_client.errors import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        open_profile(blocker / "p", FileKeyring(tmp_path))
    assert err.value.kind in ("io", "read_only")
    assert str(blocker) in err.value.message
    assert sample_document  # helper import used by the subprocess scenario
