"""Demo 公文 made the way people make them: each step taken through `documents.act` by the
demo user who holds it, synced in between, so every state and receipt is the server's own.

The caller supplies the desks (this layer does no networking): `open_desk(login)` returns
an object with `.store`, `.me` (the /me dict) and `.sync()`; the org chart must already be
in its store (sync.org.fetch_org). ui/demo.py wires it to real transports.

What `make run` then shows:
- 洪阳镇 请示 to the city: 核稿, 签发 (梁海涛), 编号, 用印 (the server makes the sealed
  正式文件 and the exchange package, as for any 用印), 分发; the city signed for it (the
  receipt shows 已签收), 拟办, 批示 (陈志强), 承办 done, now in 传阅 (郑晓燕 has read; 刘洋
  and 黄建华 not yet).
- 市政府办公室 函 to 财政局 and 教育局: dispatched; 财政局 signed for it, 教育局 not yet.
- 市政府办公室 通知 waiting for 核稿 (黄建华, 特急), another waiting for 签发 (林慧敏).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from oa_client.services import documents as docs


class DemoDesk(Protocol):
    """A signed-in desk: its store, who it is, and a way to sync."""

    store: Any
    me: dict[str, Any]

    def sync(self) -> Any:
        """Push and pull."""
        ...


def _unit(desk: DemoDesk, name: str) -> str:
    return next(u["id"] for u in desk.store.records.list("units", limit=1000)
                if u["name"] == name)


def seed_documents(open_desk: Callable[[str], DemoDesk], *, people: dict[str, dict[str, Any]]) -> int:
    """Carry the demo documents along their flows; return how many documents were made.
    `people` maps a demo login to its account (`id`)."""

    def _user(desk: DemoDesk, login: str) -> dict[str, Any]:
        person = str(people[login]["id"])
        return next(u for u in desk.store.records.list("users", limit=1000) if u["id"] == person)

    desks: dict[str, DemoDesk] = {}

    def desk(login: str) -> DemoDesk:
        if login not in desks:
            desks[login] = open_desk(login)
        d = desks[login]
        d.sync()
        return d

    def step(login: str, doc_id: str, action: str, step_id: str, **kw: Any) -> None:
        d = desk(login)
        docs.act(d.store, me=d.me, doc_id=doc_id, action=action, step=step_id, **kw)
        d.sync()

    def incoming(sender: str, doc_id: str, unit_name: str) -> str:
        d = desk(sender)
        receipts = docs.get_document(d.store, doc_id).get("receipts") or {}
        return str(receipts[_unit(d, unit_name)]["incoming_id"])

    made = 0
    # 1. 洪阳镇 请示 → 普宁市人民政府, handled by the 市政府办公室
    clerk = desk("huangxiaomei")
    req, _ = docs.compose(clerk.store, me=clerk.me, fields={
        "doc_kind": "请示", "urgency": "加急", "issuer_name": "洪阳镇人民政府",
        "title": "洪阳镇人民政府关于拨付防汛抢险资金的请示",
        "main_to": [_unit(clerk, "普宁市人民政府")],
        "body": "普宁市人民政府：\n今年第12号台风造成我镇堤围多处受损，群众生产生活受到较大影响。"
                "经初步核查，抢修堤围、转移安置群众共需资金80万元，我镇已自筹20万元。\n"
                "恳请市政府拨付防汛抢险资金60万元。\n妥否，请批示。"})
    made += 1
    step("huangxiaomei", req, "submit", "draft", opinion="请审核。")
    step("chenweijie", req, "approve", "review", opinion="情况属实，请镇长签发。")
    step("lianghaitao", req, "approve", "sign_off", opinion="同意上报。")
    step("chenweijie", req, "approve", "recheck", opinion="复核无误。")
    for s in ("number", "seal", "dispatch"):
        step("huangxiaomei", req, "approve", s)
    inc = incoming("huangxiaomei", req, "普宁市人民政府")
    step("wuqiong", inc, "approve", "receive", opinion="已签收。")
    step("wuqiong", inc, "approve", "register", values={"handling_days": 5})
    step("wuqiong", inc, "approve", "vet", opinion="要素齐全。")
    chief = _user(desk("huangjianhua"), "zhengxiaoyan")
    readers = [chief["id"], _user(desk("huangjianhua"), "liuyang")["id"],
               _user(desk("huangjianhua"), "huangjianhua")["id"]]
    step("huangjianhua", inc, "approve", "propose", opinion="拟请陈市长阅示，秘书科承办。",
         values={"leader": "principal_leader", "lead_department": [chief["department_id"]],
                 "readers": readers})
    step("chenzhiqiang", inc, "approve", "instruct", opinion="同意拨付，请财政局按程序办理。")
    step("zhengxiaoyan", inc, "approve", "handle", opinion="已会同财政局办理。")
    step("zhengxiaoyan", inc, "read", "circulate")

    # 2. 市政府办公室 函 → 财政局 (signed for) and 教育局 (not yet)
    liu = desk("liuyang")
    letter, _ = docs.compose(liu.store, me=liu.me, fields={
        "doc_kind": "函", "issuer_name": "普宁市人民政府办公室",
        "title": "普宁市人民政府办公室关于报送2026年防汛物资储备情况的函",
        "main_to": [_unit(liu, "普宁市财政局")], "cc_to": [_unit(liu, "普宁市教育局")],
        "body": "市财政局：\n为做好汛期防汛物资保障，请于本月底前报送本单位防汛物资储备及资金安排情况。\n"
                "特此函达。"})
    made += 1
    step("liuyang", letter, "submit", "draft")
    step("huangjianhua", letter, "approve", "review", opinion="同意。")
    step("linhuimin", letter, "approve", "sign_off", opinion="同意发出。")
    step("huangjianhua", letter, "approve", "recheck")
    step("wuqiong", letter, "approve", "number")
    step("caiweidong", letter, "approve", "seal")
    step("wuqiong", letter, "approve", "dispatch")
    step("huangli", incoming("wuqiong", letter, "普宁市财政局"), "approve", "receive",
         opinion="已签收。")

    # 3. two 通知 of the 市政府办公室 still being drafted: at 核稿 and at 签发
    for title, urgency, to_sign in (
            ("普宁市人民政府办公室关于切实做好2026年汛期安全防范工作的通知", "特急", False),
            ("普宁市人民政府关于召开全市防汛工作会议的通知", "加急", True)):
        liu = desk("liuyang")
        doc_id, _ = docs.compose(liu.store, me=liu.me, fields={
            "doc_kind": "通知", "urgency": urgency, "title": title,
            "issuer_name": "普宁市人民政府办公室",
            "main_to": [_unit(liu, "洪阳镇人民政府"), _unit(liu, "梅塘镇人民政府")],
            "body": "各镇人民政府（街道办事处），市直各单位：\n现将有关事项通知如下。\n"
                    "一、工作内容\n二、工作要求"})
        made += 1
        step("liuyang", doc_id, "submit", "draft", opinion="请审核。")
        if to_sign:
            step("huangjianhua", doc_id, "approve", "review", opinion="请林副市长签发。")
    return made
