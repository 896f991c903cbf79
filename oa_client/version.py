"""Which client this is: the version stamped into an installed bundle, else the package's."""

from __future__ import annotations

import json
import platform
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Written by the installer build (packaging/build.py) into the bundle; absent in a checkout.
BUILD_INFO = Path(__file__).resolve().parent.parent / "resources" / "build_info.json"
DIST_NAME = "zhengwu-oa"
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@lru_cache(maxsize=1)
def build_info() -> dict:
    """What the installer build recorded (version, platform, built); {} in a source checkout."""
    try:
        data = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def version() -> str:
    """The client's version, e.g. 0.1.0."""
    stamped = build_info().get("version")
    if isinstance(stamped, str) and stamped:
        return stamped
    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "0.0.0"


def is_installed_bundle() -> bool:
    """True when running from an installed bundle (PyInstaller), not a source checkout."""
    return bool(getattr(sys, "frozen", False))


def platform_tag() -> str:
    """The release platform this client runs on: linux-amd64, linux-arm64, windows-amd64…"""
    stamped = build_info().get("platform")
    if isinstance(stamped, str) and stamped:
        return stamped
    system = "windows" if sys.platform == "win32" else sys.platform.rstrip("0123456789")
    machine = platform.machine().lower()
    return f"{system}-{_MACHINES.get(machine, machine)}"


def version_key(text: str) -> tuple[int, ...]:
    """A version as numbers for comparing (1.10.0 > 1.9.2); non-numeric parts count as 0."""
    parts = []
    for piece in text.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
