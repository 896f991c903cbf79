"""How record fields and states are shown: labels (gettext ids) and value formatting."""

from __future__ import annotations

from datetime import datetime

from oa_client.i18n import _

STATE_LABELS = {
    "draft": "起草", "review": "核稿", "countersign": "会签", "sign_off": "签发", "recheck": "复核",
    "number": "编号", "seal": "用印", "dispatch": "核发", "dispatched": "已分发", "receive": "签收",
    "register": "登记", "vet": "初审", "propose": "拟办", "instruct": "批办", "handle": "承办",
    "circulate": "传阅", "urge": "催办", "complete": "办结", "archived": "已归档",
    "submitted": "已提交", "in_review": "审批中", "approved": "已批准", "rejected": "已退回",
    "scheduled": "已安排", "cancelled": "已取消", "in_progress": "办理中", "closed": "已销号",
    "pending": "待处理", "returned": "已退回", "accepted": "参加", "declined": "不参加",
    "outgoing": "发文", "incoming": "收文",
}
FIELD_LABELS = {
    "title": "标题", "name": "名称", "direction": "收发文", "doc_kind": "文种", "doc_number": "文号",
    "secrecy": "密级", "urgency": "紧急程度", "state": "状态", "body": "正文", "deadline": "办理期限",
    "from_unit": "来文单位", "received_at": "收文日期", "holder_ids": "当前办理人",
    "reader_ids": "待阅人员", "drafter_id": "拟稿人", "unit_id": "所属单位", "created_at": "创建时间",
    "updated_at": "更新时间", "starts_at": "开始时间", "ends_at": "结束时间", "room_name": "会议室",
    "organiser_id": "组织人", "agenda": "议程", "rsvp": "参会回执", "rsvp_by": "回执截止",
    "applicant_id": "申请人", "submitted_at": "提交日期", "approver_ids": "审批人", "form": "申请内容",
    "period": "报送周期", "values": "已填数据", "template_id": "报表", "items": "数据项",
    "lead_unit_id": "牵头单位", "assignees": "责任人", "instruction": "批示内容",
    "capacity": "容纳人数", "code": "编码", "category": "类别", "service_item_id": "事项",
    "issuer_name": "发文机关署名", "main_to_names": "主送机关", "cc_to_names": "抄送机关",
    "attachments": "附件", "note": "附注", "countersign_departments": "会签部门",
    "copy_no": "份号", "signers": "签发人", "date": "成文日期", "department_id": "拟稿部门",
    "receipts": "回执",
}
_IDS = (
    _("起草"), _("核稿"), _("会签"), _("签发"), _("复核"), _("编号"), _("用印"), _("核发"), _("已分发"),
    _("签收"), _("登记"), _("初审"), _("拟办"), _("批办"), _("承办"), _("传阅"), _("催办"), _("办结"),
    _("已归档"), _("已提交"), _("审批中"), _("已批准"), _("已退回"), _("已安排"), _("已取消"),
    _("办理中"), _("已销号"), _("待处理"), _("参加"), _("不参加"), _("发文"), _("收文"),
    _("标题"), _("名称"), _("收发文"), _("文种"), _("文号"), _("密级"), _("紧急程度"), _("状态"),
    _("正文"), _("办理期限"), _("来文单位"), _("收文日期"), _("当前办理人"), _("待阅人员"), _("拟稿人"),
    _("所属单位"), _("创建时间"), _("更新时间"), _("开始时间"), _("结束时间"), _("会议室"), _("组织人"),
    _("议程"), _("参会回执"), _("回执截止"), _("申请人"), _("提交日期"), _("审批人"), _("申请内容"),
    _("报送周期"), _("已填数据"), _("报表"), _("数据项"), _("牵头单位"), _("责任人"), _("批示内容"),
    _("容纳人数"), _("编码"), _("类别"), _("事项"), _("发文机关署名"), _("主送机关"), _("抄送机关"),
    _("附件"), _("附注"), _("会签部门"), _("份号"), _("签发人"), _("成文日期"), _("拟稿部门"), _("回执"),
)
HIDDEN = {"id", "rev", "deleted", "audience_units", "audience_users", "audience_roles", "room_id",
          "read_ids", "updated_at",
          # bookkeeping, or ids whose names are shown beside them (拟稿人, 主送/抄送机关)
          "body_rev", "drafter_name", "main_to", "cc_to", "content_version", "content_device"}


def tr(text: str) -> str:
    """Translate a label held in the tables above."""
    return _(text)


def state_label(value: object) -> str:
    """A state code as the user reads it."""
    text = str(value or "")
    return tr(STATE_LABELS[text]) if text in STATE_LABELS else text


def field_label(key: str) -> str:
    """A field name as the user reads it."""
    return tr(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def short_time(value: object) -> str:
    """An ISO date/time shortened for a list cell (local time is not guessed)."""
    text = str(value or "")
    if text.endswith("Z") and "T" in text:
        try:
            local = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone()
            return local.strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    if "T" in text:
        day, _t, rest = text.partition("T")
        return f"{day} {rest[:5]}"
    return text


def fmt(key: str, value: object, names: dict[str, str]) -> str:
    """One field's value as text; ids become names, lists are joined, dicts listed."""
    if value is None or value == "":
        return ""
    if key in ("state", "direction") or key == "rsvp_state":
        return state_label(value)
    if isinstance(value, list):
        return "、".join(names.get(str(v), str(v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{names.get(str(k), str(k))}：{state_label(v) if isinstance(v, str) else v}"
                        for k, v in value.items())
    if key.endswith("_id") and isinstance(value, str):
        return names.get(value, value)
    if key.endswith("_at") or key in ("deadline", "rsvp_by"):
        return short_time(value)
    return str(value)
