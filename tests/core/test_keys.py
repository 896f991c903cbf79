"""Profile keys: every keyring and key case has a clear Chinese error and loses nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keyring.backends.fail
import pytest

from oa_client.errors import KeyUnavailable, StoreError
from oa_client.store import keys
from oa_client.store.db import Database
from oa_client.store.local import open_store
from tests.support.file_keyring import FileKeyring
from tests.support.store_helpers import open_profile, sample_document


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_profile(path: Path, kr) -> str:
    store = open_profile(path, kr, username="zhangsan", server_url="https://oa.example.gov.cn")
    store.records.write("documents", [sample_document("关于报送统计数据的通知", "请按时报送。")])
    pid = store.profile.profile_id
    store.close()
    return pid


def test_new_profile_mints_a_key_and_reopens(tmp_path, file_keyring):
    pid = _make_profile(tmp_path / "p", file_keyring)
    entry = file_keyring.get_password(keys.SERVICE, pid)
    assert entry and len(bytes.fromhex(entry)) == 32
    store = open_profile(tmp_path / "p", file_keyring)
    assert store.records.count("documents") == 1
    assert json.loads((tmp_path / "p" / "profile.json").read_text())["key_source"] == "keyring"
    store.close()


def test_missing_entry_with_existing_database_refuses_and_never_overwrites(tmp_path, file_keyring):
    pid = _make_profile(tmp_path / "p", file_keyring)
    before = _digest(tmp_path / "p" / "oa.db")
    file_keyring.delete_password(keys.SERVICE, pid)
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "no_entry"
    assert "不会新建密钥" in err.value.message
    assert file_keyring.get_password(keys.SERVICE, pid) is None  # no key minted
    assert _digest(tmp_path / "p" / "oa.db") == before


def test_locked_keyring_on_existing_profile_never_mints(tmp_path, file_keyring):
    pid = _make_profile(tmp_path / "p", file_keyring)
    entry = file_keyring.get_password(keys.SERVICE, pid)
    file_keyring.mode = "locked"
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "locked"
    assert "解锁" in err.value.message
    assert err.value.can_use_passphrase is False
    file_keyring.mode = "ok"
    assert file_keyring.get_password(keys.SERVICE, pid) == entry  # untouched
    open_profile(tmp_path / "p", file_keyring).close()  # unlocking is enough


def test_locked_keyring_on_new_profile_offers_the_passphrase_path(tmp_path, file_keyring):
    file_keyring.mode = "locked"
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "locked" and err.value.can_use_passphrase is True
    assert "口令" in err.value.message
    store = open_profile(tmp_path / "p", file_keyring, passphrase="县政府办 2026!")
    store.records.write("documents", [sample_document("口令保护", "正文")])
    store.close()
    profile = json.loads((tmp_path / "p" / "profile.json").read_text())
    assert profile["key_source"] == "passphrase" and profile["kdf"]["algorithm"] == "argon2id"
    assert "县政府办" not in (tmp_path / "p" / "profile.json").read_text()  # no secret kept
    store = open_profile(tmp_path / "p", file_keyring, passphrase="县政府办 2026!")
    assert store.records.count("documents") == 1
    store.close()


def test_no_keyring_at_all_uses_a_passphrase(tmp_path):
    none = keyring.backends.fail.Keyring()
    with pytest.raises(KeyUnavailable) as err:
        open_store(tmp_path / "p", keyring_backend=none)
    assert err.value.reason == "no_keyring" and err.value.can_use_passphrase
    assert "没有可用的系统密钥环" in err.value.message
    open_store(tmp_path / "p", keyring_backend=none, passphrase="mima-1234").close()
    with pytest.raises(KeyUnavailable) as err:
        open_store(tmp_path / "p", keyring_backend=none)
    assert err.value.reason == "passphrase_required"
    with pytest.raises(KeyUnavailable) as err:
        open_store(tmp_path / "p", keyring_backend=none, passphrase="wrong")
    assert err.value.reason == "wrong_passphrase" and "口令不正确" in err.value.message


def test_broken_keyring_is_unavailable_not_missing(tmp_path, file_keyring):
    _make_profile(tmp_path / "p", file_keyring)
    file_keyring.mode = "broken"
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "unavailable"


def test_wrong_key_is_key_unavailable_not_file_is_not_a_database(tmp_path, file_keyring):
    pid = _make_profile(tmp_path / "p", file_keyring)
    file_keyring.set_password(keys.SERVICE, pid, "ab" * 32)
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "wrong_key"
    assert "not a database" not in str(err.value)
    assert "密钥与本机数据不匹配" in str(err.value)


def test_damaged_keyring_entry(tmp_path, file_keyring):
    pid = _make_profile(tmp_path / "p", file_keyring)
    file_keyring.set_password(keys.SERVICE, pid, "not-hex")
    with pytest.raises(KeyUnavailable) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.reason == "corrupt_entry"


def test_database_from_a_newer_version_is_refused_and_left_alone(tmp_path, file_keyring):
    _make_profile(tmp_path / "p", file_keyring)
    store = open_profile(tmp_path / "p", file_keyring)
    store.db.conn.execute("PRAGMA user_version = 42")
    store.close()
    before = _digest(tmp_path / "p" / "oa.db")
    with pytest.raises(StoreError) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.kind == "schema_too_new" and err.value.found == 42
    assert "42" in err.value.message and "请升级客户端" in err.value.message
    assert _digest(tmp_path / "p" / "oa.db") == before


def test_database_without_profile_file_is_not_overwritten(tmp_path, file_keyring):
    _make_profile(tmp_path / "p", file_keyring)
    (tmp_path / "p" / "profile.json").unlink()
    with pytest.raises(StoreError) as err:
        open_profile(tmp_path / "p", file_keyring)
    assert err.value.kind == "corrupt"


def test_plain_open_of_encrypted_file_fails(tmp_path, file_keyring):
    _make_profile(tmp_path / "p", file_keyring)
    with pytest.raises(KeyUnavailable):
        Database(tmp_path / "p" / "oa.db", b"", plain=True)


def test_error_messages_switch_to_english(tmp_path):
    from oa_client import i18n

    none = keyring.backends.fail.Keyring()
    i18n.set_language("en")
    try:
        with pytest.raises(KeyUnavailable) as err:
            open_store(tmp_path / "p", keyring_backend=none)
        assert "keyring" in err.value.message.lower()
    finally:
        i18n.set_language("zh_CN")


def test_file_keyring_is_a_real_backend(tmp_path):
    kr = FileKeyring(tmp_path)
    kr.set_password("s", "u", "v")
    assert FileKeyring(tmp_path).get_password("s", "u") == "v"


def test_explicit_only_keyrings_are_never_chosen_automatically():
    import keyring.backend

    from oa_client.store.keys import MemoryKeyring

    chosen = {type(k).__name__ for k in keyring.backend.get_all_keyring()}
    assert "MemoryKeyring" not in chosen and "FileKeyring" not in chosen
    kr = MemoryKeyring()  # still works when handed over explicitly
    kr.set_password("s", "u", "v")
    assert kr.get_password("s", "u") == "v"
