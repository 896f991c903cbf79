"""The catalogue of internal service items (事项清单) as data: form, approval flow, output.

Flow JSON (interpreted by the workflow machinery; `planned_stages` previews it):

    "flow": {"steps": [
        {"key": "head", "name": "科室负责人审批", "en": "Section head", "role": "科室负责人",
         "of": "applicant", "action": "approve", "time_limit_hours": 24},
        {"key": "leader", "name": "分管领导审批", "role": "分管领导", "time_limit_hours": 48,
         "when": {"field": "days", "op": "gt", "value": 3}},
        {"key": "offices", "name": "会签", "mode": "all", "parallel": [
            {"key": "hr", "name": "人事科备案", "role": "人事科", "of": "organisation", "action": "record"},
            {"key": "fin", "name": "财务科审核", "role": "财务科", "of": "organisation"}]}]}

Elements run in order; a `parallel` group's steps run at once (`mode` all or any).
`role` is resolved from the org chart: `of: applicant` means the applicant's own
科室负责人 / 分管领导; `of: organisation` the office holding that role. `when` is a
form condition (see forms.Condition) that adds the step or group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from oa_client.domain.forms import Condition, FormSchema, typed_values
from oa_client.domain.forms_values import WorkdaysFn, localized
from oa_client.i18n import _

__all__ = [
    "CATEGORIES",
    "ROLES",
    "ROLE_IDS",
    "STARTER_CATALOGUE",
    "Catalogue",
    "Flow",
    "Output",
    "Parallel",
    "PlannedStage",
    "ServiceItem",
    "Step",
    "may_apply",
    "planned_stages",
    "route_changes",
]

CATEGORIES = ("人事", "财务", "行政", "后勤")
ROLES = ("科室负责人", "分管领导", "主要领导", "人事科", "财务科", "办公室")
#: The workflow machinery's role identifiers for these roles (`of` applicant = department scope).
ROLE_IDS = {
    "科室负责人": "section_chief",
    "分管领导": "deputy_leader",
    "主要领导": "principal_leader",
    "办公室": "office_director",
    "人事科": "hr_office",
    "财务科": "finance_office",
}
STARTER_CATALOGUE = Path(__file__).resolve().parents[2] / "resources" / "catalogue" / "starter.json"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """One approval step held by a role resolved from the org chart, with a time limit."""

    key: str
    name: str
    en: str = ""
    role: Literal["科室负责人", "分管领导", "主要领导", "人事科", "财务科", "办公室"]
    of: Literal["applicant", "organisation"] = "applicant"
    action: Literal["approve", "countersign", "handle", "record"] = "approve"
    time_limit_hours: int = Field(default=24, gt=0)
    when: Condition | None = None

    def title(self) -> str:
        """The step's name in the current language."""
        return localized(self.name, self.en)


class Parallel(_Model):
    """Steps that run at the same time; `all` must act (会签) or `any` one suffices."""

    key: str
    name: str
    en: str = ""
    mode: Literal["all", "any"] = "all"
    parallel: list[Step] = Field(min_length=2)
    when: Condition | None = None


def _element_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "parallel" if "parallel" in value else "step"
    return "parallel" if isinstance(value, Parallel) else "step"


Element = Annotated[
    Annotated[Step, Tag("step")] | Annotated[Parallel, Tag("parallel")], Discriminator(_element_kind)
]


class Flow(_Model):
    """An approval flow: elements in order, each a step or a parallel group."""

    steps: list[Element] = Field(min_length=1)

    def all_steps(self) -> list[Step]:
        """Every step, parallel ones included, in order."""
        out: list[Step] = []
        for element in self.steps:
            out.extend(element.parallel if isinstance(element, Parallel) else [element])
        return out


class Output(_Model):
    """What an approved request produces: a document from a template, sealed or not."""

    template: str
    name: str
    en: str = ""
    sealed: bool = False
    seal: Literal["单位公章", "人事专用章", "财务专用章"] | None = None

    @model_validator(mode="after")
    def _seal_named(self) -> Output:
        if self.sealed and self.seal is None:
            raise ValueError(_("需要盖章的输出须写明用哪枚章"))
        return self


