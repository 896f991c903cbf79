"""The auditor's checkpoints kept in the encrypted profile: every one seen stays (across a
restart), newest sequence known, and a checkpoint the server later tells differently is
refused — that is how a rewritten audit chain shows."""

from __future__ import annotations

import pytest

from oa_client.errors import ValidationError
from oa_client.services import audit_checkpoints as checkpoints
from oa_client.services import policy
from oa_client.store.wipe import wipe
from tests.support.store_helpers import open_profile


def _cp(seq: int, head: str = "a") -> dict:
    return {"seq": seq, "head_hash": head * 64, "at": f"2026-11-2{seq % 10}T08:00:00+00:00",
            "signature": f"sig-{seq}", "key_id": "k1"}


def test_checkpoints_are_kept_and_a_changed_one_is_refused(tmp_path, file_keyring):
    store = open_profile(tmp_path / "p", file_keyring)
    assert checkpoints.latest_seq(store) == 0 and checkpoints.held(store) == []
    assert checkpoints.remember(store, [_cp(120), _cp(80)]) == 2
    assert checkpoints.remember(store, [_cp(120), _cp(200)]) == 1  # 120 again: nothing new
    store.close()
    store = open_profile(tmp_path / "p", file_keyring)  # kept across a restart
    assert [c["seq"] for c in checkpoints.held(store)] == [80, 120, 200]
    assert checkpoints.held(store)[0] == _cp(80)
    assert checkpoints.latest_seq(store) == 200
    with pytest.raises(ValidationError) as info:
        checkpoints.remember(store, [_cp(300), _cp(120, head="b")])
    assert info.value.field == "checkpoint" and info.value.seq == 120
    assert "第 120 号检查点" in info.value.message
    assert checkpoints.latest_seq(store) == 200  # nothing of that answer was kept
    store.close()


def test_the_policy_is_kept_for_offline_starts_and_the_wipe_leaves_nothing(tmp_path,
                                                                            file_keyring):
    store = open_profile(tmp_path / "p", file_keyring, server_url="https://oa.example",
                         username="liuyang")
    assert policy.load(store) == policy.Policy()  # the defaults before the first one arrived
    kept = policy.save(store, {"idle_lock_minutes": 5, "watermark": False,
                               "rules": ["至少 8 位"]})
    assert kept == policy.Policy(5, False, ("至少 8 位",), True) == policy.load(store)
    path, profile_id = store.profile.path, store.profile.profile_id
    file_keyring.set_password("zhengwu-oa-client", f"{profile_id}:refresh", "token")
    wipe(store, backend=file_keyring)
    assert not path.exists()
    assert file_keyring.get_password("zhengwu-oa-client", profile_id) is None
    assert file_keyring.get_password("zhengwu-oa-client", f"{profile_id}:refresh") is None
