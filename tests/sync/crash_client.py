"""A client that kills itself with SIGKILL at a crash point of a sync.

python -m tests.sync.crash_client URL PROFILE KRDIR LOGIN POINT TITLE
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from oa_client.services import records as svc
from oa_client.store.local import open_store
from sync.engine import SyncEngine
from sync.transport import MemoryTokenStore, Transport
from tests.support.file_keyring import FileKeyring


def die() -> None:
    """SIGKILL: no cleanup, no flush, like a power cut of the process."""
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    url, profile, kr, login, point, title = sys.argv[1:7]
    store = open_store(Path(profile), keyring_backend=FileKeyring(Path(kr)), server_url=url,
                       username=login)
    transport = Transport(url, device_id=store.device_id(), tokens=MemoryTokenStore())
    transport.login(login, "Demo@2026")
    engine = SyncEngine(store, transport)
    svc.save(store, "documents", {"direction": "outgoing", "title": title, "body": "断电测试"})
    if point == "after_local_commit":
        die()
    engine.hooks[point] = die
    engine.sync()
    sys.exit(3)  # the crash point was never reached
