"""Updating generated projects, with real git and real Copier.

Each test works on a temporary copy of this repository (its working tree, committed
in a new git repository): it tags v0.1.0, renders a project from it, changes the
templates, tags v0.2.0, and updates the project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import FRAMEWORKS, REPO, run_scaffold, tree, working_tree_copy
from generated import project_env, project_requirements, run_project_tests

COPIER = str(Path(sys.executable).parent / "copier")
GIT_IDENTITY = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
ANSWERS = ".copier-answers.yml"
# The README title line every template starts its README with.
TITLE = "# {{ project_name }}"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@dataclass
class TemplateRepo:
    """A clone of this repository whose templates a test can change and tag."""

    path: Path

    def template(self, framework: str) -> Path:
        return self.path / "templates" / framework

    def release(self, tag: str) -> None:
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", f"Release {tag}")
        git(self.path, "tag", tag)

    def plain_files(self, framework: str) -> list[str]:
        """Template files copied verbatim (no Jinja in name or suffix), as project paths."""
        root = self.template(framework)
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file()
            and not p.name.endswith(".jinja")
            and "{" not in str(p.relative_to(root))
            and p.name not in ("copier.yml", ".gitignore")
        )


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def template_repo(tmp_path: Path, git_identity: None) -> TemplateRepo:
    repo = TemplateRepo(working_tree_copy(tmp_path / "template"))
    repo.release("v0.1.0")
    return repo


def copier_copy(
    repo: TemplateRepo, framework: str, dest: Path, ref: str, data: dict[str, str] | None = None
) -> Path:
    answers = [
        f"--data={key}={value}" for key, value in {"framework": framework, **(data or {})}.items()
    ]
    command = [COPIER, "copy", "--quiet", "--defaults", "--vcs-ref", ref, *answers]
    result = subprocess.run(
        [*command, str(repo.path), str(dest)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return dest


def committed_project(
    repo: TemplateRepo, framework: str, dest: Path, data: dict[str, str] | None = None
) -> Path:
    project = copier_copy(repo, framework, dest, "v0.1.0", data)
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Generated")
    return project


def edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text()))


@dataclass(frozen=True)
class TemplateChange:
    added: str
    removed_untouched: str
    removed_edited: str


def change_template(repo: TemplateRepo, framework: str) -> TemplateChange:
    """v0.2.0: a changed README title line, one file added, two files removed."""
    template = repo.template(framework)
    removed_edited, removed_untouched = repo.plain_files(framework)[:2]
    edit(template / "README.md.jinja", lambda text: text.replace(TITLE, TITLE + " (v0.2.0)", 1))
    (template / "CONTRIBUTING.md").write_text("Open an issue before a large change.\n")
    (template / removed_edited).unlink()
    (template / removed_untouched).unlink()
    repo.release("v0.2.0")
    return TemplateChange("CONTRIBUTING.md", removed_untouched, removed_edited)


def without_git(project: Path) -> dict[str, bytes]:
    return tree(project)


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_untouched_project_updates_to_a_fresh_copy(
    framework: str, template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = committed_project(template_repo, framework, tmp_path / "project")
    change_template(template_repo, framework)
    result = run_scaffold("update", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    fresh = copier_copy(template_repo, framework, tmp_path / "fresh", "v0.2.0")
    assert without_git(project) == without_git(fresh)
    assert yaml.safe_load((project / ANSWERS).read_text())["_commit"] == "v0.2.0"
    assert "from template v0.1.0 to v0.2.0" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_edits_survive_clashes_are_conflicts_and_removals_respect_edits(
    framework: str, template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = committed_project(template_repo, framework, tmp_path / "project")
    removed_edited, removed_untouched = template_repo.plain_files(framework)[:2]
    # The user edits a file the template leaves alone, the README line the template
    # also changes, and a file the template will remove.
    edit(project / ".gitignore", lambda text: text + "my-notes/\n")
    edit(project / "README.md", lambda text: text.replace("# My Project", "# My Project (ours)", 1))
    edit(project / removed_edited, lambda text: text + "\n# kept by the user\n")
    git(project, "commit", "--quiet", "-am", "User edits")
    change = change_template(template_repo, framework)

    result = run_scaffold("update", str(project), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip() == "error: 1 conflict(s) remain: README.md"
    readme = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme and " (ours)" in readme and " (v0.2.0)" in readme
    assert (project / ".gitignore").read_text().endswith("my-notes/\n")
    assert (project / change.added).is_file()
    assert not (project / removed_untouched).exists()
    assert (project / removed_edited).read_text().endswith("# kept by the user\n")
    kept_section = result.stdout.split("because you had changed them:", 1)[1]
    assert f"  {removed_edited}\n" in kept_section


@pytest.mark.slow
def test_plain_copier_update_needs_no_trust(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = committed_project(template_repo, "flask", tmp_path / "project")
    change_template(template_repo, "flask")
    result = subprocess.run(
        [COPIER, "update", "--defaults", "--skip-answered"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (project / "CONTRIBUTING.md").is_file()


@pytest.mark.slow
def test_an_up_to_date_project_is_left_untouched(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = committed_project(template_repo, "flask", tmp_path / "project")
    before = tree(project)
    result = run_scaffold("update", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{project} is already up to date (template v0.1.0)."
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.slow
@pytest.mark.parametrize("breakage", ["moved", "damaged"])
def test_a_broken_template_source_is_one_line(
    breakage: str, template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = committed_project(template_repo, "flask", tmp_path / "project")
    change_template(template_repo, "flask")
    if breakage == "moved":
        template_repo.path.rename(tmp_path / "elsewhere")
        expected = f"error: the template source the project records, {template_repo.path}, "
    else:
        shutil.rmtree(template_repo.path / ".git" / "objects")
        expected = f"error: the template clone {template_repo.path} is damaged (git "
    result = run_scaffold("update", str(project), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.slow
def test_uncommitted_changes_are_refused(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = committed_project(template_repo, "flask", tmp_path / "project")
    change_template(template_repo, "flask")
    edit(project / "README.md", lambda text: text + "\nwork in progress\n")
    before = tree(project)
    result = run_scaffold("update", str(project), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: '{project}' has uncommitted changes; commit or stash them first, "
        "so that the update can be reviewed and undone"
    )
    assert tree(project) == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "has no .copier-answers.yml: it was not generated by Copier"),
        (
            lambda p: (p / ANSWERS).write_text("_src_path: /x\nproject_name: x\n"),
            "records no template version (_src_path and _commit)",
        ),
        (
            lambda p: (p / ANSWERS).write_text("_src_path: /x\n_commit: v1\n"),
            "is not a git repository",
        ),
    ],
)
def test_projects_that_cannot_be_updated(tmp_path: Path, setup, message: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    setup(project)
    result = run_scaffold("update", str(project), cwd=tmp_path, env=GIT_IDENTITY)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_unknown_version_and_downgrade(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = committed_project(template_repo, "flask", tmp_path / "project")
    unknown = run_scaffold("update", str(project), "--to", "v9.9.9", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "Unknown revision: 'v9.9.9'" in unknown.stderr
    change_template(template_repo, "flask")
    assert run_scaffold("update", str(project), cwd=tmp_path).returncode == 0
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Updated")
    downgrade = run_scaffold("update", str(project), "--to", "v0.1.0", cwd=tmp_path)
    assert downgrade.returncode == 1
    assert "Downgrades are not supported" in downgrade.stderr


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_scaffold_new_equals_copier_copy_of_this_repository(framework: str, tmp_path: Path) -> None:
    answers = ["--data", "project_name=Same Answers", "--data", "author_name=Ada"]
    made = run_scaffold(
        "new", "made", "--framework", framework, "--defaults", *answers,
        cwd=tmp_path, env=GIT_IDENTITY,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    copied = subprocess.run(
        [COPIER, "copy", "--quiet", "--defaults", "--vcs-ref", "HEAD", "--data",
         f"framework={framework}", *answers, str(REPO), str(tmp_path / "copied")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    made_tree, copied_tree = tree(tmp_path / "made"), tree(tmp_path / "copied")
    del made_tree["docs/decisions/0001-framework-choice.md"]
    if git(REPO, "status", "--porcelain", "templates", "copier.yml"):
        # Uncommitted template edits make Copier invent a commit for each copy.
        made_tree.pop(ANSWERS), copied_tree.pop(ANSWERS)
    assert made_tree == copied_tree


# --- Projects generated from a wheel ---------------------------------------------------


def _install_wheel(repo: TemplateRepo, tmp_path: Path) -> Path:
    """Build scaffold's wheel from the template clone; install it in a new venv.

    The venv borrows scaffold's dependencies from the test run's own environment (a
    .pth line), so only the wheel itself is installed; tests/test_repository.py installs
    a wheel with its dependencies from the index.
    """
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", dist, repo.path], check=True)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site_packages) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("*.whl")
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "-q", wheel], check=True)
    return env_dir / "bin" / "scaffold"


def _packaged_templates(scaffold: Path) -> Path:
    code = "import scaffold, os; print(os.path.dirname(scaffold.__file__))"
    package = subprocess.run(
        [scaffold.parent / "python", "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(package) / "_template"


@pytest.mark.slow
def test_wheel_from_a_release_tag_records_the_repository_and_tag(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    scaffold = _install_wheel(template_repo, tmp_path)
    # The packaged templates are the tag's files, byte for byte.
    packaged = _packaged_templates(scaffold)
    archive = tmp_path / "archive"
    archive.mkdir()
    subprocess.run(
        f"git archive v0.1.0 copier.yml templates | tar -x -C {archive}",
        shell=True, cwd=template_repo.path, check=True,
    )  # fmt: skip
    # Leave out the build record, and the byte code pip compiles at install time.
    packaged_files = {
        name: content
        for name, content in tree(packaged).items()
        if name != "provenance.json" and "__pycache__" not in name
    }
    assert packaged_files == tree(archive)

    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, **GIT_IDENTITY, "SCAFFOLD_REPOSITORY": str(template_repo.path)}
    made = subprocess.run(
        [scaffold, "new", "app", "--framework", "flask", "--defaults"],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = work / "app"
    answers = yaml.safe_load((project / ANSWERS).read_text())
    assert (answers["_src_path"], answers["_commit"]) == (str(template_repo.path), "v0.1.0")

    # Plain `copier update` then works from the recorded origin.
    change_template(template_repo, "flask")
    updated = subprocess.run(
        [COPIER, "update", "--defaults", "--skip-answered"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    fresh = copier_copy(template_repo, "flask", tmp_path / "fresh", "v0.2.0")
    updated_tree = tree(project)
    del updated_tree["docs/decisions/0001-framework-choice.md"]
    assert updated_tree == tree(fresh)


@pytest.mark.slow
def test_wheel_from_a_clone_commit_records_the_clone(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    (template_repo.path / "NOTES.md").write_text("work after the release\n")
    git(template_repo.path, "add", "NOTES.md")
    git(template_repo.path, "commit", "--quiet", "-m", "After the release")
    scaffold = _install_wheel(template_repo, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    made = subprocess.run(
        [scaffold, "new", "app", "--framework", "flask", "--defaults"],
        cwd=work, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = work / "app"
    answers = yaml.safe_load((project / ANSWERS).read_text())
    assert answers["_src_path"] == str(template_repo.path)
    # What Copier itself records for that commit, so that updating to it changes nothing.
    assert answers["_commit"] == git(template_repo.path, "describe", "--tags", "--always").strip()
    before = tree(project)
    ours = subprocess.run([scaffold, "update"], cwd=project,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert ours.returncode == 0, ours.stderr
    assert "already up to date" in ours.stdout
    plain = subprocess.run([COPIER, "update", "--defaults", "--vcs-ref", "HEAD"], cwd=project,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


# --- Changing answers on update -----------------------------------------------------


@pytest.mark.slow
def test_adding_accounts_to_a_flask_project(template_repo: TemplateRepo, tmp_path: Path) -> None:
    """A project made without accounts gets them with sign-up: `--data signup=true` with
    'auth' among the features (the accounts questions are asked only with 'auth')."""
    without_auth = {"features": "[database, forms, security_headers]"}
    with_auth = {"features": "[database, auth, forms, security_headers]", "signup": "true"}
    project = committed_project(template_repo, "flask", tmp_path / "project", without_auth)
    assert not (project / "src/my_project/accounts").exists()
    assert "signup" not in yaml.safe_load((project / ANSWERS).read_text())

    data = [f"--data={key}={value}" for key, value in with_auth.items()]
    result = run_scaffold("update", str(project), *data, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    fresh = copier_copy(template_repo, "flask", tmp_path / "fresh", "v0.1.0", with_auth)
    assert tree(project) == tree(fresh)
    answers = yaml.safe_load((project / ANSWERS).read_text())
    assert (answers["signup"], answers["email_verification"]) == (True, "mandatory")
    assert "/accounts/signup/" in (project / "README.md").read_text()
    run_project_tests(project, project_env(project_requirements(project)))


@pytest.mark.slow
def test_opening_sign_up_on_a_django_project(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = committed_project(template_repo, "django", tmp_path / "project", {"signup": "false"})
    assert 'SIGNUP_OPEN", default=False' in (project / "config/settings/accounts.py").read_text()

    result = run_scaffold("update", str(project), "--data", "signup=true", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    fresh = copier_copy(template_repo, "django", tmp_path / "fresh", "v0.1.0", {"signup": "true"})
    assert tree(project) == tree(fresh)
    run_project_tests(project, project_env(project_requirements(project)))


@pytest.mark.slow
def test_adding_a_worker_service_to_a_hybrid_project(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    one_worker = {"worker_services": "[reports]"}
    two_workers = {"worker_services": "[reports, billing]"}
    project = committed_project(template_repo, "hybrid", tmp_path / "project", one_worker)

    data = [f"--data={key}={value}" for key, value in two_workers.items()]
    result = run_scaffold("update", str(project), *data, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "services/billing").is_dir()
    fresh = copier_copy(template_repo, "hybrid", tmp_path / "fresh", "v0.1.0", two_workers)
    assert tree(project) == tree(fresh)
    # Its own suite: web, both workers, and the end-to-end run through the gateway.
    run_project_tests(project, project_env(project_requirements(project)))
