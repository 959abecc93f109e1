"""The CLI through real subprocesses: the non-interactive paths and every bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TERMINAL_WIDTH, run_scaffold, tree, working_tree_copy
from scaffold.engine import recommend
from scaffold.errors import UserError
from scaffold.profile import Profile
from scaffold.project import default_parent, ensure_free

# No user-level git configuration: commits fall back to the template's author answers.
NO_GIT_CONFIG = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
}  # fmt: skip


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


def test_the_saved_profile_reproduces_the_recommendation(workdir: Path) -> None:
    profile = workdir.parent / "profile.yml"
    profile.write_text("app_type: saas\nuser_accounts: true\nheavy_services: true\n")
    made = run_scaffold(
        "new", "app", "--profile", str(profile), "--defaults", cwd=workdir, env=NO_GIT_CONFIG
    )
    assert made.returncode == 0, made.stderr
    project = workdir / "app"
    saved = "docs/decisions/0001-project-profile.yml"
    assert saved in _git(project, "ls-files")
    assert f"`scaffold recommend --profile {saved}`" in " ".join(_record(project).split())
    again = run_scaffold("recommend", "--profile", saved, "--json", cwd=project)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["framework"] == _answers(project)["framework"] == "hybrid"
    for framework, score in result["scores"].items():
        assert f"| {framework} | {score}" in _record(project)
    assert "- heavy_services: false would give django" in _record(project)


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
    assert "Overriding the recommendation (flask): generating a django project." in result.stdout
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


def _recommend_json(profile: dict, workdir: Path) -> dict:
    (workdir / "p.json").write_text(json.dumps(profile))
    result = run_scaffold("recommend", "--profile", "p.json", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # fails on anything besides one JSON document


def test_recommend_json_prints_exactly_one_object(workdir: Path) -> None:
    data = _recommend_json({"admin_ui": True, "heavy_services": True, "size": "large"}, workdir)
    expected = recommend(Profile(admin_ui=True, heavy_services=True, size="large"))
    flips = data.pop("what_would_change")
    assert data == expected.as_json()
    assert data["framework"] == "hybrid"
    assert {"key": "heavy_services", "value": False, "framework": "django"} in flips


@pytest.mark.parametrize(
    "profile",
    [
        {"admin_ui": True, "heavy_services": True, "size": "large"},
        {"app_type": "prototype", "team_size": 2},
        {"team_size": 5, "experience": "junior", "compliance": "sensitive"},
    ],
)
def test_what_would_change_is_true_when_re_run(profile: dict, workdir: Path) -> None:
    """Each listed change, made on its own and run through the command again, gives
    the framework it names."""
    data = _recommend_json(profile, workdir)
    assert data["what_would_change"], "this profile has answers that change the result"
    for flip in data["what_would_change"]:
        changed = _recommend_json({**profile, flip["key"]: flip["value"]}, workdir)
        assert changed["framework"] == flip["framework"] != data["framework"], flip


def test_version() -> None:
    result = run_scaffold("--version", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"scaffold {version('scaffold')}\n"


def test_choices_ignore_case(workdir: Path) -> None:
    (workdir / "p.yml").write_text("app_type: API\nsize: Small\n")
    result = run_scaffold(
        "new", "--profile", "p.yml", "--framework", "Django", "--defaults",
        cwd=workdir, env=NO_GIT_CONFIG,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _answers(workdir / "my_project")["framework"] == "django"
    assert "| app_type | api |" in _record(workdir / "my_project")


def test_recommend_prints_scores_and_reasons(workdir: Path) -> None:
    (workdir / "p.yml").write_text("admin_ui: true\n")
    result = run_scaffold("recommend", "--profile", "p.yml", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "Recommended: django" in result.stdout
    assert "back_office (django +4)" in result.stdout
    for framework in ("flask", "django", "hybrid"):
        assert framework in result.stdout


def test_templates_lists_questions_from_copier_yml(workdir: Path) -> None:
    result = run_scaffold("templates", cwd=workdir, env={"COLUMNS": str(TERMINAL_WIDTH)})
    assert result.returncode == 0, result.stderr
    for title in ("flask template", "django template", "hybrid template"):
        assert title in result.stdout
    assert "python_version: one of 3.11, 3.12, 3.13, 3.14\n    default: 3.11\n" in result.stdout
    assert "reserved_package_names" not in result.stdout
    # Computed defaults are shown as computed, not as the Jinja that computes them.
    assert "project_slug: text\n    default: my_project\n" in result.stdout
    assert "{{" not in result.stdout
    assert "api_docs: yes/no\n    default: yes\n    asked when api\n" in result.stdout
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= TERMINAL_WIDTH
    assert not [line for line in lines if line != line.rstrip()]


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
        "error: Validation error for question 'project_name': start it with a letter",
    ),
    "slug that is not a package name": (
        ["--framework", "flask", "--defaults", "--data", "project_slug=my-app"],
        "question 'project_slug': use a-z, 0-9, _, starting with a-z",
    ),
    "name that shadows flask": (
        ["--framework", "flask", "--defaults", "--data", "project_name=Flask"],
        "question 'project_name': 'flask' is a module; add a word",
    ),
    "name that shadows django": (
        ["--framework", "django", "--defaults", "--data", "project_name=Django"],
        "question 'project_name': 'django' is a module; add a word",
    ),
    "slug that shadows test": (
        ["--framework", "flask", "--defaults", "--data", "project_slug=test"],
        "question 'project_slug': 'test' is a module; add a word",
    ),
    "slug that shadows site": (
        ["--framework", "hybrid", "--defaults", "--data", "project_slug=site"],
        "question 'project_slug': 'site' is a module; add a word",
    ),
    "bad email": (
        ["--framework", "flask", "--defaults", "--data", "author_email=nobody"],
        "question 'author_email': expected an address like a@b.org",
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


@pytest.mark.parametrize(
    ("args", "dest"),
    [
        # No --defaults and no terminal: the destination check comes before anything else.
        (["existing"], "existing"),
        # The default destination is known once the answers are: checked after rendering.
        (["--framework", "flask", "--defaults"], "my_project"),
    ],
    ids=["named", "default"],
)
def test_a_destination_that_is_not_empty_is_refused_untouched(
    args: list[str], dest: str, workdir: Path, staging_dir: Path
) -> None:
    (workdir / dest).mkdir()
    (workdir / dest / "notes.txt").write_text("mine")
    before = tree(workdir)
    result = run_scaffold("new", *args, cwd=workdir, env=NO_GIT_CONFIG)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: destination '{dest}' exists and is not empty; choose a new directory"
    )
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


def test_inside_scaffolds_clone_projects_go_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's first command runs in the clone, whose files are the templates."""
    monkeypatch.chdir(REPO / "docs")
    assert (Path.cwd() / default_parent()).resolve() == REPO.parent
    with pytest.raises(UserError, match=r"is inside scaffold's own clone .* such as '\.\./\.\./"):
        ensure_free(Path("my_project"))


