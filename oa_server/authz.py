"""Who may do what: role checks and 三员分立 (reused by every module).

Who sees which business record is one rule, `oa_server.visibility` (the README's table).
The three administrators never see business records: the system administrator runs
accounts, units and devices, the security administrator assigns business roles and sets
the security policy, the auditor reads and verifies the audit log. Who may change whose
account: oa_server.separation.
"""

from __future__ import annotations

from collections.abc import Iterable

from oa_client.errors import PermissionDenied
from oa_server.i18n import _
from oa_server.models import User
from oa_server.roles import (
    ADMIN_ROLES,
    AUDITOR,
    BUSINESS_ROLES,
    SECADMIN,
    SYSADMIN,
)


def has_role(user: User, *roles: str) -> bool:
    """Whether the user holds any of `roles`."""
    held = set(user.roles)
    return any(r in held for r in roles)


def require_role(user: User, *roles: str) -> None:
    """PermissionDenied unless the user holds one of `roles`."""
    if not has_role(user, *roles):
        raise PermissionDenied(_("您没有执行此操作的权限"), roles=",".join(roles))


def is_admin(user: User) -> bool:
    """Whether the user is one of the three separated administrators."""
    return has_role(user, *ADMIN_ROLES)


def is_business_user(user: User) -> bool:
    """Whether the user works with business records (holds a business role, no admin role)."""
    return business_roles(user.roles)


def business_roles(roles: Iterable[str]) -> bool:
    """Whether these roles are a business user's: a business role and no administrator's."""
    held = set(roles)
    return held.isdisjoint(ADMIN_ROLES) and not held.isdisjoint(BUSINESS_ROLES)


def require_business_user(user: User) -> None:
    """三员分立: administrators, and users without a business role, see no business records."""
    if is_admin(user):
        raise PermissionDenied(_("三员分立：管理员账号不能查看业务数据"))
    if not is_business_user(user):
        raise PermissionDenied(_("您没有业务角色，请联系安全保密管理员分配"))


def require_admin(user: User) -> None:
    """Only the three administrators (e.g. the list of units with disabled ones)."""
    if not is_admin(user):
        raise PermissionDenied(_("只有管理员可以执行此操作"))


def require_account_admin(user: User) -> None:
    """The account list (with logins): the system and the security administrator."""
    if not has_role(user, SYSADMIN, SECADMIN):
        raise PermissionDenied(_("只有系统管理员和安全保密管理员可以查看账号列表"))


def require_sysadmin(user: User) -> None:
    """Only the system administrator manages accounts and units."""
    if not has_role(user, SYSADMIN):
        raise PermissionDenied(_("只有系统管理员可以管理账号和单位"))


def require_secadmin(user: User) -> None:
    """Only the security administrator assigns roles, sets the security policy and keeps the
    seals (their images, keys and keepers)."""
    if not has_role(user, SECADMIN):
        raise PermissionDenied(_("只有安全保密管理员可以分配角色、设置安全策略和管理印章"))


def require_auditor(user: User) -> None:
    """Only the security auditor reads the audit log."""
    if not has_role(user, AUDITOR):
        raise PermissionDenied(_("只有安全审计员可以查看审计日志"))


def can_see_contacts(viewer: User, target: User) -> bool:
    """Phone numbers and e-mail are shown only within one's own unit, to business users."""
    if viewer.id == target.id:
        return True
    return is_business_user(viewer) and viewer.unit_id == target.unit_id
