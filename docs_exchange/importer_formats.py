"""The formats with a 版头 of their own, in the importer (GB/T 9704 §10), which the general
reader took for a 标题 and a 落款, dropping the body:

- 纪要: the mark “…会议纪要”, its 期号 or 〔2026〕12号, perhaps the issuing office and the date
  on one line, an optional 标题 under it, the body, then 出席/请假/列席 and 分送;
- 命令(令): the mark “…令”, 第N号 under it, the body, then the signer's 职务 and name (签署)
  and the date.
"""

from __future__ import annotations

import re

from docs_exchange.hanzi import fold
from docs_exchange.importer_elements import DATE_RE, DOC_NUMBER_RE, parse_date, split_signature
from docs_exchange.model import OfficialDocument, heading_level

#: a 纪要's number: 〔2026〕12号, 第12期 (第12次), 2026年第3期, or a full 发文字号
_NUMBER = re.compile(r"^(?:\d{4}年)?第[\d一二三四五六七八九十〇零百]+[期次]$|^[〔\[［(（]\d{4}[〕\]］)）]\d{1,5}号$")
#: the attendance lists and the 分送 line, by their labels
_LISTS = {"出席": "attendees", "参加": "attendees", "参会": "attendees", "出席人员": "attendees",
          "参会人员": "attendees", "请假": "absentees", "缺席": "absentees", "列席": "observers",
          "列席人员": "observers"}
_LABEL = re.compile(r"^(出席人员|参会人员|列席人员|出席|参加|参会|请假|缺席|列席|分送)\s*[：:]\s*(.*)$")


def minutes_mark(lines: list[str]) -> int | None:
    """Where a 纪要's mark stands among the first lines (a short “…纪要” line, no 关于, with at
    most 份号/密级/紧急程度 above it), if any; a 纪要 issued under a 文件 head is read as a 文件."""
    for i, line in enumerate(lines[:4]):
        folded = fold(line).replace(" ", "")
        if folded.endswith("纪要") and "关于" not in folded and len(folded) <= 30:
            return i if all(len(fold(above)) <= 8 for above in lines[:i]) else None
    return None


def _names(text: str) -> list[str]:
    return [n for n in re.split(r"[，、,；;\s]+", text.strip().rstrip("。.")) if n]


def read_minutes(lines: list[str], at: int, record: dict) -> OfficialDocument:
    """The 纪要 whose mark is `lines[at]` (the 版记 already taken out into `record`)."""
    mark = lines[at].replace(" ", "")
    rest = lines[at + 1 :]
    number = issuer = date = None
    if rest and (_NUMBER.match(fold(rest[0]).replace(" ", "")) or DOC_NUMBER_RE.fullmatch(fold(rest[0]))):
        number, rest = rest[0].replace(" ", ""), rest[1:]
    if rest and (m := DATE_RE.search(rest[0])) and len(rest[0]) <= 50 and m.end() == len(rest[0].rstrip("。")):
        issuer, date, rest = rest[0][: m.start()].strip() or None, parse_date(rest[0]), rest[1:]
    title = mark
    if rest and len(rest[0]) <= 40 and not re.search(r"[。；：:，,]", rest[0]) \
            and heading_level(rest[0]) is None:
        title, rest = rest[0], rest[1:]
    body, lists, distribution = [], {"attendees": [], "absentees": [], "observers": []}, None
    for line in rest:
        m = _LABEL.match(line)
        if m and m.group(1) == "分送":
            distribution = m.group(2).strip().rstrip("。") or None
        elif m:
            lists[_LISTS[m.group(1)]].extend(_names(m.group(2)))
        else:
            body.append(line)
    return OfficialDocument(format="纪要", kind="纪要", issuer_mark=mark, doc_number=number, title=title,
                            body=body, issuer_name=issuer, date=date, distribution=distribution,
                            **lists, **record)


_ORDER_NUMBER = re.compile(r"^第[\d一二三四五六七八九十〇零百]+号$")


def order_mark(lines: list[str]) -> bool:
    """Whether the first line is a 命令's mark (普宁市人民政府令) with 第N号 under it."""
    if len(lines) < 2:
        return False
    first = fold(lines[0]).replace(" ", "")
    return first.endswith("令") and "关于" not in first and len(first) <= 30 \
        and bool(_ORDER_NUMBER.match(fold(lines[1]).replace(" ", "")))


def read_order(lines: list[str], record: dict) -> OfficialDocument:
    """The 命令 whose mark is `lines[0]` and 令号 `lines[1]` (the 版记 already in `record`)."""
    mark = lines[0].replace(" ", "")
    body, signer, date, tail = split_signature(lines[2:])
    return OfficialDocument(format="命令", kind="命令", issuer_mark=mark, order_number=lines[1].replace(" ", ""),
                            title=mark, body=[*body, *tail], issuer_name=signer, date=date,
                            seal_mode="signature_stamp", **record)
