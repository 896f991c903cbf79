"""A real keyring back-end that keeps entries in a JSON file in a temporary directory.

Unit tests use it instead of the OS keyring (none exists on a headless box). It
can be switched to behave like a locked or broken keyring to test those paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import keyring.errors
from jaraco.classes import properties
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    """Entries in `directory/keyring.json`; `mode` = "ok", "locked" or "broken"."""

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        """Not viable for keyring's automatic selection: tests pass it explicitly."""
        raise RuntimeError("FileKeyring is only used when passed explicitly")

    def __init__(self, directory: Path, mode: str = "ok") -> None:
        super().__init__()
        self.file = Path(directory) / "keyring.json"
        self.mode = mode

    def _check(self) -> None:
        if self.mode == "locked":
            raise keyring.errors.KeyringLocked("collection is locked")
        if self.mode == "broken":
            raise keyring.errors.InitError("backend failed to start")

    def _load(self) -> dict:
        return json.loads(self.file.read_text()) if self.file.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self.file.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        data = self._load()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("no such entry")
        self.file.write_text(json.dumps(data))
