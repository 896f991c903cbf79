"""What a one-folder bundle needs from the system: ELF files, their NEEDED libraries, the glibc
floor, and the Debian packages that provide what the bundle does not carry."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
# Provided by every glibc system; never bundled (PyInstaller leaves them out too).
GLIBC_SONAMES = re.compile(r"^(libc|libm|libdl|libpthread|librt|libutil|libresolv|libanl|"
                           r"libnsl|libcrypt|ld-linux[-\w.]*)\.so")


def elf_files(root: Path) -> Iterator[Path]:
    """Every ELF file (executables and shared objects) under `root`."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == ELF_MAGIC:
                    yield path


def needed(path: Path) -> list[str]:
    """The NEEDED sonames of one ELF file."""
    out = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True,
                         check=False).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def glibc_versions(path: Path) -> set[tuple[int, ...]]:
    """The GLIBC_x.y symbol versions one ELF file asks for."""
    out = subprocess.run(["readelf", "-VW", str(path)], capture_output=True, text=True,
                         check=False).stdout
    return {tuple(int(n) for n in v.split(".")) for v in re.findall(r"Name: GLIBC_([\d.]+)", out)}


def glibc_floor(files: Iterable[Path]) -> str:
    """The newest glibc any of `files` needs, e.g. 2.34."""
    best: tuple[int, ...] = (2, 17)
    for path in files:
        for version in glibc_versions(path):
            best = max(best, version)
    return ".".join(map(str, best))


def unresolved(root: Path) -> dict[str, list[str]]:
    """soname → bundle files needing it, for sonames the bundle does not carry (glibc aside)."""
    files = list(elf_files(root))
    carried = {p.name for p in root.rglob("*") if p.is_file() or p.is_symlink()}
    missing: dict[str, list[str]] = {}
    for path in files:
        for soname in needed(path):
            if soname not in carried and not GLIBC_SONAMES.match(soname):
                missing.setdefault(soname, []).append(str(path.relative_to(root)))
    return missing


def unused_libraries(root: Path, candidates: Iterable[Path]) -> list[Path]:
    """Of `candidates` (bundled libraries), those no other ELF file in the bundle needs."""
    wanted: set[str] = set()
    cand = set(candidates)
    for path in elf_files(root):
        if path not in cand:
            wanted.update(needed(path))
    # keep whatever a kept library needs, until nothing changes
    kept = {p for p in cand if p.name in wanted}
    changed = True
    while changed:
        changed = False
        for path in list(kept):
            for soname in needed(path):
                for other in cand - kept:
                    if other.name == soname:
                        kept.add(other)
                        changed = True
    return sorted(cand - kept)


def host_library(soname: str) -> str | None:
    """Where the build machine's dynamic linker finds `soname` (ldconfig -p), or None."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                         check=False).stdout
    for line in out.splitlines():
        name, sep, path = line.strip().partition(" => ")
        if sep and name.split(" ")[0] == soname:
            return path
    return None


def debian_package(path: str) -> str | None:
    """The Debian package owning `path` (dpkg -S), without its architecture qualifier."""
    for candidate in (path, str(Path(path).resolve()), path.replace("/usr/lib/", "/lib/", 1)):
        proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                              check=False)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout.split(":", 1)[0].split(",")[0].strip()
    return None
