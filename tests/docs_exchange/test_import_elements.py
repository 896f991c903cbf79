"""Elements the importer misread: dates in body lines taken as the 落款, 签发人 beside the 文号,
“（盖章）” notes, 元月 and 二0二三 dates, the 版记's 抄送/抄报, web page 名称/文号 keys and
full-width digits in a 发文字号."""

from __future__ import annotations

from datetime import date

import pytest

from docs_exchange.importer import import_text


def test_a_body_line_starting_with_a_date_is_not_the_signature() -> None:
    text = """国家税务总局普宁市税务局关于调整个体工商户定额的公告
一、调整范围
全市个体工商户。
二、施行日期
2024年1月1日起施行。
特此公告。
国家税务总局普宁市税务局
2023年12月15日
"""
    doc = import_text(text=text).document
    assert doc.body == ["一、调整范围", "全市个体工商户。", "二、施行日期", "2024年1月1日起施行。", "特此公告。"]
    assert (doc.issuer_name, doc.date, doc.attachments) == ("国家税务总局普宁市税务局", date(2023, 12, 15), [])


def test_a_date_range_opening_a_paragraph_is_body_text() -> None:
    text = """普宁市人民政府办公室关于2023年第三季度政务服务“好差评”情况的通报
各镇人民政府（街道办事处）：
一、总体情况
2023年7月1日至9月30日，全市共收到评价12.6万条。
二、下一步工作
各单位于2023年11月15日前完成整改。
普宁市人民政府办公室
2023年10月20日
"""
    doc = import_text(text=text).document
    assert doc.body[:2] == ["一、总体情况", "2023年7月1日至9月30日，全市共收到评价12.6万条。"]
    assert (doc.issuer_name, doc.date, doc.attachments) == ("普宁市人民政府办公室", date(2023, 10, 20), [])


def test_a_sentence_citing_a_date_is_not_the_signature() -> None:
    text = """中华人民共和国国务院令
第766号
《未成年人网络保护条例》已经2023年9月20日国务院第15次常务会议通过，现予公布，自2024年1月1日起施行。
总理 李强
2023年10月16日
"""
    doc = import_text(text=text).document
    assert doc.body[-1].startswith("《未成年人网络保护条例》已经2023年9月20日")
    assert (doc.issuer_name, doc.date, doc.attachments) == ("总理 李强", date(2023, 10, 16), [])


_REQUEST = """揭阳市人民政府文件
{number_line}
揭阳市人民政府关于申请省级财政支持的请示
省人民政府：
妥否，请批示。
揭阳市人民政府
2023年6月12日
"""


@pytest.mark.parametrize(("number_line", "signers"), [
    ("揭府〔2023〕45号 签发人：王伟", ["王伟"]),
    ("揭府〔2023〕45号　　　　签发人：王伟 李强", ["王伟", "李强"]),
    ("揭府〔2023〕45号 签发人：王　伟", ["王伟"]),  # a two-character name spaced out
    ("揭府〔2023〕45號 簽發人：王偉", ["王偉"]),
])
def test_signers_beside_the_doc_number(number_line: str, signers: list[str]) -> None:
    doc = import_text(text=_REQUEST.format(number_line=number_line)).document
    assert doc.signers == signers
    assert doc.doc_number in ("揭府〔2023〕45号", "揭府〔2023〕45號")
    assert doc.title == "揭阳市人民政府关于申请省级财政支持的请示" and doc.body == ["妥否，请批示。"]


def test_signers_on_the_doc_number_line_under_the_title() -> None:
    text = "揭阳市人民政府关于申请支持的请示\n揭府〔2023〕45号 签发人：王伟\n省人民政府：\n妥否，请批示。\n揭阳市人民政府\n2023年6月12日"
    doc = import_text(text=text).document
    assert (doc.doc_number, doc.signers, doc.main_to) == ("揭府〔2023〕45号", ["王伟"], "省人民政府")
    assert doc.body == ["妥否，请批示。"]


@pytest.mark.parametrize("signature", [
    "普宁市教育局（盖章）", "普宁市教育局（印章）", "普宁市教育局(盖章)", "普宁市教育局\n（盖章）",
])
def test_a_seal_note_is_not_part_of_the_issuer(signature: str) -> None:
    text = f"普宁市教育局关于申请追加资金的请示\n市财政局：\n恳请追加。\n{signature}\n2023年10月9日\n"
    doc = import_text(text=text).document
    assert (doc.issuer_name, doc.date, doc.body) == ("普宁市教育局", date(2023, 10, 9), ["恳请追加。"])
    assert doc.issuer_mark == "普宁市教育局文件"


