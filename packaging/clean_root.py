"""A clean Debian root for the install tests, cached under build/roots/ (needs the mirror once).

    python packaging/clean_root.py DEB... → prints the root's path

The base is `debootstrap --variant=minbase` from the mirror apt uses here (read from
/etc/apt/sources.list*), keyed by mirror, suite and architecture. On a copy of it the
packages' declared Depends are *downloaded only* (apt-get install --download-only), keyed
by the Depends lines too, so a test installs the .deb with `apt-get install --no-download`
and no network: nothing but what the package declares lands in the root.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOTS = ROOT / "build" / "roots"
SUITE = "bookworm"
MARK = ".oa-complete"


def apt_mirror() -> str:
    """The Debian mirror apt uses on this machine (first deb URI, security suites aside)."""
    files = sorted(Path("/etc/apt").glob("sources.list.d/*.sources"))
    for path in files:
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            uri = re.search(r"^URIs:\s*(\S+)", block, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", block, re.M)
            if uri and suites and not any("security" in s for s in suites.group(1).split()):
                return uri.group(1).rstrip("/")
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[2]:
                return parts[1].rstrip("/")
    return "http://deb.debian.org/debian"


def dpkg_arch() -> str:
    """This machine's Debian architecture."""
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def deb_field(deb: Path, field: str) -> str:
    """One control field of a .deb."""
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def base_root(*, mirror: str, arch: str) -> Path:
    """debootstrap minbase, made once per mirror/suite/arch."""
    path = ROOTS / f"base-{SUITE}-{arch}-{_key(mirror, SUITE, arch)}"
    if (path / MARK).exists():
        return path
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    ROOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["debootstrap", "--variant=minbase", f"--arch={arch}", SUITE, str(tmp), mirror],
                   check=True, stdout=subprocess.DEVNULL)
    (tmp / MARK).write_text(f"{mirror} {SUITE} {arch}\n")
    tmp.rename(path)
    return path


def in_root(root: Path, script: str, *, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run a shell script in `root` (chroot) inside a private mount namespace with /proc,
    /sys, /dev and the host's X socket directory bound in; the mounts end with it."""
    binds = " && ".join(
        f"mkdir -p {root}{p} && mount --rbind {p} {root}{p}"
        for p in ("/proc", "/sys", "/dev", "/tmp/.X11-unix") if os.path.exists(p))
    inner = f"{binds} && exec chroot {root} /bin/sh -c {shlex_quote(script)}"
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
            "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          check=check, timeout=900)


def shlex_quote(text: str) -> str:
    """`text` as one shell word."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def deps_root_path(debs: list[Path], *, mirror: str | None = None) -> Path:
    """Where the root for `debs` is cached (keyed by mirror, suite, arch and their Depends)."""
    mirror = mirror or apt_mirror()
    arch = dpkg_arch()
    depends = sorted(f"{deb_field(d, 'Package')}: {deb_field(d, 'Depends')}" for d in debs)
    return ROOTS / f"deps-{SUITE}-{arch}-{_key(mirror, SUITE, arch, *depends)}"


def is_ready(path: Path) -> bool:
    """True when a cached root was finished."""
    return (path / MARK).exists()


def deps_root(debs: list[Path], *, mirror: str | None = None) -> Path:
    """A copy of the base with the Depends of `debs` downloaded (not installed) into its cache."""
    mirror = mirror or apt_mirror()
    arch = dpkg_arch()
    depends = sorted(f"{deb_field(d, 'Package')}: {deb_field(d, 'Depends')}" for d in debs)
    path = deps_root_path(debs, mirror=mirror)
    if is_ready(path):
        return path
    base = base_root(mirror=mirror, arch=arch)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(tmp)], check=True)
    (tmp / "etc" / "apt" / "sources.list").write_text(f"deb {mirror} {SUITE} main\n")
    (tmp / "tmp" / "debs").mkdir(parents=True, exist_ok=True)
    for deb in debs:
        shutil.copy(deb, tmp / "tmp" / "debs" / deb.name)
    names = " ".join(f"/tmp/debs/{d.name}" for d in debs)
    in_root(tmp, "apt-get update -qq && apt-get install -y -qq --download-only "
                 f"--no-install-recommends {names} >/dev/null")
    shutil.rmtree(tmp / "tmp" / "debs")
    (tmp / MARK).write_text("\n".join(depends) + "\n")
    tmp.rename(path)
    return path


def main(argv: list[str]) -> int:
    """Print the cached root for the given .deb files (made when missing)."""
    if not argv:
        print("usage: clean_root.py DEB...", file=sys.stderr)
        return 2
    print(deps_root([Path(a).resolve() for a in argv]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
