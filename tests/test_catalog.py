"""The template catalog reads each template's copier.yml; names agree everywhere."""

from __future__ import annotations

import pytest
import yaml

from conftest import REPO, TEMPLATES, TERMINAL_WIDTH
from scaffold.catalog import Framework, check_answers, locate_templates, template_questions
from scaffold.engine import load_criteria
from scaffold.errors import UserError


class _IgnoreIncludes(yaml.SafeLoader):
    pass


_IgnoreIncludes.add_constructor("!include", lambda loader, node: None)


def test_framework_names_agree_everywhere() -> None:
    names = [f.value for f in Framework]
    root = [d for d in yaml.load_all((REPO / "copier.yml").read_text(), _IgnoreIncludes) if d]
    choices = list(root[-1]["framework"]["choices"].values())
    assert choices == names
    assert list(load_criteria().frameworks) == names
    assert sorted(p.parent.name for p in TEMPLATES.glob("*/copier.yml")) == sorted(names)


def test_checkout_is_located() -> None:
    source = locate_templates()
    assert source.is_checkout
    assert source.root == REPO


def test_questions_come_from_copier_yml_without_computed_values() -> None:
    names = [q.name for q in template_questions("flask")]
    assert names[:6] == [
        "project_name",
        "project_slug",
        "description",
        "author_name",
        "author_email",
        "python_version",
    ]
    assert "framework" not in names and "reserved_package_names" not in names
    python = next(q for q in template_questions("flask") if q.name == "python_version")
    assert python.choices == ("3.11", "3.12", "3.13", "3.14")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            {"colour": "red"},
            "--data colour: the flask template has no such question; allowed: project_name",
        ),
        (
            {"python_version": "2.7"},
            "--data python_version: '2.7' is not allowed; allowed: 3.11, 3.12",
        ),
    ],
)
def test_check_answers(answers: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        check_answers("flask", answers)
    check_answers("flask", {"python_version": "3.12", "project_name": "x"})


def test_conditions_beyond_the_framework_are_kept() -> None:
    django = {q.name: q for q in template_questions("django")}
    assert django["api"].condition_within("django") is None
    assert django["api_docs"].condition_within("django") == "api"
    assert django["project_name"].condition_within("django") is None


def test_questions_shared_by_two_templates_show_each_its_own_condition() -> None:
    flask = {q.name: q for q in template_questions("flask")}
    django = {q.name: q for q in template_questions("django")}
    assert flask["database"].condition_within("flask") == "'database' in features"
    assert django["database"].condition_within("django") is None
    assert flask["task_queue"].condition_within("flask") is None
    assert django["task_queue"].condition_within("django") is None


@pytest.mark.parametrize("framework", ["flask", "django", "hybrid"])
def test_question_help_fits_an_80_column_terminal(framework: str) -> None:
    """Copier prints a question's help after its question mark (2 columns and a space)
    and cuts each line at the terminal's width."""
    config = yaml.safe_load((TEMPLATES / framework / "copier.yml").read_text())
    for name, spec in config.items():
        if isinstance(spec, dict) and "help" in spec and spec.get("when") is not False:
            first, *rest = spec["help"].splitlines()
            assert len(first) + 3 <= TERMINAL_WIDTH, f"{name}: {first!r}"
            for line in rest:
                assert len(line) <= TERMINAL_WIDTH, f"{name}: {line!r}"
            # A choice is drawn after a pointer and a box: " » ○ label".
            for label in spec.get("choices") or ():
                assert len(str(label)) + 5 <= TERMINAL_WIDTH, f"{name}: {label!r}"
