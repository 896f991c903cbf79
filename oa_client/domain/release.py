"""A client release as the server signs it and the client checks it: the exact bytes signed."""

from __future__ import annotations

import json
import re

PLATFORMS = ("linux-amd64", "linux-arm64", "windows-amd64")
_VERSION = re.compile(r"^\d+(\.\d+){1,3}$")
_FILENAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


def valid_version(text: str) -> bool:
    """True for a plain dotted version (1.2 to 1.2.3.4)."""
    return bool(_VERSION.match(text))


def valid_filename(text: str) -> bool:
    """True for a bare file name (no folders, no control characters, not . or ..)."""
    return bool(_FILENAME.match(text)) and text not in (".", "..")


def manifest_bytes(*, version: str, platform: str, filename: str, size: int, sha256: str) -> bytes:
    """The canonical JSON the release signature covers (sorted keys, no spaces, UTF-8)."""
    body = {"filename": filename, "platform": platform, "sha256": sha256.lower(), "size": size,
            "version": version, "what": "zhengwu-oa client release"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
