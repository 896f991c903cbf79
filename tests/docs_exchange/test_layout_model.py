"""The layout model: 公文 elements, bad input, seal anchors, special formats, fonts and glyphs."""

from __future__ import annotations

import io
from datetime import date

import pdfplumber
import pytest

from docs_exchange.compose import layout_document
from docs_exchange.fonts import resolve_fonts
from docs_exchange.layout import MM, ROWS, SEAL_MM, X0, X1, baseline
from docs_exchange.model import Attachment, OfficialDocument, validate_document
from docs_exchange.pdf import RenderResult, SealAnchor, render_pdf
from oa_client.errors import RenderError, ValidationError


def _doc(**kw) -> OfficialDocument:
    base = dict(
        issuer_mark="普宁市人民政府文件", doc_number="普府〔2022〕12号", title="关于做好数字政府建设工作的通知",
        main_to="各乡、镇人民政府，市府直属各单位", body=["现将有关事项通知如下。", "一、总体要求。按时完成。"],
        issuer_name="普宁市人民政府", date=date(2022, 4, 6), cc_to="市委办公室，市人大常委会办公室",
        printer="普宁市人民政府办公室", print_date=date(2022, 4, 8),
    )
    base.update(kw)
    return OfficialDocument(**base)


def _text(result: RenderResult) -> str:
    """All text of the 版心, page after page (page numbers left out)."""
    bottom = (37 + 225 + 1) * MM
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        return "".join(ch["text"] for page in pdf.pages for ch in page.chars if ch["top"] < bottom)


def test_json_round_trip_keeps_every_element() -> None:
    doc = _doc(copy_no="12", secrecy="内部", urgency="特急", attachments=[Attachment(name="名单")],
               note="此件公开发布", signers=["张三"], kind="请示")
    again = validate_document(doc.model_dump(mode="json"))
    assert again == doc
    assert again.copy_no == "000012"


def test_doc_number_brackets_are_normalised() -> None:
    for raw in ("普府[2022]12号", "普府［2022］12号", "普府 〔2022〕 012号"):
        assert _doc(doc_number=raw).doc_number == "普府〔2022〕12号"


def test_empty_body_is_a_clear_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        _doc(body=["", "   "])
    assert info.value.field == "body" and "正文" in info.value.message


@pytest.mark.parametrize("level", ["秘密", "机密", "绝密", "机密★10年"])
def test_classified_documents_are_refused(level: str) -> None:
    with pytest.raises(ValidationError) as info:
        _doc(secrecy=level)
    assert info.value.field == "secrecy"


def test_bad_json_gives_a_validation_error_not_a_traceback() -> None:
    with pytest.raises(ValidationError):
        validate_document({"title": "x", "body": ["y"], "urgency": "火急"})


def test_ten_thousand_character_title_wraps_and_loses_nothing() -> None:
    title = ("关于进一步加强数字政府建设推进政务服务一网通办的通知" * 400)[:10000]
    result = render_pdf(_doc(title=title))
    assert result.page_count > 20
    text = _text(result)
    assert text.count("一网通办") >= title.count("一网通办")


def test_characters_outside_the_font_are_reported_and_still_drawn() -> None:
    rare = "刏"  # not in AR PL UMing, present in WenQuanYi Zen Hei
    emoji = "\U0001f600"  # in no installed font
    result = render_pdf(_doc(body=[f"请核对{rare}字和{emoji}符号。"]))
    chars = {m.char: m for m in result.missing_glyphs}
    assert rare in chars and emoji in chars
    assert chars[rare].fallback and chars[emoji].fallback is None
    assert chars[rare].page == 0 and 0 <= chars[rare].row < ROWS
    text = _text(result)
    assert rare in text  # drawn in the fallback font
    assert emoji in text or "请核对刏字和\x00符号" in text  # no font has it: a visible .notdef box


def test_missing_font_file_is_a_clear_render_error() -> None:
    with pytest.raises(RenderError) as info:
        resolve_fonts(overrides={"fangsong": "/nonexistent/simfang.ttf"})
    assert "simfang.ttf" in info.value.message


def test_substitutions_are_recorded() -> None:
    result = render_pdf(_doc())
    fonts = resolve_fonts()
    assert len(result.font_substitutions) == len(fonts.substitutions)
    for sub in result.font_substitutions:
        assert sub.wanted and sub.used and sub.role


def test_with_seal_anchor_is_a_42mm_box_over_the_date() -> None:
    doc = _doc()
    result = render_pdf(doc)
    anchor = result.seal_anchor
    assert isinstance(anchor, SealAnchor)
    assert anchor.width_pt == pytest.approx(SEAL_MM * MM) and anchor.height_pt == pytest.approx(SEAL_MM * MM)
    rows = {b.kind: b.lines[0][1] for b in layout_document(doc).blocks if b.kind in ("date", "signature")}
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        page = pdf.pages[anchor.page]
        date_chars = [c for c in page.chars if abs(c["matrix"][5] - baseline(rows["date"])) < 0.5]
        name_chars = [c for c in page.chars if abs(c["matrix"][5] - baseline(rows["signature"])) < 0.5]
    assert "".join(c["text"] for c in date_chars) == "2022年4月6日"
    centre_x = anchor.x_pt + anchor.width_pt / 2
    left, right = min(c["x0"] for c in date_chars), max(c["x1"] for c in date_chars)
    assert abs(centre_x - (left + right) / 2) < 2
    assert X1 - right == pytest.approx(4 * 15.75, abs=3)  # right-indented four characters
    nl, nr = min(c["x0"] for c in name_chars), max(c["x1"] for c in name_chars)
    assert abs((nl + nr) / 2 - centre_x) < 2  # 署名 centred over the date
    centre_y = anchor.y_pt + anchor.height_pt / 2  # name and date sit a little below the centre
    assert baseline(rows["signature"]) < centre_y + 10 and baseline(rows["date"]) < centre_y
    assert anchor.y_pt < baseline(rows["date"])


