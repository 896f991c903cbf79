"""Nothing readable on disk: raw bytes of every file in the profile hold no known plaintext."""

from __future__ import annotations

import logging
from pathlib import Path

from oa_client.logsetup import setup_logging
from tests.support.store_helpers import open_profile, sample_document

SECRETS = [
    "关于印发普宁市数字政府改革建设规划的通知",
    "市政务服务数据管理局反映",
    "各乡镇人民政府",
    "CONFIDENTIAL-ASCII-MARKER-42",
    "zhangsan@puning.gov.cn",
    "同意，请办公室抓紧落实",
]


def _encodings(text: str) -> list[bytes]:
    out = [text.encode("utf-8"), text.encode("utf-16-le")]
    try:
        out.append(text.encode("gb18030"))
    except UnicodeEncodeError:
        pass
    return out


def _scan(root: Path) -> list[str]:
    leaks = []
    for f in root.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            for s in SECRETS:
                for enc in _encodings(s):
                    # short fragments too: the first 6 bytes of each encoding
                    if enc in raw or enc[:12] in raw:
                        leaks.append(f"{f.name}: {s}")
    return leaks


def test_database_wal_and_attachments_hold_no_plaintext(tmp_path, file_keyring):
    profile = tmp_path / "p"
    store = open_profile(profile, file_keyring)
    handler = setup_logging(store.profile.log_dir)
    try:
        body = "。".join(SECRETS) * 50
        store.records.write(
            "documents",
            [sample_document(SECRETS[0], body, doc_number="普府〔2022〕12号") for _ in range(30)],
        )
        doc_id = store.records.list("documents", limit=1)[0]["id"]
        store.records.write(
            "document_events",
            [{"document_id": doc_id, "step": "sign_off", "action": "approve", "opinion": SECRETS[5]}],
        )
        small = ("附件：" + "；".join(SECRETS)).encode("utf-8") * 10
        big = (("附件正文 " + " ".join(SECRETS)) * 40_000).encode("utf-8")  # > 4 MB: a file
        store.blobs.put(owner_kind="document", owner_id=doc_id, name="小附件.txt", data=small)
        big_id, _ = store.blobs.put(owner_kind="document", owner_id=doc_id, name="大附件.txt", data=big)
        assert store.blobs.read(big_id) == big
        assert store.search("数字政府改革")
        logging.getLogger("oa_client.test").info("opened document %s", doc_id)
        # look while the WAL still holds the pages, and again after checkpoint
        assert list(store.profile.blob_dir.iterdir())
        assert _scan(profile) == []
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        store.close()
    assert _scan(profile) == []


def test_scanner_finds_plaintext_when_it_is_there(tmp_path):
    # the check above proves nothing unless the scanner can see a leak
    (tmp_path / "leak.bin").write_bytes(b"xx" + SECRETS[1].encode("utf-16-le") + b"yy")
    assert _scan(tmp_path)


def test_log_redacts_secrets(tmp_path):
    handler = setup_logging(tmp_path / "logs")
    try:
        logging.getLogger("oa_client.test").warning("login failed password=hunter2 token: abc.def")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = (tmp_path / "logs" / "client.log").read_text(encoding="utf-8")
    assert "hunter2" not in text and "abc.def" not in text
    assert "password=***" in text
