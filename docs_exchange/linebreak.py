"""Chinese line breaking on the 公文 character grid, with 禁则 (kinsoku) rules.

Full-width characters take one grid cell; half-width digits and Latin letters
take their real advance in the font, and a run of them ("2022", "IPv6") is kept
on one line. A closing punctuation mark that no longer fits hangs past the right
edge of the 版心 (标点溢出边界, as Word, WPS and LibreOffice do by default); when
that is not enough, one character is pushed to the next line with it, so no line
starts with closing punctuation and none ends with opening punctuation.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

# 行首/行尾禁则 as the zh-CN lists of LibreOffice and Word have them (plus …).
NO_LINE_START = frozenset("!%),.:;?]}¢°’”‰′″℃、。〃〉》」』】〕〗〞﹚﹜！＂％＇），．：；？］｝～…")
NO_LINE_END = frozenset("$(£¥·‘“〈《「『【〔〖〝﹙﹛＄（［｛￡￥")
HANGABLE = frozenset("，。、；：？！,.")
_AMBIGUOUS_FULL = frozenset("“”‘’…—·")
_EPS = 0.01


def is_full_width(char: str) -> bool:
    """True when `char` takes a whole grid cell (汉字, full-width punctuation, “”…—)."""
    return char in _AMBIGUOUS_FULL or unicodedata.east_asian_width(char) in ("W", "F")


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in ".%+-_/#&@'")


@dataclass
class Line:
    """One laid-out line: the characters, each one's x offset (pt) and advance, and flags."""

    text: str
    start: int
    xs: list[float] = field(default_factory=list)
    advances: list[float] = field(default_factory=list)
    hanging: bool = False
    last: bool = False

    @property
    def end(self) -> int:
        """Index just past the line's last character in the paragraph."""
        return self.start + len(self.text)


