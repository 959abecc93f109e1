"""Documentation that is generated from data must match the data."""

from __future__ import annotations

import runpy

from conftest import REPO


def test_criteria_table_is_current() -> None:
    script = runpy.run_path(str(REPO / "docs" / "criteria_table.py"))
    document = (REPO / "docs" / "recommendation.md").read_text(encoding="utf-8")
    assert script["refreshed"](document) == document, (
        "docs/recommendation.md is stale: run `python docs/criteria_table.py --write`"
    )
