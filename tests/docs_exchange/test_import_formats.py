"""A 会议纪要 imports as one: its mark and 期号, the office and date under them, the whole body,
出席/请假/列席 as lists and 分送 — the general reader kept only the number as the body. A 命令
keeps its 令号 and its signer (the general reader made “市长 陈志强文件” its mark)."""

from __future__ import annotations

from datetime import date

from docs_exchange.compose import layout_document
from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_docx, import_text
from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import render_pdf

MINUTES = """普宁市人民政府常务会议纪要
第12次
普宁市人民政府办公室                    2023年8月25日
2023年8月24日上午，市长张三主持召开十六届市政府第12次常务会议。会议纪要如下：
一、审议通过《普宁市城市更新专项规划（2023—2035年）》
会议原则同意该规划。
二、研究部署防御台风“苏拉”工作
会议要求各镇（街道）、各部门立即进入防御状态。
出席：张三 李四 王五
列席：市委办、市人大办
请假：钱七（出差）
分送：市委常委，市人大常委会主任、副主任。
"""


def test_a_meetings_minutes_keep_their_body_and_attendance() -> None:
    doc = import_text(text=MINUTES).document
    assert (doc.format, doc.kind, doc.issuer_mark, doc.doc_number) == (
        "纪要", "纪要", "普宁市人民政府常务会议纪要", "第12次")
    assert (doc.issuer_name, doc.date) == ("普宁市人民政府办公室", date(2023, 8, 25))
    assert doc.body[0].startswith("2023年8月24日上午") and doc.body[-1] == "会议要求各镇（街道）、各部门立即进入防御状态。"
    assert len(doc.body) == 5
    assert (doc.attendees, doc.observers, doc.absentees) == (["张三", "李四", "王五"], ["市委办", "市人大办"],
                                                             ["钱七（出差）"])
    assert doc.distribution == "市委常委，市人大常委会主任、副主任"
    assert doc.title == doc.issuer_mark  # no 标题 of its own under the mark
    kinds = [b.kind for b in layout_document(doc).blocks]
    assert "title" not in kinds  # …so the mark is not printed again as one
    assert render_pdf(doc).pdf.startswith(b"%PDF")


def test_minutes_written_here_come_back_as_they_were() -> None:
    written = OfficialDocument(
        format="纪要", kind="纪要", issuer_mark="普宁市人民政府常务会议纪要", doc_number="〔2026〕12号",
        title="市政府第十二次常务会议纪要", body=["会议研究了两项工作。纪要如下：", "一、审议方案", "会议原则同意该方案。"],
        issuer_name="普宁市人民政府办公室", date=date(2026, 12, 3), attendees=["陈志强", "林慧敏"],
        absentees=["吴琼"], observers=["郑晓燕"], distribution="市委办公室，市人大常委会办公室")
    data = render_docx(written)
    back = import_docx(data=data if isinstance(data, bytes) else data.docx).document
    assert (back.format, back.issuer_mark, back.doc_number, back.title) == (
        "纪要", written.issuer_mark, written.doc_number, written.title)
    assert back.body == written.body
    assert (back.attendees, back.absentees, back.observers, back.distribution) == (
        written.attendees, written.absentees, written.observers, written.distribution)


def test_a_notice_issuing_minutes_is_a_notice() -> None:
    text = ("普宁市人民政府办公室关于印发《全市安全生产工作会议纪要》的通知\n各镇人民政府：\n"
            "现将会议纪要印发给你们，请遵照执行。\n普宁市人民政府办公室\n2026年12月1日\n")
    doc = import_text(text=text).document
    assert (doc.format, doc.kind) == ("文件", "通知") and doc.main_to == "各镇人民政府"


def test_minutes_under_a_file_head_keep_the_head() -> None:
    text = ("普宁市人民政府办公室文件\n普府办〔2026〕9号\n全市防汛工作会议纪要\n"
            "会议研究部署了防汛工作。\n普宁市人民政府办公室\n2026年12月1日\n")
    doc = import_text(text=text).document
    assert (doc.issuer_mark, doc.doc_number, doc.title) == ("普宁市人民政府办公室文件", "普府办〔2026〕9号",
                                                          "全市防汛工作会议纪要")
    assert doc.body == ["会议研究部署了防汛工作。"]


ORDER = """普宁市人民政府令

第5号

《普宁市城市绿化管理办法》已经2026年11月20日市人民政府第十次常务会议通过，现予公布，自2027年1月1日起施行。

市长　陈志强
2026年11月25日
"""


def test_an_order_keeps_its_number_body_and_signer() -> None:
    doc = import_text(text=ORDER).document
    assert (doc.format, doc.kind, doc.issuer_mark, doc.order_number) == ("命令", "命令", "普宁市人民政府令", "第5号")
    assert doc.body == ["《普宁市城市绿化管理办法》已经2026年11月20日市人民政府第十次常务会议通过，现予公布，"
                        "自2027年1月1日起施行。"]
    assert (doc.issuer_name, doc.date) == ("市长 陈志强", date(2026, 11, 25))  # 职务 and name, as signed
    assert render_pdf(doc).pdf.startswith(b"%PDF")


LETTER = """普宁市人民政府办公室

普府办函〔2026〕31号

普宁市人民政府办公室关于商请支持普宁市数字政府建设的函

揭阳市政务服务数据管理局：
    为加快推进我市数字政府建设，现商请贵局给予支持。
    特此函商，请予支持。

普宁市人民政府办公室
2026年12月1日
"""


def test_a_letter_is_laid_out_as_a_letter() -> None:
    doc = import_text(text=LETTER).document
    assert (doc.format, doc.kind, doc.issuer_mark) == ("信函", "函", "普宁市人民政府办公室")  # not …文件
    assert (doc.doc_number, doc.main_to) == ("普府办函〔2026〕31号", "揭阳市政务服务数据管理局")
    assert render_pdf(doc).pdf.startswith(b"%PDF")


def test_a_letter_under_a_file_head_keeps_it() -> None:
    doc = import_text(text="普宁市人民政府文件\n" + LETTER.split("\n", 1)[1]).document
    assert (doc.format, doc.issuer_mark) == ("文件", "普宁市人民政府文件")
