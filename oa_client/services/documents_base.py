"""What the 公文 lists read without the flow engine: my ids, a live document and
the names of states and receipts (the flow modules build on these)."""

from __future__ import annotations

from typing import Any

from oa_client.i18n import _
from oa_client.services.records import get_live
from oa_client.store.local import LocalStore

#: what each state is called (gettext ids, translated by `state_label`)
STATE_NAMES = {
    "draft": "草稿", "review": "核稿", "countersign": "会签", "sign_off": "签发",
    "recheck": "复核", "number": "编号", "seal": "用印", "dispatch": "分发",
    "dispatched": "已分发", "receive": "签收", "register": "登记", "vet": "初审",
    "propose": "拟办", "instruct": "批办", "handle": "承办", "circulate": "传阅",
    "urge": "催办", "complete": "办结", "archive": "归档", "archived": "已归档",
    "refused": "已退回",
}
_STATE_IDS = (_("草稿"), _("核稿"), _("会签"), _("签发"), _("复核"), _("编号"), _("用印"),
              _("分发"), _("已分发"), _("签收"), _("登记"), _("初审"), _("拟办"), _("批办"),
              _("承办"), _("传阅"), _("催办"), _("办结"), _("归档"), _("已归档"), _("已退回"))
RECEIPT_NAMES = {"sent": "已发送", "delivered": "已送达", "received": "已签收",
                 "returned": "已退回", "refused": "已拒收"}
_RECEIPT_IDS = (_("已发送"), _("已送达"), _("已签收"), _("已退回"), _("已拒收"))


def state_label(state: str | None) -> str:
    """A document state (step id or final state) in the current language."""
    return _(STATE_NAMES.get(state or "", state or ""))


def receipt_label(status: str | None) -> str:
    """A receipt status (sent/delivered/received/returned) in the current language."""
    return _(RECEIPT_NAMES.get(status or "", status or ""))


def me_ids(me: dict[str, Any]) -> tuple[str, str, str | None]:
    """(user id, unit id, department id) of a `/me` dict (or a flat one with unit_id)."""
    unit = me.get("unit") if isinstance(me.get("unit"), dict) else {}
    dept = me.get("department") if isinstance(me.get("department"), dict) else {}
    unit_id = str(me.get("unit_id") or (unit or {}).get("id") or "")
    dept_id = me.get("department_id") or (dept or {}).get("id")
    return str(me.get("id") or ""), unit_id, str(dept_id) if dept_id else None


def get_document(store: LocalStore, doc_id: str) -> dict[str, Any]:
    """A live document record; NotFoundError when absent or deleted."""
    return get_live(store, "documents", doc_id, _("找不到该公文，可能已被删除或您无权查看"))
