"""DOCX writer: the same GB/T 9704 layout as the PDF, as an editable Word/WPS document.

Body paragraphs sit on the section's document grid (22 lines × 28 characters,
w:docGrid linesAndChars); the 版头, title and 版记 are exact-height rows of the
same pitch. Pages break exactly where the PDF layout breaks them (a paragraph
that crosses a page is split there and the next part starts a new page), so
LibreOffice, Word and WPS paginate like our PDF.
"""

from __future__ import annotations

import io

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, Twips
from docx.text.paragraph import Paragraph

from docs_exchange.compose import layout_document
from docs_exchange.docx_fonts import docx_font, update_font_table
from docs_exchange.fonts import FontSet
from docs_exchange.layout import (
    BODY_SIZE,
    LETTER,
    MM,
    NOTE_SIZE,
    Block,
    Layout,
)
from docs_exchange.model import OfficialDocument
from oa_client.errors import RenderError
from oa_client.i18n import _

PITCH_TW = 579  # 225 mm / 22 rows, in twips (rounded down so 22 rows always fit)
LETTER_TW = round(LETTER * 20)  # -5: body characters advance 15.75 pt, 28 to a line
FOOTER_TW = round(24.5 * MM * 20)


def render_docx(
    doc: OfficialDocument, *, format: str | None = None, fonts: FontSet | None = None
) -> bytes:
    """Render `doc` to DOCX bytes laid out like the PDF (same page breaks, fonts and grid)."""
    layout = layout_document(doc, format=format, fonts=fonts)
    return write_layout(layout=layout)


def write_layout(*, layout: Layout) -> bytes:
    """Write an already laid-out document as DOCX bytes."""
    try:
        document = docx.Document()
        _setup(document, layout)
        body = document.element.body
        for p in list(body):
            if p.tag == qn("w:p"):
                body.remove(p)
        writer = _Writer(document, layout)
        for block in layout.blocks:
            writer.block(block)
        _normalize(document)
        _font_table(document, layout)
        document.core_properties.title = layout.title[:255]  # the property's limit in OOXML
        document.core_properties.author = layout.author[:255]
        document.core_properties.subject = layout.format
        out = io.BytesIO()
        document.save(out)
    except (ValueError, KeyError, OSError) as exc:
        raise RenderError(_("生成 DOCX 失败，请检查公文内容"), reason=str(exc)) from None
    return out.getvalue()


def _tw(points: float) -> int:
    return round(points * 20)


def _setup(document: docx.document.Document, layout: Layout) -> None:
    """Page size, margins, grid, default fonts and odd/even page-number footers."""
    section = document.sections[0]
    section.page_width, section.page_height = Twips(11906), Twips(16838)
    section.top_margin = Twips(_tw(37 * MM))
    section.left_margin = Twips(_tw(28 * MM))
    section.right_margin = Twips(_tw(26 * MM))
    section.bottom_margin = Twips(_tw(35 * MM))
    section.header_distance = Twips(_tw(15 * MM))
    section.footer_distance = Twips(FOOTER_TW)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(PITCH_TW))
    grid.attrib.pop(qn("w:charSpace"), None)
    _default_fonts(document, docx_font("fangsong"))
    document.settings.odd_and_even_pages_header_footer = True
    song = docx_font("song")
    _page_number(section.footer.paragraphs[0], song, odd=True)
    _page_number(section.even_page_footer.paragraphs[0], song, odd=False)
    if not layout.first_page_number:  # 信函: no number on page 1, the lower red double rule
        section.different_first_page_header_footer = True
        first = section.first_page_footer.paragraphs[0]
        ppr = first._p.get_or_add_pPr()
        _set(ppr, "w:spacing", before="0", after="0", line="200", lineRule="exact")
        ind = _set(ppr, "w:ind")
        ind.set(qn("w:left"), str(-_tw(8 * MM)))
        ind.set(qn("w:right"), str(-_tw(6 * MM)))
        _border(ppr, "bottom", 18, "FF0000", style="thinThickSmallGap")
        _run(first, "", song, NOTE_SIZE)


