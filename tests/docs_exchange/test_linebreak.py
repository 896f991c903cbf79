"""Chinese line breaking: the 28-character grid, 禁则, digits kept together, hanging punctuation."""

from __future__ import annotations

import itertools

import pytest

from docs_exchange.linebreak import (
    NO_LINE_END,
    NO_LINE_START,
    advances_for,
    autospace_gaps,
    break_paragraph,
    title_lines,
)

CELL = 15.75
WIDTH = 442.2  # 156 mm


def _break(text: str, **kw) -> list[str]:
    adv = advances_for(text, cell=CELL, measure=lambda _i: 7.75)
    return [line.text for line in break_paragraph(text, width=WIDTH, advances=adv, **kw)]


def test_pure_chinese_fills_28_characters_a_line() -> None:
    lines = _break("政" * 100)
    assert [len(x) for x in lines] == [28, 28, 28, 16]


def test_first_line_indent_of_two_characters() -> None:
    lines = _break("政" * 60, first_indent=2 * CELL)
    assert len(lines[0]) == 26 and len(lines[1]) == 28


def test_closing_mark_hangs_instead_of_starting_a_line() -> None:
    lines = _break("政" * 28 + "。后续文字")
    assert lines[0] == "政" * 28 + "。"
    assert lines[1] == "后续文字"


def test_two_closing_marks_push_one_character_down() -> None:
    text = "政" * 27 + "府”。后续"
    lines = _break(text)
    assert lines[1][0] not in NO_LINE_START
    assert lines[0] + lines[1] == text
    assert lines[1].startswith("府”。")


def test_opening_mark_never_ends_a_line() -> None:
    text = "政" * 27 + "《规划》的通知"
    lines = _break(text)
    assert lines[0][-1] not in NO_LINE_END
    assert lines[1].startswith("《")


def test_digits_stay_together_and_are_measured_half_width() -> None:
    text = "政" * 25 + "2022年4月6日印发"
    lines = _break(text)
    assert any("2022" in line for line in lines)
    assert "".join(lines) == text
    # 27 characters leave 17 pt: "2022" (4 × 7.75 = 31 pt) moves down whole
    lines = _break("政" * 27 + "2022年")
    assert lines == ["政" * 27, "2022年"]


def test_a_word_longer_than_the_line_is_split_not_lost() -> None:
    text = "A" * 100
    lines = _break(text)
    assert "".join(lines) == text and len(lines) == 2


@pytest.mark.parametrize("seed", range(5))
def test_no_forbidden_line_starts_or_ends_on_mixed_text(seed: int) -> None:
    import random

    rnd = random.Random(seed)
    pieces = ["政务", "服务", "，", "。", "、", "“", "”", "《", "》", "（", "）", "2022", "IPv6",
              "：", "；", "……", "——", "%", "数字政府"]
    text = "".join(rnd.choice(pieces) for _ in range(600))
    lines = _break(text)
    assert "".join(lines) == text
    for prev, line in itertools.pairwise(lines):
        assert line[0] not in NO_LINE_START or prev[-1] in NO_LINE_START, (prev, line)
        assert prev[-1] not in NO_LINE_END, (prev, line)


def test_autospace_between_chinese_and_latin_only() -> None:
    gaps = autospace_gaps("年2022，a", boundary=0.25, autospace=3.25)
    assert gaps[1] == pytest.approx(3.5)  # 年|2
    assert gaps[5] == pytest.approx(0.25)  # 2|， changes script, no 中西文间距
    assert gaps[2] == 0.0


def test_title_is_balanced_and_keeps_quotes_whole() -> None:
    text = "普宁市人民政府关于印发普宁市数字政府改革建设“十四五”规划的通知"
    adv = advances_for(text, cell=22.0, measure=lambda _i: 11.0)
    lines = title_lines(text, width=WIDTH, size=22.0, advances=adv)
    assert len(lines) == 2
    assert "".join(line.text for line in lines) == text
    assert abs(len(lines[0].text) - len(lines[1].text)) <= 5
    assert lines[0].text.count("“") == lines[0].text.count("”")
