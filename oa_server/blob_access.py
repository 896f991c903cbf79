"""Who may read, attach and learn of a blob: no existence oracle, no reading by hash alone.

- An upload belongs to its uploader (`blob_owners`): the same bytes uploaded by two people
  are stored once, silently, and owned by both.
- Anyone else reads a blob only through an attachment record they see (`visibility`), and
  every stored reference is legitimate: a pushed attachment may name a hash only when its
  author uploaded those bytes or can already read them (`refused_reference`); the server's
  own attachments (分发 copies, sealed PDFs, request outputs) name blobs it made or copied.
- Asked about a hash one may not read — HEAD, download, upload start — the server answers as
  for a hash it has never seen: 404, or an upload to make (`BlobStore.start`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from oa_server.i18n import _
from oa_server.models import User
from oa_server.sync_models import BlobOwner, SyncAudience, SyncRecord
from oa_server.visibility import principals_of, sees

#: collections whose records reference a blob, and the field that names it
REFERENCES = {"attachments": "sha256"}


def owns(session: Session, *, user_id: str, sha256: str) -> bool:
    """Whether the user uploaded these bytes."""
    return session.get(BlobOwner, (sha256, user_id)) is not None


def add_owner(session: Session, *, user_id: str, sha256: str, now: datetime) -> None:
    """Record that the user uploaded these bytes (once)."""
    if not owns(session, user_id=user_id, sha256=sha256):
        session.execute(insert(BlobOwner).values(sha256=sha256, user_id=user_id, created_at=now))


def referenced_for(session: Session, *, principals: Iterable[str], sha256: str) -> bool:
    """Whether a live attachment record seen through `principals` names the hash."""
    needle = f'%"sha256":"{sha256}"%'  # stored data is canonical JSON
    visible = exists().where(sees(principals), SyncAudience.active.is_(True))
    found = session.execute(
        select(SyncRecord.id)
        .where(SyncRecord.collection == "attachments", SyncRecord.deleted.is_(False),
               SyncRecord.data.like(needle), visible)
        .limit(1)
    ).first()
    return found is not None


def can_read_blob(session: Session, *, user: User, sha256: str) -> bool:
    """Whether the user uploaded the bytes or sees an attachment record that names them."""
    return owns(session, user_id=str(user.id), sha256=sha256) or referenced_for(
        session, principals=principals_of(user), sha256=sha256)


def names_new_blob(collection: str, payload: dict, current: dict | None) -> bool:
    """Whether a pushed record names a blob its stored version did not (so it is checked)."""
    key = REFERENCES.get(collection)
    sha = str(payload.get(key) or "") if key else ""
    return bool(sha) and (current is None or current.get(key) != sha)


def refused_reference(session: Session, *, user: User, principals: Iterable[str],
                      collection: str, payload: dict, current: dict | None
                      ) -> tuple[str, str] | None:
    """(code, message) when a pushed record names a blob its author may not attach; the
    same answer whether or not the server holds those bytes."""
    if not names_new_blob(collection, payload, current):
        return None
    sha = str(payload[REFERENCES[collection]])
    if owns(session, user_id=str(user.id), sha256=sha) or referenced_for(
            session, principals=principals, sha256=sha):
        return None
    return "blob_unknown", _("附件内容尚未上传到服务器，或您无权引用该附件；请重新添加附件后再同步")
