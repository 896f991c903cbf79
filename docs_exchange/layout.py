"""GB/T 9704-2012 page layout: an OfficialDocument becomes positioned pages and logical blocks.

Geometry (PDF user space, points, origin bottom-left): A4, 天头 37 mm, 订口 28 mm,
版心 156 × 225 mm holding 22 lines of 28 characters of 3号 (16 pt) 仿宋. Every line
of text sits on one of the 22 grid rows of a page; the PDF writer draws the
positioned pages, the DOCX writer rebuilds the same rows from the blocks and
breaks pages exactly where this layout does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docs_exchange.fonts import FontFace, FontSet, FontSubstitution, text_width
from docs_exchange.linebreak import (
    Line,
    autospace_gaps,
    break_paragraph,
    is_full_width,
    title_lines,
)

MM = 72 / 25.4
PAGE_W = 210 * MM
PAGE_H = 297 * MM
TOP = 37 * MM  # 天头
LEFT = 28 * MM  # 订口
BODY_W = 156 * MM
BODY_H = 225 * MM
ROWS = 22
CHARS = 28
PITCH = BODY_H / ROWS  # one grid row, ≈ 28.99 pt
LETTER = -0.25  # character spacing of body text: 16 pt glyphs advance 15.75 pt
AUTOSPACE = 0.203  # 中西文间距 between 汉字 and Latin/digits, in em (LibreOffice and Word add it)
CELL = 16.0 + LETTER  # one grid character; 28 of them fill the 156 mm line
BODY_SIZE = 16.0  # 3号
TITLE_SIZE = 22.0  # 2号
NOTE_SIZE = 14.0  # 4号: page numbers, 版记
MARK_SIZE = 58.0
SEAL_MM = 42.0
RED = (1.0, 0.0, 0.0)
BLACK = (0.0, 0.0, 0.0)
X0 = LEFT
X1 = LEFT + BODY_W
Y_TOP = PAGE_H - TOP  # 版心 top edge
Y_BOTTOM = Y_TOP - BODY_H  # 版心 bottom edge


def row_top(row: int) -> float:
    """PDF y of the top edge of grid row `row` (0-based)."""
    return Y_TOP - row * PITCH


def baseline(row: int, size: float = BODY_SIZE) -> float:
    """PDF y of the text baseline for a line of `size` pt on grid row `row`."""
    return row_top(row) - PITCH / 2 - size * 0.35


@dataclass
class SealAnchor:
    """Where the seal is pressed: page (0-based) and a box in PDF user space (origin bottom-left)."""

    page: int
    x_pt: float
    y_pt: float
    width_pt: float
    height_pt: float


@dataclass
class MissingGlyph:
    """A character the role's font lacks: where it is and which font drew it instead."""

    char: str
    page: int
    row: int
    role: str
    font: str
    fallback: str | None


@dataclass
class RenderResult:
    """A rendered PDF plus what a user should know about it (fonts substituted, glyphs missing)."""

    pdf: bytes
    page_count: int
    seal_anchor: SealAnchor | None
    font_substitutions: list[FontSubstitution] = field(default_factory=list)
    missing_glyphs: list[MissingGlyph] = field(default_factory=list)
    #: 联合发文: one seal per issuing unit, in the order of the 署名 (the last is `seal_anchor`)
    seal_anchors: list[SealAnchor] = field(default_factory=list)


@dataclass
class TextRun:
    """Characters drawn in one face and size; `xs` are the x of each character."""

    text: str
    xs: list[float]
    y: float
    face: FontFace
    size: float
    color: tuple[float, float, float] = BLACK
    h_scale: float = 100.0
    row: int = -1


@dataclass
class Rule:
    """A horizontal rule from x1 to x2 at y, `width` pt thick."""

    x1: float
    x2: float
    y: float
    width: float
    color: tuple[float, float, float] = BLACK


