"""The 公文 elements of GB/T 9704-2012 as one pydantic model that feeds every writer."""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Literal

import pydantic
from pydantic import field_validator, model_validator

from docs_exchange.hanzi import fold
from oa_client.errors import ValidationError
from oa_client.i18n import _

SECRECY_ALLOWED = ("非涉密", "内部")
SECRECY_CLASSIFIED = ("秘密", "机密", "绝密")
URGENCY_ALLOWED = ("特急", "加急")
KINDS = (
    "决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报",
    "报告", "请示", "批复", "议案", "函", "纪要",
)
UPWARD_KINDS = ("请示", "报告")
FORMATS = ("文件", "信函", "命令", "纪要")
SEAL_MODES = ("with_seal", "without_seal", "signature_stamp")

_DOC_NUMBER = re.compile(
    r"^(?P<code>\S*?)[〔\[［(（【](?P<year>\d{4})[〕\]］)）】]第?(?P<seq>\d+)(?P<hao>[号號])$"
)


def normalize_doc_number(text: str) -> str:
    """Write a 发文字号 with the 六角括号 〔〕 GB/T 9704 asks for (普府[2022]12号 → 普府〔2022〕12号;
    a traditional 號 stays as written)."""
    text = re.sub(r"\s+", "", text)
    m = _DOC_NUMBER.match(text)
    if not m:
        return text
    return f"{m['code']}〔{m['year']}〕{int(m['seq'])}{m['hao']}"


_HEADINGS = (
    (0, re.compile(r"^第[一二三四五六七八九十百零〇]+[章节部分编]")),
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.．](?!\d)")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
)


def heading_level(text: str) -> int | None:
    """Heading level of a paragraph from its numbering: 第X章 0, 一、1, （一）2, 1. 3, （1）4."""
    text = fold(text[:16])  # 第一節 as 第一节
    for level, pattern in _HEADINGS:
        if pattern.match(text):
            return level
    return None


def format_cn_date(value: Date) -> str:
    """成文日期 in 阿拉伯数字 as GB/T 9704 writes it: 2022年4月6日 (no leading zeros)."""
    return f"{value.year}年{value.month}月{value.day}日"


class Attachment(pydantic.BaseModel):
    """One 附件: its name as listed in 附件说明 and, optionally, its text laid out after the body."""

    name: str
    body: list[str] = []


class OfficialDocument(pydantic.BaseModel):
    """The elements of one 公文 (GB/T 9704-2012), independent of PDF or DOCX."""

    model_config = pydantic.ConfigDict(extra="forbid")

    copy_no: str | None = None
    secrecy: str = "非涉密"
    secrecy_term: str | None = None
    urgency: Literal["特急", "加急"] | None = None
    issuer_mark: str = ""
    doc_number: str | None = None
    signers: list[str] = []
    kind: str = "通知"
    title: str
    main_to: str | None = None
    body: list[str]
    attachments: list[Attachment] = []
    issuer_name: str | None = None
    co_issuers: list[str] = []  # 联合发文: the other issuing units' 署名, after the lead's
    date: Date | None = None
    note: str | None = None
    cc_to: str | None = None
    distribution: str | None = None  # 纪要's 分送, printed in the 版记 (not a 主送 line)
    printer: str | None = None
    print_date: Date | None = None
    seal_mode: Literal["with_seal", "without_seal", "signature_stamp"] = "with_seal"
    signer_title: str | None = None
    format: Literal["文件", "信函", "命令", "纪要"] = "文件"
    order_number: str | None = None
    attendees: list[str] = []
    absentees: list[str] = []
    observers: list[str] = []

    @field_validator("secrecy")
    @classmethod
    def _secrecy(cls, value: str) -> str:
        value = (value or "非涉密").strip()
        if value not in SECRECY_ALLOWED:
            raise ValidationError(
                _("本系统只处理非涉密公文，涉密文件请通过涉密渠道办理"), field="secrecy", value=value
            )
        return value

    @field_validator("copy_no")
    @classmethod
    def _copy_no(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.isdigit() or len(value) > 6:
            raise ValidationError(_("份号应为不超过 6 位的阿拉伯数字"), field="copy_no", value=value)
        return value.zfill(6)

    @field_validator("doc_number")
    @classmethod
    def _doc_number(cls, value: str | None) -> str | None:
        return normalize_doc_number(value) if value and value.strip() else None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValidationError(_("文种不在《党政机关公文处理工作条例》规定的 15 种之内"), field="kind")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValidationError(_("公文标题不能为空"), field="title")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: list[str]) -> list[str]:
        paragraphs = [p.strip() for p in value if p and p.strip()]
        if not paragraphs:
            raise ValidationError(_("公文正文不能为空"), field="body")
        return paragraphs

    @model_validator(mode="after")
    def _consistent(self) -> OfficialDocument:
        if self.secrecy_term and self.secrecy == "非涉密":
            self.secrecy_term = None
        return self

    @property
    def is_upward(self) -> bool:
        """True for 上行文 (请示, 报告): 发文字号 left, 签发人 right."""
        return self.kind in UPWARD_KINDS


def validate_document(data: dict) -> OfficialDocument:
    """Build an OfficialDocument from JSON-like data; every problem is a ValidationError."""
    try:
        return OfficialDocument.model_validate(data)
    except ValidationError:
        raise
    except pydantic.ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, ValidationError):
            raise cause from None
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ValidationError(
            _("公文要素填写有误：{field}").format(field=field or "?"), field=field
        ) from None