def _tokens(text: str) -> list[tuple[int, int]]:
    """Unbreakable pieces as (start, end): Latin/digit words, ……/—— pairs, single others."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if _is_word_char(text[i]):
            while j < n and _is_word_char(text[j]):
                j += 1
        elif text[i] in "…—":
            while j < n and text[j] == text[i]:
                j += 1
        out.append((i, j))
        i = j
    return out


def is_ideograph(char: str) -> bool:
    """True for 汉字 (and kana/hangul): the characters that get 中西文间距 next to Latin/digits."""
    return unicodedata.category(char) == "Lo" and is_full_width(char)


_WEAK = frozenset("“”‘’—…· \u3000")


def _scripts(text: str) -> list[str]:
    """Script of each character as a layout engine sees it: A(sian), W(estern); weak ones join."""
    out: list[str] = []
    for ch in text:
        if ch in _WEAK:
            out.append(out[-1] if out else "")
        else:
            out.append("W" if ch.isascii() else "A")
    first = next((s for s in out if s), "A")
    return [s or first for s in out]


def autospace_gaps(text: str, *, boundary: float, autospace: float) -> list[float]:
    """Extra space before each character where the script changes (汉字 ↔ Latin).

    `boundary` is added at every change of script; `autospace` on top where a 汉字 meets a
    Latin letter or digit (中西文间距, as LibreOffice and Word add it by default).
    """
    scripts = _scripts(text)
    gaps = [0.0] * len(text)
    for i in range(1, len(text)):
        if scripts[i] != scripts[i - 1]:
            gaps[i] = boundary
        a, b = text[i - 1], text[i]
        if (is_ideograph(a) and b.isascii() and b.isalnum()) or (
            a.isascii() and a.isalnum() and is_ideograph(b)
        ):
            gaps[i] += autospace
    return gaps


def advances_for(text: str, *, cell: float, measure: Callable[[int], float]) -> list[float]:
    """Advance of each character: one `cell` when full-width, else `measure(index)`."""
    return [cell if is_full_width(c) else measure(i) for i, c in enumerate(text)]


def break_paragraph(
    text: str,
    *,
    width: float,
    advances: list[float],
    gaps: list[float] | None = None,
    first_indent: float = 0.0,
    indent: float = 0.0,
    justify: bool = True,
    tail: float = 0.0,
) -> list[Line]:
    """Break `text` into lines `width` pt wide, given each character's advance (indents in pt).

    `gaps[i]` is extra space before character i, counted only when i does not start a line;
    `tail` is room the last character of a line needs beyond its advance.
    """
    if not text:
        return [Line(text="", start=0, last=True)]
    adv = advances
    gaps = gaps or [0.0] * len(text)
    tokens = _tokens(text)
    lines: list[Line] = []
    pos = 0  # token index of the current line's first token
    while pos < len(tokens):
        left = first_indent if not lines else indent
        avail = width - left - tail
        used = 0.0
        k = pos
        while k < len(tokens):
            s, e = tokens[k]
            w = sum(adv[s:e]) + (gaps[s] if k > pos else 0.0)
            if used + w <= avail + _EPS:
                used += w
                k += 1
                continue
            if k == pos:  # a word longer than the line: split it by characters
                k = _split_long(tokens, k, adv, avail)
            break
        hanging = False
        if k < len(tokens) and k > pos:
            k, hanging = _kinsoku(text, tokens, pos, k)
        s0, e0 = tokens[pos][0], tokens[k - 1][1]
        lines.append(_place(text, adv, gaps, s0, e0, left, hanging, last=k >= len(tokens)))
        pos = k
    if justify:
        for line in lines[:-1]:
            _justify(line, width)
    return lines


def _split_long(tokens: list[tuple[int, int]], k: int, adv: list[float], avail: float) -> int:
    s, e = tokens[k]
    used, cut = 0.0, s
    while cut < e and used + adv[cut] <= avail + _EPS:
        used += adv[cut]
        cut += 1
    cut = max(cut, s + 1)
    tokens[k : k + 1] = [(s, cut), (cut, e)] if cut < e else [(s, e)]
    return k + 1


def _kinsoku(text: str, tokens: list[tuple[int, int]], pos: int, k: int) -> tuple[int, bool]:
    """Adjust the break before token `k`; returns the new break and whether a mark hangs."""
    nxt = text[tokens[k][0]]
    if nxt in HANGABLE and text[tokens[k - 1][1] - 1] not in NO_LINE_END:
        after = tokens[k + 1][0] if k + 1 < len(tokens) else None
        if after is None or text[after] not in NO_LINE_START:
            return k + 1, True
    brk = k
    # never start a line with closing punctuation, never end one with opening punctuation
    while brk > pos + 1 and (
        text[tokens[brk][0]] in NO_LINE_START or text[tokens[brk - 1][1] - 1] in NO_LINE_END
    ):
        brk -= 1
    return brk, False


def _place(
    text: str, adv: list[float], gaps: list[float], s: int, e: int, left: float, hanging: bool,
    *, last: bool,
) -> Line:
    xs, x = [], left
    for i in range(s, e):
        x += gaps[i] if i > s else 0.0
        xs.append(x)
        x += adv[i]
    return Line(text=text[s:e], start=s, xs=xs, advances=adv[s:e], hanging=hanging, last=last)


def _justify(line: Line, width: float) -> None:
    """Spread the slack of a short line over its gaps (两端对齐), keeping a hanging mark outside."""
    if len(line.xs) < 2:
        return
    n = len(line.xs) - (1 if line.hanging else 0)
    if n < 2:
        return
    end = line.xs[n - 1] + line.advances[n - 1]
    slack = width - end
    if slack <= _EPS or slack > width * 0.25:
        return
    step = slack / (n - 1)
    for i in range(1, len(line.xs)):
        line.xs[i] += step * min(i, n - 1)


def balance_lines(
    text: str, *, width: float, advances: list[float], gaps: list[float] | None = None
) -> list[Line]:
    """Break a title into the fewest lines with lengths as even as possible (梯形/菱形 titles)."""
    greedy = break_paragraph(text, width=width, advances=advances, gaps=gaps, justify=False)
    if len(greedy) < 2 or len(greedy) > 6:
        return greedy
    total = sum(sum(line.advances) for line in greedy)
    target = total / len(greedy)
    lo, hi = target, width
    best = greedy
    for _ in range(12):  # narrowest width that still gives the same number of lines
        mid = (lo + hi) / 2
        trial = break_paragraph(text, width=mid, advances=advances, gaps=gaps, justify=False)
        if len(trial) <= len(greedy):
            best, hi = trial, mid
        else:
            lo = mid
    return best


_GOOD_BEFORE = ("关于", "“", "《", "的通知", "的决定", "的意见", "的报告", "的请示", "的批复",
                "的函", "的通报", "的公告", "的通告", "的纪要", "的规划", "的方案", "的办法")
_GOOD_AFTER = ("关于", "印发", "转发", "批转", "”", "》", "，", "、")
_NAME_END = frozenset("市省县区局委府办厅部院镇乡")


def _title_penalty(text: str, cut: int) -> float:
    """How bad a title break before `cut` reads: 0 at phrase joints, 1.5 after a unit name."""
    head, tail = text[:cut], text[cut:]
    if tail.startswith(_GOOD_BEFORE) or head.endswith(_GOOD_AFTER):
        penalty = 0.0
    elif head[-1] in _NAME_END:
        penalty = 1.5
    else:
        penalty = 4.0
    if head.count("“") > head.count("”") or head.count("《") > head.count("》"):
        penalty += 4.0
    return penalty


def title_lines(
    text: str, *, width: float, size: float, advances: list[float], gaps: list[float] | None = None
) -> list[Line]:
    """Break a 标题 as GB/T 9704 asks: lines of even length, words and quotes kept whole."""
    greedy = break_paragraph(text, width=width, advances=advances, gaps=gaps, justify=False)
    if len(greedy) != 2:
        return balance_lines(text, width=width, advances=advances, gaps=gaps)
    gaps = gaps or [0.0] * len(text)
    best: tuple[float, int] | None = None
    for cut in range(1, len(text)):
        if text[cut] in NO_LINE_START or text[cut - 1] in NO_LINE_END:
            continue
        if _is_word_char(text[cut]) and _is_word_char(text[cut - 1]):
            continue
        w1 = sum(advances[:cut]) + sum(gaps[1:cut])
        w2 = sum(advances[cut:]) + sum(gaps[cut + 1 :])
        if w1 > width + _EPS or w2 > width + _EPS:
            continue
        score = abs(w1 - w2) / size + _title_penalty(text, cut)
        if best is None or score < best[0]:
            best = (score, cut)
    if best is None:
        return greedy
    cut = best[1]
    first = _place(text, advances, gaps, 0, cut, 0.0, False, last=False)
    second = _place(text, advances, gaps, cut, len(text), 0.0, False, last=True)
    return [first, second]
