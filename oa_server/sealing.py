"""用印 makes the 正式文件: the server lays the signed-off 公文 out and presses the unit's seal.

A push takes the 用印 step under the revision lock (oa_server/authority/documents_events.py:
only the issuing unit's 印章管理员, only on the body and elements signed off) and marks the
document `seal_state: pending`. Pressing a seal takes longer and the seal service commits its
own audit rows, so it runs right after that push commits, before the push is answered:

1. read the document as the seal keeper who took the step;
2. lay it out per GB/T 9704 (docs_exchange) from its signed-off body and elements, with the
   发文字号 and 成文日期;
3. press the issuing unit's seal over 署名 and 成文日期 through the seal service
   (oa_server/signing/service.seal_pdf: seal keepers of that unit only, audited); a 纪要 is
   laid out in the 纪要 format (纪要标志, 出席/请假/列席, no 署名) and, as GB/T 9704 gives it
   no seal impression, the seal signs it without one (still time-stamped and locked);
4. build the signed exchange package (the sealed PDF, the attachments frozen at 签发, the
   elements, hashes, a manifest signed with the unit's seal);
5. keep both files as blobs and, under the revision lock, as the document's read-only
   attachments (`role` official / package, `server_owned`), with `sealed_attachment_id`,
   `package_attachment_id`, `seal_state: sealed`; audited with the record id and the hashes.

A failure leaves `seal_state: failed` and the reason on the document (分发 refuses it without
its 正式文件); the seal keeper asks again with `POST /documents/{id}/seal`, and a resent push
of the 用印 step runs the steps again.

A 正式文件 is made from the document as it is when 用印 is taken: its `basis` (a hash of what
was laid out, the 发文字号 and the attachments carried) is kept on its attachment record. A
document that went back after 用印 lets its 正式文件 go (`documents_exchange.void_seal`), and
when 用印 is taken again (`seal_state: pending` while the old file still stands) the document
is sealed anew and the old files are voided: 分发 only ever sends a file made from the
document's current number and text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from docs_exchange.elements import layout_of
from docs_exchange.package import build_package
from docs_exchange.pdf import render_pdf
from docs_exchange.signing import PadesSigner
from oa_client.errors import NotFoundError, OAError, PermissionDenied, ValidationError
from oa_server.authority.documents_events import sealing_units
from oa_server.authority.documents_exchange import void_seal
from oa_server.authority.documents_rules import DOCUMENTS, EVENTS, domain_data
from oa_server.blob_store import BlobStore, store_for
from oa_server.config import Settings
from oa_server.i18n import _
from oa_server.models import User
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys
from oa_server.sync_push import server_batch
from sync.protocol import Op, OpResult

log = logging.getLogger(__name__)
ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class Sealing:
    """What the seal service needs besides the session: keys, settings, blobs and a clock."""

    keys: SigningKeys
    settings: Settings
    store: BlobStore
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class OfficialFile:
    """A document's 正式文件 as an attachment."""

    attachment_id: str
    sha256: str
    size: int
    name: str


def sealing_for(state: Any) -> Sealing:
    """An app's seal keys, blob store, settings and clock (`app.state`; made once per app and
    shared with the signing and blob endpoints through the same attributes)."""
    settings = state.settings
    keys = getattr(state, "signing_keys", None)
    if keys is None:
        keys = state.signing_keys = SigningKeys(data_dir=settings.data_dir, clock=state.clock)
    return Sealing(keys=keys, settings=settings, store=store_for(state), clock=state.clock)


def steps_taken(ops: Iterable[Op], results: Iterable[OpResult]) -> list[str]:
    """Ids of the documents whose 用印 step a push just took (or took before, resent)."""
    out: list[str] = []
    for op, result in zip(ops, results, strict=True):
        payload = op.payload
        if (op.entity == "document_events" and op.kind == "action" and result.status == "applied"
                and payload.get("action") == "approve" and payload.get("step") == "seal"):
            doc_id = str(payload.get("document_id") or "")
            if doc_id and doc_id not in out:
                out.append(doc_id)
    return out


def _keep_blob(session: Session, store: BlobStore, data: bytes, *, user: User,
               now: datetime) -> str:
    """Store bytes the server made as a blob; return their SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    store.keep(session, data, sha256=sha, user=user, now=now)
    return sha


def _unique(name: str, taken: dict[str, bytes]) -> str:
    """`name`, or `name（2）` … when an attachment of that name is already in the package."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    n, out = 1, name
    while out in taken:
        n += 1
        out = f"{stem}（{n}）{dot}{ext}"
    return out


