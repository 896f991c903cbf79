"""Find the office fonts a 公文 needs (仿宋, 小标宋, 黑体, 楷体, 宋体) or open TrueType fallbacks.

Resolution order per role: the office font by family name through fontconfig,
then well-known file paths (Windows fonts copied to Linux, WPS font folders),
then the open TrueType fonts: the copies an installed client ships (`font_files`), else
the distribution's. reportlab can embed
TrueType (glyf) only, so CFF/OpenType files (Noto CJK) are never chosen.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from docs_exchange.font_files import UKAI, UMING, ZENHEI, open_font_path
from oa_client.errors import RenderError
from oa_client.i18n import _

ROLES = ("fangsong", "xbs", "hei", "kai", "song")

# role -> (wanted font name shown to the user, family names to look for, known file names)
WANTED: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "fangsong": (
        "仿宋_GB2312",
        ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "FZFangSong-Z02", "STFangsong"),
        ("FangSong_GB2312.ttf", "simfang.ttf", "fangsong_gb2312.ttf", "FZFSJW.TTF"),
    ),
    "xbs": (
        "方正小标宋简体",
        ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXBSJW--GB1-0"),
        ("FZXBSJW.TTF", "方正小标宋简体.ttf", "FZXBSK.TTF"),
    ),
    "hei": ("黑体", ("黑体", "SimHei"), ("simhei.ttf", "SimHei.ttf")),
    "kai": (
        "楷体_GB2312",
        ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti"),
        ("KaiTi_GB2312.ttf", "simkai.ttf", "SIMKAI.TTF"),
    ),
    "song": ("宋体", ("宋体", "SimSun", "NSimSun"), ("simsun.ttc", "simsun.ttf")),
}

# Open TrueType fonts, bundled or from the distribution: (family, file name, subfont index).
_UMING = ("AR PL UMing CN", UMING, 0)
_UKAI = ("AR PL UKai CN", UKAI, 0)
_ZENHEI = ("WenQuanYi Zen Hei", ZENHEI, 0)
FALLBACKS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "fangsong": (_UMING, _UKAI, _ZENHEI),
    "xbs": (_ZENHEI, _UMING),
    "hei": (_ZENHEI, _UMING),
    "kai": (_UKAI, _UMING, _ZENHEI),
    "song": (_UMING, _ZENHEI),
}
# Last resort for characters missing from a role's font.
GLYPH_FALLBACKS = (_ZENHEI, _UMING, _UKAI)

_KNOWN_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/opt/kingsoft/wps-office/office6/fonts",
    "C:/Windows/Fonts",
)


@dataclass(frozen=True)
class FontFace:
    """One usable TrueType face: family name, file, subfont index and reportlab name."""

    family: str
    path: str
    index: int
    pdf_name: str


@dataclass(frozen=True)
class FontSubstitution:
    """A role whose office font was not found: what was wanted and what is used instead."""

    role: str
    wanted: str
    used: str


def _is_truetype(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head in (b"\x00\x01\x00\x00", b"true", b"ttcf")


@functools.lru_cache(maxsize=1)
def _fontconfig_faces() -> tuple[tuple[str, str, int], ...]:
    """Every face fontconfig knows as (family, file, index); empty without fontconfig."""
    exe = shutil.which("fc-list")
    if not exe:
        return ()
    try:
        out = subprocess.run(
            [exe, "-f", "%{family}|%{file}|%{index}\n"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    faces = []
    for line in out.splitlines():
        parts = line.rsplit("|", 2)
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        for family in parts[0].split(","):
            faces.append((family.strip(), parts[1], int(parts[2])))
    return tuple(faces)


def _find_office_font(role: str) -> tuple[str, str, int] | None:
    _wanted, families, files = WANTED[role]
    faces = _fontconfig_faces()
    for family in families:
        for fam, path, index in faces:
            if fam.lower() == family.lower() and _is_truetype(path):
                return (WANTED[role][0] if fam == family else fam, path, index)
    for folder in _KNOWN_DIRS:
        base = Path(os.path.expanduser(folder))
        for name in files:
            for candidate in (base / name, base / "truetype" / name):
                if candidate.is_file() and _is_truetype(str(candidate)):
                    return (WANTED[role][0], str(candidate), 0)
    return None


@functools.lru_cache(maxsize=64)
def load_face(family: str, path: str, index: int) -> FontFace:
    """Register one TrueType face with reportlab (once per process); RenderError if unusable."""
    pdf_name = f"OA-{Path(path).stem}-{index}"
    if not os.path.isfile(path):
        raise RenderError(
            _("找不到字体文件 {path}，请安装该字体或联系管理员").format(path=path), path=path
        )
    try:
        pdfmetrics.getFont(pdf_name)
    except KeyError:
        try:
            pdfmetrics.registerFont(TTFont(pdf_name, path, subfontIndex=index))
        except (TTFError, OSError, ValueError) as exc:
            raise RenderError(
                _("字体文件 {path} 无法使用（须为 TrueType 字体）").format(path=path),
                path=path, reason=str(exc),
            ) from None
    return FontFace(family=family, path=path, index=index, pdf_name=pdf_name)


@dataclass
class FontSet:
    """The faces chosen for every role plus the substitutions made to get them."""

    faces: dict[str, FontFace]
    substitutions: list[FontSubstitution]
    glyph_fallbacks: list[FontFace]

    def has_glyph(self, face: FontFace, char: str) -> bool:
        """True when `face` has a real glyph for `char`."""
        return ord(char) in _charmap(face.pdf_name)

    def face_for(self, role: str, char: str) -> tuple[FontFace, bool]:
        """The face to draw `char` in for `role`, and whether it had to fall back."""
        face = self.faces[role]
        if char.isspace() or self.has_glyph(face, char):
            return face, False
        for other in self.glyph_fallbacks:
            if self.has_glyph(other, char):
                return other, True
        return face, True


@functools.lru_cache(maxsize=64)
def _charmap(pdf_name: str) -> frozenset[int]:
    font = pdfmetrics.getFont(pdf_name)
    return frozenset(font.face.charToGlyph.keys())


def resolve_fonts(*, overrides: dict[str, str] | None = None) -> FontSet:
    """Choose a face for each role; `overrides` maps role → font file to force (tests, admins)."""
    overrides = overrides or {}
    faces: dict[str, FontFace] = {}
    subs: list[FontSubstitution] = []
    for role in ROLES:
        wanted = WANTED[role][0]
        if role in overrides:
            path = overrides[role]
            faces[role] = load_face(Path(path).stem, path, 0)
            continue
        found = _find_office_font(role)
        if found:
            faces[role] = load_face(*found)
            continue
        for family, name, index in FALLBACKS[role]:
            path = open_font_path(name)
            if path is not None:
                faces[role] = load_face(family, path, index)
                subs.append(FontSubstitution(role=role, wanted=wanted, used=family))
                break
        else:
            raise RenderError(
                _("没有可用的中文字体（需要 {font}），请安装仿宋_GB2312 等公文字体").format(font=wanted),
                role=role,
            )
    fallbacks = [load_face(family, path, index) for family, name, index in GLYPH_FALLBACKS
                 if (path := open_font_path(name)) is not None]
    return FontSet(faces=faces, substitutions=subs, glyph_fallbacks=fallbacks)


def text_width(face: FontFace, text: str, size: float) -> float:
    """Advance width of `text` in points at `size`."""
    return pdfmetrics.stringWidth(text, face.pdf_name, size)
