"""Recognisers of single 公文 elements in the importer's text lines: dates (2022年4月6日,
二〇二〇年三月五日, 二〇二四年元月五日), the 发文字号 with its 签发人, the 落款 (署名 and 成文日期)
and the 版记 (抄送 and 抄报, 印发机关 and 印发日期). Traditional characters are read through
hanzi.fold, as in importer.
"""

from __future__ import annotations

import re
from datetime import date as Date

from docs_exchange.hanzi import fold
from docs_exchange.model import heading_level

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
DOC_NUMBER_RE = re.compile(
    rf"([{_CJK}]{{1,12}})\s*[〔\[［(（【]\s*(\d{{4}})\s*[〕\]］)）】]\s*第?\s*(\d{{1,5}})\s*[号號]"
)
# 〇 as written, ○ and O as scans recognise it, 0 as a typist mixes it in (二0二三年)
_CN_VALUE = {**dict.fromkeys("〇○零OＯ0０", 0), **{c: i for i, c in enumerate("一二三四五六七八九", 1)}}
YEAR = rf"\d{{4}}|[{''.join(_CN_VALUE)}]{{4}}"
MONTH_DAY = r"\d{1,2}|[一二三四五六七八九十]{1,3}"
MONTH = rf"{MONTH_DAY}|元"  # 元月 is January
# 2022年4月6日, and 二〇二〇年三月五日 as older and paper-born documents write it
DATE_RE = re.compile(rf"({YEAR})\s*年\s*({MONTH})\s*月\s*({MONTH_DAY})\s*日")
_DATE_ANY = rf"(?:{YEAR})\s*年\s*(?:{MONTH})\s*月\s*(?:{MONTH_DAY})\s*日"
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")

ATTACHMENT_LABEL = re.compile(r"^附件\s*\d{0,2}$")  # “附件2” above an attached document


def _number(text: str) -> int:
    """2022 / 二〇二二 / 二0二二 / 十二 / 二十九 / 元 → int (Chinese numerals as dates write them)."""
    if text.isdigit():
        return int(text)
    if text == "元":
        return 1
    if "十" not in text:
        return int("".join(str(_CN_VALUE[c]) for c in text))
    tens, _sep, ones = text.partition("十")
    return (_CN_VALUE[tens] if tens else 1) * 10 + (_CN_VALUE[ones] if ones else 0)


def _date_of(m: re.Match) -> Date | None:
    try:
        return Date(_number(m.group(1)), _number(m.group(2)), _number(m.group(3)))
    except (ValueError, KeyError):
        return None


def parse_date(text: str) -> Date | None:
    """The first date in `text` (2022年4月6日, 二〇二〇年三月五日 or 2022-04-06), if a real one."""
    m = DATE_RE.search(text) or _ISO_DATE.search(text)
    return _date_of(m) if m else None


ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_SIGNER = re.compile(r"[签簽][发發]人\s*[：:]\s*")


def head_numbers(head: list[str], meta: dict[str, str]) -> tuple[str | None, list[str]]:
    """发文字号 and 签发人 of the 版头 (the lines above the title), the web page's table first."""
    doc_number = meta.get("文件编号") or meta.get("发文字号") or meta.get("文号")
    signers: list[str] = []
    for line in head:
        m = DOC_NUMBER_RE.search(line.replace(" ", ""))
        if m and not doc_number:
            doc_number = m.group(0)
        s = _SIGNER.search(line)
        if s and not signers:
            signers = _names(line[s.end() :])
    return doc_number, signers


def number_line(line: str) -> tuple[str | None, list[str]] | None:
    """A 发文字号 line (普府〔2022〕12号, perhaps with 签发人：王伟 李强 after it): (文号, 签发人)."""
    s = _SIGNER.search(line)
    number = (line[: s.start()] if s else line).replace(" ", "")
    signers = _names(line[s.end() :]) if s else []
    if (number and not DOC_NUMBER_RE.fullmatch(number)) or not (number or signers):
        return None
    return number or None, signers


def _names(text: str) -> list[str]:
    """签发人 names: 王伟 李强 / 王伟、李强; a two-character name spaced out (王 伟) is one name."""
    names: list[str] = []
    for token in re.split(r"[\s、，,；;]+", text.strip().rstrip("。")):
        if len(token) == 1 and names and len(names[-1]) == 1:
            names[-1] += token
        elif token:
            names.append(token)
    return names


