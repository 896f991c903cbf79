"""Run inside a private mount namespace (unshare): disk-full and read-only profile scenarios.

`python -m tests.support.fs_scenarios full|readonly DIR` prints one JSON line.
The caller mounts a tiny tmpfs at DIR (full) or remounts it read-only (readonly).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from oa_client.errors import StoreError
from oa_client.store.local import open_store
from tests.support.file_keyring import FileKeyring


def _full(root: Path) -> dict:
    kr = FileKeyring(Path(sys.argv[3]))
    store = open_store(root / "p", keyring_backend=kr)
    saved = 0
    error = None
    try:
        for i in range(100_000):
            store.records.write(
                "documents",
                [{"id": f"doc-{i}", "direction": "outgoing", "title": f"第{i}号通知",
                  "body": "全市数字政府建设推进会议的通知正文。" * 40}],
            )
            saved += 1
    except StoreError as exc:
        error = {"kind": exc.kind, "message": exc.message}
    # what was committed before the disk filled must still be there
    count = store.records.count("documents")
    store.close()
    return {"saved": saved, "count_after": count, "error": error}


def _readonly(root: Path) -> dict:
    kr = FileKeyring(Path(sys.argv[3]))
    result: dict = {}
    try:
        open_store(root / "new-profile", keyring_backend=kr)
        result["new"] = None
    except StoreError as exc:
        result["new"] = {"kind": exc.kind, "message": exc.message}
    try:
        store = open_store(root / "p", keyring_backend=kr)
        result["existing_count"] = store.records.count("documents")
        store.records.write("documents", [{"direction": "outgoing", "title": "x", "body": "y"}])
        result["write"] = None
    except StoreError as exc:
        result["write"] = {"kind": exc.kind, "message": exc.message}
    return result


if __name__ == "__main__":
    scenario, directory = sys.argv[1], Path(sys.argv[2])
    out = _full(directory) if scenario == "full" else _readonly(directory)
    print(json.dumps(out, ensure_ascii=False))
