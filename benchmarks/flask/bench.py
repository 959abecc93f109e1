"""Throughput and memory of the generated Flask app against a bare Flask app (not a test).

    python benchmarks/flask/bench.py [--duration 10] [--rounds 3] [--connections 16]
                                     [--features database,auth,...]

Renders templates/flask (default answers, or the --features given), installs it into
a virtualenv (kept in ~/.cache/scaffold-bench/flask between runs), then serves, one
after the other and with the same gunicorn settings (the project's gunicorn.conf.py,
one worker):
- the generated app, in production settings (APP_ENV=production);
- a bare `Flask(__name__)` app whose `/` returns "Hello, World!".
`wrk` (Debian: apt-get install wrk) loads each on 127.0.0.1. Rounds alternate between
the apps and the median is kept, since other processes share the CPU. Printed: requests
per second of the generated app's /healthz and / and of the bare app's /, as ratios to
the bare app, and the memory of each worker after the load: resident (RSS, the target's
measure) and unique (USS: the pages no other process shares, what one more worker costs).
Targets: /healthz at least 0.8x the bare app's throughput; RSS at most 1.5x.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = Path.home() / ".cache" / "scaffold-bench" / "flask"
BARE_APP = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
"""


def render(dest: Path, features: list[str] | None) -> Path:
    import copier

    data = (
        {"framework": "flask"} if features is None else {"framework": "flask", "features": features}
    )
    copier.run_copy(str(REPO), str(dest), data=data, defaults=True, vcs_ref="HEAD", quiet=True)
    return dest


def install(project: Path) -> Path:
    """A virtualenv with the project's dependencies (the project itself runs from src/)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.create(VENV, with_pip=True)
    subprocess.run([python, "-m", "pip", "install", "-q", str(project)], check=True)
    subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "my-project"], check=True)
    return VENV / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(bin_dir: Path, app: str, cwd: Path, config: Path, env: dict) -> Iterator[tuple]:
    port = free_port()
    server = subprocess.Popen(
        [bin_dir / "gunicorn", "--config", config, "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", app],
        cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            time.sleep(0.1)
        yield port, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def worker_memory_mib(master: int) -> list[tuple[float, float]]:
    """(RSS, USS) of each worker of the gunicorn master, in MiB.

    RSS counts every page a worker maps, including those it shares with the master
    (preload_app); USS only its private pages: what one more worker costs.
    """
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
            kib = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M)}
            private = kib["Private_Clean"] + kib["Private_Dirty"]
            sizes.append((kib["Rss"] / 1024, private / 1024))
    return sizes


def wrk(port: int, path: str, duration: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output:
        raise SystemExit(f"{path} answered with errors:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--features", help="comma-separated `features` answer (default: the template's default)"
    )
    args = parser.parse_args()
    features = None if args.features is None else [f for f in args.features.split(",") if f]
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="flask-bench-"))
    try:
        project = render(work / "project", features)
        bin_dir = install(project)
        (work / "bare_app.py").write_text(BARE_APP)
        config = project / "gunicorn.conf.py"
        generated_env = {
            "APP_ENV": "production",
            "SECRET_KEY": "benchmark-" + "x" * 54,
            "DATABASE_URL": f"sqlite:///{work}/app.sqlite3",
            "PYTHONPATH": str(project / "src"),
            "FLASK_APP": "my_project",
        }
        if (project / "migrations").is_dir():
            subprocess.run(
                [bin_dir / "flask", "db", "upgrade"], cwd=project,
                env={**os.environ, **generated_env}, check=True, capture_output=True,
            )  # fmt: skip

        results: dict[str, list[float]] = {"bare /": [], "/healthz": [], "/": []}
        memory: dict[str, list[tuple[float, float]]] = {"bare": [], "generated": []}
        for _ in range(args.rounds):
            with gunicorn(bin_dir, "bare_app:app", work, config, {}) as (port, master):
                results["bare /"].append(wrk(port, "/", args.duration, args.connections))
                memory["bare"] += worker_memory_mib(master)
            app = "my_project:create_app()"
            with gunicorn(bin_dir, app, project, config, generated_env) as (port, master):
                for path in ("/healthz", "/"):
                    results[path].append(wrk(port, path, args.duration, args.connections))
                memory["generated"] += worker_memory_mib(master)

        bare = statistics.median(results["bare /"])
        print(f"features: {'template default' if features is None else features}")
        print(f"gunicorn: gthread, 1 worker; wrk: 2 threads, {args.connections} connections, "
              f"{args.duration} s per run, median of {args.rounds} rounds")  # fmt: skip
        print(f"{'bare Flask /':<22}{bare:>9.0f} req/s  1.00x")
        for path in ("/healthz", "/"):
            rps = statistics.median(results[path])
            print(f"{'generated ' + path:<22}{rps:>9.0f} req/s  {rps / bare:.2f}x")
        for index, kind in enumerate(("RSS", "USS")):
            bare_mib = statistics.median(m[index] for m in memory["bare"])
            generated_mib = statistics.median(m[index] for m in memory["generated"])
            print(f"{'worker ' + kind + ', bare':<22}{bare_mib:>9.1f} MiB")
            print(f"{'worker ' + kind + ', generated':<22}{generated_mib:>9.1f} MiB  "
                  f"{generated_mib / bare_mib:.2f}x")  # fmt: skip
            if kind == "RSS":
                memory_ratio = generated_mib / bare_mib
        healthz_ratio = statistics.median(results["/healthz"]) / bare
        print(f"targets: /healthz >= 0.80x: {'met' if healthz_ratio >= 0.8 else 'MISSED'}; "
              f"RSS <= 1.50x: {'met' if memory_ratio <= 1.5 else 'MISSED'}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
