"""Two nodes, one city: two `oa-server serve` processes share PostgreSQL and S3-compatible
object storage (moto's server on loopback). A desk pushes an attachment to one node; a desk
waiting on the other is woken through PostgreSQL, pulls from it and downloads the bytes from
it. An upload may move between nodes chunk by chunk; storage that goes away answers 503
`storage_unavailable` and the upload resumes; a wrong hash stores nothing; a desk that does
not see the attachment gets it from neither node."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests

from oa_client.services import records as svc
from oa_server.blob_s3 import S3Backend
from tests.server import postgres
from tests.server.support import free_port
from tests.sync.support import ProcessServer, make_client
from tests.sync.test_live_wait import LONG, Waiter

pytestmark = pytest.mark.postgres
BUCKET = "oa-city-blobs"
PREFIX = "county"
CREDENTIALS = {"aws_access_key_id": "oa-test-key", "aws_secret_access_key": "oa-test-secret"}


class Moto:
    """moto's S3 server on a loopback port; stopped and started again on the same port, it
    keeps its objects (they live in this process)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> Moto:
        """Listen."""
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop listening: the nodes' requests now fail to connect."""
        self.server.stop()

    def client(self):
        """A boto3 client of our own, to look into the bucket."""
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **CREDENTIALS)

    def keys(self, under: str = "") -> list[str]:
        """Every key in the bucket under `PREFIX/under`."""
        found = self.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/{under}")
        return [item["Key"] for item in found.get("Contents", [])]


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[Moto]:
    """The object store, with the nodes' bucket made."""
    s3 = Moto().start()
    s3.client().create_bucket(Bucket=BUCKET)
    yield s3
    s3.stop()


@pytest.fixture(scope="module")
def city_db(pg_admin: str, pg_template: str) -> Iterator[str]:
    """One migrated, demo-seeded database for this module, shared by both nodes."""
    name = postgres.unique_name("oa_city")
    yield postgres.create_database(pg_admin, name, template=pg_template)
    postgres.drop_database(pg_admin, name)


@pytest.fixture(scope="module")
def nodes(city_db, moto_s3, tmp_path_factory) -> Iterator[tuple[ProcessServer, ProcessServer]]:
    """Node a and node b: each its own process and data directory, the same database and
    bucket; nothing joins them but PostgreSQL and S3."""
    env = {"OA_SERVER_BLOB_STORE": f"s3://{BUCKET}/{PREFIX}",
           "OA_SERVER_S3_ENDPOINT_URL": moto_s3.url, "OA_SERVER_S3_REGION": "us-east-1",
           "OA_SERVER_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
           "OA_SERVER_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
           "OA_SERVER_S3_CONNECT_TIMEOUT": "1"}
    root = tmp_path_factory.mktemp("city")
    started = []
    try:
        for name in ("a", "b"):
            data_dir = root / f"node-{name}" / "server"
            data_dir.mkdir(parents=True)
            started.append(ProcessServer(data_dir, city_db, data_dir.parent / "serve.log",
                                         workers=1, env=env).start())
        yield started[0], started[1]
    finally:
        for node in started:
            node.stop()
    for node in started:  # no node put a blob or a spool file on its own disk
        assert not list((node.log.parent / "server").rglob("blobs/*")), node.log.parent
        assert "oa-test-secret" not in node.log.read_text(errors="replace")


def raw(client, node, method: str, path: str, **kwargs) -> requests.Response:
    """One request as `client`'s desk to `node`, answered as it is (no retries)."""
    return requests.request(method, f"{node.url}/api/v1{path}", headers=client.transport._headers(
        kwargs.pop("headers", None)), timeout=30, **kwargs)


def _attachments(client) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in client.store.db.query(
        "SELECT name, id, sha256 FROM attachments WHERE deleted = 0")}


