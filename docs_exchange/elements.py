"""A 公文 record's elements as the layout model takes them, shared by the server (用印 lays
the signed-off document out) and the client (打印 of the laid-out draft before 用印), and
where the 份号 goes on page 1 of a file laid out without one (打印 stamps it per copy)."""

from __future__ import annotations

from datetime import date
from typing import Any

from docs_exchange.layout import BODY_SIZE, PAGE_H, PITCH, X0, baseline
from docs_exchange.model import OfficialDocument, validate_document
from oa_client.domain.document import parse_document

#: 文种 laid out in a format of their own (GB/T 9704 §10); the rest as 文件
FORMAT_OF = {"函": "信函", "命令": "命令", "令": "命令", "纪要": "纪要"}


def layout_of(doc: dict[str, Any], data: dict[str, Any]) -> OfficialDocument:
    """The document as docs_exchange lays it out (成文日期 defaults to the 签发 date; the
    联合发文 units' names, `co_issuers` in `data`, sign after the issuing unit's)."""
    co_issuers = [n for n in data.get("co_issuers") or [] if n]
    data = {k: v for k, v in data.items() if k != "co_issuers"}
    elements = parse_document(data, stage=None).layout_data()
    elements["co_issuers"] = co_issuers
    fmt = FORMAT_OF.get(str(doc.get("doc_kind") or ""), "文件")
    if not elements.get("issuer_mark") and doc.get("issuer_name") and fmt != "纪要":
        # 发文机关标志 (版头): the name + 文件, or the name alone on a 信函
        elements["issuer_mark"] = doc["issuer_name"] + ("" if fmt == "信函" else "文件")
    if fmt == "纪要":  # 纪要标志 as 版头, 出席/请假/列席 for a closing, no seal impression;
        if not elements.get("issuer_mark") and doc.get("issuer_name"):
            elements["issuer_mark"] = doc["issuer_name"]
        # 分送 goes in the 版记 above 印发机关 and 印发日期, not as a 主送 line under the title
        elements["distribution"] = elements.pop("main_to", None)
        elements.update(seal_mode="without_seal",
                        **{k: [str(n) for n in doc.get(k) or [] if n]
                           for k in ("attendees", "absentees", "observers")})
    if elements.get("date") is None and doc.get("signed_off_on"):
        elements["date"] = date.fromisoformat(str(doc["signed_off_on"])[:10])
    if fmt == "纪要":  # a 纪要 prints no 成文日期 line: its unit and date show in the 版记
        elements["printer"] = elements.get("printer") or elements.get("issuer_mark") or None
        elements["print_date"] = elements.get("print_date") or elements.get("date")
    return validate_document({**elements, "format": fmt})


def copy_no_place(doc: OfficialDocument) -> tuple[float, float, float]:
    """Where a 份号 stamped on page 1 goes: (x from the left edge, baseline from the top edge,
    size), in pt. GB/T 9704 puts it flush left on the 版心's first row (3号黑体); when the
    file already has 密级 or 紧急程度 on that row, the 份号 goes one row above them."""
    taken = doc.copy_no or doc.urgency or doc.secrecy == "内部"
    if doc.format == "信函":  # under the red double rule, level with the 发文字号 if any
        row = 1 if doc.doc_number or not taken else 0
    else:
        row = -1 if taken else 0
    y = baseline(row, BODY_SIZE)
    if row < 0:
        y = baseline(0, BODY_SIZE) + PITCH * 0.8  # in the 天头, just above the first row
    return X0, PAGE_H - y, BODY_SIZE