def test_without_seal_has_no_anchor_and_date_shifts_right() -> None:
    result = render_pdf(_doc(seal_mode="without_seal"))
    assert result.seal_anchor is None


def test_signature_stamp_anchor_sits_right_of_the_title() -> None:
    result = render_pdf(_doc(seal_mode="signature_stamp", signer_title="市长"))
    anchor = result.seal_anchor
    assert anchor is not None and anchor.width_pt < SEAL_MM * MM
    assert anchor.x_pt + anchor.width_pt <= X1


def test_upward_document_puts_signers_right_and_number_left() -> None:
    result = render_pdf(_doc(kind="请示", signers=["张三", "李四", "王五"]))
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        page = pdf.pages[0]
        text = page.extract_text()
        label = next(c for c in page.chars if c["text"] == "签")
        number = next(c for c in page.chars if c["text"] == "〔")
    assert "签发人" in text and "王五" in text
    assert label["x0"] > X0 + 200 and number["x0"] < X0 + 100


def test_attachments_start_on_a_new_page() -> None:
    doc = _doc(attachments=[Attachment(name="工作方案", body=["一、目标。", "二、措施。"])])
    layout = layout_document(doc)
    label = next(b for b in layout.blocks if b.kind == "attachment_label")
    sig = next(b for b in layout.blocks if b.kind == "date")
    assert label.lines[0][0] > sig.lines[0][0] and label.lines[0][1] == 0


def test_record_rules_sit_on_the_body_bottom_of_the_last_page() -> None:
    result = render_pdf(_doc())
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        last = pdf.pages[-1]
        rules = sorted(last.lines, key=lambda line: line["top"])
    widths = [round(r["linewidth"], 2) for r in rules[-3:]]
    assert widths == [round(0.35 * MM, 2), round(0.25 * MM, 2), round(0.35 * MM, 2)]
    assert rules[-1]["top"] == pytest.approx((37 + 225) * MM, abs=1 * MM)


def test_letter_format_has_double_rules_and_no_first_page_number() -> None:
    result = render_pdf(_doc(body=["正文。"] * 40), format="信函")
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        first = pdf.pages[0]
        red = sorted((r for r in first.lines if r["stroking_color"] == (1.0, 0.0, 0.0)),
                     key=lambda r: r["top"])
        assert len(red) == 4 and all(r["x1"] - r["x0"] == pytest.approx(170 * MM, abs=1) for r in red)
        assert red[0]["linewidth"] > red[1]["linewidth"]  # upper pair: thick above thin
        assert red[2]["linewidth"] < red[3]["linewidth"]  # lower pair: thin above thick
        assert red[3]["top"] == pytest.approx(first.height - 20 * MM, abs=1 * MM)
        assert "— 1 —" not in first.extract_text()
        assert "— 2 —" in pdf.pages[1].extract_text()
        mark = [c for c in first.chars if c["non_stroking_color"] == (1.0, 0.0, 0.0)]
        assert mark and min(c["top"] for c in mark) == pytest.approx(30 * MM, abs=1.5 * MM)


def test_order_format_shows_the_order_mark_and_number() -> None:
    result = render_pdf(_doc(issuer_mark="普宁市人民政府", order_number="5", signer_title="市长"),
                        format="命令")
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        text = pdf.pages[0].extract_text().replace(" ", "")
    assert "普宁市人民政府令" in text and "第5号" in text


def test_minutes_format_lists_attendees_with_black_labels() -> None:
    doc = _doc(issuer_mark="普宁市人民政府常务会议", attendees=["张三", "李四"], absentees=["王五"],
               observers=["赵六"])
    result = render_pdf(doc, format="纪要")
    with pdfplumber.open(io.BytesIO(result.pdf)) as pdf:
        text = "".join(p.extract_text() for p in pdf.pages)
        chars = [c for p in pdf.pages for c in p.chars]
    assert "普宁市人民政府常务会议纪要" in text
    assert "出席：张三，李四" in text and "请假：王五" in text and "列席：赵六" in text
    label = next(c for c in chars if c["text"] == "出")
    name = next(c for c in chars if c["text"] == "张")
    assert label["fontname"] != name["fontname"]
    assert result.seal_anchor is None


def test_office_fonts_found_through_fontconfig_are_used_without_substitution(monkeypatch) -> None:
    from docs_exchange import fonts

    uming = "/usr/share/fonts/truetype/arphic/uming.ttc"
    fake = (("仿宋_GB2312", uming, 0), ("楷体_GB2312", "/usr/share/fonts/truetype/arphic/ukai.ttc", 0))
    monkeypatch.setattr(fonts, "_fontconfig_faces", lambda: fake)
    found = fonts.resolve_fonts()
    assert found.faces["fangsong"].family == "仿宋_GB2312"
    assert found.faces["kai"].family == "楷体_GB2312"
    roles = {s.role for s in found.substitutions}
    assert "fangsong" not in roles and "kai" not in roles and "xbs" in roles


def test_cff_fonts_are_never_chosen(tmp_path, monkeypatch) -> None:
    from docs_exchange import fonts

    otf = tmp_path / "NotoSerifCJK.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 100)
    monkeypatch.setattr(fonts, "_fontconfig_faces", lambda: (("FangSong", str(otf), 0),))
    found = fonts.resolve_fonts()
    assert found.faces["fangsong"].path != str(otf)
    with pytest.raises(RenderError):
        fonts.resolve_fonts(overrides={"fangsong": str(otf)})
