"""A keyring back-end in memory, for benchmarks that open profiles."""

from __future__ import annotations

import keyring.backend


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Entries in a dict; gone when the process ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, or None."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret."""
        self.entries.pop((service, username), None)
