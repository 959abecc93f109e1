"""Each generated project's README commands work as written, on a fresh virtualenv."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import FRAMEWORKS
from generated import free_port, render, wait_for_http
from scaffold.project import next_commands


def _bash(command: str, cwd: Path, env: dict[str, str], **kwargs) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "COLUMNS", "LINES")}
    return subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env={**clean, **env}, start_new_session=True, **kwargs
    )


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_readme_commands_run_the_app_and_its_tests(framework: str, tmp_path: Path) -> None:
    project = render(framework, {}, tmp_path / "project")
    commands = next_commands(project)
    if len(commands) == 1:
        pytest.skip(f"the {framework} template is still a placeholder")
    run_app, run_tests = commands

    tests = _bash(run_tests, project, {})
    assert tests.wait(timeout=900) == 0, f"`{run_tests}` failed"

    port = free_port()
    if run_app.rstrip().endswith("runserver"):  # Django's dev server takes the port as an argument
        run_app += f" 127.0.0.1:{port}"
    log = (tmp_path / "app.log").open("wb")
    # The only change to the documented command: a free port.
    app = _bash(run_app, project, {"FLASK_RUN_PORT": str(port), "PORT": str(port)},
                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", app, timeout=300, until_ok=True)
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
