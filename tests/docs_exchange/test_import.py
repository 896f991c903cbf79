"""Import of real web-page 公文 (the shared fixtures), of DOCX, and of bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from docs_exchange.docx_writer import render_docx
from docs_exchange.importer import (
    ImportResult,
    import_docx,
    import_file,
    import_text,
    normalize_punctuation,
)
from docs_exchange.model import Attachment, OfficialDocument
from oa_client.errors import ValidationError


@pytest.fixture(scope="module")
def puning(fixtures_dir: Path) -> ImportResult:
    return import_file(path=fixtures_dir / "documents" / "puning-digital-gov-plan.txt")


@pytest.fixture(scope="module")
def huangyan(fixtures_dir: Path) -> ImportResult:
    return import_file(path=fixtures_dir / "documents" / "huangyan-digital-gov-plan.txt")


def _all_text(doc: OfficialDocument) -> str:
    return "\n".join([doc.title, *doc.body, *(p for a in doc.attachments for p in [a.name, *a.body])])


def test_huangyan_doc_number_from_the_metadata_table(huangyan: ImportResult) -> None:
    doc = huangyan.document
    assert doc.doc_number == "黄政发〔2021〕18号"
    assert doc.title == "台州市黄岩区人民政府关于印发黄岩区数字政府建设“十四五”规划的通知"
    assert doc.main_to == "各乡镇人民政府、街道办事处，区政府直属各单位"
    assert doc.body == ["《黄岩区数字政府建设“十四五”规划》已经区政府同意，现印发给你们，请认真贯彻实施。"]
    assert doc.issuer_name == "台州市黄岩区人民政府"
    assert doc.date == date(2021, 9, 29)  # the 落款; the table's 2022-01-10 is reported
    assert huangyan.warnings and "2021-09-29" in huangyan.warnings[0]


def test_puning_title_main_to_and_date(puning: ImportResult) -> None:
    doc = puning.document
    assert doc.title == "普宁市人民政府关于印发普宁市数字政府改革建设“十四五”规划的通知"
    assert doc.main_to == "各乡、镇人民政府，各街道办事处，各农场，市府直属各单位"
    assert doc.date == date(2022, 4, 6)
    assert doc.issuer_name == "普宁市人民政府"
    assert doc.kind == "通知"
    assert doc.body[0].startswith("《普宁市数字政府改革建设“十四五”规划》业经市政府")
    assert [a.name for a in doc.attachments] == ["普宁市数字政府改革建设“十四五”规划"]


def test_heading_levels_are_found(puning: ImportResult, huangyan: ImportResult) -> None:
    assert {level for _i, level in puning.headings} == {0, 1, 2, 3}
    assert {level for _i, level in huangyan.headings} >= {1, 2, 3}
    plan = huangyan.document.attachments[0].body
    # the web page ran “一、发展背景（一）“十三五”成就1.政府服务效能大幅提高 …” together
    assert plan[plan.index("一、发展背景") + 1] == "（一）“十三五”成就"
    assert "1.政府服务效能大幅提高" in plan


def test_page_furniture_and_tables_of_contents_are_gone(puning: ImportResult, huangyan: ImportResult) -> None:
    for result in (puning, huangyan):
        text = _all_text(result.document)
        for junk in ("浏览次数", "发布时间", "【字体", "门户网站", "索引号", "公开方式", "···", "……1", "|"):
            assert junk not in text, junk
        assert "目 录" not in text and "目  录" not in text


def test_punctuation_becomes_full_width_in_chinese_text(puning: ImportResult) -> None:
    text = _all_text(puning.document)
    assert "（一）" in text and "," not in text.replace("1,0", "")
    assert normalize_punctuation("各单位:(一)网上办,截至2021年") == "各单位：（一）网上办，截至2021年"
    assert normalize_punctuation("1,000 元, 10:30") == "1,000 元， 10:30"


@pytest.mark.parametrize(
    "raw", ["普府[2022]12号", "普府［2022］12号", "普府〔2022〕12号", "普府(2022)12号", "普府〔2022〕第12号"]
)
def test_doc_number_variants(raw: str) -> None:
    text = f"普宁市人民政府关于做好防汛工作的通知\n{raw}\n各镇人民政府：\n请做好防汛工作。\n普宁市人民政府\n2022年4月6日\n"
    assert import_text(text=text).document.doc_number == "普府〔2022〕12号"


def test_docx_round_trip() -> None:
    doc = OfficialDocument(
        issuer_mark="普宁市人民政府文件", doc_number="普府〔2022〕12号",
        title="普宁市人民政府关于印发普宁市数字政府改革建设“十四五”规划的通知", main_to="各乡、镇人民政府",
        body=["现将有关事项通知如下。", "一、总体要求。按时完成。"],
        attachments=[Attachment(name="实施方案", body=["一、目标。"]), Attachment(name="名单", body=["张三"])],
        issuer_name="普宁市人民政府", date=date(2022, 4, 6), cc_to="市委办公室，市人大常委会办公室",
        printer="普宁市人民政府办公室", print_date=date(2022, 4, 8),
    )
    assert import_docx(data=render_docx(doc)).document == doc


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really a zip", b"%PDF-1.7 a pdf", b"\x00" * 100])
def test_corrupt_docx_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(ValidationError) as info:
        import_docx(data=data)
    assert "DOCX" in info.value.message


def test_docx_with_a_damaged_part_is_a_clear_error() -> None:
    import io
    import zipfile

    good = render_docx(OfficialDocument(title="测试通知", body=["正文。"]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            dst.writestr(item, body[:200] if item.filename == "word/document.xml" else body)
    with pytest.raises(ValidationError):
        import_docx(data=out.getvalue())


def test_empty_text_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        import_text(text="\n\n  \n")
    empty = tmp_path / "empty.txt"
    empty.write_text("普宁市人民政府门户网站\n来源:本网 发布时间:2022-10-17 浏览次数:- 【字体:\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        import_file(path=empty)


def test_gb18030_text_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("关于做好防汛工作的通知\n各镇人民政府：\n请做好防汛工作。\n".encode("gb18030"))
    doc = import_file(path=path).document
    assert doc.title == "关于做好防汛工作的通知" and doc.main_to == "各镇人民政府"
