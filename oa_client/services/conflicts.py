"""Conflicts and refused changes from sync, and what the user decides about each.

The sync engine writes a row per conflict (`edit`, `delete`) or refused op
(`rejected`, `superseded`, `unreadable`). Keep mine re-saves the local copy on top
of the server's revision; keep theirs accepts the server copy already applied
locally. Either way the row gets `resolved_at` and a `resolution` JSON saying
what was chosen, next to the server's code and message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from oa_client.errors import NotFoundError, ValidationError
from oa_client.i18n import _
from oa_client.store.local import LocalStore
from oa_client.store.records import COLLECTIONS, Changes, Op

LOCAL_FIELDS = ("id", "rev", "deleted", "updated_at")

#: what each kind means and what to do about it (gettext ids)
ADVICE = {
    "edit": "他人在您之前修改了这条记录。请对比两份内容：保留我的（在对方修改的基础上重新提交您的版本），或采用服务器的。",
    "delete": "这条记录在一方被删除、另一方被修改。请决定保留哪一份。",
    "rejected": "服务器拒绝了这项修改（见原因）。修改内容仍保存在这里，可复制后放弃。",
    "superseded": "该步骤在您的操作到达前已办理完毕，您的操作未生效，已保留供查看。",
    "unreadable": "服务器发来的一条记录本机无法保存，已保留原始内容，请联系系统管理员。",
}
_ADVICE_IDS = (
    _("他人在您之前修改了这条记录。请对比两份内容：保留我的（在对方修改的基础上重新提交您的版本），或采用服务器的。"),
    _("这条记录在一方被删除、另一方被修改。请决定保留哪一份。"),
    _("服务器拒绝了这项修改（见原因）。修改内容仍保存在这里，可复制后放弃。"),
    _("该步骤在您的操作到达前已办理完毕，您的操作未生效，已保留供查看。"),
    _("服务器发来的一条记录本机无法保存，已保留原始内容，请联系系统管理员。"),
)


@dataclass(frozen=True)
class Conflict:
    """One open conflict or refused change."""

    id: str
    entity: str
    entity_id: str
    kind: str
    local: dict | None
    server: dict | None  # the server's record {collection, id, rev, deleted, data}
    server_rev: int | None
    created_at: str
    code: str
    message: str

    @property
    def advice(self) -> str:
        """What the user can do about it, in the current language."""
        return _(ADVICE.get(self.kind, ADVICE["rejected"]))

    @property
    def can_keep_mine(self) -> bool:
        """Whether re-sending the local copy on top of the server's can work."""
        server_deleted = bool(self.server and self.server.get("deleted"))
        return (self.kind in ("edit", "delete") and self.local is not None
                and self.server_rev is not None and not server_deleted
                and self.entity in COLLECTIONS)

    def title(self) -> str:
        """A readable name for the record concerned."""
        for source in (self.local or {}, (self.server or {}).get("data") or {}):
            for key in ("title", "name"):
                if source.get(key):
                    return str(source[key])
        return self.entity_id


def _load(value: str | None) -> dict | None:
    return json.loads(value) if value else None


_COLUMNS = ("id, entity, entity_id, kind, local_payload, server_payload, server_rev, created_at,"
            " resolution")


def _conflict(row: tuple) -> Conflict:
    resolution = _load(row[8]) or {}
    return Conflict(id=row[0], entity=row[1], entity_id=row[2], kind=row[3], local=_load(row[4]),
                    server=_load(row[5]), server_rev=row[6], created_at=row[7],
                    code=str(resolution.get("code") or ""), message=str(resolution.get("message") or ""))


def open_conflicts(store: LocalStore) -> list[Conflict]:
    """Unresolved conflicts and refused changes, oldest first."""
    rows = store.db.query(f"SELECT {_COLUMNS} FROM conflicts WHERE resolved_at IS NULL"
                          " ORDER BY created_at, id")
    return [_conflict(r) for r in rows]


def count_open(store: LocalStore) -> int:
    """How many conflicts wait for a decision."""
    return int(store.db.query("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL")[0][0])


def _get(conn, conflict_id: str) -> Conflict:
    row = conn.execute(f"SELECT {_COLUMNS} FROM conflicts WHERE id = ? AND resolved_at IS NULL",
                       (conflict_id,)).fetchone()
    if row is None:
        raise NotFoundError(_("该冲突已处理或不存在。"), id=conflict_id)
    return _conflict(row)


def _resolve(conn, c: Conflict, choice: str) -> None:
    resolution = {"code": c.code, "message": c.message, "choice": choice}
    conn.execute("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                 (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  json.dumps(resolution, ensure_ascii=False), c.id))


def keep_mine(store: LocalStore, conflict_id: str) -> Changes:
    """Re-save my copy with the server's revision as base; it goes out with the next sync."""
    with store.db.transaction() as conn:
        c = _get(conn, conflict_id)
        if not c.can_keep_mine:
            raise ValidationError(_("这项冲突不能保留本机版本，只能采用服务器的版本。"), field="kind")
        assert c.local is not None and c.server_rev is not None
        payload = {k: v for k, v in c.local.items() if k not in LOCAL_FIELDS}
        if c.local.get("deleted"):
            conn.execute(f"UPDATE {c.entity} SET deleted = 1, rev = ? WHERE id = ?",
                         (c.server_rev, c.entity_id))
            op = Op(kind="delete", entity=c.entity, entity_id=c.entity_id, payload={},
                    base_rev=c.server_rev)
        else:
            store.records.upsert_in(conn, c.entity,
                                    [{**payload, "id": c.entity_id, "rev": c.server_rev}])
            op = Op(kind="upsert", entity=c.entity, entity_id=c.entity_id, payload=payload,
                    base_rev=c.server_rev)
        queued = store.records.enqueue_in(conn, [op])
        _resolve(conn, c, "mine")
    return Changes(collections={c.entity, "conflicts"}, ids={c.entity_id}, queued_ops=queued)


def keep_theirs(store: LocalStore, conflict_id: str) -> Changes:
    """Accept the server's copy (already applied locally) and close the conflict."""
    with store.db.transaction() as conn:
        c = _get(conn, conflict_id)
        _resolve(conn, c, "theirs")
    return Changes(collections={c.entity, "conflicts"}, ids={c.entity_id})
