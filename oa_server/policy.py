"""The security policy the security administrator sets and every client follows: password
rules (length, character classes, not the login, history, maximum age), idle-lock minutes,
watermark. One row; a server that never had one uses the defaults below."""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.errors import ValidationError
from oa_server import audit
from oa_server.i18n import _
from oa_server.models import PasswordHistory, SecurityPolicyRow, User
from oa_server.security import verify_password

ROW_ID = 1
CLASS_NAMES = ("小写字母", "大写字母", "数字", "符号")


class SecurityPolicy(BaseModel):
    """What the policy says (also the body the security administrator sends)."""

    model_config = ConfigDict(extra="forbid")

    min_length: int = Field(default=8, ge=8, le=64)
    min_classes: int = Field(default=3, ge=1, le=4)
    forbid_login: bool = True
    history: int = Field(default=5, ge=0, le=24)
    max_age_days: int = Field(default=0, ge=0, le=3650)
    idle_lock_minutes: int = Field(default=15, ge=1, le=240)
    watermark: bool = True


def rules(policy: SecurityPolicy) -> list[str]:
    """The password rules in words, as the change-password dialog shows them."""
    out = [
        _("至少 {n} 位").format(n=policy.min_length),
        _("包含小写字母、大写字母、数字、符号中的至少 {n} 类").format(n=policy.min_classes),
    ]
    if policy.forbid_login:
        out.append(_("不能包含登录名"))
    if policy.history:
        out.append(_("不能与最近 {n} 次用过的密码相同").format(n=policy.history))
    if policy.max_age_days:
        out.append(_("每 {n} 天须更换一次").format(n=policy.max_age_days))
    return out


def load(session: Session) -> SecurityPolicy:
    """The policy in force."""
    row = session.get(SecurityPolicyRow, ROW_ID)
    return SecurityPolicy.model_validate_json(row.data) if row else SecurityPolicy()


def updated_at(session: Session) -> datetime | None:
    """When the policy was last set (None: the defaults)."""
    row = session.get(SecurityPolicyRow, ROW_ID)
    return row.updated_at if row else None


def save(session: Session, *, actor: str, policy: SecurityPolicy, now: datetime) -> SecurityPolicy:
    """Set the policy (the caller checked it is the security administrator); audited."""
    before = load(session)
    row = session.get(SecurityPolicyRow, ROW_ID)
    data = policy.model_dump_json()
    if row is None:
        session.add(SecurityPolicyRow(id=ROW_ID, data=data, updated_at=now, updated_by=actor))
    else:
        row.data, row.updated_at, row.updated_by = data, now, actor
    session.flush()
    audit.append(session, actor=actor, action="policy.update", target="security_policy",
                 details={"before": before.model_dump(), "after": json.loads(data)})
    return policy


def _classes(password: str) -> int:
    return sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))


def check_shape(policy: SecurityPolicy, *, login: str, password: str) -> None:
    """ValidationError naming the first rule (length, classes, login) the password breaks."""
    if len(password) < policy.min_length:
        raise ValidationError(_("密码至少 {n} 位").format(n=policy.min_length), field="password")
    if _classes(password) < policy.min_classes:
        raise ValidationError(
            _("密码须包含小写字母、大写字母、数字、符号中的至少 {n} 类").format(n=policy.min_classes),
            field="password")
    if policy.forbid_login and login and login.lower() in password.lower():
        raise ValidationError(_("密码不能包含登录名"), field="password")


def check_history(session: Session, policy: SecurityPolicy, *, hasher: PasswordHasher,
                  user: User, password: str) -> None:
    """ValidationError if `password` is the current one or one of the last `history`."""
    if not policy.history:
        return
    hashes = [user.password_hash] if user.password_hash else []
    hashes += session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc()).limit(policy.history)).all()
    for stored in hashes[: policy.history]:
        if verify_password(hasher, stored, password):
            raise ValidationError(
                _("不能使用最近 {n} 次用过的密码").format(n=policy.history), field="password")


def remember_old(session: Session, *, user: User, now: datetime) -> None:
    """Keep the hash being replaced in the user's history (the newest 24 at most)."""
    if not user.password_hash:
        return
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    session.flush()
    old = session.scalars(
        select(PasswordHistory).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc()).offset(24)).all()
    for row in old:
        session.delete(row)


def expired(policy: SecurityPolicy, user: User, *, now: datetime) -> bool:
    """Whether the password is older than the policy's maximum age."""
    if not policy.max_age_days:
        return False
    since = user.password_changed_at or user.created_at
    return since is not None and now - since > timedelta(days=policy.max_age_days)


def one_time_password(policy: SecurityPolicy) -> str:
    """A random password that meets any policy (all four classes, at least 16 characters),
    without look-alike characters (it is read out or copied by hand)."""
    rng = secrets.SystemRandom()
    length = max(16, policy.min_length)
    lower, upper, digits = (
        "".join(c for c in chars if c not in "Il1O0o")
        for chars in (string.ascii_lowercase, string.ascii_uppercase, string.digits))
    chars = [rng.choice(lower + upper + digits) for _i in range(length - 4)]
    chars += [rng.choice(lower), rng.choice(upper), rng.choice(digits), rng.choice("@#%+=")]
    rng.shuffle(chars)
    return "".join(chars)
