"""The interactive path in a pseudo-terminal: typed answers produce the project."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pexpect
import pytest
import yaml

from conftest import SCAFFOLD
from scaffold.catalog import Question, template_questions
from scaffold.profile import field_specs

CLEAR_LINE = "\x15"  # Ctrl-U: Copier pre-fills each default, so clear it before typing
STYLE = r"(?:\x1b\[[0-9;]*m)*"  # rich keeps bold on with NO_COLOR


def _loose(text: str) -> str:
    """A pattern for text as printed, with terminal styling allowed between characters."""
    return STYLE.join(re.escape(c) for c in text)


def _prompt(name: str) -> str:
    """The line of a profile prompt: 'name [choices] (default): '."""
    return rf"\n{name} [^\n]*: "


class Terminal(pexpect.spawn):
    """A pseudo-terminal that answers cursor-position queries, as a real terminal does.

    prompt_toolkit (Copier's prompts) asks for the cursor position to size its layout;
    without an answer it hides, among others, the line where a refused answer's reason
    appears.
    """

    CURSOR_POSITION_QUERY = "\x1b\\[6n"

    def expect(self, pattern, timeout=-1, **kwargs):  # type: ignore[override]
        patterns = pattern if isinstance(pattern, list) else [pattern]
        while True:
            index = super().expect([*patterns, self.CURSOR_POSITION_QUERY], timeout, **kwargs)
            if index < len(patterns):
                return index
            self.send("\x1b[1;1R")


def _spawn(args: list[str], cwd: Path) -> pexpect.spawn:
    # Under pytest-xdist, COLUMNS and LINES are set; the pseudo-terminal's size must rule.
    inherited = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env = {
        **inherited,
        "TERM": "xterm",
        "NO_COLOR": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return Terminal(
        SCAFFOLD, args, cwd=str(cwd), env=env, encoding="utf-8", timeout=60, dimensions=(60, 250)
    )


def _answer_interview(child: pexpect.spawn, answers: dict[str, str]) -> None:
    for name in field_specs():
        child.expect(_prompt(name))
        child.sendline(answers.get(name, ""))


def _asked(question: Question, framework: str) -> bool:
    """Whether Copier asks a question, when the earlier answers are the defaults."""
    if question.condition is None:
        return True
    defaults = {q.name: q.default for q in template_questions(framework)}
    condition = jinja2.Template(question.condition)
    return condition.render(defaults, framework=framework).strip() == "True"


def _answer_template(
    child: pexpect.spawn, framework: str, typed: dict[str, str], given: tuple[str, ...] = ()
) -> None:
    """Wait for each question not `given` with --data (by its help text) and answer it."""
    for question in template_questions(framework):
        if not _asked(question, framework) or question.name in given:
            continue
        child.expect(re.escape(question.help))
        if question.name in typed:
            child.send(CLEAR_LINE + typed[question.name] + "\r")
        else:
            child.send("\r")  # keep the default (or the default choices)


def _finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    return child.before


def test_interview_then_template_questions_make_the_project(workdir: Path) -> None:
    child = _spawn(["new", "demo"], workdir)
    _answer_interview(child, {"app_type": "prototype", "size": "small", "team_size": "2"})
    child.expect("Recommended: flask")
    child.expect(_loose("framework [flask/django/hybrid] (flask): "))
    child.sendline("")
    _answer_template(
        child, "flask", {"project_name": "Demo Service", "author_name": "Ada Lovelace"}
    )
    output = _finish(child)
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
    child = _spawn(["new", "site", "--data", "project_name=Corporate Site"], workdir)
    _answer_interview(child, {"admin_ui": "y"})
    child.expect("Recommended: django")
    child.expect(_loose("framework [flask/django/hybrid] (django): "))
    child.sendline("flask")
    _answer_template(child, "flask", {}, given=("project_name",))
    output = _finish(child)
    assert child.exitstatus == 0, output
    record = (workdir / "site/docs/decisions/0001-framework-choice.md").read_text()
    assert "scaffold recommended **Django**; the team overrode the recommendation." in record


def test_invalid_interview_answers_are_asked_again(workdir: Path) -> None:
    child = _spawn(["recommend"], workdir)
    child.expect(_prompt("app_type"))
    child.sendline("blog")
    child.expect("Please select one of the available options")
    child.expect(_prompt("app_type"))
    child.sendline("api")
    child.expect(_prompt("size"))
    child.sendline("")
    child.expect(_prompt("team_size"))
    child.sendline("0")
    child.expect("Please enter a whole number >= 1")
    child.sendline("4")
    for name in list(field_specs())[3:]:
        child.expect(_prompt(name))
        child.sendline("")
    child.expect("Recommended: flask")
    _finish(child)
    assert child.exitstatus == 0


def test_shadowing_names_are_refused_at_the_prompt(workdir: Path) -> None:
    child = _spawn(["new", "--framework", "flask"], workdir)
    questions = {q.name: q for q in template_questions("flask")}
    child.expect(re.escape(questions["project_name"].help))
    child.send(CLEAR_LINE + "Flask\r")
    child.expect(_loose("gives the package name 'flask', which would shadow the module"))
    child.send(CLEAR_LINE + "Flask Shop\r")
    child.expect(re.escape(questions["project_slug"].help))
    child.send(CLEAR_LINE + "site\r")
    child.expect(_loose("'site' would shadow the module of that name"))
    child.send(CLEAR_LINE + "flask_shop\r")
    _answer_template(child, "flask", {}, given=("project_name", "project_slug"))
    output = _finish(child)
    assert child.exitstatus == 0, output
    assert (workdir / "flask_shop" / "src" / "flask_shop").is_dir()


def test_conflicting_features_are_refused_at_the_checkbox(workdir: Path) -> None:
    child = _spawn(["new", "app", "--framework", "flask"], workdir)
    for question in template_questions("flask"):
        if not _asked(question, "flask"):
            continue
        child.expect(re.escape(question.help))
        if question.name == "features":
            child.send(" ")  # the cursor starts on 'database': untick it (auth needs it)
            child.send("\r")
            child.expect(_loose("'auth' needs 'database'"))
            child.send(" ")  # tick it again, and the answer is accepted
        child.send("\r")
    output = _finish(child)
    assert child.exitstatus == 0, output
    answers = yaml.safe_load((workdir / "app" / ".copier-answers.yml").read_text())
    assert {"database", "auth"} <= set(answers["features"])


@pytest.mark.parametrize("at_question", ["description", "python_version"])
def test_ctrl_c_leaves_nothing(workdir: Path, staging_dir: Path, at_question: str) -> None:
    child = _spawn(["new", "app", "--framework", "flask"], workdir)
    for question in template_questions("flask"):
        child.expect(re.escape(question.help))
        if question.name == at_question:
            break
        child.send("\r")
    child.sendcontrol("c")
    output = _finish(child)
    assert child.exitstatus == 130, output
    assert "interrupted; nothing was written" in output
    assert "Traceback" not in output
    assert list(workdir.iterdir()) == []
    assert list(staging_dir.iterdir()) == []
