"""A 纪要's 分送 is printed in the 版记 (above 印发机关 / 印发日期), never as a 主送 line under
the title; other 文种 keep their 主送 (GB/T 9704-2012 §7.4, §10.3)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import date

import pdfplumber
import pytest

from docs_exchange.compose import layout_document
from docs_exchange.docx_writer import render_docx
from docs_exchange.elements import layout_of
from docs_exchange.layout import MM, ROWS
from docs_exchange.pdf import render_pdf

BODY = ("2026年11月23日，数字政府建设推进会在第一会议室召开。会议由郑晓燕主持。\n"
        "一、会议听取了市政务服务数据管理局关于一网通办的汇报。\n"
        "会议议定：由市政务服务数据管理局牵头，年底前完成一网通办事项梳理。")


def _minutes(**data):
    doc = {"doc_kind": "纪要", "issuer_name": "普宁市人民政府办公室", "signed_off_on": "2026-11-25",
           "attendees": ["杨帆", "李晓龙"], "absentees": ["洪阳镇人民政府（防汛值班）"]}
    fields = {"direction": "outgoing", "kind": "纪要", "title": "数字政府建设推进会纪要",
              "body": BODY, "main_to": ["普宁市政务服务数据管理局", "洪阳镇人民政府"],
              "doc_number": "普府办〔2026〕1号", "signers": ["林慧敏"],
              "signed_off_on": "2026-11-25", **data}
    return layout_of(doc, fields)


def _layout_text(pdf: bytes) -> str:
    """pdftotext -layout of the whole file (reading order as a person reads the pages)."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                         check=True)
    return out.stdout.decode("utf-8").replace(" ", "")


def test_minutes_distribution_is_in_the_record_not_a_main_to_line() -> None:
    doc = _minutes(printer="普宁市人民政府办公室", print_date="2026-11-26")
    assert doc.main_to is None and doc.distribution == "普宁市政务服务数据管理局、洪阳镇人民政府"
    layout = layout_document(doc)
    kinds = [b.kind for b in layout.blocks]
    assert "main_to" not in kinds
    assert kinds.index("minutes_people") < kinds.index("distribution") < kinds.index("print")
    block = next(b for b in layout.blocks if b.kind == "distribution")
    assert block.text == "分送：普宁市政务服务数据管理局、洪阳镇人民政府。"
    page, row = block.lines[-1][:2]
    assert page == len(layout.pages) - 1 and row == ROWS - 2  # right above the 印发 line
    text = _layout_text(render_pdf(doc).pdf)
    title = text.index("数字政府建设推进会纪要", text.index("1号"))
    after_title = text[title:text.index("出席：")]
    assert "普宁市政务服务数据管理局、洪阳镇人民政府：" not in after_title  # no 主送 line
    assert text.index("出席：") < text.index("分送：普宁市政务服务数据管理局、洪阳镇人民政府。") \
        < text.index("普宁市人民政府办公室2026年11月26日印发")


def test_minutes_record_rules_thick_thin_thick_and_a_cc_line_below_distribution() -> None:
    doc = _minutes(cc_to=["普宁市财政局"], printer="普宁市人民政府办公室", print_date="2026-11-26")
    result = render_pdf(doc)
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        last = pdf.pages[-1]
        rules = sorted((r for r in last.lines if r["stroking_color"] != (1.0, 0.0, 0.0)),
                       key=lambda r: r["top"])  # the 版记's black rules
    widths = [round(r["linewidth"], 2) for r in rules[-4:]]
    thick, thin = round(0.35 * MM, 2), round(0.25 * MM, 2)
    assert widths == [thick, thin, thin, thick]  # 分送 | 抄送 | 印发 between the rules
    assert rules[-1]["top"] == pytest.approx((37 + 225) * MM, abs=1 * MM)
    text = _layout_text(result.pdf)
    assert text.index("分送：") < text.index("抄送：普宁市财政局。") < text.index("印发")


def test_minutes_without_printer_show_the_issuing_unit_and_sign_off_date_in_the_record() -> None:
    doc = _minutes()  # nobody typed 印发机关/印发日期: a 纪要 has no 成文日期 line to fall back on
    assert (doc.printer, doc.print_date) == ("普宁市人民政府办公室", date(2026, 11, 25))
    text = _layout_text(render_pdf(doc).pdf)
    assert text.index("分送：") < text.index("普宁市人民政府办公室2026年11月25日印发")


def test_a_record_of_distribution_alone_sits_between_thick_rules() -> None:
    layout = layout_document(_minutes().model_copy(update={"printer": None, "print_date": None}))
    block = next(b for b in layout.blocks if b.kind == "distribution")
    assert block.rule_above == pytest.approx(0.35 * MM) and block.rule_below == pytest.approx(0.35 * MM)
    assert block.lines[-1][1] == ROWS - 1


def test_other_kinds_keep_their_main_to_line_and_print_no_distribution() -> None:
    doc = layout_of({"doc_kind": "通知", "issuer_name": "普宁市人民政府办公室"}, {
        "direction": "outgoing", "kind": "通知", "title": "关于做好防汛工作的通知", "body": "请做好防汛工作。",
        "main_to": ["洪阳镇人民政府"], "issuer_name": "普宁市人民政府办公室",
        "date": date(2026, 11, 25).isoformat()})
    assert doc.main_to == "洪阳镇人民政府" and doc.distribution is None
    kinds = [b.kind for b in layout_document(doc).blocks]
    assert "main_to" in kinds and "distribution" not in kinds


def test_minutes_date_is_the_sign_off_date_and_the_docx_keeps_the_distribution() -> None:
    doc = _minutes(printer="普宁市人民政府办公室", print_date="2026-11-26")
    assert doc.date == date(2026, 11, 25)  # 成文日期: the day the leader signed it off
    docx = render_docx(doc)
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode("utf-8")
    assert "分送：" in xml and xml.index("出席") < xml.index("分送：") < xml.index("印发")
