"""The fonts a DOCX names: the official 公文 fonts, never the stand-ins this machine drew the PDF with.

Word and WPS on an office PC have 仿宋_GB2312, 方正小标宋简体, 黑体 and 楷体_GB2312;
a DOCX that named AR PL UMing or WenQuanYi would be set in some other font there
and break its pages elsewhere. So runs name the official font of their role
(characters outside GB2312 name the GBK face of the same style: 仿宋, 楷体 …), and
fontTable.xml lists each name with its charset and, as w:altName, its other names
and the stand-in this machine used. LibreOffice ignores w:altName: for it,
`fontconfig_aliases` writes the same substitutions as a fontconfig file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from docs_exchange.fonts import WANTED, FontSet

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
GB2312_CHARSET = "86"  # w:charset of a GB2312 (code page 936) font


@dataclass(frozen=True)
class OfficialFont:
    """One role's official font: its name, the GBK face for rarer characters, other names."""

    name: str
    wide: str
    alt: tuple[str, ...]
    family: str  # w:family: modern (fixed pitch CJK), roman (宋-style serif), script
    gb2312_only: bool


OFFICIAL: dict[str, OfficialFont] = {
    "fangsong": OfficialFont(WANTED["fangsong"][0], "仿宋", ("FangSong_GB2312",), "modern", True),
    "xbs": OfficialFont(WANTED["xbs"][0], "方正小标宋_GBK", ("FZXiaoBiaoSong-B05S",), "script", True),
    "hei": OfficialFont(WANTED["hei"][0], "黑体", ("SimHei",), "modern", False),
    "kai": OfficialFont(WANTED["kai"][0], "楷体", ("KaiTi_GB2312",), "modern", True),
    "song": OfficialFont(WANTED["song"][0], "宋体", ("SimSun",), "roman", False),
}
_WIDE_ALT = {"仿宋": ("FangSong",), "楷体": ("KaiTi",), "方正小标宋_GBK": ("FZXiaoBiaoSong-B05",)}


@functools.lru_cache(maxsize=16384)
def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def docx_font(role: str, char: str = "") -> str:
    """The font name a DOCX run of `role` holding `char` names (official, never a stand-in)."""
    font = OFFICIAL[role]
    if char and font.gb2312_only and not _in_gb2312(char):
        return font.wide
    return font.name


def official_names() -> dict[str, str]:
    """Every name a DOCX may give a run → the role it belongs to."""
    out: dict[str, str] = {}
    for role, font in OFFICIAL.items():
        out.setdefault(font.name, role)
        out.setdefault(font.wide, role)
    return out


def stand_ins(fonts: FontSet) -> dict[str, str]:
    """Official name → the stand-in family this machine uses for it (roles substituted only)."""
    used = {sub.role: sub.used for sub in fonts.substitutions}
    return {name: used[role] for name, role in official_names().items() if role in used}


def update_font_table(xml: bytes, *, names: set[str], fonts: FontSet) -> bytes:
    """fontTable.xml with an entry (charset, family, w:altName) for each official name in `names`."""
    root = etree.fromstring(xml)
    roles = official_names()
    subs = stand_ins(fonts)
    for name in sorted(names):
        role = roles.get(name)
        if role is None:
            continue
        for old in root.findall(f"{_W}font"):
            if old.get(f"{_W}name") == name:
                root.remove(old)
        font = OFFICIAL[role]
        alt = [*(font.alt if name == font.name else _WIDE_ALT.get(name, font.alt))]
        if name == font.name and font.wide != name:
            alt.append(font.wide)
        if name in subs:
            alt.append(subs[name])
        entry = etree.SubElement(root, f"{_W}font")
        entry.set(f"{_W}name", name)
        etree.SubElement(entry, f"{_W}altName").set(f"{_W}val", ",".join(alt))
        etree.SubElement(entry, f"{_W}charset").set(f"{_W}val", GB2312_CHARSET)
        etree.SubElement(entry, f"{_W}family").set(f"{_W}val", font.family)
        etree.SubElement(entry, f"{_W}pitch").set(f"{_W}val", "variable")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def fontconfig_aliases(fonts: FontSet, *, include_system: bool = True) -> str:
    """A fontconfig file that sets the official names in this machine's stand-ins (for LibreOffice).

    No aliases when the office fonts are installed. With `include_system` it includes
    the system configuration (use it as FONTCONFIG_FILE); without, it is a drop-in for
    ~/.config/fontconfig/fonts.conf or conf.d.
    """
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<fontconfig>",
    ]
    if include_system:
        lines.append('  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>')
    for name, used in stand_ins(fonts).items():
        lines.append(
            f'  <alias binding="same"><family>{escape(name)}</family>'
            f"<prefer><family>{escape(used)}</family></prefer></alias>"
        )
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"
