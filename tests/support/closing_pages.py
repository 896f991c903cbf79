"""Documents whose 落款 falls at a page end, and a check that no page holds the 落款 without body text."""

from __future__ import annotations

from datetime import date

from docs_exchange.compose import layout_document
from docs_exchange.layout import ROWS
from docs_exchange.model import Attachment, OfficialDocument, format_cn_date

NO_BODY_TEXT = "（此页无正文）"
_LINE = "各单位要高度重视，切实加强组织领导，确保取得实效。"  # 25 characters: one line


def _notice(paragraphs: int, **update) -> OfficialDocument:
    doc = OfficialDocument(
        issuer_mark="台州市黄岩区人民政府文件", doc_number="黄政发〔2021〕18号",
        title="台州市黄岩区人民政府关于加强数字政府建设工作的通知",
        main_to="各乡镇人民政府、街道办事处，区政府直属各单位",
        body=[f"{_LINE[:-1]}（{i + 1}）。" if i % 3 == 2 else _LINE for i in range(paragraphs)],
        attachments=[Attachment(name="黄岩区数字政府建设任务清单")],
        issuer_name="台州市黄岩区人民政府", date=date(2021, 9, 29),
    )
    return doc.model_copy(update=update)


def body_ends_at_page_end(*, page: int = 1, **update) -> OfficialDocument:
    """A notice whose body, laid out alone, ends on the last row of page `page` (0-based)."""
    for n in range(1, 80):
        bare = _notice(n, attachments=[], issuer_name=None, date=None)
        last = next(b for b in reversed(layout_document(bare).blocks) if b.kind == "body")
        if last.lines[-1][:2] == (page, ROWS - 1):
            return _notice(n, **update)
    raise AssertionError("no body length ends on the page end")


def long_closing(attachments: int = 22) -> OfficialDocument:
    """A notice whose 附件说明 and 署名 together are longer than a page."""
    names = [f"黄岩区数字政府建设第{i + 1}项任务实施方案" for i in range(attachments)]
    return _notice(12, attachments=[Attachment(name=n) for n in names])


def pages_without_body(pages: list[list[str]], doc: OfficialDocument) -> list[int]:
    """1-based numbers of the pages, up to the one with the 成文日期, that show no body text
    (此页无正文 counts as saying so)."""
    body = "".join(doc.body).replace(" ", "")
    closing = {doc.issuer_name, format_cn_date(doc.date) if doc.date else None}
    notes = {a.name for a in doc.attachments}
    last = next(
        (i for i, lines in enumerate(pages) if format_cn_date(doc.date) in lines), len(pages) - 1
    ) if doc.date else len(pages) - 1

    def is_body(line: str) -> bool:
        if line in closing or line.startswith("附件：") or any(line in n for n in notes):
            return False
        return line == NO_BODY_TEXT or (len(line) >= 2 and line.rstrip("，。、；：") in body)

    return [i + 1 for i, lines in enumerate(pages[: last + 1]) if not any(map(is_body, lines))]
