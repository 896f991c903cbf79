"""A writer killed with SIGKILL mid-transaction leaves a database that opens with every
committed record and none of the torn one. OA_SOAK_N sets how many kills (default 12)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.crash_writer import ROWS
from tests.support.store_helpers import open_profile

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("OA_SOAK_N", "12"))


def test_sigkill_mid_transaction_loses_nothing_committed(tmp_path, file_keyring):
    profile = tmp_path / "p"
    open_profile(profile, file_keyring).close()
    rng = random.Random(20261121)
    committed: set[int] = set()
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_writer", str(profile),
             str(file_keyring.file.parent)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        committed |= {int(line) for line in out.split() if line.isdigit()}

        store = open_profile(profile, file_keyring)  # opens: nothing torn
        try:
            assert store.db.query("PRAGMA integrity_check")[0][0] == "ok"
            rows = store.db.query("SELECT json_extract(data, '$.batch') FROM documents")
            per_batch = Counter(r[0] for r in rows)
            ops = Counter(
                r[0] for r in store.db.query("SELECT json_extract(payload, '$.batch') FROM outbox")
            )
        finally:
            store.close()
        assert committed <= set(per_batch), "a committed batch is missing"
        torn = {b: n for b, n in per_batch.items() if n != ROWS}
        assert not torn, f"half-written transactions: {torn}"
        assert ops == per_batch, "records and outbox ops must commit together"
    assert len(committed) >= KILLS  # the writer really got work done between kills