@dataclass
class Segment:
    """One role-styled piece of a block's text: characters [start, end) drawn as `role`."""

    start: int
    end: int
    role: str


@dataclass
class Block:
    """A logical paragraph for the DOCX writer, and the rows (page, row, text) it landed on."""

    kind: str
    text: str
    segments: list[Segment]
    size: float = BODY_SIZE
    color: tuple[float, float, float] = BLACK
    align: str = "both"
    first_indent: float = 0.0
    indent: float = 0.0
    right_indent: float = 0.0
    grid: bool = True
    rows: int = 1
    h_scale: float = 100.0
    tab: tuple[str, float] | None = None  # DOCX tab stop: ("left"|"right", pt from 版心 left)
    rule_above: float | None = None
    rule_below: float | None = None
    offset: float = 0.0  # for rules: how far below the row's top edge the rule is drawn (pt)
    lines: list[tuple[int, int, int, int]] = field(default_factory=list)  # page,row,start,end


@dataclass
class Page:
    """One positioned page: its text runs, rules and page-number text."""

    index: int
    runs: list[TextRun] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    number: str | None = None
    used_rows: int = 0


@dataclass
class Layout:
    """The whole laid-out document: pages, blocks, seal anchor and font reports."""

    pages: list[Page]
    blocks: list[Block]
    fonts: FontSet
    seal_anchor: SealAnchor | None
    missing_glyphs: list[MissingGlyph]
    format: str
    title: str
    author: str
    first_page_number: bool = True
    #: 联合发文: one seal per issuing unit, in the order of the 署名 (the last is `seal_anchor`)
    seal_anchors: list[SealAnchor] = field(default_factory=list)


