"""Compose the 公文 elements onto the grid: 版头, 主体, 版记 and the special formats (GB/T 9704 §7–§10)."""

from __future__ import annotations

from docs_exchange.closing import place_closing
from docs_exchange.fonts import FontSet, resolve_fonts, text_width
from docs_exchange.layout import (
    BODY_SIZE,
    BODY_W,
    CELL,
    MARK_SIZE,
    MM,
    NOTE_SIZE,
    PITCH,
    RED,
    ROWS,
    TITLE_SIZE,
    X0,
    Y_TOP,
    Block,
    Flow,
    Layout,
    Rule,
    Segment,
    one_role,
    row_top,
)
from docs_exchange.model import FORMATS, OfficialDocument, format_cn_date, heading_level
from oa_client.errors import RenderError
from oa_client.i18n import _

HEADING_ROLES = {0: "hei", 1: "hei", 2: "kai"}


def layout_document(
    doc: OfficialDocument, *, format: str | None = None, fonts: FontSet | None = None
) -> Layout:
    """Lay `doc` out per GB/T 9704 in `format` (文件, 信函, 命令, 纪要; default: the document's)."""
    fmt = format or doc.format
    if fmt not in FORMATS:
        raise RenderError(_("不支持的公文格式：{fmt}").format(fmt=fmt), format=fmt)
    fonts = fonts or resolve_fonts()
    flow = Flow(fonts)
    if fmt == "信函":
        _letter_head(flow, doc)
    elif fmt == "命令":
        _order_head(flow, doc)
    else:
        _file_head(flow, doc, minutes=fmt == "纪要")
    if fmt != "命令" and not (fmt == "纪要" and doc.title == doc.issuer_mark):
        _title(flow, doc)  # (a 纪要 with no 标题 of its own does not print its mark twice)
    if doc.main_to:
        _para(flow, "main_to", doc.main_to + ("" if doc.main_to.endswith("：") else "："), first=0)
    for text in doc.body:
        _body_para(flow, text)
    anchors = place_closing(flow, doc, fmt=fmt)
    anchor = anchors[-1] if anchors else None
    if doc.note:
        note = doc.note if doc.note.startswith(("（", "(")) else f"（{doc.note}）"
        _para(flow, "note", note, first=2 * CELL)
    for number, att in enumerate(doc.attachments, 1):
        if att.body:
            _attachment_page(flow, att.name, att.body, number if len(doc.attachments) > 1 else None)
    _record(flow, doc, letter=fmt == "信函")
    flow.finish()
    pages = flow.pages
    for page in pages:
        page.number = f"— {page.index + 1} —"
    if fmt == "信函":
        pages[0].number = None
    return Layout(
        pages=pages, blocks=flow.blocks, fonts=fonts, seal_anchor=anchor, seal_anchors=anchors,
        missing_glyphs=flow.missing, format=fmt, title=doc.title,
        author=doc.issuer_name or doc.issuer_mark or "", first_page_number=fmt != "信函",
    )


_segments = one_role


def _fixed(flow: Flow, kind: str, text: str, *, row: int, role: str, align: str = "left",
           size: float = BODY_SIZE, color: tuple[float, float, float] = (0.0, 0.0, 0.0),
           first: float = 0.0, right: float = 0.0) -> Block:
    """A one-line element of the 版头 on a given row of page 1."""
    flow.row = row
    block = Block(kind=kind, text=text, segments=_segments(text, role), size=size, color=color,
                  align=align, first_indent=first, right_indent=right, grid=False)
    flow.place(block, cell=size if size != BODY_SIZE else CELL)
    return block


def _head_elements(flow: Flow, doc: OfficialDocument, start: int) -> int:
    """份号, 密级(★保密期限), 紧急程度 in 3号黑体 flush left, one per row; returns next row."""
    row = start
    secrecy = None
    if doc.secrecy == "内部":
        secrecy = "内部" + (f"★{doc.secrecy_term}" if doc.secrecy_term else "")
    for kind, text in (("copy_no", doc.copy_no), ("secrecy", secrecy), ("urgency", doc.urgency)):
        if text:
            _fixed(flow, kind, text, row=row, role="hei")
            row += 1
    return row


