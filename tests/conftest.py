"""Shared helpers: run the real `scaffold` command and inspect what it left behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
FRAMEWORKS = ("flask", "django", "hybrid")
# The console script installed beside this interpreter: the command users type.
SCAFFOLD = shutil.which("scaffold", path=str(Path(sys.executable).parent)) or "scaffold"


# Copier shows a refused answer on one line, "Validation error for question '<name>':
# <message>", cut at the terminal's width: messages must fit in the narrowest usual one.
TERMINAL_WIDTH = 80
# What a terminal may print between the words of a wrapped text: spaces, line breaks
# and styling.
_BETWEEN_WORDS = r"(?:\s|\x1b\[[0-9;?]*[A-Za-z])+"


def printed(text: str) -> str:
    """A pattern for text as a terminal prints it, wrapped or styled between words."""
    return _BETWEEN_WORDS.join(re.escape(word) for word in text.split())


def assert_fits_terminal(refusal: str) -> None:
    """The first line of Copier's refusal fits on one line of the narrowest terminal."""
    line = str(refusal).splitlines()[0]
    assert len(line) <= TERMINAL_WIDTH, f"{len(line)} columns: {line!r}"


def shared_question_names(template: Path, block: str) -> frozenset[str]:
    """The questions of one of the blocks every template's copier.yml shares."""
    text = (template / "copier.yml").read_text(encoding="utf-8")
    inside = text.split(f"# ---- {block.capitalize()} questions", 1)[1]
    inside = inside.split(f"# ---- End of {block} questions", 1)[0]
    return frozenset(yaml.safe_load(inside.split("\n", 1)[1]))


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_scaffold(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run `scaffold ARGS` in a subprocess with no terminal on stdin."""
    completed = subprocess.run(
        [SCAFFOLD, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def tree(path: Path) -> dict[str, bytes]:
    """Every file under path (git internals left out), with its content."""
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }


def working_tree_copy(dest: Path) -> Path:
    """A new git repository holding this checkout's files as they are now (tracked and
    new, not ignored), so tests see uncommitted work without touching the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    subprocess.run(["git", "init", "--quiet"], cwd=dest, check=True)
    subprocess.run(["git", "add", "--all"], cwd=dest, check=True)
    return dest


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, with TMPDIR inside it so leftovers are visible."""
    work = tmp_path / "work"
    work.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    return work


@pytest.fixture
def staging_dir(workdir: Path) -> Path:
    """Where scaffold stages projects in tests (TMPDIR of `workdir`)."""
    return workdir.parent / "tmp"


def on_one_worker(group: str, *params: str) -> list[Any]:
    """Fixture parameters whose tests run on one xdist worker each (pyproject.toml:
    --dist loadgroup), so that the module-scoped project each needs is set up once,
    not once per worker."""
    return [pytest.param(name, marks=pytest.mark.xdist_group(f"{group}-{name}")) for name in params]
