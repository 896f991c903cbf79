"""A client killed with SIGKILL at each crash point restarts and converges, nothing lost."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync.support import live_records, make_client

ROOT = Path(__file__).resolve().parents[2]
POINTS = ("after_local_commit", "before_push", "after_push_response", "during_pull_apply")


@pytest.mark.parametrize("point", POINTS)
def test_killed_client_converges_after_restart(server, tmp_path, point):
    # a colleague's record, so the pull has something to apply
    other = make_client(server, tmp_path, "zhengxiaoyan")
    from oa_client.services import records as svc

    svc.save(other.store, "documents", {"direction": "incoming", "title": "同事的收文", "body": "x"})
    other.engine.sync()

    profile, kr = tmp_path / "profile-liuyang", tmp_path / "kr-liuyang"
    kr.mkdir()
    title = f"崩溃点 {point}"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.sync.crash_client", server.url, str(profile), str(kr),
         "liuyang", point, title],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)

    me = make_client(server, tmp_path, "liuyang")  # the same profile and device, restarted
    me.engine.sync()
    other.engine.sync()
    mine = live_records(me.store)
    assert [d["title"] for _rev, d in mine.values()].count(title) == 1  # not lost, not doubled
    assert mine == live_records(other.store)
    assert me.store.records.pending_ops() == 0
    me.close()
    other.close()
