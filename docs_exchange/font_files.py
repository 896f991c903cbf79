"""Where the open TrueType CJK fonts are: the copies an installed client ships, then the system's.

An installer build (`make dist`) copies WenQuanYi Zen Hei and AR PL UMing/UKai into
`resources/fonts/` beside the code, so a 公文 renders the same on every desk whatever
the machine has installed; a source checkout uses the distribution's packages.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED_FONTS_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/wqy"),
    Path("/usr/share/fonts/truetype/arphic"),
)
ZENHEI, UMING, UKAI = "wqy-zenhei.ttc", "uming.ttc", "ukai.ttc"
OPEN_FONT_FILES = (ZENHEI, UMING, UKAI)


def open_font_path(filename: str) -> str | None:
    """The file of one open font: the bundled copy first, else the system's; None if neither."""
    for folder in (BUNDLED_FONTS_DIR, *SYSTEM_FONT_DIRS):
        candidate = folder / filename
        if candidate.is_file():
            return str(candidate)
    return None
