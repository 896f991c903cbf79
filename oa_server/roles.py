"""The role catalogue: business roles and the three separated administrators (三员)."""

from __future__ import annotations

DRAFTER = "drafter"
SECTION_CHIEF = "section_chief"
OFFICE_DIRECTOR = "office_director"
DEPUTY_LEADER = "deputy_leader"
PRINCIPAL_LEADER = "principal_leader"
CLERK = "clerk"
SEAL_KEEPER = "seal_keeper"
MEETING_ADMIN = "meeting_admin"
STATISTICIAN = "statistician"
SUPERVISOR = "supervisor"
SYSADMIN = "sysadmin"
SECADMIN = "secadmin"
AUDITOR = "auditor"

#: code → Chinese name, in display order.
ROLE_NAMES: dict[str, str] = {
    DRAFTER: "拟稿人",
    SECTION_CHIEF: "科长",
    OFFICE_DIRECTOR: "办公室主任",
    DEPUTY_LEADER: "分管领导",
    PRINCIPAL_LEADER: "主要领导",
    CLERK: "文书/收发员",
    SEAL_KEEPER: "印章管理员",
    MEETING_ADMIN: "会议管理员",
    STATISTICIAN: "乡镇统计员",
    SUPERVISOR: "督查室",
    SYSADMIN: "系统管理员",
    SECADMIN: "安全保密管理员",
    AUDITOR: "安全审计员",
}

ADMIN_ROLES = frozenset({SYSADMIN, SECADMIN, AUDITOR})
BUSINESS_ROLES = frozenset(ROLE_NAMES) - ADMIN_ROLES
LEADER_ROLES = frozenset({OFFICE_DIRECTOR, DEPUTY_LEADER, PRINCIPAL_LEADER})

#: unit level code → Chinese label.
UNIT_LEVELS: dict[str, str] = {
    "city": "市",
    "county": "县",
    "township": "乡镇",
    "village": "村",
    "department": "部门",
}


def level_code(value: str) -> str | None:
    """The level code for a code or its Chinese label (市/县/乡镇/村/部门), else None."""
    if value in UNIT_LEVELS:
        return value
    aliases = {label: code for code, label in UNIT_LEVELS.items()}
    aliases.update({"镇": "township", "乡": "township", "街道": "township", "社区": "village"})
    return aliases.get(value)
