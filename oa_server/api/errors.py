"""One place that turns every failure into JSON `{"code", "message"}` in the asker's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from oa_client.errors import (
    ConflictError,
    NotFoundError,
    OAError,
    PermissionDenied,
    ValidationError,
)
from oa_server.errors import (
    NotAuthenticated,
    PayloadTooLarge,
    StorageUnavailable,
    TooManyAttempts,
    UnsupportedEncoding,
)
from oa_server.i18n import _, negotiate, retranslate, use_language

log = logging.getLogger("oa_server.errors")

STATUS_OF: tuple[tuple[type[OAError], int], ...] = (
    (ValidationError, 422),
    (NotFoundError, 404),
    (PermissionDenied, 403),
    (ConflictError, 409),
    (NotAuthenticated, 401),
    (PayloadTooLarge, 413),
    (UnsupportedEncoding, 415),
    (TooManyAttempts, 429),
    (StorageUnavailable, 503),
)


def status_for(exc: OAError) -> int:
    """The HTTP status of an error of the shared tree (unknown kinds are 400)."""
    for cls, status in STATUS_OF:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON shape of every error."""
    return {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


def _language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


async def oa_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors of the shared tree → their status, code, message and plain context."""
    assert isinstance(exc, OAError)
    with use_language(_language(request)):
        body = exc.to_dict()
        body["message"] = retranslate(exc.message)
        field = exc.context.get("field")
        if field:
            body["field"] = field
            body.get("context", {}).pop("field", None)
            if not body.get("context"):
                body.pop("context", None)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    if isinstance(exc, TooManyAttempts):
        wait = int(exc.context.get("retry_after", 1))
        body["retry_after"] = wait
        body.pop("context", None)
        headers = {"Retry-After": str(wait)}
    return JSONResponse(body, status_code=status_for(exc), headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Request validation → 422 `validation`, naming each field (never echoing the input)."""
    assert isinstance(exc, RequestValidationError)
    with use_language(_language(request)):
        errors = [
            {
                "field": _field(e.get("loc", ())),
                "type": e.get("type", ""),
                "detail": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "type": ""}
        if first["type"] == "json_invalid":
            message = _("请求内容不是有效的 JSON")
            first["field"] = "body"
        elif first["type"] == "missing":
            message = _("缺少必填字段：{field}").format(field=first["field"])
        elif first["type"] == "extra_forbidden":
            message = _("不允许的字段：{field}").format(field=first["field"])
        else:
            message = _("字段取值无效：{field}").format(field=first["field"])
        body = error_body("validation", message, field=first["field"] or "body")
        body["errors"] = errors
    return JSONResponse(body, status_code=422)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Framework HTTP errors (unknown route, wrong method …) → JSON."""
    assert isinstance(exc, StarletteHTTPException)
    with use_language(_language(request)):
        if exc.status_code == 404:
            message = _("请求的地址不存在")
        elif exc.status_code == 405:
            message = _("不支持该请求方法")
        elif exc.status_code == 401:
            message = _("请先登录")
        else:
            message = _("请求无法处理")
        body = error_body(_HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"), message)
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected → 500 `internal`; logged by type and place, never with the body."""
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    with use_language(_language(request)):
        body = error_body("internal", _("服务器内部错误，请稍后重试或联系系统管理员"))
    return JSONResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    """Register every handler on `app`."""
    app.add_exception_handler(OAError, oa_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
