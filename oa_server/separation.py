"""三员分立 for account changes: who may change whose account state, password and roles.

- Nobody changes their own roles or account state (enable, disable, reset, devices).
- Nobody changes an administrator's (系统管理员, 安全保密管理员, 安全审计员) account
  state, password or roles through the API: that is done on the server host
  (`oa-server user …`), audited as the host's operator.
- The three administrator roles are granted only on the host, never through the API;
  the security administrator assigns business roles only.

A refused change is itself audited (`<action>_refused`, committed although the request
fails), so the auditor sees the attempt as well as the changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.orm import Session

from oa_client.errors import PermissionDenied
from oa_server import audit
from oa_server.authz import is_admin
from oa_server.i18n import _
from oa_server.models import User
from oa_server.roles import ADMIN_ROLES

T = TypeVar("T")


def check_account_change(actor: User, target: User) -> None:
    """PermissionDenied when `actor` may not change `target`'s account."""
    if actor.id == target.id:
        raise PermissionDenied(_("三员分立：不能修改自己的账号、密码或角色"))
    if is_admin(target):
        raise PermissionDenied(
            _("三员分立：管理员账号的状态、密码和角色只能在服务器上由运维人员处理"))


def check_roles(actor: User, target: User, roles: Iterable[str]) -> None:
    """PermissionDenied unless `roles` are business roles for a business account."""
    check_account_change(actor, target)
    if set(roles) & ADMIN_ROLES:
        raise PermissionDenied(_("三员分立：管理员角色只能在服务器上分配"))


def guarded(session: Session, *, actor: User, action: str, target: User,
            check: Callable[[], None], change: Callable[[], T]) -> T:
    """Run `check`, then `change`; a refusal is audited and committed before it is raised."""
    try:
        check()
    except PermissionDenied as exc:
        session.rollback()
        audit.append(session, actor=f"user:{actor.id}", action=f"{action}_refused",
                     target=f"user:{target.id}", details={"reason": exc.message})
        session.commit()
        raise
    return change()
