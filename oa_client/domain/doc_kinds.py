"""文种, 密级 and 紧急程度: the vocabularies of a 公文 (what lists and filters show without the
document model and its validation)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from oa_client.errors import ValidationError
from oa_client.i18n import _

SECRECY_ALLOWED = ("非涉密", "内部")
SECRECY_CLASSIFIED = ("秘密", "机密", "绝密")
URGENCY_ALLOWED = ("特急", "加急")


class DocKind(StrEnum):
    """文种: the 15 kinds of 公文 the regulation names (命令 also written 令)."""

    RESOLUTION = "决议"
    DECISION = "决定"
    ORDER = "命令"
    COMMUNIQUE = "公报"
    ANNOUNCEMENT = "公告"
    CIRCULAR = "通告"
    OPINION = "意见"
    NOTICE = "通知"
    BULLETIN = "通报"
    REPORT = "报告"
    REQUEST = "请示"
    REPLY = "批复"
    MOTION = "议案"
    LETTER = "函"
    MINUTES = "纪要"

    @classmethod
    def parse(cls, value: Any) -> DocKind:
        """The kind named by `value` (令 is 命令); ValidationError(field="kind") otherwise."""
        if isinstance(value, DocKind):
            return value
        text = str(value or "").strip()
        kind = _BY_NAME.get("命令" if text == "令" else text)
        if kind is None:
            raise ValidationError(
                _("文种不在《党政机关公文处理工作条例》规定的 15 种之内"), field="kind", value=text
            )
        return kind


#: each kind by its name (a dict lookup: every 公文 checked names its kind)
_BY_NAME: dict[str, DocKind] = {kind.value: kind for kind in DocKind}


UPWARD_KINDS = frozenset({DocKind.REQUEST, DocKind.REPORT})
#: Kinds that are always addressed to someone (主送 required before 签发).
ADDRESSED_KINDS = frozenset({DocKind.REQUEST, DocKind.REPORT, DocKind.REPLY, DocKind.LETTER,
                             DocKind.MOTION})
