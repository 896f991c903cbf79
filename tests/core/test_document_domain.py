"""The 公文 elements: each bad input names the element that is wrong."""

from __future__ import annotations

from datetime import date

import pytest

from docs_exchange.model import OfficialDocument
from oa_client.domain.document import (
    DocKind,
    DocNumber,
    Document,
    check_document,
    format_doc_number,
    normalize_doc_number,
    parse_doc_number,
    parse_document,
    problems,
)
from oa_client.errors import ValidationError

REQUEST = {
    "kind": "请示", "title": "普宁市某镇关于申请修缮防汛堤坝资金的请示", "main_to": ["普宁市人民政府"],
    "body": "一、基本情况\n今年汛期……\n妥否，请批示。", "issuer_name": "普宁市某镇人民政府",
    "signers": ["李明"], "signed_off_on": date(2026, 3, 2), "date": date(2026, 3, 2),
    "doc_number": "某府〔2026〕3号", "urgency": "加急", "copy_no": "7",
}


def field_of(data: dict) -> str | None:
    with pytest.raises(ValidationError) as e:
        parse_document(data)
    assert e.value.message
    return e.value.field


def test_a_complete_request_passes_every_stage_and_feeds_the_layout_model() -> None:
    doc = parse_document(REQUEST)
    for stage in ("draft", "sign_off", "issue"):
        check_document(doc, stage=stage)
    assert doc.is_upward and doc.copy_no == "000007" and doc.kind is DocKind.REQUEST
    layout = OfficialDocument.model_validate(doc.layout_data())
    assert layout.doc_number == "某府〔2026〕3号" and layout.main_to == "普宁市人民政府"
    assert layout.body == ["一、基本情况", "今年汛期……", "妥否，请批示。"]


def test_fifteen_kinds_and_order_alias() -> None:
    assert len(DocKind) == 15
    assert DocKind.parse("令") is DocKind.ORDER
    assert field_of({**REQUEST, "kind": "请示报告"}) == "kind"