def test_pushed_to_one_node_woken_pulled_and_downloaded_from_the_other(nodes, moto_s3, tmp_path):
    a, b = nodes
    drafter = make_client(a, tmp_path, "liuyang")
    me = make_client(b, tmp_path, "zhengxiaoyan")  # 科长 of the drafter's section
    hw = me.transport.pull(0).high_water
    me.transport.wait(hw, timeout=0)  # b's listening connection is up from here
    waiter = Waiter(me, hw)
    waiter.start()
    body = os.urandom(9 * 1024 * 1024 + 77)  # 10 chunks of 1 MB; joined in two 8 MB parts
    doc = str(uuid.uuid4())
    svc.save(drafter.store, "documents", {"id": doc, "direction": "outgoing",
                                          "title": "城区防汛预案", "body": "见附件"})
    svc.attach(drafter.store, owner_kind="document", owner_id=doc, name="预案全文.pdf", data=body)
    report = drafter.engine.sync()  # uploaded to a, then the records pushed to a
    assert report.uploaded == 1

    assert waiter.done.wait(LONG / 2)  # woken through PostgreSQL well before its timeout
    assert waiter.answer.changed and waiter.answer.high_water > hw
    report = me.engine.sync()  # pulled from b, the bytes downloaded from b
    assert report.downloaded == 1
    att_id, sha = _attachments(me)["预案全文.pdf"]
    assert sha == hashlib.sha256(body).hexdigest()
    assert me.store.blobs.read(att_id) == body
    part = raw(me, b, "GET", f"/blobs/{sha}", headers={"Range": "bytes=1048570-1048585"})
    assert part.status_code == 206 and part.content == body[1048570:1048586]
    assert part.headers["Content-Range"] == f"bytes 1048570-1048585/{len(body)}"
    assert moto_s3.keys() == [f"{PREFIX}/blobs/{sha[:2]}/{sha}"]  # chunks and staging gone
    drafter.close()
    me.close()


def test_an_upload_begun_on_one_node_is_finished_on_the_other(nodes, moto_s3, tmp_path):
    a, b = nodes
    on_a = make_client(a, tmp_path, "liuyang")
    on_b = make_client(b, tmp_path, "liuyang", name="liuyang-b")
    body = os.urandom(3 * 1024 * 1024)
    sha = hashlib.sha256(body).hexdigest()
    state = on_a.transport.upload_start(sha, len(body))
    state = on_a.transport.upload_chunk(state.upload_id, 0, body[:1 << 20])
    state = on_b.transport.upload_chunk(state.upload_id, state.received, body[1 << 20:2 << 20])
    assert on_a.transport.upload_status(state.upload_id).received == 2 << 20
    wrong = raw(on_a, a, "PUT", f"/blobs/uploads/{state.upload_id}", params={"offset": 0},
                data=b"x")
    assert wrong.status_code == 409 and wrong.json()["code"] == "bad_offset"
    on_a.transport.upload_chunk(state.upload_id, 2 << 20, body[2 << 20:])
    assert on_b.transport.upload_finish(state.upload_id).complete
    assert on_a.transport.download(sha) == body  # the uploader reads its own bytes anywhere
    assert on_b.transport.blob_size(sha) == len(body)
    on_a.close()
    on_b.close()


def test_bytes_that_do_not_match_their_hash_are_not_kept(nodes, moto_s3, tmp_path):
    a, b = nodes
    me = make_client(a, tmp_path, "liuyang")
    claimed = hashlib.sha256(b"what I said I would send").hexdigest()
    state = me.transport.upload_start(claimed, 24)
    me.transport.upload_chunk(state.upload_id, 0, b"something else entirely!")
    answer = raw(me, b, "POST", f"/blobs/uploads/{state.upload_id}/finish")
    assert answer.status_code == 422 and answer.json()["code"] == "hash_mismatch"
    assert not moto_s3.keys(f"blobs/{claimed[:2]}/")
    assert not moto_s3.keys(f"uploads/{state.upload_id}/")  # the chunks went too
    assert raw(me, a, "GET", f"/blobs/uploads/{state.upload_id}").status_code == 404
    assert me.transport.blob_size(claimed) is None
    me.close()


