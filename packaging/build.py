"""Installer builds (`make dist`): the client and the server as PyInstaller one-folder bundles,
then packed as .deb packages.

    python packaging/build.py bundle --target client|server
    python packaging/build.py deb --target client|server --version 0.1.0 [--server-url URL]

`bundle` runs PyInstaller (packaging/zhengwu-oa.spec) into build/bundle/<target>/ and prunes
it: Qt plugins an office desktop does not use go, and so do the X/EGL/xcb, fontconfig, D-Bus
and GLib libraries — those come from the system (the .deb's Depends), matching its X server
and drivers. `deb` stamps the version into a copy and packs it with dpkg-deb; its Depends
are what the bundle's ELF files need and do not carry, found on the build machine with dpkg.
"""

from __future__ import annotations

import argparse
import configparser
import fnmatch
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import debfiles
import elfdeps

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
STAGE = BUILD / "stage"
BUNDLES = BUILD / "bundle"
DIST = BUILD / "dist"
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
BUNDLE_DIR = {"client": "zhengwu-oa", "server": "oa-server"}

# Qt plugins that an X11 office desktop never loads (Wayland, EGLFS, evdev, GTK theme…).
DROP_PLUGINS = (
    "platformthemes/*", "egldeviceintegrations/*", "wayland-*/*", "generic/*",
    "networkinformation/*", "platforms/libqeglfs.so", "platforms/libqlinuxfb.so",
    "platforms/libqvnc.so", "platforms/libqvkkhrdisplay.so", "platforms/libqwayland*.so",
    "xcbglintegrations/libqxcb-egl-integration.so",
)
# System libraries the desktop provides (its X server, GL driver, fonts, session bus).
FROM_SYSTEM = (
    "libX*.so*", "libxcb*.so*", "libxkbcommon*.so*", "libGL*.so*", "libEGL*.so*",
    "libOpenGL*.so*", "libdrm*.so*", "libgbm*.so*", "libwayland*.so*", "libfontconfig.so*",
    "libfreetype.so*", "libdbus-1.so*", "libglib-2.0.so*", "libgobject-2.0.so*",
    "libgio-2.0.so*", "libgmodule-2.0.so*", "libgthread-2.0.so*", "libICE.so*", "libSM.so*",
)
KEYRING_PACKAGES = "gnome-keyring | kwalletmanager | keepassxc"


def machine() -> str:
    """The Debian architecture of this build machine (amd64, arm64)."""
    return DEB_ARCH.get(platform.machine(), platform.machine())


def project_version() -> str:
    """The version in setup.cfg."""
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg.get("metadata", "version")


def stage(version: str) -> None:
    """build/stage: build_info.json and the icons the spec and the packages take."""
    STAGE.mkdir(parents=True, exist_ok=True)
    write_build_info(STAGE / "build_info.json", version=version)
    subprocess.run([sys.executable, str(ROOT / "packaging" / "icons.py"), str(STAGE / "icons")],
                   check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def write_build_info(path: Path, *, version: str) -> None:
    """Stamp version and platform into a bundle (oa_client.version reads it)."""
    system = "windows" if sys.platform == "win32" else "linux"
    info = {"version": version, "platform": f"{system}-{machine()}",
            "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def bundle(target: str, version: str) -> Path:
    """Run PyInstaller for `target` and prune the result; return the bundle folder."""
    subprocess.run([sys.executable, "-m", "oa_client.i18n_compile"], cwd=ROOT, check=True)
    stage(version)
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(BUNDLES), "--workpath", str(BUILD / "pyi-work" / target),
         str(ROOT / "packaging" / "zhengwu-oa.spec"), "--", "--target", target,
         "--stage", str(STAGE.relative_to(ROOT))],
        cwd=ROOT, check=True)
    folder = BUNDLES / BUNDLE_DIR[target]
    if sys.platform.startswith("linux"):
        prune(folder)
    return folder


def prune(folder: Path) -> None:
    """Drop unused Qt plugins, system libraries the desktop provides, and orphans."""
    internal = folder / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for pattern in DROP_PLUGINS:
        for path in plugins.glob(pattern):
            path.unlink()
    for path in list(internal.iterdir()):
        if path.is_file() and any(fnmatch.fnmatch(path.name, p) for p in FROM_SYSTEM):
            path.unlink()
    # libraries PyInstaller collected for what is gone (the GTK theme's GTK, …)
    libs = [p for p in internal.iterdir() if p.is_file() and not p.is_symlink()
            and ".so" in p.name and not p.name.startswith(("libpython", "_"))]
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    if qt_lib.is_dir():
        libs += [p for p in qt_lib.iterdir() if p.is_file() and not p.is_symlink()]
    for path in elfdeps.unused_libraries(folder, libs):
        path.unlink()
    for link in internal.rglob("*"):  # links to what is gone
        if link.is_symlink() and not link.exists():
            link.unlink()


def depends(folder: Path, target: str) -> list[str]:
    """The Debian packages the bundle needs: libc6 (>= its glibc floor) and what it lacks."""
    packages = {f"libc6 (>= {elfdeps.glibc_floor(elfdeps.elf_files(folder))})"}
    missing = elfdeps.unresolved(folder)
    unknown = []
    for soname in sorted(missing):
        path = elfdeps.host_library(soname)
        package = elfdeps.debian_package(path) if path else None
        if package is None:
            unknown.append(f"{soname} (needed by {missing[soname][0]})")
        else:
            packages.add(package)
    if unknown:
        raise SystemExit("no Debian package provides: " + ", ".join(unknown))
    out = sorted(packages)
    if target == "client":
        out.append(KEYRING_PACKAGES)
    else:
        out.append("adduser")
    return out


def deb(target: str, version: str, *, server_url: str = "", compress: str = "xz") -> Path:
    """Pack the bundle of `target` as build/dist/<package>_<version>_<arch>.deb."""
    folder = BUNDLES / BUNDLE_DIR[target]
    if not folder.is_dir():
        raise SystemExit(f"no bundle in {folder}: run `make dist` (packaging/build.py bundle)")
    tree = BUILD / "deb-root" / target
    shutil.rmtree(tree, ignore_errors=True)
    arch = machine()
    if target == "client":
        package = debfiles.client_tree(tree, bundle=folder, version=version, arch=arch,
                                       depends=depends(folder, target), server_url=server_url,
                                       icons=STAGE / "icons")
    else:
        package = debfiles.server_tree(tree, bundle=folder, version=version, arch=arch,
                                       depends=depends(folder, target))
    write_build_info(debfiles.build_info_path(tree, target), version=version)
    DIST.mkdir(parents=True, exist_ok=True)
    out = DIST / f"{package}_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compress}", "--build", str(tree),
                    str(out)], check=True, stdout=subprocess.DEVNULL)
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1e6:.1f} MB "
          f"(bundle {dir_size(folder) / 1e6:.1f} MB)")
    return out


def dir_size(folder: Path) -> int:
    """Bytes of every file under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    """Command line of the installer build."""
    parser = argparse.ArgumentParser(prog="packaging/build.py")
    parser.add_argument("step", choices=("bundle", "deb"))
    parser.add_argument("--target", choices=("client", "server"), required=True)
    parser.add_argument("--version", default="")
    parser.add_argument("--server-url", default="", help="the unit's OA server, for client.ini")
    parser.add_argument("--compress", default="xz", choices=("xz", "gzip", "zstd", "none"))
    args = parser.parse_args(argv)
    version = args.version or project_version()
    if args.step == "bundle":
        bundle(args.target, version)
    else:
        deb(args.target, version, server_url=args.server_url, compress=args.compress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
