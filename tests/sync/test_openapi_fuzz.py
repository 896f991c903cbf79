"""Schemathesis over the whole OpenAPI of the server: generated requests never get a 5xx.

Every operation is called with a signed-in business user's token (fresh per example,
so an example that signs out does not starve the rest). OA_FUZZ_EXAMPLES sets the
examples per operation (default 25).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from oa_server.main import create_app
from tests.server.support import copy_sqlite, make_settings

EXAMPLES = int(os.environ.get("OA_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def fuzz_app(sync_template: Path, tmp_path: Path):
    data_dir = tmp_path / "server"
    app = create_app(make_settings(data_dir, f"sqlite:///{copy_sqlite(sync_template, data_dir)}"))
    yield app
    app.state.engine.dispose()


def _content_type(response) -> str:
    value = response.headers.get("content-type") or [""]
    return value[0] if isinstance(value, list) else value


def _operations(app) -> list:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_server_errors_anywhere(fuzz_app):
    with TestClient(fuzz_app) as client:
        def token() -> str:
            login = client.post("/api/v1/auth/login", json={
                "login": "liuyang", "password": "Demo@2026", "device_id": "fuzz",
                "device_name": "fuzz"})
            return login.json()["access_token"]

        operations = _operations(fuzz_app)
        assert len(operations) >= 20  # the whole API, sync and blobs included
        failures: list[str] = []
        for operation in operations:

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                headers = dict(case.headers or {})
                headers.setdefault("Authorization", f"Bearer {token()}")
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}"
                                    f" {response.text[:200]}")
                elif case.method != "HEAD" and response.status_code >= 400 and _content_type(
                        response).startswith("application/json"):
                    body = response.json()
                    if "code" not in body or "message" not in body:
                        failures.append(f"{case.method} {case.formatted_path}: no code/message")

            check()
    assert not failures, "\n".join(failures[:20])
