"""Who sees what: the one rule of the README's table, as the audience of every record.

A record is seen by a set of principals (its audience, kept in `sync_audience`); a user
sees it when one of the user's own principals (`principals_of`) is in it. Pull, push,
blob downloads and every endpoint ask through that one set, and this module is the only
place that makes it:

- `all` — every business user (rooms, the catalogue, data items, calendars, policies);
- `user:<id>` — one person: a drafter, everyone who held or acted on a step (the route),
  an invitee, an applicant, a delegate;
- `unitrole:<unit>:<role>` — whoever holds the role in that unit (its leaders, its office
  文书/收发, its statisticians, its 会议管理员);
- `deptrole:<section>:<role>` — whoever holds the role in that section (the drafter's 科长);
- `role:<role>` — whoever holds the role anywhere (督查室);
- `unit:<id>` — everyone of a unit. No rule grants it; users still carry it so that the
  records once seen unit-wide reach their old readers as tombstones.

`audience(collection, data, …)` reads only fields the server writes (route people, holders,
recipients, invitees): a client's own audience lists widen nothing. Child records (flow
events, revisions, replies, progress, attachments) are seen by whoever sees their parent;
`oa_server.sync_batch` gives them the parent's audience and moves them with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from oa_client.domain.supervision import SUPERVISOR_ROLE, units_of
from oa_server.models import User
from oa_server.roles import (
    CLERK,
    DEPUTY_LEADER,
    MEETING_ADMIN,
    OFFICE_DIRECTOR,
    PRINCIPAL_LEADER,
    SECTION_CHIEF,
    STATISTICIAN,
)
from oa_server.sync_models import SyncAudience, SyncRecord
from sync.protocol import ATTACHMENT_OWNERS, CHILD_COLLECTIONS

EVERYONE = "all"
LEADERS = (PRINCIPAL_LEADER, DEPUTY_LEADER, OFFICE_DIRECTOR)
#: a unit's office: who signs for its mail and answers for it (办公室主任, 文书/收发员)
OFFICE = (OFFICE_DIRECTOR, CLERK)
#: who fills and checks a unit's reports
REPORT_DESK = (STATISTICIAN, *LEADERS)
#: readable by every business user (`settings`: the server's policies every desk follows)
PUBLIC = ("rooms", "service_items", "data_items", "calendars", "settings", "units", "users")
#: the roles the rule grants sight through in a unit, and in a section: a user carries
#: `unitrole:`/`deptrole:` principals for these only (each one more costs every pull)
UNIT_ROLES = frozenset({*LEADERS, *OFFICE, *REPORT_DESK, MEETING_ADMIN})
SECTION_ROLES = frozenset({SECTION_CHIEF})


class Person(Protocol):
    """What a rule reads of a person: the section they work in."""

    department_id: Any


class Facts(Protocol):
    """What a rule may look up besides the record: people and other records."""

    def person(self, user_id: str | None) -> Person | None:
        """A user by id (None when unknown)."""

    def record(self, collection: str, record_id: str) -> dict[str, Any] | None:
        """A live record's data (with `unit_id`), None when absent."""


def principals_of(user: User) -> list[str]:
    """Every principal a user sees records through (see the module docstring)."""
    return principals_for(user.id, user.unit_id, user.department_id, user.roles)


def principals_for(user_id: Any, unit_id: Any, department_id: Any,
                   roles: Iterable[str]) -> list[str]:
    """`principals_of`, from the user's columns and role codes (sorted) instead of the user."""
    out = [EVERYONE, f"user:{user_id}", f"unit:{unit_id}"]
    for role in roles:
        out.append(f"role:{role}")  # 督查室; and, like unit:, the tombstones of older grants
        if role in UNIT_ROLES:
            out.append(f"unitrole:{unit_id}:{role}")
        if role in SECTION_ROLES and department_id is not None:
            out.append(f"deptrole:{department_id}:{role}")
    return out


