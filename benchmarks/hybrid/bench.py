"""A worker endpoint through the gateway against the same worker called directly (not a test).

    python benchmarks/hybrid/bench.py [--duration 10] [--rounds 3] [--connections 16]
                                      [--cache-seconds 5] [--project DIR]

Renders templates/hybrid with its default answers (or takes --project, a generated
project), installs it into a virtualenv (kept in ~/.cache/scaffold-bench/hybrid), and
runs the production stack on 127.0.0.1: the web app and the worker under gunicorn with
production settings (the project's gunicorn.conf.py; SQLite for the web app's sessions
and users), and the gateway's nginx (gateway/run.py). `wrk` (Debian: apt-get install
wrk) then loads GET /api/<worker>/whoami, in each round and in turn:

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
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = Path.home() / ".cache" / "scaffold-bench" / "hybrid"
USERNAME, PASSWORD = "bench", "a long benchmark password"


@dataclass(frozen=True)
class Measure:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def render(dest: Path) -> Path:
    import copier

    copier.run_copy(
        str(REPO), str(dest), data={"framework": "hybrid"}, defaults=True, vcs_ref="HEAD",
        quiet=True,
    )  # fmt: skip
    return dest


def install(project: Path) -> Path:
    """A virtualenv with the project's apps installed in place (editable)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.create(VENV, with_pip=True)
    apps = ["-e", str(project), "-e", str(project / "web")]
    for service in sorted((project / "services").iterdir()):
        apps += ["-e", str(service)]
    subprocess.run([python, "-m", "pip", "install", "-q", *apps], check=True)
    return VENV / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(bin_dir: Path, *args: str, cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        [bin_dir / args[0], *args[1:]], cwd=cwd, env={**os.environ, **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def server(
    command: list[str | Path], cwd: Path, env: Mapping[str, str], url: str
) -> Iterator[None]:
    """A server process, until it answers `url` with 200; stopped on exit."""
    process = subprocess.Popen(
        [str(part) for part in command], cwd=cwd, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError, urllib.error.HTTPError):
                if urllib.request.urlopen(url, timeout=2).status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{command[0]} did not answer {url}")
            time.sleep(0.1)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def measure(url: str, headers: Mapping[str, str], duration: int, connections: int) -> Measure:
    """Latency one request at a time (what a request costs), then throughput under load."""
    one_at_a_time = wrk(url, headers, duration, connections=1)
    loaded = wrk(url, headers, duration, connections)

    def latency_ms(percentile: str) -> float:
        pattern = rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)$"
        value, unit = re.search(pattern, one_at_a_time, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", loaded).group(1))
    return Measure(rps, latency_ms("50"), latency_ms("99"))


def wrk(url: str, headers: Mapping[str, str], duration: int, connections: int) -> str:
    options = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    threads = min(2, connections)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *options, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output or "Socket errors" in output:
        sys.exit(f"{url} answered with errors:\n{output}")
    return output


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
    for program in ("wrk", "nginx"):
        if shutil.which(program, path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
            sys.exit(f"{program} is not installed (Debian: apt-get install {program})")

    work = Path(tempfile.mkdtemp(prefix="hybrid-bench-"))
    try:
        project = args.project.resolve() if args.project else render(work / "project")
        bin_dir = install(project)
        python = bin_dir / "python"
        service = sorted(path.name for path in (project / "services").iterdir())[0]
        credentials = json.loads(run(bin_dir, "python", "-c", CREDENTIALS, cwd=work, env={}))
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
        }
        run(
            bin_dir,
            "python",
            "manage.py",
            "migrate",
            "--noinput",
            cwd=project / "web",
            env=production,
        )
        session = run(
            bin_dir, "python", "manage.py", "shell", "--verbosity", "0", "-c", LOG_IN,
            cwd=project / "web", env=production,
        ).strip()  # fmt: skip
        token = credentials["token"]

        ports = {"gateway": free_port(), "web": free_port(), "worker": free_port()}
        gunicorn = [bin_dir / "gunicorn", "--config", "gunicorn.conf.py", "--workers", "2"]
        path = f"/api/{service}/whoami"
        direct = f"http://127.0.0.1:{ports['worker']}{path}"
        through = f"http://127.0.0.1:{ports['gateway']}{path}"
        gateway_env = {
            **production,
            "PORT": str(ports["gateway"]),
            "WEB_PORT": str(ports["web"]),
            f"{service.upper()}_PORT": str(ports["worker"]),
            "GATEWAY_RUN_DIR": str(work / "gateway"),
        }
        results: dict[str, list[Measure]] = {"direct": [], "gateway": [], "gateway, cached": []}
        web = [*gunicorn, "--bind", f"127.0.0.1:{ports['web']}", "config.wsgi"]
        worker = [*gunicorn, "--bind", f"127.0.0.1:{ports['worker']}", f"{service}:create_app()"]
        health = "http://127.0.0.1:{}/healthz"
        with (
            server(web, project / "web", production, health.format(ports["web"])),
            server(
                worker, project / "services" / service, production, health.format(ports["worker"])
            ),
        ):
            for _ in range(args.rounds):
                results["direct"].append(
                    measure(direct, {"X-Auth-Token": token}, args.duration, args.connections)
                )
                for name, cache in (("gateway", 0), ("gateway, cached", args.cache_seconds)):
                    environment = {**gateway_env, "GATEWAY_AUTH_CACHE_SECONDS": str(cache)}
                    command = [python, project / "gateway" / "run.py"]
                    with server(command, project, environment, health.format(ports["gateway"])):
                        cookie = {"Cookie": f"sessionid={session}"}
                        results[name].append(
                            measure(through, cookie, args.duration, args.connections)
                        )

        report(path, results, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(path: str, results: Mapping[str, list[Measure]], args: argparse.Namespace) -> None:
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


def summary(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.requests_per_second for m in measures),
        statistics.median(m.p50_ms for m in measures),
        statistics.median(m.p99_ms for m in measures),
    )


# Run with the project's Python: a key pair, and a token as the web app issues them (valid
# for an hour: the runs together outlast its usual 60 s).
CREDENTIALS = """
import json, time, jwt
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
key = Ed25519PrivateKey.generate()
private_key = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode()
public_key = key.public_key().public_bytes(
    s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo
).decode()
now = int(time.time())
claims = {"sub": "1", "aud": "workers", "iat": now, "exp": now + 3600}
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
