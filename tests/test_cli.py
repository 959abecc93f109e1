"""The CLI through real subprocesses: the non-interactive paths and every bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import run_scaffold, tree
from scaffold.engine import recommend
from scaffold.profile import Profile

# No user-level git configuration: commits fall back to the template's author answers.
NO_GIT_CONFIG = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def _answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def _record(project: Path) -> str:
    return (project / "docs/decisions/0001-framework-choice.md").read_text()


def test_framework_and_defaults_ask_nothing(workdir: Path, staging_dir: Path) -> None:
    result = run_scaffold(
        "new", "--framework", "flask", "--defaults", cwd=workdir, env=NO_GIT_CONFIG
    )
    assert result.returncode == 0, result.stderr
    project = workdir / "my_project"
    assert _answers(project)["framework"] == "flask"
    # One commit holding everything, including the decision record; nothing left over.
    assert _git(project, "log", "--format=%an <%ae>|%s").splitlines() == [
        "Your Name <you@example.com>|Initial flask project from scaffold"
    ]
    assert _git(project, "status", "--porcelain") == ""
    assert "docs/decisions/0001-framework-choice.md" in _git(project, "ls-files")
    assert "chosen directly with `scaffold new --framework flask`" in _record(project)
    # The next commands are printed whole, one per line.
    assert "  cd my_project\n" in result.stdout
    tests = "-r requirements-dev.txt && pip install --no-deps -e . && pytest"
    assert f"{tests}\n" in result.stdout
    assert list(staging_dir.iterdir()) == []


def test_a_configured_git_identity_is_used(workdir: Path, tmp_path: Path) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n")
    result = run_scaffold(
        "new",
        "app",
        "--framework",
        "flask",
        "--defaults",
        cwd=workdir,
        env={"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert _git(workdir / "app", "log", "--format=%an <%ae>") == "Ada Lovelace <ada@example.org>\n"


def test_profile_recommendation_is_taken_and_recorded(workdir: Path) -> None:
    profile = workdir.parent / "profile.yml"
    profile.write_text("app_type: prototype\nsize: small\nteam_size: 2\n")
    result = run_scaffold(
        "new", "proto", "--profile", str(profile), "--defaults", cwd=workdir, env=NO_GIT_CONFIG
    )
    assert result.returncode == 0, result.stderr
    assert "Recommended: flask" in result.stdout
    record = _record(workdir / "proto")
    assert "We build on **Flask**." in record
    assert "the team accepted it" in record
    assert "| app_type | prototype |" in record
    assert "`prototype_first` (favours flask, weight 4)" in record
    assert "- Django (score 0)" in record


def test_override_is_recorded(workdir: Path) -> None:
    profile = workdir.parent / "profile.yml"
    profile.write_text("app_type: prototype\n")
    result = run_scaffold(
        "new",
        "p",
        "--profile",
        str(profile),
        "--framework",
        "django",
        "--defaults",
        cwd=workdir,
        env=NO_GIT_CONFIG,
    )
    assert result.returncode == 0, result.stderr
    record = _record(workdir / "p")
    assert "scaffold recommended **Flask**; the team overrode the recommendation." in record
    assert _answers(workdir / "p")["framework"] == "django"


def test_data_and_data_file_answer_questions(workdir: Path) -> None:
    data_file = workdir.parent / "answers.yml"
    data_file.write_text(
        "project_name: Billing API\nauthor_name: Grace Hopper\npython_version: '3.12'\n"
    )
    result = run_scaffold(
        "new",
        "--framework",
        "flask",
        "--defaults",
        "--data-file",
        str(data_file),
        "--data",
        "python_version=3.13",
        "-d",
        "description=Invoices and payments.",
        cwd=workdir,
        env=NO_GIT_CONFIG,
    )
    assert result.returncode == 0, result.stderr
    answers = _answers(workdir / "billing_api")
    assert answers["project_name"] == "Billing API"
    assert answers["author_name"] == "Grace Hopper"
    assert answers["python_version"] == "3.13"  # --data wins over --data-file
    assert answers["description"] == "Invoices and payments."


def test_empty_existing_destination_is_used(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    result = run_scaffold(
        "new", "empty", "--framework", "flask", "--defaults", cwd=workdir, env=NO_GIT_CONFIG
    )
    assert result.returncode == 0, result.stderr
    assert (workdir / "empty" / "pyproject.toml").is_file()


def test_recommend_json_prints_exactly_one_object(workdir: Path) -> None:
    profile = workdir / "p.json"
    profile.write_text('{"admin_ui": true, "heavy_services": true, "size": "large"}')
    result = run_scaffold("recommend", "--profile", "p.json", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # fails on anything besides one JSON document
    expected = recommend(Profile(admin_ui=True, heavy_services=True, size="large"))
    assert data == expected.as_json()
    assert data["framework"] == "hybrid"


def test_recommend_prints_scores_and_reasons(workdir: Path) -> None:
    (workdir / "p.yml").write_text("admin_ui: true\n")
    result = run_scaffold("recommend", "--profile", "p.yml", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "Recommended: django" in result.stdout
    assert "back_office (django +4)" in result.stdout
    for framework in ("flask", "django", "hybrid"):
        assert framework in result.stdout


def test_templates_lists_questions_from_copier_yml(workdir: Path) -> None:
    result = run_scaffold("templates", cwd=workdir, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for title in ("flask template", "django template", "hybrid template"):
        assert title in result.stdout
    assert "python_version" in result.stdout and "3.11, 3.12, 3.13, 3.14" in result.stdout
    assert "reserved_package_names" not in result.stdout


BAD_INPUT = {
    "unknown --data key": (
        ["--framework", "flask", "--defaults", "--data", "colour=red"],
        "error: --data colour: the flask template has no such question; allowed: project_name,",
    ),
    "--data value outside the choices": (
        ["--framework", "flask", "--defaults", "--data", "python_version=2.7"],
        "error: --data python_version: '2.7' is not allowed; allowed: 3.11, 3.12, 3.13, 3.14",
    ),
    "--data without =": (
        ["--framework", "flask", "--defaults", "--data", "python_version"],
        "error: --data expects KEY=VALUE, got 'python_version'",
    ),
    "name that gives no package name": (
        ["--framework", "flask", "--defaults", "--data", "project_name=42 Things"],
        "error: Validation error for question 'project_name': The project name must start with",
    ),
    "slug that is not a package name": (
        ["--framework", "flask", "--defaults", "--data", "project_slug=my-app"],
        "'my-app' is not a valid package name: use lowercase letters, digits and '_'",
    ),
    "name that shadows flask": (
        ["--framework", "flask", "--defaults", "--data", "project_name=Flask"],
        "question 'project_name': This name gives the package name 'flask', which would shadow",
    ),
    "name that shadows django": (
        ["--framework", "django", "--defaults", "--data", "project_name=Django"],
        "the package name 'django', which would shadow the module",
    ),
    "slug that shadows test": (
        ["--framework", "flask", "--defaults", "--data", "project_slug=test"],
        "'test' would shadow the module",
    ),
    "slug that shadows site": (
        ["--framework", "hybrid", "--defaults", "--data", "project_slug=site"],
        "'site' would shadow the module",
    ),
    "bad email": (
        ["--framework", "flask", "--defaults", "--data", "author_email=nobody"],
        "'nobody' is not an email address",
    ),
    "unknown framework": (
        ["--framework", "rails", "--defaults"],
        "error: Invalid value for '--framework': 'rails' is not one of 'flask', 'django', 'hybrid'",
    ),
    "profile with an unknown key": (
        ["--profile", "{bad_key}", "--defaults"],
        "error: unknown profile key 'colour'; allowed keys: app_type, size, team_size,",
    ),
    "profile value outside the list": (
        ["--profile", "{bad_value}", "--defaults"],
        "error: profile key 'size': 'huge' is not allowed; allowed: small, medium, large",
    ),
    "profile value of the wrong type": (
        ["--profile", "{bad_type}", "--defaults"],
        "error: profile key 'admin_ui': 'yes' is not allowed; allowed: true or false",
    ),
    "missing profile file": (
        ["--profile", "missing.yml", "--defaults"],
        "error: cannot read profile file 'missing.yml': No such file or directory",
    ),
    "no terminal and no --defaults": (
        ["--framework", "flask"],
        "error: no terminal to ask the questions; pass --defaults to take defaults",
    ),
    "--data-file that is not a mapping": (
        ["--framework", "flask", "--defaults", "--data-file", "{list_file}"],
        "must map question names to answers",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: str, workdir: Path, staging_dir: Path
) -> None:
    inputs = workdir.parent
    files = {
        "bad_key": ("bad_key.yml", "colour: blue\n"),
        "bad_value": ("bad_value.yml", "size: huge\n"),
        "bad_type": ("bad_type.yml", "admin_ui: 'yes'\n"),
        "list_file": ("list.yml", "- a\n- b\n"),
    }
    for name, content in files.values():
        (inputs / name).write_text(content)
    args, message = BAD_INPUT[case]
    args = [a.format(**{k: str(inputs / n) for k, (n, _) in files.items()}) for a in args]
    result = run_scaffold("new", *args, cwd=workdir, env=NO_GIT_CONFIG)
    assert result.returncode == 2, result
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert list(workdir.iterdir()) == []
    assert list(staging_dir.iterdir()) == []


def test_non_empty_destination_is_refused_untouched(workdir: Path, staging_dir: Path) -> None:
    dest = workdir / "existing"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    before = tree(workdir)
    # No --defaults and no terminal: the destination check comes before anything else.
    result = run_scaffold("new", "existing", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: destination 'existing' exists and is not empty; choose a new directory"
    )
    assert tree(workdir) == before
    assert list(staging_dir.iterdir()) == []


def test_default_destination_taken_is_refused_after_render(
    workdir: Path, staging_dir: Path
) -> None:
    (workdir / "my_project").mkdir()
    (workdir / "my_project" / "keep.txt").write_text("mine")
    before = tree(workdir)
    result = run_scaffold(
        "new", "--framework", "flask", "--defaults", cwd=workdir, env=NO_GIT_CONFIG
    )
    assert result.returncode == 2
    assert "destination 'my_project' exists and is not empty" in result.stderr
    assert tree(workdir) == before
    assert list(staging_dir.iterdir()) == []


def test_failure_after_rendering_leaves_nothing(
    workdir: Path, tmp_path: Path, staging_dir: Path
) -> None:
    # A git configuration whose commits fail: signing with a program that always fails.
    config = tmp_path / "gitconfig"
    config.write_text("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    result = run_scaffold(
        "new",
        "app",
        "--framework",
        "flask",
        "--defaults",
        cwd=workdir,
        env={"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: git ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(workdir.iterdir()) == []
    assert list(staging_dir.iterdir()) == []


def test_recommend_without_terminal_or_profile(workdir: Path) -> None:
    result = run_scaffold("recommend", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no terminal for the interview; pass --profile FILE"
