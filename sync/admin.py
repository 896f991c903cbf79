"""The three administrators' calls (三员分立: the server decides who may make each one).

系统管理员: accounts, units, org import, devices, sign-in delays. 安全保密管理员: business
roles (seal keepers among them) and the security policy. 安全审计员: the audit log, its
verification, and the signed checkpoints of the chain.
"""

from __future__ import annotations

from typing import Any

from sync.transport import Transport

# --- accounts and units (系统管理员; the account list also for 安全保密管理员) ----------------


def users(transport: Transport) -> list[dict[str, Any]]:
    """Every account with its login, disabled ones included."""
    return transport.request("GET", "/admin/users").json()


def create_user(transport: Transport, **fields: Any) -> dict[str, Any]:
    """Open an account: {"user", "one_time_password"} (the password is shown once)."""
    return transport.request("POST", "/admin/users", json_body=fields, expect=(201,)).json()


def set_active(transport: Transport, user_id: str, *, active: bool) -> dict[str, Any]:
    """Enable or disable an account."""
    action = "enable" if active else "disable"
    return transport.request("POST", f"/admin/users/{user_id}/{action}").json()


def reset_password(transport: Transport, user_id: str) -> dict[str, Any]:
    """A one-time password for the user: {"user", "one_time_password"}."""
    return transport.request("POST", f"/admin/users/{user_id}/reset-password").json()


def units(transport: Transport) -> list[dict[str, Any]]:
    """Every unit, disabled ones included."""
    return transport.request("GET", "/admin/units").json()


def create_unit(transport: Transport, **fields: Any) -> dict[str, Any]:
    """Add a unit (name, level, doc_code, parent_id)."""
    return transport.request("POST", "/admin/units", json_body=fields, expect=(201,)).json()


def set_unit_active(transport: Transport, unit_id: str, *, active: bool) -> dict[str, Any]:
    """Put a unit back on, or take it off, the org chart."""
    action = "enable" if active else "disable"
    return transport.request("POST", f"/admin/units/{unit_id}/{action}").json()


def create_department(transport: Transport, unit_id: str, name: str) -> dict[str, Any]:
    """Add a section to a unit."""
    return transport.request("POST", f"/admin/units/{unit_id}/departments",
                             json_body={"name": name}, expect=(201,)).json()


def import_org(transport: Transport, content: str, *, apply: bool) -> dict[str, Any]:
    """Preview (`apply` False) or apply an org chart file: {"applied", "changes", …}."""
    path = "/admin/org-import" if apply else "/admin/org-import/preview"
    return transport.request("POST", path, json_body={"content": content}).json()


def devices(transport: Transport) -> list[dict[str, Any]]:
    """Every device with its owner and open sign-ins."""
    return transport.request("GET", "/admin/devices").json()


def sign_out_device(transport: Transport, device_pk: str) -> None:
    """End a device's sign-ins."""
    transport.request("POST", f"/admin/devices/{device_pk}/sign-out", expect=(204,))


def revoke_device(transport: Transport, device_pk: str, *, final_push: bool) -> None:
    """Revoke a device: it wipes its profile at next contact."""
    transport.request("POST", f"/admin/devices/{device_pk}/revoke", expect=(204,),
                      json_body={"final_push": final_push})


def signin_delays(transport: Transport) -> list[dict[str, Any]]:
    """(login, source) pairs with failed sign-ins in the last day."""
    return transport.request("GET", "/admin/signin-delays").json()


def clear_delays(transport: Transport, login: str, source: str | None = None) -> int:
    """Clear a login's sign-in delays; returns how many pairs."""
    body = {"login": login, **({"source": source} if source else {})}
    return int(transport.request("POST", "/admin/signin-delays/clear",
                                 json_body=body).json()["cleared"])


# --- roles and policy (安全保密管理员) ---------------------------------------------------------


def roles(transport: Transport) -> list[dict[str, Any]]:
    """The role catalogue: code, name, admin."""
    return transport.request("GET", "/org/roles").json()


def set_roles(transport: Transport, user_id: str, codes: list[str]) -> dict[str, Any]:
    """Replace a user's business roles."""
    return transport.request("PUT", f"/admin/users/{user_id}/roles",
                             json_body={"roles": codes}).json()


def policy(transport: Transport) -> dict[str, Any]:
    """The security policy in force."""
    return transport.request("GET", "/security-policy").json()


def set_policy(transport: Transport, values: dict[str, Any]) -> dict[str, Any]:
    """Set the security policy."""
    return transport.request("PUT", "/admin/security-policy", json_body=values).json()


# --- audit (安全审计员) ---------------------------------------------------------------------


def people(transport: Transport) -> list[dict[str, Any]]:
    """Names of the people in the org chart (the auditor's 'who')."""
    return transport.request("GET", "/org/users").json()


def audit_rows(transport: Transport, **filters: Any) -> list[dict[str, Any]]:
    """Audit rows matching the filters (actor, action_prefix, target, since, until, …)."""
    params = {k: v for k, v in filters.items() if v not in (None, "")}
    return transport.request("GET", "/audit", params=params).json()


def verify_chain(transport: Transport) -> dict[str, Any]:
    """The server's walk of the whole hash chain."""
    return transport.request("GET", "/audit/verify").json()


def checkpoints(transport: Transport, *, after_seq: int) -> list[dict[str, Any]]:
    """Signed checkpoints newer than `after_seq`."""
    return transport.request("GET", "/audit/checkpoints", params={"after_seq": after_seq}).json()


def new_checkpoint(transport: Transport) -> dict[str, Any]:
    """Ask the server to sign a checkpoint of the chain now."""
    return transport.request("POST", "/audit/checkpoints", expect=(200, 201)).json()


def verify_against(transport: Transport, held: list[dict[str, Any]]) -> dict[str, Any]:
    """Verify the chain against the checkpoints held: {"ok", "rows", "first_bad_seq",
    "message", "latest_seq"}."""
    return transport.request("POST", "/audit/verify", json_body={"checkpoints": held}).json()
