"""Throughput and memory of the generated Django project under gunicorn (a benchmark, not a test).

    python benchmarks/django/bench.py [--rounds 7] [--workers 1] [--no-access-log]

Renders templates/django with its default answers and runs it under production settings
beside a bare `django-admin startproject` app that has one view; both are served at once
by the project's own gunicorn.conf.py with the same worker count, and measured in turn
(the order swapped each round). Prints the medians over the rounds of:

- GET /healthz, generated against bare (target: at least 0.8x), in requests per second
  and in requests per second of the workers' CPU time: on a machine shared with other
  work, wall-clock rates swing with its load, CPU time much less;
- GET /api/notes/ with a token (a page of 20 notes), for scale;
- resident memory per gunicorn worker after the load, generated against bare (target: at
  most 1.5x).

Both run one gunicorn worker (with its threads) unless --workers says otherwise: with
several, the way wrk's keep-alive connections happen to spread over the workers moved
the rate by up to 2x from one measurement to the next.

Needs wrk (Debian: apt-get install wrk) and Linux (/proc). The project's dependencies are
installed once, in the environment the tests share. Worker recycling (max_requests) is
turned off for both servers, so that the numbers measure serving, not worker restarts;
the access log stays on, as gunicorn.conf.py ships it (--no-access-log turns it off for
both, which leaves only the applications' own cost to compare).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers (generated) on the path.
from load import Load, cpu_seconds, gunicorn, require, worker_memory, wrk

from generated import ProjectEnv, assert_ok, project_env, render, requirements

BARE_VIEW = """
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns.append(path("healthz", healthz))
"""
# Sent to both servers: the generated project redirects plain HTTP to HTTPS otherwise.
HEADERS = {"X-Forwarded-Proto": "https"}
NOTES_ON_THE_PAGE = 20


@dataclass
class Server:
    name: str
    module: str
    cwd: Path
    environment: dict[str, str]


def prepare_generated(env: ProjectEnv, project: Path, workdir: Path) -> tuple[Server, str]:
    """The project under production settings, with a user, a token and notes."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        # The benchmark's client would otherwise be throttled within a second.
        "API_THROTTLE_USER": "100000000/minute",
    }
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        assert_ok(
            env.run("python", "manage.py", *command, cwd=project, env=environment),
            " ".join(command),
        )
    setup = (
        "from django.contrib.auth import get_user_model\n"
        "from rest_framework.authtoken.models import Token\n"
        "from my_project.notes.models import Note\n"
        "user = get_user_model().objects.create_user('bench')\n"
        f"Note.objects.bulk_create(Note(owner=user, title=f'Note {{i}}') "
        f"for i in range({NOTES_ON_THE_PAGE}))\n"
        "print('token', Token.objects.create(user=user).key)\n"
    )
    result = env.run("python", "manage.py", "shell", "-c", setup, cwd=project, env=environment)
    assert_ok(result, "creating the benchmark's user")
    token = re.search(r"^token (\w+)$", result.stdout, re.M).group(1)
    return Server("generated", "config.wsgi", project, environment), token


def prepare_bare(env: ProjectEnv, workdir: Path) -> Server:
    """`django-admin startproject bare` with one view, and DEBUG off as in production."""
    bare = workdir / "bare"
    bare.mkdir()
    assert_ok(env.run("django-admin", "startproject", "bare", bare, cwd=workdir), "startproject")
    with (bare / "bare" / "settings.py").open("a") as settings:
        settings.write('\nDEBUG = False\nALLOWED_HOSTS = ["127.0.0.1"]\n')
    with (bare / "bare" / "urls.py").open("a") as urls:
        urls.write(BARE_VIEW)
    return Server("bare", "bare.wsgi", bare, {"DJANGO_SETTINGS_MODULE": "bare.settings"})


def serving(env: ProjectEnv, server: Server, options: tuple[str, ...], workdir: Path):
    """The server under gunicorn with the given options: yields its URL and master's pid."""
    return gunicorn(
        env, server.module, *options,
        cwd=server.cwd, environment=server.environment, log=workdir / f"{server.name}.log",
    )  # fmt: skip


