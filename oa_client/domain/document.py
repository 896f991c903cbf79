"""The 公文 and its elements per 《党政机关公文处理工作条例》(2012), with element-exact validation."""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Any, Literal, NamedTuple

import pydantic
from pydantic import field_validator, model_validator

from oa_client.domain.doc_kinds import (
    ADDRESSED_KINDS,
    SECRECY_ALLOWED,
    SECRECY_CLASSIFIED,
    UPWARD_KINDS,
    URGENCY_ALLOWED,
    DocKind,
)
from oa_client.errors import ValidationError
from oa_client.i18n import _

Stage = Literal["draft", "sign_off", "issue"]


#: Phrases that ask for approval: a 报告 must not carry them (报告不得夹带请示事项).
REQUEST_PHRASES = ("请批示", "请批复", "请审批", "请予批准", "请予审批")

_DOC_NUMBER = re.compile(
    r"^(?P<code>[^\s〔〕\[\]［］()（）【】]+)[〔\[［(（【](?P<year>\d{4})[〕\]］)）】]第?(?P<seq>\d{1,6})号$"
)


class DocNumber(NamedTuple):
    """发文字号 parts: 发文机关代字, year, sequence (普府〔2022〕12号)."""

    code: str
    year: int
    seq: int

    def __str__(self) -> str:
        return format_doc_number(code=self.code, year=self.year, seq=self.seq)


def _bad_number(text: str) -> ValidationError:
    return ValidationError(
        _("发文字号格式应为“机关代字〔年份〕序号号”，如 普府〔2022〕12号"), field="doc_number", value=text
    )


def format_doc_number(code: str, year: int, seq: int) -> str:
    """Write a 发文字号 with 六角括号, no leading zeros: 普府〔2022〕12号 (the server assigns it)."""
    code = code.strip()
    if not code or _DOC_NUMBER.match(f"{code}〔2000〕1号") is None or not (1949 <= year <= 2999) or seq < 1:
        raise _bad_number(f"{code}〔{year}〕{seq}号")
    return f"{code}〔{year}〕{seq}号"


def parse_doc_number(text: str) -> DocNumber:
    """Read a 发文字号, tolerant of [] ［］ （） 【】 and spaces; ValidationError(field="doc_number")."""
    compact = re.sub(r"\s+", "", text or "")
    m = _DOC_NUMBER.match(compact)
    if not m or not (1949 <= int(m["year"]) <= 2999) or int(m["seq"]) < 1:
        raise _bad_number(text)
    return DocNumber(m["code"], int(m["year"]), int(m["seq"]))


def normalize_doc_number(text: str) -> str:
    """The 发文字号 in its one written form (普府[2022]012号 → 普府〔2022〕12号)."""
    return str(parse_doc_number(text))


class DocAttachment(pydantic.BaseModel):
    """One 附件 as listed in 附件说明; `blob_id` points at its stored file."""

    model_config = pydantic.ConfigDict(extra="forbid")

    name: str
    blob_id: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValidationError(_("附件名称不能为空"), field="attachments")
        return value


