"""Sync bodies in zstd where both ends read it, gzip otherwise (sync.protocol, oa_server.api.codings):
every answer names what the server reads in a request body (RFC 7694); a desk sends zstd only
to a server whose last answer named it, and a body a server turns out not to read (an older
node behind the same address) goes again in gzip. Bad bodies get a JSON error with a code."""

from __future__ import annotations

import json
import threading

import pytest
import requests
from requests.adapters import HTTPAdapter

from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_client.services import records as svc
from oa_server.api import codings as server_codings
from oa_server.api.routes import sync as sync_routes
from sync import protocol
from sync.engine import SyncReport
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.sync.support import live_records, make_client


class Recording(HTTPAdapter):
    """The real network, noting each request's path and body coding and the answer's."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None, int, str | None]] = []

    def send(self, request, **kwargs):
        resp = super().send(request, **kwargs)
        self.seen.append((request.path_url.split("?")[0].removeprefix("/api/v1"),
                          request.headers.get("Content-Encoding"), resp.status_code,
                          resp.headers.get("Content-Encoding")))
        return resp

    def of(self, path: str) -> list[tuple[str | None, int, str | None]]:
        """(request coding, status, answer coding) of each request to `path`."""
        return [seen[1:] for seen in self.seen if seen[0] == path]


def desk(server, tmp_path, login: str):
    client = make_client(server, tmp_path, login)
    wire = Recording()
    client.transport.http.mount("http://", wire)
    return client, wire


def drafts(client, prefix: str, n: int = 30) -> list[str]:
    ids = [f"{prefix}-{i:02d}" for i in range(n)]
    for i, rid in enumerate(ids):
        svc.save(client.store, "documents", {"id": rid, "direction": "outgoing", "doc_kind": "通知",
                                             "title": f"关于做好第{i}批防汛物资储备工作的通知",
                                             "body": "各乡镇人民政府：" + "请按要求做好准备。" * 20})
    return ids


def call(server, token: str, path: str, body: bytes, coding: str) -> requests.Response:
    return requests.post(server.url + "/api/v1" + path, data=body, timeout=30, headers={
        "Authorization": f"Bearer {token}", PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        "Content-Type": "application/json", "Content-Encoding": coding})


def push_body(client) -> bytes:
    return b'{"device_id": "%s", "ops": []}' % client.store.device_id().encode()


@pytest.fixture
def older_node(monkeypatch):
    """Make the test server an older node: it reads no zstd and names only gzip."""
    def older() -> None:
        monkeypatch.setattr(server_codings, "READ_CODINGS", ("gzip",))
        monkeypatch.setattr(server_codings, "READS", b"gzip")
    return older


@pytest.mark.parametrize("header, codings", [
    ("zstd, gzip", ("zstd", "gzip")),
    ("GZIP ,zstd;q=0.5", ("gzip", "zstd")),
    ("zstd;q=0, gzip", ("gzip",)),
    ("zstd; q=0.000", ()),
    ("zstd;q=0., gzip;Q = 0", ()),  # RFC 9110's qvalue: "0" ["." 0*3DIGIT]
    ("zstd;q=0.001", ("zstd",)),
    ("", ()),
    (None, ()),
])
def test_accept_encoding_is_read_with_refusals_left_out(header, codings):
    assert protocol.accepted(header) == codings


def test_every_answer_names_what_the_server_reads(server):
    health = requests.get(server.url + "/api/v1/health", timeout=10)
    refused = requests.get(server.url + "/api/v1/sync/pull", timeout=10,
                           headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)})
    assert refused.status_code == 401
    for answer in (health, refused):
        assert protocol.accepted(answer.headers["Accept-Encoding"]) == ("zstd", "gzip")


def test_a_desk_pushes_and_pulls_in_zstd_once_the_server_names_it(server, tmp_path):
    a, wire = desk(server, tmp_path, "liuyang")
    assert a.transport.server_codings == ("zstd", "gzip")  # learnt from the sign-in's answer
    ids = drafts(a, "zs")
    a.engine.sync()
    pushes = wire.of("/sync/push")
    assert pushes and all(coding == "zstd" and status == 200 for coding, status, _a in pushes)
    # a colleague who sees the drafts pulls them in zstd and reads what was pushed
    chief, chief_wire = desk(server, tmp_path, "zhengxiaoyan")
    chief.engine.pull(SyncReport())
    assert set(ids) <= set(live_records(chief.store))
    assert live_records(chief.store)[ids[3]][1]["title"] == "关于做好第3批防汛物资储备工作的通知"
    assert ("zstd" in {answer for _c, _s, answer in chief_wire.of("/sync/pull")})
    a.close()
    chief.close()


def test_a_push_to_a_server_that_no_longer_reads_zstd_goes_again_in_gzip(
        server, tmp_path, older_node):
    a, wire = desk(server, tmp_path, "liuyang")
    assert "zstd" in a.transport.server_codings
    ids = drafts(a, "old")
    older_node()  # the next request reaches a node that does not read zstd
    report = a.engine.sync()
    assert report.applied == len(ids)
    first, second = wire.of("/sync/push")[:2]
    assert first[:2] == ("zstd", 415) and second[:2] == ("gzip", 200)
    assert a.transport.server_codings == ("gzip",)
    assert all(rev > 0 for rev, _data in live_records(a.store).values())
    a.close()


def test_a_push_to_an_old_server_that_read_any_coding_as_json_goes_again_in_gzip(
        server, tmp_path, monkeypatch):
    a, wire = desk(server, tmp_path, "liuyang")
    ids = drafts(a, "older")
    # a server from before zstd: it named nothing and read a body that was not gzip as JSON
    monkeypatch.setattr(server_codings, "READS", b"")
    old = sync_routes.decode_body
    monkeypatch.setattr(sync_routes, "decode_body", lambda raw, coding, *, limit: old(
        raw, coding if coding.lower() == "gzip" else "", limit=limit))
    report = a.engine.sync()
    assert report.applied == len(ids)
    first, second = wire.of("/sync/push")[:2]
    assert first[:2] == ("zstd", 422) and second[:2] == ("gzip", 200)
    a.close()


def test_a_desk_without_zstd_sends_and_asks_for_gzip(server, tmp_path, monkeypatch):
    monkeypatch.setattr(protocol, "CODINGS", ("gzip",))  # a platform without the wheel
    a, wire = desk(server, tmp_path, "liuyang")
    drafts(a, "gz")
    a.engine.sync()
    assert {(coding, status) for coding, status, _a in wire.of("/sync/push")} == {("gzip", 200)}
    assert {answer for _c, _s, answer in wire.of("/sync/pull")} <= {"gzip", None}
    a.close()


def test_a_zstd_body_a_server_reads_is_applied_and_bad_ones_are_clear_errors(server, tmp_path):
    a, _wire = desk(server, tmp_path, "liuyang")
    token, body = a.transport.access_token, push_body(a)
    ok = call(server, token, "/sync/push", protocol.compress(body, "zstd"), "zstd")
    assert ok.status_code == 200 and ok.json()["results"] == []
    framed = protocol.compress(body, "zstd")
    for bad, why in ((b"not zstd at all", "garbage"), (framed[:-4], "cut short"),
                     (framed + framed, "two frames")):
        r = call(server, token, "/sync/push", bad, "zstd")
        assert r.status_code == 422, why
        assert r.json()["code"] == "validation" and r.json()["field"] == "body", why
        assert "zstd" in r.json()["message"], why
    r = call(server, token, "/sync/push", body, "br")
    assert r.status_code == 415 and r.json()["code"] == "unsupported_encoding"
    assert "br" in r.json()["message"]
    assert protocol.accepted(r.headers["Accept-Encoding"]) == ("zstd", "gzip")
    a.close()


def test_a_zstd_bomb_is_413_and_other_desks_are_still_answered(server, tmp_path):
    # 256 MB of zeros in a few KB: decoded only up to the body limit (10 MB), off the loop
    bomb = protocol.compress(b"\0" * (256 * 1024 * 1024), "zstd")
    assert len(bomb) < 64 * 1024
    a, _wire = desk(server, tmp_path, "liuyang")
    other, _other_wire = desk(server, tmp_path, "zhengxiaoyan")
    answers: list[tuple[int, str]] = []
    pulls: list[int] = []

    def bombs() -> None:
        for _ in range(4):
            r = call(server, a.transport.access_token, "/sync/push", bomb, "zstd")
            answers.append((r.status_code, r.json()["code"]))

    t = threading.Thread(target=bombs)
    t.start()
    while t.is_alive():
        pulls.append(len(other.transport.pull(0, limit=50).changes))
    t.join()
    assert answers == [(413, "payload_too_large")] * 4
    assert pulls
    a.close()
    other.close()


def test_the_catalogue_import_reads_a_zstd_body_too(server, tmp_path):
    # the other endpoint that reads a compressed JSON body (read_json_body): the 系统管理员
    # imports the starter catalogue in zstd, as the desk client would send it
    admin, wire = desk(server, tmp_path, "huangwei")
    r = admin.transport.request("POST", "/catalogue/import", json_body=json.loads(
        STARTER_CATALOGUE.read_text(encoding="utf-8")))
    assert wire.of("/catalogue/import") == [("zstd", 200, None)]
    assert r.json() and sum(r.json().values()) > 0
    r = call(server, admin.transport.access_token, "/catalogue/import", b"[]", "br")
    assert r.status_code == 415 and r.json()["code"] == "unsupported_encoding"
    admin.close()
