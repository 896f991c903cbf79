"""Closing a profile while another thread still uses it (a sync running when the window signs
out or quits): the other thread gets a StoreError saying the data is closed — never a use of
a closed SQLCipher connection, which crashed the process (segfault in `user_version`)."""

from __future__ import annotations

import threading

import pytest

from oa_client.errors import StoreError
from oa_client.store.db import Database
from tests.support.store_helpers import open_profile


def _busy(db: Database, use: str, started: threading.Event, seen: list[BaseException]) -> None:
    """Use the database in a loop, as a sync thread does, until it fails."""
    started.set()
    try:
        while True:
            if use == "user_version":
                assert db.user_version > 0
            elif use == "query":
                db.query("SELECT count(*) FROM meta")
            else:
                with db.transaction() as conn:
                    conn.execute("SELECT count(*) FROM meta").fetchone()
    except BaseException as exc:  # what the sync thread would see
        seen.append(exc)


@pytest.mark.parametrize("use", ["user_version", "query", "transaction"])
def test_closing_under_a_busy_thread_is_a_clear_error(tmp_path, file_keyring, use):
    for attempt in range(20):  # the race needs the close to land mid-use: try it many times
        store = open_profile(tmp_path / f"p-{use}-{attempt}", file_keyring)
        seen: list[BaseException] = []
        started = threading.Event()
        worker = threading.Thread(target=_busy, args=(store.db, use, started, seen))
        worker.start()
        started.wait()
        store.close()
        worker.join(timeout=10)
        assert not worker.is_alive()
        (err,) = seen
        assert isinstance(err, StoreError) and err.context["kind"] == "closed", repr(err)
        store.close()  # closing twice is harmless
