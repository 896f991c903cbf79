"""The signed-in person's own account on the server: the security policy, the password,
the devices, and a revoked device's last push and goodbye."""

from __future__ import annotations

import threading
from typing import Any

from oa_client.services import policy as policy_svc
from oa_client.store.local import LocalStore
from sync.blobs import BlobSync
from sync.engine import SyncEngine, SyncReport
from sync.transport import Transport


def fetch_policy(store: LocalStore | None, transport: Transport) -> policy_svc.Policy:
    """The security policy in force (kept in the profile when one is open)."""
    data = transport.request("GET", "/security-policy").json()
    return policy_svc.save(store, data) if store is not None else policy_svc.Policy.of(data)


def policy_rules(transport: Transport) -> list[str]:
    """The password rules in words (for the change-password dialog)."""
    return list(transport.request("GET", "/security-policy").json().get("rules") or [])


def change_password(transport: Transport, *, old_password: str, new_password: str) -> None:
    """Change my password; the server checks the old one and the policy (SyncError "invalid"
    naming the rule broken). This sign-in goes on with everything open."""
    transport.request("POST", "/me/password", expect=(204,),
                      json_body={"old_password": old_password, "new_password": new_password})
    transport.password_change = None


def my_devices(transport: Transport) -> list[dict[str, Any]]:
    """The devices I signed in from (`current` marks this one)."""
    return transport.request("GET", "/me/devices").json()


def revoke_my_device(transport: Transport, device_pk: str, *, final_push: bool) -> None:
    """Revoke one of my other devices: it wipes its profile at next contact."""
    transport.request("POST", f"/me/devices/{device_pk}/revoke", expect=(204,),
                      json_body={"final_push": final_push})


def farewell(store: LocalStore, transport: Transport, *, final_push: bool,
             cancel: threading.Event | None = None) -> SyncReport:
    """A revoked device's last contact: with `final_push`, upload attachments and push the
    outbox (each op judged by the server as always), then say goodbye. The caller then
    removes the profile. Returns what the push did."""
    report = SyncReport()
    if final_push:
        report.uploaded = BlobSync(store, transport).upload_all(cancel)
        SyncEngine(store, transport).push(report, cancel)
        goodbye(transport)
    transport.access_token = None
    transport.tokens.save(None)
    return report


def goodbye(transport: Transport) -> None:
    """Tell the server this revoked device is removing its profile: its sign-ins end."""
    transport.request("POST", "/me/farewell", expect=(204,))
