"""联合行文 with seals (GB/T 9704 §7.3.5.1): every issuing unit's 署名 in order, one seal box
centred on each, the last one on the 成文日期 as well; no seal past the 版心 or touching
another; the first row of seals within a row of the body."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pdfplumber
import pytest

from docs_exchange.layout import BODY_W, MM, SEAL_MM, X0
from docs_exchange.model import validate_document
from docs_exchange.pdf import render_pdf

LEAD = "普宁市政务服务数据管理局"


def _joint(*co: str):
    doc = validate_document({
        "title": "关于联合开展政务数据共享专项检查的通知", "kind": "通知",
        "issuer_mark": f"{LEAD}文件", "doc_number": "普政数〔2026〕5号", "main_to": "各镇人民政府：",
        "body": ["为提升政务数据共享质量，决定联合开展专项检查。", "请各单位认真组织自查。"],
        "issuer_name": LEAD, "co_issuers": list(co), "date": dt.date(2026, 5, 6)})
    return render_pdf(doc)


def _words(pdf: bytes, page: int, text: str) -> list[tuple[float, float, float, float]]:
    """(x0, x1, top, bottom) in PDF points from the bottom of every line holding `text`."""
    with pdfplumber.open(io.BytesIO(pdf)) as plumber:
        p = plumber.pages[page]
        lines = p.extract_text_lines()
        return [(ln["x0"], ln["x1"], p.height - ln["top"], p.height - ln["bottom"])
                for ln in lines if text in ln["text"].replace(" ", "")]


def _overlap(a, b) -> bool:
    return not (a.x_pt + a.width_pt <= b.x_pt or b.x_pt + b.width_pt <= a.x_pt
                or a.y_pt + a.height_pt <= b.y_pt or b.y_pt + b.height_pt <= a.y_pt)


@pytest.mark.parametrize("co", [("普宁市财政局",), ("普宁市财政局", "普宁市教育局"),
                                ("洪阳镇人民政府", "普宁市教育局", "普宁市人力资源和社会保障局")])
def test_one_seal_per_unit_on_its_name_none_touching(co) -> None:
    rendered = _joint(*co)
    anchors = rendered.seal_anchors
    assert len(anchors) == 1 + len(co) and rendered.seal_anchor == anchors[-1]
    size = SEAL_MM * MM
    for a in anchors:
        assert (a.width_pt, a.height_pt) == pytest.approx((size, size))
        assert X0 - 0.5 <= a.x_pt and a.x_pt + a.width_pt <= X0 + BODY_W + 0.5  # in the 版心
    for a, b in itertools.combinations(anchors, 2):
        assert not _overlap(a, b)
    for name, anchor in zip([LEAD, *co], anchors, strict=True):
        (x0, x1, top, bottom) = _words(rendered.pdf, anchor.page, name)[-1]
        centre_x, centre_y = anchor.x_pt + size / 2, anchor.y_pt + size / 2
        assert x0 - 1 <= centre_x <= x1 + 1  # the seal sits on its unit's 署名
        assert anchor.y_pt < bottom and top < anchor.y_pt + size
        assert abs(centre_y - (top + bottom) / 2) < size / 2
    (dx0, dx1, _dtop, dbottom) = _words(rendered.pdf, anchors[-1].page, "2026年5月6日")[-1]
    last = anchors[-1]
    assert last.x_pt < dx1 and dx0 < last.x_pt + size and last.y_pt < dbottom  # on the date too


def test_names_share_a_row_when_they_fit_else_one_to_a_row() -> None:
    left, right = _joint("普宁市财政局").seal_anchors
    assert left.x_pt + left.width_pt <= right.x_pt  # side by side
    assert 0 < left.y_pt - right.y_pt < 12 * MM  # the last lower: it covers the date too
    first, second = _joint("普宁市人力资源和社会保障局").seal_anchors  # two long names
    assert first.x_pt == pytest.approx(second.x_pt)  # one above the other
    assert first.y_pt - second.y_pt > SEAL_MM * MM
