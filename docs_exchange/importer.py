"""Import a 公文 from plain text or DOCX (e.g. copied from a government web page) into the model.

Web page furniture is stripped (site names, "来源: 发布时间: 浏览次数 【字体" lines,
索引号/发布机构/名称/文号 metadata tables, tables of contents); the 发文字号 and 签发人,
标题, 主送, 正文, 署名, 成文日期, 版记 (抄送, 印发) and the attached document are recognised
(see importer_elements); half-width punctuation in Chinese text becomes full-width, as
GB/T 9704 documents write it. A DOCX is read in document order, tables and soft line breaks
included (see importer_read).
A paper-born 公文 in traditional characters (黃政辦發〔2020〕7號, 關於…的通知,
二〇二〇年三月五日) is recognised the same way and kept as written (see hanzi.fold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from docs_exchange.hanzi import fold
from docs_exchange.importer_elements import (
    ASCII_DIGITS,
    ATTACHMENT_LABEL,
    DATE_RE,
    DOC_NUMBER_RE,
    MONTH,
    UNIT_NAME,
    YEAR,
    head_numbers,
    number_line,
    parse_date,
    split_record,
    split_signature,
)
from docs_exchange.importer_formats import minutes_mark, order_mark, read_minutes, read_order
from docs_exchange.importer_read import (
    decode_text,
    docx_lines,
    read_file,
    refuse_binary_word,
    strip_invisible,
)
from docs_exchange.model import (
    KINDS,
    Attachment,
    OfficialDocument,
    heading_level,
    normalize_doc_number,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _

_FURNITURE = (
    re.compile(r"(来源|发布时间|浏览次数|阅读次数|点击数|【字体|字号[：:]|打印本页|关闭窗口|分享到)"),
    re.compile(r"^(当前位置|您现在的位置|首页\s*[>＞])"),
    re.compile(r"(门户网站|政府网站|人民政府网)$"),
    re.compile(r"^(相关附件|附件下载|扫一扫)[：:]?$"),
    re.compile(r"^扫一扫在手机(上)?(打开|浏览|阅读)"),
)
_TOC_LEADER = re.compile(r"[·.…．]{3,}\s*\d*\s*")
_META_KEYS = ("索引号", "文件编号", "发文字号", "发布机构", "成文日期", "发布日期", "公开方式",
              "公开范围", "主题分类", "有效性")
_TITLE_END = (*KINDS, "规划", "方案", "办法", "规定", "细则")
_NOTE = re.compile(r"[（(][^（）()]{2,60}[）)]")


@dataclass
class ImportResult:
    """The recognised document plus what the importer noticed (heading levels, warnings)."""

    document: OfficialDocument
    headings: list[tuple[int, int]] = field(default_factory=list)  # (paragraph index, level)
    warnings: list[str] = field(default_factory=list)


def import_file(*, path: Path | str) -> ImportResult:
    """Import a .txt (UTF-8, GB18030, or UTF-16/32 with a byte order mark) or .docx file."""
    path = Path(path)
    data = read_file(path)
    refuse_binary_word(data)
    if path.suffix.lower() == ".docx" or data[:2] == b"PK":
        return import_docx(data=data)
    return import_text(text=decode_text(data))


def import_docx(*, data: bytes) -> ImportResult:
    """Import a DOCX 公文: its paragraphs and table rows, in document order, are read as text lines."""
    return import_text(text="\n".join(docx_lines(data, keep_together=_wrapped_title)))


def _wrapped_title(pieces: list[str], centred: bool) -> bool:
    """True when the soft line breaks of one paragraph wrap one title (as this app's DOCX writes a
    long title or 附件 name: centred), not separate lines (as a web page pasted into Word has them)."""
    pieces = [p.strip() for p in pieces if p.strip()]
    joined = "".join(pieces)
    if len(pieces) < 2 or len(joined) > 120 or not (centred or fold(joined).endswith(_TITLE_END)):
        return False
    return not any(_ends_an_element(p) for p in pieces[:-1])


def _ends_an_element(line: str) -> bool:
    """A line that is an element of its own (主送：, 文号, 发文机关标志, 日期, 附件N, a sentence),
    never part of a wrapped title (which may well hold a date or a 文号)."""
    folded = fold("".join(line.split()))
    return bool(
        re.search(r"[。：:；;！!？?]$", folded) or DOC_NUMBER_RE.fullmatch(folded)
        or DATE_RE.fullmatch(folded) or folded.endswith(("文件", "纪要"))
        or ATTACHMENT_LABEL.match(folded)
    )


def normalize_punctuation(text: str) -> str:
    """Half-width , : ; ? ! ( ) next to Chinese become full-width; 1,000 and 10:30 stay."""
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    text = re.sub(r"\(([^()]*)\)", _paren, text)
    out = []
    for i, ch in enumerate(text):
        if ch in ",:;?!":
            prev = text[i - 1] if i else ""
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if _is_cjk(prev) or _is_cjk(nxt) or (prev in "”）》" and prev) or not nxt.strip():
                if not (prev.isdigit() and nxt.isdigit()):
                    ch = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}[ch]
        out.append(ch)
    return "".join(out)


def _paren(m: re.Match) -> str:
    inner = m.group(1)
    s, e = m.start(), m.end()
    around = m.string[s - 1 : s] + m.string[e : e + 1]
    if any(_is_cjk(c) for c in inner + around) or re.fullmatch(r"\d{1,2}", inner):
        return f"（{inner}）"
    return m.group(0)


def _is_cjk(ch: str) -> bool:
    return bool(ch) and ("\u3400" <= ch <= "\u9fff" or ch in "“”《》、，。")


_KEY_CELL = re.compile(r"^(名称|标题|文号)\s*[：:]")  # keys too common to be taken without a colon


def _metadata(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pull `key: | value |` pairs of a 政府信息公开 metadata table (and `名称：…` lines at the
    top of the page); return them and the rest."""
    meta: dict[str, str] = {}
    rest: list[str] = []
    for n, line in enumerate(lines):
        pairs = _metadata_row(line) if "|" in line else None
        if pairs is not None:
            meta.update(pairs)
            continue
        if n < 15 and (m := _KEY_CELL.match(fold(line[:8]))) and line[m.end() :].strip():
            meta[m.group(1)] = line[m.end() :].strip()
            continue
        if "|" in line:
            line = line.replace("|", " ").strip()
        if line:
            rest.append(line)
    return meta, rest


