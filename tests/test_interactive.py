"""The interactive path in a pseudo-terminal: typed answers produce the project."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import TERMINAL_WIDTH, printed
from scaffold.catalog import template_questions
from scaffold.profile import Profile, field_specs
from terminal import (
    CLEAR_LINE,
    answer_interview,
    answer_template,
    asked,
    choose_framework,
    finish,
    keys_for,
    loose,
    spawn_scaffold,
)


def test_interview_then_template_questions_make_the_project(workdir: Path) -> None:
    child = spawn_scaffold(["new", "demo"], workdir)
    answer_interview(child, {"app_type": "prototype", "size": "small", "team_size": "2"})
    child.expect("Recommended: flask")
    choose_framework(child, "flask")
    typed = {"project_name": "Demo Service", "author_name": "Ada Lovelace"}
    profile = Profile(app_type="prototype", size="small", team_size=2)
    answer_template(child, "flask", typed, profile=profile)
    output = finish(child)
    assert child.exitstatus == 0, output
    project = workdir / "demo"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Demo Service"
    assert answers["project_slug"] == "demo_service"
    assert answers["author_name"] == "Ada Lovelace"
    record = (project / "docs/decisions/0001-framework-choice.md").read_text()
    assert "| app_type | prototype |" in record
    assert "| team_size | 2 |" in record
    assert "the team accepted it" in record


def test_override_at_the_prompt(workdir: Path) -> None:
    child = spawn_scaffold(["new", "site", "--data", "project_name=Corporate Site"], workdir)
    answer_interview(child, {"admin_ui": "y"})
    child.expect("Recommended: django")
    choose_framework(child, "django", "flask")
    child.expect(loose("Overriding the recommendation (django): generating a flask project."))
    answer_template(child, "flask", {}, given=("project_name",), profile=Profile(admin_ui=True))
    output = finish(child)
    assert child.exitstatus == 0, output
    record = (workdir / "site/docs/decisions/0001-framework-choice.md").read_text()
    assert "scaffold recommended **Django**; the team overrode the recommendation." in record


def test_an_invalid_number_is_asked_again(workdir: Path) -> None:
    child = spawn_scaffold(["recommend"], workdir)
    specs = list(field_specs().values())
    assert [s.name for s in specs[:3]] == ["app_type", "size", "team_size"]
    for spec, answer in zip(specs[:2], ["api", "small"], strict=True):
        child.expect(printed(spec.question))
        child.send(keys_for(spec, answer))
    child.expect(printed(specs[2].question))
    child.send(CLEAR_LINE + "0\r")
    child.expect(loose("enter a whole number >= 1"))
    child.send(CLEAR_LINE + "4\r")
    for spec in specs[3:]:
        child.expect(printed(spec.question))
        child.send("\r")
    child.expect("Recommended: flask")
    child.expect("What would change the recommendation")
    finish(child)
    assert child.exitstatus == 0


def test_ctrl_c_in_the_interview_leaves_nothing(workdir: Path, staging_dir: Path) -> None:
    child = spawn_scaffold(["new", "app"], workdir)
    child.expect(printed(field_specs()["app_type"].question))
    child.send("\r")
    child.expect(printed(field_specs()["size"].question))
    child.sendcontrol("c")
    output = finish(child)
    assert child.exitstatus == 130, output
    assert "Traceback" not in output
    assert list(workdir.iterdir()) == []
    assert list(staging_dir.iterdir()) == []


def test_shadowing_names_are_refused_at_the_prompt(workdir: Path) -> None:
    child = spawn_scaffold(["new", "--framework", "flask"], workdir)
    questions = {q.name: q for q in template_questions("flask")}
    child.expect(printed(questions["project_name"].help))
    child.send(CLEAR_LINE + "Flask\r")
    child.expect(loose("'flask' is a module; add a word"))
    child.send(CLEAR_LINE + "Flask Shop\r")
    child.expect(printed(questions["project_slug"].help))
    child.send(CLEAR_LINE + "site\r")
    child.expect(loose("'site' is a module; add a word"))
    child.send(CLEAR_LINE + "flask_shop\r")
    answer_template(child, "flask", {}, given=("project_name", "project_slug"))
    output = finish(child)
    assert child.exitstatus == 0, output
    assert (workdir / "flask_shop" / "src" / "flask_shop").is_dir()


def test_conflicting_features_are_refused_at_the_checkbox(workdir: Path) -> None:
    child = spawn_scaffold(["new", "app", "--framework", "flask"], workdir)
    for question in template_questions("flask"):
        if not asked(question, "flask"):
            continue
        child.expect(printed(question.help))
        if question.name == "features":
            child.send(" ")  # the cursor starts on 'database': untick it (auth needs it)
            child.send("\r")
            child.expect(loose("'auth' needs 'database' (stores users)"))
            child.send(" ")  # tick it again, and the answer is accepted
        child.send("\r")
    output = finish(child)
    assert child.exitstatus == 0, output
    answers = yaml.safe_load((workdir / "app" / ".copier-answers.yml").read_text())
    assert {"database", "auth"} <= set(answers["features"])


@pytest.mark.parametrize("at_question", ["description", "python_version"])
def test_ctrl_c_leaves_nothing(workdir: Path, staging_dir: Path, at_question: str) -> None:
    child = spawn_scaffold(["new", "app", "--framework", "flask"], workdir)
    for question in template_questions("flask"):
        child.expect(printed(question.help))
        if question.name == at_question:
            break
        child.send("\r")
    child.sendcontrol("c")
    output = finish(child)
    assert child.exitstatus == 130, output
    assert "interrupted; nothing was written" in output
    assert "Traceback" not in output
    assert list(workdir.iterdir()) == []
    assert list(staging_dir.iterdir()) == []


def test_refusals_are_whole_on_an_80_column_terminal(workdir: Path) -> None:
    """Copier shows a refusal on one line, cut at the terminal's width."""
    child = spawn_scaffold(["new", "--framework", "hybrid"], workdir, width=TERMINAL_WIDTH)
    typed = {"project_name": "Django", "project_slug": "test", "author_email": "nobody"}
    accepted = {"project_name": "Django Shop", "project_slug": "shop", "author_email": "a@b.org"}
    refusals = {
        "project_name": "'django' is a module; add a word",
        "project_slug": "'test' is a module; add a word",
        "author_email": "expected an address like a@b.org",
        "worker_services": "'web' is a module name",
    }
    for question in template_questions("hybrid"):
        child.expect(printed(question.help))
        if question.name in refusals:
            child.send(CLEAR_LINE + typed.get(question.name, "[web]") + "\r")
            whole = f"Validation error for question '{question.name}': {refusals[question.name]}"
            child.expect(loose(whole))
            child.send(CLEAR_LINE + accepted.get(question.name, "[reports]"))
        child.send("\r")
    output = finish(child)
    assert child.exitstatus == 0, output
    assert (workdir / "shop").is_dir()


def test_the_interview_shapes_the_template_defaults(workdir: Path) -> None:
    """ "A JSON API" with no user accounts: the features prompt offers the API and not
    the accounts code, and Enter takes that."""
    child = spawn_scaffold(["new", "api"], workdir)
    answer_interview(child, {"app_type": "api"})
    child.expect("Recommended: flask")
    choose_framework(child, "flask")
    child.expect(loose("Your answers set these flask template defaults"))
    answer_template(child, "flask", {}, profile=Profile(app_type="api"))
    output = finish(child)
    assert child.exitstatus == 0, output
    answers = yaml.safe_load((workdir / "api" / ".copier-answers.yml").read_text())
    assert answers["features"] == ["database", "forms", "api", "security_headers"]