def _elements(doc: dict[str, Any], data: dict[str, Any], *, issuers: list[str]
              ) -> dict[str, Any]:
    """The 公文 elements an exchange package carries in its metadata; `issuers` are the units
    whose seals it bears (the sender, whose seal signs the manifest, first)."""
    keys = ("doc_number", "kind", "title", "secrecy", "urgency", "date", "signers",
            "signed_off_on", "main_to", "cc_to", "note")
    out = {k: data.get(k) for k in keys if data.get(k) not in (None, "", [])}
    out.update(issuers=issuers, signature=data.get("issuer_name") or "",
               document_id=str(doc["id"]), sender_unit_id=str(doc.get("unit_id") or ""))
    return out


def _package(sealing: Sealing, session: Session, *, unit: Any, pdf: bytes,
             files: dict[str, bytes], elements: dict[str, Any]) -> bytes:
    """The exchange package, its manifest signed with the issuing unit's seal (a token key
    signs in the token)."""
    with sealing.keys.open_seal(session=session, settings=sealing.settings, unit=unit) as seal:
        session.commit()  # hold no database lock while signing
        signer = PadesSigner(seal.credential, clock=sealing.clock, cms_signer=seal.cms_signer)
        return build_package(pdf=pdf, attachments=files, metadata=elements, signer=signer,
                             created_at=sealing.clock(), sender_unit=unit.name)


#: what of the document itself (besides its elements) its 正式文件 and package are made from
LAID_OUT = ("id", "unit_id", "doc_kind", "doc_number", "issuer_name", "issuer_mark",
            "signed_off_on", "attendees", "absentees", "observers")


def seal_basis(doc: dict[str, Any], data: dict[str, Any],
               frozen: list[dict[str, Any] | None]) -> str:
    """SHA-256 of what a 正式文件 is made from: the elements laid out (`data`), the document's
    own fields the layout reads, and the attachments the package carries (by hash)."""
    basis = {"elements": data, "document": {k: doc.get(k) for k in LAID_OUT},
             "files": [(a.get("name"), a.get("sha256")) for a in frozen if a is not None]}
    text = json.dumps(basis, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _existing(session: Session, *, user: User, now: datetime, doc: dict[str, Any]
              ) -> OfficialFile:
    with server_batch(session, user=user, now=now) as ctx:
        att = ctx.get(ATTACHMENTS, str(doc["sealed_attachment_id"])) or {}
    session.commit()
    return OfficialFile(attachment_id=str(doc["sealed_attachment_id"]),
                        sha256=str(att.get("sha256") or ""), size=int(att.get("size") or 0),
                        name=str(att.get("name") or ""))


def seal_document(session: Session, *, sealing: Sealing, user: User, doc_id: str,
                  now: datetime) -> OfficialFile:
    """Make the 正式文件 of a document whose 用印 step was taken (once); see the module doc.

    `user` asks for it: the seal keeper whose push took the step, or a seal keeper of one of
    the sealing units asking again. Each unit's seal is pressed as the seal keeper who took
    that unit's part of the step (the seal service refuses anyone else)."""
    with server_batch(session, user=user, now=now) as ctx:
        doc = ctx.get(DOCUMENTS, doc_id)
        if doc is None or not ctx.visible(DOCUMENTS, doc_id):
            raise NotFoundError(_("找不到该公文，可能已被删除或您无权查看"), id=doc_id)
        units = sealing_units(doc)
        doc, data, frozen = _source(ctx, doc)
        takers = [str(e.get("actor_id")) for e in ctx.children(EVENTS, DOCUMENTS, doc_id)
                  if e.get("status") == "applied" and e.get("step") == "seal"
                  and e.get("action") == "approve"]
        people = [p for p in (ctx.org.active_user(t) for t in reversed(takers)) if p is not None]
        basis = seal_basis(doc, data, frozen)
        made_from = _made_from(ctx, doc)
    session.commit()
    if not any(service.may_use_seal(user, unit_id=u) for u in units):
        raise PermissionDenied(_("只有本单位的印章管理员可以使用本单位的电子印章"))
    if doc.get("sealed_attachment_id") and doc.get("seal_state") == "sealed":
        if made_from in (None, basis):  # None: made before the basis was kept
            return _existing(session, user=user, now=now, doc=doc)
        raise ValidationError(_("公文在用印后已有改动，须重新经过用印环节"), field="state")
    if doc.get("direction") != "outgoing" or doc.get("seal_state") not in ("pending", "failed"):
        raise ValidationError(_("公文尚未完成用印环节，不能盖章"), field="state")
    try:
        keepers = []
        for unit_id in units:  # the latest taker of the step who keeps this unit's seal
            keeper = next((p for p in people if service.may_use_seal(p, unit_id=unit_id)), None)
            if keeper is None:
                raise PermissionDenied(_("联合发文机关的印章管理员尚未用印"), unit=str(unit_id))
            keepers.append((keeper, unit_id))
        return _press(session, sealing=sealing, doc=doc, data=data, frozen=frozen,
                      keepers=keepers, now=now, basis=basis)
    except OAError as exc:
        _failed(session, keeper=user, doc_id=doc_id, now=now, reason=exc.message)
        raise


def _source(ctx: Any, doc: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any] | None]]:
    """What the 正式文件 is made from: the document (a 纪要 given its 纪要标志), its elements
    as laid out (with the 联合发文 units' names) and the attachments frozen at 签发."""
    data = domain_data(ctx, doc)
    frozen = [ctx.get(ATTACHMENTS, str(a)) for a in doc.get("frozen_attachments") or []]
    units = sealing_units(doc)
    data["co_issuers"] = [getattr(ctx.org.unit(str(u)), "name", "") for u in units[1:]]
    if doc.get("doc_kind") == "纪要" and not (doc.get("issuer_mark") or doc.get("issuer_name")):
        # 纪要标志: the issuing unit's name + 纪要
        doc = {**doc, "issuer_name": getattr(ctx.org.unit(str(units[0])), "name", "") or ""}
    return doc, data, frozen


