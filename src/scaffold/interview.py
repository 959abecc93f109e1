"""The interview: one question per profile key, each with its default and a line of help."""

from __future__ import annotations

from typing import Any, Protocol

from scaffold.catalog import Framework
from scaffold.engine import Recommendation
from scaffold.profile import FieldSpec, Profile, ProfileError, field_specs


class Prompter(Protocol):
    """Asks one question and returns a valid answer (re-asking on invalid input)."""

    def choice(self, spec: FieldSpec) -> str: ...

    def integer(self, spec: FieldSpec) -> int: ...

    def confirm(self, spec: FieldSpec) -> bool: ...


def run_interview(prompter: Prompter) -> Profile:
    """Ask every profile question in order and return the validated profile."""
    answers: dict[str, object] = {}
    for spec in field_specs().values():
        ask = {"choice": prompter.choice, "integer": prompter.integer, "boolean": prompter.confirm}
        answers[spec.name] = ask[spec.kind](spec)
    return Profile.from_mapping(answers)


def framework_question(recommendation: Recommendation) -> FieldSpec:
    """The confirm-or-override question, shaped like a profile question."""
    return FieldSpec(
        name="framework",
        kind="choice",
        default=recommendation.framework,
        choices=tuple(f.value for f in Framework),
        question="Which framework should the project use?",
        help="Enter takes the recommendation; choose another to override it.",
    )


class QuestionaryPrompter:
    """Prompts on a terminal exactly as Copier prompts for the template questions.

    The same library (questionary), question mark, layout and keys: arrow keys pick
    a choice, y/n answer a yes/no question, Enter takes the default.
    """

    def _ask(self, spec: FieldSpec, kind: str, **extra: Any) -> Any:
        from questionary import unsafe_prompt

        question = {
            "type": kind,
            "name": spec.name,
            "qmark": "🎤",
            # Copier's layout: the text, then the answer on the next line.
            "message": f"{spec.question}\n   {spec.help}\n  ",
            "mouse_support": True,
            **extra,
        }
        return unsafe_prompt([question])[spec.name]

    def choice(self, spec: FieldSpec) -> str:
        return self._ask(spec, "select", choices=list(spec.choices), default=spec.default)

    def integer(self, spec: FieldSpec) -> int:
        def valid(text: str) -> bool | str:
            try:
                spec.check(int(text))
            except (ValueError, ProfileError):
                return f"enter {spec.allowed()}"
            return True

        return int(self._ask(spec, "input", default=str(spec.default), validate=valid))

    def confirm(self, spec: FieldSpec) -> bool:
        return bool(self._ask(spec, "confirm", default=bool(spec.default)))
