"""The file trees of the two .deb packages: the client (zhengwu-oa) and the server (oa-server).

Client: /opt/zhengwu-oa/ (the bundle), /usr/bin/oa-client, a desktop entry in 办公 (Office)
with the app icon, /etc/zhengwu-oa/client.ini (a conffile: the unit's server address, kept
across upgrades). Profiles live in each user's home and are never touched by the package.
Server: /opt/oa-server/, /usr/bin/oa-server, a systemd unit running as the oa-server user,
/etc/oa-server/oa-server.env, data in /var/lib/oa-server, logs rotated in /var/log/oa-server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "deb"
MAINTAINER = "政务协同办公项目组 <oa-dev@localhost>"


def build_info_path(tree: Path, target: str) -> Path:
    """Where the bundle's build_info.json lies inside a package tree."""
    folder = "zhengwu-oa" if target == "client" else "oa-server"
    return tree / "opt" / folder / "_internal" / "resources" / "build_info.json"


def _copy_bundle(bundle: Path, dest: Path) -> None:
    shutil.copytree(bundle, dest, symlinks=True)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _installed_size_kb(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*")
               if p.is_file() and not p.is_symlink() and "DEBIAN" not in p.parts) // 1024 + 1


def _control(tree: Path, *, package: str, version: str, arch: str, depends: list[str],
             section: str, recommends: str, description: str) -> None:
    fields = [
        f"Package: {package}", f"Version: {version}", f"Architecture: {arch}",
        f"Maintainer: {MAINTAINER}", f"Installed-Size: {_installed_size_kb(tree)}",
        f"Depends: {', '.join(depends)}",
    ]
    if recommends:
        fields.append(f"Recommends: {recommends}")
    fields += [f"Section: {section}", "Priority: optional", f"Description: {description}"]
    _write(tree / "DEBIAN" / "control", "\n".join(fields) + "\n")


def _template(name: str, **values: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("@" + key + "@", value)
    return text


def client_tree(tree: Path, *, bundle: Path, version: str, arch: str, depends: list[str],
                server_url: str, icons: Path) -> str:
    """Lay out the client package under `tree`; return its package name."""
    _copy_bundle(bundle, tree / "opt" / "zhengwu-oa")
    _write(tree / "usr" / "bin" / "oa-client", _template("oa-client.sh"), 0o755)
    _write(tree / "usr" / "share" / "applications" / "zhengwu-oa.desktop",
           _template("zhengwu-oa.desktop"))
    hicolor = tree / "usr" / "share" / "icons" / "hicolor"
    for png in sorted(icons.glob("zhengwu-oa-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        target = hicolor / f"{size}x{size}" / "apps" / "zhengwu-oa.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, target)
    (hicolor / "scalable" / "apps").mkdir(parents=True, exist_ok=True)
    shutil.copy(icons / "zhengwu-oa.svg", hicolor / "scalable" / "apps" / "zhengwu-oa.svg")
    _write(tree / "etc" / "zhengwu-oa" / "client.ini", _template("client.ini", SERVER_URL=server_url))
    _write(tree / "usr" / "share" / "doc" / "zhengwu-oa" / "copyright", _template("copyright.client"))
    _write(tree / "DEBIAN" / "conffiles", "/etc/zhengwu-oa/client.ini\n")
    _write(tree / "DEBIAN" / "postrm", _template("client.postrm"), 0o755)
    _control(tree, package="zhengwu-oa", version=version, arch=arch, depends=depends,
             section="misc", recommends="",
             description="政务协同办公客户端 — OA desktop client for civil servants\n"
             " 公文流转、会议、零跑动事项、基层报表、督办；本机数据加密，离线可用，联网同步。\n"
             " Self-contained: its own Python runtime, Qt and the open CJK fonts.")
    return "zhengwu-oa"


def server_tree(tree: Path, *, bundle: Path, version: str, arch: str, depends: list[str]) -> str:
    """Lay out the server package under `tree`; return its package name."""
    _copy_bundle(bundle, tree / "opt" / "oa-server")
    _write(tree / "usr" / "bin" / "oa-server", _template("oa-server.sh"), 0o755)
    _write(tree / "lib" / "systemd" / "system" / "oa-server.service", _template("oa-server.service"))
    _write(tree / "etc" / "oa-server" / "oa-server.env", _template("oa-server.env"), 0o640)
    _write(tree / "etc" / "logrotate.d" / "oa-server", _template("oa-server.logrotate"))
    _write(tree / "usr" / "share" / "doc" / "oa-server" / "copyright", _template("copyright.server"))
    _write(tree / "DEBIAN" / "conffiles",
           "/etc/oa-server/oa-server.env\n/etc/logrotate.d/oa-server\n")
    for script in ("postinst", "prerm", "postrm"):
        _write(tree / "DEBIAN" / script, _template(f"server.{script}"), 0o755)
    _control(tree, package="oa-server", version=version, arch=arch, depends=depends,
             section="net", recommends="logrotate, nginx | apache2",
             description="政务协同办公 OA 服务器 — central OA server\n"
             " The authority the desktop clients sync with (FastAPI, SQLite or PostgreSQL),\n"
             " run by systemd as its own user; self-contained Python runtime.")
    return "oa-server"
