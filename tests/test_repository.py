"""The repository as a product: README commands, CI, packaging, plain Copier use."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from conftest import FRAMEWORKS, REPO, TEMPLATES, tree, working_tree_copy
from scaffold.engine import recommend
from scaffold.profile import Profile
from terminal import (
    Terminal,
    answer_interview,
    answer_template,
    choose_framework,
    finish,
    terminal_env,
)

COPIER = str(Path(sys.executable).parent / "copier")
TRUST_ONLY_SETTINGS = {"_tasks", "_migrations", "_jinja_extensions", "_external_data"}


def _readme_commands() -> list[str]:
    section = (REPO / "README.md").read_text().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_has_two_commands_and_ci_runs_the_test_one() -> None:
    install_and_run, run_tests = _readme_commands()
    assert "scaffold new" in install_and_run
    assert "pytest" in run_tests
    assert run_tests in (REPO / ".ci" / "run").read_text().splitlines()


class _KeepIncludes(yaml.SafeLoader):
    pass


_KeepIncludes.add_constructor("!include", lambda loader, node: {})


@pytest.mark.parametrize(
    "config", [REPO / "copier.yml", *(TEMPLATES / f / "copier.yml" for f in FRAMEWORKS)]
)
def test_templates_need_no_trust(config: Path) -> None:
    for document in yaml.load_all(config.read_text(), _KeepIncludes):
        assert not TRUST_ONLY_SETTINGS & set(document or {}), config


def _copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COPIER, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_plain_copier_copy_of_the_repository_routes_to_the_template(
    framework: str, tmp_path: Path
) -> None:
    result = _copier(
        "copy", "--vcs-ref", "HEAD", "--defaults", "--data", f"framework={framework}",
        str(REPO), "project", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((tmp_path / "project" / ".copier-answers.yml").read_text())
    assert answers["framework"] == framework
    assert answers["_src_path"] == str(REPO)
    assert answers["_commit"]  # recorded, so `copier update` can find the old version
    assert not (tmp_path / "project" / "copier.yml").exists()
    assert not (tmp_path / "project" / "templates").exists()


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_template_renders_on_its_own(framework: str, tmp_path: Path) -> None:
    result = _copier("copy", "--defaults", str(TEMPLATES / framework), "project", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "project"
    assert (project / "README.md").is_file()
    assert not (project / "copier.yml").exists()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert "framework" not in answers  # computed by the template itself, not stored


@pytest.mark.slow
def test_the_wheel_carries_the_templates_and_works_from_anywhere(tmp_path: Path) -> None:
    wheels = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        check=True,
    )
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    (wheel,) = wheels.glob("scaffold-*.whl")
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(
        [env_dir / "bin" / "scaffold", "new", "--framework", "flask", "--defaults"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "my_project" / "pyproject.toml").is_file()
    installed = subprocess.run(
        [python, "-c", "import scaffold.catalog as c; print(c.locate_templates())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "is_checkout=False" in installed


@pytest.mark.slow
def test_pre_commit_is_clean(tmp_path: Path) -> None:
    copy = working_tree_copy(tmp_path / "repo")
    result = subprocess.run(
        [
            Path(sys.executable).parent / "pre-commit",
            "run",
            "--all-files",
            "--show-diff-on-failure",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "script", sorted(REPO.glob("benchmarks/*/bench.py")), ids=lambda p: p.parent.name
)
def test_benchmark_scripts_load_and_are_indexed(script: Path) -> None:
    """The benchmarks are not run here (their figures need a quiet machine), but each
    imports what it uses, parses its options, and is listed in benchmarks/README.md."""
    result = subprocess.run(
        [sys.executable, script, "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    assert f"({script.parent.name}/README.md)" in (REPO / "benchmarks" / "README.md").read_text()


@pytest.mark.slow
def test_readme_commands_in_order_in_one_clone(tmp_path: Path) -> None:
    """A newcomer's first hour: the README's first command (interactive, taking every
    default), then the second in the same clone. The project lands beside the clone,
    which stays clean, so that the clone's own tests still render from it."""
    clone = working_tree_copy(tmp_path / "scaffold")
    identity = {
        "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
    }  # fmt: skip
    # A newcomer's machine: no git identity, no virtualenv active.
    env = terminal_env({"TMPDIR": str(tmp_path / "tmp")})
    env.pop("VIRTUAL_ENV", None)
    (tmp_path / "tmp").mkdir()
    subprocess.run(["git", "commit", "-q", "-m", "clone"], cwd=clone, env={**env, **identity},
                   check=True)  # fmt: skip
    install_and_run, run_tests = _readme_commands()

    child = Terminal(
        "bash", ["-c", install_and_run], cwd=str(clone), env=env, encoding="utf-8",
        timeout=300, dimensions=(40, 120),
    )  # fmt: skip
    answer_interview(child, {})
    recommended = recommend(Profile()).framework
    choose_framework(child, recommended)
    answer_template(child, recommended, {}, profile=Profile())
    output = finish(child)
    assert child.exitstatus == 0, output
    project = tmp_path / "my_project"
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"] == str(clone)
    assert "cd ../my_project" in output
    assert subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                          text=True, check=True).stdout == ""  # fmt: skip
    assert not list((tmp_path / "tmp").glob("scaffold-*")), "a build or render left files"

    # The project is up to date with the clone it came from: updating changes nothing.
    before = tree(project)
    updated = subprocess.run(
        [clone / ".venv/bin/scaffold", "update"], cwd=project, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert "already up to date" in updated.stdout
    assert tree(project) == before

    # The second command, with the tests that render from the clone: scaffold new and
    # plain `copier copy` of the clone (the whole suite is this suite, run by CI).
    selected = (
        "tests/test_cli.py "
        "'tests/test_repository.py::test_plain_copier_copy_of_the_repository_routes_to_the_template'"
    )
    assert run_tests.endswith("pytest -n auto")
    command = run_tests.removesuffix("-n auto") + f"-q -p no:cacheprovider {selected}"
    tests = subprocess.run(
        ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
        check=False, timeout=900,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
