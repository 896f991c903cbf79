"""Entry point of the bundled `oa-server`: worker processes (uvicorn --workers) start through
multiprocessing, which a frozen program must let take over first."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from oa_server.cli import main

    sys.exit(main())
