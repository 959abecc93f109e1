"""Programs on a pseudo-terminal, answered with the keys a user presses."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pexpect

from conftest import SCAFFOLD, printed
from scaffold.catalog import Question, shown_defaults, template_questions
from scaffold.profile import FieldSpec, Profile, field_specs
from scaffold.template_defaults import shaped_defaults

CLEAR_LINE = "\x15"  # Ctrl-U: input prompts pre-fill the default, so clear it before typing
DOWN, UP = "\x1b[B", "\x1b[A"  # arrow keys, as a terminal sends them
STYLE = r"(?:\x1b\[[0-9;]*m)*"  # styling may stay on with NO_COLOR


def loose(text: str) -> str:
    """A pattern for text as printed, with terminal styling allowed between characters."""
    return STYLE.join(re.escape(c) for c in text)


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


def terminal_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a program on a plain terminal, with no git configuration."""
    # Under pytest-xdist, COLUMNS and LINES are set; the pseudo-terminal's size must rule.
    inherited = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {
        **inherited,
        "TERM": "xterm",
        "NO_COLOR": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        **(extra or {}),
    }


def spawn_scaffold(args: list[str], cwd: Path, width: int = 250) -> Terminal:
    return Terminal(
        SCAFFOLD, args, cwd=str(cwd), env=terminal_env(), encoding="utf-8", timeout=60,
        dimensions=(60, width),
    )  # fmt: skip


def keys_for(spec: FieldSpec, answer: str | None) -> str:
    """What a user types to give `answer` (None: the default) at a question's prompt,
    the same keys as at Copier's prompts."""
    if answer is None:
        return "\r"
    if spec.kind == "choice":
        steps = spec.choices.index(answer) - spec.choices.index(str(spec.default))
        return (DOWN if steps > 0 else UP) * abs(steps) + "\r"
    if spec.kind == "integer":
        return CLEAR_LINE + answer + "\r"
    return answer  # y or n: a yes/no question takes one key


def answer_interview(child: pexpect.spawn, answers: dict[str, str]) -> None:
    for spec in field_specs().values():
        child.expect(printed(spec.question))
        child.send(keys_for(spec, answers.get(spec.name)))


def choose_framework(child: pexpect.spawn, recommended: str, chosen: str | None = None) -> None:
    child.expect("Which framework should the project use")
    spec = FieldSpec("framework", "choice", recommended, ("flask", "django", "hybrid"), "", "")
    child.send(keys_for(spec, chosen))


def asked(question: Question, framework: str, profile: Profile | None = None) -> bool:
    """Whether Copier asks a question when the questions before it took their defaults:
    the template's own, or those the profile gives it."""
    if question.condition is None:
        return True
    shaped = shaped_defaults(framework, profile).answers if profile else {}
    context = {**shown_defaults(framework), **shaped, "framework": framework}
    return jinja2.Template(question.condition).render(context).strip() == "True"


def answer_template(
    child: pexpect.spawn,
    framework: str,
    typed: dict[str, str],
    given: tuple[str, ...] = (),
    profile: Profile | None = None,
) -> None:
    """Wait for each question not `given` with --data (by its help text) and answer it.

    `profile`: the interview's answers, when there was an interview (they set defaults).
    """
    for question in template_questions(framework):
        if not asked(question, framework, profile) or question.name in given:
            continue
        child.expect(printed(question.help))
        if question.name in typed:
            child.send(CLEAR_LINE + typed[question.name] + "\r")
        else:
            child.send("\r")  # keep the default (or the default choices)


def finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    return child.before