@pytest.mark.parametrize(("written", "expected"), [
    ("二〇二四年元月五日", date(2024, 1, 5)),
    ("2024年元月5日", date(2024, 1, 5)),
    ("二0二三年十二月一日", date(2023, 12, 1)),
    ("二０二三年五月五日", date(2023, 5, 5)),
])
def test_dates_with_yuanyue_or_an_arabic_zero(written: str, expected: date) -> None:
    doc = import_text(text=f"关于测试的通知\n各单位：\n正文。\n普宁市人民政府\n{written}").document
    assert (doc.issuer_name, doc.date, doc.body) == ("普宁市人民政府", expected, ["正文。"])


def test_cc_continued_on_a_second_line() -> None:
    text = """关于测试的通知
各单位：
正文。
普宁市人民政府
2023年1月1日
抄送：市委办公室，市人大常委会办公室，
市政协办公室。
普宁市人民政府办公室 2023年1月2日印发
"""
    doc = import_text(text=text).document
    assert doc.cc_to == "市委办公室，市人大常委会办公室，市政协办公室"
    assert doc.attachments == [] and doc.printer == "普宁市人民政府办公室"


def test_chaobao_and_spaced_out_chaosong_are_the_cc() -> None:
    text = """普宁市应急管理局关于2023年度安全生产工作情况的报告
市人民政府：
特此报告。
普宁市应急管理局
2024年1月10日
抄报：揭阳市应急管理局。
抄 送：市委办公室，市人大常委会办公室。
普宁市应急管理局办公室 2024年1月10日印发
"""
    doc = import_text(text=text).document
    assert doc.cc_to == "揭阳市应急管理局，市委办公室，市人大常委会办公室"
    assert doc.attachments == [] and doc.body == ["特此报告。"]
    assert (doc.printer, doc.print_date) == ("普宁市应急管理局办公室", date(2024, 1, 10))


@pytest.mark.parametrize("meta", [
    "名称：| 揭阳市人民政府办公室关于印发揭阳市城市更新实施办法的通知\n文号：| 揭府办〔2023〕30号 | 发布日期：| 2023-08-10",
    "名称： 揭阳市人民政府办公室关于印发揭阳市城市更新实施办法的通知\n文号： 揭府办〔2023〕30号",
])
def test_web_page_name_and_number_keys(meta: str) -> None:
    text = f"""揭阳市人民政府门户网站
{meta}
揭阳市人民政府办公室关于印发揭阳市城市更新实施办法的通知
各县（市、区）人民政府（管委会），市府直属各单位：
《揭阳市城市更新实施办法》已经市人民政府同意，现印发给你们，请认真贯彻执行。
揭阳市人民政府办公室
2023年7月28日
扫一扫在手机打开当前页
"""
    doc = import_text(text=text).document
    assert doc.title == "揭阳市人民政府办公室关于印发揭阳市城市更新实施办法的通知"
    assert doc.doc_number == "揭府办〔2023〕30号"
    assert doc.main_to == "各县（市、区）人民政府（管委会），市府直属各单位"
    assert doc.body == ["《揭阳市城市更新实施办法》已经市人民政府同意，现印发给你们，请认真贯彻执行。"]
    assert doc.attachments == []


def test_a_table_row_with_a_name_column_stays_in_the_body() -> None:
    text = "关于公布名单的通知\n各单位：\n名单如下：\n序号 | 名称 | 数量\n1 | 流沙东街道 | 3\n普宁市人民政府\n2023年1月1日"
    doc = import_text(text=text).document
    assert doc.body == ["名单如下：", "序号   名称   数量", "1   流沙东街道   3"]


@pytest.mark.parametrize("written", ["普府〔２０２３〕32号", "普府〔２０２３〕３２号", "普府［２０２３］第３２号"])
def test_full_width_digits_in_the_doc_number(written: str) -> None:
    text = f"普宁市人民政府关于公布名录的通知\n{written}\n各镇人民政府：\n正文。\n普宁市人民政府\n２０２３年１１月２０日"
    doc = import_text(text=text).document
    assert doc.doc_number == "普府〔2023〕32号"
    assert doc.date == date(2023, 11, 20)


