"""The decision record `scaffold new` writes into the generated project.

It is an ordinary file of the user's (Copier does not manage it), in the usual
architecture-decision-record layout: context, decision, alternatives.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scaffold.catalog import Framework
from scaffold.engine import Recommendation, what_would_change
from scaffold.profile import Profile, dump_profile

RECORD_PATH = Path("docs/decisions/0001-framework-choice.md")
# The answers the recommendation came from, beside the record, so that it can be re-run.
PROFILE_PATH = RECORD_PATH.with_name("0001-project-profile.yml")


@dataclass(frozen=True)
class Decision:
    framework: str
    # None when the framework came from `--framework` with no profile to score.
    profile: Profile | None = None
    recommendation: Recommendation | None = None

    @property
    def overridden(self) -> bool:
        return self.recommendation is not None and self.framework != self.recommendation.framework

    def alternatives(self) -> list[str]:
        """The frameworks not chosen, best-scoring first when there are scores."""
        others = [f.value for f in Framework if f.value != self.framework]
        if self.recommendation:
            others.sort(key=lambda f: -self.recommendation.scores[f])
        return others


def render_record(decision: Decision, today: datetime.date | None = None) -> str:
    from importlib.metadata import version

    import jinja2

    source = resources.files("scaffold").joinpath("decision_record.md.j2").read_text("utf-8")
    template = jinja2.Environment(
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False
    ).from_string(source)
    return template.render(
        d=decision,
        flips=what_would_change(decision.profile) if decision.profile else (),
        profile_path=PROFILE_PATH,
        today=(today or datetime.date.today()).isoformat(),
        version=version("scaffold"),
    )


def write_record(project_dir: Path, decision: Decision) -> None:
    """Write the decision record and, when there is one, the profile it came from."""
    path = project_dir / RECORD_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_record(decision), encoding="utf-8")
    if decision.profile is not None:
        (project_dir / PROFILE_PATH).write_text(dump_profile(decision.profile), encoding="utf-8")