@dataclass
class Measurements:
    """Per round: requests per second of wall time, and per second of the workers' CPU."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, load: Load, cpu_used: float) -> None:
        self.wall.append(load.requests_per_second)
        self.cpu.append(load.requests / cpu_used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes")
    parser.add_argument("--no-access-log", action="store_true", help="for both servers")
    args = parser.parse_args()
    require("wrk")

    workdir = Path(tempfile.mkdtemp(prefix="scaffold-django-bench-"))
    try:
        project = render("django", {}, workdir / "project")
        # The environment the tests share for this set of requirements (built once).
        env = project_env(requirements(project))
        generated, token = prepare_generated(env, project, workdir)
        bare = prepare_bare(env, workdir)
        same_settings = {
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_CMD_ARGS": "--max-requests 0"
            + (" --access-logfile /dev/null" if args.no_access_log else ""),
        }
        for server in (generated, bare):
            server.environment.update(same_settings)
        options = ("--config", str(generated.cwd / "gunicorn.conf.py"))
        auth = {**HEADERS, "Authorization": f"Token {token}"}
        results = {"bare": Measurements(), "generated": Measurements(), "api": Measurements()}

        with (
            serving(env, bare, options, workdir) as (bare_url, bare_pid),
            serving(env, generated, options, workdir) as (generated_url, generated_pid),
        ):
            targets = {
                "bare": (f"{bare_url}/healthz", HEADERS, bare_pid),
                "generated": (f"{generated_url}/healthz", HEADERS, generated_pid),
                "api": (f"{generated_url}/api/notes/", auth, generated_pid),
            }
            for url, headers, _ in targets.values():
                wrk(url, 2, args.connections, headers)  # warm-up
            # Both servers stay up and are measured in turn, the order swapped each round,
            # so that a change in machine load hits both.
            for round_number in range(args.rounds):
                order = ["bare", "generated", "api"]
                for name in order if round_number % 2 == 0 else order[::-1]:
                    url, headers, pid = targets[name]
                    cpu_before = cpu_seconds(pid)
                    load = wrk(url, args.duration, args.connections, headers)
                    results[name].add(load, cpu_seconds(pid) - cpu_before)
                bare_round, generated_round = results["bare"], results["generated"]
                print(
                    f"round {round_number + 1}/{args.rounds}: /healthz generated to bare "
                    f"{generated_round.wall[-1] / bare_round.wall[-1]:.2f}x by wall time, "
                    f"{generated_round.cpu[-1] / bare_round.cpu[-1]:.2f}x by CPU time",
                    file=sys.stderr,
                )
            memory = {
                "bare": statistics.mean(m.rss_mib for m in worker_memory(bare_pid)),
                "generated": statistics.mean(m.rss_mib for m in worker_memory(generated_pid)),
            }

        def median(name: str, kind: str) -> float:
            return statistics.median(getattr(results[name], kind))

        print(f"gunicorn: {args.workers} workers x {os.environ.get('GUNICORN_THREADS', 4)} "
              f"threads (gthread), no worker recycling (--max-requests 0), access log "
              f"{'off' if args.no_access_log else 'on'}; wrk: "
              f"{args.connections} connections, {args.duration} s per measurement; medians "
              f"of {args.rounds} rounds")  # fmt: skip
        print("                                    req/s   req per worker CPU-second")
        for name, label in [
            ("bare", "GET /healthz, bare startproject app"),
            ("generated", "GET /healthz, generated project"),
            ("api", f"GET /api/notes/ ({NOTES_ON_THE_PAGE} notes, token)"),
        ]:
            print(f"{label:<36}{median(name, 'wall'):6.0f}   {median(name, 'cpu'):6.0f}")
        by_wall = median("generated", "wall") / median("bare", "wall")
        by_cpu = median("generated", "cpu") / median("bare", "cpu")
        print(f"  /healthz ratio, generated to bare: {by_wall:.2f}x by wall time, "
              f"{by_cpu:.2f}x by CPU time (target >= 0.80x)")  # fmt: skip
        print(f"RSS per worker, bare startproject app: {memory['bare']:6.1f} MiB")
        print(f"RSS per worker, generated project:     {memory['generated']:6.1f} MiB")
        print(f"  ratio: {memory['generated'] / memory['bare']:.2f}x (target <= 1.50x)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
