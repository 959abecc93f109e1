"""The interview: one question per profile key, each with its default and a line of help."""

from __future__ import annotations

from typing import Protocol

from scaffold.catalog import Framework
from scaffold.engine import Recommendation
from scaffold.profile import FieldSpec, Profile, field_specs


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
        question="Framework to generate",
        help="Press Enter to take the recommendation, or type another framework to override it.",
    )


class RichPrompter:
    """Prompts on a terminal with rich; invalid answers are asked again."""

    def __init__(self, console) -> None:  # a rich.console.Console
        self.console = console

    def _header(self, spec: FieldSpec) -> None:
        self.console.print(f"[bold]{spec.question}[/]\n[dim]{spec.help}[/]")

    def choice(self, spec: FieldSpec) -> str:
        from rich.prompt import Prompt

        self._header(spec)
        return Prompt.ask(
            spec.name, choices=list(spec.choices), default=str(spec.default), console=self.console
        )

    def integer(self, spec: FieldSpec) -> int:
        from rich.prompt import IntPrompt

        self._header(spec)
        while True:
            value = IntPrompt.ask(spec.name, default=int(spec.default), console=self.console)
            if value >= spec.minimum:
                return value
            self.console.print(f"[prompt.invalid]Please enter {spec.allowed()}")

    def confirm(self, spec: FieldSpec) -> bool:
        from rich.prompt import Confirm

        self._header(spec)
        return Confirm.ask(spec.name, default=bool(spec.default), console=self.console)