_PRINTED = re.compile(rf"^(.*?)\s*({_DATE_ANY})\s*印发$")
_CC = re.compile(r"^抄\s*([送报報])\s*[：:]\s*")  # 抄报 (to a higher office) is kept as 抄送, as GB/T 9704-2012 has it


def split_record(lines: list[str]) -> tuple[list[str], dict]:
    """版记: 抄送 (抄报) and 印发机关/印发日期 lines → elements; the other lines stay."""
    record: dict = {}
    rest: list[str] = []
    cc: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _PRINTED.match(fold(line))
        if c := _CC.match(line):
            names = line[c.end() :].strip()
            while names.endswith(("，", "、", ",")) and i + 1 < len(lines) and _continues_cc(lines[i + 1]):
                i += 1
                names += lines[i].strip()
            cc.append(names.rstrip("。"))
        elif m and len(m.group(1)) <= 30:
            record["printer"] = line[: m.end(1)].strip() or None
            record["print_date"] = parse_date(m.group(2))
        else:
            rest.append(line)
        i += 1
    if cc:
        record["cc_to"] = "，".join(names for names in cc if names)
    return rest, record


def _continues_cc(line: str) -> bool:
    """The next line goes on with the 抄送 list unless it is another 版记 line."""
    return not (_CC.match(line) or ATTACHMENT_LABEL.match(line) or _PRINTED.match(fold(line)))


_SEAL = re.compile(r"\s*[（(]\s*(?:[盖蓋]章|印章|公章|[签簽]章)\s*[）)]\s*$")  # “（盖章）” beside the 署名


def split_signature(lines: list[str]) -> tuple[list[str], str | None, Date | None, list[str]]:
    """Split at the 落款: (body, 署名, 成文日期, what follows — usually the attached document)."""
    for i, line in enumerate(lines):
        found = _date_line(line, lines[i - 1] if i else "")
        if found is None:
            continue
        m, before, after = found
        body = lines[:i]
        issuer = _SEAL.sub("", before) or _issuer_above(body)
        tail = ([after] if after else []) + lines[i + 1 :]
        return body, issuer, _date_of(m), tail
    return lines, None, None, []


def _date_line(line: str, above: str) -> tuple[re.Match, str, str] | None:
    """A 成文日期 line: only a date, perhaps after the 署名 (普宁市人民政府 2022年4月6日). A date
    with more text after it (2024年1月1日起施行。) is body text, unless the text stands apart and
    an issuing unit's name comes first: a web page that ran the 落款 and the attached plan's
    title together (台州市黄岩区人民政府 2021年9月29日 黄岩区…规划)."""
    m = DATE_RE.search(line)
    if not m:
        return None
    before, after = line[: m.start()].strip(), line[m.end() :].strip().rstrip("。")
    if before and (len(before) > 30 or re.search(r"[，。；：、]", before)
                   or before.endswith(("（", "(")) or heading_level(before) is not None):
        return None
    if after and not fold(after).startswith(("印发", "）")):
        apart = line[m.end() : m.end() + 1].isspace()
        if not (apart and UNIT_NAME.fullmatch(fold(before or _SEAL.sub("", above)))):
            return None
    return m, before, after


# the name of an issuing unit: Chinese characters ending as a 机关 or unit's name does
UNIT_NAME = re.compile(
    rf"[{_CJK}（）() ]{{2,30}}(政府|委员会|办公室|办事处|委|办|局|厅|部|院|署|会|处|室|所|站|中心|"
    r"小组|公司|集团|党组|街道|镇|乡|学校|学院|大学|医院|协会)"
)


def _issuer_above(body: list[str]) -> str | None:
    """The 署名 on the line above the 成文日期 (taken out of `body`), past a “（盖章）” line."""
    if body and not _SEAL.sub("", body[-1]):
        body.pop()
    last = body[-1] if body else ""
    if last and len(last) <= 30 and not re.search(r"[。；：]$", last) and heading_level(last) is None:
        return _SEAL.sub("", body.pop()) or None
    return None
