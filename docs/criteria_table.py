"""Print, or with --write refresh, the tables in docs/recommendation.md.

The criteria table is generated from src/scaffold/criteria.yml, the template defaults
table from src/scaffold/template_defaults.yml; tests/test_docs.py fails when the
document is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scaffold.engine import Condition, load_criteria
from scaffold.template_defaults import SelectionChange, load_rules

DOC = Path(__file__).with_name("recommendation.md")


def describe(condition: Condition) -> str:
    parts = []
    for key, expected in condition.items():
        if key in ("any_of", "all_of"):
            joiner = " or " if key == "any_of" else " and "
            parts.append("(" + joiner.join(describe(c) for c in expected) + ")")
        elif isinstance(expected, list):
            parts.append(f"{key} in {', '.join(map(str, expected))}")
        elif isinstance(expected, dict):
            bounds = [f"{key} >= {expected['min']}"] if "min" in expected else []
            bounds += [f"{key} <= {expected['max']}"] if "max" in expected else []
            parts.append(" and ".join(bounds))
        else:
            shown = str(expected).lower() if isinstance(expected, bool) else expected
            parts.append(f"{key} = {shown}")
    return " and ".join(parts)


def criteria_table() -> str:
    criteria = load_criteria()
    lines = [
        "| criterion | topic | fires when | " + " | ".join(criteria.frameworks) + " | sources |",
        "|---|---|---|" + "---|" * len(criteria.frameworks) + "---|",
    ]
    for c in criteria.criteria:
        weights = " | ".join(str(c.weights.get(f, "")) for f in criteria.frameworks)
        lines.append(
            f"| `{c.id}` | {c.topic} | {describe(c.when)} | {weights} | {', '.join(c.sources)} |"
        )
    return "\n".join(lines)


def _shown(value: object) -> str:
    if isinstance(value, SelectionChange):
        return ", ".join([*(f"+{c}" for c in value.add), *(f"-{c}" for c in value.remove)])
    return str(value).lower() if isinstance(value, bool) else str(value)


def defaults_table() -> str:
    lines = ["| rule | applies when | template | defaults | why |", "|---|---|---|---|---|"]
    for rule in load_rules():
        for framework, answers in rule.defaults.items():
            shown = "; ".join(f"{name}: {_shown(value)}" for name, value in answers.items())
            lines.append(
                f"| `{rule.id}` | {describe(rule.when)} | {framework} | {shown} | {rule.reason} |"
            )
    return "\n".join(lines)


TABLES = {"criteria-table": criteria_table, "template-defaults": defaults_table}


def refreshed(document: str) -> str:
    for marker, make in TABLES.items():
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        head, rest = document.split(start, 1)
        _, tail = rest.split(end, 1)
        document = f"{head}{start}\n{make()}\n{end}{tail}"
    return document


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(refreshed(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print("\n\n".join(make() for make in TABLES.values()))
