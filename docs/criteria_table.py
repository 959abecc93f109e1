"""Print, or with --write refresh, the criteria table in docs/recommendation.md.

The table is generated from src/scaffold/criteria.yml; tests/test_docs.py fails
when the document is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scaffold.engine import Condition, load_criteria

DOC = Path(__file__).with_name("recommendation.md")
START, END = "<!-- criteria-table:start -->", "<!-- criteria-table:end -->"


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


def table() -> str:
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


def refreshed(document: str) -> str:
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(refreshed(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())
