"""An insider at the HTTP API: a `requests` session signed in as one person, optionally
from another loopback source address (127.0.0.2), as the attack tests use it."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.support import PASSWORD


class SourceAdapter(HTTPAdapter):
    """Connections bound to a chosen local address: a second machine on the loopback."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Api:
    """Calls under /api/v1 with the bearer token of the last sign-in."""

    def __init__(self, base_url: str, *, source: str | None = None, device: str = "pc-1",
                 device_name: str = "办公电脑") -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        if source is not None:
            self.http.mount("http://", SourceAdapter(source))
        self.device, self.device_name = device, device_name
        self.token: str | None = None
        self.signed_in: dict[str, Any] = {}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; JSON bodies as `json=`."""
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), **kwargs.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET."""
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST."""
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT."""
        return self.call("PUT", path, **kwargs)

    def login(self, login: str, password: str = PASSWORD) -> requests.Response:
        """POST /auth/login; on 200 the token is kept for the next calls."""
        resp = self.http.post(self.base + "/auth/login", timeout=30, json={
            "login": login, "password": password, "device_id": self.device,
            "device_name": self.device_name})
        if resp.status_code == 200:
            self.signed_in = resp.json()
            self.token = self.signed_in["access_token"]
        return resp


def signed_in(base_url: str, login: str, password: str = PASSWORD, **kwargs: Any) -> Api:
    """An Api signed in as `login` (the sign-in must succeed)."""
    api = Api(base_url, **kwargs)
    resp = api.login(login, password)
    assert resp.status_code == 200, resp.text
    return api


def user_ids(admin: Api) -> dict[str, str]:
    """login → id from the account list (an administrator's view)."""
    resp = admin.get("/admin/users")
    assert resp.status_code == 200, resp.text
    return {u["login"]: u["id"] for u in resp.json()}
