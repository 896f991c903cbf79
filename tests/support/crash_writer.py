"""A writer that is killed mid-transaction: `python -m tests.support.crash_writer PROFILE KRDIR`.

Each transaction writes ROWS documents sharing a batch number, and an outbox op;
after COMMIT returns it prints the batch number, so the parent knows which batches
were committed before it sent SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from oa_client.store.records import Op
from tests.support.file_keyring import FileKeyring
from tests.support.store_helpers import open_profile

ROWS = 20

if __name__ == "__main__":
    store = open_profile(Path(sys.argv[1]), FileKeyring(Path(sys.argv[2])))
    start = store.records.count("documents") // ROWS
    batch = start
    print("ready", flush=True)
    while True:
        docs = [
            {"id": f"b{batch}-{i}", "direction": "outgoing", "title": f"第{batch}批第{i}件",
             "body": "崩溃测试正文，" * 30, "batch": batch}
            for i in range(ROWS)
        ]
        ops = [Op(kind="upsert", entity="documents", entity_id=d["id"], payload={"batch": batch})
               for d in docs]
        store.records.write("documents", docs, ops=ops)
        print(batch, flush=True)
        batch += 1