def _metadata_row(line: str) -> dict[str, str] | None:
    """The `key | value` pairs of one row of the metadata table, or None for another table's row."""
    cells = [c.strip() for c in line.split("|") if c.strip().rstrip(":：").strip()]
    if not any(k in fold(line) for k in _META_KEYS) and not any(_KEY_CELL.match(fold(c)) for c in cells):
        return None
    pairs = {}
    for cell, value in pairwise(cells):
        key = fold(cell.rstrip(":：").strip())
        if key in _META_KEYS or _KEY_CELL.match(fold(cell)):
            pairs[key] = value.rstrip(":：").strip()
    return pairs


def _is_furniture(line: str) -> bool:
    folded = fold(line)
    return any(p.search(folded) for p in _FURNITURE)


def _is_toc(line: str) -> bool:
    compact = line.replace(" ", "")
    return compact in ("目录", "目次") or bool(_TOC_LEADER.search(line)) or compact.isdigit()


def import_text(*, text: str) -> ImportResult:
    """Import a 公文 from plain text (a web page copy included)."""
    raw = [normalize_punctuation(" ".join(line.split())) for line in strip_invisible(text).splitlines()]
    meta, lines = _metadata([line for line in raw if line.strip()])
    lines = [line for line in lines if not _is_furniture(line)]
    warnings: list[str] = []
    if not lines:
        raise ValidationError(_("没有找到公文内容：文件是空的"), field="body")
    if minutes_mark(lines) is not None or order_mark(lines):  # 纪要, 命令: 版头 of their own
        rest, record = split_record(lines)
        at = minutes_mark(rest)
        doc = read_minutes(rest, at, record) if at is not None else read_order(rest, record)
        if not doc.body:
            raise ValidationError(_("没有找到公文正文"), field="body")
        return ImportResult(document=doc, headings=[(i, lvl) for i, p in enumerate(doc.body)
                                                    if (lvl := heading_level(p)) is not None])
    title_end = _find_title(lines, meta.get("名称") or meta.get("标题"))
    title_at = _title_start(lines, title_end)
    title = "".join(lines[title_at : title_end + 1])
    head, lines = lines[:title_at], lines[title_end + 1 :]
    doc_number, signers = head_numbers(head, meta)
    mark = _issuer_mark(head)
    lines, record = split_record(lines)
    first_line = number_line(lines[0]) if lines else None
    if first_line:  # the 发文字号 under the title, as web pages put it
        doc_number, signers = doc_number or first_line[0], signers or first_line[1]
        lines = lines[1:]
    if not doc_number:
        m = DOC_NUMBER_RE.search("\n".join(lines[:3]))
        doc_number = m.group(0) if m else None
    main_to = None
    if lines:
        main_to, first = _split_main_to(lines[0])
        if main_to is not None:
            lines = [first, *lines[1:]] if first else lines[1:]
        elif len(lines) > 1 and re.search(r"[，、,]$", lines[0]) and not re.search("[：:]", lines[0]):
            main_to, first = _split_main_to(lines[0] + lines[1])  # 主送 over two lines
            if main_to is not None and main_to.startswith(lines[0]):
                lines = [first, *lines[2:]] if first else lines[2:]
            else:
                main_to = None
    body, issuer, date, tail = split_signature(lines)
    if date is None and meta.get("成文日期"):
        date = parse_date(meta["成文日期"])
    elif date and meta.get("成文日期") and parse_date(meta["成文日期"]) not in (None, date):
        warnings.append(
            _("网页信息表中的成文日期与落款日期不一致，已采用落款日期 {date}").format(date=date)
        )
    body, listed = _attachment_notes(body)
    note = None
    if tail and _NOTE.fullmatch(tail[0]):  # 附注 under the 成文日期: （此件公开发布）
        note, tail = tail[0][1:-1].strip(), tail[1:]
    attachments = _attachment(tail, listed)
    body = _split_run_in(body)
    if not body:
        raise ValidationError(_("没有找到公文正文"), field="body")
    kind = next((k for k in KINDS if fold(title).endswith(k)), "通知")
    issuer = issuer or meta.get("发布机构")
    co_issuers: list[str] = []
    if issuer and len(names := issuer.split()) > 1 and all(UNIT_NAME.fullmatch(fold(n)) for n in names):
        issuer, co_issuers = names[0], names[1:]  # 联合行文: the lead unit signs first
    letter = kind == "函" and mark is None  # 信函格式: the unit's name alone heads it
    if letter:
        mark = next((line for line in head if UNIT_NAME.fullmatch(fold(line))), None) or issuer
    doc = OfficialDocument(
        format="信函" if letter else "文件",
        issuer_mark=mark or (" ".join([issuer, *co_issuers]) + "文件" if issuer else ""),
        doc_number=normalize_doc_number(doc_number.translate(ASCII_DIGITS)) if doc_number else None,
        signers=signers,
        kind=kind,
        title=title,
        main_to=main_to,
        body=body,
        attachments=attachments,
        issuer_name=issuer,
        co_issuers=co_issuers,
        date=date,
        note=note,
        **record,
    )
    headings = [(i, lvl) for i, p in enumerate(doc.body) if (lvl := heading_level(p)) is not None]
    for att in doc.attachments:
        headings.extend((-1, lvl) for p in att.body if (lvl := heading_level(p)) is not None)
    return ImportResult(document=doc, headings=headings, warnings=warnings)


