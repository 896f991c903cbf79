"""The 落款 of a 公文 (GB/T 9704 §7.3.4–§7.3.5): 附件说明, 署名, 成文日期 and where the seal goes."""

from __future__ import annotations

from docs_exchange.layout import (
    BODY_W,
    CELL,
    MM,
    PITCH,
    ROWS,
    SEAL_MM,
    X0,
    Block,
    Flow,
    SealAnchor,
    Segment,
    baseline,
    one_role,
    row_top,
)
from docs_exchange.model import OfficialDocument, format_cn_date

NO_BODY_TEXT = "（此页无正文）"


def place_closing(flow: Flow, doc: OfficialDocument, *, fmt: str) -> list[SealAnchor]:
    """附件说明 and the 署名/成文日期 (or 纪要's 出席 lists); the seal boxes in 署名 order.

    GB/T 9704 §7.3.5: the 落款 never stands on a page without body text. When it does
    not fit under the body, the last body line goes over with it; when the 落款 alone
    is longer than a page, every page of it without body text says 此页无正文.
    """
    rows = closing_rows(flow, doc, fmt=fmt)
    body = _last_text_block(flow)
    _keep_with_body(flow, rows)
    first = len(flow.blocks)
    flow.on_new_page = lambda: _no_body_text(flow)
    try:
        anchors = _place(flow, doc, fmt=fmt)
    finally:
        flow.on_new_page = None
    group = [b for b in flow.blocks[first:] if b.lines]
    if body is not None and group and len({line[0] for b in group for line in b.lines}) == 1:
        for block in (body, *group[:-1]):  # Word/WPS keep them together where lines differ
            block.keep_next = True
    return anchors


def _place(flow: Flow, doc: OfficialDocument, *, fmt: str) -> list[SealAnchor]:
    _attachment_note(flow, doc)
    if fmt == "纪要":
        _minutes_people(flow, doc)
        return []
    if doc.co_issuers and doc.seal_mode == "with_seal" and fmt != "命令":
        return _joint_signature(flow, doc)
    anchor = _signature(flow, doc, order=fmt == "命令")
    return [anchor] if anchor is not None else []


def closing_rows(flow: Flow, doc: OfficialDocument, *, fmt: str) -> int:
    """Grid rows the 落款 takes, from the blank row under the body to the 成文日期."""
    rows = 0
    notes = _attachment_blocks(flow, doc)
    if notes:
        rows += 1 + sum(len(flow.break_block(b)) for b in notes)
    if fmt == "纪要":
        people = _people_blocks(doc)
        return rows + (1 + sum(len(flow.break_block(b)) for b in people) if people else 0)
    date, name = bool(doc.date), bool(doc.issuer_name)
    if doc.co_issuers and doc.seal_mode == "with_seal" and fmt != "命令":
        names, _cols = _joint_grid(flow, doc)
        return rows + 2 + len(names) + (len(names) - 1) * JOINT_GAP + date
    mode = "signature_stamp" if fmt == "命令" else doc.seal_mode
    if mode == "signature_stamp":
        return rows + (5 if date or name or doc.signer_title else 0)
    if not (date or name):
        return rows
    return rows + (2 if mode == "with_seal" else 1) + name + date


def _last_text_block(flow: Flow) -> Block | None:
    return next((b for b in reversed(flow.blocks) if b.kind != "blank" and b.lines), None)


def _keep_with_body(flow: Flow, rows: int) -> None:
    """Start the 落款 on a new page with the last body line when it does not fit under the body."""
    if rows == 0 or flow.rows_left() >= rows or rows + 1 > ROWS:
        return
    flow.new_page()
    if not _carry_last_line(flow):
        _no_body_text(flow)


def _no_body_text(flow: Flow) -> None:
    """（此页无正文） on the first row of a page that holds only the 落款."""
    flow.paragraph("no_body_text", NO_BODY_TEXT, first=2 * CELL, align="left")


def _attachment_blocks(flow: Flow, doc: OfficialDocument) -> list[Block]:
    """The 附件说明 paragraphs: 附件：1. name … with names aligned on wrap (not yet placed)."""
    names = [a.name for a in doc.attachments]
    label = "附件："
    lead = 2 * CELL + len(label) * CELL
    blocks = []
    for i, name in enumerate(names):
        prefix = f"{i + 1}." if len(names) > 1 else ""
        text = (label if i == 0 else "") + prefix + name
        blocks.append(Block(kind="attachment_note", text=text, segments=one_role(text, "fangsong"),
                            align="left", first_indent=2 * CELL if i == 0 else lead,
                            indent=lead + flow.grid_width(prefix)))
    return blocks


