"""Import a 公文 from plain text or DOCX (e.g. copied from a government web page) into the model.

Web page furniture is stripped (site names, "来源: 发布时间: 浏览次数 【字体" lines,
索引号/发布机构 metadata tables, tables of contents); the 发文字号, 标题, 主送,
正文, 署名, 成文日期 and the attached document are recognised; half-width
punctuation in Chinese text becomes full-width, as GB/T 9704 documents write it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from docs_exchange.model import (
    KINDS,
    Attachment,
    OfficialDocument,
    heading_level,
    normalize_doc_number,
)
from oa_client.domain.archives import check_archive, check_file_size
from oa_client.errors import ValidationError
from oa_client.i18n import _

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
DOC_NUMBER_RE = re.compile(
    rf"([{_CJK}]{{1,12}})\s*[〔\[［(（【]\s*(\d{{4}})\s*[〕\]］)）】]\s*第?\s*(\d{{1,5}})\s*号"
)
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_FURNITURE = (
    re.compile(r"(来源|发布时间|浏览次数|阅读次数|点击数|【字体|字号[：:]|打印本页|关闭窗口|分享到)"),
    re.compile(r"^(当前位置|您现在的位置|首页\s*[>＞])"),
    re.compile(r"(门户网站|政府网站|人民政府网)$"),
    re.compile(r"^(相关附件|附件下载|扫一扫)[：:]?$"),
)
_TOC_LEADER = re.compile(r"[·.…．]{3,}\s*\d*\s*")
_META_KEYS = ("索引号", "文件编号", "发文字号", "发布机构", "成文日期", "发布日期", "公开方式",
              "公开范围", "主题分类", "有效性")
_TITLE_END = (*KINDS, "规划", "方案", "办法", "规定", "细则")


@dataclass
class ImportResult:
    """The recognised document plus what the importer noticed (heading levels, warnings)."""

    document: OfficialDocument
    headings: list[tuple[int, int]] = field(default_factory=list)  # (paragraph index, level)
    warnings: list[str] = field(default_factory=list)


def import_file(*, path: Path) -> ImportResult:
    """Import a .txt (UTF-8 or GB18030) or .docx file."""
    check_file_size(Path(path).stat().st_size, kind="DOCX" if path.suffix.lower() == ".docx" else "TXT")
    data = Path(path).read_bytes()
    if path.suffix.lower() == ".docx" or data[:2] == b"PK":
        return import_docx(data=data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return import_text(text=data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("无法识别文本文件的编码，请另存为 UTF-8 后再导入"), field="file")


def import_docx(*, data: bytes) -> ImportResult:
    """Import a DOCX 公文: its paragraphs (and table cells) are read as text lines."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_file_size(len(data), kind="DOCX")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(
            _("无法读取 DOCX 文件：文件已损坏或不是 Word 文档"), field="file", reason=str(exc)
        ) from None
    with package:
        check_archive(package, kind="DOCX")  # before python-docx unpacks anything
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            _("无法读取 DOCX 文件：文件已损坏或不是 Word 文档"), field="file", reason=str(exc)
        ) from None
    except Exception as exc:  # lxml syntax errors and friends from a damaged package
        raise ValidationError(
            _("无法读取 DOCX 文件：文件已损坏或不是 Word 文档"), field="file", reason=str(exc)
        ) from None
    lines: list[str] = []
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    lines.extend(p.text.replace("\n", "") for p in document.paragraphs)
    return import_text(text="\n".join(lines))


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


