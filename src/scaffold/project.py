"""Create a project: Copier renders into a staging directory, then git, then a move.

The destination only appears once everything succeeded, so a failure or Ctrl-C at
any point leaves nothing behind and never touches an existing user file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.catalog import Origin, check_answers, locate_templates
from scaffold.decision import Decision, write_record
from scaffold.errors import ScaffoldFailure, UserError
from scaffold.git import check_template_clone, failure_detail, git

ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class NewProject:
    framework: str
    decision: Decision
    # Answers from --data-file and --data, passed to Copier unchanged.
    answers: Mapping[str, Any]
    # Take every unanswered question's default instead of prompting.
    defaults: bool
    # None: a directory named after the project slug, in the current directory.
    dest: Path | None
    # Overrides the canonical repository recorded by projects made from a release wheel.
    repository: str | None = None
    # Defaults the project profile gives the template's questions (template_defaults.yml);
    # the prompts show them and --defaults takes them.
    shaped_defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CreatedProject:
    path: Path
    answers: Mapping[str, Any]


def ensure_free(dest: Path) -> None:
    """Refuse a destination that exists and holds anything, or lies in scaffold's clone."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"destination '{dest}' exists and is not empty; choose a new directory")
    clone = locate_templates().clone()
    if clone is not None and dest.resolve().is_relative_to(clone.resolve()):
        raise UserError(
            f"destination '{dest}' is inside scaffold's own clone ({clone}), whose files "
            f"are the templates; choose a directory outside it, such as '{_beside(clone)}'"
        )


def default_parent() -> Path:
    """Where a project goes when no DEST is given: the current directory, or, inside
    scaffold's own clone (where the README's first command runs), beside the clone."""
    clone = locate_templates().clone()
    here = Path.cwd()
    if clone is not None and here.resolve().is_relative_to(clone.resolve()):
        return Path(os.path.relpath(clone.resolve().parent, here))
    return Path()


def _beside(clone: Path) -> str:
    return os.path.relpath(clone.resolve().parent / "my_project")


def create_project(request: NewProject) -> CreatedProject:
    """Render, record the decision, commit, and move the project into place."""
    check_answers(request.framework, request.answers)
    slug = request.answers.get("project_slug")
    if request.dest is None and slug:
        ensure_free(default_parent() / str(slug))
    staging_root = Path(tempfile.mkdtemp(prefix="scaffold-"))
    try:
        staging = staging_root / "project"
        answers = _render(request, staging)
        dest = request.dest or default_parent() / answers["project_slug"]
        ensure_free(dest)
        write_record(staging, request.decision)
        _commit(staging, answers, request.framework)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.rmdir()  # ensure_free allowed only an empty directory
        shutil.move(staging, dest)
        return CreatedProject(dest, answers)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)


def _render(request: NewProject, staging: Path) -> dict[str, Any]:
    import warnings

    import copier
    import yaml
    from copier.errors import CopierError, DirtyLocalWarning

    source = locate_templates()
    if source.is_checkout:
        check_template_clone(source.root)
    try:
        with warnings.catch_warnings():
            # In a checkout, uncommitted template edits are what a developer wants rendered.
            warnings.simplefilter("ignore", DirtyLocalWarning)
            copier.run_copy(
                str(source.root),
                staging,
                data={**request.answers, "framework": request.framework},
                user_defaults=dict(request.shaped_defaults),
                defaults=request.defaults,
                quiet=True,
                # A checkout renders the commit it is on, not its latest tag.
                vcs_ref="HEAD" if source.is_checkout else None,
            )
    except KeyboardInterrupt:  # Copier's interrupted prompts are CopierErrors too
        raise
    except ValueError as error:
        # Copier raises ValueError for an answer its question's choices or validator
        # refuses ("Validation error for question 'project_slug': ...").
        raise UserError(" ".join(str(error).split())) from None
    except (CopierError, OSError) as error:  # OSError: git (run by Copier) failed
        raise ScaffoldFailure(
            f"Copier could not render the template from {source.root}: {failure_detail(error)}"
        ) from None
    if origin := source.recorded_origin(request.repository):
        record_origin(staging / ANSWERS_FILE, origin)
    return yaml.safe_load((staging / ANSWERS_FILE).read_text(encoding="utf-8"))


def record_origin(answers_file: Path, origin: Origin) -> None:
    """Point the answers file at the template's repository and version.

    Copier rendered from the packaged files, which are not a git repository, so it
    recorded their directory and no commit; `copier update` needs both.
    """
    import yaml

    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("_src_path:", "_commit:"))]
    recorded = yaml.safe_dump({"_commit": origin.commit, "_src_path": origin.src_path})
    # Copier writes its keys sorted, after the comment line: keep that order.
    answers_file.write_text("".join(kept[:1]) + recorded + "".join(kept[1:]), encoding="utf-8")


def _commit(path: Path, answers: Mapping[str, Any], framework: str) -> None:
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "--all")
    identity: list[str] = []
    if not git(path, "config", "user.email", check=False).strip():
        # No git identity on this machine: sign the first commit with the author answers.
        identity = ["-c", f"user.name={answers['author_name']}"]
        identity += ["-c", f"user.email={answers['author_email']}"]
    git(path, *identity, "commit", "--quiet", "-m", f"Initial {framework} project from scaffold")


def next_commands(project: Path) -> list[str]:
    """The commands in the first code block of the generated README's Quick start."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\n.*?```\w*\n(.*?)```", readme, re.S | re.M)
    return match.group(1).strip().splitlines() if match else []
