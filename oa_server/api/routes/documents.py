"""公文 endpoints the sync push cannot serve: 用印 (render the GB/T 9704 PDF and seal it).

`POST /documents/{id}/seal`, by a 印章管理员 of the issuing unit once the 用印 step was
taken (the document is at 分发 or dispatched): the server lays the document out
(docs_exchange), presses the unit's seal (PAdES with the visible stamp, oa_server/signing),
stores the PDF as a blob and an attachment of the document, and records it on the document
(`sealed_attachment_id`); 分发 then carries the sealed PDF to every receiving unit. Asking
again returns the same attachment: a document is sealed once.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from docs_exchange.model import validate_document
from docs_exchange.pdf import render_pdf
from oa_client.domain.document import parse_document
from oa_client.domain.ids import new_id
from oa_client.errors import NotFoundError, PermissionDenied, ValidationError
from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep, SettingsDep
from oa_server.api.routes.blobs import Store
from oa_server.api.routes.signing import Keys
from oa_server.authority.documents_rules import DOCUMENTS, domain_data
from oa_server.i18n import _
from oa_server.schemas import ErrorOut
from oa_server.signing import service
from oa_server.sync_models import Blob
from oa_server.sync_push import server_batch

router = APIRouter(prefix="/documents", tags=["documents"],
                   responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                              422: {"model": ErrorOut}})
SEALABLE = ("dispatch", "dispatched")


class SealedOut(BaseModel):
    """The sealed PDF as an attachment of the document."""

    attachment_id: str
    sha256: str
    size: int
    name: str


def _layout_data(doc: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The elements as docs_exchange lays them out (成文日期 defaults to the 签发 date)."""
    elements = parse_document(data, stage=None).layout_data()
    if not elements.get("issuer_mark") and doc.get("issuer_name"):
        elements["issuer_mark"] = f"{doc['issuer_name']}文件"  # 发文机关标志 (版头)
    if elements.get("date") is None and doc.get("signed_off_on"):
        elements["date"] = date.fromisoformat(str(doc["signed_off_on"])[:10])
    return elements


@router.post("/{doc_id}/seal")
def seal_document(doc_id: str, request: Request, user: CurrentUser, session: SessionDep,
                  settings: SettingsDep, keys: Keys, store: Store, now: NowDep) -> SealedOut:
    """Render and seal the document with its unit's seal (印章管理员, after the 用印 step)."""
    authz.require_business_user(user)
    with server_batch(session, user=user, now=now) as ctx:
        doc = ctx.get(DOCUMENTS, doc_id)
        if doc is None or not ctx.visible(DOCUMENTS, doc_id):
            raise NotFoundError(_("找不到该公文，可能已被删除或您无权查看"), id=doc_id)
        data = domain_data(ctx, doc)
    session.commit()
    if doc.get("direction") != "outgoing" or doc.get("state") not in SEALABLE:
        raise ValidationError(_("公文尚未完成用印环节，不能盖章"), field="state")
    unit_id = authz_unit(doc)
    if not service.may_use_seal(user, unit_id=unit_id):
        raise PermissionDenied(_("只有本单位的印章管理员可以使用本单位的电子印章"))
    if doc.get("sealed_attachment_id"):
        with server_batch(session, user=user, now=now) as ctx:
            att = ctx.get("attachments", str(doc["sealed_attachment_id"])) or {}
        session.commit()
        return SealedOut(attachment_id=str(doc["sealed_attachment_id"]),
                         sha256=str(att.get("sha256") or ""), size=int(att.get("size") or 0),
                         name=str(att.get("name") or ""))
    official = validate_document(_layout_data(doc, data))
    rendered = render_pdf(official)
    if rendered.seal_anchor is None:
        raise ValidationError(_("该公文没有发文机关署名位置，无法盖章"), field="issuer_name")
    sealed = service.seal_pdf(session, keys=keys, settings=settings, user=user, unit_id=unit_id,
                              pdf=rendered.pdf, anchor=rendered.seal_anchor,
                              reason=_("公文用印：{number}").format(number=doc.get("doc_number") or ""),
                              clock=request.app.state.clock)
    sha = hashlib.sha256(sealed.pdf).hexdigest()
    target = store.path(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sealed.pdf)
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size=len(sealed.pdf), created_by=str(user.id), created_at=now))
    att_id = str(new_id())
    name = f"{doc.get('title') or doc_id}（盖章版）.pdf"
    with server_batch(session, user=user, now=now) as ctx:
        current = ctx.get(DOCUMENTS, doc_id) or doc
        ctx.put("attachments", att_id, {"owner_kind": "document", "owner_id": doc_id,
                                         "name": name, "size": len(sealed.pdf), "sha256": sha,
                                         "mime": "application/pdf", "sealed": True})
        ctx.put(DOCUMENTS, doc_id, {**current, "sealed_attachment_id": att_id,
                                    "sealed_sha256": sha})
        ctx.audit("document.sealed", target=f"documents:{doc_id}",
                  details={"doc_number": doc.get("doc_number"), "sha256": sha})
    session.commit()
    return SealedOut(attachment_id=att_id, sha256=sha, size=len(sealed.pdf), name=name)


def authz_unit(doc: dict[str, Any]) -> uuid.UUID:
    """The issuing unit of a document as a UUID."""
    return uuid.UUID(str(doc.get("unit_id")))