class Flow:
    """Places lines on the 22 grid rows of successive pages and records blocks for DOCX."""

    def __init__(self, fonts: FontSet) -> None:
        self.fonts = fonts
        self.pages: list[Page] = [Page(index=0)]
        self.row = 0
        self.blocks: list[Block] = []
        self.missing: list[MissingGlyph] = []

    @property
    def page(self) -> Page:
        """The page being filled."""
        return self.pages[-1]

    def new_page(self) -> None:
        """Start a fresh page at row 0."""
        self.page.used_rows = max(self.page.used_rows, self.row)
        self.pages.append(Page(index=len(self.pages)))
        self.row = 0

    def skip(self, rows: int) -> None:
        """Leave `rows` blank rows (never carried onto the next page)."""
        if self.row >= ROWS or rows <= 0:
            return
        used = min(rows, ROWS - self.row)
        block = Block(kind="blank", text="", segments=[], grid=False)
        block.lines = [(self.page.index, self.row + i, 0, 0) for i in range(used)]
        self.blocks.append(block)
        self.row += used

    def rows_left(self) -> int:
        """Rows still free on the current page."""
        return ROWS - self.row

    def advances(self, text: str, roles: list[str], size: float, cell: float) -> list[float]:
        """Advance of every character: a grid cell when full-width, else its real width."""
        out = []
        extra = LETTER if cell == CELL else 0.0
        for ch, role in zip(text, roles, strict=True):
            if is_full_width(ch) and ch not in "“”‘’":
                out.append(cell)
            else:
                face, _fell = self.fonts.face_for(role, ch)
                out.append(text_width(face, ch, size) + extra)
        return out

    def positions(
        self, text: str, roles: list[str], *, size: float, cell: float, x: float = 0.0
    ) -> tuple[list[float], float]:
        """x of every character of a one-line `text` starting at `x`, and the end x."""
        adv = self.advances(text, roles, size, cell)
        unspaced = -LETTER if cell == CELL else 0.0
        gaps = autospace_gaps(text, boundary=unspaced, autospace=AUTOSPACE * size)
        xs = []
        for i, a in enumerate(adv):
            x += gaps[i] if i else 0.0
            xs.append(x)
            x += a
        return xs, x

    def draw(
        self,
        text: str,
        xs: list[float],
        roles: list[str],
        *,
        row: int,
        size: float,
        color: tuple[float, float, float] = BLACK,
        h_scale: float = 100.0,
        y: float | None = None,
        page: Page | None = None,
    ) -> None:
        """Draw characters at `xs` on `row` (or at an explicit baseline `y`), one run per face."""
        page = page or self.page
        y = baseline(row, size) if y is None else y
        run: TextRun | None = None
        for ch, x, role in zip(text, xs, roles, strict=True):
            face, fell = self.fonts.face_for(role, ch)
            if fell:
                wanted = self.fonts.faces[role]
                self.missing.append(
                    MissingGlyph(
                        char=ch, page=page.index, row=row, role=role, font=wanted.family,
                        fallback=face.family if self.fonts.has_glyph(face, ch) else None,
                    )
                )
            if ch == " " or ch == "\u3000":
                run = None
                continue
            if run is None or run.face != face:
                run = TextRun(text="", xs=[], y=y, face=face, size=size, color=color,
                              h_scale=h_scale, row=row)
                page.runs.append(run)
            run.text += ch
            run.xs.append(x)

    def break_block(
        self,
        block: Block,
        *,
        width: float = BODY_W,
        cell: float = CELL,
        balance: bool = False,
        indent_first: float | None = None,
    ) -> list[Line]:
        """The lines `block` breaks into (nothing is drawn)."""
        text = block.text
        roles = _roles(block)
        adv = self.advances(text, roles, block.size, cell)
        unspaced = -LETTER if cell == CELL else 0.0  # a run's last glyph keeps its full width
        gaps = autospace_gaps(text, boundary=unspaced, autospace=AUTOSPACE * block.size)
        avail = width - block.right_indent
        if balance:
            lines = title_lines(
                text, width=avail - block.indent, size=block.size, advances=adv, gaps=gaps
            )
            for line in lines:
                line.xs = [x + block.indent for x in line.xs]
            return lines
        first = block.first_indent if indent_first is None else indent_first
        return break_paragraph(
            text, width=avail, advances=adv, gaps=gaps, first_indent=first, indent=block.indent,
            justify=block.align == "both", tail=unspaced,
        )

    def place(
        self,
        block: Block,
        *,
        width: float = BODY_W,
        cell: float = CELL,
        balance: bool = False,
        indent_first: float | None = None,
    ) -> None:
        """Break `block` into lines and put them on the next rows, page after page."""
        lines = self.break_block(
            block, width=width, cell=cell, balance=balance, indent_first=indent_first
        )
        roles = _roles(block)
        avail = width - block.right_indent
        self.blocks.append(block)
        for line in lines:
            if self.row >= ROWS:
                self.new_page()
            xs = _aligned(line, block, avail)
            self.draw(
                line.text, [X0 + x for x in xs], roles[line.start : line.end],
                row=self.row, size=block.size, color=block.color, h_scale=block.h_scale,
            )
            block.lines.append((self.page.index, self.row, line.start, line.end))
            self.row += 1

    def finish(self) -> None:
        """Close the last page."""
        self.page.used_rows = max(self.page.used_rows, self.row)


def _roles(block: Block) -> list[str]:
    roles = ["fangsong"] * len(block.text)
    for seg in block.segments:
        roles[seg.start : seg.end] = [seg.role] * (seg.end - seg.start)
    return roles


def _aligned(line: Line, block: Block, avail: float) -> list[float]:
    """x offsets (from the 版心 left edge) of a line's characters after alignment."""
    if not line.xs:
        return []
    n = len(line.xs) - (1 if line.hanging else 0)
    left = line.xs[0]
    right = line.xs[n - 1] + line.advances[n - 1] if n else left
    if block.align == "center":
        lo = block.indent if line.start else block.first_indent
        shift = lo + (avail - lo - (right - left)) / 2 - left
    elif block.align == "right":
        shift = avail - right
    else:
        return line.xs
    return [x + shift for x in line.xs]
