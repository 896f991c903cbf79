"""A paper-born 公文 in traditional characters is recognised like a simplified one and kept as written."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from lxml import etree

from docs_exchange.docx_writer import render_docx
from docs_exchange.hanzi import fold
from docs_exchange.importer import ImportResult, import_docx, import_file, import_text
from docs_exchange.model import heading_level, normalize_doc_number
from docs_exchange.pdf import render_pdf
from tests.support.pdf_pages import body_lines

# modelled on the 黄岩 fixture: a 区政府办公室 notice as a scanned, recognised paper copy
NOTICE = """\
台州市黃岩區人民政府辦公室文件
黃政辦發〔2020〕7號
台州市黃岩區人民政府辦公室關於做好疫情防控期間政務服務工作的通知
各鄉鎮人民政府、街道辦事處，區政府直屬各單位：
為切實做好疫情防控期間政務服務工作，保障企業和群眾辦事需求，經區政府同意，現將有關事項通知如下：
一、推行「網上辦、掌上辦」
（一）各單位要全面梳理政務服務事項，凡能通過網上辦理的，一律引導企業和群眾網上辦理。
（二）對確需到現場辦理的事項，實行預約辦理、錯峰辦理，嚴格落實測溫、消毒等防控措施。
二、加強組織保障
各單位要高度重視，明確專人負責，確保各項措施落實到位。請於二〇二〇年三月十五日前將落實情況報區政府辦公室。
附件：1.黃岩區政務服務事項網上辦理清單
2.黃岩區政務服務預約辦理聯繫表
台州市黃岩區人民政府辦公室
二〇二〇年三月五日
（此件公開發布）
抄送：區委辦，區人大辦，區政協辦。
台州市黃岩區人民政府辦公室 二〇二〇年三月五日印發
"""
BODY = [
    "為切實做好疫情防控期間政務服務工作，保障企業和群眾辦事需求，經區政府同意，現將有關事項通知如下：",
    "一、推行「網上辦、掌上辦」",
    "（一）各單位要全面梳理政務服務事項，凡能通過網上辦理的，一律引導企業和群眾網上辦理。",
    "（二）對確需到現場辦理的事項，實行預約辦理、錯峰辦理，嚴格落實測溫、消毒等防控措施。",
    "二、加強組織保障",
    "各單位要高度重視，明確專人負責，確保各項措施落實到位。請於二〇二〇年三月十五日前將落實情況報區政府辦公室。",
]


def _assert_recognised(result: ImportResult) -> None:
    doc = result.document
    assert doc.issuer_mark == "台州市黃岩區人民政府辦公室文件"
    assert doc.doc_number == "黃政辦發〔2020〕7號"
    assert doc.title == "台州市黃岩區人民政府辦公室關於做好疫情防控期間政務服務工作的通知"
    assert doc.kind == "通知"
    assert doc.main_to == "各鄉鎮人民政府、街道辦事處，區政府直屬各單位"
    assert doc.body == BODY
    assert [a.name for a in doc.attachments] == ["黃岩區政務服務事項網上辦理清單", "黃岩區政務服務預約辦理聯繫表"]
    assert doc.issuer_name == "台州市黃岩區人民政府辦公室"
    assert doc.date == date(2020, 3, 5)
    assert doc.note == "此件公開發布"
    assert doc.cc_to == "區委辦，區人大辦，區政協辦"
    assert (doc.printer, doc.print_date) == ("台州市黃岩區人民政府辦公室", date(2020, 3, 5))
    assert sorted({lvl for _i, lvl in result.headings}) == [1, 2]


def test_traditional_text_file_is_recognised_and_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "黃政辦發〔2020〕7號.txt"
    path.write_text(NOTICE, encoding="utf-8")
    _assert_recognised(import_file(path=path))


def test_traditional_text_in_gb18030_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(NOTICE.encode("gb18030"))  # GBK holds the traditional characters too
    _assert_recognised(import_file(path=path))


def test_traditional_docx_is_recognised(tmp_path: Path) -> None:
    document = docx.Document()
    for line in NOTICE.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    _assert_recognised(import_docx(data=out.getvalue()))


def test_no_character_is_converted() -> None:
    doc = import_text(text=NOTICE).document
    text = "".join([doc.issuer_mark, doc.doc_number, doc.title, doc.main_to, *doc.body,
                    doc.issuer_name, doc.cc_to, doc.printer, doc.note])
    assert set(text) <= set(NOTICE)  # nothing the paper did not say
    assert not set("黄区办发号关于为单") & set(text)


def test_a_web_copy_in_traditional_characters() -> None:
    page = """\
