"""The org chart (通讯录) fetched from the server into the local `units`/`users` caches.

Those two tables are caches: rows are written with rev 0 (never pushed, never
compared by the digest check) and units/people the server no longer lists are
marked deleted, so the directory browses and searches offline.
"""

from __future__ import annotations

import requests

from oa_client.errors import SyncError
from oa_client.i18n import _
from oa_client.store.local import LocalStore
from sync.transport import Transport


def check_server(transport: Transport) -> dict:
    """Ask /health; a URL that is not an OA server or a bad certificate is said plainly."""
    try:
        resp = transport.request("GET", "/health", auth=False, expect=(200, 404, 405, 403, 401))
    except SyncError as exc:
        detail = str(getattr(exc, "detail", ""))
        cause = exc.__cause__
        if isinstance(cause, requests.exceptions.SSLError) or detail == "SSLError":
            raise SyncError(
                _("服务器的安全证书无法验证（可能是自签名或已过期的证书），为保护您的账号已停止连接。请联系系统管理员确认服务器地址和证书。"),
                kind="tls") from exc
        if exc.kind == "server":
            raise SyncError(_("该地址不是政务协同办公服务器（{status}），请检查服务器地址。").format(
                status=getattr(exc, "status", "")), kind="not_oa_server") from exc
        raise
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code != 200 or not isinstance(data, dict) or data.get("status") != "ok" \
            or "version" not in data:
        raise SyncError(_("该地址不是政务协同办公服务器，请检查服务器地址（例如 https://oa.example.gov.cn）。"),
                        kind="not_oa_server", status=resp.status_code)
    return data


def _unit_row(u: dict, index: int = 0) -> dict:
    return {"id": str(u["id"]), "rev": 0, "parent_id": u.get("parent_id") and str(u["parent_id"]),
            "name": u.get("name") or "", "doc_code": u.get("doc_code"), "level": u.get("level"),
            "level_name": u.get("level_name"), "departments": u.get("departments") or [],
            "sort_order": u.get("sort_order", index), "org_index": index}


def _user_row(p: dict) -> dict:
    unit = p.get("unit") or {}
    dept = p.get("department") or {}
    return {"id": str(p["id"]), "rev": 0, "unit_id": unit.get("id") and str(unit["id"]),
            "name": p.get("name") or "",
            "unit_name": unit.get("name"), "department": dept.get("name"),
            "department_id": dept.get("id") and str(dept["id"]), "position": p.get("position"),
            "roles": p.get("roles") or [], "phone": p.get("phone"), "email": p.get("email")}


def fetch_org(store: LocalStore, transport: Transport) -> tuple[int, int]:
    """Replace the local org cache with the server's; return (units, users) stored."""
    units = transport.request("GET", "/org/units").json()
    users = transport.request("GET", "/org/users").json()
    unit_rows = [_unit_row(u, i) for i, u in enumerate(units)]
    user_rows = [_user_row(p) for p in users]
    with store.db.transaction() as conn:
        store.records.upsert_in(conn, "units", unit_rows)
        store.records.upsert_in(conn, "users", user_rows)
        for table, rows in (("units", unit_rows), ("users", user_rows)):
            keep = {r["id"] for r in rows}
            gone = [r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE deleted = 0")
                    if r[0] not in keep]
            conn.executemany(f"UPDATE {table} SET deleted = 1 WHERE id = ?", [(g,) for g in gone])
    return len(unit_rows), len(user_rows)
