"""Helpers for store tests: open a profile with a file keyring, sample records."""

from __future__ import annotations

from pathlib import Path

from oa_client.store.local import LocalStore, open_store


def open_profile(path: Path, keyring, **kwargs) -> LocalStore:
    """Open or create the profile at `path` with the given keyring back-end."""
    return open_store(path, keyring_backend=keyring, **kwargs)


def sample_document(title: str, body: str, **extra) -> dict:
    """An outgoing document record with the given title and body."""
    return {"direction": "outgoing", "doc_kind": "通知", "title": title, "body": body, **extra}
