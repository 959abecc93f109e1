"""Write each template's lock files (`requirements*.txt.jinja`) from real `uv pip compile` runs.

Every generated project ships hash-pinned lock files, and a template renders them for
any answers, offline: a lock template holds one entry per package that some answer
needs, each under the condition that brings it in. This script makes those templates:

1. It renders each template's pyproject.toml for every combination of the answers that
   change it (the dependency sets) and every offered Python version.
2. For each distinct (dependencies, Python) it runs the command the project's lock file
   names in its header (`uv pip compile ... --universal --generate-hashes`), preferring
   the versions already locked, so that only new requirements move.
3. It folds the outputs into one Jinja template: a package's entry appears when one of
   the direct requirements it is reached from is in the rendered pyproject.toml (the
   template reads its own project's pyproject.toml), in the form uv wrote for that
   Python version.
4. It renders the new template for every case and checks that each comes out exactly as
   uv wrote it; only then does it write the files.

    python tools/lock_templates.py            # refresh after editing a pyproject.toml.jinja
    python tools/lock_templates.py --upgrade  # also move every pin to the newest release

docs/locking.md says why the locks are hashed requirements files and how they are kept
current; tests/test_locks.py fails when a template's locks drift from its dependencies.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
SERVICE_DIR = "services/{% yield service from worker_services %}{{ service }}{% endyield %}"
# The flags of every lock: all platforms and Python versions from the oldest supported
# on, with every wheel's hash; no "# via" comments, so that a lock does not depend on
# the project's name.
COMPILE_FLAGS = ("--universal", "--generate-hashes", "--no-annotate")
IDENTITY = {
    "project_name": "My Project",
    "project_slug": "my_project",
    "description": "My Project, a Python web application.",
    "author_name": "Your Name",
    "author_email": "you@example.com",
}
# Where --cache keeps uv's outputs (None: nowhere).
CACHE: Path | None = None
# The hybrid template locks one service; every service has the same dependencies.
SERVICE = "reports"


def questions(template: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    text = (TEMPLATES / template / "copier.yml").read_text(encoding="utf-8")
    for document in yaml.safe_load_all(text):
        merged.update(document or {})
    return merged


def choices(template: str, name: str) -> list[Any]:
    spec = questions(template)[name]["choices"]
    return list(spec.values()) if isinstance(spec, Mapping) else list(spec)


def python_versions() -> list[str]:
    return [str(v) for v in choices("flask", "python_version")]


def flask_answers() -> Iterator[dict[str, Any]]:
    """Every answer combination of the Flask template that its rules allow."""
    features = choices("flask", "features")
    rules = questions("flask")["flask_feature_requirements"]["default"]
    for size in range(len(features) + 1):
        for chosen in itertools.combinations(features, size):
            if any(f in chosen and not set(needs) <= set(chosen) for f, needs in rules.items()):
                continue
            databases = choices("flask", "database") if "database" in chosen else ["sqlite"]
            for csrf, database, task_queue in itertools.product(
                choices("flask", "csrf"), databases, choices("flask", "task_queue")
            ):
                yield {
                    "features": list(chosen),
                    "csrf": csrf,
                    "database": database,
                    "task_queue": task_queue,
                }


def django_answers() -> Iterator[dict[str, Any]]:
    for api, database, task_queue in itertools.product(
        [True, False], choices("django", "database"), choices("django", "task_queue")
    ):
        for api_docs in [True, False] if api else [False]:
            yield {"api": api, "api_docs": api_docs, "database": database, "task_queue": task_queue}


def hybrid_answers() -> Iterator[dict[str, Any]]:
    yield {"worker_services": [SERVICE]}


ANSWERS = {"flask": flask_answers, "django": django_answers, "hybrid": hybrid_answers}


@dataclass(frozen=True)
class LockFile:
    """One lock file of a template, and how it is compiled."""

    template: str
    # The lock template, relative to the template's directory.
    path: str
    # The pyproject.toml files it is compiled from, relative to the lock's directory.
    sources: tuple[str, ...] = ("pyproject.toml",)
    # Other lock files whose pins this one keeps (-c), relative to the lock's directory.
    constraints: tuple[str, ...] = ()
    dev: bool = False
    # The pyproject template whose rendered dependencies decide which entries appear,
    # relative to the template's directory (None: the same for every answer).
    conditions_from: str | None = "pyproject.toml.jinja"
    # Jinja for the lock's header: the file names in its compile command, where they
    # depend on the answers (the hybrid's services).
    header_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def directory(self) -> str:
        return str(Path(self.path).parent) if "/" in self.path else "."

    @property
    def output(self) -> str:
        return Path(self.path).name.removesuffix(".jinja")

    def command(self, python: str) -> list[str]:
        """The compile command, run in the lock's directory."""
        args = ["uv", "pip", "compile", *self.sources]
        if self.dev:
            args += ["--extra", "dev"]
        for constraint in self.constraints:
            args += ["-c", constraint]
        return [*args, *COMPILE_FLAGS, "--python-version", python, "-o", self.output]


