"""Reading what users bring to the importer: paths, damaged DOCX tables, the DOCX body in order,
soft line breaks, invisible characters, UTF-16/32 text files and old binary Word files."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl

from docs_exchange.__main__ import main
from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import import_docx, import_file, import_text
from docs_exchange.model import Attachment, OfficialDocument
from oa_client.errors import ValidationError

NOTICE = "关于做好防汛工作的通知\n各镇人民政府：\n请做好防汛工作。\n普宁市人民政府\n2022年4月6日\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _saved(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _with_table(damage: Callable[[CT_Tbl], None]) -> bytes:
    document = docx.Document()
    for line in ("普宁市人民政府关于测试的通知", "各单位："):
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "a"
    damage(table._tbl)
    for line in ("正文。", "普宁市人民政府", "2023年1月1日"):
        document.add_paragraph(line)
    return _saved(document)


def _orphan_vmerge(tbl: CT_Tbl) -> None:  # “continue” a vertical merge in the top row
    tbl.tr_lst[0].tc_lst[1].get_or_add_tcPr().append(OxmlElement("w:vMerge"))


def _span_abc(tbl: CT_Tbl) -> None:
    span = OxmlElement("w:gridSpan")
    span.set(qn("w:val"), "abc")
    tbl.tr_lst[0].tc_lst[0].get_or_add_tcPr().append(span)


@pytest.mark.parametrize("damage", [_orphan_vmerge, _span_abc], ids=["vmerge-top-row", "gridspan-abc"])
def test_a_damaged_docx_table_is_a_clear_error(damage: Callable[[CT_Tbl], None]) -> None:
    with pytest.raises(ValidationError) as info:
        import_docx(data=_with_table(damage))
    assert info.value.message.startswith("无法读取 DOCX 文件中的第 1 个表格：表格结构已损坏")


def test_import_file_takes_a_str_path(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE, encoding="utf-8")
    doc = import_file(path=str(path)).document
    assert (doc.title, doc.main_to, doc.date) == ("关于做好防汛工作的通知", "各镇人民政府", date(2022, 4, 6))


def test_a_missing_file_or_a_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ValidationError) as info:
        import_file(path=tmp_path / "nope.txt")
    assert info.value.message == f"文件不存在：{tmp_path / 'nope.txt'}"
    with pytest.raises(ValidationError) as info:
        import_file(path=tmp_path)
    assert info.value.message.startswith(f"不是文件：{tmp_path}")
    assert main(["import", str(tmp_path / "nope.txt")]) == 1  # the command line prints the message
    assert main(["import", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "文件不存在" in err and "不是文件" in err and "Traceback" not in err


def test_docx_tables_are_read_in_document_order() -> None:
    document = docx.Document()
    for line in ("普宁市人民政府关于公布试点单位名单的通知", "各镇人民政府：", "试点单位名单如下："):
        document.add_paragraph(line)
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("序号", "单位及其实施方案"), ("1", "流沙东街道"), ("2", "流沙西街道")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for line in ("请遵照执行。", "普宁市人民政府", "2023年1月1日"):
        document.add_paragraph(line)
    doc = import_docx(data=_saved(document)).document
    assert doc.title == "普宁市人民政府关于公布试点单位名单的通知" and doc.main_to == "各镇人民政府"
    assert doc.body == ["试点单位名单如下：", "序号   单位及其实施方案", "1   流沙东街道", "2   流沙西街道",
                        "请遵照执行。"]
    assert (doc.issuer_name, doc.date) == ("普宁市人民政府", date(2023, 1, 1))


def test_a_table_never_becomes_the_title() -> None:
    document = docx.Document()
    document.add_paragraph("普宁市人民政府办公室印发防汛工作方案")  # no 关于: a table row ending in 方案 came first
    document.add_paragraph("各镇人民政府：")
    document.add_paragraph("现印发给你们。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "1", "应急预案和实施方案"
    for line in ("普宁市人民政府办公室", "2023年5月10日"):
        document.add_paragraph(line)
    doc = import_docx(data=_saved(document)).document
    assert doc.title == "普宁市人民政府办公室印发防汛工作方案"
    assert doc.body == ["现印发给你们。", "1   应急预案和实施方案"]


def test_soft_line_breaks_in_a_docx_are_line_breaks() -> None:
    document = docx.Document()  # a web page pasted into Word: one paragraph, Shift+Enter lines
    paragraph = document.add_paragraph()
    for line in NOTICE.splitlines():
        paragraph.add_run(line).add_break()
    doc = import_docx(data=_saved(document)).document
    assert (doc.title, doc.main_to, doc.body) == ("关于做好防汛工作的通知", "各镇人民政府", ["请做好防汛工作。"])
    assert (doc.issuer_name, doc.date) == ("普宁市人民政府", date(2022, 4, 6))


def test_a_title_wrapped_by_a_soft_line_break_stays_one_title() -> None:
    document = docx.Document()
    title = document.add_paragraph()
    title.add_run("普宁市人民政府关于加快推进").add_break()
    title.add_run("现代农业产业园建设的意见")
    for line in ("各镇人民政府：", "提出如下意见。", "普宁市人民政府", "2023年6月1日"):
        document.add_paragraph(line)
    doc = import_docx(data=_saved(document)).document
    assert doc.title == "普宁市人民政府关于加快推进现代农业产业园建设的意见"
    assert doc.body == ["提出如下意见。"]


def test_long_titles_and_attachment_names_survive_a_docx_round_trip() -> None:
    doc = OfficialDocument(  # the writer wraps these with soft line breaks in centred paragraphs
        issuer_mark="普宁市人民政府文件", doc_number="普府〔2022〕12号",
        title="普宁市人民政府关于印发普宁市数字政府改革建设“十四五”规划和2023年度重点项目建设计划的通知",
        main_to="各乡、镇人民政府", body=["现印发给你们。"],
        attachments=[Attachment(name="普宁市2023年度重点项目建设计划表及责任单位分工安排一览表", body=["一、目标。"])],
        issuer_name="普宁市人民政府", date=date(2022, 4, 6),
    )
    assert import_docx(data=render_docx(doc)).document == doc


def test_control_and_zero_width_characters_are_stripped() -> None:
    text = ("\ufeff普宁市人民政府关于做好\u200b防汛工作的通知\n各镇人民政府：\u2060\n\u200b\u200c\u200d\n"
            "请做好\x00防汛\x07工作\ud800。\n普宁市人民政府\x1b\n2022年4月6日\n")
    doc = import_text(text=text).document
    assert doc.title == "普宁市人民政府关于做好防汛工作的通知" and doc.main_to == "各镇人民政府"
    assert doc.body == ["请做好防汛工作。"]  # the line of zero-width characters is gone
    assert doc.issuer_name == "普宁市人民政府"
    assert render_docx(doc)[:2] == b"PK"  # lxml refused the control characters before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_files_with_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "unicode.txt"  # what Windows Notepad saves as “Unicode”
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    path.write_bytes(bom + NOTICE.replace("\n", "\r\n").encode(encoding))
    doc = import_file(path=path).document
    assert (doc.title, doc.main_to, doc.body) == ("关于做好防汛工作的通知", "各镇人民政府", ["请做好防汛工作。"])


def test_an_old_binary_word_file_is_refused_with_its_own_message(tmp_path: Path) -> None:
    old = OLE2 + b"\x00" * 504 + "Root Entry".encode("utf-16-le") + b"\x00" * 512
    for name in ("old.doc", "old.txt", "old.docx"):
        (tmp_path / name).write_bytes(old)
        with pytest.raises(ValidationError) as info:
            import_file(path=tmp_path / name)
        assert info.value.message == "不支持旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后再导入"
    with pytest.raises(ValidationError, match=r"旧版 Word（\.doc）"):
        import_docx(data=old)
    encrypted = OLE2 + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(ValidationError, match="设有打开密码"):
        import_docx(data=encrypted)
