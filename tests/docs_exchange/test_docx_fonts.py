"""The DOCX names the official 公文 fonts in its runs, styles and font table — never a stand-in."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from docs_exchange.docx_fonts import docx_font, fontconfig_aliases, stand_ins
from docs_exchange.docx_writer import render_docx
from docs_exchange.fonts import FALLBACKS, GLYPH_FALLBACKS, FontSet, resolve_fonts
from docs_exchange.importer import import_file

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OFFICIAL = {"仿宋_GB2312", "仿宋", "方正小标宋简体", "方正小标宋_GBK", "黑体", "楷体_GB2312", "楷体", "宋体"}
STAND_INS = {family for faces in FALLBACKS.values() for family, _p, _i in faces} | {
    family for family, _p, _i in GLYPH_FALLBACKS
}


@pytest.fixture(scope="module")
def parts(fixtures_dir: Path) -> dict[str, etree._Element]:
    doc = import_file(path=fixtures_dir / "documents" / "huangyan-digital-gov-plan.txt").document
    doc = doc.model_copy(update={"cc_to": "区委办", "printer": "黄岩区人民政府办公室",
                                 "print_date": doc.date})
    with zipfile.ZipFile(io.BytesIO(render_docx(doc))) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xml")}


def _paragraphs(root: etree._Element) -> list[tuple[str, list[etree._Element]]]:
    out = []
    for p in root.iter(f"{W}p"):
        runs = [r for r in p.findall(f"{W}r") if r.findtext(f"{W}t")]
        if runs:
            out.append(("".join(r.findtext(f"{W}t") for r in runs), runs))
    return out


def _east_asia(run: etree._Element) -> str:
    return run.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia")


def test_every_run_names_an_official_font_in_all_its_slots(parts) -> None:
    for name, root in parts.items():
        for fonts in root.iter(f"{W}rFonts"):
            named = {fonts.get(f"{W}{slot}") for slot in ("ascii", "hAnsi", "eastAsia", "cs")}
            named.discard(None)
            if name in ("word/document.xml",) or name.startswith("word/footer"):
                assert named and named <= OFFICIAL, (name, named)


def test_each_element_names_its_own_font(parts) -> None:
    paras = _paragraphs(parts["word/document.xml"])
    by_text = {text: runs for text, runs in paras}
    mark = by_text["台州市黄岩区人民政府文件"]
    assert {_east_asia(r) for r in mark} == {"方正小标宋简体"}
    title = next(runs for text, runs in paras if text.startswith("台州市黄岩区人民政府关于印发"))
    assert {_east_asia(r) for r in title} == {"方正小标宋简体"}
    body = next(runs for text, runs in paras if text.startswith("《黄岩区数字政府建设"))
    assert {_east_asia(r) for r in body} == {"仿宋_GB2312"}
    h1 = next(runs for text, runs in paras if re.match(r"^[一二三四]、", text))
    assert _east_asia(h1[0]) == "黑体"
    h2 = next(runs for text, runs in paras if re.match(r"^（[一二三]）", text))
    assert _east_asia(h2[0]) == "楷体_GB2312"
    footer = [r for n, root in parts.items() if n.startswith("word/footer") for r in root.iter(f"{W}r")]
    assert footer and {_east_asia(r) for r in footer} == {"宋体"}  # page numbers: 4号宋体


def test_styles_default_to_fangsong_gb2312(parts) -> None:
    styles = parts["word/styles.xml"]
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert {default.get(f"{W}{s}") for s in ("ascii", "hAnsi", "eastAsia")} == {"仿宋_GB2312"}
    normal = next(s for s in styles.findall(f"{W}style") if s.get(f"{W}styleId") == "Normal")
    assert normal.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "仿宋_GB2312"


def test_font_table_lists_the_official_fonts_with_charset_and_alternates(parts) -> None:
    table = {f.get(f"{W}name"): f for f in parts["word/fontTable.xml"].findall(f"{W}font")}
    for name in ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"):
        assert table[name].find(f"{W}charset").get(f"{W}val") == "86", name
    alt = table["仿宋_GB2312"].find(f"{W}altName").get(f"{W}val").split(",")
    assert alt[0] == "FangSong_GB2312" and "仿宋" in alt
    used = stand_ins(resolve_fonts())
    if "仿宋_GB2312" in used:  # this machine drew the PDF in a stand-in: offered as an alternate
        assert alt[-1] == used["仿宋_GB2312"]


def test_no_stand_in_is_a_primary_font_name(parts) -> None:
    for name, root in parts.items():
        root = etree.fromstring(etree.tostring(root))
        for alt in root.iter(f"{W}altName"):  # alternates may name them; nothing else may
            alt.getparent().remove(alt)
        text = etree.tostring(root, encoding="unicode")
        assert [s for s in STAND_INS if s in text] == [], name
        assert "AR PL" not in text and "WenQuanYi" not in text, name


def test_characters_outside_gb2312_name_the_gbk_face() -> None:
    assert docx_font("fangsong", "国") == "仿宋_GB2312"
    assert docx_font("fangsong", "A") == "仿宋_GB2312"
    assert docx_font("fangsong", "刏") == "仿宋"  # GBK only
    assert docx_font("kai", "喆") == "楷体"
    assert docx_font("xbs", "堃") == "方正小标宋_GBK"
    assert docx_font("hei", "刏") == "黑体"  # 黑体 itself covers GBK


def test_fontconfig_aliases_map_official_names_to_this_machines_stand_ins() -> None:
    fonts = resolve_fonts()
    conf = etree.fromstring(fontconfig_aliases(fonts).encode())
    aliases = {a.findtext("family"): a.findtext("prefer/family") for a in conf.iter("alias")}
    assert conf.find("include").text == "/etc/fonts/fonts.conf"
    for sub in fonts.substitutions:
        assert aliases[sub.wanted] == sub.used
    none = FontSet(faces=fonts.faces, substitutions=[], glyph_fallbacks=[])
    assert etree.fromstring(fontconfig_aliases(none, include_system=False).encode()).find("alias") is None