def _checkout_copy(tmp_path: Path) -> Path:
    """A clone of this repository whose own package runs scaffold, from its checkout."""
    clone = working_tree_copy(tmp_path / "clone")
    subprocess.run(["git", "commit", "-q", "-m", "copy"], cwd=clone, check=True,
                   env={**os.environ, **NO_GIT_CONFIG, **IDENTITY})  # fmt: skip
    return clone


def _run_checkout(clone: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **NO_GIT_CONFIG, **IDENTITY, "PYTHONPATH": str(clone / "src")},
        check=False,
    )  # fmt: skip


def _nested_repository(clone: Path) -> str:
    """A project generated inside the clone; the whole error line."""
    subprocess.run(["git", "init", "-q", clone / "finance_api"], check=True)
    return re.escape(
        f"error: scaffold's clone {clone} holds another git repository, 'finance_api', that "
        "Copier would take for a submodule; move it out of the clone"
    )


def _missing_commit(clone: Path) -> str:
    """The branch names a commit that does not exist; the error line, around git's words."""
    branch = (clone / ".git" / "HEAD").read_text().removeprefix("ref: ").strip()
    (clone / ".git" / branch).write_text("1" * 40 + "\n")
    return re.escape(f"error: the template clone {clone} is damaged (git status ") + (
        r".+\); clone it again"
    )


@pytest.mark.parametrize("damage", [_nested_repository, _missing_commit])
def test_a_clone_copier_cannot_render_is_one_line(
    damage: Callable[[Path], str], tmp_path: Path, workdir: Path
) -> None:
    clone = _checkout_copy(tmp_path)
    error = damage(clone)
    result = _run_checkout(clone, "new", "app", "--framework", "flask", "--defaults", cwd=workdir)
    assert result.returncode == 1, result.stderr
    assert re.fullmatch(error, result.stderr.strip()), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(workdir.iterdir()) == []