def _find_title(lines: list[str], hint: str | None = None) -> int:
    """The 标题: the line the web page's table names, else a line with 关于 ending in a 文种,
    else the first line that ends in one."""
    folded = [fold(line) for line in lines[:15]]
    if hint:
        wanted = fold(hint).replace(" ", "")
        for i, line in enumerate(folded):
            if line.replace(" ", "") == wanted:
                return i
    for i, line in enumerate(folded):
        if "关于" in line and line.endswith(_TITLE_END) and len(line) <= 120:
            return i
    for i, line in enumerate(folded):
        if line.endswith(_TITLE_END) and len(line) <= 120:
            return i
    return 0


def _issuer_mark(head: list[str]) -> str | None:
    """The 发文机关标志: the line ending in 文件/纪要, with the units named on the lines just above
    it when several units issue it together (联合行文: 甲单位 / 乙单位文件, or the names, then 文件)."""
    for i, line in enumerate(head):
        folded = fold(line)
        if not folded.endswith(("文件", "纪要")) or len(line) > 30:
            continue
        names = []
        for above in reversed(head[:i]):
            if not UNIT_NAME.fullmatch(fold(above)):
                break
            names.insert(0, above)
        if not names:
            return line
        if folded in ("文件", "纪要"):  # the names stacked, 文件 beside them
            return " ".join(names) + line
        return " ".join([*names, line])
    return None


