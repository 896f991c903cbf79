"""Org chart import by the system administrator: a preview of what would change, then the
same file applied in one transaction (no passwords, no roles in the file: 三员分立)."""

from __future__ import annotations

from fastapi import APIRouter

from oa_server import orgimport
from oa_server.api.deps import HasherDep, SessionDep, Sysadmin, actor_of
from oa_server.schemas import ErrorOut, OrgChangeOut, OrgImportIn, OrgImportOut

router = APIRouter(prefix="/admin", tags=["admin"], responses={
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def _entries(content: str) -> list[orgimport.Entry]:
    if content.lstrip().startswith("{"):
        return orgimport.parse_json(content)
    return orgimport.parse_csv(content)


def _run(body: OrgImportIn, admin, session, hasher, *, apply: bool) -> OrgImportOut:
    report = orgimport.import_entries(
        session, actor=actor_of(admin), hasher=hasher, entries=_entries(body.content),
        skip_existing=body.skip_existing, by_admin=True)
    if apply:
        session.commit()
    else:
        session.rollback()
    return OrgImportOut(
        applied=apply, created=report.created, skipped=report.skipped,
        changes=[OrgChangeOut(kind=k, action=a, name=n, detail=d) for k, a, n, d in report.changes])


@router.post("/org-import/preview")
def preview(body: OrgImportIn, admin: Sysadmin, session: SessionDep,
            hasher: HasherDep) -> OrgImportOut:
    """What importing this file would create and skip; nothing is written."""
    return _run(body, admin, session, hasher, apply=False)


@router.post("/org-import")
def apply_import(body: OrgImportIn, admin: Sysadmin, session: SessionDep,
                 hasher: HasherDep) -> OrgImportOut:
    """Import the file (all of it or, on any bad line, nothing); audited."""
    return _run(body, admin, session, hasher, apply=True)