def test_storage_out_of_reach_answers_503_and_the_upload_resumes(nodes, moto_s3, tmp_path):
    a, b = nodes
    me = make_client(a, tmp_path, "liuyang")
    body = os.urandom(2 * 1024 * 1024 + 5)
    sha = hashlib.sha256(body).hexdigest()
    state = me.transport.upload_start(sha, len(body))
    me.transport.upload_chunk(state.upload_id, 0, body[:1 << 20])
    moto_s3.stop()
    try:
        for node in (a, b):
            down = raw(me, node, "PUT", f"/blobs/uploads/{state.upload_id}",
                       params={"offset": 1 << 20}, data=body[1 << 20:2 << 20])
            assert down.status_code == 503, down.text
            assert down.json()["code"] == "storage_unavailable" and down.json()["message"]
        assert raw(me, b, "HEAD", f"/blobs/{sha}").status_code == 404  # no row yet: no store asked
    finally:
        moto_s3.start()
    assert me.transport.upload_status(state.upload_id).received == 1 << 20  # nothing moved
    resumed = make_client(b, tmp_path, "liuyang", name="liuyang-resume")
    resumed.transport.upload_chunk(state.upload_id, 1 << 20, body[1 << 20:2 << 20])
    resumed.transport.upload_chunk(state.upload_id, 2 << 20, body[2 << 20:])
    moto_s3.stop()
    try:
        down = raw(me, a, "POST", f"/blobs/uploads/{state.upload_id}/finish")
        assert down.status_code == 503 and down.json()["code"] == "storage_unavailable"
    finally:
        moto_s3.start()
    assert me.transport.upload_finish(state.upload_id).complete  # the chunks were kept
    assert resumed.transport.download(sha) == body
    me.close()
    resumed.close()


def test_a_desk_that_does_not_see_the_attachment_gets_it_from_neither_node(nodes, moto_s3,
                                                                           tmp_path):
    a, b = nodes
    drafter = make_client(a, tmp_path, "liuyang")
    outsiders = [make_client(node, tmp_path, login, name=f"{login}-{node.port}")
                 for node in (a, b) for login in ("chenmeiling", "caiweidong")]
    body = os.urandom(300_000)
    doc = str(uuid.uuid4())
    svc.save(drafter.store, "documents", {"id": doc, "direction": "outgoing",
                                          "title": "草稿：人事调整", "body": "内部"})
    svc.attach(drafter.store, owner_kind="document", owner_id=doc, name="名单.xlsx", data=body)
    drafter.engine.sync()
    sha = hashlib.sha256(body).hexdigest()
    assert moto_s3.keys(f"blobs/{sha[:2]}/{sha}")  # the bytes are in the shared store
    for other in outsiders:
        other.engine.sync()
        assert "名单.xlsx" not in _attachments(other)
        assert other.transport.blob_size(sha) is None
        got = raw(other, a if other.transport.base_url == a.url else b, "GET", f"/blobs/{sha}")
        assert got.status_code == 404 and got.json()["code"] == "not_found"
        ranged = raw(other, b, "GET", f"/blobs/{sha}", headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 404 and body[:10] not in ranged.content
        # uploading the same bytes makes an upload of their own, not a "you have it" answer
        assert not other.transport.upload_start(sha, len(body)).complete
        other.close()
    drafter.close()


def test_keys_and_ranges_of_the_s3_backend(moto_s3):
    """The backend alone (the same class the nodes use) against the same server."""
    backend = S3Backend(moto_s3.client(), bucket=BUCKET, prefix="unit")
    data = bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()
    backend.spool_write("u1", offset=0, data=data[:4000])
    backend.spool_write("u1", offset=4000, data=data[4000:])
    assert not backend.has(sha)
    assert backend.spool_commit("u1", sha256=sha, size=len(data))
    assert backend.has(sha)
    assert b"".join(backend.open_range(sha, start=10, stop=5000)) == data[10:5000]
    backend.spool_write("u2", offset=0, data=data[:100])  # a gap: chunk at 100 never came
    backend.spool_write("u2", offset=200, data=data[200:])
    assert not backend.spool_commit("u2", sha256=sha, size=len(data))
    assert moto_s3.client().list_objects_v2(Bucket=BUCKET, Prefix="unit/uploads/").get(
        "KeyCount") == 0