def _title_start(lines: list[str], end: int) -> int:
    """Where a 标题 typed over several lines starts: its last line holds no 关于, and up to two
    lines above it (no 文号, no colon, not a sentence or a 发文机关标志) reach the line with 关于."""
    if "关于" in lines[end]:
        return end
    for start in range(end - 1, max(end - 3, -1), -1):
        piece = fold(lines[start])
        if _ends_an_element(piece) or re.search("[：:]", piece) or DOC_NUMBER_RE.search(piece) \
                or len("".join(lines[start : end + 1])) > 120:
            return end
        if "关于" in piece:
            return start
    return end


def _split_main_to(line: str) -> tuple[str | None, str]:
    """主送: the recipients before the first colon of the first line, when it reads like one."""
    m = re.match(r"^([^。：:]{2,120}?)[：:]\s*(.*)$", line)
    if not m:
        return None, line
    head = m.group(1).strip()
    looks = head.startswith("各") or re.search(r"(政府|单位|部门|办事处|委员会|局|厅|办)$", fold(head))
    if not looks or len(head) > 120:
        return None, line
    return head, m.group(2).strip()


def _attachment_notes(body: list[str]) -> tuple[list[str], list[str]]:
    """附件说明 at the end of the body (附件：1. … then 2. …) → names, and the body without them."""
    for j in range(len(body) - 1, max(-1, len(body) - 12), -1):
        if re.match(r"^附件\s*[：:]", body[j]):
            rest = body[j + 1 :]
            if all(re.match(r"^\d{1,2}\s*[.．、]", line) for line in rest):
                items = [re.sub(r"^附件\s*[：:]\s*", "", body[j]), *rest]
                names = [re.sub(r"^\d{1,2}\s*[.．、]\s*", "", n).strip() for n in items]
                return body[:j], [n for n in names if n]
            break
    return body, []


def _attachment(tail: list[str], listed: list[str]) -> list[Attachment]:
    """The attached documents after the 落款 (“附件N” label, title, text without its TOC)."""
    tail = [line for line in tail if not _is_furniture(line)]
    labelled = bool(tail) and bool(ATTACHMENT_LABEL.match(tail[0].replace(" ", "")))
    chunks: list[list[str]] = []
    for line in tail:  # a 印发 notice has its plan right after the 落款, with no label
        if not chunks or (labelled and ATTACHMENT_LABEL.match(line.replace(" ", ""))):
            chunks.append([])
            if labelled and ATTACHMENT_LABEL.match(line.replace(" ", "")):
                continue
        chunks[-1].append(line)
    found: list[Attachment] = []
    for chunk in chunks:
        if not chunk:
            continue
        name, rest = chunk[0], chunk[1:]
        if rest and re.fullmatch(rf"(?:{YEAR})年(?:{MONTH})月", rest[0]):
            rest = rest[1:]  # the cover date of an attached plan
        rest = _split_run_in([line for line in rest if not _is_toc(line)])
        found.append(Attachment(name=name, body=rest))
    names = {a.name for a in found}
    return found + [Attachment(name=n) for n in listed if n not in names]


_SENTENCE_GAP = re.compile(r"(?<=[。！？；])\s+(?=\S)")
_WORD_GAP = re.compile(r"(?<=[\u4e00-\u9fff”）])\s+(?=[\u4e00-\u9fff“（《])")
_NESTED = re.compile(
    r"(?<=[\u4e00-\u9fff”）])(?=（[一二三四五六七八九十]+）|\d{1,2}[.．](?=[\u4e00-\u9fff“]))"
)


def _split_run_in(paragraphs: list[str]) -> list[str]:
    """Undo what a web page did to paragraphs: split at “。 ” gaps, and headings run together
    with their sub-headings or text (“四、标题（一）小标题1.条目 正文…”)."""
    out: list[str] = []
    for p in paragraphs:
        for piece in _SENTENCE_GAP.split(p):
            out.extend(_split_heading(piece))
    return out


def _split_heading(piece: str) -> list[str]:
    level = heading_level(piece)
    if level is None or level == 0:
        return [piece]
    m = _WORD_GAP.search(piece)
    head, rest = (piece[: m.start()], piece[m.end() :]) if m else (piece, "")
    if "。" in head or len(head) > 60:
        head, rest = piece, ""
    parts = [x for x in _NESTED.split(head) if x]
    if len(parts) > 1 and any(heading_level(x) is None for x in parts):
        parts = [head]
    return parts + ([rest] if rest else [])
