"""Template defaults shaped by the project profile.

The rules live in `template_defaults.yml` beside this module (the same condition
syntax as the recommendation criteria); this code evaluates them against a profile
and checks them against the templates' own questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from scaffold.catalog import Framework, Question, template_questions
from scaffold.engine import Condition, check_condition, holds
from scaffold.errors import UserError
from scaffold.profile import Profile


@dataclass(frozen=True)
class SelectionChange:
    """For a multiple-choice question: choices to add to and remove from the default."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    # framework -> question -> a value, or a SelectionChange for a multiple-choice question
    defaults: Mapping[str, Mapping[str, Any]]
    reason: str

    def applies(self, profile: Profile) -> bool:
        return holds(self.when, profile.as_dict())


@dataclass(frozen=True)
class ShapedDefaults:
    """The defaults one profile gives one template, and the rules that set them."""

    answers: Mapping[str, Any]
    rules: tuple[Rule, ...]


def shaped_defaults(framework: str, profile: Profile) -> ShapedDefaults:
    """The answers the rules set for this template, applied in order (later rules win)."""
    questions = {q.name: q for q in template_questions(framework)}
    answers: dict[str, Any] = {}
    applied = []
    for rule in load_rules():
        if framework not in rule.defaults or not rule.applies(profile):
            continue
        applied.append(rule)
        for name, value in rule.defaults[framework].items():
            if isinstance(value, SelectionChange):
                current = answers.get(name, list(questions[name].default or []))
                chosen = (set(current) | set(value.add)) - set(value.remove)
                # Keep the question's own order of choices, as Copier stores it.
                value = [c for c in questions[name].choices if c in chosen]
            answers[name] = value
    return ShapedDefaults(answers, tuple(applied))


@cache
def load_rules() -> tuple[Rule, ...]:
    """Load and check the bundled template_defaults.yml."""
    import yaml

    text = resources.files("scaffold").joinpath("template_defaults.yml").read_text("utf-8")
    return parse_rules(yaml.safe_load(text))


def parse_rules(data: Mapping[str, Any]) -> tuple[Rule, ...]:
    """Build the rules, failing loudly on a name or value the templates do not have."""
    rules = []
    for raw in data["rules"]:
        where = f"template_defaults.yml: rule '{raw['id']}'"
        check_condition(raw["when"], where)
        defaults: dict[str, dict[str, Any]] = {}
        for framework, answers in raw["defaults"].items():
            if framework not in Framework.__members__:
                raise ValueError(f"{where}: unknown template '{framework}'")
            questions = {q.name: q for q in template_questions(framework)}
            defaults[framework] = {
                name: _checked_value(questions, name, value, f"{where}, {framework}")
                for name, value in answers.items()
            }
        rules.append(Rule(raw["id"], raw["when"], defaults, " ".join(raw["reason"].split())))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise ValueError("template_defaults.yml: rule ids must be unique")
    return tuple(rules)


def _checked_value(questions: Mapping[str, Question], name: str, value: Any, where: str) -> Any:
    if name not in questions:
        raise ValueError(f"{where}: the template asks no question '{name}'")
    question = questions[name]
    if question.multiselect != isinstance(value, Mapping):
        raise ValueError(f"{where}: '{name}' takes add/remove only if it is multiple-choice")
    if isinstance(value, Mapping):
        if not value or not set(value) <= {"add", "remove"}:
            raise ValueError(f"{where}: '{name}' needs 'add' and/or 'remove' lists")
        value = SelectionChange(tuple(value.get("add", ())), tuple(value.get("remove", ())))
        given: Any = [*value.add, *value.remove]
    elif question.type == "bool" and not isinstance(value, bool):
        raise ValueError(f"{where}: '{name}' is a yes/no question; give true or false")
    else:
        given = value
    try:
        question.check(given)
    except UserError as error:
        raise ValueError(f"{where}: {error}") from None
    return value
