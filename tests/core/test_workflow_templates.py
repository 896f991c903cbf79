"""Flow templates as data: the loader's checks and the condition language."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from oa_client.domain.workflow import (
    DEFAULT_FLOWS_DIR,
    Condition,
    default_flow,
    evaluate,
    parse_definition,
    read_definition,
)
from oa_client.errors import ValidationError

GOOD = {
    "id": "t", "name": "测试",
    "steps": [
        {"id": "a", "name": "甲", "holders": [{"starter": True}], "next": [{"to": "b"}]},
        {"id": "b", "name": "乙", "holders": [{"role": "clerk"}], "next": [{"to": "end"}]},
    ],
}


def bad(mutate) -> ValidationError:
    data = copy.deepcopy(GOOD)
    mutate(data)
    with pytest.raises(ValidationError) as e:
        parse_definition(data)
    return e.value


def test_shipped_templates_load_and_use_glossary_step_ids() -> None:
    out = default_flow("outgoing")
    assert [s.id for s in out.steps] == ["draft", "review", "countersign", "sign_off", "recheck",
                                         "number", "seal", "dispatch"]
    inc = default_flow("incoming")
    assert [s.id for s in inc.steps] == ["receive", "register", "vet", "propose", "instruct",
                                         "handle", "circulate", "urge", "complete", "archive"]
    assert sorted(p.name for p in DEFAULT_FLOWS_DIR.glob("*.json")) == ["incoming.json", "outgoing.json"]


def test_good_template_from_text_and_path(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    assert read_definition(path).id == "t"
    assert parse_definition(json.dumps(GOOD)).first.id == "a"


def test_unknown_step_in_a_transition() -> None:
    e = bad(lambda d: d["steps"][0].update(next=[{"to": "nowhere"}]))
    assert e.field == "steps.a.next" and "nowhere" in e.message


def test_cycle_without_exit() -> None:
    def loop(d):
        d["steps"][1]["next"] = [{"to": "a"}]
    e = bad(loop)
    assert e.field == "steps" and "循环" in e.message


def test_cycle_with_a_conditional_exit_is_fine() -> None:
    data = copy.deepcopy(GOOD)
    data["steps"][1]["next"] = [{"to": "a", "when": {"field": "x", "op": "eq", "value": 1}}]
    assert parse_definition(data).id == "t"


def test_unknown_role_unless_declared() -> None:
    e = bad(lambda d: d["steps"][1]["holders"][0].update(role="pope"))
    assert e.field == "steps.b.holders" and "pope" in e.message
    data = copy.deepcopy(GOOD)
    data["roles"] = ["pope"]
    data["steps"][1]["holders"][0]["role"] = "pope"
    assert parse_definition(data)


@pytest.mark.parametrize("cond", [
    {"field": "x", "op": "between", "value": 1},
    {"field": "x", "op": "in", "value": 1},
    {"op": "eq", "value": 1},
    {"all": []},
    {"field": "x", "op": "eq", "value": 1, "any": [{"field": "y", "op": "eq", "value": 2}]},
    {"field": "x", "op": "eq", "value": 1, "script": "os.system('x')"},
])
def test_bad_condition(cond) -> None:
    e = bad(lambda d: d["steps"][1].update(when=cond))
    assert e.field and e.field.startswith("steps.1.when")
    assert "流程模板有误" in e.message


def test_other_template_errors() -> None:
    assert bad(lambda d: d["steps"].append(copy.deepcopy(d["steps"][1]))).field == "steps"
    assert bad(lambda d: d["steps"][0].update(holders=[])).field == "steps.0.holders"
    assert bad(lambda d: d["steps"][0]["holders"][0].update(role="clerk")).field == "steps.0.holders.0"
    assert bad(lambda d: d["steps"][0].update(actions=["explode"])).field.startswith("steps.0.actions")
    assert bad(lambda d: d["steps"][1]["holders"][0].update(role=None, actor_of="zz")).field == "steps.b.holders"
    with pytest.raises(ValidationError) as e:
        parse_definition("{not json")
    assert "JSON" in e.value.message


@pytest.mark.parametrize(("cond", "values", "expected"), [
    ({"field": "k", "op": "eq", "value": "请示"}, {"k": "请示"}, True),
    ({"field": "k", "op": "ne", "value": "请示"}, {"k": "请示"}, False),
    ({"field": "n", "op": "gt", "value": 3}, {"n": 4}, True),
    ({"field": "n", "op": "ge", "value": 4}, {"n": 4}, True),
    ({"field": "n", "op": "lt", "value": 4}, {"n": 4}, False),
    ({"field": "n", "op": "le", "value": 4}, {}, False),  # missing never compares
    ({"field": "n", "op": "gt", "value": 4}, {"n": "x"}, False),  # mixed types never compare
    ({"field": "k", "op": "in", "value": ["请示", "报告"]}, {"k": "报告"}, True),
    ({"field": "k", "op": "not_in", "value": ["请示", "报告"]}, {"k": "通知"}, True),
    ({"field": "ds", "op": "contains", "value": "D2"}, {"ds": ["D1", "D2"]}, True),
    ({"field": "t", "op": "contains", "value": "预算"}, {"t": "关于预算的请示"}, True),
    ({"field": "t", "op": "contains", "value": 1}, {"t": 5}, False),
    ({"all": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "eq", "value": 2}]},
     {"a": 1, "b": 3}, False),
    ({"any": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "eq", "value": 2}]},
     {"a": 0, "b": 2}, True),
    ({"not": {"field": "a", "op": "eq", "value": 1}}, {"a": 1}, False),
])
def test_condition_language(cond, values, expected) -> None:
    c = Condition.model_validate(cond)
    assert evaluate(c, values) is expected and c.holds(values) is expected
    assert evaluate(None, values) is True


def test_labels_follow_the_language() -> None:
    from oa_client import i18n
    from oa_client.domain.workflow import action_label, outcome_label, role_label

    assert action_label("return") == "退回" and role_label("principal_leader") == "主要领导"
    assert outcome_label("superseded").startswith("已失效")
    try:
        i18n.set_language("en")
        assert action_label("reassign") == "Pass on" and role_label("seal_keeper") == "Seal keeper"
    finally:
        i18n.set_language("zh_CN")
    assert action_label("mystery") == "mystery"