def as_ids(value: Any) -> list[str]:
    """主送 / 抄送 as a list of unit ids: a list, or one id alone (anything else names none)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


def _units(value: Any) -> list[str]:
    if not value:  # None, "" or [] (most 公文 have no 抄送 and no 签发人 yet)
        return []
    if isinstance(value, str):
        value = re.split(r"[、，,；;]", value)
    return list(dict.fromkeys(" ".join(str(v).split()) for v in value if str(v).strip()))


class Document(pydantic.BaseModel):
    """A 公文: every element of the regulation; field names match docs_exchange's OfficialDocument."""

    model_config = pydantic.ConfigDict(extra="forbid", validate_assignment=True)

    id: str | None = None
    direction: Literal["outgoing", "incoming"] = "outgoing"
    copy_no: str | None = None
    secrecy: str = "非涉密"
    secrecy_term: str | None = None
    urgency: str | None = None
    issuer_unit_id: str | None = None
    issuer_mark: str = ""
    doc_number: str | None = None
    signers: list[str] = []
    signed_off_on: Date | None = None
    kind: DocKind = DocKind.NOTICE
    title: str
    main_to: list[str] = []
    body: str = ""
    attachments: list[DocAttachment] = []
    issuer_name: str | None = None
    date: Date | None = None
    note: str | None = None
    cc_to: list[str] = []
    printer: str | None = None
    print_date: Date | None = None

    @field_validator("secrecy", mode="before")
    @classmethod
    def _secrecy(cls, value: Any) -> str:
        text = str(value or "").strip() or "非涉密"
        if text in SECRECY_ALLOWED:
            return text
        if any(level in text for level in SECRECY_CLASSIFIED):
            raise ValidationError(
                _("本系统只处理非涉密公文，涉密文件请通过涉密渠道办理"), field="secrecy", value=text
            )
        raise ValidationError(_("密级只能是“非涉密”或“内部”"), field="secrecy", value=text)

    @field_validator("copy_no", mode="before")
    @classmethod
    def _copy_no(cls, value: Any) -> str | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) == 0:
            raise ValidationError(_("份号应为 1 至 6 位阿拉伯数字（按 6 位标注）"), field="copy_no", value=text)
        return text.zfill(6)

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        if text not in URGENCY_ALLOWED:
            raise ValidationError(_("紧急程度只能是“特急”“加急”或不标注"), field="urgency", value=text)
        return text

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> DocKind:
        return DocKind.parse(value)

    @field_validator("doc_number", mode="before")
    @classmethod
    def _doc_number(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        return normalize_doc_number(text) if text else None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        if not text:
            raise ValidationError(_("公文标题不能为空"), field="title")
        return text

    @field_validator("main_to", "cc_to", "signers", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> list[str]:
        return _units(value)

    @model_validator(mode="after")
    def _secrecy_term(self) -> Document:
        if self.secrecy == "非涉密" and self.secrecy_term:
            object.__setattr__(self, "secrecy_term", None)
        return self

    @property
    def is_upward(self) -> bool:
        """True for 上行文 (请示, 报告): 签发人 must be shown."""
        return self.kind in UPWARD_KINDS

    @property
    def paragraphs(self) -> list[str]:
        """The body as non-empty paragraphs."""
        return [p.strip() for p in self.body.splitlines() if p.strip()]

    @property
    def attachment_note(self) -> list[str]:
        """附件说明: 1. name, 2. name … (a single attachment is not numbered)."""
        names = [a.name for a in self.attachments]
        return names if len(names) < 2 else [f"{i}. {n}" for i, n in enumerate(names, 1)]

    def layout_data(self) -> dict[str, Any]:
        """The elements as docs_exchange.model.OfficialDocument accepts them."""
        return {
            "copy_no": self.copy_no, "secrecy": self.secrecy, "secrecy_term": self.secrecy_term,
            "urgency": self.urgency, "issuer_mark": self.issuer_mark, "doc_number": self.doc_number,
            "signers": list(self.signers), "kind": self.kind.value, "title": self.title,
            "main_to": "、".join(self.main_to) or None, "body": self.paragraphs,
            "attachments": [{"name": a.name} for a in self.attachments],
            "issuer_name": self.issuer_name, "date": self.date, "note": self.note,
            "cc_to": "、".join(self.cc_to) or None, "printer": self.printer,
            "print_date": self.print_date,
        }


def parse_document(data: dict[str, Any], *, stage: Stage | None = "draft") -> Document:
    """Build a Document from JSON-like data and check it for `stage`; every problem is a
    ValidationError naming its element. Pass `stage=None` to take in a 收文 as it came (its
    contradictions are then listed by `problems`, e.g. as reasons to return it at 初审)."""
    try:
        doc = Document.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ValidationError(
            _("公文要素填写有误：{field}").format(field=field or "?"), field=field
        ) from None
    if stage is not None:
        check_document(doc, stage=stage)
    return doc


def contradictions(doc: Document) -> list[ValidationError]:
    """Elements that contradict each other or the regulation's 行文规则, at any stage."""
    found: list[ValidationError] = []
    if "请示报告" in doc.title:
        found.append(ValidationError(_("标题不能写成“请示报告”：请示和报告是两个文种"), field="title"))
    if doc.kind == DocKind.REQUEST and len(doc.main_to) > 1:
        found.append(ValidationError(
            _("请示只能主送一个机关，需要同时送其他机关的，应当用抄送"), field="main_to"))
    both = [u for u in doc.cc_to if u in doc.main_to]
    if both:
        found.append(ValidationError(
            _("同一机关不能既列入主送又列入抄送：{units}").format(units="、".join(both)), field="cc_to"))
    if doc.date and doc.signed_off_on and doc.date < doc.signed_off_on:
        found.append(ValidationError(_("成文日期不能早于签发日期"), field="date"))
    if doc.print_date and doc.date and doc.print_date < doc.date:
        found.append(ValidationError(_("印发日期不能早于成文日期"), field="print_date"))
    if doc.kind == DocKind.REPORT and any(p in doc.body for p in REQUEST_PHRASES):
        found.append(ValidationError(_("报告中不得夹带请示事项，请示事项应另行请示"), field="body"))
    return found


def problems(doc: Document, *, stage: Stage) -> list[ValidationError]:
    """Everything wrong for a stage: contradictions always; sign_off adds content, issue everything."""
    found = contradictions(doc)
    if stage == "draft":
        return found
    if not doc.paragraphs:
        found.append(ValidationError(_("公文正文不能为空"), field="body"))
    if doc.kind in ADDRESSED_KINDS and not doc.main_to:
        found.append(ValidationError(
            _("{kind}必须写明主送机关").format(kind=doc.kind.value), field="main_to"))
    names = [a.name for a in doc.attachments]
    if len(set(names)) != len(names):
        found.append(ValidationError(_("附件名称重复"), field="attachments"))
    if stage == "issue":
        if doc.is_upward and not doc.signers:
            found.append(ValidationError(_("上行文（请示、报告）必须标注签发人"), field="signers"))
        if doc.direction == "outgoing" and not doc.signed_off_on:
            found.append(ValidationError(_("公文尚未签发"), field="signed_off_on"))
        if not doc.date:
            found.append(ValidationError(_("缺少成文日期"), field="date"))
        if not doc.issuer_name and doc.kind != DocKind.MINUTES:
            found.append(ValidationError(_("缺少发文机关署名"), field="issuer_name"))
        if doc.direction == "outgoing" and not doc.doc_number:
            found.append(ValidationError(_("公文尚未编号（发文字号由服务器在编号环节分配）"), field="doc_number"))
    return found


def check_document(doc: Document, *, stage: Stage) -> None:
    """Raise the first problem for the stage as a ValidationError naming the element."""
    found = problems(doc, stage=stage)
    if found:
        raise found[0]


#: each element as the regulation names it (what a "缺少…" line lists)
ELEMENT_NAMES = {
    "title": "标题", "kind": "文种", "main_to": "主送机关", "cc_to": "抄送机关", "body": "正文",
    "attachments": "附件说明", "signers": "签发人", "signed_off_on": "签发", "date": "成文日期",
    "issuer_name": "发文机关署名", "doc_number": "发文字号", "copy_no": "份号", "secrecy": "密级",
    "secrecy_term": "保密期限", "urgency": "紧急程度", "note": "附注", "printer": "印发机关",
    "print_date": "印发日期",
}
_ELEMENT_IDS = (_("标题"), _("文种"), _("主送机关"), _("抄送机关"), _("正文"), _("附件说明"),
                _("签发人"), _("签发"), _("成文日期"), _("发文机关署名"), _("发文字号"), _("份号"),
                _("密级"), _("保密期限"), _("紧急程度"), _("附注"), _("印发机关"), _("印发日期"))


def element_name(field: str | None) -> str:
    """An element's name in the current language (the field id when it has none)."""
    key = (field or "").split(".")[0]
    return _(ELEMENT_NAMES[key]) if key in ELEMENT_NAMES else key


def issue_gaps(doc: Document) -> list[ValidationError]:
    """What keeps an outgoing 公文 from its 发文字号 and seal: every problem of the issue stage
    (签发人 for 请示/报告, 发文机关署名, 成文日期, 主送机关, 正文 …) except the number itself,
    which 编号 gives."""
    return [p for p in problems(doc, stage="issue") if p.field != "doc_number"]


def gap_names(gaps: list[ValidationError]) -> list[str]:
    """The elements the problems name, each once, in order."""
    return list(dict.fromkeys(element_name(p.field) for p in gaps))


def gaps_message(step: str, gaps: list[ValidationError]) -> str:
    """"公文要素缺失或有误，不能编号：发文机关署名、成文日期" (step: number / seal)."""
    names = "、".join(gap_names(gaps))
    if step == "seal":
        return _("公文要素缺失或有误，不能用印：{elements}").format(elements=names)
    return _("公文要素缺失或有误，不能编号：{elements}").format(elements=names)
