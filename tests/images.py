"""Build generated projects' Dockerfiles with buildah and run what the images run.

No Docker engine and no registry are reachable here, so the base images are stand-ins
built from Debian packages (see ../shared/notes/containers.md): Debian bookworm's
Python 3.11 tagged as `python:3.11-slim`, and its nginx as `nginx-unprivileged`. A build
on them proves that every COPY path exists, that the locked install works, that the
image's user and command serve the app, and what the project's layers weigh; it does
not prove the official base images' contents. Every result says "stand-in".

The stand-ins are made once per machine: the Debian root filesystem is cached as a
tarball under SCAFFOLD_TEST_ENVS (~/.cache/scaffold-tests/images), and the images stay
in buildah's storage; a file lock lets parallel test workers share them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from filelock import FileLock

from generated import ENVS_DIR

STANDIN = "built on a stand-in base image (Debian bookworm's Python 3.11 and nginx 1.22)"
CACHE = ENVS_DIR / "images"
# The stand-in's Debian packages; the tarball's name carries their hash.
PACKAGES = ("python3", "python3-pip", "python3-venv", "passwd", "nginx", "ca-certificates")
ROOTFS = (
    f"localhost/scaffold-standin-rootfs:{hashlib.sha256(str(PACKAGES).encode()).hexdigest()[:12]}"
)
PYTHON_BASE = "docker.io/library/python:3.11-slim"
NGINX_BASE = "docker.io/nginxinc/nginx-unprivileged:1.28-alpine"
STANDIN_LABEL = "org.scaffold.standin"

PYTHON_STANDIN = f"""FROM {ROOTFS}
LABEL {STANDIN_LABEL}={ROOTFS}
# The official image's python lives in /usr/local/bin, and pip may install system-wide.
RUN rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \\
 && ln -sf /usr/bin/python3 /usr/local/bin/python && ln -sf /usr/bin/pip3 /usr/local/bin/pip
"""
# nginx-unprivileged: user 101, configuration in /etc/nginx, nginx in the foreground.
NGINX_STANDIN = f"""FROM {ROOTFS}
LABEL {STANDIN_LABEL}={ROOTFS}
RUN useradd --system --uid 101 --no-create-home nginx-unprivileged \\
 && rm -rf /etc/nginx/sites-enabled /etc/nginx/conf.d && mkdir -p /etc/nginx/gateway