def _mark(flow: Flow, text: str, *, row: int, rows: int, top_mm: float, size: float = MARK_SIZE,
          page_top: bool = False) -> None:
    """The red 发文机关标志 in 小标宋, centred, squeezed horizontally to fit the 版心."""
    face = flow.fonts.faces["xbs"]
    natural = text_width(face, text, size) or size
    scale = min(100.0, BODY_W / natural * 100)
    scale = float(int(scale))
    width = natural * scale / 100
    top = (Y_TOP + 37 * MM - top_mm * MM) if page_top else (Y_TOP - top_mm * MM)
    y = top - size * 0.86
    xs, x = [], X0 + (BODY_W - width) / 2
    for ch in text:
        xs.append(x)
        x += text_width(face, ch, size) * scale / 100
    flow.draw(text, xs, ["xbs"] * len(text), row=row, size=size, color=RED, h_scale=scale, y=y)
    block = Block(kind="mark", text=text, segments=_segments(text, "xbs"), size=size, color=RED,
                  align="center", grid=False, rows=rows, h_scale=scale)
    block.lines = [(0, row, 0, len(text))]
    flow.blocks.append(block)
    flow.row = row + rows


def _rule(flow: Flow, *, row: int, color: tuple[float, float, float] = RED, double: bool = False,
          offset: float = 4.5) -> None:
    """The red separator under the 发文字号: a rule across the 版心 inside `row`."""
    y = row_top(row) - offset
    block = Block(kind="double_rule" if double else "rule", text="", segments=[], grid=False,
                  color=color, offset=offset)
    block.lines = [(flow.page.index, row, 0, 0)]
    flow.blocks.append(block)
    if double:
        x1, x2 = 20 * MM, 190 * MM
        flow.page.rules.append(_r(x1, x2, y, 1.5, color))
        flow.page.rules.append(_r(x1, x2, y - 2.6, 0.5, color))
    else:
        flow.page.rules.append(_r(X0, X0 + BODY_W, y, 1.0, color))
    flow.row = row + 1


def _r(x1: float, x2: float, y: float, width: float, color: tuple[float, float, float]) -> Rule:
    return Rule(x1=x1, x2=x2, y=y, width=width, color=color)


def _file_head(flow: Flow, doc: OfficialDocument, *, minutes: bool) -> None:
    """文件格式 (and 纪要格式) 版头: elements, red mark 35 mm down, 发文字号, red rule."""
    next_row = _head_elements(flow, doc, 0)
    mark = doc.issuer_mark
    if minutes and mark and not mark.endswith("纪要"):
        mark += "纪要"
    if not mark:
        flow.row = next_row
        return
    _mark(flow, mark, row=3, rows=3, top_mm=35)
    flow.skip(2)
    number_row = 8
    if doc.is_upward and doc.signers and not minutes:
        number_row = _signers(flow, doc, row=8)
    elif doc.doc_number:
        _fixed(flow, "doc_number", doc.doc_number, row=8, role="fangsong", align="center")
    else:
        flow.skip(1)
    _rule(flow, row=number_row + 1)
    flow.skip(1)


def _signers(flow: Flow, doc: OfficialDocument, *, row: int) -> int:
    """上行文: 签发人 lines at right (two names a line), 发文字号 left on the last one."""
    names = doc.signers
    pairs = [names[i : i + 2] for i in range(0, len(names), 2)]
    label = "签发人："
    width = CELL * len(label) + 2 * 4 * CELL + CELL
    start = BODY_W - width
    for i, pair in enumerate(pairs):
        text = (label if i == 0 else "　" * len(label)) + "".join(
            n + "　" * max(1, 5 - len(n)) for n in pair
        )
        text = text.rstrip("　")
        number = doc.doc_number if i == len(pairs) - 1 and doc.doc_number else ""
        lead = number + "\t" if number else ""
        segs = [Segment(0, len(lead) + len(label), "fangsong"),
                Segment(len(lead) + len(label), len(lead) + len(text), "kai")]
        block = Block(kind="signers", text=lead + text, segments=segs, align="left", grid=False,
                      first_indent=CELL if number else start, tab=("left", start) if number else None)
        flow.blocks.append(block)
        r = row + i
        roles = ["fangsong"] * len(label) + ["kai"] * (len(text) - len(label))
        xs, _end = flow.positions(text, roles, size=BODY_SIZE, cell=CELL, x=X0 + start)
        flow.draw(text, xs, roles, row=r, size=BODY_SIZE)
        if number:
            nroles = ["fangsong"] * len(number)
            xs, _end = flow.positions(number, nroles, size=BODY_SIZE, cell=CELL, x=X0 + CELL)
            flow.draw(number, xs, nroles, row=r, size=BODY_SIZE)
        block.lines = [(flow.page.index, r, 0, len(block.text))]
    last = row + len(pairs) - 1
    flow.row = last + 1
    return last


