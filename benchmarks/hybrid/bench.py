"""A worker endpoint through the gateway against the same worker called directly (not a test).

    python benchmarks/hybrid/bench.py [--duration 10] [--rounds 3] [--connections 16]
                                      [--sessions 2000] [--cache-seconds 1]
                                      [--web-workers 2] [--worker-workers 2]
                                      [--max-requests N] [--project DIR]

Renders templates/hybrid with its default answers (or takes --project, a generated
project) and runs the production stack on 127.0.0.1: the web app and the worker under
gunicorn with production settings (the project's gunicorn.conf.py; SQLite holds the web
app's users and sessions) and the gateway's nginx (gateway/run.py) twice, with the auth
cache off and on (its files in /dev/shm: in memory, as production's /tmp is).
--sessions users are logged in, a session each. `wrk` (Debian: apt-get install wrk)
then loads GET /api/<worker>/whoami, in each round and in turn:

- direct: the worker's own port, with a valid token in X-Auth-Token, as the gateway
  passes it on;
- verify alone: the web app's /auth/verify/, asked as the gateway asks it, the sessions
  in turn;
- gateway: through nginx, each request with the next session's cookie: every request
  makes the auth subrequest to the web app;
- gateway, 1 session: the same, every request with one session's cookie;
- gateway, cached: the auth cache on (--cache-seconds), with 1 session and with all.

Each is measured twice: one request at a time for the latency (p50, p99: what a request
costs, without queueing), then with --connections at once for the throughput and the
servers' CPU time per request (the gunicorn processes, and nginx's behind the gateway,
read from /proc). Each target is measured right after direct, and compared with that
measure of direct: the machine's other load changes less between the two than over a
round. Printed: the median over the rounds of each measure, and of each pair's p50
overhead over direct (milliseconds) and throughput and CPU per request (ratios to
direct); the verify path's share of a request through the gateway (of its p50 latency
and of its CPU time); and a revocation check: a logout and a deactivated account must be
refused on the very next request with the auth cache off; with it on, how long they
took.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers (generated) on the path.
from load import gunicorn, gunicorn_config, recycling, require, tree_cpu_seconds, wrk

from generated import (
    ProjectEnv,
    assert_ok,
    free_port,
    project_env,
    project_requirements,
    render,
    running,
    wait_for_http,
)

# Each request with the next of the Cookie headers in COOKIES (a file, one per line),
# each of wrk's threads starting at its own place in the list.
ROTATING_COOKIES = """
local cookies = {}
local next_cookie = 0
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("first", threads * 1009)
end