def _made_from(ctx: Any, doc: dict[str, Any]) -> str | None:
    """The basis the document's current 正式文件 was made from (None: none, or not kept)."""
    att_id = doc.get("sealed_attachment_id")
    att = ctx.get(ATTACHMENTS, str(att_id)) if att_id else None
    return (att or {}).get("basis")


def _press(session: Session, *, sealing: Sealing, doc: dict[str, Any], data: dict[str, Any],
           frozen: list[dict[str, Any] | None], keepers: list[tuple[User, uuid.UUID]],
           now: datetime, basis: str) -> OfficialFile:
    """Steps 2–5 of the module doc: one seal per unit, in the order of the 署名; the file is
    kept only if the document still reads as it was laid out (`basis`)."""
    doc_id = str(doc["id"])
    minutes = doc.get("doc_kind") == "纪要"
    rendered = render_pdf(layout_of(doc, data))
    anchors: list[Any] = rendered.seal_anchors or (
        [rendered.seal_anchor] if rendered.seal_anchor else [])
    if minutes:  # GB/T 9704: a 纪要 bears no seal impression; the seal signs it unseen
        anchors = [None] * len(keepers)
    if len(anchors) != len(keepers):
        raise ValidationError(_("该公文没有发文机关署名和成文日期，无法盖章"), field="issuer_name")
    pdf, first = rendered.pdf, None
    for i, ((keeper, unit_id), anchor) in enumerate(zip(keepers, anchors, strict=True)):
        sealed = service.seal_pdf(  # the last seal locks the file (DocMDP / field lock)
            session, keys=sealing.keys, settings=sealing.settings, user=keeper,
            unit_id=unit_id, pdf=pdf, anchor=anchor,
            reason=_("公文用印：{number}").format(number=doc.get("doc_number") or doc_id),
            clock=sealing.clock, record=f"documents:{doc_id}", lock=i == len(keepers) - 1)
        pdf, first = sealed.pdf, first or sealed
    assert first is not None
    keeper = keepers[0][0]
    files: dict[str, bytes] = {}
    for att in frozen:
        if att is not None:
            files[_unique(str(att.get("name")), files)] = sealing.store.read_bytes(
                session, str(att.get("sha256")))
    issuers = [first.unit.name, *(data.get("co_issuers") or [])]
    package = _package(sealing, session, unit=first.unit, pdf=pdf, files=files,
                       elements=_elements(doc, data, issuers=issuers))
    pdf_sha = _keep_blob(session, sealing.store, pdf, user=keeper, now=now)
    package_sha = _keep_blob(session, sealing.store, package, user=keeper, now=now)
    number = doc.get("doc_number") or ""
    title = str(doc.get("title") or doc_id)
    name = f"{title}（正式文件）.pdf"
    with server_batch(session, user=keeper, now=now) as ctx:
        current = _still_to_seal(session, ctx, doc=doc, keeper=keeper, now=now, basis=basis)
        if isinstance(current, OfficialFile):
            return current
        current = void_seal(ctx, current, reason="resealed")  # a file made before: void
        common = {"owner_kind": "document", "owner_id": doc_id, "server_owned": True,
                  "basis": basis}
        att_id = ctx.put(ATTACHMENTS, _file_id("official", doc_id, pdf_sha), {
            **common, "role": "official", "name": name, "size": len(pdf),
            "sha256": pdf_sha, "mime": "application/pdf"}, fresh=True)
        official = OfficialFile(attachment_id=att_id, sha256=pdf_sha, size=len(pdf), name=name)
        package_id = ctx.put(ATTACHMENTS, _file_id("package", doc_id, package_sha), {
            **common, "role": "package", "name": f"{title}（交换包）.zip", "size": len(package),
            "sha256": package_sha, "mime": "application/zip"}, fresh=True)
        ctx.put(DOCUMENTS, doc_id, {
            **current, "sealed_attachment_id": official.attachment_id,
            "package_attachment_id": package_id, "sealed_sha256": pdf_sha,
            "sealed_at": now.isoformat(), "seal_state": "sealed", "seal_error": None})
        ctx.audit("document.sealed", target=f"documents:{doc_id}", details={
            "doc_number": number, "units": [str(u) for _k, u in keepers],
            "document_sha256": first.document_sha256, "signed_sha256": pdf_sha,
            "package_sha256": package_sha, "seal_keepers": [str(k.id) for k, _u in keepers]})
    session.commit()
    return official


