"""Who sees what (oa_server.visibility) by org chart, routing and role; 三员 see nothing."""

from __future__ import annotations

import uuid

import pytest

from oa_client.errors import PermissionDenied
from oa_server import authz, visibility
from oa_server.config import Settings
from oa_server.i18n import _, negotiate, use_language
from oa_server.models import User, UserRole

UNIT_A, UNIT_B = uuid.uuid4(), uuid.uuid4()


def person(unit: uuid.UUID, *roles: str) -> User:
    user = User(id=uuid.uuid4(), login="x", name="某人", unit_id=unit, active=True)
    user.role_links = [UserRole(role_code=r) for r in roles]
    return user


class Org:
    """`visibility.Facts` over a few people and records."""

    def __init__(self, *people: User, records: dict | None = None) -> None:
        self.people = {str(p.id): p for p in people}
        self.records = records or {}

    def person(self, user_id):
        return self.people.get(str(user_id))

    def record(self, collection, record_id):
        return self.records.get((collection, record_id))


def sees(user: User, collection: str, data: dict, *, unit: uuid.UUID, author: User,
         org: Org) -> bool:
    """Whether one of the user's principals is in the record's audience."""
    audience = visibility.audience(collection, data, unit_id=str(unit), author=str(author.id),
                                   facts=org)
    return bool(audience & set(visibility.principals_of(user)))


def test_a_draft_is_its_drafters_and_the_sections_chiefs() -> None:
    section = uuid.uuid4()
    drafter, colleague = person(UNIT_A, "drafter"), person(UNIT_A, "drafter")
    drafter.department_id = colleague.department_id = section
    chief = person(UNIT_A, "section_chief")
    chief.department_id = section
    other_chief = person(UNIT_A, "section_chief")
    other_chief.department_id = uuid.uuid4()
    org = Org(drafter, colleague, chief, other_chief)
    draft = {"direction": "outgoing", "state": "draft", "drafter_id": str(drafter.id)}
    seeing = [u for u in (drafter, colleague, chief, other_chief, person(UNIT_A, "clerk"),
                          person(UNIT_A, "office_director"))
              if sees(u, "documents", draft, unit=UNIT_A, author=drafter, org=org)]
    assert seeing == [drafter, chief]


def test_routing_participants_and_the_units_leaders_and_office_see_a_sent_document() -> None:
    drafter, signer = person(UNIT_A, "drafter"), person(UNIT_B, "principal_leader")
    org = Org(drafter, signer)
    running = {"direction": "outgoing", "state": "sign_off", "flow_status": "running",
               "drafter_id": str(drafter.id), "holder_ids": [str(signer.id)]}
    for user, expected in [(signer, True), (person(UNIT_A, "office_director"), True),
                           (person(UNIT_A, "clerk"), True), (person(UNIT_A, "drafter"), False),
                           (person(UNIT_A, "seal_keeper"), False),
                           (person(UNIT_B, "principal_leader"), False)]:
        assert sees(user, "documents", running, unit=UNIT_A, author=drafter, org=org) is expected


def test_a_received_document_is_the_receiving_offices() -> None:
    sender, reader = person(UNIT_A, "clerk"), person(UNIT_B, "drafter")
    org = Org(sender, reader)
    incoming = {"direction": "incoming", "state": "circulate", "recipient_unit_id": str(UNIT_B),
                "reader_ids": [str(reader.id)]}
    for user, expected in [(person(UNIT_B, "clerk"), True), (reader, True),
                           (person(UNIT_B, "drafter"), False), (sender, False)]:
        assert sees(user, "documents", incoming, unit=UNIT_B, author=sender, org=org) is expected


def test_a_role_can_be_granted_globally() -> None:
    author = person(UNIT_A, "supervisor")
    task = {"title": "督办", "lead_unit_id": str(UNIT_B)}
    org = Org(author)
    assert sees(person(uuid.uuid4(), "supervisor"), "supervision_tasks", task, unit=UNIT_A,
                author=author, org=org)
    assert sees(person(UNIT_B, "deputy_leader"), "supervision_tasks", task, unit=UNIT_A,
                author=author, org=org)
    assert sees(person(UNIT_B, "clerk"), "supervision_tasks", task, unit=UNIT_A,
                author=author, org=org)  # the lead unit's office
    assert not sees(person(UNIT_B, "drafter"), "supervision_tasks", task, unit=UNIT_A,
                    author=author, org=org)


def test_a_clients_own_audience_lists_widen_nothing() -> None:
    drafter, stranger = person(UNIT_A, "drafter"), person(UNIT_B, "clerk")
    draft = {"direction": "outgoing", "state": "draft", "drafter_id": str(drafter.id),
             "audience_units": [str(UNIT_B)], "audience_roles": ["clerk"]}
    assert not sees(stranger, "documents", draft, unit=UNIT_A, author=drafter,
                    org=Org(drafter))
    phrase = {"text": "同意", "audience_users": [str(stranger.id)]}
    assert not sees(stranger, "phrases", phrase, unit=UNIT_A, author=drafter, org=Org(drafter))


