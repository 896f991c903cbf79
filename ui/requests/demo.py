"""Demo requests (零跑动事项) filed the way a person would: the starter catalogue imported by
the demo 系统管理员, then 刘洋 applies through the real forms and flows and 郑晓燕 approves
some, so 黄建华 and 郑晓燕 find requests in their 待办 and the statistics have rows."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_client.services import requests as rq
from oa_client.store.local import open_store
from sync.engine import SyncEngine
from sync.org import fetch_org
from sync.transport import MemoryTokenStore, Transport

log = logging.getLogger(__name__)


def import_starter(server_url: str, *, password: str) -> int:
    """Import the starter catalogue as the demo 系统管理员 unless the server has one."""
    admin = Transport(server_url, device_id="demo-catalogue", tokens=MemoryTokenStore())
    admin.login("huangwei", password)
    if admin.request("GET", "/catalogue").json():
        return 0
    resp = admin.request("POST", "/catalogue/import", data=STARTER_CATALOGUE.read_bytes(),
                         headers={"Content-Type": "application/json"})
    return int(resp.json()["items"])


def _forms(today: date) -> list[tuple[str, dict[str, Any], int]]:
    """(item code, values, how many approvals to give) for the applicant 刘洋."""
    def day(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    return [
        ("CAR", {"start_time": f"{day(2)} 08:30", "return_time": f"{day(2)} 17:30", "origin": "市政府大院",
                 "destination": "洪阳镇人民政府", "out_of_city": False, "passengers": 3, "car_type": "轿车",
                 "purpose": "赴洪阳镇调研防汛准备情况"}, 0),
        ("SUPPLY", {"item_name": "A4复印纸（70克）", "quantity": 5, "measure": "箱", "unit_price": "120.00",
                    "purpose": "秘书科日常办公打印"}, 1),
        ("TRAVEL_EXPENSE", {"trip_ref": "出差〔2026〕88号", "purpose": "参加全省数字政府建设培训班",
                            "itinerary": "本市—广州—本市", "start_date": day(-12), "end_date": day(-9),
                            "transport_fee": "1326.00", "lodging_fee": "4380.00", "receipts": 6,
                            "attachments": [{"sha256": "ab" * 32, "name": "票据扫描件.pdf"}]}, 2),
        ("LEAVE", {"leave_type": "年休假", "start_date": day(-20), "end_date": day(-18),
                   "reason": "回老家探望父母", "leaves_city": True, "destination": "广东省揭阳市"}, 9),
        ("CERT", {"id_number": "445281199003151234", "hire_date": "2016-07-01", "cert_type": "在职证明",
                  "purpose": "办理签证", "recipient": "法国驻广州总领事馆", "copies": 1}, 9),
        ("OVERTIME", {"work_date": day(-6), "period": "休息日", "hours": "6.5",
                      "content": "加班起草全市防汛工作会议材料", "compensation": "安排补休"}, 0),
    ]


def seed_requests(server_url: str, *, root: Path, keyring: Any, password: str,
                  people: dict[str, dict]) -> int:
    """File the demo requests and carry some of them along their flows; how many were filed.
    `people` maps a demo login to its account (`id`)."""
    login_of = {str(p["id"]): login for login, p in people.items()}
    import_starter(server_url, password=password)
    desks: dict[str, tuple[Any, Transport, SyncEngine]] = {}

    def desk(login: str) -> tuple[Any, Transport, SyncEngine]:
        if login not in desks:
            store = open_store(root / f"req-{login}", keyring_backend=keyring, server_url=server_url,
                               username=login)
            transport = Transport(server_url, device_id=store.device_id(), tokens=MemoryTokenStore())
            transport.login(login, password)
            fetch_org(store, transport)
            desks[login] = (store, transport, SyncEngine(store, transport))
        return desks[login]

    try:
        store, transport, engine = desk("liuyang")
        engine.sync()
        me = transport.user["id"]
        today = datetime.now(UTC).date()
        entries = {e.item.code: e for e in rq.catalogue(store)}
        handover = next((u for u in store.records.list("users", limit=500)
                         if u["id"] == str(people["zhengxiaoyan"]["id"])), None)
        filed: list[tuple[str, int]] = []
        for code, values, approvals in _forms(today):
            draft = rq.new_draft(store, record_id=entries[code].record_id, user_id=me)
            form = {**draft["form"], **values}
            if code == "LEAVE" and handover:
                form["handover"] = {"id": handover["id"], "name": handover.get("name", "")}
            if rq.check_form(entries[code].item, form):
                log.warning("demo request %s not valid: %s", code, rq.check_form(entries[code].item, form))
                continue
            rq.submit(store, draft["id"], user_id=me, values=form)
            filed.append((draft["id"], approvals))
        engine.sync()
        for _round in range(6):
            moved = False
            for request_id, approvals in filed:
                engine.sync()
                rec = store.records.get("requests", request_id)
                done = sum(1 for e in store.records.list("request_events", where={"request_id": request_id},
                                                         limit=100) if e.get("action") == "approve")
                if rec.get("state") not in ("submitted", "in_review") or done >= approvals:
                    continue
                holder = next((u for u in store.records.list("users", limit=500)
                               if u["id"] in (rec.get("approver_ids") or [])), None)
                if holder is None:
                    continue
                hstore, _t, hengine = desk(login_of[holder["id"]])
                hengine.sync()
                rq.act(hstore, request_id, user_id=holder["id"], action="approve", opinion="同意。")
                hengine.sync()
                moved = True
            if not moved:
                break
        engine.sync()
        return len(filed)
    finally:
        for store, _t, _e in desks.values():
            store.close()