def _parse_date(text: str) -> Date | None:
    m = DATE_RE.search(text) or _ISO_DATE.search(text)
    if not m:
        return None
    try:
        return Date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _metadata(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pull `key: | value |` pairs of a 政府信息公开 metadata table; return them and the rest."""
    meta: dict[str, str] = {}
    rest: list[str] = []
    for line in lines:
        if "|" in line and any(k in line for k in _META_KEYS):
            cells = [c.strip().rstrip(":：").strip() for c in line.split("|")]
            cells = [c for c in cells if c]
            for i, cell in enumerate(cells[:-1]):
                if cell in _META_KEYS:
                    meta[cell] = cells[i + 1]
            continue
        if "|" in line:
            line = line.replace("|", " ").strip()
        if line:
            rest.append(line)
    return meta, rest


def _is_furniture(line: str) -> bool:
    return any(p.search(line) for p in _FURNITURE)


def _is_toc(line: str) -> bool:
    compact = line.replace(" ", "")
    return compact in ("目录", "目次") or bool(_TOC_LEADER.search(line)) or compact.isdigit()


def import_text(*, text: str) -> ImportResult:
    """Import a 公文 from plain text (a web page copy included)."""
    raw = [normalize_punctuation(" ".join(line.split())) for line in text.splitlines()]
    meta, lines = _metadata([line for line in raw if line.strip()])
    lines = [line for line in lines if not _is_furniture(line)]
    warnings: list[str] = []
    if not lines:
        raise ValidationError(_("没有找到公文内容：文件是空的"), field="body")
    title_at = _find_title(lines)
    title = lines[title_at]
    head, lines = lines[:title_at], lines[title_at + 1 :]
    doc_number = meta.get("文件编号") or meta.get("发文字号")
    for line in head:
        m = DOC_NUMBER_RE.search(line.replace(" ", ""))
        if m and not doc_number:
            doc_number = m.group(0)
    mark = next((line for line in head if line.endswith(("文件", "纪要")) and len(line) <= 30), None)
    lines, record = _record(lines)
    if lines and DOC_NUMBER_RE.fullmatch(lines[0].replace(" ", "")):
        doc_number = doc_number or lines[0]
        lines = lines[1:]
    if not doc_number:
        m = DOC_NUMBER_RE.search("\n".join(lines[:3]))
        doc_number = m.group(0) if m else None
    main_to = None
    if lines:
        main_to, first = _split_main_to(lines[0])
        if main_to is not None:
            lines = [first, *lines[1:]] if first else lines[1:]
    body, issuer, date, tail = _split_signature(lines)
    if date is None and meta.get("成文日期"):
        date = _parse_date(meta["成文日期"])
    elif date and meta.get("成文日期") and _parse_date(meta["成文日期"]) not in (None, date):
        warnings.append(
            _("网页信息表中的成文日期与落款日期不一致，已采用落款日期 {date}").format(date=date)
        )
    body, listed = _attachment_notes(body)
    attachments = _attachment(tail, listed)
    body = _split_run_in(body)
    if not body:
        raise ValidationError(_("没有找到公文正文"), field="body")
    kind = next((k for k in KINDS if title.endswith(k)), "通知")
    issuer = issuer or meta.get("发布机构")
    doc = OfficialDocument(
        issuer_mark=mark or (f"{issuer}文件" if issuer else ""),
        doc_number=normalize_doc_number(doc_number) if doc_number else None,
        kind=kind,
        title=title,
        main_to=main_to,
        body=body,
        attachments=attachments,
        issuer_name=issuer,
        date=date,
        **record,
    )
    headings = [(i, lvl) for i, p in enumerate(doc.body) if (lvl := heading_level(p)) is not None]
    for att in doc.attachments:
        headings.extend((-1, lvl) for p in att.body if (lvl := heading_level(p)) is not None)
    return ImportResult(document=doc, headings=headings, warnings=warnings)


_PRINTED = re.compile(r"^(.*?)\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*印发$")


def _record(lines: list[str]) -> tuple[list[str], dict]:
    """版记: 抄送 and 印发机关/印发日期 lines → elements; the other lines stay."""
    record: dict = {}
    rest = []
    for line in lines:
        m = _PRINTED.match(line)
        if line.startswith(("抄送：", "抄送:")):
            record["cc_to"] = line[3:].strip().rstrip("。")
        elif m and len(m.group(1)) <= 30:
            record["printer"] = m.group(1).strip() or None
            record["print_date"] = _parse_date(m.group(2))
        else:
            rest.append(line)
    return rest, record


def _find_title(lines: list[str]) -> int:
    """The 标题: a line with 关于 ending in a 文种, else the first line that ends in one."""
    for i, line in enumerate(lines[:15]):
        if "关于" in line and line.endswith(_TITLE_END) and len(line) <= 120:
            return i
    for i, line in enumerate(lines[:15]):
        if line.endswith(_TITLE_END) and len(line) <= 120:
            return i
    return 0


def _split_main_to(line: str) -> tuple[str | None, str]:
    """主送: the recipients before the first colon of the first line, when it reads like one."""
    m = re.match(r"^([^。：:]{2,120}?)[：:]\s*(.*)$", line)
    if not m:
        return None, line
    head = m.group(1).strip()
    looks = head.startswith("各") or re.search(r"(政府|单位|部门|办事处|委员会|局|厅|办)$", head)
    if not looks or len(head) > 120:
        return None, line
    return head, m.group(2).strip()


def _split_signature(lines: list[str]) -> tuple[list[str], str | None, Date | None, list[str]]:
    """Split at the 落款: (body, 署名, 成文日期, what follows — usually the attached document)."""
    for i, line in enumerate(lines):
        m = DATE_RE.search(line)
        if not m:
            continue
        before = line[: m.start()].strip()
        after = line[m.end() :].strip()
        if before and (len(before) > 30 or re.search(r"[，。；：、]", before)):
            continue
        if not before and after and not after.startswith(("印发", "）")):
            if i == 0 or len(lines[i - 1]) > 30:
                continue
        issuer = before or None
        body = lines[:i]
        if issuer is None and body and len(body[-1]) <= 30 and not re.search(r"[。；：]$", body[-1]):
            issuer = body.pop()
        tail = ([after] if after else []) + lines[i + 1 :]
        try:
            date = Date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            date = None
        return body, issuer, date, tail
    return lines, None, None, []


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


_ATTACHMENT_LABEL = re.compile(r"^附件\s*\d{0,2}$")


def _attachment(tail: list[str], listed: list[str]) -> list[Attachment]:
    """The attached documents after the 落款 (“附件N” label, title, text without its TOC)."""
    tail = [line for line in tail if not _is_furniture(line)]
    labelled = bool(tail) and bool(_ATTACHMENT_LABEL.match(tail[0].replace(" ", "")))
    chunks: list[list[str]] = []
    for line in tail:  # a 印发 notice has its plan right after the 落款, with no label
        if not chunks or (labelled and _ATTACHMENT_LABEL.match(line.replace(" ", ""))):
            chunks.append([])
            if labelled and _ATTACHMENT_LABEL.match(line.replace(" ", "")):
                continue
        chunks[-1].append(line)
    found: list[Attachment] = []
    for chunk in chunks:
        if not chunk:
            continue
        name, rest = chunk[0], chunk[1:]
        if rest and re.fullmatch(r"\d{4}年\d{1,2}月", rest[0]):
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