function init(args)
    for line in io.lines(COOKIES) do cookies[#cookies + 1] = line end
    next_cookie = first % #cookies
end

function request()
    next_cookie = next_cookie % #cookies + 1
    wrk.headers["Cookie"] = cookies[next_cookie]
    return wrk.format()
end
"""
# Where the gateway keeps its auth cache's files: in memory, as in production, where its
# /tmp is a tmpfs (docker-compose) or an emptyDir in memory (Kubernetes).
MEMORY_DIR = Path("/dev/shm")
ORDER = (
    "direct",
    "verify alone",
    "gateway",
    "gateway, 1 session",
    "gateway, cached, 1 session",
    "gateway, cached",
)


@dataclass(frozen=True)
class Target:
    url: str
    headers: Mapping[str, str]
    # The processes a request costs CPU time in, by name: their pids (and descendants').
    processes: Mapping[str, int]
    script: Path | None = None  # a wrk script that sets each request's cookie


@dataclass(frozen=True)
class Measure:
    """One target in one round: latency one request at a time; throughput and CPU time
    per request (by process) under load."""

    p50_ms: float
    p99_ms: float
    requests_per_second: float
    cpu_ms: Mapping[str, float]

    @property
    def cpu_ms_per_request(self) -> float:
        return sum(self.cpu_ms.values())


def measure(target: Target, duration: int, connections: int) -> Measure:
    one_at_a_time = wrk(target.url, duration, 1, target.headers, target.script)
    before = {name: tree_cpu_seconds(pid) for name, pid in target.processes.items()}
    loaded = wrk(target.url, duration, connections, target.headers, target.script)
    used = {name: tree_cpu_seconds(pid) - before[name] for name, pid in target.processes.items()}
    return Measure(
        one_at_a_time.p50_ms,
        one_at_a_time.p99_ms,
        loaded.requests_per_second,
        {name: seconds * 1000 / loaded.requests for name, seconds in used.items()},
    )


def run(env: ProjectEnv, *args: str, cwd: Path, environment: Mapping[str, str]) -> str:
    result = env.run(*args, cwd=cwd, env=environment)
    assert_ok(result, " ".join(args[:3]))
    return result.stdout


@dataclass(frozen=True)
class Stack:
    """The running servers, and what the benchmark needs to reach them."""

    service: str
    web_url: str
    worker_url: str
    gateway_ports: Mapping[str, int]  # "off" and "on", by the auth cache
    pids: Mapping[str, int]  # web, worker, "gateway off", "gateway on"
    database: Path
    token: str
    sessions: list[str]
    # Sessions kept apart for the revocation check, by what revokes them and the cache.
    spare: Mapping[str, str]


@contextmanager
def running_stack(
    project: Path, env: ProjectEnv, work: Path, args: argparse.Namespace
) -> Iterator[Stack]:
    service = sorted(path.name for path in (project / "services").iterdir())[0]
    credentials = json.loads(
        run(env, "python", "-c", CREDENTIALS, service, cwd=work, environment={})
    )
    web, worker = project / "web", project / "services" / service
    database = work / "db.sqlite3"
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{database}",
        "JWT_PRIVATE_KEY": credentials["private_key"],
        # No TLS in front on this machine.
        "SECURE_SSL_REDIRECT": "false",
        # Production refuses to start without a mail server while sign-up is open.
        "EMAIL_URL": "dummymail://",
        "APP_ENV": "production",
        "JWT_PUBLIC_KEY": credentials["public_key"],
        # The apps' code without installing it, as in the tests.
        "PYTHONPATH": os.pathsep.join([str(web), str(worker / "src")]),
    }
    if args.max_requests is not None:
        production["GUNICORN_CMD_ARGS"] = f"--max-requests {args.max_requests}"
    for command in (["migrate"], ["collectstatic"]):  # pages need the static files' manifest
        run(env, "python", "manage.py", *command, "--noinput", cwd=web, environment=production)
    shell = ["python", "manage.py", "shell", "--verbosity", "0", "-c", LOG_IN]
    sessions = {**production, "BENCH_SESSIONS": str(args.sessions)}
    logged_in = json.loads(run(env, *shell, cwd=web, environment=sessions).splitlines()[-1])
    with ExitStack() as servers:
        web_url, web_pid = servers.enter_context(
            gunicorn(
                env, "config.wsgi", "--config", "gunicorn.conf.py",
                "--workers", str(args.web_workers),
                cwd=web, environment=production, log=work / "web.log",
            )
        )  # fmt: skip
        worker_url, worker_pid = servers.enter_context(
            gunicorn(
                env, f"{service}:create_app()", "--config", "gunicorn.conf.py",
                "--workers", str(args.worker_workers),
                cwd=worker, environment=production, log=work / "worker.log",
            )
        )  # fmt: skip
        ports, pids = {}, {"web": web_pid, "worker": worker_pid}
        for cache, seconds in (("off", 0), ("on", args.cache_seconds)):
            ports[cache] = free_port()
            run_dir = Path(tempfile.mkdtemp(prefix=f"scaffold-gateway-{cache}-", dir=MEMORY_DIR))
            servers.callback(shutil.rmtree, run_dir, ignore_errors=True)
            log = work / f"gateway-{cache}.log"
            nginx = env.popen(
                "python", project / "gateway" / "run.py", cwd=project, log=log,
                env={
                    **production,
                    "PORT": str(ports[cache]),
                    "WEB_PORT": web_url.rsplit(":", 1)[1],
                    f"{service.upper()}_PORT": worker_url.rsplit(":", 1)[1],
                    "GATEWAY_RUN_DIR": str(run_dir),
                    "GATEWAY_AUTH_CACHE_SECONDS": str(seconds),
                },
            )  # fmt: skip
            servers.enter_context(running(nginx, log))
            wait_for_http(f"http://127.0.0.1:{ports[cache]}/healthz", nginx, until_ok=True)
            pids[f"gateway {cache}"] = nginx.pid
        yield Stack(
            service, web_url, worker_url, ports, pids, database, credentials["token"],
            logged_in["sessions"], logged_in["spare"],
        )  # fmt: skip


def targets(stack: Stack, work: Path) -> dict[str, Target]:
    cookies = work / "cookies.txt"
    cookies.write_text("".join(f"sessionid={key}\n" for key in stack.sessions))
    script = work / "cookies.lua"
    script.write_text(f"local COOKIES = {json.dumps(str(cookies))}\n{ROTATING_COOKIES}")
    path = f"/api/{stack.service}/whoami"
    one_session = {"Cookie": f"sessionid={stack.sessions[0]}"}
    web, worker = stack.pids["web"], stack.pids["worker"]

    def gateway(cache: str, headers: Mapping[str, str], script: Path | None = None) -> Target:
        url = f"http://127.0.0.1:{stack.gateway_ports[cache]}{path}"
        processes = {"nginx": stack.pids[f"gateway {cache}"], "web": web, "worker": worker}
        return Target(url, headers, processes, script)

    # The headers nginx sends with its subrequest (gateway/routes.conf).
    subrequest = {
        "X-Original-Method": "GET",
        "X-Original-URI": path,
        "X-Worker-Service": stack.service,
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "http",
    }
    return {
        "direct": Target(
            f"{stack.worker_url}{path}", {"X-Auth-Token": stack.token}, {"worker": worker}
        ),
        "verify alone": Target(f"{stack.web_url}/auth/verify/", subrequest, {"web": web}, script),
        "gateway": gateway("off", {}, script),
        "gateway, 1 session": gateway("off", one_session),
        "gateway, cached, 1 session": gateway("on", one_session),
        "gateway, cached": gateway("on", {}, script),
    }


# --- Revocation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


def ask(port: int, method: str, path: str, headers: Mapping[str, str], body: str = "") -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body.encode() or None, headers=dict(headers))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def log_out(port: int, session: str) -> None:
    """The logout form, as a browser posts it through the gateway."""
    page = ask(port, "GET", "/", {"Cookie": f"sessionid={session}"})
    csrf = SimpleCookie()
    for header in page.headers.get_all("Set-Cookie") or []:
        csrf.load(header)
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    answer = ask(
        port, "POST", "/accounts/logout/",
        {
            "Cookie": f"sessionid={session}; csrftoken={csrf['csrftoken'].value}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{port}",
        },
        urlencode({"csrfmiddlewaretoken": form_token}),
    )  # fmt: skip
    if answer.status != 302:
        sys.exit(f"logging out answered {answer.status}:\n{answer.body[:2000]}")


def deactivate(database: Path, session: str) -> None:
    """What the admin's "active" box does, for the user of `session`."""
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE users_user SET is_active = 0 "
            "WHERE id = (SELECT user_id FROM bench_spare WHERE session_key = ?)",
            (session,),
        )