def _letter_head(flow: Flow, doc: OfficialDocument) -> None:
    """信函格式: mark 30 mm from the page top, red double rules, 发文字号 right, elements left."""
    size = 36.0
    mark = doc.issuer_mark.removesuffix("文件")
    if mark:
        _mark(flow, mark, row=0, rows=0, top_mm=30, size=size, page_top=True)
    # the lower red double rule, thin above thick, 20 mm above the bottom edge of page 1
    flow.page.rules.append(_r(20 * MM, 190 * MM, 20 * MM + 1.3, 0.5, RED))
    flow.page.rules.append(_r(20 * MM, 190 * MM, 20 * MM - 1.3, 1.5, RED))
    offset = (30 + size / MM + 4 - 37) * MM
    _rule(flow, row=0, double=True, offset=offset)
    row = 1
    if doc.doc_number:
        _fixed(flow, "doc_number", doc.doc_number, row=1, role="fangsong", align="right")
        row = 2
    row = _head_elements(flow, doc, row)
    flow.row = row
    flow.skip(2)


def _order_head(flow: Flow, doc: OfficialDocument) -> None:
    """命令(令)格式: “XXX令” 20 mm below the 版心 top, 令号 centred two rows under, body two rows on."""
    mark = doc.issuer_mark or doc.issuer_name or ""
    if mark and not mark.endswith("令"):
        mark += "令"
    next_row = _head_elements(flow, doc, 0)
    if mark:  # 20 mm below the 版心 top, or under 份号/密级/紧急程度 when they are there
        row = max(next_row, 2)
        _mark(flow, mark, row=row, rows=3, top_mm=max(20.0, row * PITCH / MM + 1))
    flow.skip(2)
    number = doc.order_number or ""
    if number and not number.startswith("第"):
        number = f"第{number}号"
    if number:
        _fixed(flow, "order_number", number, row=flow.row, role="fangsong", align="center")
    flow.skip(2)


def _title(flow: Flow, doc: OfficialDocument) -> None:
    """标题: 2号小标宋, centred, balanced lines; 主送 follows after one blank row."""
    block = Block(kind="title", text=doc.title, segments=_segments(doc.title, "xbs"),
                  size=TITLE_SIZE, align="center", grid=False)
    flow.place(block, cell=TITLE_SIZE, balance=True)
    flow.skip(1)


def _para(flow: Flow, kind: str, text: str, *, first: float, segments: list[Segment] | None = None,
          align: str = "both") -> Block:
    return flow.paragraph(kind, text, first=first, segments=segments, align=align)


def _body_para(flow: Flow, text: str) -> None:
    """A 正文 paragraph, indented two characters; 一、（一）1.（1） headings styled by level."""
    level = heading_level(text)
    if level == 0:
        _para(flow, "heading0", text, first=0, segments=_segments(text, "hei"), align="center")
        return
    segments = None
    if level in HEADING_ROLES:
        end = _run_in_end(text)
        segments = [Segment(0, end, HEADING_ROLES[level])]
        if end < len(text):
            segments.append(Segment(end, len(text), "fangsong"))
    kind = f"heading{level}" if level is not None else "body"
    _para(flow, kind, text, first=2 * CELL, segments=segments)


def _run_in_end(text: str) -> int:
    """Where the bold heading part of a paragraph ends (first 。 when the body runs in)."""
    stop = text.find("。")
    if stop == -1 or stop == len(text) - 1:
        return len(text) if len(text) <= 60 else _marker_end(text)
    return stop + 1 if stop <= 60 else _marker_end(text)


