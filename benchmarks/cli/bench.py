"""Wall time of the scaffold CLI, side by side with plain Copier (a benchmark, not a test).

    python benchmarks/cli/bench.py [--runs N]

Both run from a fresh clone of this repository's committed state (so that neither
renders uncommitted changes), scaffold as `python -m scaffold` from the clone's sources.
Prints the median of N runs, and the ratio, for:
- `scaffold --help` (target: under 0.3 s; heavy modules are imported lazily);
- `scaffold new DEST --framework flask --defaults` against `copier copy` of the same
  template with the same answers (target: scaffold within 1.15x of copier). scaffold does
  more: it also writes the decision record and makes the first git commit;
- `scaffold update` of a project already at the clone's commit against `copier update`
  of the same project (target: within 1.3x);
- `scaffold update --data task_queue=celery` against `copier update --data ...` (target:
  within 1.3x); the project is reset to its commit after each run. scaffold renders the
  old template version again only when the update deletes a file (to keep it if the user
  had changed it); this answer deletes none.
Each pair runs alternately, so that caches and machine load affect both alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
IDENTITY = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def wall(command: list[str], cwd: Path, env: dict[str, str] = ENV) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *IDENTITY, *args], cwd=project, env=ENV, check=True, capture_output=True)


def compare(
    runs: int,
    scaffold: Callable[[int], list[str]],
    copier: Callable[[int], list[str]],
    cwd: Path,
    scaffold_env: dict[str, str],
    after_each: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """Medians of `runs` alternating runs of the two commands."""
    scaffold_times, copier_times = [], []
    for i in range(runs):
        scaffold_times.append(wall(scaffold(i), cwd, scaffold_env))
        after_each()
        copier_times.append(wall(copier(i), cwd))
        after_each()
    return statistics.median(scaffold_times), statistics.median(copier_times)


def report(what: str, scaffold: float, copier: float, target: float) -> None:
    ratio = scaffold / copier
    print(
        f"{what}: scaffold {scaffold:.3f} s, copier {copier:.3f} s, {ratio:.2f}x "
        f"(target <= {target:.2f}x: {'met' if ratio <= target else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="scaffold-bench-"))
    try:
        clone = work / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], env=ENV, check=True)
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
        ).stdout.strip()
        print(f"{runs} runs each, median; template: commit {commit}, load average "
              f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        scaffold_env = {**ENV, "PYTHONPATH": str(clone / "src")}
        scaffold = [sys.executable, "-m", "scaffold"]
        copier = [str(BIN / "copier")]

        help_times = [wall([*scaffold, "--help"], work, scaffold_env) for _ in range(runs)]
        help_time = statistics.median(help_times)
        print(f"scaffold --help: {help_time:.3f} s (target < 0.300 s: "
              f"{'met' if help_time < 0.3 else 'MISSED'})")  # fmt: skip

        copy_options = ["--quiet", "--vcs-ref", "HEAD", "--defaults", "--data", "framework=flask"]
        report(
            "new --framework flask --defaults",
            *compare(
                runs,
                lambda i: [*scaffold, "new", f"s{i}", "--framework", "flask", "--defaults"],
                lambda i: [*copier, "copy", *copy_options, str(clone), f"c{i}"],
                work,
                scaffold_env,
            ),
            1.15,
        )

        project = work / "s0"  # made by scaffold new, committed, at the clone's commit
        report(
            "update, already up to date",
            *compare(
                runs,
                lambda i: [*scaffold, "update", str(project)],
                lambda i: [*copier, "update", "--quiet", "--defaults", str(project)],
                work,
                scaffold_env,
            ),
            1.3,
        )

        def reset() -> None:
            git(project, "reset", "--quiet", "--hard")
            git(project, "clean", "--quiet", "-fdx")

        data = ["--data", "task_queue=celery"]
        report(
            "update --data task_queue=celery",
            *compare(
                runs,
                lambda i: [*scaffold, "update", str(project), *data],
                lambda i: [*copier, "update", "--quiet", "--defaults", *data, str(project)],
                work,
                scaffold_env,
                after_each=reset,
            ),
            1.3,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
