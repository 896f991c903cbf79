"""Flow definitions as data (pydantic, loadable from JSON): steps, holders, transitions, limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import model_validator

from oa_client.domain.workflow.conditions import Condition
from oa_client.errors import ValidationError
from oa_client.i18n import _

#: Business roles by glossary identifier (mirrors the server's role catalogue).
ROLES: dict[str, str] = {
    "drafter": "拟稿人",
    "section_chief": "科长",
    "office_director": "办公室主任",
    "deputy_leader": "分管领导",
    "principal_leader": "主要领导",
    "clerk": "文书/收发员",
    "seal_keeper": "印章管理员",
    "meeting_admin": "会议管理员",
    "statistician": "乡镇统计员",
    "supervisor": "督查室",
}

#: Actions that finish the actor's share of a step.
COMPLETE_ACTIONS = ("submit", "approve", "read")
ACTIONS = (*COMPLETE_ACTIONS, "return", "withdraw", "reassign", "delegate", "urge")
END = "end"

ActionName = Literal["submit", "approve", "read", "return", "withdraw", "reassign", "delegate", "urge"]


class HolderSpec(pydantic.BaseModel):
    """Who holds (part of) a step: a role from the org chart, users named in a form field, the starter, or an earlier step's actor."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    role: str | None = None
    scope: Literal["unit", "department"] = "unit"
    each_of: str | None = None
    users_from: str | None = None
    starter: bool = False
    actor_of: str | None = None
    label: str = ""
    when: Condition | None = None

    @model_validator(mode="after")
    def _one_source(self) -> HolderSpec:
        sources = [self.role is not None, self.users_from is not None, self.starter,
                   self.actor_of is not None]
        if sum(sources) != 1:
            raise ValueError("a holder is exactly one of role, users_from, starter or actor_of")
        if self.each_of is not None and self.role is None:
            raise ValueError("each_of goes with a role")
        return self


class TimeLimit(pydantic.BaseModel):
    """A time limit for a step (fixed, or `days_from` a form field); the first rule whose `when` holds applies."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    days: int = pydantic.Field(default=0, ge=0)
    hours: int = pydantic.Field(default=0, ge=0)
    working_days: bool = True
    days_from: str | None = None
    when: Condition | None = None


class Transition(pydantic.BaseModel):
    """Where a completed step goes next; the first transition whose `when` holds is taken."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    to: str
    when: Condition | None = None


class StepDef(pydantic.BaseModel):
    """One step of a flow: holders, how many must act, actions offered, limits, form fields its
    holders may set (`writable`, None = any), values set on completion (`sets`), where next."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    id: str = pydantic.Field(min_length=1)
    name: str = pydantic.Field(min_length=1)
    holders: list[HolderSpec] = pydantic.Field(min_length=1)
    mode: Literal["any", "all"] = "any"
    when: Condition | None = None
    optional: bool = False
    refusable: bool = False
    actions: list[ActionName] = ["approve", "return", "withdraw", "reassign", "delegate", "urge"]
    limits: list[TimeLimit] = []
    sets: dict[str, Any] = {}
    writable: list[str] | None = None
    next: list[Transition] = []


class FlowDefinition(pydantic.BaseModel):
    """A whole flow: ordered steps (the first is where it starts) and extra role identifiers."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    id: str = pydantic.Field(min_length=1)
    name: str = pydantic.Field(min_length=1)
    version: int = 1
    roles: list[str] = []
    steps: list[StepDef] = pydantic.Field(min_length=1)

    def step(self, step_id: str) -> StepDef:
        """The step with this id (KeyError if none)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def has_step(self, step_id: str | None) -> bool:
        """True when the flow has a step with this id."""
        return any(s.id == step_id for s in self.steps)

    @property
    def first(self) -> StepDef:
        """The step a flow starts in."""
        return self.steps[0]

    def successors(self, step: StepDef) -> list[str]:
        """Targets the step may go to (up to the first unconditional transition); [] means end."""
        out: list[str] = []
        for t in step.next:
            out.append(t.to)
            if t.when is None:
                return out
        if not step.next:
            return [END]
        return [*out, END]  # every conditional transition may fail: falling off the end ends the flow


def _check_graph(flow: FlowDefinition) -> None:
    ids = [s.id for s in flow.steps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValidationError(_("流程模板中环节重复：{steps}").format(steps="、".join(dupes)), field="steps")
    known_roles = set(ROLES) | set(flow.roles)
    for s in flow.steps:
        for t in s.next:
            if t.to != END and not flow.has_step(t.to):
                raise ValidationError(
                    _("环节“{step}”流转到不存在的环节“{target}”").format(step=s.id, target=t.to),
                    field=f"steps.{s.id}.next",
                )
        for h in s.holders:
            if h.role is not None and h.role not in known_roles:
                raise ValidationError(
                    _("环节“{step}”使用了未知角色“{role}”").format(step=s.id, role=h.role),
                    field=f"steps.{s.id}.holders",
                )
            if h.actor_of is not None and not flow.has_step(h.actor_of):
                raise ValidationError(
                    _("环节“{step}”引用了不存在的环节“{target}”").format(step=s.id, target=h.actor_of),
                    field=f"steps.{s.id}.holders",
                )
    # Every step reachable from the start must be able to reach the end (no cycle without exit).
    reach_end: set[str] = {END}
    changed = True
    while changed:
        changed = False
        for s in flow.steps:
            if s.id not in reach_end and any(t in reach_end for t in _all_targets(flow, s)):
                reach_end.add(s.id)
                changed = True
    seen, todo = set(), [flow.first.id]
    while todo:
        cur = todo.pop()
        if cur in seen or cur == END:
            continue
        seen.add(cur)
        todo.extend(_all_targets(flow, flow.step(cur)))
    trapped = [s.id for s in flow.steps if s.id in seen and s.id not in reach_end]
    if trapped:
        raise ValidationError(
            _("流程模板存在无法结束的循环：{steps}").format(steps="、".join(trapped)), field="steps"
        )


def _all_targets(flow: FlowDefinition, step: StepDef) -> list[str]:
    return flow.successors(step)  # a skipped step goes where it would have gone, too


def parse_definition(data: Any) -> FlowDefinition:
    """Build and check a flow definition from JSON text or already-parsed data."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("流程模板不是有效的 JSON：第 {line} 行").format(line=exc.lineno), field=None
            ) from None
    try:
        flow = FlowDefinition.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValidationError(
            _("流程模板有误：{where}：{problem}").format(where=where or "?", problem=first.get("msg", "")),
            field=where or None,
        ) from None
    _check_graph(flow)
    return flow


def read_definition(path: str | Path) -> FlowDefinition:
    """Read one flow template from a JSON file (the only file reading in the domain)."""
    return parse_definition(Path(path).read_text(encoding="utf-8"))


DEFAULT_FLOWS_DIR = Path(__file__).resolve().parents[3] / "resources" / "flows"


def default_flow(name: str) -> FlowDefinition:
    """A shipped default template by name: `outgoing` (发文) or `incoming` (收文)."""
    return read_definition(DEFAULT_FLOWS_DIR / f"{name}.json")
