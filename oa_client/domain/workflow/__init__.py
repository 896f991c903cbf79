"""One workflow machinery for every module (DESIGN §7): definitions as data, one interpreter."""

from oa_client.domain.workflow.conditions import OPERATORS, Condition, evaluate
from oa_client.domain.workflow.definition import (
    ACTIONS,
    COMPLETE_ACTIONS,
    DEFAULT_FLOWS_DIR,
    END,
    ROLES,
    FlowDefinition,
    HolderSpec,
    StepDef,
    TimeLimit,
    Transition,
    default_flow,
    parse_definition,
    read_definition,
)
from oa_client.domain.workflow.engine import AddLimit, Verdict, Workflow
from oa_client.domain.workflow.labels import action_label, outcome_label, role_label
from oa_client.domain.workflow.model import (
    Activation,
    Allowed,
    Delegation,
    Event,
    FlowState,
    HistoryEntry,
    Part,
)
from oa_client.domain.workflow.resolver import (
    OrgResolver,
    StaticOrg,
    calendar_add_limit,
    weekday_add_limit,
)

__all__ = [
    "ACTIONS",
    "COMPLETE_ACTIONS",
    "DEFAULT_FLOWS_DIR",
    "END",
    "OPERATORS",
    "ROLES",
    "Activation",
    "AddLimit",
    "Allowed",
    "Condition",
    "Delegation",
    "Event",
    "FlowDefinition",
    "FlowState",
    "HistoryEntry",
    "HolderSpec",
    "OrgResolver",
    "Part",
    "StaticOrg",
    "StepDef",
    "TimeLimit",
    "Transition",
    "Verdict",
    "Workflow",
    "action_label",
    "calendar_add_limit",
    "default_flow",
    "evaluate",
    "outcome_label",
    "parse_definition",
    "read_definition",
    "role_label",
    "weekday_add_limit",
]
