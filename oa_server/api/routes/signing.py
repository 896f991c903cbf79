"""Signing service endpoints: the CA root and CRL, officials' certificates, unit seal images
and keys.

No endpoint seals an uploaded file: a seal is pressed only by the flow, on the server's own
layout of a record (用印 of a 公文: oa_server/sealing.py; a 零跑动 output).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from docs_exchange.seal import png_size
from oa_client.errors import PermissionDenied
from oa_server import audit, authz, crud
from oa_server.api.deps import CurrentUser, Secadmin, SessionDep, SettingsDep, actor_of
from oa_server.i18n import _
from oa_server.roles import SECADMIN
from oa_server.schemas import ErrorOut
from oa_server.signing import service
from oa_server.signing.keystore import SigningKeys, normalise_seal_name

router = APIRouter(
    tags=["signing"],
    responses={
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        413: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
PEM_TYPE = "application/x-pem-file"
CRL_TYPE = "application/pkix-crl"
SealName = Annotated[str, Query(min_length=1, max_length=16, description="公章 (default) or a 专用章 such as 人事专用章")]


def signing_keys(request: Request) -> SigningKeys:
    """The app's signing key store (under the data directory), one per process."""
    keys = getattr(request.app.state, "signing_keys", None)
    if keys is None:
        keys = SigningKeys(data_dir=request.app.state.settings.data_dir, clock=request.app.state.clock)
        request.app.state.signing_keys = keys
    return keys


async def raw_body(request: Request) -> bytes:
    """The request body as bytes (already bounded by the size limit middleware)."""
    return await request.body()


Keys = Annotated[SigningKeys, Depends(signing_keys)]
RawBody = Annotated[bytes, Depends(raw_body)]


def _binary_body(media_type: str) -> dict:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: binary, "application/octet-stream": binary},
        }
    }


class CsrIn(BaseModel):
    """A certificate signing request made on the official's device (PEM)."""

    model_config = ConfigDict(extra="forbid")

    csr_pem: str = Field(max_length=service.MAX_CSR_CHARS)


class CertificateOut(BaseModel):
    """A personal certificate and its chain up to the server's root (PEM)."""

    certificate_pem: str
    chain_pem: list[str]
    serial: str
    subject: str
    unit: str
    not_before: datetime
    not_after: datetime


class SealImageOut(BaseModel):
    """The stored seal image of a unit."""

    unit_id: uuid.UUID
    sha256: str
    width: int
    height: int
    seal: str = "公章"


class SealReplacedOut(BaseModel):
    """A seal's new certificate; the one it replaces is revoked."""

    unit_id: uuid.UUID
    seal: str
    serial: str
    not_after: datetime
    certificate_pem: str


@router.get(
    "/ca/root",
    response_class=Response,
    responses={200: {"content": {PEM_TYPE: {}}, "description": "PEM"}},
)
def ca_root(session: SessionDep, settings: SettingsDep, keys: Keys) -> Response:
    """The server's root certificate (PEM), for clients' trust stores; no sign-in needed."""
    pem = keys.root_pem(session=session, settings=settings)
    return Response(content=pem, media_type=PEM_TYPE)


@router.get(
    "/ca/crl",
    response_class=Response,
    responses={200: {"content": {CRL_TYPE: {}}, "description": "DER"}},
)
def ca_crl(session: SessionDep, settings: SettingsDep, keys: Keys) -> Response:
    """The CA's certificate revocation list (DER), signed now and then; no sign-in needed."""
    der = keys.crl(session=session, settings=settings)
    return Response(content=der, media_type=CRL_TYPE, headers={"Cache-Control": "max-age=300"})


@router.post("/ca/certificates", status_code=201)
def issue_certificate(
    body: CsrIn, user: CurrentUser, session: SessionDep, settings: SettingsDep, keys: Keys
) -> CertificateOut:
    """Certify the key of a CSR for me: name and unit come from my account, not the CSR."""
    issued = service.issue_personal_certificate(
        session, keys=keys, settings=settings, user=user, csr_pem=body.csr_pem
    )
    return CertificateOut(**issued.__dict__)


@router.put("/seals/{unit_id}/image", openapi_extra=_binary_body("image/png"))
def put_seal_image(
    unit_id: uuid.UUID, png: RawBody, admin: Secadmin, session: SessionDep, keys: Keys,
    seal: SealName = "公章",
) -> SealImageOut:
    """Import a unit's seal image (PNG with transparency; the security administrator, who
    keeps the seals under 三员分立); audited."""
    unit = crud.get_unit(session, unit_id=unit_id)
    seal = normalise_seal_name(seal)
    clean = keys.set_seal_image(unit_id=unit.id, png=png, seal_name=seal)
    width, height = png_size(clean)
    digest = hashlib.sha256(clean).hexdigest()
    audit.append(
        session,
        actor=actor_of(admin),
        action="seal.image_set",
        target=f"unit:{unit.id}",
        details={"unit": unit.name, "seal": seal, "image_sha256": digest, "width": width,
                 "height": height},
    )
    session.commit()
    return SealImageOut(unit_id=unit.id, sha256=digest, width=width, height=height, seal=seal)


@router.get(
    "/seals/{unit_id}/image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "PNG"}},
)
def get_seal_image(
    unit_id: uuid.UUID, user: CurrentUser, session: SessionDep, keys: Keys, seal: SealName = "公章"
) -> Response:
    """A seal's image (imported or drawn), for the security administrator and the unit's
    seal keepers."""
    if not (authz.has_role(user, SECADMIN) or service.may_use_seal(user, unit_id=unit_id)):
        raise PermissionDenied(_("只有安全保密管理员和本单位的印章管理员可以查看印章图片"))
    unit = crud.get_unit(session, unit_id=unit_id)
    return Response(content=keys.seal_image(unit=unit, seal_name=seal), media_type="image/png")


@router.post("/seals/{unit_id}/replace", status_code=201)
def replace_seal(
    unit_id: uuid.UUID, admin: Secadmin, session: SessionDep, settings: SettingsDep, keys: Keys,
    seal: SealName = "公章",
) -> SealReplacedOut:
    """A new key and certificate for a seal (security admin); the old certificate is revoked."""
    unit = crud.get_unit(session, unit_id=unit_id)
    credential = keys.replace_seal(session=session, settings=settings, unit=unit, seal_name=seal,
                                   reason="superseded", actor=actor_of(admin))
    session.commit()
    cert = credential.certificate
    return SealReplacedOut(unit_id=unit.id, seal=normalise_seal_name(seal), serial=format(cert.serial_number, "x"),
                           not_after=cert.not_valid_after_utc, certificate_pem=credential.cert_pem.decode())
