"""A service item's approval flow as a workflow `FlowDefinition` (DESIGN §7: one engine).

The catalogue says what a clerk reads (科室负责人 → 分管领导 when days > 3 → 人事科备案);
the workflow engine runs it. The conversion:

- a first step `apply` held by the applicant (提交; 退回修改 brings the request back here);
- every catalogue step becomes a step whose holders are its role (科室负责人 in the applicant's
  section, the others in the unit) and whose `when` is the catalogue condition;
- a parallel group becomes one step with one share per member (`mode` all = 会签, any = 或签);
- after every step a hidden 加签 step held by the people named in `signer_<step>` (set by the
  approver who adds a signer), skipped when nobody was added;
- time limits in hours, on the calendar clock.

Flow values are the form's typed values made JSON-plain (`flow_values`): numbers stay numbers,
so "amount over 5,000 元" compares the same on the client and the server.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from oa_client.domain.catalogue import ROLE_IDS, Parallel, ServiceItem, Step
from oa_client.domain.forms import Condition as FormCondition
from oa_client.domain.forms import typed_values
from oa_client.domain.forms_values import WorkdaysFn
from oa_client.domain.workflow import (
    FlowDefinition,
    HolderSpec,
    StepDef,
    TimeLimit,
    parse_definition,
)
from oa_client.domain.workflow.conditions import Condition
from oa_client.i18n import _

__all__ = [
    "APPLY_STEP",
    "EXTRA_ROLES",
    "flow_definition",
    "flow_values",
    "signer_field",
    "step_names",
]

APPLY_STEP = "apply"
#: roles the org chart resolves that are offices rather than people's positions
EXTRA_ROLES = ["hr_office", "finance_office"]
_ACTIONS = ["approve", "return", "withdraw", "reassign", "delegate", "urge"]
_SIGNER_SUFFIX = "__plus"


def signer_field(step_key: str) -> str:
    """The flow value naming who an approver of `step_key` added as an extra signer (加签)."""
    return f"signer_{step_key}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple) and len(value) == 2:
        return {"start": _plain(value[0]), "end": _plain(value[1])}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def flow_values(item: ServiceItem, values: dict[str, Any], *, workdays_between: WorkdaysFn | None = None
                ) -> dict[str, Any]:
    """The form's computed, typed values as JSON-plain data for flow conditions (numbers stay numbers)."""
    typed = typed_values(item.form, values, workdays_between=workdays_between)
    return {k: _plain(v) for k, v in typed.items()}


def _condition(cond: FormCondition | None) -> Condition | None:
    if cond is None:
        return None

    def plain(c: FormCondition) -> dict[str, Any]:
        if c.all is not None:
            return {"all": [plain(x) for x in c.all]}
        if c.any is not None:
            return {"any": [plain(x) for x in c.any]}
        if c.not_ is not None:
            return {"not": plain(c.not_)}
        return {"field": c.field, "op": c.op, "value": _plain(c.value)}

    return Condition.model_validate(plain(cond))


def _holder(step: Step, *, member: bool = False) -> HolderSpec:
    scope = "department" if step.role == "科室负责人" and step.of == "applicant" else "unit"
    return HolderSpec(role=ROLE_IDS[step.role], scope=scope, label=step.name,
                      when=_condition(step.when) if member else None)


def _limit(hours: int) -> list[TimeLimit]:
    return [TimeLimit(hours=hours, working_days=False)]


def _signer_step(key: str, name: str, limit: int) -> StepDef:
    field = signer_field(key)
    return StepDef(
        id=key + _SIGNER_SUFFIX, name=_("加签：{step}").format(step=name),
        holders=[HolderSpec(users_from=field, label=_("加签人"))], mode="all",
        when=Condition(field=field, op="ne", value=None), optional=True,
        actions=list(_ACTIONS), limits=_limit(limit),
    )


def flow_definition(item: ServiceItem) -> FlowDefinition:
    """The workflow definition that runs this item's approval flow."""
    steps: list[StepDef] = [StepDef(
        id=APPLY_STEP, name=_("申请人提交"), holders=[HolderSpec(starter=True, label=_("申请人"))],
        actions=["submit", "withdraw"],
    )]
    for element in item.flow.steps:
        if isinstance(element, Parallel):
            members = element.parallel
            step = StepDef(
                id=element.key, name=element.name, holders=[_holder(s, member=True) for s in members],
                mode=element.mode, when=_condition(element.when), actions=list(_ACTIONS),
                limits=_limit(max(s.time_limit_hours for s in members)),
            )
            limit = max(s.time_limit_hours for s in members)
        else:
            step = StepDef(
                id=element.key, name=element.name, holders=[_holder(element)],
                when=_condition(element.when), actions=list(_ACTIONS),
                limits=_limit(element.time_limit_hours),
            )
            limit = element.time_limit_hours
        steps.append(step)
        steps.append(_signer_step(element.key, element.name, limit))
    chained = []
    for i, step in enumerate(steps):
        after = steps[i + 1].id if i + 1 < len(steps) else None
        data = step.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["next"] = [{"to": after}] if after else []
        chained.append(data)
    data = {"id": f"catalogue:{item.code}@{item.version}", "name": item.name, "version": item.version,
            "roles": EXTRA_ROLES, "steps": chained}
    return parse_definition(data)


def step_names(item: ServiceItem) -> dict[str, str]:
    """Step id → the name a clerk reads (catalogue steps, parallel groups, the apply and 加签 steps)."""
    out = {APPLY_STEP: _("申请人提交")}
    for element in item.flow.steps:
        out[element.key] = element.title() if isinstance(element, Step) else element.name
        out[element.key + _SIGNER_SUFFIX] = _("加签：{step}").format(step=out[element.key])
        if isinstance(element, Parallel):
            for s in element.parallel:
                out[s.key] = s.title()
    return out
