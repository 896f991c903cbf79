"""What the installer set up for this unit: its OA server address (a clerk types only her name
and password).

Read from, first found wins: `$OA_CLIENT_CONFIG`; on Windows `client.ini` beside the
installed program (the setup writes it); on Linux `/etc/zhengwu-oa/client.ini` (a conffile
of the .deb, kept across upgrades). Format::

    [server]
    url = https://oa.example.gov.cn
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path

LINUX_CONFIG = Path("/etc/zhengwu-oa/client.ini")
FILE_NAME = "client.ini"


@dataclass(frozen=True)
class SiteConfig:
    """The installer's settings for this computer."""

    server_url: str = ""
    source: str = ""


def config_paths() -> list[Path]:
    """Where the installer's settings may be, in the order they are looked for."""
    paths: list[Path] = []
    if os.environ.get("OA_CLIENT_CONFIG"):
        paths.append(Path(os.environ["OA_CLIENT_CONFIG"]))
    if getattr(sys, "frozen", False):
        paths.append(Path(sys.executable).resolve().parent / FILE_NAME)
    if sys.platform != "win32":
        paths.append(LINUX_CONFIG)
    return paths


def load_site_config(paths: list[Path] | None = None) -> SiteConfig:
    """The first readable settings file; an empty SiteConfig when there is none."""
    for path in config_paths() if paths is None else paths:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with path.open(encoding="utf-8-sig") as f:  # Windows editors write a BOM
                parser.read_file(f)
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue
        url = parser.get("server", "url", fallback="").strip()
        return SiteConfig(server_url=url, source=str(path))
    return SiteConfig()