def _attachment_note(flow: Flow, doc: OfficialDocument) -> None:
    """附件说明 one row below the body."""
    blocks = _attachment_blocks(flow, doc)
    if blocks:
        flow.skip(1)
    for block in blocks:
        _place_whole(flow, block)


def _signature(flow: Flow, doc: OfficialDocument, *, order: bool) -> SealAnchor | None:
    """署名, 成文日期 and where the seal (or 签名章) goes, per the with/without-seal rules."""
    date_text = format_cn_date(doc.date) if doc.date else ""
    name = doc.issuer_name or ""
    mode = "signature_stamp" if order else doc.seal_mode
    if not (date_text or name or (mode == "signature_stamp" and doc.signer_title)):
        return None
    date_w = flow.grid_width(date_text)
    name_w = flow.grid_width(name)
    if mode == "with_seal":
        rows = 2 + (1 if name else 0) + (1 if date_text else 0)
        _keep(flow, rows)
        flow.skip(2)
        date_right = 4 * CELL
        centre = BODY_W - date_right - date_w / 2 if date_text else BODY_W - 4 * CELL - name_w / 2
        name_row = date_row = None
        if name:
            name_row = flow.row
            left = max(0.0, min(BODY_W - name_w, centre - name_w / 2))
            _line(flow, "signature", name, left)
        if date_text:
            date_row = flow.row
            _line(flow, "date", date_text, BODY_W - date_right - date_w)
        rows_used = [r for r in (name_row, date_row) if r is not None]
        mid = (row_top(rows_used[0]) + row_top(rows_used[-1]) - PITCH) / 2 + 3 * MM
        size = SEAL_MM * MM
        return SealAnchor(page=flow.page.index, x_pt=X0 + centre - size / 2, y_pt=mid - size / 2,
                          width_pt=size, height_pt=size)
    if mode == "without_seal":
        _keep(flow, 1 + (1 if name else 0) + (1 if date_text else 0))
        flow.skip(1)
        name_left = BODY_W - 2 * CELL - name_w
        date_left = name_left + 2 * CELL
        if date_left + date_w > BODY_W - 2 * CELL:
            date_left = BODY_W - 2 * CELL - date_w
            name_left = date_left - 2 * CELL
        if name:
            _line(flow, "signature", name, max(0.0, name_left))
        if date_text:
            _line(flow, "date", date_text, max(0.0, date_left))
        return None
    # signature_stamp: 职务 two characters left of the 签名章, date one row below, right 4 chars
    _keep(flow, 5)
    flow.skip(2)
    stamp_w = 4 * CELL
    stamp_left = BODY_W - 4 * CELL - stamp_w
    stamp_row = flow.row
    title = doc.signer_title or name
    if title:
        _line(flow, "signer_title", title, max(0.0, stamp_left - 2 * CELL - flow.grid_width(title)))
    else:
        flow.skip(1)
    flow.skip(1)
    if date_text:
        _line(flow, "date", date_text, BODY_W - 4 * CELL - date_w)
    y_mid = row_top(stamp_row) - PITCH / 2
    return SealAnchor(page=flow.page.index, x_pt=X0 + stamp_left, y_pt=y_mid - PITCH,
                      width_pt=stamp_w, height_pt=2 * PITCH)


JOINT_GAP = 4  # rows between two rows of 署名: a seal is about four rows high


def _joint_grid(flow: Flow, doc: OfficialDocument) -> tuple[list[list[str]], tuple[float | None, float]]:
    """联合行文: the 署名 in rows (two side by side when they fit) and the seals' centre columns."""
    names = [n for n in [doc.issuer_name or "", *doc.co_issuers] if n]
    date_w = flow.grid_width(format_cn_date(doc.date)) if doc.date else 0.0
    right = BODY_W - 4 * CELL - (date_w / 2 if doc.date else 4 * CELL)  # over the date
    widths = [flow.grid_width(n) for n in names]
    apart = max(SEAL_MM * MM + 8 * MM, max(widths) + 2 * CELL)  # seals 8 mm apart, names 2 chars
    left = right - apart
    two = left - max(SEAL_MM * MM, max(widths)) / 2 >= 0
    per_row = 2 if two else 1
    rows = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    return rows, ((left if two else None), right)