def _marker_end(text: str) -> int:
    for i, ch in enumerate(text[:8]):
        if ch in "、）)":
            return i + 1
    return 0


def _attachment_page(flow: Flow, name: str, body: list[str], number: int | None) -> None:
    """An 附件 on its own page: “附件N” 黑体 top-left, title centred on row 3, then its text."""
    flow.new_page()
    label = "附件" + (str(number) if number else "")
    block = Block(kind="attachment_label", text=label, segments=_segments(label, "hei"),
                  align="left")
    flow.place(block)
    flow.skip(1)
    title = Block(kind="title", text=name, segments=_segments(name, "xbs"), size=TITLE_SIZE,
                  align="center", grid=False)
    flow.place(title, cell=TITLE_SIZE, balance=True)
    flow.skip(1)
    for text in body:
        _body_para(flow, text)


def _record(flow: Flow, doc: OfficialDocument, *, letter: bool) -> None:
    """版记 at the foot of the last page: 分送 (纪要), 抄送, 印发机关 and 印发日期; a thick rule
    above the first and below the last, thin rules between (GB/T 9704 §7.4)."""
    printer = None if letter else doc.printer
    print_date = format_cn_date(doc.print_date) + "印发" if doc.print_date and not letter else ""
    inset = NOTE_SIZE
    blocks = []
    for kind, label, names in (("distribution", "分送：", doc.distribution),
                               ("cc", "抄送：", doc.cc_to)):
        if names:
            text = label + names.rstrip("。") + "。"
            blocks.append(Block(kind=kind, text=text, segments=_segments(text, "fangsong"),
                                size=NOTE_SIZE, align="both", first_indent=inset,
                                indent=inset + 3 * NOTE_SIZE, right_indent=inset, grid=False))
    has_print = bool(printer or print_date)
    if not (blocks or has_print):
        return
    need = sum(len(flow.break_block(b, cell=NOTE_SIZE)) for b in blocks) + (1 if has_print else 0)
    if flow.row + need > ROWS:
        flow.new_page()
    flow.skip(ROWS - need - flow.row)
    thick, thin = 0.35 * MM, 0.25 * MM
    rules = [] if letter else [(flow.row, thick)]
    for i, block in enumerate(blocks):
        if i and not letter:
            rules.append((flow.row, thin))
        block.rule_above = None if letter else (thin if i else thick)
        flow.place(block, cell=NOTE_SIZE)
    if has_print:
        print_row = flow.row
        text = (printer or "") + "\t" + print_date
        segs = _segments(text, "fangsong")
        block = Block(kind="print", text=text, segments=segs, size=NOTE_SIZE, align="left",
                      first_indent=inset, right_indent=inset, grid=False,
                      tab=("right", BODY_W - inset))
        block.rule_above = thin if blocks else thick
        block.rule_below = thick
        if blocks:
            rules.append((print_row, thin))
        _print_line(flow, block, printer or "", print_date, inset)
        rules.append((ROWS, thick))
    elif not letter:
        blocks[-1].rule_below = thick
        rules.append((ROWS, thick))
    for row, width in rules:
        flow.page.rules.append(_r(X0, X0 + BODY_W, row_top(row), width, (0.0, 0.0, 0.0)))


def _print_line(flow: Flow, block: Block, printer: str, date: str, inset: float) -> None:
    """印发机关 left one character in, 印发日期 right one character in, on one row."""
    flow.blocks.append(block)
    row = flow.row
    roles = ["fangsong"] * len(printer)
    xs, _end = flow.positions(printer, roles, size=NOTE_SIZE, cell=NOTE_SIZE, x=X0 + inset)
    flow.draw(printer, xs, roles, row=row, size=NOTE_SIZE)
    roles = ["fangsong"] * len(date)
    _xs, width = flow.positions(date, roles, size=NOTE_SIZE, cell=NOTE_SIZE)
    xs, _end = flow.positions(date, roles, size=NOTE_SIZE, cell=NOTE_SIZE,
                              x=X0 + BODY_W - inset - width)
    flow.draw(date, xs, roles, row=row, size=NOTE_SIZE)
    block.lines = [(flow.page.index, row, 0, len(block.text))]
    flow.row = row + 1
