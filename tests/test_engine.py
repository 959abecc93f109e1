"""The recommendation engine: worked examples, monotonic properties, every criterion."""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.engine import holds, load_criteria, parse_criteria, recommend, what_would_change
from scaffold.profile import Profile, field_specs

# The cases the source articles describe, each with the framework the article points to.
WORKED_EXAMPLES = {
    # Edana (seeds/000): a small financial firm's internal API prototype, built in two weeks.
    "two-week internal API prototype": (
        dict(
            app_type="prototype",
            size="small",
            team_size=2,
            experience="senior",
            timeline="weeks",
            budget="tight",
            data_complexity="low",
        ),
        "flask",
    ),
    # Edana (seeds/000): a mid-size e-commerce platform, catalog and promotions in three months.
    "mid-size e-commerce platform": (
        dict(
            app_type="ecommerce",
            size="medium",
            team_size=5,
            timeline="months",
            compliance="sensitive",
            admin_ui=True,
            user_accounts=True,
            data_complexity="high",
        ),
        "django",
    ),
    # Edana (seeds/000): a public institution; Django for the UI and authentication,
    # Flask for batch-processing APIs.
    "institution with Django for users and Flask for batch APIs": (
        dict(
            app_type="enterprise",
            size="large",
            team_size=10,
            timeline="long_term",
            budget="comfortable",
            compliance="sensitive",
            admin_ui=True,
            user_accounts=True,
            heavy_services=True,
            architecture="microservices",
        ),
        "hybrid",
    ),
    # 2025 blog (seeds/001): a simple backend API for a single-page app.
    "SPA backend for a small team": (
        dict(app_type="spa_backend", size="small", team_size=2),
        "flask",
    ),
    # 2025 blog (seeds/001): IoT endpoints built as microservices.
    "IoT microservices": (dict(app_type="iot", architecture="microservices"), "flask"),
    # 2025 blog (seeds/001): news and content sites benefit from Django.
    "news site with editors": (
        dict(app_type="cms", size="large", team_size=6, admin_ui=True),
        "django",
    ),
    # Essay (seeds/002): internal tools that need a ready-made admin.
    "internal tool with a back office": (
        dict(app_type="internal_tool", admin_ui=True, data_complexity="high"),
        "django",
    ),
    # Trantor (seeds/003): enterprise platform, compliance and admin from day one.
    "regulated enterprise platform": (
        dict(
            app_type="enterprise",
            size="large",
            team_size=15,
            compliance="regulated",
            admin_ui=True,
            architecture="monolith",
        ),
        "django",
    ),
    # Trantor (seeds/003): a beginner's small project.
    "junior solo developer, small site": (
        dict(size="small", team_size=1, experience="junior", timeline="weeks"),
        "flask",
    ),
}


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_worked_examples_from_the_articles(name: str) -> None:
    profile, expected = WORKED_EXAMPLES[name]
    result = recommend(Profile.from_mapping(profile))
    assert result.framework == expected, result
    # The first reason argues for the recommendation, and reasons cite real criteria.
    assert result.reasons[0].favours == expected
    ids = {c.id for c in load_criteria().criteria}
    assert {r.criterion for r in result.reasons} <= ids


def test_scores_are_sums_of_fired_weights() -> None:
    profile = Profile.from_mapping(WORKED_EXAMPLES["mid-size e-commerce platform"][0])
    result = recommend(profile)
    fired = [c for c in load_criteria().criteria if c.fires(profile)]
    for framework, score in result.scores.items():
        assert score == sum(c.weights.get(framework, 0) for c in fired)
    assert len(result.reasons) == len(fired)


def test_json_shape() -> None:
    data = recommend(Profile()).as_json()
    assert set(data) == {"framework", "scores", "reasons"}
    assert set(data["scores"]) == {"flask", "django", "hybrid"}
    for reason in data["reasons"]:
        assert set(reason) == {"criterion", "favours", "weight", "text"}
        assert isinstance(reason["weight"], int)


def _value_strategy(name: str) -> st.SearchStrategy[Any]:
    spec = field_specs()[name]
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "integer":
        return st.integers(min_value=1, max_value=40)
    return st.booleans()


profiles = st.fixed_dictionaries({name: _value_strategy(name) for name in field_specs()}).map(
    Profile.from_mapping
)


def _with(profile: Profile, **changes: Any) -> Profile:
    return Profile.from_mapping({**profile.as_dict(), **changes})


def _scores(profile: Profile) -> dict[str, int]:
    return dict(recommend(profile).scores)


# Each step goes in the direction named; the score must not move the wrong way.
ORDERED_STEPS = [
    # (key, values from less to more, framework, the score must not ...)
    ("admin_ui", [False, True], "django", "decrease"),
    ("user_accounts", [False, True], "django", "decrease"),
    ("compliance", ["none", "sensitive", "regulated"], "django", "decrease"),
    ("data_complexity", ["low", "medium", "high"], "django", "decrease"),
    ("size", ["small", "medium", "large"], "django", "decrease"),
    ("team_size", [1, 2, 5, 8, 20], "django", "decrease"),
    # A tighter budget or a shorter timeline never raises Django's score.
    ("budget", ["comfortable", "moderate", "tight"], "django", "increase"),
    ("timeline", ["long_term", "months", "weeks"], "django", "increase"),
    # Separately scaled services never lower Flask's or the hybrid's score.
    ("heavy_services", [False, True], "flask", "decrease"),
    ("heavy_services", [False, True], "hybrid", "decrease"),
    # A smaller project, a tighter budget, a shorter timeline never lower Flask's.
    ("size", ["large", "medium", "small"], "flask", "decrease"),
    ("budget", ["comfortable", "moderate", "tight"], "flask", "decrease"),
    ("timeline", ["long_term", "months", "weeks"], "flask", "decrease"),
]


