"""Record visibility rules later modules reuse: org chart, routing, role; 三员 see nothing."""

from __future__ import annotations

import uuid

import pytest

from oa_client.errors import PermissionDenied
from oa_server import authz
from oa_server.config import Settings
from oa_server.i18n import _, negotiate, use_language
from oa_server.models import User, UserRole

UNIT_A, UNIT_B = uuid.uuid4(), uuid.uuid4()


def person(unit: uuid.UUID, *roles: str) -> User:
    user = User(id=uuid.uuid4(), login="x", name="某人", unit_id=unit, active=True)
    user.role_links = [UserRole(role_code=r) for r in roles]
    return user


def test_routing_participants_see_the_record() -> None:
    drafter = person(UNIT_B, "drafter")
    scope = authz.RecordScope(owner_unit_id=UNIT_A, participant_ids={drafter.id})
    assert authz.can_see(drafter, scope)
    assert not authz.can_see(person(UNIT_B, "drafter"), scope)


def test_org_chart_leaders_and_clerks_of_the_unit_see_it() -> None:
    scope = authz.RecordScope(owner_unit_id=UNIT_A, recipient_unit_ids={UNIT_B})
    assert authz.can_see(person(UNIT_A, "office_director"), scope)
    assert authz.can_see(person(UNIT_B, "clerk"), scope)
    assert not authz.can_see(person(UNIT_A, "drafter"), scope)
    assert not authz.can_see(person(uuid.uuid4(), "principal_leader"), scope)


def test_a_role_can_be_granted_globally() -> None:
    scope = authz.RecordScope(owner_unit_id=UNIT_A, global_roles={"supervisor"})
    assert authz.can_see(person(uuid.uuid4(), "supervisor"), scope)


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_three_administrators_never_see_business_records(role: str) -> None:
    admin = person(UNIT_A, role)
    scope = authz.RecordScope(owner_unit_id=UNIT_A, participant_ids={admin.id}, global_roles={role})
    assert not authz.can_see(admin, scope)
    with pytest.raises(PermissionDenied):
        authz.require_see(admin, scope)
    with pytest.raises(PermissionDenied):
        authz.require_business_user(admin)


def test_user_without_roles_is_not_a_business_user() -> None:
    with pytest.raises(PermissionDenied):
        authz.require_business_user(person(UNIT_A))


def test_visible_filters_records() -> None:
    clerk = person(UNIT_A, "clerk")
    pairs = [
        ("mine", authz.RecordScope(owner_unit_id=UNIT_A)),
        ("theirs", authz.RecordScope(owner_unit_id=UNIT_B)),
    ]
    assert authz.visible(clerk, pairs) == ["mine"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh_CN"),
        ("", "zh_CN"),
        ("en", "en"),
        ("en-GB,en;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("fr, en;q=0.5", "en"),
        ("de", "zh_CN"),
        ("en;q=0, zh", "zh_CN"),
        ("en;q=bogus", "zh_CN"),
    ],
)
def test_accept_language_negotiation(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_use_language_is_scoped() -> None:
    with use_language("en"):
        assert _("用户名或密码错误") == "Wrong user name or password"
    assert _("用户名或密码错误") == "用户名或密码错误"


def test_settings_from_env_and_back() -> None:
    settings = Settings.from_env(
        {
            "OA_SERVER_SIGNIN_FREE_FAILURES": "5",
            "OA_SERVER_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "OA_SERVER_SQL_ECHO": "false",
        },
        data_dir="/srv/oa",
    )
    assert settings.signin_free_failures == 5
    assert settings.effective_database_url == "postgresql+psycopg://u@h/db"
    again = Settings.from_env(settings.to_env())
    assert again == settings
    assert Settings(data_dir="/srv/oa").effective_database_url == (
        "sqlite:////srv/oa/oa-server.sqlite3"
    )
