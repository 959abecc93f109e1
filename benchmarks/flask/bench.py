"""Throughput and memory of the generated Flask app against a bare Flask app (not a test).

    python benchmarks/flask/bench.py [--duration 10] [--rounds 3] [--connections 16]
                                     [--features database,auth,...]
                                     [--max-requests N] [--max-requests-jitter N]

Renders templates/flask (default answers, or the --features given) and serves, one
after the other and with the same gunicorn settings (the project's gunicorn.conf.py,
one worker, no access log; --max-requests and --max-requests-jitter override its
worker recycling):
- the generated app, in production settings (APP_ENV=production);
- a bare `Flask(__name__)` app whose `/` returns "Hello, World!".
`wrk` loads each on 127.0.0.1. Rounds alternate between the apps and the median is
kept, since other processes share the CPU. Printed: requests per second of the
generated app's /healthz and / and of the bare app's /, as ratios to the bare app, and
the memory of each worker after the load (RSS, USS and PSS: see load.Memory), with the
lowest and highest USS over the rounds. Targets: /healthz at least 0.8x the bare app's
throughput; USS at most 1.5x, RSS at most 2x.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers (generated) on the path.
from load import Memory, gunicorn, gunicorn_config, recycling, require, worker_memory, wrk

from generated import assert_ok, project_env, render, requirements

BARE_APP = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--features", help="comma-separated `features` answer (default: the template's default)"
    )
    parser.add_argument(
        "--max-requests", type=int, help="gunicorn's max_requests (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--max-requests-jitter", type=int, help="(default: gunicorn.conf.py's)")
    args = parser.parse_args()
    answers = {} if args.features is None else {"features": args.features.split(",")}
    require("wrk")

    work = Path(tempfile.mkdtemp(prefix="scaffold-flask-bench-"))
    try:
        project = render("flask", answers, work / "project")
        # What production installs, without the development tools: bandit brings rich,
        # which structlog then imports: 4 MiB of RSS per worker that a deployed app lacks.
        env = project_env(requirements(project, extras=()))  # built once, then shared
        (work / "bare_app.py").write_text(BARE_APP)
        # Production settings; the code runs from src/ without installing, as in the tests.
        generated_env = {
            "APP_ENV": "production",
            "SECRET_KEY": "benchmark-" + "x" * 54,
            "TRUSTED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{work}/app.sqlite3",
            # Production refuses to start without a mail server when accounts are on.
            "EMAIL_URL": "dummymail://",
            "PYTHONPATH": str(project / "src"),
            "FLASK_APP": "my_project",
        }
        if (project / "migrations").is_dir():
            assert_ok(env.run("flask", "db", "upgrade", cwd=project, env=generated_env), "upgrade")
        options = ("--config", str(project / "gunicorn.conf.py"), "--workers", "1")
        options += ("--access-logfile", "/dev/null")
        if args.max_requests is not None:
            options += ("--max-requests", str(args.max_requests))
        if args.max_requests_jitter is not None:
            options += ("--max-requests-jitter", str(args.max_requests_jitter))

        results: dict[str, list[float]] = {"bare /": [], "/healthz": [], "/": []}
        memory: dict[str, list[Memory]] = {"bare": [], "generated": []}
        for _ in range(args.rounds):
            with gunicorn(
                env, "bare_app:app", *options,
                cwd=work, environment={}, log=work / "bare.log", ready_path="/",
            ) as (url, master):  # fmt: skip
                load = wrk(f"{url}/", args.duration, args.connections)
                results["bare /"].append(load.requests_per_second)
                memory["bare"] += worker_memory(master)
            with gunicorn(
                env, "my_project:create_app()", *options,
                cwd=project, environment=generated_env, log=work / "generated.log",
            ) as (url, master):  # fmt: skip
                for path in ("/healthz", "/"):
                    load = wrk(f"{url}{path}", args.duration, args.connections)
                    results[path].append(load.requests_per_second)
                memory["generated"] += worker_memory(master)

        bare = statistics.median(results["bare /"])
        print(f"features: {args.features if answers else 'template default'}")
        config = gunicorn_config(env, project / "gunicorn.conf.py")
        setting = recycling(config, args.max_requests, args.max_requests_jitter)
        print(
            f"gunicorn: gthread, 1 worker, {setting}; wrk: 2 threads, {args.connections} "
            f"connections, {args.duration} s per run, median of {args.rounds} rounds"
        )
        print(f"{'bare Flask /':<22}{bare:>9.0f} req/s  1.00x")
        for path in ("/healthz", "/"):
            rps = statistics.median(results[path])
            print(f"{'generated ' + path:<22}{rps:>9.0f} req/s  {rps / bare:.2f}x")
        ratios = {}
        for kind in ("rss_mib", "uss_mib", "pss_mib"):
            bare_mib = statistics.median(getattr(m, kind) for m in memory["bare"])
            generated_mib = statistics.median(getattr(m, kind) for m in memory["generated"])
            ratios[kind] = generated_mib / bare_mib
            label = f"worker {kind[:3].upper()}"
            print(f"{label + ', bare':<22}{bare_mib:>9.1f} MiB")
            print(f"{label + ', generated':<22}{generated_mib:>9.1f} MiB  {ratios[kind]:.2f}x")
        uss = [m.uss_mib for m in memory["generated"]]
        print(f"generated worker's USS over the rounds: {min(uss):.1f}-{max(uss):.1f} MiB")
        healthz_ratio = statistics.median(results["/healthz"]) / bare
        print(f"targets: /healthz >= 0.80x: {'met' if healthz_ratio >= 0.8 else 'MISSED'}; "
              f"USS <= 1.50x: {'met' if ratios['uss_mib'] <= 1.5 else 'MISSED'}; "
              f"RSS <= 2.00x: {'met' if ratios['rss_mib'] <= 2 else 'MISSED'}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