def _default_fonts(document: docx.document.Document, family: str) -> None:
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr_default, family)
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE)
    _fonts(normal.element.get_or_add_rPr(), family)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)



def _fonts(rpr, family: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), family)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _page_number(p: Paragraph, family: str, *, odd: bool) -> None:
    """“— PAGE —” with a real PAGE field, outer side, one character in from the 版心 edge."""
    ppr = p._p.get_or_add_pPr()
    _set(ppr, "w:jc", val="right" if odd else "left")
    ind = OxmlElement("w:ind")
    ind.set(qn("w:right" if odd else "w:left"), str(_tw(NOTE_SIZE)))
    ppr.append(ind)
    _set(ppr, "w:snapToGrid", val="0")
    _run(p, "— ", family, NOTE_SIZE)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        r = _run(p, "", family, NOTE_SIZE)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._r.append(instr)
        else:
            r.text = text
    _run(p, " —", family, NOTE_SIZE)


def _set(parent, tag: str, **attrs: str):
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), value)
    return el


def _run(p: Paragraph, text: str, family: str, size: float, *, color: str | None = None,
         scale: float = 100.0):
    r = p.add_run(text)
    rpr = r._r.get_or_add_rPr()
    _fonts(rpr, family)
    r.font.size = Pt(size)
    if color:
        _set(rpr, "w:color", val=color)
    if round(scale) != 100:
        _set(rpr, "w:w", val=str(round(scale)))
    if size == BODY_SIZE and text:
        _set(rpr, "w:spacing", val=str(LETTER_TW))
    return r


def _hex(color: tuple[float, float, float]) -> str | None:
    if color == (0.0, 0.0, 0.0):
        return None
    return "".join(f"{round(c * 255):02X}" for c in color)