@dataclass(frozen=True)
class Revocation:
    allowed: int  # requests let through after the revocation
    seconds: float | None  # until the first refusal (None: none within 30 s)


def revoked(stack: Stack, cache: str, session: str, revoke: Callable[[], None]) -> Revocation:
    """Revoke `session` (just used through the gateway, so cached if the cache is on),
    then request through the gateway every 10 ms until refused."""
    port, path = stack.gateway_ports[cache], f"/api/{stack.service}/whoami"
    cookie = {"Cookie": f"sessionid={session}"}
    if ask(port, "GET", path, cookie).status != 200:
        sys.exit(f"the session kept for the revocation check was refused before ({cache})")
    revoke()
    start, allowed = time.monotonic(), 0
    while time.monotonic() - start < 30:
        if ask(port, "GET", path, cookie).status == 401:
            return Revocation(allowed, time.monotonic() - start)
        allowed += 1
        time.sleep(0.01)
    return Revocation(allowed, None)


def revocation_check(stack: Stack) -> dict[str, Revocation]:
    results = {}
    for cache in ("off", "on"):
        port = stack.gateway_ports[cache]
        logout, deactivation = stack.spare[f"logout {cache}"], stack.spare[f"deactivation {cache}"]
        results[f"logout, cache {cache}"] = revoked(
            stack, cache, logout, partial(log_out, port, logout)
        )
        results[f"deactivation, cache {cache}"] = revoked(
            stack, cache, deactivation, partial(deactivate, stack.database, deactivation)
        )
    return results


# --- Report -----------------------------------------------------------------------------------


def gunicorn_settings(env: ProjectEnv, project: Path, args: argparse.Namespace) -> str:
    settings = gunicorn_config(env, project / "web" / "gunicorn.conf.py")
    return f"gthread, {settings['threads']} threads, {recycling(settings, args.max_requests)}"


