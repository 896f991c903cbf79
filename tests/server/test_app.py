"""The app's edges: JSON errors for every failure, body limit, offline /docs, no 500 on bad input."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oa_client.errors import ConflictError
from oa_server.api.deps import BusinessUser
from oa_server.main import create_app
from tests.server.support import PASSWORD, Clock, bearer, login, make_settings, sign_in


def test_health(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "请求的地址不存在"}


def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_422_validation(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"login": "liuyang", "password":',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation" and body["field"] == "body"
    assert body["message"] == "请求内容不是有效的 JSON"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"login": "liuyang", "device_id": "d", "device_name": "n"}, "password", "缺少必填字段"),
        (
            {
                "login": "liuyang",
                "password": PASSWORD,
                "device_id": "d",
                "device_name": "n",
                "admin": True,
            },
            "admin",
            "不允许的字段",
        ),
        (
            {"login": 7, "password": PASSWORD, "device_id": "d", "device_name": "n"},
            "login",
            "字段取值无效",
        ),
        (
            {"login": "", "password": PASSWORD, "device_id": "d", "device_name": "n"},
            "login",
            "字段取值无效",
        ),
        (
            {"login": "x" * 65, "password": PASSWORD, "device_id": "d", "device_name": "n"},
            "login",
            "字段取值无效",
        ),
    ],
)
def test_bad_fields_name_the_field(
    client: TestClient, body: dict, field: str, fragment: str
) -> None:
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "validation" and payload["field"] == field
    assert fragment in payload["message"] and field in payload["message"]


def test_validation_errors_never_echo_the_password(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        json={"login": 1, "password": "Secret@Value9", "extra": "Secret@Value9"},
    )
    assert response.status_code == 422 and "Secret@Value9" not in response.text


def test_body_over_the_limit_is_413(data_dir: Path, db_url: str) -> None:
    app = create_app(make_settings(data_dir, db_url, max_body_bytes=1024))
    with TestClient(app) as client:
        big = b'{"login": "' + b"x" * 2000 + b'"}'
        response = client.post(
            "/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        # Streamed without Content-Length: still refused.
        chunked = client.post(
            "/api/v1/auth/login",
            content=iter([b"x" * 600, b"y" * 600]),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413
        assert login(client, "liuyang").status_code == 200
    app.state.engine.dispose()


def test_default_limit_is_ten_megabytes(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["message"] == "请求内容超过 10 MB 的上限"


def _app_with_probe(data_dir: Path, db_url: str) -> FastAPI:
    app = create_app(make_settings(data_dir, db_url), clock=Clock())

    @app.get("/api/v1/_probe/boom")
    def boom(password: str = "") -> dict[str, Any]:
        raise RuntimeError("database exploded")

    @app.get("/api/v1/_probe/conflict")
    def conflict() -> dict[str, Any]:
        raise ConflictError("已被他人修改", entity="document")

    @app.get("/api/v1/_probe/business")
    def business(user: BusinessUser) -> dict[str, Any]:
        return {"ok": True}

    return app


def test_unexpected_exception_is_json_500_logged_without_secrets(
    data_dir: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_with_probe(data_dir, db_url)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get(
            "/api/v1/_probe/boom",
            params={"password": "Hidden@Pass1"},
            headers={"Accept-Language": "en"},
        )
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "database exploded" not in response.text
    assert "RuntimeError" in caplog.text and "/api/v1/_probe/boom" in caplog.text
    assert "Hidden@Pass1" not in caplog.text
    app.state.engine.dispose()


def test_shared_error_tree_maps_to_statuses(data_dir: Path, db_url: str) -> None:
    app = _app_with_probe(data_dir, db_url)
    with TestClient(app) as client:
        response = client.get("/api/v1/_probe/conflict")
        assert response.status_code == 409
        assert response.json() == {
            "code": "conflict",
            "message": "已被他人修改",
            "context": {"entity": "document"},
        }
        # 三员分立: a business-only route refuses the system administrator.
        assert (
            client.get(
                "/api/v1/_probe/business", headers=bearer(sign_in(client, "huangwei"))
            ).status_code
            == 403
        )
        assert (
            client.get(
                "/api/v1/_probe/business", headers=bearer(sign_in(client, "liuyang"))
            ).status_code
            == 200
        )
    app.state.engine.dispose()


def test_docs_are_served_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert not re.search(r"https?://", html), "no external URL on /docs"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        loaded = client.get(asset)
        assert loaded.status_code == 200 and loaded.content, asset
    spec = re.search(r"url: '([^']+)'", html)
    assert spec is not None
    openapi = client.get(spec.group(1))
    assert openapi.status_code == 200 and "/api/v1/auth/login" in openapi.json()["paths"]


def test_languages_do_not_leak_between_concurrent_requests(client: TestClient) -> None:
    def ask(language: str) -> str:
        return client.get("/api/v1/me", headers={"Accept-Language": language}).json()["message"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(ask, ["en", "zh-CN"] * 10))
    assert set(answers[0::2]) == {"Please sign in first"}
    assert set(answers[1::2]) == {"请先登录"}


GARBAGE: list[Any] = [
    None,
    [],
    "x",
    0,
    {"": ""},
    {"login": {"$gt": ""}},
    [{"a": 1}] * 3,
    {"roles": "drafter"},
    {"password": None},
    {"name": "\x00" * 10},
]


def test_bad_input_never_produces_a_500(client: TestClient) -> None:
    sysadmin = sign_in(client, "huangwei")
    secadmin = sign_in(client, "sunyue")
    spec = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        if path.endswith("/logout"):
            continue  # would end the sessions this loop signs in with
        concrete = re.sub(r"\{[^}]+\}", "not-a-uuid", path)
        real_id = re.sub(r"\{[^}]+\}", "00000000-0000-7000-8000-000000000000", path)
        for method in operations:
            for tokens in (None, sysadmin, secadmin):
                headers = bearer(tokens) if tokens else {}
                # signed out, every request stops at the sign-in check once its JSON is read:
                # one body of garbage shows that; signed in, each goes as far as it can
                bodies = GARBAGE if tokens else GARBAGE[:2]
                for url in (concrete, real_id):
                    for body in bodies:
                        response = client.request(
                            method,
                            url,
                            json=body,
                            headers=headers,
                            params={"limit": "-1", "after_seq": "x", "unit_id": "x"},
                        )
                        assert response.status_code < 500, (method, url, body, response.text)
                        if method == "head":
                            continue  # no body by definition
                        assert response.status_code < 300 or "code" in response.json(), (
                            method,
                            url,
                            response.status_code,
                            response.text,
                        )
                        checked += 1
                    raw = client.request(
                        method,
                        url,
                        content=b"\xff\xfe{",
                        headers={**headers, "Content-Type": "application/json"},
                    )
                    assert raw.status_code < 500, (method, url)
    assert checked > 200


def test_english_for_validation_and_size_errors(data_dir: Path, db_url: str) -> None:
    app = create_app(make_settings(data_dir, db_url, max_body_bytes=1024))
    en = {"Accept-Language": "en", "Content-Type": "application/json"}
    with TestClient(app) as client:
        bad = client.post("/api/v1/auth/login", content=b"{", headers=en)
        assert bad.json()["message"] == "The request body is not valid JSON"
        missing = client.post("/api/v1/auth/login", json={"login": "x"}, headers=en)
        assert missing.json()["message"].startswith("Missing required field: ")
        big = client.post("/api/v1/auth/login", content=b"x" * 2048, headers=en)
        assert big.json()["message"] == "The request body exceeds the 1 KB limit"
        gone = client.get("/nowhere", headers=en)
        assert gone.json()["message"] == "No such address on this server"
    app.state.engine.dispose()


def test_numbers_past_64_bits_are_refused_with_a_code_not_a_500(client: TestClient) -> None:
    """Cursors, sequence numbers and offsets beyond what the database stores (2⁶³) are refused
    as bad input (422 with a code), never passed to the database to fail there."""
    huge = str(2**63)
    auditor = bearer(sign_in(client, "hexiaoqin"))
    desk = {**bearer(sign_in(client, "liuyang")), "X-OA-Protocol": "1"}
    asks = [("GET", "/api/v1/audit", {"after_seq": huge}, auditor),
            ("GET", "/api/v1/audit", {"before_seq": huge}, auditor),
            ("GET", "/api/v1/audit/checkpoints", {"after_seq": huge}, auditor),
            ("GET", "/api/v1/sync/pull", {"cursor": huge}, desk),
            ("GET", "/api/v1/sync/wait", {"cursor": huge, "timeout": "0"}, desk),
            ("PUT", "/api/v1/blobs/uploads/u-1", {"offset": huge}, desk)]
    answers = [(path, next(iter(params)), client.request(method, path, params=params,
                                                         headers=headers, content=b"x"))
               for method, path, params, headers in asks]
    assert [(path, param, r.status_code) for path, param, r in answers if r.status_code != 422] == []
    assert {r.json()["code"] for *_ask, r in answers} == {"validation"}
    checkpoint = {"seq": 2**63, "head_hash": "0" * 64, "at": "2026-12-07T00:00:00+00:00",
                  "signature": "x"}
    response = client.post("/api/v1/audit/verify", json={"checkpoints": [checkpoint]},
                           headers=auditor)
    assert (response.status_code, response.json()["code"]) == (422, "validation")