class _Writer:
    """Emits one or more w:p per layout block, starting new pages where the layout did."""

    def __init__(self, document: docx.document.Document, layout: Layout) -> None:
        self.document = document
        self.layout = layout
        self.page = 0
        self.row = 0  # the next grid row of the page that a paragraph would take
        self.floating: Block | None = None  # a 信函 mark above the 版心, anchored to the next paragraph

    def block(self, block: Block) -> None:
        """Write `block`, split at page boundaries."""
        if not block.lines:
            return
        if block.kind == "mark" and block.rows == 0:
            self.floating = block
            return
        groups: list[list[tuple[int, int, int, int]]] = []
        for line in block.lines:
            if groups and groups[-1][-1][0] == line[0]:
                groups[-1].append(line)
            else:
                groups.append([line])
        for n, group in enumerate(groups):
            page, row = group[0][0], group[0][1]
            brk = page != self.page
            if brk:
                self.row = 0
            self.page = page
            while self.row < row:  # rows the layout left empty (above the 发文机关标志)
                self._blank(brk)
                brk = False
                self.row += 1
            self.row = max(self.row, group[-1][1] + (block.rows if block.kind == "mark" else 1))
            if block.kind == "blank":
                for _line in group:
                    self._blank(brk, keep_next=block.keep_next)
                    brk = False
            elif block.kind in ("rule", "double_rule"):
                self._rule(block, brk)
            else:
                p = self._text(block, group, brk, continued=n > 0)
                if block.keep_next and n == len(groups) - 1:  # the 落款 stays with the body
                    _set(p._p.get_or_add_pPr(), "w:keepNext")

    def _para(self, brk: bool, *, grid: bool, exact_rows: float | None) -> Paragraph:
        p = self.document.add_paragraph()
        if self.floating is not None:
            _floating_mark(p, self.floating, self.layout)
            self.floating = None
        ppr = p._p.get_or_add_pPr()
        if brk:
            _set(ppr, "w:pageBreakBefore")
        _set(ppr, "w:widowControl", val="0")
        _set(ppr, "w:snapToGrid", val="0")
        spacing = _set(ppr, "w:spacing", before="0", after="0")
        if exact_rows is not None:
            spacing.set(qn("w:line"), str(round(PITCH_TW * exact_rows)))
            spacing.set(qn("w:lineRule"), "exact")
        return p

    def _blank(self, brk: bool, *, keep_next: bool = False) -> None:
        p = self._para(brk, grid=False, exact_rows=1)
        if keep_next:
            _set(p._p.get_or_add_pPr(), "w:keepNext")
        _run(p, "", docx_font("fangsong"), BODY_SIZE)

    def _rule(self, block: Block, brk: bool) -> None:
        color = _hex(block.color) or "000000"
        # a short paragraph whose bottom border is the rule, then the rest of the row: the
        # two together stay a little under one row, so the rows below keep their places
        border = 8 if block.kind == "rule" else 18
        top_tw = max(20, min(round(block.offset * 20), PITCH_TW - 60 - border * 5 // 2))
        top = self._para(brk, grid=False, exact_rows=None)
        ppr = top._p.get_or_add_pPr()
        ppr.find(qn("w:spacing")).set(qn("w:line"), str(top_tw))
        ppr.find(qn("w:spacing")).set(qn("w:lineRule"), "exact")
        if block.kind == "double_rule":
            ind = OxmlElement("w:ind")
            ind.set(qn("w:left"), str(-_tw(8 * MM)))
            ind.set(qn("w:right"), str(-_tw(6 * MM)))
            ppr.append(ind)
        _border(ppr, "bottom", border, color,
                style="single" if block.kind == "rule" else "thickThinSmallGap")
        rest = self._para(False, grid=False, exact_rows=None)
        sp = rest._p.get_or_add_pPr().find(qn("w:spacing"))
        sp.set(qn("w:line"), str(PITCH_TW - top_tw - border * 5 // 2 - 10))
        sp.set(qn("w:lineRule"), "exact")

    def _text(self, block: Block, group: list[tuple[int, int, int, int]], brk: bool, *,
              continued: bool) -> Paragraph:
        start, end = group[0][2], group[-1][3]
        rows = block.rows if block.kind == "mark" else 1
        p = self._para(brk, grid=block.grid, exact_rows=rows)
        ppr = p._p.get_or_add_pPr()
        if block.kind in ("cc", "distribution"):
            ppr.find(qn("w:spacing")).set(qn("w:line"), str(PITCH_TW - 20))
        if block.kind == "print":
            ppr.find(qn("w:spacing")).set(qn("w:line"), str(PITCH_TW - 40))
        if block.tab:
            tabs = OxmlElement("w:tabs")
            tab = OxmlElement("w:tab")
            tab.set(qn("w:val"), block.tab[0])
            tab.set(qn("w:pos"), str(_tw(block.tab[1])))
            tabs.append(tab)
            ppr.append(tabs)
        if block.rule_above and not continued:
            _border(ppr, "top", 8 if block.rule_above > 0.3 * MM else 6, "000000")
        if block.rule_below and group is not None and end == len(block.text):
            _border(ppr, "bottom", 8, "000000")
        first = block.indent if continued else block.first_indent
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(_tw(block.indent)))
        ind.set(qn("w:right"), str(_tw(block.right_indent)))
        if first >= block.indent:
            ind.set(qn("w:firstLine"), str(_tw(first - block.indent)))
        else:
            ind.set(qn("w:hanging"), str(_tw(block.indent - first)))
        jc = {"both": "both", "left": "left", "center": "center", "right": "right"}[block.align]
        if block.kind in ("signature", "date", "signer_title", "attachment_note"):
            jc = "left"
        ppr.append(ind)
        _set(ppr, "w:jc", val=jc)
        manual = block.kind == "title" or (not block.grid and block.kind not in ("cc", "distribution", "print"))
        self._runs(p, block, group, manual=manual, start=start, end=end)
        return p

    def _runs(self, p: Paragraph, block: Block, group: list[tuple[int, int, int, int]], *,
              manual: bool, start: int, end: int) -> None:
        roles = ["fangsong"] * len(block.text)
        for seg in block.segments:
            roles[seg.start : seg.end] = [seg.role] * (seg.end - seg.start)
        color = _hex(block.color)
        breaks = {line[2] for line in group[1:]} if manual else set()
        text = block.text
        i = start
        while i < end:  # one run per official font (never this machine's stand-ins)
            family = docx_font(roles[i], text[i])
            j = i + 1
            while j < end and j not in breaks and docx_font(roles[j], text[j]) == family:
                j += 1
            parts = text[i:j].split("\t")
            for k, part in enumerate(parts):
                if k:
                    r = _run(p, "", family, block.size, color=color, scale=block.h_scale)
                    r._r.append(OxmlElement("w:tab"))
                if part:
                    _run(p, part, family, block.size, color=color, scale=block.h_scale)
            if j in breaks:
                r = _run(p, "", family, block.size, color=color, scale=block.h_scale)
                r._r.append(OxmlElement("w:br"))
            i = j


_VML = "urn:schemas-microsoft-com:vml"


def _floating_mark(p: Paragraph, block: Block, layout: Layout) -> None:
    """The 信函 发文机关标志 30 mm from the page top: a text box in front of the text, so the
    22 rows of the page stay where they are."""
    from lxml import etree

    family = docx_font("xbs")
    top_mm = 30.0
    height_mm = block.size / MM * 1.25
    pict = OxmlElement("w:pict")
    shape = etree.SubElement(pict, f"{{{_VML}}}shape")
    shape.set("type", "#_x0000_t202")
    shape.set("stroked", "f")
    shape.set("filled", "f")
    shape.set("style", (
        f"position:absolute;margin-left:0;margin-top:{top_mm - 4:.1f}mm;width:170mm;"
        f"height:{height_mm:.1f}mm;z-index:1;mso-position-horizontal:center;"
        "mso-position-horizontal-relative:page;mso-position-vertical-relative:page"
    ))
    box = etree.SubElement(shape, f"{{{_VML}}}textbox")
    box.set("inset", "0,0,0,0")
    content = OxmlElement("w:txbxContent")
    box.append(content)
    inner = OxmlElement("w:p")
    content.append(inner)
    para = Paragraph(inner, p._parent)
    ppr = inner.get_or_add_pPr()
    _set(ppr, "w:snapToGrid", val="0")
    _set(ppr, "w:spacing", before="0", after="0")
    _set(ppr, "w:jc", val="center")
    _run(para, block.text, family, block.size, color=_hex(block.color), scale=block.h_scale)
    holder = _run(p, "", family, BODY_SIZE)
    holder._r.append(pict)


def _border(ppr, side: str, size: int, color: str, *, style: str = "single") -> None:
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), style)
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), color)
    bdr.append(el)


_PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()
_RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()


def _sort_children(el, order: list[str]) -> None:
    """Put property elements in schema order (Word refuses files that do not)."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(order)}
    children = list(el)
    children.sort(key=lambda c: rank.get(c.tag, len(rank)))
    for child in children:
        el.remove(child)
        el.append(child)


def _font_table(document: docx.document.Document, layout: Layout) -> None:
    """List every font the runs name in fontTable.xml, with its other names as w:altName."""
    names: set[str] = set()
    section = document.sections[0]
    roots = [document.element.body, document.styles.element]
    roots += [f._element for f in (section.footer, section.even_page_footer, section.first_page_footer)]
    for root in roots:
        for fonts in root.iter(qn("w:rFonts")):
            names.update(v for k, v in fonts.attrib.items() if not k.endswith("Theme")
                         and not k.endswith("theme"))
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            part._blob = update_font_table(part.blob, names=names, fonts=layout.fonts)


def _normalize(document: docx.document.Document) -> None:
    """Sort every pPr and rPr of the body and footers into schema order."""
    parts = [document.element.body]
    section = document.sections[0]
    for footer in (section.footer, section.even_page_footer, section.first_page_footer):
        parts.append(footer._element)
    for root in parts:
        for ppr in root.iter(qn("w:pPr")):
            _sort_children(ppr, _PPR_ORDER)
        for rpr in root.iter(qn("w:rPr")):
            _sort_children(rpr, _RPR_ORDER)