HEADER = "普宁市人民政府办公室文件\n\n普府办〔2026〕15号\n\n"
CLOSING = "\n普宁市人民政府办公室\n2026年12月1日\n"


@pytest.mark.parametrize("lines", [
    ["普宁市人民政府办公室关于进一步加强全市", "安全生产工作的通知"],
    ["普宁市人民政府办公室关于进一步加强", "全市岁末年初安全生产", "工作的通知"],
])
def test_a_title_typed_over_several_lines_is_one_title(lines: list[str]) -> None:
    text = HEADER + "\n".join(lines) + "\n\n各镇人民政府（街道办事处）：\n    现就有关事项通知如下。\n" + CLOSING
    doc = import_text(text=text).document
    assert doc.title == "".join(lines)  # no line of it lost, none of it taken for the header
    assert (doc.doc_number, doc.main_to) == ("普府办〔2026〕15号", "各镇人民政府（街道办事处）")
    assert doc.body == ["现就有关事项通知如下。"]


def test_the_issuers_name_above_a_title_stays_out_of_it() -> None:
    text = "普宁市人民政府办公室\n关于做好元旦春节期间有关工作的通知\n各镇人民政府：\n现通知如下。" + CLOSING
    assert import_text(text=text).document.title == "关于做好元旦春节期间有关工作的通知"


def test_a_main_to_over_two_lines() -> None:
    text = (HEADER + "关于做好2027年元旦春节期间有关工作的通知\n\n"
            "各镇人民政府（街道办事处），市府直属各单位，\n市各人民团体：\n    元旦春节将至，现通知如下。\n" + CLOSING)
    doc = import_text(text=text).document
    assert doc.main_to == "各镇人民政府（街道办事处），市府直属各单位，市各人民团体"
    assert doc.body == ["元旦春节将至，现通知如下。"]


def test_a_first_paragraph_ending_in_a_comma_is_not_taken_for_a_main_to() -> None:
    text = ("关于做好2027年元旦春节期间有关工作的通知\n为切实做好元旦春节期间各项工作，\n"
            "经市政府同意：现通知如下。" + CLOSING)
    doc = import_text(text=text).document
    assert doc.main_to is None and doc.body[0] == "为切实做好元旦春节期间各项工作，"


@pytest.mark.parametrize("mark_lines", [
    ["普宁市人民政府办公室", "普宁市财政局", "文件"],
    ["普宁市人民政府办公室", "普宁市财政局文件"],
])
def test_a_joint_documents_mark_names_every_unit(mark_lines: list[str]) -> None:
    text = ("\n".join(mark_lines) + "\n\n普府办联〔2026〕3号\n\n关于加强财政资金监管的通知\n\n"
            "各镇人民政府（街道办事处）：\n    现就有关事项通知如下。\n\n"
            "普宁市人民政府办公室　　　　普宁市财政局\n2026年12月1日\n")
    doc = import_text(text=text).document
    assert doc.issuer_mark == "普宁市人民政府办公室 普宁市财政局文件"  # not 文件, not the second unit alone
    assert (doc.issuer_name, doc.co_issuers) == ("普宁市人民政府办公室", ["普宁市财政局"])
    assert doc.doc_number == "普府办联〔2026〕3号" and doc.title == "关于加强财政资金监管的通知"


def test_a_joint_signature_without_a_mark_makes_the_mark_of_both() -> None:
    text = ("揭阳市发展和改革局 揭阳市财政局关于下达专项资金的通知\n揭市发改〔2024〕12号\n"
            "各县（市、区）发展改革局、财政局：\n现将专项资金下达给你们。\n"
            "揭阳市发展和改革局                  揭阳市财政局\n2024年2月28日\n")
    doc = import_text(text=text).document
    assert (doc.issuer_name, doc.co_issuers) == ("揭阳市发展和改革局", ["揭阳市财政局"])
    assert doc.issuer_mark == "揭阳市发展和改革局 揭阳市财政局文件"


def test_a_unit_and_its_section_in_the_signature_stay_one_issuer() -> None:
    text = "关于开展安全检查的通知\n各科室：\n请按要求开展检查。\n普宁市人民政府办公室 秘书科\n2026年12月1日\n"
    doc = import_text(text=text).document
    assert (doc.issuer_name, doc.co_issuers) == ("普宁市人民政府办公室 秘书科", [])