索引號: | 11331003002677103P/2020-00031 | 文件編號: | 黃政辦發[2020]7號 |
發布機構: | 黃岩區府辦 | 成文日期: | 2020-03-05 |
首頁 > 政府信息公開
台州市黃岩區人民政府關於同意設立黃岩區政務服務中心分中心的批覆
發布時間：2020-03-06 瀏覽次數：120
區政務服務辦：
你辦《關於設立黃岩區政務服務中心分中心的請示》收悉。經研究，同意設立。
第一節 工作要求
特此批覆。
台州市黃岩區人民政府
2020年3月5日
"""
    result = import_text(text=page)
    doc = result.document
    assert doc.doc_number == "黃政辦發〔2020〕7號"  # from the metadata table, brackets made 〔〕
    assert doc.kind == "批复" and doc.title.endswith("的批覆")
    assert doc.main_to == "區政務服務辦"
    assert doc.body == ["你辦《關於設立黃岩區政務服務中心分中心的請示》收悉。經研究，同意設立。",
                        "第一節 工作要求", "特此批覆。"]
    assert (doc.issuer_name, doc.date) == ("台州市黃岩區人民政府", date(2020, 3, 5))
    assert (1, 0) in result.headings  # 第一節 is a chapter-level heading like 第一节


@pytest.mark.parametrize(("text", "expected"), [
    ("二〇二〇年三月五日", date(2020, 3, 5)),
    ("二〇一九年十二月三十一日", date(2019, 12, 31)),
    ("二○二一年十月二十日", date(2021, 10, 20)),  # ○ (U+25CB), as recognised scans often have it
    ("2021年9月29日", date(2021, 9, 29)),
])
def test_dates_in_chinese_numerals(text: str, expected: date) -> None:
    doc = import_text(text=f"關於測試的通知\n測試正文。\n黃岩區人民政府\n{text}").document
    assert doc.date == expected


def test_an_impossible_date_is_not_taken() -> None:
    doc = import_text(text="關於測試的通知\n測試正文。\n黃岩區人民政府\n二〇二〇年二月三十日").document
    assert doc.date is None


def test_fold_maps_one_character_to_one() -> None:
    text = "黃政辦發〔2020〕7號關於印發規劃的通知，批覆，紀要，各單位、部門、辦事處、委員會"
    folded = fold(text)
    assert len(folded) == len(text)
    assert "办发" in folded and "关于" in folded and "批复" in folded and "纪要" in folded
    assert normalize_doc_number("黃政辦發 [2020] 07號") == "黃政辦發〔2020〕7號"
    assert heading_level("第三節 保障措施") == 0


def test_a_traditional_document_renders_with_its_own_characters() -> None:
    doc = import_text(text=NOTICE).document
    lines = [line for page in body_lines(render_pdf(doc).pdf) for line in page]
    assert "黃政辦發〔2020〕7號" in lines and "台州市黃岩區人民政府辦公室" in lines
    with zipfile.ZipFile(io.BytesIO(render_docx(doc))) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    fonts = {r.findtext(f"{w}t"): r.find(f"{w}rPr/{w}rFonts").get(f"{w}eastAsia")
             for r in root.iter(f"{w}r") if r.findtext(f"{w}t")}
    assert fonts["黃"] == "仿宋"  # outside GB2312: the GBK 仿宋 of the office PC
