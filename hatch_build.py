"""Wheel build hook: record which commit the packaged templates were built from.

A project generated from the packaged templates records that origin in its Copier
answers file, so that `copier update` can later find the template version it came
from (see scaffold.catalog.TemplateSource.recorded_origin).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PROVENANCE = "scaffold/_template/provenance.json"


def _git(root: str, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError:  # git is not installed
        return None
    return result.stdout.strip() if result.returncode == 0 else None


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install runs from the checkout itself
        provenance = {
            "path": self.root,
            "commit": _git(self.root, "rev-parse", "HEAD"),
            # What Copier records as `_commit` for this commit.
            "described": _git(self.root, "describe", "--tags", "--always"),
            "tags": (_git(self.root, "tag", "--points-at", "HEAD") or "").split(),
            # Uncommitted template changes make the packaged files differ from the commit.
            "dirty": bool(_git(self.root, "status", "--porcelain", "copier.yml", "templates")),
        }
        self._scratch = Path(tempfile.mkdtemp(prefix="scaffold-build-"))
        record = self._scratch / "provenance.json"
        record.write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        build_data["force_include"][str(record)] = PROVENANCE

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if scratch := getattr(self, "_scratch", None):
            shutil.rmtree(scratch, ignore_errors=True)