USER 101
CMD ["nginx", "-g", "daemon off;"]
"""


class BuildahUnavailable(RuntimeError):
    """buildah cannot build or run here: the message says why."""


def environment() -> dict[str, str]:
    """Root in a container: no default ulimits (containers.md)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = CACHE / "containers.conf"
    if not conf.exists():
        conf.write_text("[containers]\ndefault_ulimits = []\n")
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def run(*args: str, timeout: float = 900, cwd: Path | None = None) -> str:
    result = subprocess.run(
        list(args), env=environment(), capture_output=True, text=True, timeout=timeout,
        cwd=cwd, check=False,
    )  # fmt: skip
    if result.returncode:
        raise AssertionError(f"{' '.join(args[:4])} ... failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def unavailable() -> str | None:
    """Why images cannot be built and run here, or None."""
    for tool in ("buildah", "podman", "mmdebstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install buildah podman mmdebstrap)"
    if os.geteuid() != 0:
        return "buildah runs here as root only (chroot isolation, no user namespaces)"
    probe = subprocess.run(
        ["buildah", "info"], env=environment(), capture_output=True, text=True, check=False
    )
    if probe.returncode:
        return f"buildah cannot run here: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def image_exists(name: str) -> bool:
    probe = subprocess.run(
        ["buildah", "inspect", "--type", "image", name],
        env=environment(), capture_output=True, check=False,
    )  # fmt: skip
    return probe.returncode == 0


def ensure_standins() -> None:
    """The stand-in base images, made once per machine (file-locked)."""
    with FileLock(str(CACHE / "standins.lock"), timeout=1800):
        tarball = CACHE / f"{ROOTFS.rsplit(':', 1)[1]}.tar"
        if not image_exists(ROOTFS):
            if not tarball.exists():
                partial = tarball.with_name(f"partial-{tarball.name}")
                run(
                    "mmdebstrap", "--variant=minbase", "--format=tar",
                    f"--include={','.join(PACKAGES)}", "bookworm", str(partial),
                )  # fmt: skip
                partial.rename(tarball)
            run("podman", "import", str(tarball), ROOTFS)
        for name, containerfile in ((PYTHON_BASE, PYTHON_STANDIN), (NGINX_BASE, NGINX_STANDIN)):
            labels = (inspect(name).get("Labels") or {}) if image_exists(name) else {}
            if labels.get(STANDIN_LABEL) != ROOTFS:
                with tempfile.TemporaryDirectory() as context:
                    (Path(context) / "Containerfile").write_text(containerfile)
                    build(Path(context), name, timeout=900)


def build(context: Path, tag: str, timeout: float = 900) -> float:
    """Build `context`'s Dockerfile (never pulling); returns the seconds it took."""
    started = time.monotonic()
    run(
        # Docker's format keeps HEALTHCHECK (OCI's has no such field).
        "buildah", "bud", "--isolation", "chroot", "--pull=never", "--format", "docker",
        # The package index is reached through a proxy whose CA is in the host's bundle:
        # lent to the build, not kept in the image.
        "-v", "/etc/ssl/certs:/etc/ssl/certs:ro", "-q", "-t", tag, str(context),
        timeout=timeout,
    )  # fmt: skip
    return time.monotonic() - started


def inspect(image: str) -> dict:
    """The image's configuration in Docker's format (Cmd, User, Env, Labels, Healthcheck)."""
    return json.loads(run("buildah", "inspect", "--type", "image", image))["Docker"]["config"]


def size(image: str) -> int:
    """Bytes of all the image's layers, the base's included."""
    return int(json.loads(run("podman", "image", "inspect", image))[0]["Size"])


def remove(image: str) -> None:
    subprocess.run(["buildah", "rmi", "-f", image], env=environment(), capture_output=True)


def new_tag(name: str) -> str:
    return f"localhost/scaffold-test-{name}:{uuid.uuid4().hex[:8]}"


@dataclass
class Container:
    """A working container of an image, whose commands run with the host's network."""

    name: str
    image: str

    def exec(self, *command: str, env: Mapping[str, str] = {}, timeout: float = 300) -> str:
        """Run a command in it to completion, as the image's user."""
        return run("buildah", "run", "--isolation", "chroot", *env_flags(env), self.name,
                   "--", *command, timeout=timeout)  # fmt: skip

    def start(
        self,
        command: Sequence[str],
        log: Path,
        env: Mapping[str, str] = {},
        volumes: Sequence[str] = (),
    ) -> subprocess.Popen[bytes]:
        """Start a long-running command (the server is a grandchild of `buildah run`,
        so it gets a process group of its own to stop it by)."""
        flags = [flag for volume in volumes for flag in ("-v", volume)]
        process = subprocess.Popen(
            ["buildah", "run", "--isolation", "chroot", *flags, *env_flags(env),
             self.name, "--", *command],
            env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        # Through a pipe, as a container engine does: an unprivileged nginx cannot reopen
        # a file of ours as /dev/stderr.
        threading.Thread(target=copy, args=(process.stdout, log), daemon=True).start()
        return process


def copy(stream: IO[bytes], log: Path) -> None:
    with log.open("wb") as out:
        for line in stream:
            out.write(line)
            out.flush()


def env_flags(env: Mapping[str, str]) -> list[str]:
    return [flag for key, value in env.items() for flag in ("-e", f"{key}={value}")]


@contextlib.contextmanager
def container(image: str) -> Iterator[Container]:
    name = run("buildah", "from", "--pull=never", image).strip()
    try:
        yield Container(name, image)
    finally:
        subprocess.run(["buildah", "rm", name], env=environment(), capture_output=True)