SERVICE_LOCK = f"services/{SERVICE}/requirements.txt"
LOCKS = (
    LockFile("flask", "requirements.txt.jinja"),
    LockFile("flask", "requirements-dev.txt.jinja", constraints=("requirements.txt",), dev=True),
    LockFile("django", "requirements.txt.jinja"),
    LockFile("django", "requirements-dev.txt.jinja", constraints=("requirements.txt",), dev=True),
    LockFile("hybrid", f"{SERVICE_DIR}/requirements.txt.jinja", conditions_from=None),
    # The web app keeps the workers' pins of the packages both use (OpenTelemetry's, whose
    # Django and Flask instrumentations are not always released together): the
    # development environment holds both.
    LockFile(
        "hybrid",
        "web/requirements.txt.jinja",
        constraints=(f"../{SERVICE_LOCK}",),
        conditions_from=None,
        header_names={
            f"-c ../{SERVICE_LOCK}": "-c ../services/{{ worker_services | sort | first }}"
            "/requirements.txt",
        },
    ),
    # The development environment: the tools, the web app and every service.
    LockFile(
        "hybrid",
        "requirements-dev.txt.jinja",
        sources=("pyproject.toml", "web/pyproject.toml", f"services/{SERVICE}/pyproject.toml"),
        constraints=("web/requirements.txt", SERVICE_LOCK),
        dev=True,
        conditions_from=None,
        header_names={
            f"services/{SERVICE}/pyproject.toml": "{% for service in worker_services | sort %}"
            "services/{{ service }}/pyproject.toml{{ ' ' if not loop.last }}{% endfor %}",
            f"-c {SERVICE_LOCK}": "{% for service in worker_services | sort %}"
            "-c services/{{ service }}/requirements.txt{{ ' ' if not loop.last }}{% endfor %}",
        },
    ),
)


def jinja_environment(template: str) -> SandboxedEnvironment:
    """An environment like the one Copier renders `templates/<template>` with on its own."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / template)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        keep_trailing_newline=True,
    )


def context(template: str, answers: Mapping[str, Any], python: str) -> dict[str, Any]:
    defaults = {
        "framework": template,
        **IDENTITY,
        "features": [],
        "csrf": "flask-wtf",
        "database": "sqlite",
        "task_queue": "none",
        "api": False,
        "api_docs": False,
        "worker_services": [SERVICE],
        "service": SERVICE,
    }
    return {**defaults, **answers, "python_version": python}


def pyproject_templates(template: str) -> dict[str, str]:
    """{rendered path: pyproject template} of a template's projects."""
    if template != "hybrid":
        return {"pyproject.toml": "pyproject.toml.jinja"}
    return {
        "pyproject.toml": "pyproject.toml.jinja",
        "web/pyproject.toml": "web/pyproject.toml.jinja",
        f"services/{SERVICE}/pyproject.toml": f"{SERVICE_DIR}/pyproject.toml.jinja",
    }


def render(env: SandboxedEnvironment, name: str, values: Mapping[str, Any]) -> str:
    return env.get_template(name).render(**values)


# --- Reading uv's output -------------------------------------------------------------------


def split_lock(text: str) -> tuple[list[str], dict[str, str]]:
    """(header lines, {package==version: its entry}) of a lock file uv wrote (a package
    may be locked at one version for older Pythons and another for newer ones)."""
    lines = text.rstrip("\n").split("\n")
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    entries: dict[str, str] = {}
    current: list[str] = []
    for line in lines[len(header) :]:
        if not line.startswith(" ") and current:
            entries[pin(current[0])] = "\n".join(current)
            current = []
        current.append(line)
    if current:
        entries[pin(current[0])] = "\n".join(current)
    if list(entries) != sorted(entries, key=pin_order):
        raise SystemExit(f"uv's entries are not in order: {list(entries)}")
    return header, entries


def pin(line: str) -> str:
    """'name==version' of an entry's first line."""
    return line.split(" ", 1)[0].lower().replace("_", "-")


