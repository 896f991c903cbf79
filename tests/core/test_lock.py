"""requirements.lock: made from setup.cfg's ranges (`make lock`), exact and hashed, and what
set-up installed. A setup.cfg change without a fresh lock fails here, saying what to run."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
from pathlib import Path

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("lock_script", ROOT / "scripts" / "lock.py")
assert _spec and _spec.loader
lock_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock_script)

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
# The platforms the lock is for: CPython 3.11 on Linux x86_64 and aarch64.
PLATFORMS = {
    machine: {"python_version": "3.11", "python_full_version": "3.11.2",
              "implementation_name": "cpython", "platform_python_implementation": "CPython",
              "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
              "platform_machine": machine, "platform_release": "", "platform_version": "",
              "implementation_version": "3.11.2", "extra": ""}
    for machine in ("x86_64", "aarch64")
}


def parse_lock(text: str) -> list[tuple[str, Version, Marker | None, list[str]]]:
    """(name, version, marker, hashes) for every pin in a lock file's text."""
    pins: list[tuple[str, Version, Marker | None, list[str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            hashed = line.strip().removeprefix("--hash=").rstrip(" \\")
            if hashed.startswith("sha256:") and pins:
                pins[-1][3].append(hashed)
            continue
        m = PIN.match(line)
        assert m, f"not an exact pin: {line!r}"
        name, version, marker = m.groups()
        pins.append((canonicalize_name(name), Version(version),
                     Marker(marker) if marker else None, []))
    return pins


def _pins_for(environment: dict[str, str]) -> dict[str, Version]:
    pins = parse_lock(lock_script.LOCK.read_text(encoding="utf-8"))
    return {name: version for name, version, marker, _h in pins
            if marker is None or marker.evaluate(environment)}


def test_lock_was_made_from_setup_cfg_as_it_stands() -> None:
    assert lock_script.recorded_digest() == lock_script.inputs_digest(), (
        "setup.cfg (or pyproject.toml's build requirements) changed since requirements.lock was "
        "made: run `make lock` and commit requirements.lock in the same commit"
    )


def test_a_changed_range_is_noticed(tmp_path: Path) -> None:
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    before = lock_script.inputs_digest(tmp_path)
    assert before == lock_script.inputs_digest(ROOT)
    cfg = tmp_path / "setup.cfg"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("requests>=2.31", "requests>=2.32"),
                   encoding="utf-8")
    assert lock_script.inputs_digest(tmp_path) != before
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("    ruff>=0.5\n", ""),
                   encoding="utf-8")
    assert lock_script.inputs_digest(tmp_path) not in (before, lock_script.recorded_digest())


def test_every_pin_is_exact_and_hashed() -> None:
    pins = parse_lock(lock_script.LOCK.read_text(encoding="utf-8"))
    assert len(pins) > 50
    names = [name for name, *_rest in pins]
    assert len(names) == len(set(names)), "one version per package"
    unhashed = [name for name, _v, _m, hashes in pins if not hashes]
    assert not unhashed, f"pins without a hash: {unhashed}"


def test_every_range_in_setup_cfg_is_met_on_linux_x86_64_and_aarch64() -> None:
    inputs = lock_script.lock_inputs()
    ranges = [Requirement(line) for key, lines in inputs.items() if key != "python_requires"
              for line in lines]
    for machine, environment in PLATFORMS.items():
        pins = _pins_for(environment)
        unmet = []
        for req in ranges:
            if req.marker is not None and not req.marker.evaluate(environment):
                continue
            version = pins.get(canonicalize_name(req.name))
            if version is None or not req.specifier.contains(version, prereleases=True):
                unmet.append(f"{req} (locked: {version})")
        assert not unmet, f"{machine}: requirements.lock does not meet {unmet}: run `make lock`"


def test_set_up_installed_exactly_the_locked_versions() -> None:
    here = {**default_environment(), "extra": ""}
    wrong = []
    for name, version in _pins_for(here).items():
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} missing (locked {version})")
            continue
        if installed != version:
            wrong.append(f"{name} {installed} installed, {version} locked")
    assert not wrong, "the venv differs from requirements.lock (run `make setup`): " + "; ".join(wrong)
