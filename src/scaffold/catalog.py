"""Where the templates are, and what each one asks, read from its copier.yml.

Each template's copier.yml is the single source of truth for its questions; this
module only reads them, to list them and to check `--data` keys before Copier runs.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from scaffold.errors import UserError


class Framework(enum.StrEnum):
    """The templates: a test checks this against the root copier.yml and criteria.yml."""

    flask = "flask"
    django = "django"
    hybrid = "hybrid"


REPOSITORY_ENV = "SCAFFOLD_REPOSITORY"


@dataclass(frozen=True)
class Origin:
    """Where a generated project's template comes from, as its answers file records it."""

    src_path: str  # a git URL or the absolute path of a clone
    commit: str  # a tag or a commit of that repository


@dataclass(frozen=True)
class TemplateSource:
    """The directory holding the root copier.yml and templates/."""

    root: Path
    # True in a git checkout of this repository (an editable install); False when the
    # templates come from the files packaged inside the wheel.
    is_checkout: bool

    def template_dir(self, framework: str) -> Path:
        return self.root / "templates" / framework

    def clone(self) -> Path | None:
        """The git clone of scaffold these templates come from, if it is on this machine:
        the checkout itself, or the clone a wheel was built from."""
        if self.is_checkout:
            return self.root
        path = Path(self._provenance()["path"])
        return path if (path / ".git").exists() else None

    def _provenance(self) -> dict[str, Any]:
        import json

        return json.loads((self.root / "provenance.json").read_text(encoding="utf-8"))

    def recorded_origin(self, repository: str | None = None) -> Origin | None:
        """What to record for packaged templates (None: Copier records a checkout itself).

        A wheel built from the clean release tag `v<version>` records the canonical
        repository (`repository`, else $SCAFFOLD_REPOSITORY, else the package's
        Repository URL) and that tag. A wheel built from any other commit of a clone
        records the clone's path and the commit, as a checkout would.
        """
        if self.is_checkout:
            return None
        from importlib.metadata import metadata, version

        tag = f"v{version('scaffold')}"
        provenance = self._provenance()
        from_clone = provenance["commit"] and Path(provenance["path"], ".git").exists()
        if from_clone and (tag not in provenance["tags"] or provenance["dirty"]):
            # `git describe` form, as Copier records a commit: an update to the same
            # commit then leaves the answers file as it is.
            return Origin(provenance["path"], provenance["described"])
        urls = dict(u.split(", ", 1) for u in metadata("scaffold").get_all("Project-URL") or [])
        canonical = repository or os.environ.get(REPOSITORY_ENV) or urls["Repository"]
        return Origin(canonical, tag)


@cache
def locate_templates() -> TemplateSource:
    """Prefer the checkout this package runs from; fall back to the packaged copy."""
    package_dir = Path(__file__).resolve().parent
    checkout = package_dir.parents[1]
    if (checkout / "copier.yml").is_file() and (checkout / ".git").exists():
        return TemplateSource(checkout, is_checkout=True)
    return TemplateSource(package_dir / "_template", is_checkout=False)


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    default: Any
    choices: tuple[Any, ...]
    multiselect: bool
    # The raw `when` of a conditional question (a Jinja expression), else None.
    condition: str | None

    def condition_within(self, framework: str) -> str | None:
        """The `when` beyond the framework test every template question has, if any."""
        if self.condition is None:
            return None
        own = f"framework == '{framework}'"
        expression = self.condition.strip("{} ")
        # A question shared by several templates is asked for each of them on a
        # condition of its own: "framework == 'a' or (framework == 'b' and ...)".
        for branch in (b.strip().strip("()") for b in expression.split(" or ")):
            if own in branch:
                expression = branch
                break
            if branch.startswith("framework in [") and f"'{framework}'" in branch:
                return None
        parts = [p.strip() for p in expression.split(" and ")]
        rest = " and ".join(p for p in parts if p != own)
        return rest or None

    def check(self, value: Any) -> None:
        """Reject an answer outside the question's fixed choices (templated ones pass)."""
        if not self.choices or "{{" in str(self.choices):
            return
        allowed = [str(c) for c in self.choices]
        if self.multiselect:
            given = value if isinstance(value, list) else _yaml_list(str(value))
        else:
            given = [value]
        for item in map(str, given):
            if item not in allowed:
                raise UserError(
                    f"--data {self.name}: '{item}' is not allowed; allowed: {', '.join(allowed)}"
                )


def _yaml_list(value: str) -> list[str]:
    import yaml

    parsed = yaml.safe_load(value)
    if not isinstance(parsed, list):
        raise UserError(
            f"expected a YAML list such as '[a, b]' for a multiple-choice answer, got '{value}'"
        )
    return [str(item) for item in parsed]


def _read_config(path: Path) -> dict[str, Any]:
    """A copier.yml's documents merged in order, as Copier merges them; an `!include`d
    file's documents take the place of the include."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return _read_config(path.parent / str(loader.construct_scalar(node)))

    Loader.add_constructor("!include", include)
    merged: dict[str, Any] = {}
    for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader):
        merged.update(document or {})
    return merged


@cache
def template_questions(framework: str) -> tuple[Question, ...]:
    """The questions templates/<framework>/copier.yml asks (computed values left out), in
    the order Copier asks them when it renders the repository's copier.yml."""
    source = locate_templates()
    merged = _read_config(source.template_dir(framework) / "copier.yml")
    asked_order = list(_read_config(source.root / "copier.yml"))
    merged = dict(sorted(merged.items(), key=lambda item: asked_order.index(item[0])))
    questions = []
    for name, spec in merged.items():
        if name.startswith("_"):
            continue
        spec = spec if isinstance(spec, Mapping) else {"default": spec}
        when = spec.get("when", True)
        if when is False:  # a computed value (`when: false`) is never asked
            continue
        choices = spec.get("choices", ())
        if isinstance(choices, Mapping):  # label -> value
            choices = tuple(choices.values())
        questions.append(
            Question(
                name=name,
                type=spec.get("type", "str"),
                help=" ".join(str(spec.get("help", "")).split()),
                default=spec.get("default"),
                choices=tuple(choices),
                multiselect=bool(spec.get("multiselect", False)),
                condition=when if isinstance(when, str) else None,
            )
        )
    return tuple(questions)


def shown_defaults(framework: str) -> dict[str, Any]:
    """Each question's default as a user would see it: templated defaults rendered from
    the defaults of the questions before them, as Copier renders them."""
    import yaml
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])
    context: dict[str, Any] = {"framework": framework}
    shown = {}
    for question in template_questions(framework):
        default = question.default
        if isinstance(default, str) and "{{" in default:
            rendered = env.from_string(default).render(context)
            default = rendered if question.type == "str" else yaml.safe_load(rendered)
        context[question.name] = shown[question.name] = default
    return shown


def check_answers(framework: str, answers: Mapping[str, Any]) -> None:
    """Fail on a `--data` key the template does not ask, or a value outside its choices."""
    if not answers:
        return
    questions = {q.name: q for q in template_questions(framework)}
    for key, value in answers.items():
        if key not in questions:
            raise UserError(
                f"--data {key}: the {framework} template has no such question; "
                f"allowed: {', '.join(questions)}"
            )
        questions[key].check(value)
