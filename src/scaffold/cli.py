"""The command line: parses options, calls the modules that do the work, prints results.

Heavy modules (copier, yaml, jinja2) are imported inside the commands so that
`scaffold --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scaffold.catalog import Framework
from scaffold.errors import ScaffoldFailure, UserError

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    help="Recommend Flask, Django or a hybrid for a Python web project, and generate it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@cache
def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


INTERRUPTED = 130
DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data", "-d", metavar="KEY=VALUE", help="Answer a template question (repeatable)."
    ),
]
ProfileOption = Annotated[
    Path | None,
    typer.Option(
        "--profile", metavar="FILE", help="Project profile (YAML or JSON) instead of the interview."
    ),
]


def _print_version(requested: bool) -> None:
    if requested:
        from importlib.metadata import version

        print(f"scaffold {version('scaffold')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Recommend Flask, Django or a hybrid for a Python web project, and generate it."""


def main() -> None:
    """Console-script entry point: every error becomes one line and an exit code."""
    try:
        # Not standalone: typer returns exit codes and raises errors instead of
        # printing multi-line usage blocks, so each error below prints as one line.
        status = app(standalone_mode=False)
    except (UserError, ScaffoldFailure) as error:
        _fail(str(error), error.exit_code)
    except (typer.Abort, EOFError):  # end of input at a prompt
        _fail("aborted; nothing was written", INTERRUPTED)
    except Exception as error:
        # A usage error from the command-line parser (typer vendors click, so match
        # its interface rather than a private class).
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):
            # typer words a bad choice as 'Value error, ...': keep only the sentence.
            _fail(error.format_message().replace("Value error, ", ""), error.exit_code)
        raise
    if status == INTERRUPTED:  # typer turns Ctrl-C into this exit code
        _fail("interrupted; nothing was written", INTERRUPTED)
    raise SystemExit(status or 0)


def _fail(message: str, code: int) -> None:
    _console(stderr=True).print(f"error: {message}", markup=False, soft_wrap=True)
    raise SystemExit(code)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask_profile(profile_file: Path | None):
    from scaffold.interview import QuestionaryPrompter, run_interview
    from scaffold.profile import load_profile

    if profile_file is not None:
        return load_profile(profile_file)
    if not _interactive():
        raise UserError("no terminal for the interview; pass --profile FILE")
    return run_interview(QuestionaryPrompter())


def _show_recommendation(out: Console, recommendation, flips) -> None:
    from rich.table import Table

    winner = recommendation.framework
    out.print(f"\n[bold]Recommended: {winner}[/]")
    table = Table(show_header=True, box=None, padding=(0, 2))
    table.add_column("framework")
    table.add_column("score", justify="right")
    table.add_column("")
    for framework, score in recommendation.scores.items():
        note = "<- recommended" if framework == winner else ""
        if framework == "hybrid" and not recommendation.hybrid_eligible:
            note = "not eligible: needs Django's features AND separately scaled services"
        table.add_row(framework, str(score), note)
    out.print(table)
    for reason in recommendation.reasons:
        sign = "+" if reason.favours == winner else "-"
        weight = f"({reason.favours} +{reason.weight})"
        out.print(f" {sign} [bold]{reason.criterion}[/] {weight}: {reason.text}")
    out.print()
    if flips:
        out.print("What would change the recommendation (one answer changed on its own):")
        grouped: dict[tuple[str, str], list[str]] = {}
        for flip in flips:
            shown = str(flip.value).lower() if isinstance(flip.value, bool) else str(flip.value)
            grouped.setdefault((flip.key, flip.framework), []).append(shown)
        for (key, framework), values in grouped.items():
            out.print(f"  {key}: {' or '.join(values)} -> {framework}", markup=False)
    else:
        out.print("No single answer changed on its own would change the recommendation.")
    out.print()


@app.command()
def recommend(
    profile: ProfileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    """Interview about the project (or read --profile) and recommend a framework."""
    from scaffold.engine import recommend as score
    from scaffold.engine import what_would_change

    # With --json, stdout holds exactly one JSON object (the prompts draw on the terminal).
    answers = _ask_profile(profile)
    recommendation, flips = score(answers), what_would_change(answers)
    if as_json:
        found = {**recommendation.as_json(), "what_would_change": [f.as_json() for f in flips]}
        print(json.dumps(found))
    else:
        _show_recommendation(_console(), recommendation, flips)


def _parse_answers(data: list[str], data_file: Path | None) -> dict[str, Any]:
    import yaml

    answers: dict[str, Any] = {}
    if data_file is not None:
        try:
            loaded = yaml.safe_load(data_file.read_text(encoding="utf-8")) or {}
        except OSError as error:
            raise UserError(f"cannot read --data-file '{data_file}': {error.strerror}") from None
        except yaml.YAMLError:
            raise UserError(f"--data-file '{data_file}' is not valid YAML") from None
        if not isinstance(loaded, dict):
            raise UserError(f"--data-file '{data_file}' must map question names to answers")
        answers.update(loaded)
    for item in data:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--data expects KEY=VALUE, got '{item}'")
        answers[key] = value
    return answers


def _decide(framework: Framework | None, profile_file: Path | None, defaults: bool):
    """Interview or read the profile, recommend, and let the user confirm or override."""
    from scaffold.decision import Decision
    from scaffold.engine import recommend as score
    from scaffold.engine import what_would_change
    from scaffold.interview import QuestionaryPrompter, framework_question
    from scaffold.profile import Profile

    if framework is not None and profile_file is None:
        return Decision(framework.value)
    profile = Profile() if profile_file is None and defaults else _ask_profile(profile_file)
    recommendation = score(profile)
    _show_recommendation(_console(), recommendation, what_would_change(profile))
    if framework is not None:
        chosen = framework.value
    elif defaults or not _interactive():
        chosen = recommendation.framework
    else:
        chosen = QuestionaryPrompter().choice(framework_question(recommendation))
    decision = Decision(chosen, profile, recommendation)
    if decision.overridden:
        _console().print(
            f"Overriding the recommendation ({recommendation.framework}): "
            f"generating a {chosen} project.",
            markup=False,
        )
    return decision


def _show_shaped_defaults(framework: str, shaped) -> None:
    if not shaped.rules:
        return
    out = _console()
    out.print(f"Your answers set these {framework} template defaults (you can still change them):")
    for name, value in shaped.answers.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value).lower()
        out.print(f"  {name}: {shown}", markup=False)
    for rule in shaped.rules:
        out.print(f"  - {rule.id}: {rule.reason}", markup=False)
    out.print()


