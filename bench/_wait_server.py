"""The server of `bench wait`: the ordinary app (one uvicorn process, the default SQLite
database), plus a counter of every SQL statement its engine sends and a `/bench/stats`
route that reports it with the process's CPU time. The counter and the route exist only
here, in the benchmark's own process, not in the product.

    python -m bench._wait_server <data-dir> <port>
"""

from __future__ import annotations

import faulthandler
import gc
import signal
import sys
import time
from pathlib import Path

import uvicorn
from sqlalchemy import event

from oa_server.config import Settings
from oa_server.main import create_app
from tests.server.support import CHEAP


def build(data_dir: Path):
    """The app with its statement counter and stats route."""
    app = create_app(Settings(data_dir=data_dir, audit_checkpoint_minutes=0, **CHEAP))
    counts = {"queries": 0}
    pauses = {"gc_max_ms": 0.0, "gc_full": 0, "gc_ms": 0.0}
    started = [0.0]

    def _gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        pauses["gc_ms"] += took
        pauses["gc_max_ms"] = max(pauses["gc_max_ms"], took)
        pauses["gc_full"] += info["generation"] == 2

    gc.callbacks.append(_gc)

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _count(*_args) -> None:
        counts["queries"] += 1

    @app.get("/bench/stats")
    async def stats() -> dict:
        return {"queries": counts["queries"], "cpu_s": time.process_time(), **pauses}

    return app


def main() -> None:
    """Serve until killed."""
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` prints every thread's stack
    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(build(data_dir), host="127.0.0.1", port=port, log_level="warning",
                backlog=4096, timeout_keep_alive=60)


if __name__ == "__main__":
    main()