def _file_id(role: str, doc_id: str, sha256: str) -> str:
    """The id of a file 用印 made (one per file: a document sealed anew gets new ones)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{role}:{doc_id}:{sha256}"))


def _still_to_seal(session: Session, ctx: Any, *, doc: dict[str, Any], keeper: User,
                   now: datetime, basis: str) -> dict[str, Any] | OfficialFile:
    """The document, under the revision lock, if the file just pressed is still its 正式文件
    to be; the file another worker made first; or a refusal when the document moved on (it
    went back, or changed while it was being sealed)."""
    doc_id = str(doc["id"])
    current = ctx.get(DOCUMENTS, doc_id)
    if current is not None and current.get("seal_state") == "sealed" \
            and current.get("sealed_attachment_id"):
        session.rollback()  # another worker finished first: its file stands
        return _existing(session, user=keeper, now=now, doc=current)
    if current is None or current.get("seal_state") not in ("pending", "failed"):
        session.rollback()
        raise ValidationError(_("公文尚未完成用印环节，不能盖章"), field="state")
    if seal_basis(*_source(ctx, current)) != basis:
        session.rollback()
        raise ValidationError(_("公文在盖章过程中被修改，请重新用印"), field="content")
    return current


def _failed(session: Session, *, keeper: User, doc_id: str, now: datetime, reason: str) -> None:
    """Say on the document that its 正式文件 could not be made (分发 waits for it): a file made
    before it went back is void (never sent in place of the one asked for)."""
    session.rollback()
    with server_batch(session, user=keeper, now=now) as ctx:
        current = ctx.get(DOCUMENTS, doc_id)
        if current is not None and current.get("seal_state") in ("pending", "failed"):
            current = void_seal(ctx, current, reason="seal_failed")
            ctx.put(DOCUMENTS, doc_id, {**current, "seal_state": "failed", "seal_error": reason})
            ctx.audit("document.seal_failed", target=f"documents:{doc_id}",
                      details={"reason": reason})
    session.commit()


def after_push(session: Session, *, sealing: Sealing, user: User, ops: list[Op],
               results: list[OpResult], now: datetime) -> None:
    """Make the 正式文件 of every document whose 用印 step this push took (the pushing seal
    keeper presses the seal); a failure is kept on the document and logged, never turned into
    a failed push (its ops were applied)."""
    for doc_id in steps_taken(ops, results):
        try:
            seal_document(session, sealing=sealing, user=user, doc_id=doc_id, now=now)
        except ValidationError as exc:
            if exc.context.get("field") != "state":  # not pending: sealed before, or moved on
                log.warning("用印 of %s failed: %s", doc_id, exc.message)
        except OAError as exc:
            log.warning("用印 of %s failed: %s", doc_id, exc.message)
        except Exception:  # the push itself stands; the document says what went wrong
            log.exception("用印 of %s failed", doc_id)
            try:
                _failed(session, keeper=user, doc_id=doc_id, now=now,
                        reason=_("服务器生成正式文件时出错，请稍后由印章管理员重新用印"))
            except Exception:
                session.rollback()
                log.exception("could not mark the 用印 of %s as failed", doc_id)
