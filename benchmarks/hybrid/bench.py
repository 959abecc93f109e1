"""A worker endpoint through the gateway against the same worker called directly (not a test).

    python benchmarks/hybrid/bench.py [--duration 10] [--rounds 3] [--connections 16]
                                      [--cache-seconds 5] [--project DIR]

Renders templates/hybrid with its default answers (or takes --project, a generated
project) and runs the production stack on 127.0.0.1: the web app and the worker under
gunicorn with production settings (the project's gunicorn.conf.py; SQLite for the web
app's sessions and users), and the gateway's nginx (gateway/run.py). `wrk` (Debian:
apt-get install wrk) then loads GET /api/<worker>/whoami, in each round and in turn:

- direct: the worker's own port, with a valid token in X-Auth-Token, as the gateway
  sends it;
- gateway: through nginx with a logged-in user's session cookie: every request makes
  the auth subrequest to the web app, which checks the session and signs a new token;
- gateway, auth cache on: the same, with the gateway reusing the web app's answer for
  --cache-seconds (GATEWAY_AUTH_CACHE_SECONDS), restarted with it.

Each is measured twice: one request at a time for the latency (p50, p99: what a
request costs, without queueing), then with --connections at once for the throughput.
Printed: the median over the rounds of each, the p50 overhead over direct in
milliseconds, and the throughput as a ratio to direct. Targets, auth cache off: p50
overhead under 3 ms, throughput at least 0.5x direct.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers (generated) on the path.
from load import Load, gunicorn, require, wrk

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

USERNAME, PASSWORD = "bench", "a long benchmark password"


def measure(url: str, headers: Mapping[str, str], duration: int, connections: int) -> Load:
    """Latency one request at a time (what a request costs), then throughput under load."""
    one_at_a_time = wrk(url, duration, 1, headers)
    loaded = wrk(url, duration, connections, headers)
    return Load(
        loaded.requests, loaded.requests_per_second, one_at_a_time.p50_ms, one_at_a_time.p99_ms
    )


def run(env: ProjectEnv, *args: str, cwd: Path, environment: Mapping[str, str]) -> str:
    result = env.run(*args, cwd=cwd, env=environment)
    assert_ok(result, " ".join(args[:3]))
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cache-seconds", type=int, default=5, help="the auth cache's lifetime")
    parser.add_argument(
        "--project", type=Path, help="a generated hybrid project (default: render one)"
    )
    args = parser.parse_args()
    require("wrk", "nginx")

    work = Path(tempfile.mkdtemp(prefix="scaffold-hybrid-bench-"))
    try:
        project = args.project.resolve() if args.project else render("hybrid", {}, work / "project")
        env = project_env(project_requirements(project))  # the tests' environment, built once
        service = sorted(path.name for path in (project / "services").iterdir())[0]
        credentials = json.loads(
            run(env, "python", "-c", CREDENTIALS, service, cwd=work, environment={})
        )
        web, worker = project / "web", project / "services" / service
        production = {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "JWT_PRIVATE_KEY": credentials["private_key"],
            # No TLS in front on this machine.
            "SECURE_SSL_REDIRECT": "false",
            "APP_ENV": "production",
            "JWT_PUBLIC_KEY": credentials["public_key"],
            # The apps' code without installing it, as in the tests.
            "PYTHONPATH": os.pathsep.join([str(web), str(worker / "src")]),
        }
        run(env, "python", "manage.py", "migrate", "--noinput", cwd=web, environment=production)
        shell = ["python", "manage.py", "shell", "--verbosity", "0", "-c", LOG_IN]
        session = run(env, *shell, cwd=web, environment=production).splitlines()[-1]
        token = credentials["token"]

        options = ("--config", "gunicorn.conf.py", "--workers", "2")
        path = f"/api/{service}/whoami"
        results: dict[str, list[Load]] = {"direct": [], "gateway": [], "gateway, cached": []}
        with (
            gunicorn(
                env, "config.wsgi", *options,
                cwd=web, environment=production, log=work / "web.log",
            ) as (web_url, _),
            gunicorn(
                env, f"{service}:create_app()", *options,
                cwd=worker, environment=production, log=work / "worker.log",
            ) as (worker_url, _),
        ):  # fmt: skip
            gateway_port = free_port()
            gateway_env = {
                **production,
                "PORT": str(gateway_port),
                "WEB_PORT": web_url.rsplit(":", 1)[1],
                f"{service.upper()}_PORT": worker_url.rsplit(":", 1)[1],
                "GATEWAY_RUN_DIR": str(work / "gateway"),
            }
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            for _ in range(args.rounds):
                results["direct"].append(
                    measure(
                        f"{worker_url}{path}", {"X-Auth-Token": token}, args.duration,
                        args.connections,
                    )
                )  # fmt: skip
                for name, cache in (("gateway", 0), ("gateway, cached", args.cache_seconds)):
                    log = work / "gateway.log"
                    nginx = env.popen(
                        "python", project / "gateway" / "run.py", cwd=project, log=log,
                        env={**gateway_env, "GATEWAY_AUTH_CACHE_SECONDS": str(cache)},
                    )  # fmt: skip
                    with running(nginx, log):
                        wait_for_http(f"{gateway_url}/healthz", nginx, until_ok=True)
                        cookie = {"Cookie": f"sessionid={session}"}
                        results[name].append(
                            measure(f"{gateway_url}{path}", cookie, args.duration, args.connections)
                        )

        report(path, results, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(path: str, results: Mapping[str, list[Load]], args: argparse.Namespace) -> None:
    print(
        f"GET {path}; gunicorn: 2 workers (gthread, 4 threads) for the web app and for the "
        f"worker; nginx: {os.cpu_count()} workers. wrk, {args.duration} s per run: latency "
        f"with 1 connection, throughput with {args.connections} (2 threads); median of "
        f"{args.rounds} rounds; auth cache: {args.cache_seconds} s"
    )
    direct = summary(results["direct"])
    print(f"{'':<18}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'p50 overhead':>14}{'req/s ratio':>13}")
    for name, measures in results.items():
        m = summary(measures)
        overhead = m.p50_ms - direct.p50_ms
        ratio = m.requests_per_second / direct.requests_per_second
        print(
            f"{name:<18}{m.requests_per_second:>8.0f}{m.p50_ms:>8.2f}{m.p99_ms:>8.2f}"
            f"{overhead:>11.2f} ms{ratio:>12.2f}x"
        )
    gateway = summary(results["gateway"])
    overhead_met = gateway.p50_ms - direct.p50_ms < 3
    ratio_met = gateway.requests_per_second / direct.requests_per_second >= 0.5
    print(
        f"targets, auth cache off: p50 overhead under 3 ms: {'met' if overhead_met else 'MISSED'}; "
        f"throughput at least 0.5x direct: {'met' if ratio_met else 'MISSED'}"
    )


def summary(measures: list[Load]) -> Load:
    return Load(
        statistics.median(m.requests for m in measures),
        statistics.median(m.requests_per_second for m in measures),
        statistics.median(m.p50_ms for m in measures),
        statistics.median(m.p99_ms for m in measures),
    )


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
token = jwt.encode(claims, private_key, algorithm="EdDSA")
print(json.dumps({"private_key": private_key, "public_key": public_key, "token": token}))
"""
# Run in web/ with its production settings: a logged-in user's session.
LOG_IN = f"""
from django.contrib.auth import get_user_model
from django.test import Client
user = get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""

if __name__ == "__main__":
    main()
