"""Attachments: inline when small, AES-GCM chunked files when large; tampering is caught."""

from __future__ import annotations

import hashlib
import io

import pytest

from oa_client.errors import NotFoundError, StoreError, ValidationError
from oa_client.store.blobs import CHUNK, decrypt_stream, encrypt_stream
from tests.support.store_helpers import open_profile


@pytest.fixture
def store(tmp_path, file_keyring):
    s = open_profile(tmp_path / "p", file_keyring)
    s.blobs.inline_limit = 64 * 1024  # small threshold keeps the test fast
    yield s
    s.close()


def _big(n: int = 3 * CHUNK + 123) -> bytes:
    return hashlib.sha256(b"seed").digest() * (n // 32) + b"tail"


def test_small_attachment_stays_inside_the_database(store):
    aid, changes = store.blobs.put(owner_kind="document", owner_id="d1", name="意见.txt", data=b"ok")
    assert changes.collections == {"attachments"}
    assert store.blobs.read(aid) == b"ok"
    assert not store.profile.blob_dir.exists() or not list(store.profile.blob_dir.iterdir())


def test_large_attachment_is_an_encrypted_file_and_round_trips(store):
    data = _big()
    aid, _ = store.blobs.put(owner_kind="document", owner_id="d1", name="附件.pdf",
                             data=io.BytesIO(data))
    files = list(store.profile.blob_dir.iterdir())
    assert len(files) == 1
    assert data[:4096] not in files[0].read_bytes()
    assert hashlib.sha256(data).hexdigest() not in files[0].name  # keyed name, not the hash
    assert store.blobs.read(aid) == data


def test_same_content_shares_one_file_and_both_open(store):
    data = _big()
    a1, _ = store.blobs.put(owner_kind="document", owner_id="d1", name="a.pdf", data=data)
    a2, _ = store.blobs.put(owner_kind="document", owner_id="d2", name="b.pdf", data=data)
    assert len(list(store.profile.blob_dir.iterdir())) == 1
    assert store.blobs.read(a1) == data and store.blobs.read(a2) == data
    store.blobs.delete(a1)
    assert store.blobs.read(a2) == data  # the shared file is kept for the other one
    store.blobs.delete(a2)
    assert list(store.profile.blob_dir.iterdir()) == []
    with pytest.raises(NotFoundError):
        store.blobs.read(a2)


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_chunk", "swap_chunks", "append"])
def test_altered_file_is_refused(store, damage):
    data = _big()
    aid, _ = store.blobs.put(owner_kind="document", owner_id="d1", name="x.pdf", data=data)
    f = next(store.profile.blob_dir.iterdir())
    raw = bytearray(f.read_bytes())
    header, sealed = 16, CHUNK + 16
    if damage == "flip":
        raw[header + 100] ^= 1
    elif damage == "truncate":
        raw = raw[: header + sealed * 2]
    elif damage == "drop_chunk":
        raw = raw[:header] + raw[header + sealed :]
    elif damage == "swap_chunks":
        c0 = raw[header : header + sealed]
        c1 = raw[header + sealed : header + 2 * sealed]
        raw[header : header + 2 * sealed] = c1 + c0
    else:
        raw += b"\x00" * 40
    f.write_bytes(bytes(raw))
    with pytest.raises(StoreError) as err:
        store.blobs.read(aid)
    assert err.value.kind == "corrupt_blob"
    assert "已损坏" in err.value.message


def test_missing_file_is_a_clear_error(store):
    aid, _ = store.blobs.put(owner_kind="document", owner_id="d1", name="x.pdf", data=_big())
    next(store.profile.blob_dir.iterdir()).unlink()
    with pytest.raises(StoreError) as err:
        store.blobs.read(aid)
    assert err.value.kind == "missing_blob"


@pytest.mark.parametrize("name", ["", "a/b.pdf", "..\\x", "长" * 300])
def test_bad_attachment_names(store, name):
    with pytest.raises(ValidationError):
        store.blobs.put(owner_kind="document", owner_id="d1", name=name, data=b"x")
    assert store.records.counts()["attachments"] == 0


def test_stream_format_round_trip_for_edge_sizes():
    key = bytes(32)
    for n in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK):
        data = bytes(range(256)) * (n // 256) + bytes(n % 256)
        out = io.BytesIO()
        size, _sha = encrypt_stream(io.BytesIO(data), out, key)
        assert size == len(data)
        assert b"".join(decrypt_stream(io.BytesIO(out.getvalue()), key)) == data
    with pytest.raises(StoreError):
        list(decrypt_stream(io.BytesIO(out.getvalue()), bytes([1]) * 32))
