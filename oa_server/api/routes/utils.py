"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter

from oa_server import __version__
from oa_server.schemas import HealthOut

router = APIRouter(tags=["utils"])


@router.get("/health")
def health() -> HealthOut:
    """Answers when the server is up (no sign-in needed)."""
    return HealthOut(status="ok", version=__version__)