def pin_order(pinned: str) -> tuple[str, Version]:
    name, version = pinned.split("==")
    return name, Version(version)


def package_name(line: str) -> str:
    return re.split(r"[=<>!~ ;\[]", line, maxsplit=1)[0].lower().replace("_", "-")


def direct_names(pyproject: str) -> set[str]:
    """The distribution names in [project] dependencies and in the `dev` extra, as the
    lock templates read them (the development tools may depend on the answers too)."""
    blocks = re.findall(r"\n(?:dependencies|dev) = \[.*?\n\]", pyproject, re.S)
    assert blocks, "no dependencies list"
    return {
        name.lower().replace("_", "-")
        for name in re.findall(r'\n *"([A-Za-z0-9][A-Za-z0-9._-]*)', "\n".join(blocks))
    }


def reached_from(annotated: str) -> dict[str, set[str]]:
    """{package: the direct requirements it is reached from} in an annotated compile."""
    parents: dict[str, set[str]] = {}
    name = ""
    for line in annotated.splitlines():
        if line and not line.startswith(" ") and not line.startswith("#"):
            name = package_name(line)
            parents[name] = set()
        elif (
            name
            and (via := re.match(r"\s+#\s+(?:via\s+)?([A-Za-z0-9._-]+)( \(.*\))?$", line))
            and via.group(1) != "via"
        ):
            parents[name].add("(direct)" if via.group(2) else package_name(via.group(1)))
    roots: dict[str, set[str]] = {}

    def walk(package: str, seen: frozenset[str]) -> set[str]:
        found = {package} if "(direct)" in parents.get(package, ()) else set()
        for parent in parents.get(package, ()):
            if parent != "(direct)" and parent not in seen:
                found |= walk(parent, seen | {parent})
        return found

    for package in parents:
        roots[package] = walk(package, frozenset({package}))
    return roots


# --- Compiling ----------------------------------------------------------------------------


@dataclass
class Case:
    """One dependency set on one Python version, and what uv wrote for it."""

    python: str
    values: dict[str, Any]
    # The direct requirements of the project whose pyproject decides the conditions.
    direct: frozenset[str]
    outputs: dict[str, str] = field(default_factory=dict)


