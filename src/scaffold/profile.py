"""The project profile: what the interview asks and what the recommendation reads.

The `Profile` dataclass is the schema: its Literal types are the allowed values and
its defaults are the defaults. `QUESTIONS` adds the wording the interview shows.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

from scaffold.errors import UserError

AppType = Literal[
    "api",
    "microservice",
    "prototype",
    "website",
    "spa_backend",
    "ecommerce",
    "cms",
    "saas",
    "enterprise",
    "data_platform",
    "internal_tool",
    "iot",
]
Size = Literal["small", "medium", "large"]
Experience = Literal["junior", "mixed", "senior"]
Timeline = Literal["weeks", "months", "long_term"]
Budget = Literal["tight", "moderate", "comfortable"]
Compliance = Literal["none", "sensitive", "regulated"]
DataComplexity = Literal["low", "medium", "high"]
Architecture = Literal["monolith", "microservices", "undecided"]

Value = str | int | bool


class ProfileError(UserError):
    """A profile key, type or value that is not allowed."""


@dataclass(frozen=True)
class Profile:
    app_type: AppType = "website"
    size: Size = "medium"
    team_size: int = 3
    experience: Experience = "mixed"
    timeline: Timeline = "months"
    budget: Budget = "moderate"
    compliance: Compliance = "none"
    admin_ui: bool = False
    user_accounts: bool = False
    data_complexity: DataComplexity = "medium"
    heavy_services: bool = False
    architecture: Architecture = "undecided"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Profile:
        """Validate a mapping of answers; missing keys take their defaults."""
        specs = field_specs()
        for key in data:
            if key not in specs:
                raise ProfileError(f"unknown profile key '{key}'; allowed keys: {', '.join(specs)}")
        return cls(**{key: specs[key].check(value) for key, value in data.items()})

    def as_dict(self) -> dict[str, Value]:
        return asdict(self)


# Wording for the interview: (question, one line of help), in the order asked.
QUESTIONS: dict[str, tuple[str, str]] = {
    "app_type": (
        "What kind of application is it?",
        "The closest match: a JSON API, a shop, a CMS, a SaaS product, an internal tool...",
    ),
    "size": (
        "How big will it grow?",
        "small: a handful of pages or endpoints; large: many modules and workflows.",
    ),
    "team_size": (
        "How many developers will work on it?",
        "The people who will write code for it in its first year.",
    ),
    "experience": (
        "How experienced is the team with Python web development?",
        "junior: new to it; mixed: some have shipped Python web apps; senior: all have.",
    ),
    "timeline": (
        "What is the horizon?",
        "weeks: a quick first release; months: a usual project; long_term: years of upkeep.",
    ),
    "budget": (
        "How much budget is there?",
        "tight: start lean and pay later if it grows; comfortable: invest up front.",
    ),
    "compliance": (
        "What security or compliance demands apply?",
        "sensitive: personal or payment data; regulated: audits, certification, law.",
    ),
    "admin_ui": (
        "Do staff need a back office to manage data?",
        "An admin interface for non-developers to browse and edit records.",
    ),
    "user_accounts": (
        "Do end users sign up and log in?",
        "Registration, login, sessions, passwords, permissions.",
    ),
    "data_complexity": (
        "How complex is the data?",
        "low: a few tables; high: many related models, migrations, reporting.",
    ),
    "heavy_services": (
        "Are there CPU-heavy or high-traffic endpoints that must scale on their own?",
        "Batch jobs, reports, number crunching or hot APIs you would run separately.",
    ),
    "architecture": (
        "Monolith or microservices?",
        "monolith: one deployable; microservices: services that ship on their own.",
    ),
}


@dataclass(frozen=True)
class FieldSpec:
    """One profile key: its kind, allowed values, default and interview wording."""

    name: str
    kind: Literal["choice", "integer", "boolean"]
    default: Value
    choices: tuple[str, ...]
    question: str
    help: str
    minimum: int = 1

    def allowed(self) -> str:
        """The allowed values, as error messages name them."""
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "integer":
            return f"a whole number >= {self.minimum}"
        return "true or false"

    def check(self, value: object) -> Value:
        """Return the value if it is allowed, else raise ProfileError naming the rule."""
        if self.kind == "choice":
            # Choices are lowercase words: 'Django' or 'API' mean the same.
            value = value.lower() if isinstance(value, str) else value
            ok = value in self.choices
        elif self.kind == "integer":
            # bool is a subclass of int: `team_size: true` is a wrong type, not 1.
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum
        else:
            ok = isinstance(value, bool)
        if not ok:
            raise ProfileError(
                f"profile key '{self.name}': {value!r} is not allowed; allowed: {self.allowed()}"
            )
        return value  # type: ignore[return-value]


@cache
def field_specs() -> dict[str, FieldSpec]:
    """The schema read off the Profile dataclass, keyed by name, in interview order."""
    hints = typing.get_type_hints(Profile)
    specs: dict[str, FieldSpec] = {}
    for field in fields(Profile):
        hint = hints[field.name]
        if typing.get_origin(hint) is Literal:
            kind, choices = "choice", typing.get_args(hint)
        elif hint is bool:
            kind, choices = "boolean", ()
        else:
            kind, choices = "integer", ()
        assert field.default is not MISSING
        question, help_text = QUESTIONS[field.name]
        specs[field.name] = FieldSpec(field.name, kind, field.default, choices, question, help_text)
    return specs


def dump_profile(profile: Profile) -> str:
    """The profile as a YAML file that `load_profile` reads back, each key under its question."""
    import yaml

    lines = []
    for name, value in profile.as_dict().items():
        spec = field_specs()[name]
        lines.append(f"# {spec.question} ({spec.allowed()})")
        lines.append(yaml.safe_dump({name: value}).strip())
    return "\n".join(lines) + "\n"


def load_profile(path: Path) -> Profile:
    """Read a profile from a YAML or JSON file (JSON is a subset of YAML)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"cannot read profile file '{path}': {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ProfileError(f"profile file '{path}' is not valid YAML or JSON{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(
            f"profile file '{path}' must map keys to values, not hold a {type(data).__name__}"
        )
    return Profile.from_mapping(data)
