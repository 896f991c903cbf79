"""Remove a profile from this computer: its database, attachment files and keyring entries."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from oa_client.store import keys
from oa_client.store.local import LocalStore


def wipe(store: LocalStore, *, backend=None) -> None:
    """Close the profile and delete it for good: the key and refresh token in the keyring,
    the encrypted database and the encrypted attachment files."""
    profile = store.profile
    with contextlib.suppress(Exception):
        store.close()
    wipe_dir(profile.path, profile.profile_id, backend=backend)


def wipe_dir(path: Path, profile_id: str, *, backend=None) -> None:
    """Delete a profile directory and its keyring entries without opening it."""
    kr = backend or keys.keyring.get_keyring()
    for name in (profile_id, f"{profile_id}:refresh"):
        with contextlib.suppress(Exception):  # an entry that is not there is fine
            kr.delete_password(keys.SERVICE, name)
    shutil.rmtree(path, ignore_errors=True)