def uv(*args: str, cwd: Path, offline: bool = False) -> None:
    # UV_OFFLINE rather than --offline, which uv would write into the lock's header.
    environment = {**os.environ, **({"UV_OFFLINE": "1"} if offline else {})}
    result = subprocess.run(
        ["uv", *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"uv {' '.join(args)} failed in {cwd}:\n{result.stderr}")


def compile_case(
    template: str, case: Case, work: Path, seeds: Mapping[str, str], offline: bool = False
) -> None:
    """Compile every lock file of `template` for one case (in dependency order), starting
    from `seeds` ({lock template: text}): uv keeps the versions they pin where it can."""
    env = jinja_environment(template)
    shutil.rmtree(work, ignore_errors=True)
    for rendered, source in pyproject_templates(template).items():
        (work / rendered).parent.mkdir(parents=True, exist_ok=True)
        (work / rendered).write_text(render(env, source, case.values))
    for lock in (lock for lock in LOCKS if lock.template == template):
        directory = work / lock.directory.replace(SERVICE_DIR, f"services/{SERVICE}")
        output = directory / lock.output
        if lock.path in seeds:
            output.write_text(seeds[lock.path])
        key = hashlib.sha256(
            repr((lock, case.python, sorted(p.read_text() for p in work.rglob("*.t*")))).encode()
        ).hexdigest()
        cached = CACHE / key if CACHE else None
        if cached and cached.exists():
            output.write_text(cached.read_text())
        else:
            uv(*lock.command(case.python)[1:], cwd=directory, offline=offline)
            if cached:
                cached.write_text(output.read_text())
        case.outputs[lock.path] = output.read_text()


def annotated_union(template: str, lock: LockFile, case: Case, work: Path) -> str:
    """The same compile with "# via" comments: how each package is reached."""
    directory = work / lock.directory.replace(SERVICE_DIR, f"services/{SERVICE}")
    command = [a for a in lock.command(case.python) if a != "--no-annotate"]
    command[command.index("-o") + 1] = "annotated.txt"
    command = [a for a in command if a != "--generate-hashes"]
    uv(*command[1:], cwd=directory, offline=True)
    return (directory / "annotated.txt").read_text()


# --- Writing the template -------------------------------------------------------------------


def python_switch(chunks: Mapping[str, str | None], pythons: Sequence[str]) -> str:
    """Jinja choosing between each Python version's chunk (None: no entry there)."""
    groups: dict[str, list[str]] = {}
    for python in pythons:
        if (chunk := chunks.get(python)) is not None:
            groups.setdefault(chunk, []).append(python)
    if len(groups) == 1 and len(next(iter(groups.values()))) == len(pythons):
        return next(iter(groups))
    parts = []
    for keyword, (chunk, versions) in zip(
        itertools.chain(["if"], itertools.repeat("elif")), groups.items(), strict=False
    ):
        parts.append(f"\n{{%- {keyword} python_version in {versions!r} %}}{chunk}")
    return "".join(parts) + "\n{%- endif %}"


def any_of(names: set[str]) -> str:
    """Jinja: one of these names is a direct dependency of the project."""
    return f"{sorted(names)!r} | select('in', direct) | list"


def variant_chunk(variants: Mapping[str, list[frozenset[str]]], lock: LockFile) -> str:
    """Jinja for a package whose entry differs with the other dependencies (its markers
    are those of the packages that need it): each form appears when a direct dependency
    that always brings that form is present; one form may be the fallback."""
    if len(variants) == 1:
        return "\n" + next(iter(variants))
    every = set().union(*(d for cases in variants.values() for d in cases))
    keyed = []
    for text, cases in variants.items():
        others = [d for other, ds in variants.items() if other != text for d in ds]
        own = {name for name in every if any(name in d for d in cases)}
        keyed.append((text, {name for name in own if not any(name in d for d in others)}))
    keyed.sort(key=lambda item: not item[1])
    if sum(1 for _, names in keyed if not names) > 1:
        raise SystemExit(f"{lock.template}/{lock.path}: cannot tell apart {list(variants)}")
    parts = []
    for index, (text, names) in enumerate(keyed):
        if not names:
            parts.append(f"\n{{%- else %}}\n{text}")
        else:
            keyword = "if" if index == 0 else "elif"
            parts.append(f"\n{{%- {keyword} {any_of(names)} %}}\n{text}")
    return "".join(parts) + "\n{%- endif %}"


def lock_template(
    lock: LockFile, cases: Sequence[Case], roots: Mapping[str, Mapping[str, set[str]]]
) -> str:
    """The lock template; `roots`: {python: {package: direct dependencies reaching it}}."""
    pythons = sorted({case.python for case in cases}, key=lambda v: tuple(map(int, v.split("."))))
    headers: dict[str, list[str]] = {}
    # package -> python -> entry text -> the direct dependencies of each case it is in
    entries: dict[str, dict[str, dict[str, list[frozenset[str]]]]] = {}
    present: dict[tuple[str, str], int] = {}
    for case in cases:
        header, found = split_lock(case.outputs[lock.path])
        headers[case.python] = header
        for package, entry in found.items():
            by_text = entries.setdefault(package, {}).setdefault(case.python, {})
            by_text.setdefault(entry, []).append(case.direct)
            present[package, case.python] = present.get((package, case.python), 0) + 1
    per_python = {python: sum(1 for c in cases if c.python == python) for python in pythons}

    header = headers[pythons[0]]
    for python in pythons:
        expected = [line.replace(f" {pythons[0]} ", f" {python} ") for line in header]
        assert headers[python] == expected, headers[python]
    header_text = "\n".join(header).replace(
        f"--python-version {pythons[0]}", "--python-version {{ python_version }}"
    )
    for literal, jinja in lock.header_names.items():
        header_text = header_text.replace(literal, jinja)

    source = lock.conditions_from
    lines = [
        "{#- Generated by tools/lock_templates.py from `uv pip compile` runs: do not edit, run",
        "    it (docs/locking.md). Each entry appears when the project's dependencies reach it,",
        "    in the form uv writes for the project's Python version. -#}",
    ]
    if source is not None:
        lines += [
            # Copier's loader starts at the repository (copier copy of the repository)
            # or at the template's directory (copier copy templates/<name>).
            "{%- set pyproject -%}",
            f'{{% include ["templates/{lock.template}/{source}", "{source}"] %}}',
            "{%- endset -%}",
            "{#- The names in [project] dependencies and the dev extra, lowercase with '-'",
            "    for '_'. -#}",
            "{%- set direct = pyproject",
            "    | regex_findall('\\n(?:dependencies|dev) = \\\\[(?:.|\\n)*?\\n\\\\]')",
            "    | join('\\n') | regex_findall('\\n *\"([A-Za-z0-9][A-Za-z0-9._-]*)')",
            "    | map('lower') | map('replace', '_', '-') | list -%}",
        ]
    text = "\n".join(lines) + "\n" + header_text
    for package in sorted(entries, key=pin_order):
        chunks = {}
        for python, variants in entries[package].items():
            chunk = variant_chunk(variants, lock)
            if present[package, python] < per_python[python]:
                needs = roots.get(python, {}).get(package.split("==")[0], set())
                if not needs:
                    raise SystemExit(f"{lock.template}/{lock.path}: nothing reaches {package}")
                chunk = f"\n{{%- if {any_of(needs)} %}}{chunk}\n{{%- endif %}}"
            chunks[python] = chunk
        text += python_switch(chunks, pythons)
    return text + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--upgrade", action="store_true", help="ignore today's pins: lock the newest releases"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep uv's outputs in this directory and reuse them (while changing this script)",
    )
    parser.add_argument("templates", nargs="*", help=f"any of {', '.join(ANSWERS)} (default: all)")
    options = parser.parse_args(argv)
    if unknown := set(options.templates) - set(ANSWERS):
        known = ", ".join(ANSWERS)
        parser.error(f"no template named {', '.join(sorted(unknown))}; templates: {known}")
    if options.cache:
        global CACHE
        CACHE = options.cache
        CACHE.mkdir(parents=True, exist_ok=True)
    if shutil.which("uv") is None:
        raise SystemExit("uv is not installed: pip install uv")

    for template in options.templates or list(ANSWERS):
        env = jinja_environment(template)
        cases: dict[tuple[str, str], Case] = {}
        for answers, python in itertools.product(ANSWERS[template](), python_versions()):
            values = context(template, answers, python)
            pyprojects = "\n".join(
                render(env, source, values) for source in pyproject_templates(template).values()
            )
            direct = frozenset(direct_names(render(env, "pyproject.toml.jinja", values)))
            cases.setdefault((python, pyprojects), Case(python, values, direct))
        print(f"{template}: {len(cases)} dependency sets x Python versions", file=sys.stderr)
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch) / "project"
            locks = [lock for lock in LOCKS if lock.template == template]
            written = {}
            # {lock: {python: {package: the direct dependencies it is reached from}}}
            roots: dict[str, dict[str, dict[str, set[str]]]] = {lock.path: {} for lock in locks}
            for python in python_versions():
                # The case that needs every dependency first, from today's pins (unless
                # upgrading); the others start from its pins and need no network.
                same_python = [c for c in cases.values() if c.python == python]
                union = max(same_python, key=lambda c: len(c.direct))
                assert all(c.direct <= union.direct for c in same_python), "no union case"
                seeds = {}
                if not options.upgrade and all(
                    (TEMPLATES / template / lock.path).is_file() for lock in locks
                ):
                    seeds = {lock.path: render(env, lock.path, union.values) for lock in locks}
                compile_case(template, union, work, seeds)
                for lock in locks:
                    if lock.conditions_from is not None:
                        annotated = annotated_union(template, lock, union, work)
                        roots[lock.path][python] = reached_from(annotated)
                for case in same_python:
                    if case is not union:
                        compile_case(template, case, work, union.outputs, offline=True)
            for lock in locks:
                written[lock.path] = lock_template(lock, list(cases.values()), roots[lock.path])
            # Every case renders exactly as uv wrote it, before anything is written.
            for lock in locks:
                check = SandboxedEnvironment(
                    loader=jinja2.DictLoader(
                        {
                            **{
                                name: (TEMPLATES / template / name).read_text()
                                for name in pyproject_templates(template).values()
                            },
                            lock.path: written[lock.path],
                        }
                    ),
                    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
                    keep_trailing_newline=True,
                )
                for case in cases.values():
                    rendered = check.get_template(lock.path).render(**case.values)
                    if rendered != case.outputs[lock.path]:
                        diff = difflib.unified_diff(
                            case.outputs[lock.path].splitlines(),
                            rendered.splitlines(),
                            "uv",
                            "template",
                            lineterm="",
                        )
                        print("\n".join(list(diff)[:60]), file=sys.stderr)
                        raise SystemExit(
                            f"{template}/{lock.path} does not render what uv wrote for "
                            f"{case.values} (bug in this script)"
                        )
            for lock in locks:
                (TEMPLATES / template / lock.path).write_text(written[lock.path])
                print(f"wrote templates/{template}/{lock.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
