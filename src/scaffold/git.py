"""git, as scaffold runs it: one-line failures, and the health of a template clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scaffold.errors import ScaffoldFailure


def require_git() -> None:
    if shutil.which("git") is None:
        raise ScaffoldFailure("git is not installed or not on PATH; scaffold needs it")


def git(path: Path, *args: str, check: bool = True) -> str:
    """Run git in `path` and return its output; a failure becomes one ScaffoldFailure line."""
    result = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ScaffoldFailure(f"git {' '.join(args)} failed: {failure_detail(result.stderr)}")
    return result.stdout if result.returncode == 0 else ""


def failure_detail(error: Exception | str) -> str:
    """The last line a failed command printed (git's 'fatal: ...'), else the error."""
    text = error if isinstance(error, str) else str(getattr(error, "stderr", None) or error)
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else "no message"


def is_clone(path: str | Path) -> bool:
    return Path(path, ".git").exists()


def check_template_clone(clone: Path) -> None:
    """Refuse a clone holding another git repository that is not ignored.

    Copier renders a clone's HEAD plus its uncommitted files, and would take a nested
    repository (a project generated inside the clone) for a submodule with no URL.
    """
    try:
        status = git(clone, "status", "--porcelain", "--untracked-files=normal")
    except ScaffoldFailure as error:
        message = f"the template clone {clone} is damaged ({error}); clone it again"
        raise ScaffoldFailure(message) from None
    for line in status.splitlines():
        path = line[3:].rstrip("/")
        if line.startswith("??") and is_clone(clone / path):
            raise ScaffoldFailure(
                f"scaffold's clone {clone} holds another git repository, '{path}', that "
                "Copier would take for a submodule; move it out of the clone"
            )