@app.command()
def new(
    dest: Annotated[
        Path | None,
        typer.Argument(
            metavar="DEST",
            help="Directory to create (default: the project slug).",
            show_default=False,
        ),
    ] = None,
    framework: Annotated[
        Framework | None,
        typer.Option(
            "--framework", case_sensitive=False, help="Skip the interview and use this template."
        ),
    ] = None,
    profile: ProfileOption = None,
    data: DataOption = None,
    data_file: Annotated[
        Path | None,
        typer.Option("--data-file", metavar="FILE", help="YAML file of template answers."),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", help="Never prompt: unanswered questions take their defaults."),
    ] = False,
    repository: Annotated[
        str | None,
        typer.Option(
            "--repository",
            metavar="URL",
            envvar="SCAFFOLD_REPOSITORY",
            help="Template repository to record for later updates (default: scaffold's own).",
        ),
    ] = None,
) -> None:
    """Recommend a framework, then generate the project with its template."""
    from scaffold.catalog import check_answers
    from scaffold.decision import RECORD_PATH
    from scaffold.git import require_git
    from scaffold.project import NewProject, create_project, ensure_free, next_commands
    from scaffold.template_defaults import shaped_defaults

    if dest is not None:
        ensure_free(dest)
    require_git()
    answers = _parse_answers(data or [], data_file)
    if framework is not None:
        check_answers(framework.value, answers)
    if not defaults and not _interactive():
        raise UserError("no terminal to ask the questions; pass --defaults to take defaults")
    decision = _decide(framework, profile, defaults)
    shaped = {}
    if decision.profile is not None:
        from_profile = shaped_defaults(decision.framework, decision.profile)
        _show_shaped_defaults(decision.framework, from_profile)
        shaped = from_profile.answers
    created = create_project(
        NewProject(decision.framework, decision, answers, defaults, dest, repository, shaped)
    )
    console = _console()
    console.print(
        f"[green]Created[/] a {decision.framework} project in [bold]{created.path}[/]",
        f"(decision record: {RECORD_PATH})\nNext:",
        soft_wrap=True,
    )
    for command in [f"cd {created.path}", *next_commands(created.path)]:
        # soft_wrap: a command must stay on one line to be copied and pasted.
        console.print(f"  {command}", markup=False, soft_wrap=True)


@app.command()
def templates() -> None:
    """List the templates and the questions each one asks (read from its copier.yml)."""
    import textwrap

    from scaffold.catalog import shown_defaults, template_questions

    console = _console()
    for framework in Framework:
        console.print(f"[bold]{framework.value} template[/]")
        defaults = shown_defaults(framework.value)
        for question in template_questions(framework.value):
            lines = [(f"{question.name}: {_answer_kind(question)}", 2)]
            default = defaults[question.name]
            if default not in (None, ""):
                lines.append((f"default: {_shown(default)}", 4))
            if condition := question.condition_within(framework.value):
                lines.append((f"asked when {condition}", 4))
            lines.append((question.help, 4))
            for text, indent in lines:
                # Wrapped by hand: rich would pad lines and read brackets as markup.
                wrapped = textwrap.wrap(text, console.width - indent - 1)
                console.print(textwrap.indent("\n".join(wrapped), " " * indent), markup=False)
        console.print()


def _answer_kind(question) -> str:
    if question.choices:
        several = "several of" if question.multiselect else "one of"
        return f"{several} {', '.join(map(str, question.choices))}"
    return {"bool": "yes/no", "str": "text", "yaml": "YAML"}.get(question.type, question.type)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


@app.command()
def update(
    dest: Annotated[
        Path,
        typer.Argument(metavar="DEST", help="The project to update (default: this directory)."),
    ] = Path("."),
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="REF",
            help="Template version (tag or commit); default: the newest release.",
        ),
    ] = None,
    data: DataOption = None,
) -> None:
    """Update a generated project to a newer template version, or change its answers."""
    from scaffold.update import update_project

    result = update_project(dest, to, _parse_answers(data or [], None), defaults=not _interactive())
    console = _console()
    if result.up_to_date:
        console.print(
            f"{dest} is already up to date (template {result.new_version}).", soft_wrap=True
        )
        return
    console.print(
        f"Updated {dest} from template {result.old_version} to {result.new_version}.",
        soft_wrap=True,
    )
    for title, paths in (
        ("Files changed:", result.changed),
        ("Kept, though the new template dropped them, because you had changed them:", result.kept),
        ("Conflicts to resolve (<<<<<<< markers, or .rej files):", result.conflicts),
    ):
        if paths:
            console.print(title, soft_wrap=True)
            for path in paths:
                console.print(f"  {path}", markup=False, soft_wrap=True)
    if result.conflicts:
        raise ScaffoldFailure(
            f"{len(result.conflicts)} conflict(s) remain: {', '.join(result.conflicts)}"
        )
    console.print("Review the changes with `git diff`, then commit them.", markup=False)
