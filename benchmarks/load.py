"""What the benchmarks share: load from wrk, and what a gunicorn worker costs.

The benchmarks render templates and run generated projects with the tests' own helpers
(tests/generated.py); `import load` puts them on the path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from generated import ProjectEnv, free_port, running, wait_for_http  # noqa: E402

# Debian keeps nginx in /usr/sbin, which is not on every user's PATH.
SEARCH_PATH = f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin"


def require(*programs: str) -> None:
    """Exit with a one-line hint when a program the benchmark drives is missing."""
    for program in programs:
        if shutil.which(program, path=SEARCH_PATH) is None:
            sys.exit(f"{program} is not installed (Debian: apt-get install {program})")


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def wrk(
    url: str,
    duration: int,
    connections: int,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
) -> Load:
    """Load `url` for `duration` seconds (with a Lua `script` that makes each request,
    if given); exits if any response was not a success."""
    options = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    if script is not None:
        options += ["--script", str(script)]
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s"]
    output = subprocess.run(
        [*command, "--latency", *options, url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        sys.exit(f"{url} answered with errors:\n{output}")

    def latency_ms(percentile: str) -> float:
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if found is None:
            sys.exit(f"no {percentile}th percentile latency in wrk's output:\n{output}")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    return Load(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency_ms("50"),
        p99_ms=latency_ms("99"),
    )


@contextmanager
def gunicorn(
    env: ProjectEnv,
    app: str,
    *options: str,
    cwd: Path,
    environment: Mapping[str, str],
    log: Path,
    ready_path: str = "/healthz",
) -> Iterator[tuple[str, int]]:
    """`app` under gunicorn on a free port, once `ready_path` answers 2xx: yields its URL
    and the master's pid. Stopped, with its whole process group, on exit."""
    port = free_port()
    process = env.popen(
        "gunicorn", *options, "--bind", f"127.0.0.1:{port}", app,
        cwd=cwd, env=environment, log=log,
    )  # fmt: skip
    with running(process, log):
        wait_for_http(f"http://127.0.0.1:{port}{ready_path}", process, until_ok=True)
        yield f"http://127.0.0.1:{port}", process.pid


def _stat_fields(pid_dir: Path) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]."""
    return (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()


def _workers(master_pid: int) -> list[Path]:
    """The /proc directories of a gunicorn master's worker processes."""
    found = []
    for pid_dir in Path("/proc").glob("[0-9]*"):
        try:
            if int(_stat_fields(pid_dir)[1]) == master_pid:
                found.append(pid_dir)
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def gunicorn_config(env: ProjectEnv, config: Path) -> dict[str, object]:
    """The settings a gunicorn.conf.py makes (those JSON can hold), read with the
    project's Python: the file imports gunicorn, which only the project's environment has."""
    script = (
        "import json, runpy, sys; settings = runpy.run_path(sys.argv[1]); "
        "print(json.dumps({k: v for k, v in settings.items() "
        "if isinstance(v, (bool, int, float, str, type(None)))}))"
    )
    # TMPDIR: where the file makes its metrics directory, removed after.
    with tempfile.TemporaryDirectory() as scratch:
        result = env.run(
            "python", "-c", script, str(config), cwd=config.parent, env={"TMPDIR": scratch}
        )
    if result.returncode != 0:
        sys.exit(f"could not read {config}:\n{result.stderr}")
    return json.loads(result.stdout)


def recycling(
    settings: Mapping[str, object], max_requests: int | None = None, jitter: int | None = None
) -> str:
    """The worker recycling a gunicorn.conf.py's `settings` (gunicorn_config) make (or
    `max_requests` and `jitter`, given on the command line instead), as the benchmarks
    print it."""
    if max_requests is None:
        max_requests = settings.get("max_requests", 0)
    if jitter is None:
        jitter = settings.get("max_requests_jitter", 0)
    if not max_requests:
        return "no worker recycling"
    return f"max_requests {max_requests} (jitter {jitter})"


@dataclass(frozen=True)
class Memory:
    """A worker's memory in MiB. RSS counts every page it maps, including those it shares
    with the master (`preload_app`); USS only its own pages: what one more worker costs;
    PSS its own pages plus its share of each shared page (a page shared by 3 processes
    counts for a third): the processes' PSS add up to the memory they use together."""

    rss_mib: float
    uss_mib: float
    pss_mib: float


def worker_memory(master_pid: int) -> list[Memory]:
    sizes = []
    for pid_dir in _workers(master_pid):
        rollup = (pid_dir / "smaps_rollup").read_text()
        kib = {key: int(value) for key, value in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M)}
        private = kib["Private_Clean"] + kib["Private_Dirty"]
        sizes.append(Memory(kib["Rss"] / 1024, private / 1024, kib["Pss"] / 1024))
    return sizes


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its descendants, those
    that have ended included (a parent that reaps a child adds the child's time to its
    own children's time, cutime and cstime): a gunicorn master's workers, restarted or
    not, or nginx's."""
    ticks = 0
    pending = [pid]
    children: dict[int, list[int]] = {}
    for pid_dir in Path("/proc").glob("[0-9]*"):
        try:
            children.setdefault(int(_stat_fields(pid_dir)[1]), []).append(int(pid_dir.name))
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    while pending:
        current = pending.pop()
        pending += children.get(current, [])
        try:
            fields = _stat_fields(Path(f"/proc/{current}"))
        except (OSError, IndexError):
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(master_pid: int) -> float:
    """CPU time (user and system) a master's workers have used so far."""
    ticks = 0
    for pid_dir in _workers(master_pid):
        fields = _stat_fields(pid_dir)
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")
