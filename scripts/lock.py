"""Refresh requirements.lock from setup.cfg's ranges: `make lock`.

What the lock already pins stays pinned while setup.cfg still allows it: a new dependency
(or a changed range) is resolved around the pins, nothing else drifts. `make lock UPGRADE=1`
moves every package to the newest release its range allows.

The lock pins every Python dependency (runtime, every extra, the build backend)
to one version with the hashes of all its files, for CPython 3.11+ on every
platform (markers say which lines apply where: Linux x86_64 and aarch64, Windows).
Its first lines record a digest of the ranges it was made from, so a test can
tell a setup.cfg changed without `make lock`.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
INPUTS_PREFIX = "# inputs-sha256: "
HEADER = (
    "# Every Python dependency, pinned with hashes; installed with --require-hashes.\n"
    "# Made by `make lock` from setup.cfg (install_requires, every extra) and pyproject.toml's\n"
    "# build requirements. Do not edit by hand.\n"
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def lock_inputs(root: Path = ROOT) -> dict[str, list[str]]:
    """The requirement ranges the lock is made from, by where they stand."""
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(root / "setup.cfg", encoding="utf-8")
    inputs = {"python_requires": [cfg.get("options", "python_requires", fallback="")],
              "install_requires": sorted(_lines(cfg.get("options", "install_requires", fallback="")))}
    if cfg.has_section("options.extras_require"):
        for extra, text in sorted(cfg.items("options.extras_require")):
            inputs[f"extra:{extra}"] = sorted(_lines(text))
    with (root / "pyproject.toml").open("rb") as f:
        inputs["build-system"] = sorted(tomllib.load(f)["build-system"]["requires"])
    return inputs


def inputs_digest(root: Path = ROOT) -> str:
    """SHA-256 over the requirement ranges (order of lines does not matter)."""
    text = json.dumps(lock_inputs(root), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recorded_digest(lock: Path = LOCK) -> str | None:
    """The inputs digest written into the lock when it was made (None when absent)."""
    if not lock.exists():
        return None
    for line in lock.read_text(encoding="utf-8").splitlines()[:10]:
        if line.startswith(INPUTS_PREFIX):
            return line.removeprefix(INPUTS_PREFIX).strip()
    return None


def _uv() -> str:
    here = Path(sys.executable).parent / "uv"
    found = str(here) if here.exists() else shutil.which("uv")
    if not found:
        raise SystemExit("uv not found: run `make lock`, which installs the pinned uv first")
    return found


def main() -> int:
    """Resolve setup.cfg's ranges around the current pins (all newest with UPGRADE=1) and write
    requirements.lock."""
    build = lock_inputs()["build-system"]
    with tempfile.TemporaryDirectory() as tmp:
        build_in = Path(tmp) / "build-system.in"
        build_in.write_text("\n".join(build) + "\n", encoding="utf-8")
        out = Path(tmp) / "lock.txt"
        upgrade = os.environ.get("UPGRADE") == "1"
        if LOCK.exists() and not upgrade:  # uv prefers the versions the output file pins
            out.write_text(LOCK.read_text(encoding="utf-8"), encoding="utf-8")
        cmd = [_uv(), "pip", "compile", "setup.cfg", str(build_in), "--all-extras", "--universal",
               "--python-version", "3.11", "--generate-hashes", "--no-header", "--no-annotate",
               "--quiet", "--output-file", str(out), *(["--upgrade"] if upgrade else [])]
        subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, "UV_NO_CONFIG": "1"})
        body = out.read_text(encoding="utf-8")
    LOCK.write_text(HEADER + INPUTS_PREFIX + inputs_digest() + "\n" + body, encoding="utf-8")
    pins = sum(1 for line in body.splitlines() if line and not line[0].isspace()
               and not line.startswith("#"))
    print(f"wrote {LOCK.name}: {pins} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
