"""Templates share questions and files deliberately; these tests prove the copies agree."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import FRAMEWORKS, TEMPLATES

# Blocks of questions every template's copier.yml carries word for word.
SHARED_BLOCKS = {
    "common": re.compile(
        r"^# ---- Common questions.*?^# ---- End of common questions ----$", re.S | re.M
    ),
    "accounts": re.compile(
        r"^# ---- Accounts questions.*?^# ---- End of accounts questions ----$", re.S | re.M
    ),
}


def _copier_yml(framework: str) -> str:
    return (TEMPLATES / framework / "copier.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("block", "names"),
    [
        ("common", ["project_name", "project_slug", "description", "author_name",
                    "author_email", "python_version"]),
        ("accounts", ["signup", "email_verification", "social_login"]),
    ],
)  # fmt: skip
def test_shared_questions_are_identical_in_every_template(block: str, names: list[str]) -> None:
    blocks = {f: SHARED_BLOCKS[block].search(_copier_yml(f)) for f in FRAMEWORKS}
    assert all(blocks.values()), f"each copier.yml needs the {block}-questions block"
    texts = {f: m.group(0) for f, m in blocks.items()}
    assert texts["django"] == texts["flask"]
    assert texts["hybrid"] == texts["flask"]
    questions = yaml.safe_load(texts["flask"])
    asked = [n for n, spec in questions.items() if not n.startswith("_") and "help" in spec]
    assert asked == names


SHARED_BY_FLASK_AND_DJANGO = re.compile(
    r"^# ---- Questions shared by the flask and django templates.*?"
    r"^# ---- End of questions shared by the flask and django templates ----$",
    re.S | re.M,
)


def test_questions_shared_by_flask_and_django_are_identical() -> None:
    """`database` and `task_queue` mean the same in both templates, with one definition
    (the repository's copier.yml merges every template's questions by name)."""
    blocks = {f: SHARED_BY_FLASK_AND_DJANGO.search(_copier_yml(f)) for f in ("flask", "django")}
    assert all(blocks.values())
    assert blocks["flask"].group(0) == blocks["django"].group(0)
    assert set(yaml.safe_load(blocks["flask"].group(0))) == {"database", "task_queue"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_template_names_its_own_framework(framework: str) -> None:
    config = yaml.safe_load(_copier_yml(framework))
    assert config["framework"] == {"type": "str", "default": framework, "when": False}


def _shared_groups() -> list[list[str]]:
    return yaml.safe_load((TEMPLATES / "shared-files.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", _shared_groups(), ids=lambda g: g[0].split("/", 1)[1])
def test_shared_files_are_identical(group: list[str]) -> None:
    contents = {path: (TEMPLATES / path).read_bytes() for path in group}
    first = contents[group[0]]
    different = [path for path, content in contents.items() if content != first]
    assert not different, f"{different} differ from {group[0]}"