def _joint_signature(flow: Flow, doc: OfficialDocument) -> list[SealAnchor]:
    """联合行文 with seals (GB/T 9704 §7.3.5.1): the 署名 of every issuing unit in order, two to
    a row when they fit side by side (else one), each seal centred on its 署名 and the last one
    on the 成文日期 under it too, no seal past the 版心 or touching another. Returns the seal
    boxes in 署名 order."""
    date_text = format_cn_date(doc.date) if doc.date else ""
    size = SEAL_MM * MM
    date_w = flow.grid_width(date_text)
    rows, (left, right) = _joint_grid(flow, doc)
    gap = JOINT_GAP
    _keep(flow, 2 + len(rows) + (len(rows) - 1) * gap + (1 if date_text else 0))
    flow.skip(2)
    anchors = []
    for r, row in enumerate(rows):
        if r:
            flow.skip(gap)
        name_row = flow.row
        cols = (left, right)[-len(row):] if left is not None else (right,)
        for name, centre in zip(row, cols, strict=True):
            width = flow.grid_width(name)
            flow.row = name_row
            _line(flow, "signature", name, max(0.0, min(BODY_W - width, centre - width / 2)))
        last = r == len(rows) - 1
        date_row = None
        if last and date_text:
            date_row = flow.row
            _line(flow, "date", date_text, BODY_W - 4 * CELL - date_w)
        for i, centre in enumerate(cols):
            bottom = date_row if date_row is not None and i == len(cols) - 1 else name_row
            mid = (row_top(name_row) + row_top(bottom) - PITCH) / 2 + 3 * MM
            anchors.append(SealAnchor(page=flow.page.index, x_pt=X0 + centre - size / 2,
                                      y_pt=mid - size / 2, width_pt=size, height_pt=size))
    return anchors


def _line(flow: Flow, kind: str, text: str, left: float) -> None:
    block = Block(kind=kind, text=text, segments=one_role(text, "fangsong"), align="left",
                  first_indent=left)
    flow.place(block)


def _place_whole(flow: Flow, block: Block) -> None:
    """Place `block` on one page (a fresh one if it does not fit: 此页无正文 comes before it)."""
    if flow.rows_left() < len(flow.break_block(block)):
        flow.new_page()
    flow.place(block)


def _keep(flow: Flow, rows: int) -> None:
    """Keep the next `rows` rows (署名 and 成文日期 under one seal) together on one page."""
    if flow.rows_left() < rows:
        flow.new_page()


def _carry_last_line(flow: Flow) -> bool:
    """Move the last body line of the previous page to row 0 of this one; False if there is none."""
    prev = flow.pages[-2]
    block = _last_text_block(flow)
    if block is None or block.kind == "title" or block.lines[-1][0] != prev.index:
        return False
    _page, row, start, end = block.lines[-1]
    if row == 0:
        return False
    moved = [r for r in prev.runs if r.row == row]
    prev.runs = [r for r in prev.runs if r.row != row]
    for run in moved:
        run.row = 0
        run.y = baseline(0, run.size)
        flow.page.runs.append(run)
    for glyph in flow.missing:
        if (glyph.page, glyph.row) == (prev.index, row):
            glyph.page, glyph.row = flow.page.index, 0
    prev.used_rows = row
    block.lines[-1] = (flow.page.index, 0, start, end)
    flow.row = 1
    return True


def _people_blocks(doc: OfficialDocument) -> list[Block]:
    """纪要: 出席/请假/列席 — 黑体 label, 仿宋 names, wrapped names aligned after the colon."""
    groups = [("出席", doc.attendees), ("请假", doc.absentees), ("列席", doc.observers)]
    blocks = []
    for label, names in groups:
        if names:
            text = f"{label}：" + "，".join(names)
            segs = [Segment(0, 3, "hei"), Segment(3, len(text), "fangsong")]
            blocks.append(Block(kind="minutes_people", text=text, segments=segs, align="left",
                                first_indent=2 * CELL, indent=5 * CELL))
    return blocks


def _minutes_people(flow: Flow, doc: OfficialDocument) -> None:
    """纪要's 出席/请假/列席 lists one row below the body (or 附件说明)."""
    blocks = _people_blocks(doc)
    if blocks:
        flow.skip(1)
    for block in blocks:
        _place_whole(flow, block)