def notice(kind: str, *, to_users=(), to_units=()) -> dict:
    """A reminder as `oa_server.notify` writes it."""
    return {"kind": kind, "to_users": [str(u) for u in to_users],
            "to_units": [str(u) for u in to_units]}


def test_a_reminder_to_people_is_theirs_alone() -> None:
    chief, colleague = person(UNIT_A, "section_chief"), person(UNIT_A, "section_chief")
    server = person(UNIT_A, "supervisor")  # the member a pass runs as: the author
    overdue = notice("request.overdue", to_users=[chief.id])
    seeing = [u for u in (chief, colleague, server, person(UNIT_A, "office_director"),
                          person(UNIT_A, "clerk"), person(UNIT_A, "principal_leader"))
              if sees(u, "notifications", overdue, unit=UNIT_A, author=server, org=Org())]
    assert seeing == [chief]


@pytest.mark.parametrize(("kind", "seeing"), [
    ("supervision.warning", {"principal_leader", "deputy_leader", "office_director", "clerk"}),
    ("supervision.chase", {"principal_leader", "deputy_leader", "office_director", "clerk"}),
    ("report.due", {"statistician", "principal_leader", "deputy_leader", "office_director"}),
    ("report.chase", {"statistician", "principal_leader", "deputy_leader", "office_director"}),
    ("meeting.tomorrow", {"office_director", "clerk", "principal_leader"}),
    ("bulletin.draft", {"principal_leader", "deputy_leader", "office_director", "clerk"}),
])
def test_a_reminder_to_a_unit_is_for_those_who_answer_for_its_work(kind: str,
                                                                    seeing: set[str]) -> None:
    """In the unit named, the roles the reminder's kind concerns; nobody of another unit,
    nobody by merely working there, never the three administrators."""
    author = person(UNIT_B, "supervisor")
    to_a = notice(kind, to_units=[UNIT_A])
    roles = ["principal_leader", "deputy_leader", "office_director", "clerk", "statistician",
             "drafter", "section_chief", "seal_keeper", "meeting_admin", "supervisor",
             "sysadmin", "secadmin", "auditor"]
    found = {r for r in roles
             if sees(person(UNIT_A, r), "notifications", to_a, unit=UNIT_B, author=author, org=Org())}
    assert found == seeing
    assert not any(sees(person(UNIT_B, r), "notifications", to_a, unit=UNIT_B, author=author,
                        org=Org()) for r in roles)  # another unit's clerk, leaders …


def test_a_reminder_to_a_unit_and_a_person_reaches_both() -> None:
    owner, stranger = person(UNIT_B, "drafter"), person(UNIT_B, "drafter")
    overdue = notice("supervision.overdue", to_users=[owner.id], to_units=[UNIT_A])
    author = person(UNIT_A, "supervisor")
    assert sees(owner, "notifications", overdue, unit=UNIT_A, author=author, org=Org())
    assert sees(person(UNIT_A, "clerk"), "notifications", overdue, unit=UNIT_A, author=author,
                org=Org())
    assert not sees(stranger, "notifications", overdue, unit=UNIT_A, author=author, org=Org())
    assert not sees(person(UNIT_B, "clerk"), "notifications", overdue, unit=UNIT_A,
                    author=author, org=Org())


def test_the_servers_policies_are_everyones() -> None:
    author = person(UNIT_A, "supervisor")
    policy = {"warn_days": 2}
    assert visibility.audience("settings", policy, unit_id=str(UNIT_A), author=str(author.id),
                               facts=Org()) == {visibility.EVERYONE}
    for user in (person(UNIT_B, "drafter"), person(UNIT_B, "statistician")):
        assert sees(user, "settings", policy, unit=UNIT_A, author=author, org=Org())


def test_the_monthly_bulletin_draft_is_its_drafters_and_their_chiefs() -> None:
    """The 通报 the job drafts for a 督查室 member is a draft like any: not the unit's office,
    not the other members."""
    section = uuid.uuid4()
    member, other = person(UNIT_A, "supervisor"), person(UNIT_A, "supervisor")
    member.department_id = other.department_id = section
    chief = person(UNIT_A, "section_chief")
    chief.department_id = section
    org = Org(member, other, chief)
    draft = {"direction": "outgoing", "doc_kind": "通报", "state": "draft",
             "drafter_id": str(member.id), "holder_ids": [str(member.id)]}
    seeing = [u for u in (member, other, chief, person(UNIT_A, "clerk"),
                          person(UNIT_A, "office_director"), person(UNIT_B, "supervisor"))
              if sees(u, "documents", draft, unit=UNIT_A, author=member, org=org)]
    assert seeing == [member, chief]


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_three_administrators_never_see_business_records(role: str) -> None:
    admin = person(UNIT_A, role)
    with pytest.raises(PermissionDenied):
        authz.require_business_user(admin)  # pull, digest, push and blobs all ask this first


def test_user_without_roles_is_not_a_business_user() -> None:
    with pytest.raises(PermissionDenied):
        authz.require_business_user(person(UNIT_A))


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