def sees(principals: Iterable[str]) -> Any:
    """SQL: an audience row of the `sync_records` row in hand names one of `principals`
    (add `SyncAudience.active` for "sees it now"; inactive rows carry tombstones)."""
    return and_(SyncAudience.collection == SyncRecord.collection,
                SyncAudience.record_id == SyncRecord.id,
                SyncAudience.principal.in_(list(principals)))


def sees_by_record(principals: Iterable[str]) -> Any:
    """`sees`, for a query that walks records one by one (a pull, by revision): the
    principal is compared as an expression (`principal || ''`: the same text), so the
    database reads the record's few audience rows by (collection, record_id) once instead of
    seeking one index entry per principal of the user."""
    return and_(SyncAudience.collection == SyncRecord.collection,
                SyncAudience.record_id == SyncRecord.id,
                (SyncAudience.principal + "").in_(list(principals)))


def sees_record(session: Session, *, user: User, collection: str, record_id: str) -> bool:
    """Whether the user sees a live record now (for endpoints that read one record)."""
    found = session.execute(
        select(SyncRecord.id).where(
            SyncRecord.collection == collection, SyncRecord.id == record_id,
            SyncRecord.deleted.is_(False),
            exists().where(sees(principals_of(user)), SyncAudience.active.is_(True)))
    ).first()
    return found is not None


