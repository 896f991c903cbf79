"""Every locked dependency has a wheel for the other platforms the installers target: checked
offline against the file lists `python packaging/wheels.py` recorded from PyPI (metadata only).
A lock changed without re-recording fails here, naming the command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import wheels  # noqa: E402


def _hashes(block: str) -> set[str]:
    return {part.split("sha256:")[1].strip(" \\") for part in block.split() if "sha256:" in part}


def _supported(tag: Tag, platforms: list[str]) -> bool:
    interp_ok = tag.interpreter in ("cp311", "py3", "py311") or (
        tag.abi == "abi3" and tag.interpreter.startswith("cp3")
        and int(tag.interpreter[3:]) <= 11)
    return interp_ok and tag.abi in ("cp311", "abi3", "none") and tag.platform in (*platforms, "any")


@pytest.mark.parametrize("target", sorted(wheels.TARGETS))
def test_every_locked_dependency_has_a_wheel_for(target: str) -> None:
    record = json.loads((ROOT / "packaging" / f"wheels-{target}.json").read_text(encoding="utf-8"))
    recorded = {canonicalize_name(f["name"]): f for f in record["files"]}
    stale = []
    pins = wheels.lock_pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    wanted = {canonicalize_name(name) for name, _v, marker, _b in pins if wheels.applies(marker, target)}
    for name, version, marker, block in pins:
        if not wheels.applies(marker, target):
            continue
        found = recorded.get(canonicalize_name(name))
        if found is None or found["version"] != version or found["sha256"] not in _hashes(block):
            stale.append(f"{name}=={version}")
            continue
        _n, _v, _b, tags = parse_wheel_filename(found["file"])
        assert any(_supported(t, wheels.TARGETS[target]) for t in tags), found["file"]
    assert not stale, f"run `python packaging/wheels.py {target}` (needs PyPI): {stale}"
    assert set(recorded) == wanted


def test_windows_keyring_backend_is_locked() -> None:
    names = {f["name"] for f in json.loads(
        (ROOT / "packaging" / "wheels-windows-amd64.json").read_text(encoding="utf-8"))["files"]}
    assert {"keyring", "pywin32-ctypes"} <= names  # WinVaultKeyring: Windows Credential Manager
    assert "secretstorage" not in names
