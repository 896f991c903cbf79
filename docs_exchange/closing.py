"""The 落款 of a 公文 (GB/T 9704 §7.3.4–§7.3.5): 附件说明, 署名, 成文日期 and where the seal goes."""

from __future__ import annotations

from docs_exchange.layout import (
    BODY_W,
    CELL,
    MM,
    PITCH,
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


def place_closing(flow: Flow, doc: OfficialDocument, *, fmt: str) -> list[SealAnchor]:
    """附件说明 and the 署名/成文日期 (or 纪要's 出席 lists); the seal boxes in 署名 order."""
    _attachment_note(flow, doc)
    if fmt == "纪要":
        _minutes_people(flow, doc)
        return []
    if doc.co_issuers and doc.seal_mode == "with_seal" and fmt != "命令":
        return _joint_signature(flow, doc)
    anchor = _signature(flow, doc, order=fmt == "命令")
    return [anchor] if anchor is not None else []


def _attachment_note(flow: Flow, doc: OfficialDocument) -> None:
    """附件说明 one row below the body: 附件：1. name … with names aligned on wrap."""
    if not doc.attachments:
        return
    flow.skip(1)
    names = [a.name for a in doc.attachments]
    label = "附件："
    lead = 2 * CELL + len(label) * CELL
    for i, name in enumerate(names):
        prefix = f"{i + 1}." if len(names) > 1 else ""
        text = (label if i == 0 else "") + prefix + name
        prefix_w = flow.grid_width(prefix)
        flow.paragraph("attachment_note", text, first=2 * CELL if i == 0 else lead,
              indent=lead + prefix_w, align="left")


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


def _joint_signature(flow: Flow, doc: OfficialDocument) -> list[SealAnchor]:
    """联合行文 with seals (GB/T 9704 §7.3.5.1): the 署名 of every issuing unit in order, two to
    a row when they fit side by side (else one), each seal centred on its 署名 and the last one
    on the 成文日期 under it too, no seal past the 版心 or touching another. Returns the seal
    boxes in 署名 order."""
    names = [n for n in [doc.issuer_name or "", *doc.co_issuers] if n]
    date_text = format_cn_date(doc.date) if doc.date else ""
    size = SEAL_MM * MM
    date_w = flow.grid_width(date_text)
    right = BODY_W - 4 * CELL - (date_w / 2 if date_text else 4 * CELL)  # over the date
    widths = [flow.grid_width(n) for n in names]
    apart = max(size + 8 * MM, max(widths) + 2 * CELL)  # seals 8 mm apart, names 2 chars
    left = right - apart
    two = left - max(size, max(widths)) / 2 >= 0
    per_row = 2 if two else 1
    rows = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    gap = 4  # rows between two rows of 署名: a seal is about four rows high
    _keep(flow, 2 + len(rows) + (len(rows) - 1) * gap + (1 if date_text else 0))
    flow.skip(2)
    anchors = []
    for r, row in enumerate(rows):
        if r:
            flow.skip(gap)
        name_row = flow.row
        cols = (left, right)[-len(row):] if two else (right,)
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


def _keep(flow: Flow, rows: int) -> None:
    """Keep the next `rows` rows together; carry the last body line along rather than leave
    署名 and 成文日期 alone on a page."""
    if flow.rows_left() >= rows:
        return
    flow.new_page()
    _carry_last_line(flow)


def _carry_last_line(flow: Flow) -> None:
    prev = flow.pages[-2]
    for block in reversed(flow.blocks):
        if block.kind == "blank":
            continue
        if not block.lines or block.lines[-1][0] != prev.index or block.kind == "title":
            return
        _page, row, start, end = block.lines[-1]
        if row == 0:
            return
        moved = [r for r in prev.runs if r.row == row]
        prev.runs = [r for r in prev.runs if r.row != row]
        for run in moved:
            run.row = 0
            run.y = baseline(0, run.size)
            flow.page.runs.append(run)
        prev.used_rows = row
        block.lines[-1] = (flow.page.index, 0, start, end)
        flow.row = 1
        return


def _minutes_people(flow: Flow, doc: OfficialDocument) -> None:
    """纪要: 出席/请假/列席 — 黑体 label, 仿宋 names, wrapped names aligned after the colon."""
    groups = [("出席", doc.attendees), ("请假", doc.absentees), ("列席", doc.observers)]
    groups = [(label, names) for label, names in groups if names]
    if not groups:
        return
    flow.skip(1)
    for label, names in groups:
        text = f"{label}：" + "，".join(names)
        segs = [Segment(0, 3, "hei"), Segment(3, len(text), "fangsong")]
        flow.paragraph("minutes_people", text, first=2 * CELL, indent=5 * CELL, segments=segs,
              align="left")
