"""Generated projects on a newer Python than the one running the tests.

The rest of the suite runs generated projects on the interpreter running the tests
(3.11 on CI). Here each template is rendered for the newest `python_version` choice
installed on this machine (on PATH), and the project's linters and own tests run on it.
Skipped, saying why, where no newer offered Python is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FRAMEWORKS
from generated import check_lint, project_env, project_requirements, render, run_project_tests
from scaffold.catalog import template_questions

OFFERED = next(q for q in template_questions("flask") if q.name == "python_version").choices
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def interpreter(version: str) -> str | None:
    """python<version> on PATH, if it runs (a pyenv shim for a version not selected
    does not)."""
    path = shutil.which(f"python{version}")
    if path is None or subprocess.run([path, "-c", ""], capture_output=True).returncode:
        return None
    return path


INSTALLED = {version: interpreter(version) for version in OFFERED if version != RUNNING}
NEWEST = max(
    (version for version, path in INSTALLED.items() if path),
    key=lambda version: tuple(map(int, version.split("."))),
    default=None,
)


@pytest.mark.slow
@pytest.mark.skipif(
    NEWEST is None, reason=f"none of python{', python'.join(INSTALLED)} is installed"
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_project_passes_on_the_newest_python(framework: str, tmp_path: Path) -> None:
    project = render(framework, {"python_version": NEWEST}, tmp_path / "project")
    env = project_env(project_requirements(project), python=INSTALLED[NEWEST])
    assert (
        env.run("python", "--version", cwd=project).stdout.strip().startswith(f"Python {NEWEST}.")
    )
    check_lint(project, env)
    run_project_tests(project, env)
