"""Each template's production image: size, build time, cold start, memory (not a test).

    python benchmarks/images/bench.py [--rounds 3] [--templates flask,django,hybrid]

Builds the generated projects' Dockerfiles (default answers; the hybrid's web app and
one worker service) with buildah on the stand-in base image of the tests
(tests/images.py: Debian bookworm's Python 3.11 under the name python:3.11-slim), then
for each image:
- size: all its layers, and what it adds to the base image;
- build time: `buildah bud` from an empty cache (the base image present);
- cold start: from starting the image's own command to the first 200 from /healthz,
  the median of --rounds starts;
- memory per worker: RSS and USS of each gunicorn worker (two workers) once it has
  answered, from /proc.
The baseline, measured in the same run: the base image itself, starting
`python -m http.server` to its first 200. Printed as ratios to it. The figures are a
stand-in's: the official python:3.11-slim is smaller than Debian's Python (about 130 MB
against 250 MB), so sizes above the base are the comparable part.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# load, first: it also puts the tests' helpers on the path.
from load import Memory, worker_memory

import images
from generated import free_port, render, running, wait_for_http

TEMPLATES = ("flask", "django", "hybrid")


def session_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])


def is_gunicorn(pid: int | str) -> bool:
    """Whether the process runs gunicorn (as `gunicorn ...` or `python .../gunicorn ...`)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return any(Path(arg.decode(errors="replace")).name == "gunicorn" for arg in argv[:2])


def gunicorn_master(session: int) -> int | None:
    """The gunicorn master started in this session (a grandchild of `buildah run`)."""
    for pid_dir in Path("/proc").glob("[0-9]*"):
        try:
            fields = (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()
            ours = int(fields[3]) == session and is_gunicorn(pid_dir.name)
            if ours and not is_gunicorn(fields[1]):
                return int(pid_dir.name)
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return None


def cold_start(tag: str, command: list[str], environment: dict[str, str], port: int) -> float:
    """Seconds from starting `command` in a new container to the first 200 of /healthz."""
    with tempfile.TemporaryDirectory() as scratch, images.container(tag) as box:
        log = Path(scratch) / "log"
        started = time.monotonic()
        server = box.start(command, log, env=environment)
        with running(server, log):
            wait_for_http(f"http://127.0.0.1:{port}/healthz", server, timeout=120, until_ok=True)
            return time.monotonic() - started


def measure(name: str, context: Path, environment: dict[str, str], rounds: int) -> dict:
    tag = images.new_tag(f"bench-{name}")
    try:
        seconds = images.build(context, tag)
        command = images.inspect(tag)["Cmd"]
        starts = []
        for _ in range(rounds):
            port = free_port()
            loopback = {
                "PORT": str(port),
                "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
                "METRICS_PORT": str(free_port()),
            }
            starts.append(cold_start(tag, command, {**environment, **loopback}, port))
        port = free_port()
        env = {**environment, "PORT": str(port), "WEB_CONCURRENCY": "2"}
        env["METRICS_PORT"] = str(free_port())
        env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as scratch, images.container(tag) as box:
            log = Path(scratch) / "log"
            server = box.start(command, log, env=env)
            with running(server, log):
                wait_for_http(f"http://127.0.0.1:{port}/healthz", server, until_ok=True)
                master = gunicorn_master(session_of(server.pid))
                memory = worker_memory(master) if master else []
        return {
            "size": images.size(tag),
            "build": seconds,
            "start": statistics.median(starts),
            "memory": memory,
        }
    finally:
        images.remove(tag)


def baseline(rounds: int) -> tuple[int, float]:
    """The base image: its size, and `python -m http.server`'s cold start in it."""
    starts = []
    for _ in range(rounds):
        port = free_port()
        server = ["python", "-m", "http.server", "--bind", "127.0.0.1", str(port)]
        with tempfile.TemporaryDirectory() as scratch, images.container(images.PYTHON_BASE) as box:
            log = Path(scratch) / "log"
            started = time.monotonic()
            process = box.start(server, log)
            with running(process, log):
                wait_for_http(f"http://127.0.0.1:{port}/", process, until_ok=True)
                starts.append(time.monotonic() - started)
    return images.size(images.PYTHON_BASE), statistics.median(starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold starts per image")
    parser.add_argument("--templates", default=",".join(TEMPLATES))
    args = parser.parse_args()
    if reason := images.unavailable():
        sys.exit(f"cannot build images here: {reason}")
    images.ensure_standins()
    base_size, base_start = baseline(args.rounds)
    print(f"baseline ({images.STANDIN}): {base_size / 1e6:.0f} MB, cold start {base_start:.2f} s")

    # What production requires of every app: a secret key, and a mail server for the
    # accounts (read at start, never reached: no mail is sent).
    secret = {"SECRET_KEY": "bench-" + "x" * 60, "EMAIL_URL": "smtp://127.0.0.1:9"}
    work = Path(tempfile.mkdtemp(prefix="scaffold-images-bench-"))
    try:
        subjects: list[tuple[str, Path, dict[str, str]]] = []
        chosen = args.templates.split(",")
        if "flask" in chosen:
            project = render("flask", {}, work / "flask")
            flask = {**secret, "TRUSTED_HOSTS": "127.0.0.1", "DATABASE_URL": "sqlite:////tmp/db"}
            subjects.append(("flask", project, flask))
        if "django" in chosen:
            project = render("django", {}, work / "django")
            django = {**secret, "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": "sqlite:////tmp/db"}
            subjects.append(("django", project, django))
        if "hybrid" in chosen:
            project = render("hybrid", {}, work / "hybrid")
            private = subprocess.run(
                ["openssl", "genpkey", "-algorithm", "ed25519"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            public = subprocess.run(
                ["openssl", "pkey", "-pubout"], input=private,
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            web = {**secret, "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": "sqlite:////tmp/db",
                   "JWT_PRIVATE_KEY": private}  # fmt: skip
            subjects.append(("hybrid web", project / "web", web))
            subjects.append(
                ("hybrid worker", project / "services" / "reports", {"JWT_PUBLIC_KEY": public})
            )
        print(
            f"{'image':<14} {'size MB':>8} {'above base':>10} {'build s':>8} "
            f"{'start s':>8} {'x base':>7} {'worker RSS/USS MiB':>20}"
        )
        for name, context, environment in subjects:
            found = measure(name.replace(" ", "-"), context, environment, args.rounds)
            memory: list[Memory] = found["memory"]
            per_worker = (
                f"{statistics.mean(m.rss_mib for m in memory):.0f} / "
                f"{statistics.mean(m.uss_mib for m in memory):.0f}"
                if memory
                else "n/a"
            )
            above = (found["size"] - base_size) / 1e6
            print(
                f"{name:<14} {found['size'] / 1e6:>8.0f} {above:>10.0f} "
                f"{found['build']:>8.1f} {found['start']:>8.2f} "
                f"{found['start'] / base_start:>6.1f}x {per_worker:>20}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