def parent_of(collection: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """The record a child record belongs to (a flow event's subject, an attachment's owner)."""
    if collection in CHILD_COLLECTIONS:
        parent, key = CHILD_COLLECTIONS[collection]
        return parent, str(data.get(key) or "")
    if collection == "attachments":
        owner = ATTACHMENT_OWNERS.get(str(data.get("owner_kind") or ""), "")
        return owner, str(data.get("owner_id") or "")
    return None


def users(ids: Iterable[Any]) -> set[str]:
    """`user:` principals of the ids given (empty ones left out)."""
    return {f"user:{i}" for i in ids if i}


def unit_roles(unit_id: Any, roles: Iterable[str]) -> set[str]:
    """`unitrole:` principals: the holders of `roles` in the unit (roles of `UNIT_ROLES`)."""
    roles = tuple(roles)
    if not UNIT_ROLES.issuperset(roles):
        raise ValueError(f"not a unit role of the rule: {sorted(set(roles) - UNIT_ROLES)}")
    return {f"unitrole:{unit_id}:{r}" for r in roles} if unit_id else set()


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


@lru_cache(maxsize=4096)
def _section_chief(department_id: Any) -> str:
    """The `deptrole:` principal of a department's 科长 (a department id is a UUID: its text
    once per department, not once per record a push writes)."""
    return f"deptrole:{department_id}:{SECTION_CHIEF}"


def _documents(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    route = users([*_ids(data.get("audience_users")), *_ids(data.get("holder_ids")),
                   *_ids(data.get("reader_ids"))])
    if data.get("direction") == "incoming":  # 收文 (made by the sender's 分发): the receiving
        return route | unit_roles(unit_id, OFFICE) | \
            unit_roles(data.get("recipient_unit_id"), OFFICE)  # office, then its routing
    drafter = str(data.get("drafter_id") or author)
    out = route | users([drafter])
    person = facts.person(drafter)
    if person is not None and person.department_id is not None:
        out.add(_section_chief(person.department_id))  # 核稿, 指导拟稿 (SECTION_ROLES)
    if data.get("flow_status") or data.get("state") not in (None, "", "draft"):
        out |= unit_roles(unit_id, (*LEADERS, CLERK))  # sent: the unit's leaders and office
    return out


def _meetings(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    organiser = str(data.get("organiser_id") or author)
    if data.get("source") == "ics":
        return users([organiser])  # an imported invitation: a personal calendar entry
    out = users([organiser, author, *_ids(data.get("audience_users"))])
    for unit in _ids(data.get("audience_units")):  # an invited unit: its office and head
        out |= unit_roles(unit, (*OFFICE, PRINCIPAL_LEADER))
    room = facts.record("rooms", str(data["room_id"])) if data.get("room_id") else None
    if room is not None:  # its managers are named above; its unit's 会议管理员 run the room
        out |= unit_roles(room.get("unit_id"), (MEETING_ADMIN,))
    return out


def _requests(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    return users([data.get("applicant_id") or author, *_ids(data.get("audience_users")),
                  *_ids(data.get("holder_ids")), *_ids(data.get("approver_ids")),
                  *_ids(data.get("office_ids"))])


def _templates(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    out = users([author, data.get("issued_by")]) | unit_roles(unit_id, REPORT_DESK)
    for unit in _ids(data.get("recipients")):
        out |= unit_roles(unit, REPORT_DESK)
    return out


def _submissions(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    template = facts.record("report_templates", str(data.get("template_id") or "")) or {}
    issuer = users([template.get("issued_by")]) | unit_roles(template.get("unit_id"), REPORT_DESK)
    if data.get("kind") == "edit":  # an edit action: seen as the head it changes
        filling = data.get("target_unit_id") if data.get("action") in ("return", "accept") \
            else unit_id
        return issuer | users([author]) | unit_roles(filling, REPORT_DESK)
    return issuer | unit_roles(unit_id, REPORT_DESK) | \
        unit_roles(data.get("issuer_unit_id"), REPORT_DESK)


def _tasks(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    out = {f"role:{SUPERVISOR_ROLE}"} | users([
        author, data.get("created_by_id"), data.get("ordered_by"), data.get("owner_id"),
        *_ids(data.get("audience_users"))])
    for unit in units_of(data):  # the lead and assisting units' leaders and office
        out |= unit_roles(unit, (*LEADERS, CLERK))
    return out


#: who of a unit a reminder to the unit (`to_units`) is for, by its area (`kind` before the
#: dot): those who answer for that work there, as they see the record it is about
NOTICE_ROLES: dict[str, tuple[str, ...]] = {
    "supervision": (*LEADERS, CLERK),  # the lead unit's leaders and office (as the task)
    "report": REPORT_DESK,  # its statisticians and leaders, who fill the report
    "meeting": (*OFFICE, PRINCIPAL_LEADER),  # an invited unit's office and head name who comes
}
#: a unit's reminder of any other area: its leaders and office
NOTICE_DEFAULT = (*LEADERS, *OFFICE)


def _notifications(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    """A reminder of the server's jobs: the people it names, and in each unit it names those
    who answer for its kind of work — never the whole unit, never its author (the server)."""
    roles = NOTICE_ROLES.get(str(data.get("kind") or "").split(".", 1)[0], NOTICE_DEFAULT)
    out = users(_ids(data.get("to_users")))
    for unit in _ids(data.get("to_units")):
        out |= unit_roles(unit, roles)
    return out


def _personal(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    return users([author])


def _delegations(data: dict[str, Any], unit_id: str, author: str, facts: Facts) -> set[str]:
    return users([data.get("principal_id") or author, data.get("delegate_id")])


Rule = Callable[[dict[str, Any], str, str, Facts], set[str]]
RULES: dict[str, Rule] = {
    "documents": _documents, "meetings": _meetings, "requests": _requests,
    "report_templates": _templates, "submissions": _submissions, "supervision_tasks": _tasks,
    "phrases": _personal, "delegations": _delegations, "notifications": _notifications,
}


def audience(collection: str, data: dict[str, Any], *, unit_id: str | None, author: str,
             facts: Facts) -> set[str]:
    """Who sees a top-level record (its author's own records: the author alone, unless a
    rule says more). Children are not asked here: they follow their parent."""
    if collection in PUBLIC:
        return {EVERYONE}
    rule = RULES.get(collection, _personal)
    return rule(data, str(unit_id or ""), str(author or ""), facts)
