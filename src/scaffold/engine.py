"""The recommendation engine: scores Flask, Django and hybrid from the criteria data.

The rules themselves live in `criteria.yml` beside this module; this code only
evaluates them. See docs/recommendation.md for the table and how scores combine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from scaffold.profile import Profile, ProfileError, Value, field_specs

Condition = Mapping[str, Any]


@dataclass(frozen=True)
class Criterion:
    id: str
    topic: str
    sources: tuple[str, ...]
    when: Condition
    weights: Mapping[str, int]
    reason: str

    def fires(self, profile: Profile) -> bool:
        return holds(self.when, profile.as_dict())


@dataclass(frozen=True)
class Criteria:
    frameworks: tuple[str, ...]
    hybrid_requires: str
    sources: Mapping[str, str]
    criteria: tuple[Criterion, ...]

    def by_id(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)


@dataclass(frozen=True)
class Reason:
    criterion: str
    favours: str
    weight: int
    text: str


@dataclass(frozen=True)
class Recommendation:
    framework: str
    scores: Mapping[str, int]
    reasons: tuple[Reason, ...]
    hybrid_eligible: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "scores": dict(self.scores),
            "reasons": [
                {"criterion": r.criterion, "favours": r.favours, "weight": r.weight, "text": r.text}
                for r in self.reasons
            ],
        }

    def runner_up(self) -> str:
        """The best-scoring framework other than the recommended one."""
        others = [f for f in self.scores if f != self.framework]
        return max(others, key=lambda f: self.scores[f])


@dataclass(frozen=True)
class Flip:
    """One answer changed on its own that makes the engine recommend another framework."""

    key: str
    value: Value
    framework: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "framework": self.framework}


def holds(condition: Condition, values: Mapping[str, Any]) -> bool:
    """Evaluate a `when` condition (syntax described at the top of criteria.yml)."""
    for key, expected in condition.items():
        if key == "any_of":
            ok = any(holds(c, values) for c in expected)
        elif key == "all_of":
            ok = all(holds(c, values) for c in expected)
        elif isinstance(expected, list):
            ok = values[key] in expected
        elif isinstance(expected, dict):
            ok = expected.get("min", values[key]) <= values[key] <= expected.get("max", values[key])
        else:
            ok = values[key] == expected
        if not ok:
            return False
    return True


def recommend(profile: Profile, criteria: Criteria | None = None) -> Recommendation:
    """Score every framework for the profile and pick the recommendation."""
    criteria = criteria or load_criteria()
    fired = [c for c in criteria.criteria if c.fires(profile)]
    scores = {f: sum(c.weights.get(f, 0) for c in fired) for f in criteria.frameworks}
    hybrid_eligible = criteria.by_id(criteria.hybrid_requires) in fired
    eligible = [f for f in criteria.frameworks if f != "hybrid" or hybrid_eligible]
    # max() keeps the first of equal scores: ties go to the simpler stack listed first.
    winner = max(eligible, key=lambda f: scores[f])
    return Recommendation(winner, scores, _reasons(fired, winner, criteria), hybrid_eligible)


def what_would_change(profile: Profile, criteria: Criteria | None = None) -> tuple[Flip, ...]:
    """Every single-answer change that flips the recommendation, found by re-scoring.

    Each key is tried with each other value it allows; a whole number is tried at the
    bounds the criteria test it against, and the one nearest the current answer on
    each side that flips the result is kept.
    """
    criteria = criteria or load_criteria()
    current = recommend(profile, criteria).framework
    flips = []
    for spec in field_specs().values():
        answer = getattr(profile, spec.name)
        if spec.kind == "integer":
            bounds = _bounds(spec.name, criteria, minimum=spec.minimum)
            above = sorted(v for v in bounds if v > answer)
            below = sorted((v for v in bounds if v < answer), reverse=True)
            sides = [below, above]
        else:
            others = spec.choices if spec.kind == "choice" else (True, False)
            sides = [[value] for value in others if value != answer]
        for candidates in sides:
            for value in candidates:
                changed = replace(profile, **{spec.name: value})
                framework = recommend(changed, criteria).framework
                if framework != current:
                    flips.append(Flip(spec.name, value, framework))
                    break
    return tuple(flips)


def _bounds(key: str, criteria: Criteria, minimum: int) -> set[int]:
    """The values of an integer key at which some criterion starts or stops firing."""
    found: set[int] = set()

    def visit(condition: Condition) -> None:
        for name, expected in condition.items():
            if name in ("any_of", "all_of"):
                for nested in expected:
                    visit(nested)
            elif name == key and isinstance(expected, dict):
                if "min" in expected:
                    found.update({expected["min"], expected["min"] - 1})
                if "max" in expected:
                    found.update({expected["max"], expected["max"] + 1})

    for c in criteria.criteria:
        visit(c.when)
    return {v for v in found if v >= minimum}


def _reasons(fired: Sequence[Criterion], winner: str, criteria: Criteria) -> tuple[Reason, ...]:
    """Reasons for the winner first (heaviest first), then the ones that argued otherwise."""
    reasons = []
    for c in fired:
        if c.weights.get(winner, 0) > 0:
            favours = winner
        else:
            favours = max(criteria.frameworks, key=lambda f: c.weights.get(f, 0))
        reasons.append(Reason(c.id, favours, c.weights[favours], c.reason))
    return tuple(sorted(reasons, key=lambda r: (r.favours != winner, -r.weight)))


@cache
def load_criteria() -> Criteria:
    """Load and check the bundled criteria.yml."""
    import yaml

    text = resources.files("scaffold").joinpath("criteria.yml").read_text(encoding="utf-8")
    return parse_criteria(yaml.safe_load(text))


def parse_criteria(data: Mapping[str, Any]) -> Criteria:
    """Build Criteria from parsed YAML, failing loudly on anything a typo could cause."""
    frameworks = tuple(data["frameworks"])
    sources = dict(data["sources"])
    items = []
    for raw in data["criteria"]:
        criterion = Criterion(
            id=raw["id"],
            topic=raw["topic"],
            sources=tuple(raw["sources"]),
            when=raw["when"],
            weights=dict(raw["weights"]),
            reason=" ".join(raw["reason"].split()),
        )
        _check_criterion(criterion, frameworks, sources)
        items.append(criterion)
    ids = [c.id for c in items]
    if len(set(ids)) != len(ids):
        raise ValueError("criteria.yml: criterion ids must be unique")
    if data["hybrid_requires"] not in ids:
        raise ValueError(
            f"criteria.yml: hybrid_requires names no criterion: {data['hybrid_requires']!r}"
        )
    return Criteria(frameworks, data["hybrid_requires"], sources, tuple(items))


def _check_criterion(c: Criterion, frameworks: tuple[str, ...], sources: Mapping[str, str]) -> None:
    where = f"criteria.yml: criterion '{c.id}'"
    if not c.weights or any(f not in frameworks or w <= 0 for f, w in c.weights.items()):
        raise ValueError(f"{where}: weights must be positive and name only {frameworks}")
    if not set(c.sources) <= set(sources):
        raise ValueError(f"{where}: unknown source in {c.sources}")
    check_condition(c.when, where)


def check_condition(condition: Condition, where: str) -> None:
    """Fail on a profile key or value the profile schema does not allow."""
    specs = field_specs()
    for key, expected in condition.items():
        if key in ("any_of", "all_of"):
            for nested in expected:
                check_condition(nested, where)
            continue
        if key not in specs:
            raise ValueError(f"{where}: unknown profile key '{key}'")
        if isinstance(expected, dict):
            if specs[key].kind != "integer" or not set(expected) <= {"min", "max"}:
                raise ValueError(f"{where}: bounds need an integer key and min/max: {key}")
            continue
        for value in expected if isinstance(expected, list) else [expected]:
            try:
                specs[key].check(value)
            except ProfileError as error:
                raise ValueError(f"{where}: {error}") from None
