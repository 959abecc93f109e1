"""What logging, metrics and disabled tracing cost per request (a benchmark, not a test).

    python benchmarks/observability/bench.py [--duration 5] [--rounds 7] [--connections 8]
                                             [--frameworks flask,django]

Renders each template with its default answers and serves the generated app four ways,
at once, under its own gunicorn.conf.py (one worker, no worker recycling), in production
settings (JSON log lines, written to a file as a container's stdout would be):
- as generated: each request gets its id, its JSON log line and its count and duration
  in the Prometheus metrics (request_log.py, metrics.py); tracing and Sentry are off
  (OTEL_EXPORTER_OTLP_ENDPOINT and SENTRY_DSN unset: neither library is imported);
- as generated, but LOG_LEVEL=WARNING: request ids and metrics without the request's
  log line (what the line itself costs);
- the same app without them ("plain"): Flask's without the RequestLog middleware and its
  route binding, Django's without RequestLogMiddleware; METRICS_PORT=0;
- plain with gunicorn's access log (one line per request, to the same file): what the
  templates shipped before the request log replaced it.
wrk loads the home page (/) of each in turn, the order reversed each round. Printed: the
medians over the rounds of requests per second of wall time and of the worker's CPU
time, each as a ratio to plain, and the CPU time each adds per request. Target: the
generated app at least 0.95x plain (under 5% of throughput).

Needs wrk (Debian: apt-get install wrk) and Linux (/proc). The projects' dependencies
are installed once, in the environment the tests share.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers (generated) on the path.
from load import cpu_seconds, gunicorn, require, wrk

from generated import ProjectEnv, assert_ok, project_env, render, requirements

# The Flask app as generated, less what request_log.py adds (the outermost middleware).
FLASK_PLAIN = """\
from my_project import create_app
from my_project.request_log import RequestLog, bind_route

app = create_app()
assert isinstance(app.wsgi_app, RequestLog)
app.wsgi_app = app.wsgi_app.app
app.url_value_preprocessors[None].remove(bind_route)
"""
DJANGO_PLAIN = """\
from config.settings.production import *  # noqa: F403

MIDDLEWARE = [m for m in MIDDLEWARE if not m.endswith(".request_log.RequestLogMiddleware")]
"""
# Django's production settings redirect plain HTTP to HTTPS otherwise.
HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass
class Variant:
    module: str
    environment: dict[str, str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def variants(
    module: str, environment: dict[str, str], plain_module: str, plain: dict[str, str]
) -> dict[str, Variant]:
    plain = {**plain, "METRICS_PORT": "0"}
    access_log = {**plain, "GUNICORN_CMD_ARGS": "--access-logfile -"}
    return {
        "generated": Variant(module, environment),
        "no log line": Variant(module, {**environment, "LOG_LEVEL": "WARNING"}),
        "plain + access log": Variant(plain_module, access_log),
        "plain": Variant(plain_module, plain),
    }


def flask_variants(env: ProjectEnv, project: Path, work: Path) -> dict[str, Variant]:
    (work / "plain_app.py").write_text(FLASK_PLAIN)
    environment = {
        "APP_ENV": "production",
        "SECRET_KEY": "benchmark-" + "x" * 54,
        "TRUSTED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{work}/app.sqlite3",
        "EMAIL_URL": "dummymail://",
        "PYTHONPATH": f"{project / 'src'}:{work}",
        "FLASK_APP": "my_project",
    }
    if (project / "migrations").is_dir():
        assert_ok(env.run("flask", "db", "upgrade", cwd=project, env=environment), "upgrade")
    return variants("my_project:create_app()", environment, "plain_app:app", environment)


def django_variants(env: ProjectEnv, project: Path, work: Path) -> dict[str, Variant]:
    (work / "plain_settings.py").write_text(DJANGO_PLAIN)
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "EMAIL_URL": "consolemail://",
    }
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        result = env.run("python", "manage.py", *command, cwd=project, env=environment)
        assert_ok(result, " ".join(command))
    plain = {**environment, "DJANGO_SETTINGS_MODULE": "plain_settings", "PYTHONPATH": str(work)}
    return variants("config.wsgi", environment, "config.wsgi", plain)


PREPARE = {"flask": flask_variants, "django": django_variants}


def measure(framework: str, args: argparse.Namespace, work: Path) -> float:
    """Prints the figures; returns the generated app's ratio to plain by CPU time."""
    project = render(framework, {}, work / "project")
    env = project_env(requirements(project))  # the tests' environment, built once
    variants = PREPARE[framework](env, project, work)
    options = ("--config", str(project / "gunicorn.conf.py"), "--workers", "1")
    options += ("--max-requests", "0")
    logs = {name: work / f"{name.replace(' ', '-')}.log" for name in variants}
    with contextlib.ExitStack() as stack:
        targets = {
            name: stack.enter_context(
                gunicorn(
                    env,
                    variant.module,
                    *options,
                    cwd=project,
                    environment=variant.environment,
                    log=logs[name],
                )
            )
            for name, variant in variants.items()
        }
        for url, _ in targets.values():
            wrk(f"{url}/", 2, args.connections, HEADERS)  # warm-up
        for round_number in range(args.rounds):
            order = list(variants)
            for name in order if round_number % 2 == 0 else order[::-1]:
                url, pid = targets[name]
                before = cpu_seconds(pid)
                load = wrk(f"{url}/", args.duration, args.connections, HEADERS)
                variants[name].wall.append(load.requests_per_second)
                variants[name].cpu.append(load.requests / (cpu_seconds(pid) - before))
    line = '"message": "request"'
    logged = logs["generated"].read_text().count(line)
    assert logged > 0 and line not in logs["plain"].read_text()

    print(f"{framework}: GET / ({logged} request lines logged by the generated app)")
    print(f"  {'':<20}{'req/s':>8}{'req/CPU-s':>11}{'by CPU':>8}{'CPU/request':>13}")
    plain_cpu = statistics.median(variants["plain"].cpu)
    ratios = {}
    for name, variant in variants.items():
        wall, cpu = statistics.median(variant.wall), statistics.median(variant.cpu)
        ratios[name] = cpu / plain_cpu
        added_us = (1 / cpu - 1 / plain_cpu) * 1e6
        print(f"  {name:<20}{wall:>8.0f}{cpu:>11.0f}{ratios[name]:>7.3f}x{added_us:>+10.0f} us")
    return ratios["generated"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--frameworks", default="flask,django", help="comma-separated")
    args = parser.parse_args()
    frameworks = args.frameworks.split(",")
    if unknown := set(frameworks) - set(PREPARE):
        parser.error(f"unknown framework {', '.join(sorted(unknown))}; known: flask, django")
    require("wrk")
    print(f"gunicorn: gthread, 1 worker; wrk: {args.connections} connections, "
          f"{args.duration} s per run, median of {args.rounds} rounds")  # fmt: skip
    verdicts = []
    for framework in frameworks:
        work = Path(tempfile.mkdtemp(prefix=f"scaffold-observability-{framework}-"))
        try:
            ratio = measure(framework, args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        verdicts.append(f"{framework} {ratio:.3f}x {'met' if ratio >= 0.95 else 'MISSED'}")
    print(f"target: generated >= 0.95x plain by CPU time: {'; '.join(verdicts)}")


if __name__ == "__main__":
    main()