@dataclass(frozen=True)
class Comparison:
    """A target against direct: medians over the rounds of each pair's figures."""

    p50_overhead_ms: float
    throughput: float
    cpu: float

    @classmethod
    def of(cls, pairs: list[tuple[Measure, Measure]]) -> Comparison:
        return cls(
            statistics.median(t.p50_ms - d.p50_ms for d, t in pairs),
            statistics.median(t.requests_per_second / d.requests_per_second for d, t in pairs),
            statistics.median(t.cpu_ms_per_request / d.cpu_ms_per_request for d, t in pairs),
        )


def summary(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.p50_ms for m in measures),
        statistics.median(m.p99_ms for m in measures),
        statistics.median(m.requests_per_second for m in measures),
        {name: statistics.median(m.cpu_ms[name] for m in measures) for name in measures[0].cpu_ms},
    )


def report(
    results: Mapping[str, list[Measure]],
    pairs: Mapping[str, list[tuple[Measure, Measure]]],
    revocations: Mapping[str, Revocation],
    args: argparse.Namespace,
    env: ProjectEnv,
    project: Path,
) -> None:
    print(
        f"GET /api/<worker>/whoami; {args.sessions} sessions; "
        f"gunicorn ({gunicorn_settings(env, project, args)}): "
        f"web app {args.web_workers} workers, worker {args.worker_workers}; nginx "
        f"{os.cpu_count()} workers; wrk {args.duration} s per run: latency with 1 connection, "
        f"throughput and CPU with {args.connections}; median of {args.rounds} rounds; auth "
        f"cache {args.cache_seconds} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'':<28}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'CPU ms/req':>11}"
        f"{'p50 overhead':>14}{'req/s ratio':>12}{'CPU ratio':>10}"
    )
    summaries = {name: summary(measures) for name, measures in results.items()}
    compared = {"direct": Comparison(0, 1, 1)}
    compared |= {name: Comparison.of(pairs[name]) for name in ORDER[1:]}
    for name, m in summaries.items():
        c = compared[name]
        print(
            f"{name:<28}{m.requests_per_second:>7.0f}{m.p50_ms:>8.2f}{m.p99_ms:>8.2f}"
            f"{m.cpu_ms_per_request:>11.3f}{c.p50_overhead_ms:>11.2f} ms"
            f"{c.throughput:>11.2f}x{c.cpu:>9.2f}x"
        )
    gateway, verify = summaries["gateway"], summaries["verify alone"]
    print(
        f"verify's share of a request through the gateway ({args.sessions} sessions): "
        f"{verify.p50_ms / gateway.p50_ms:.0%} of its p50 latency (verify alone against the "
        f"gateway), {gateway.cpu_ms['web'] / gateway.cpu_ms_per_request:.0%} of its CPU "
        f"time (the web app's; nginx {gateway.cpu_ms['nginx'] / gateway.cpu_ms_per_request:.0%}, "
        f"the worker {gateway.cpu_ms['worker'] / gateway.cpu_ms_per_request:.0%})"
    )
    for what in ("logout", "deactivation"):
        off, on = revocations[f"{what}, cache off"], revocations[f"{what}, cache on"]
        print(
            f"revocation, {what}: auth cache off: "
            + ("refused on the very next request" if off.allowed == 0 else
               f"{off.allowed} requests let through")
            + f"; auth cache on ({args.cache_seconds} s): refused after "
            + (f"{on.seconds:.2f} s" if on.seconds is not None else "more than 30 s")
        )  # fmt: skip
    through, cached = compared["gateway"], compared["gateway, cached, 1 session"]
    revoked_at_once = all(
        revocations[f"{what}, cache off"].allowed == 0 for what in ("logout", "deactivation")
    )
    checks = {
        "revocation on the next request (cache off)": revoked_at_once,
        "p50 overhead <= 1.5 ms": through.p50_overhead_ms <= 1.5,
        "throughput >= 0.5x": through.throughput >= 0.5,
        "CPU per request <= 2x": through.cpu <= 2,
        "cached (1 session) >= 0.8x": cached.throughput >= 0.8,
        "revocation within 2 s (cache on)": all(
            (r := revocations[f"{what}, cache on"]).seconds is not None and r.seconds <= 2
            for what in ("logout", "deactivation")
        ),
    }
    print(
        "targets: "
        + "; ".join(f"{name}: {'met' if met else 'MISSED'}" for name, met in checks.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=2000, help="users logged in at once")
    parser.add_argument(
        "--cache-seconds", type=int, default=1, help="the auth cache's lifetime (nginx.conf's)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="the web app's processes")
    parser.add_argument("--worker-workers", type=int, default=2, help="the worker's processes")
    parser.add_argument(
        "--max-requests", type=int, help="gunicorn's max_requests (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--project", type=Path, help="a generated hybrid project (default: render one)"
    )
    args = parser.parse_args()
    require("wrk", "nginx")

    work = Path(tempfile.mkdtemp(prefix="scaffold-hybrid-bench-"))
    try:
        project = args.project.resolve() if args.project else render("hybrid", {}, work / "project")
        env = project_env(project_requirements(project))  # the tests' environment, built once
        with running_stack(project, env, work, args) as stack:
            loads = targets(stack, work)
            for target in loads.values():  # warm-up: every session seen by every process
                wrk(target.url, 3, args.connections, target.headers, target.script)
            results: dict[str, list[Measure]] = {name: [] for name in ORDER}
            # Each target's measure with the measure of direct taken just before it.
            pairs: dict[str, list[tuple[Measure, Measure]]] = {name: [] for name in ORDER[1:]}
            for round_number in range(args.rounds):
                for name in ORDER[1:]:
                    direct = measure(loads["direct"], args.duration, args.connections)
                    target = measure(loads[name], args.duration, args.connections)
                    results["direct"].append(direct)
                    results[name].append(target)
                    pairs[name].append((direct, target))
                    print(
                        f"  {name}: {target.requests_per_second:.0f} req/s, "
                        f"{target.cpu_ms_per_request:.3f} ms CPU per request; direct just before: "
                        f"{direct.requests_per_second:.0f}, {direct.cpu_ms_per_request:.3f}",
                        file=sys.stderr,
                    )
                direct, through = pairs["gateway"][-1]
                print(
                    f"round {round_number + 1}/{args.rounds}: gateway "
                    f"+{through.p50_ms - direct.p50_ms:.2f} ms p50, "
                    f"{through.requests_per_second / direct.requests_per_second:.2f}x "
                    f"throughput, {through.cpu_ms_per_request / direct.cpu_ms_per_request:.2f}x "
                    "CPU per request",
                    file=sys.stderr,
                )
            revocations = revocation_check(stack)
        report(results, pairs, revocations, args, env, project)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Run with the project's Python, with the worker service's name as argument: a key pair,
# and a token as the web app issues them for a GET to that service (valid for an hour:
# the runs together outlast its usual 15 s).
CREDENTIALS = """
import json, sys, time, jwt
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
key = Ed25519PrivateKey.generate()
private_key = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode()
public_key = key.public_key().public_bytes(
    s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo
).decode()
now = int(time.time())
claims = {"sub": "1", "aud": sys.argv[1], "htm": "GET", "iat": now, "exp": now + 3600}
claims |= {"groups": [], "staff": False, "amr": ["pwd"]}
token = jwt.encode(claims, private_key, algorithm="EdDSA")
print(json.dumps({"private_key": private_key, "public_key": public_key, "token": token}))
"""
# Run in web/ with its production settings, with the number of sessions in BENCH_SESSIONS:
# that many users, each logged in once (as Django's login() does it), and four more for
# the revocation check (a table, bench_spare, says which session is whose).
LOG_IN = """
import json, os
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client

count = int(os.environ["BENCH_SESSIONS"])
spare = [f"{what} {cache}" for what in ("logout", "deactivation") for cache in ("off", "on")]
User = get_user_model()
password = make_password(None)  # unusable: these users log in here only
with transaction.atomic():
    users = User.objects.bulk_create(
        User(email=f"user{i}@example.com", password=password) for i in range(count + len(spare))
    )
    sessions = []
    for user in User.objects.order_by("pk"):
        client = Client()
        client.force_login(user)
        sessions.append((user.pk, client.cookies["sessionid"].value))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_spare (user_id integer, session_key text)")
        cursor.executemany("INSERT INTO bench_spare VALUES (%s, %s)", sessions[count:])
print(json.dumps({
    "sessions": [key for _, key in sessions[:count]],
    "spare": {name: key for name, (_, key) in zip(spare, sessions[count:])},
}))
"""

if __name__ == "__main__":
    main()
