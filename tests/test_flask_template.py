"""templates/flask: render answer combinations and run each generated project's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from generated import (
    check_lint,
    leftover_jinja,
    project_env,
    render,
    requirements,
    run_project_tests,
)

COMBINATIONS = {"defaults": {}}


@pytest.fixture(scope="session")
def flask_env(tmp_path_factory: pytest.TempPathFactory):
    """One environment with every dependency any combination needs."""
    everything = render("flask", {}, tmp_path_factory.mktemp("all") / "project")
    return project_env(requirements(everything))


@pytest.mark.slow
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combination(name: str, tmp_path: Path, flask_env) -> None:
    project = render("flask", COMBINATIONS[name], tmp_path / "project")
    assert leftover_jinja(project) == []
    check_lint(project, flask_env)
    run_project_tests(project, flask_env)