@pytest.mark.parametrize(
    ("key", "values", "framework", "never"),
    ORDERED_STEPS,
    ids=[f"{k}-{f}-never-{n}s" for k, _, f, n in ORDERED_STEPS],
)
@settings(max_examples=150, deadline=None)
@given(profile=profiles)
def test_monotonic(profile: Profile, key: str, values: list, framework: str, never: str) -> None:
    scores = [_scores(_with(profile, **{key: v}))[framework] for v in values]
    for before, after in itertools.pairwise(scores):
        assert after >= before if never == "decrease" else after <= before, (key, scores)


@settings(max_examples=400, deadline=None)
@given(profile=profiles)
def test_hybrid_only_when_both_needs_are_present(profile: Profile) -> None:
    result = recommend(profile)
    gate = load_criteria().by_id(load_criteria().hybrid_requires)
    if result.framework == "hybrid":
        assert gate.fires(profile)
    if gate.fires(profile):
        # With both needs present, Django alone is never the answer.
        assert result.framework != "django"


def test_close_scores_alone_do_not_make_a_hybrid() -> None:
    # Django's features are needed, but nothing must scale or ship on its own.
    profile = Profile.from_mapping(WORKED_EXAMPLES["mid-size e-commerce platform"][0])
    result = recommend(profile)
    assert result.scores["hybrid"] >= result.scores["django"] - 2
    assert result.framework == "django"
    assert not result.hybrid_eligible


def _satisfying(condition: dict[str, Any]) -> dict[str, Any]:
    """A profile mapping that meets a condition, built from the condition itself."""
    values: dict[str, Any] = {}
    for key, expected in condition.items():
        if key == "any_of":
            values.update(_satisfying(expected[0]))
        elif key == "all_of":
            for nested in expected:
                values.update(_satisfying(nested))
        elif isinstance(expected, list):
            values[key] = expected[0]
        elif isinstance(expected, dict):
            values[key] = expected.get("min", expected.get("max"))
        else:
            values[key] = expected
    return values


@pytest.mark.parametrize("criterion", load_criteria().criteria, ids=lambda c: c.id)
def test_every_criterion_can_fire(criterion) -> None:
    profile = Profile.from_mapping(_satisfying(dict(criterion.when)))
    assert criterion.fires(profile)
    assert criterion.id in {r.criterion for r in recommend(profile).reasons}


def test_condition_language() -> None:
    values = {"size": "small", "team_size": 5, "admin_ui": True}
    assert holds({"size": "small"}, values)
    assert holds({"size": ["small", "large"]}, values)
    assert not holds({"size": ["medium"]}, values)
    assert holds({"team_size": {"min": 5, "max": 5}}, values)
    assert not holds({"team_size": {"min": 6}}, values)
    assert holds({"any_of": [{"size": "large"}, {"admin_ui": True}]}, values)
    assert not holds({"all_of": [{"size": "small"}, {"admin_ui": False}]}, values)


def _raw_criteria() -> dict[str, Any]:
    from importlib import resources

    return yaml.safe_load(resources.files("scaffold").joinpath("criteria.yml").read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["criteria"][0]["when"].update(sise="small"), "unknown profile key 'sise'"),
        (lambda d: d["criteria"][0]["when"].update(size="huge"), "'huge' is not allowed"),
        (lambda d: d["criteria"][0]["weights"].update(flask=-1), "weights must be positive"),
        (lambda d: d["criteria"][0]["weights"].update(rails=1), "weights must be positive"),
        (lambda d: d["criteria"][0].update(sources=["wiki"]), "unknown source"),
        (lambda d: d["criteria"].append(d["criteria"][0]), "ids must be unique"),
        (lambda d: d.update(hybrid_requires="nothing"), "hybrid_requires names no criterion"),
    ],
)
def test_criteria_file_typos_fail_loudly(mutate, message: str) -> None:
    data = copy.deepcopy(_raw_criteria())
    mutate(data)
    with pytest.raises(ValueError, match=message):
        parse_criteria(data)


@given(profile=profiles)
@settings(max_examples=100, deadline=None)
def test_what_would_change_lists_exactly_the_single_answers_that_flip(profile: Profile) -> None:
    current = recommend(profile).framework
    flips = {(f.key, f.value): f.framework for f in what_would_change(profile)}
    for (key, value), framework in flips.items():
        assert recommend(replace(profile, **{key: value})).framework == framework != current
    for spec in field_specs().values():
        answer = getattr(profile, spec.name)
        if spec.kind == "integer":
            # No value nearer the answer than a listed one flips it (the criteria's
            # bounds lie well within 15 of any answer the strategy draws).
            listed = [v for (k, v) in flips if k == spec.name]
            for value in range(max(spec.minimum, answer - 15), answer + 16):
                changed = recommend(replace(profile, **{spec.name: value})).framework
                nearer = all(abs(value - answer) < abs(v - answer) for v in listed
                             if (v > answer) == (value > answer))  # fmt: skip
                if value != answer and nearer:
                    assert changed == current, (spec.name, value)
            continue
        for value in spec.choices or (True, False):
            if value != answer and (spec.name, value) not in flips:
                assert recommend(replace(profile, **{spec.name: value})).framework == current
