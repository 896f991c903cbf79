"""Record which locked file each dependency installs from on another platform (needs PyPI,
metadata only): python packaging/wheels.py linux-arm64 → packaging/wheels-linux-arm64.json.

pip resolves requirements.lock for the target (--platform, --only-binary=:all:, a dry run
that reads only the wheels' metadata) and the chosen files are written down with their
SHA-256. tests/core/test_wheels.py then checks offline that the record still matches the
lock: every dependency that applies on the target has a wheel for it, hashed in the lock.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = {
    "linux-arm64": {"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux",
                    "os_name": "posix"},
    "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64",
                      "platform_system": "Windows", "os_name": "nt"},
}
TARGETS = {
    # PySide6 6.11's aarch64 wheels need glibc 2.39; the others run on older systems
    "linux-arm64": ["manylinux_2_39_aarch64", *(f"manylinux_2_{n}_aarch64" for n in range(17, 39)),
                    "manylinux2014_aarch64", "linux_aarch64"],
    "windows-amd64": ["win_amd64"],
}


def lock_pins(text: str) -> list[tuple[str, str, str, str]]:
    """(name, version, marker, whole block) of every pin in requirements.lock."""
    pins, block = [], []
    for line in [*text.splitlines(), ""]:
        if line and not line.startswith(("#", " ")) and block:
            pins.append(block)
            block = []
        if line and not line.startswith("#"):
            block.append(line)
    if block:
        pins.append(block)
    out = []
    for lines in pins:
        head = lines[0].rstrip(" \\")
        req, _, marker = head.partition(";")
        name, _, version = req.strip().partition("==")
        out.append((name.strip().lower(), version.strip(), marker.strip(), "\n".join(lines)))
    return out


def applies(marker: str, target: str) -> bool:
    """Whether a lock line's marker holds on `target` (CPython 3.11)."""
    from packaging.markers import Marker

    if not marker:
        return True
    env = {"python_version": "3.11", "python_full_version": "3.11.7",
           "implementation_name": "cpython", "platform_python_implementation": "CPython",
           **ENVIRONMENTS[target]}
    return Marker(marker).evaluate(env)


def record(target: str) -> Path:
    """Resolve the lock for `target` and write packaging/wheels-<target>.json."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = [f"{name}=={version} \\\n" + block.split("\n", 1)[1]
                  for name, version, marker, block in
                  lock_pins((ROOT / "requirements.lock").read_text()) if applies(marker, target)]
        filtered = Path(tmp) / "lock.txt"
        filtered.write_text("\n".join(wanted) + "\n")
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
               "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none",
               "--target", str(Path(tmp) / "t"), "--report", str(report), "-q",
               "--require-hashes", "-r", str(filtered)]
        for platform in TARGETS[target]:
            cmd += ["--platform", platform]
        subprocess.run(cmd, check=True)
        data = json.loads(report.read_text())
    files = [
        {"name": re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(),
         "version": item["metadata"]["version"],
         "file": item["download_info"]["url"].rsplit("/", 1)[1],
         "sha256": item["download_info"]["archive_info"]["hashes"]["sha256"]}
        for item in data["install"]]
    files.sort(key=lambda f: f["name"])
    out = ROOT / "packaging" / f"wheels-{target}.json"
    out.write_text(json.dumps({"target": target, "python": "cp311", "files": files},
                              indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    for name in sys.argv[1:] or list(TARGETS):
        print(record(name))
