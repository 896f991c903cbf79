"""Schemathesis over the whole OpenAPI of the server: generated requests never get a 5xx.

Every operation is called with a signed-in business user's token: one kept while it
works, a fresh one for each example of an operation that may end the sign-in (/auth, /me:
sign-out, password, devices) and after any 401, so an example that signs out does not
starve the rest. OA_FUZZ_EXAMPLES sets the examples per operation (default 25); the examples
are the same on every run (the suite is green or red on any day alike) unless
OA_HYPOTHESIS_RANDOM=1 asks for new ones, as a longer search before a release does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from oa_server.main import create_app
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.server.support import copy_sqlite, make_settings

EXAMPLES = int(os.environ.get("OA_FUZZ_EXAMPLES", "25"))
#: who calls what: the administrators' endpoints by the administrator who may use them (a
#: business user would be stopped at the role check), the rest by a business user
SIGN_IN_AS = (("/roles", "sunyue"), ("/security-policy", "sunyue"), ("/replace", "sunyue"),
              ("/admin/", "huangwei"), ("/jobs", "huangwei"), ("/seals/", "huangwei"),
              ("/catalogue/import", "huangwei"), ("/requests/sweep", "huangwei"),
              ("/audit", "hexiaoqin"))


@pytest.fixture
def fuzz_app(sync_template: Path, tmp_path: Path):
    data_dir = tmp_path / "server"
    app = create_app(make_settings(data_dir, f"sqlite:///{copy_sqlite(sync_template, data_dir)}"))
    yield app
    app.state.engine.dispose()


def _content_type(response) -> str:
    value = response.headers.get("content-type") or [""]
    return value[0] if isinstance(value, list) else value


def _short(timeout: object) -> object:
    """A generated long-poll timeout, at most a second (a longer one would outwait the test
    client); what is not a number is left for the server to refuse."""
    try:
        return timeout if float(str(timeout)) <= 1 else 0.1
    except ValueError:
        return 0.1 if timeout is None else timeout


def _operations(app) -> list:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_server_errors_anywhere(fuzz_app):
    with TestClient(fuzz_app) as client:
        kept: dict[str, str] = {}

        def token(login: str, fresh: bool) -> str:
            if fresh or login not in kept:
                answer = client.post("/api/v1/auth/login", json={
                    "login": login, "password": "Demo@2026", "device_id": f"fuzz-{login}",
                    "device_name": "fuzz"})
                kept[login] = answer.json()["access_token"]
            return kept[login]

        operations = _operations(fuzz_app)
        assert len(operations) >= 20  # the whole API, sync and blobs included
        failures: list[str] = []
        for operation in operations:

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                # the generated Authorization and protocol headers (garbage) would stop nearly
                # every example at the sign-in or version check, never reaching the endpoint
                ends_sign_in = "/auth/" in case.path or "/me" in case.path
                login = next((who for where, who in SIGN_IN_AS if where in case.path), "liuyang")
                headers = {**(case.headers or {}), PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                           "Authorization": f"Bearer {token(login, ends_sign_in)}"}
                if case.path.endswith("/sync/wait"):  # a long-poll: answered within a second
                    case.query = {**(case.query or {}), "timeout": _short(
                        (case.query or {}).get("timeout"))}
                response = case.call(headers=headers)
                if response.status_code == 401 or ends_sign_in:
                    kept.pop(login, None)  # the next example signs in again
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
