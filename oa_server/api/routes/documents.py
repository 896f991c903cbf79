"""公文 endpoints the sync push cannot serve: asking again for a 正式文件 whose 用印 failed.

Taking the 用印 step (a push, by the issuing unit's 印章管理员) makes the 正式文件 right after
the push commits (oa_server/sealing.py). When that failed (`seal_state: failed`, the reason on
the document), `POST /documents/{id}/seal` by a 印章管理员 of the issuing unit makes it again;
asked for a document already sealed it returns the same file. Nothing else can be sealed here:
the PDF is always the server's own layout of the record, never an upload.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from oa_server import authz
from oa_server.api.deps import CurrentUser, NowDep, SessionDep
from oa_server.schemas import ErrorOut
from oa_server.sealing import seal_document, sealing_for

router = APIRouter(prefix="/documents", tags=["documents"],
                   responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                              422: {"model": ErrorOut}})


class SealedOut(BaseModel):
    """The 正式文件 (sealed PDF) as an attachment of the document."""

    attachment_id: str
    sha256: str
    size: int
    name: str


@router.post("/{doc_id}/seal")
def seal_again(doc_id: str, request: Request, user: CurrentUser, session: SessionDep,
               now: NowDep) -> SealedOut:
    """Make the 正式文件 of a document whose 用印 step was taken (印章管理员 of the issuing
    unit; once — a sealed document returns its file)."""
    authz.require_business_user(user)
    official = seal_document(session, sealing=sealing_for(request.app.state), user=user, doc_id=doc_id,
                             now=now)
    return SealedOut(attachment_id=official.attachment_id, sha256=official.sha256,
                     size=official.size, name=official.name)
