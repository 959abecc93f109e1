"""The profile-to-template-defaults table: checked against the templates, rule by rule."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TEMPLATES, run_scaffold
from scaffold.catalog import shown_defaults
from scaffold.profile import Profile, dump_profile, field_specs
from scaffold.template_defaults import (
    Rule,
    SelectionChange,
    load_rules,
    parse_rules,
    shaped_defaults,
)

NO_GIT_CONFIG = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def _profile_where_it_applies(rule: Rule) -> Profile:
    """The first profile, over the keys the rules test, for which the rule applies."""
    keys = ["user_accounts", "app_type", "heavy_services", "size", "data_complexity"]
    specs = field_specs()
    for values in itertools.product(*(specs[k].choices or (True, False) for k in keys)):
        profile = Profile(**dict(zip(keys, values, strict=True)))
        if rule.applies(profile):
            return profile
    raise AssertionError(f"no profile makes rule '{rule.id}' apply")


def _requirements(framework: str) -> dict[str, dict[str, str]]:
    """The template's own table of answers that need other answers."""
    config = yaml.safe_load((TEMPLATES / framework / "copier.yml").read_text())
    table = {"flask": "flask_feature_requirements", "django": "django_option_requirements"}
    return config[table[framework]]["default"] if framework in table else {}


def _breaks_a_requirement(framework: str, answers: dict[str, Any]) -> list[str]:
    broken = []
    for option, needs in _requirements(framework).items():
        for need in needs:
            if framework == "flask" and option in answers["features"]:
                if need not in answers["features"]:
                    broken.append(f"{option} needs {need}")
            elif framework == "django" and answers.get(option) and not answers.get(need):
                broken.append(f"{option} needs {need}")
    return broken


def test_every_rule_has_a_reason_and_sets_something() -> None:
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules)
    for rule in rules:
        assert rule.reason and rule.defaults, rule.id


@pytest.mark.parametrize("framework", ["flask", "django", "hybrid"])
def test_every_profile_gives_answers_the_template_accepts(framework: str) -> None:
    template_defaults = shown_defaults(framework)
    specs = field_specs()
    keys = ["user_accounts", "app_type", "heavy_services", "size", "data_complexity"]
    for values in itertools.product(*(specs[k].choices or (True, False) for k in keys)):
        profile = Profile(**dict(zip(keys, values, strict=True)))
        answers = {**template_defaults, **shaped_defaults(framework, profile).answers}
        assert not _breaks_a_requirement(framework, answers), profile


@pytest.mark.parametrize("rule", load_rules(), ids=lambda r: r.id)
def test_each_rule_sets_its_defaults(rule: Rule) -> None:
    profile = _profile_where_it_applies(rule)
    for framework, answers in rule.defaults.items():
        shaped = shaped_defaults(framework, profile)
        assert rule in shaped.rules
        for name, value in answers.items():
            if isinstance(value, SelectionChange):
                assert set(value.add) <= set(shaped.answers[name])
                assert not set(value.remove) & set(shaped.answers[name])
            else:
                assert shaped.answers[name] == value


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"defaults": {"rails": {"x": 1}}}, "unknown template 'rails'"),
        ({"defaults": {"flask": {"colour": "red"}}}, "asks no question 'colour'"),
        ({"defaults": {"django": {"database": "oracle"}}}, "'oracle' is not allowed"),
        ({"defaults": {"django": {"api": "yes"}}}, "'api' is a yes/no question"),
        ({"defaults": {"flask": {"features": ["api"]}}}, "takes add/remove only if"),
        ({"defaults": {"flask": {"features": {"add": ["cms"]}}}}, "'cms' is not allowed"),
        ({"when": {"colour": "red"}}, "unknown profile key 'colour'"),
    ],
)
def test_a_table_naming_what_the_templates_lack_is_refused(table: dict, message: str) -> None:
    rule = {"id": "r", "when": {"user_accounts": True}, "reason": "why", **table}
    rule.setdefault("defaults", {"flask": {"csrf": "seasurf"}})
    with pytest.raises(ValueError, match=message):
        parse_rules({"rules": [rule]})


@pytest.mark.slow
@pytest.mark.parametrize("rule", load_rules(), ids=lambda r: r.id)
def test_each_rule_shapes_a_generated_project(rule: Rule, workdir: Path) -> None:
    """`scaffold new --profile ... --defaults` renders with the rule's defaults."""
    profile = _profile_where_it_applies(rule)
    (workdir.parent / "profile.yml").write_text(dump_profile(profile))
    for framework in rule.defaults:
        result = run_scaffold(
            "new", framework, "--framework", framework, "--defaults",
            "--profile", str(workdir.parent / "profile.yml"), cwd=workdir, env=NO_GIT_CONFIG,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"- {rule.id}: {rule.reason}" in " ".join(result.stdout.split())
        rendered = yaml.safe_load((workdir / framework / ".copier-answers.yml").read_text())
        assert rendered == {**rendered, **shaped_defaults(framework, profile).answers}
