"""Display names for actions, outcomes and roles, in the current language."""

from __future__ import annotations

from oa_client.i18n import _


def action_label(action: str) -> str:
    """The action as the action bar and the timeline name it (提交, 同意, 退回 …)."""
    labels = {
        "start": _("发起"),
        "submit": _("提交"),
        "approve": _("同意"),
        "read": _("已阅"),
        "return": _("退回"),
        "withdraw": _("撤回"),
        "reassign": _("转办"),
        "delegate": _("委托"),
        "urge": _("催办"),
    }
    return labels.get(action, action)


def outcome_label(outcome: str) -> str:
    """How an event was taken: 有效, 已失效（环节已办结）, 未被接受."""
    labels = {
        "accepted": _("有效"),
        "superseded": _("已失效（环节已办结）"),
        "rejected": _("未被接受"),
    }
    return labels.get(outcome, outcome)


def role_label(role: str) -> str:
    """A role's Chinese name by its glossary identifier."""
    labels = {
        "drafter": _("拟稿人"),
        "section_chief": _("科长"),
        "office_director": _("办公室主任"),
        "deputy_leader": _("分管领导"),
        "principal_leader": _("主要领导"),
        "clerk": _("文书/收发员"),
        "seal_keeper": _("印章管理员"),
        "meeting_admin": _("会议管理员"),
        "statistician": _("乡镇统计员"),
        "supervisor": _("督查室"),
    }
    return labels.get(role, role)