@pytest.mark.parametrize("level", ["秘密", "机密", "绝密", "机密★1年"])
def test_classified_secrecy_is_refused(level: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_document({**REQUEST, "secrecy": level})
    assert e.value.field == "secrecy" and "涉密" in e.value.message


def test_internal_is_allowed_and_unknown_secrecy_refused() -> None:
    assert parse_document({**REQUEST, "secrecy": "内部"}).secrecy == "内部"
    assert parse_document({**REQUEST, "secrecy": ""}).secrecy == "非涉密"
    assert field_of({**REQUEST, "secrecy": "保密"}) == "secrecy"


def test_request_with_two_main_recipients() -> None:
    with pytest.raises(ValidationError) as e:
        parse_document({**REQUEST, "main_to": ["普宁市人民政府", "揭阳市人民政府"]})
    assert e.value.field == "main_to" and "抄送" in e.value.message
    assert parse_document({**REQUEST, "main_to": "普宁市人民政府、普宁市人民政府"}).main_to == ["普宁市人民政府"]


def test_request_without_main_recipient_cannot_be_signed_off() -> None:
    doc = parse_document({**REQUEST, "main_to": []})
    check_document(doc, stage="draft")
    with pytest.raises(ValidationError) as e:
        check_document(doc, stage="sign_off")
    assert e.value.field == "main_to"


@pytest.mark.parametrize("title", ["", "   ", None])
def test_empty_title(title) -> None:
    assert field_of({**REQUEST, "title": title}) == "title"


def test_title_mixing_request_and_report() -> None:
    assert field_of({**REQUEST, "title": "关于防汛工作的请示报告"}) == "title"


def test_report_must_not_carry_a_request() -> None:
    data = {**REQUEST, "kind": "报告", "title": "关于防汛工作情况的报告"}
    assert field_of(data) == "body"
    ok = parse_document({**data, "body": "一、工作情况\n特此报告。"})
    assert ok.is_upward


def test_date_before_sign_off() -> None:
    with pytest.raises(ValidationError) as e:
        parse_document({**REQUEST, "date": date(2026, 3, 1)})
    assert e.value.field == "date" and "签发" in e.value.message
    doc = parse_document(REQUEST)
    doc.date = date(2026, 2, 28)
    with pytest.raises(ValidationError) as e:
        check_document(doc, stage="draft")  # an edited draft is checked again
    assert e.value.field == "date"
    with pytest.raises(ValidationError) as e:
        doc.copy_no = "x"  # a single element is checked on assignment
    assert e.value.field == "copy_no"


def test_an_incoming_document_is_taken_as_it_came_and_its_faults_listed() -> None:
    data = {**REQUEST, "direction": "incoming", "main_to": ["甲市政府", "乙市政府"], "cc_to": ["甲市政府"]}
    assert field_of(data) == "main_to"
    doc = parse_document(data, stage=None)
    assert [p.field for p in problems(doc, stage="draft")] == ["main_to", "cc_to"]
    assert field_of({**data, "secrecy": "机密"}) == "secrecy"  # classified is never taken in


def test_print_date_before_date() -> None:
    assert field_of({**REQUEST, "print_date": date(2026, 3, 1)}) == "print_date"


def test_same_unit_in_main_and_cc() -> None:
    assert field_of({**REQUEST, "cc_to": ["普宁市人民政府"]}) == "cc_to"


@pytest.mark.parametrize("bad", ["普府2022年12号", "〔2022〕12号", "普府〔22〕12号", "普府〔2022〕第号",
                                 "普府〔2022〕0号", "普府〔1900〕3号", "普府〔2022〕12"])
def test_malformed_doc_number(bad: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_doc_number(bad)
    assert e.value.field == "doc_number" and "普府〔2022〕12号" in e.value.message
    assert field_of({**REQUEST, "doc_number": bad}) == "doc_number"


@pytest.mark.parametrize("text", ["普府[2022]12号", "普府［2022］12号", "普府〔2022〕012号", "普府 (2022) 第12号",
                                  "普府【2022】12号", " 普府〔2022〕12号 "])
def test_doc_number_variants_normalise(text: str) -> None:
    assert normalize_doc_number(text) == "普府〔2022〕12号"
    assert parse_doc_number(text) == DocNumber("普府", 2022, 12)


def test_format_doc_number() -> None:
    assert format_doc_number(code="普府办", year=2026, seq=7) == "普府办〔2026〕7号"
    assert format_doc_number("普府", 2026, 12) == "普府〔2026〕12号"
    assert str(DocNumber("普府", 2026, 12)) == "普府〔2026〕12号"
    for code, year, seq in [("", 2026, 1), ("普府", 2026, 0), ("普〔府", 2026, 1), ("普府", 99, 1)]:
        with pytest.raises(ValidationError) as e:
            format_doc_number(code=code, year=year, seq=seq)
        assert e.value.field == "doc_number"


@pytest.mark.parametrize("copy_no", ["1234567", "12a", "０１", "0"])
def test_bad_copy_no(copy_no: str) -> None:
    assert field_of({**REQUEST, "copy_no": copy_no}) == "copy_no"


def test_urgency() -> None:
    assert parse_document({**REQUEST, "urgency": ""}).urgency is None
    assert parse_document({**REQUEST, "urgency": "特急"}).urgency == "特急"
    assert field_of({**REQUEST, "urgency": "平急"}) == "urgency"


def test_issue_stage_needs_signer_for_upward_and_a_number() -> None:
    doc = parse_document({**REQUEST, "signers": []})
    check_document(doc, stage="sign_off")
    with pytest.raises(ValidationError) as e:
        check_document(doc, stage="issue")
    assert e.value.field == "signers" and "签发人" in e.value.message
    unnumbered = parse_document({**REQUEST, "doc_number": None})
    assert [p.field for p in problems(unnumbered, stage="issue")] == ["doc_number"]
    notice = parse_document({"title": "关于放假的通知", "kind": "通知", "body": "全体干部："})
    assert {p.field for p in problems(notice, stage="issue")} == {
        "signed_off_on", "date", "issuer_name", "doc_number"}


def test_body_and_attachment_rules() -> None:
    doc = parse_document({**REQUEST, "body": "  \n ", "attachments": [{"name": "预算表"}, {"name": "预算表"}]})
    assert [p.field for p in problems(doc, stage="sign_off")] == ["body", "attachments"]
    assert field_of({**REQUEST, "attachments": [{"name": " "}]}) == "attachments"
    two = parse_document({**REQUEST, "attachments": [{"name": "甲"}, {"name": "乙"}]})
    assert two.attachment_note == ["1. 甲", "2. 乙"]


def test_wrong_types_name_the_field() -> None:
    assert field_of({**REQUEST, "date": "not a date"}) == "date"
    assert field_of({**REQUEST, "direction": "sideways"}) == "direction"
    assert field_of({**REQUEST, "classified_extra": 1}) == "classified_extra"
    with pytest.raises(ValidationError):
        Document(title="x", secrecy="绝密")


def test_issue_gaps_name_what_keeps_a_document_from_its_number():
    from oa_client.domain.document import gap_names, gaps_message, issue_gaps

    request = parse_document({"kind": "请示", "title": "洪阳镇人民政府关于拨付防汛抢险资金的请示",
                              "main_to": ["普宁市人民政府"], "body": "妥否，请批示。",
                              "signed_off_on": "2026-03-02"}, stage=None)
    gaps = issue_gaps(request)  # no 签发人, 成文日期, 署名; the number is 编号's to give
    assert gap_names(gaps) == ["签发人", "成文日期", "发文机关署名"]
    assert gaps_message("number", gaps) == "公文要素缺失或有误，不能编号：签发人、成文日期、发文机关署名"
    assert gaps_message("seal", gaps[:1]) == "公文要素缺失或有误，不能用印：签发人"
    complete = request.model_copy(update={"signers": ["梁海涛"], "date": request.signed_off_on,
                                          "issuer_name": "洪阳镇人民政府"})
    assert issue_gaps(complete) == []
    letter = complete.model_copy(update={"kind": DocKind.LETTER, "main_to": []})
    assert gap_names(issue_gaps(letter)) == ["主送机关"]  # a 函 is always addressed
