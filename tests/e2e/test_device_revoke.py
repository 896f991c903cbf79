"""A revoked device end to end: the server over HTTP, a real encrypted client profile with
its key and refresh token in a (file) keyring. Revoking ends the device's tokens; at its
next contact the client pushes what it may still push (when allowed), says goodbye and
removes its profile — database, attachment files, keyring entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from oa_client.errors import SyncError
from oa_client.services import documents as docs
from oa_client.store.keys import SERVICE
from oa_client.store.local import open_store
from oa_client.store.wipe import wipe
from sync import account
from sync.engine import SyncEngine
from sync.org import fetch_org
from sync.transport import KeyringTokenStore, Transport
from tests.e2e.admin_api import Api, signed_in
from tests.support.file_keyring import FileKeyring
from tests.sync.support import PASSWORD, LiveServer

TITLE = "关于报送防汛物资储备情况的通知（离线起草）"


def _desk(server: LiveServer, root: Path, keyring: FileKeyring):
    """刘洋's desk: an encrypted profile, a transport keeping its refresh token in the keyring."""
    store = open_store(root / "profile", keyring_backend=keyring, server_url=server.url,
                       username="liuyang")
    transport = Transport(server.url, device_id=store.device_id(), device_name="刘洋的笔记本",
                          tokens=KeyringTokenStore(store.profile.profile_id, backend=keyring),
                          sleep=lambda s: None)
    transport.login("liuyang", PASSWORD)
    fetch_org(store, transport)
    SyncEngine(store, transport).sync()
    return store, transport


def _draft_offline(store, transport) -> str:
    """A draft saved on the desk and not yet pushed (the outbox holds it)."""
    city = next(u["id"] for u in store.records.list("units", limit=1000)
                if u["name"] == "普宁市人民政府")
    doc_id, _changes = docs.compose(store, me=transport.user, fields={
        "doc_kind": "通知", "title": TITLE, "main_to": [city], "body": "各单位：请于本周内报送。",
        "issuer_name": "普宁市人民政府办公室"})
    assert store.records.pending_ops() == 1
    return doc_id


def _revoke(server: LiveServer, device_id: str, *, final_push: bool) -> None:
    admin = signed_in(server.url, "huangwei")
    device = next(d for d in admin.get("/admin/devices").json() if d["device_id"] == device_id)
    resp = admin.post(f"/admin/devices/{device['id']}/revoke", json={"final_push": final_push})
    assert resp.status_code == 204, resp.text


def _server_titles(server: LiveServer) -> set[str]:
    with server.session() as session:
        from oa_server.sync_models import SyncRecord

        rows = session.query(SyncRecord.data).filter(SyncRecord.collection == "documents").all()
    return {r[0] for r in rows if TITLE in r[0]}


def test_revoked_device_pushes_what_it_holds_then_wipes_its_profile(server, tmp_path):
    keyring = FileKeyring(tmp_path)
    store, transport = _desk(server, tmp_path, keyring)
    profile = store.profile
    _draft_offline(store, transport)
    assert keyring.get_password(SERVICE, profile.profile_id)
    assert keyring.get_password(SERVICE, f"{profile.profile_id}:refresh")
    _revoke(server, transport.device_id, final_push=True)

    # the next sync is refused: this device is revoked, a last push allowed
    with pytest.raises(SyncError) as info:
        SyncEngine(store, transport).sync()
    refused = info.value
    assert refused.kind == "revoked" and refused.final_push is True
    assert "系统管理员已停用这台电脑" in refused.message
    # the sync's own push went through (a farewell may push); the goodbye pushes the rest
    report = account.farewell(store, transport, final_push=True)
    assert (report.rejected, report.conflicts) == (0, 0)
    assert store.records.pending_ops() == 0
    assert len(_server_titles(server)) == 1  # the offline draft reached the server
    wipe(store, backend=keyring)
    assert not profile.path.exists()
    assert keyring.get_password(SERVICE, profile.profile_id) is None
    assert keyring.get_password(SERVICE, f"{profile.profile_id}:refresh") is None

    # the device stays revoked: its id signs in no more; a new profile (new device) does
    again = Api(server.url, device=transport.device_id)
    answer = again.login("liuyang")
    assert answer.status_code == 401 and answer.json()["code"] == "device_revoked"
    assert Api(server.url, device="a-new-device").login("liuyang").status_code == 200
    admin = signed_in(server.url, "huangwei")
    gone = next(d for d in admin.get("/admin/devices").json()
                if d["device_id"] == transport.device_id)
    assert gone["revoked_at"] and gone["wiped_at"] and gone["open_sessions"] == 0


def test_revoked_without_a_last_push_wipes_at_once(server, tmp_path):
    keyring = FileKeyring(tmp_path)
    store, transport = _desk(server, tmp_path, keyring)
    _draft_offline(store, transport)
    _revoke(server, transport.device_id, final_push=False)
    with pytest.raises(SyncError) as info:
        SyncEngine(store, transport).sync()
    assert info.value.kind == "revoked" and info.value.final_push is False
    # nothing went up: the push was refused like every other call, the draft stays local
    report = account.farewell(store, transport, final_push=info.value.final_push)
    assert report.applied == 0 and store.records.pending_ops() == 1
    assert _server_titles(server) == set()
    wipe(store, backend=keyring)
    assert not store.profile.path.exists()


def test_a_user_revokes_her_lost_laptop_but_not_the_desk_she_uses(server, tmp_path):
    keyring = FileKeyring(tmp_path)
    laptop_store, laptop = _desk(server, tmp_path / "laptop", keyring)
    desk = signed_in(server.url, "liuyang", device="desk-pc")
    devices = {d["device_id"]: d for d in desk.get("/me/devices").json()}
    assert devices["desk-pc"]["current"] and not devices[laptop.device_id]["current"]
    own = desk.post(f"/me/devices/{devices['desk-pc']['id']}/revoke", json={"final_push": False})
    assert own.status_code == 422 and own.json()["field"] == "device"
    lost = desk.post(f"/me/devices/{devices[laptop.device_id]['id']}/revoke",
                     json={"final_push": False})
    assert lost.status_code == 204
    with pytest.raises(SyncError) as info:
        laptop.request("GET", "/me")
    assert info.value.kind == "revoked" and "您已在其他设备上停用了这台电脑" in info.value.message
    wipe(laptop_store, backend=keyring)
    assert desk.get("/me").status_code == 200