class ServiceItem(_Model):
    """One internal service item (事项): form, flow, output, who may apply, 承诺时限."""

    code: str
    name: str
    en: str = ""
    category: Literal["人事", "财务", "行政", "后勤"]
    description: str = ""
    description_en: str = ""
    version: int = Field(default=1, ge=1)
    form: FormSchema
    flow: Flow
    output: Output | None = None
    may_apply: list[str] = Field(default_factory=lambda: ["*"])
    promise_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> ServiceItem:
        if not _CODE.match(self.code):
            raise ValueError(_("事项编码“{code}”只能由大写字母、数字和下划线组成").format(code=self.code))
        keys = set(self.form.keys())
        seen: set[str] = set()
        for element in self.flow.steps:
            group = [element, *element.parallel] if isinstance(element, Parallel) else [element]
            for part in group:
                if part.key in seen:
                    raise ValueError(_("流程步骤标识“{key}”重复").format(key=part.key))
                seen.add(part.key)
                for ref in sorted(part.when.refs() if part.when else set()):
                    if ref not in keys:
                        raise ValueError(
                            _("流程步骤“{step}”的条件引用了表单中不存在的字段“{ref}”").format(step=part.key, ref=ref)
                        )
        return self

    def title(self) -> str:
        """The item's name in the current language."""
        return localized(self.name, self.en)


class Catalogue(_Model):
    """The whole catalogue: items with unique codes."""

    version: int = 1
    items: list[ServiceItem]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        codes = [i.code for i in self.items]
        for code in codes:
            if codes.count(code) > 1:
                raise ValueError(_("事项编码“{code}”重复").format(code=code))
        return self

    def item(self, code: str) -> ServiceItem:
        """The item with this code (KeyError if none)."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def by_category(self) -> dict[str, list[ServiceItem]]:
        """Items grouped by category, in the order 人事, 财务, 行政, 后勤."""
        return {c: [i for i in self.items if i.category == c] for c in CATEGORIES}

    def search(self, text: str) -> list[ServiceItem]:
        """Items whose name, English name, code or description contains the text."""
        needle = text.strip().lower()
        return [
            i for i in self.items
            if needle in f"{i.name} {i.en} {i.code} {i.description}".lower()
        ]


@dataclass(frozen=True)
class PlannedStage:
    """One stage of a request's route: steps that run together (one step when sequential)."""

    key: str
    mode: str
    steps: tuple[Step, ...]


def planned_stages(
    item: ServiceItem, values: dict[str, Any], *, workdays_between: WorkdaysFn | None = None
) -> list[PlannedStage]:
    """The stages the flow takes for these form values (conditions see computed, typed values)."""
    full = typed_values(item.form, values, workdays_between=workdays_between)
    stages: list[PlannedStage] = []
    for element in item.flow.steps:
        if element.when is not None and not element.when.holds(full):
            continue
        if isinstance(element, Parallel):
            steps = tuple(s for s in element.parallel if s.when is None or s.when.holds(full))
            if len(steps) > 1:
                stages.append(PlannedStage(element.key, element.mode, steps))
            elif steps:
                stages.append(PlannedStage(steps[0].key, "all", steps))
        else:
            stages.append(PlannedStage(element.key, "all", (element,)))
    return stages


def may_apply(item: ServiceItem, *, roles: set[str] | frozenset[str]) -> bool:
    """Whether someone holding these roles/positions may apply for the item."""
    return "*" in item.may_apply or bool(set(item.may_apply) & set(roles))


def route_changes(
    item: ServiceItem,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    workdays_between: WorkdaysFn | None = None,
) -> tuple[list[Step], list[Step]]:
    """Steps an edit adds to and removes from the route (e.g. an amount raised past 5,000 元): (added, removed)."""

    def steps(values: dict[str, Any]) -> list[Step]:
        stages = planned_stages(item, values, workdays_between=workdays_between)
        return [s for stage in stages for s in stage.steps]

    old, new = steps(before), steps(after)
    return [s for s in new if s not in old], [s for s in old if s not in new]
