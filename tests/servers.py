"""Real PostgreSQL, Redis and SMTP servers for tests: started on 127.0.0.1, thrown away
after.

Each context manager starts a private server on a free port with its data in a new
temporary directory, yields how to reach it, and stops it and deletes the data on exit.
Test modules wrap them in fixtures of the scope they need, e.g.

    @pytest.fixture(scope="session")
    def postgresql() -> Iterator[PostgreSQLServer]:
        with postgresql_server() as server:
            yield server

`.ci/run` installs the servers (Debian packages postgresql and redis-server); the SMTP
server is aiosmtpd, from the test extras.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from generated import free_port

LOOPBACK = "127.0.0.1"


class ServerUnavailable(RuntimeError):
    """A server binary is missing: the message says what to install."""


@dataclass(frozen=True)
class PostgreSQLServer:
    host: str
    port: int
    # A superuser that connects without a password (trust authentication, loopback only).
    user: str

    def url(self, database: str) -> str:
        """A DATABASE_URL for `database` on this server (it need not exist yet)."""
        return f"postgres://{self.user}@{self.host}:{self.port}/{database}"


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int

    def url(self, database: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{database}"


# --- PostgreSQL ------------------------------------------------------------------------


def postgresql_bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, or in Debian's versioned directory."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    raise ServerUnavailable(
        "PostgreSQL's pg_ctl was not found on PATH or under /usr/lib/postgresql/*/bin; "
        "install it (Debian: apt-get install postgresql)"
    )


def _server_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable(
            "running as root, PostgreSQL needs an unprivileged user named 'postgres' "
            "(the Debian package creates it)"
        ) from None


def _run_as(user: pwd.struct_passwd | None, command: list[str | Path], cwd: Path) -> None:
    """Run a command as `user` (None: the current user); fail with its output."""
    as_user = (
        {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    )
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        **as_user,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")


@contextlib.contextmanager
def postgresql_server() -> Iterator[PostgreSQLServer]:
    """A throwaway PostgreSQL cluster listening on 127.0.0.1 only (no Unix socket)."""
    bin_dir = postgresql_bin_dir()
    user = _server_user()
    # The server user must reach its directory: pytest's own temporary directories are
    # private to the current user, so as root use the system-wide /tmp.
    root = Path(tempfile.mkdtemp(prefix="scaffold-postgresql-", dir="/tmp" if user else None))
    data = root / "data"
    log = root / "server.log"
    try:
        if user:
            os.chown(root, user.pw_uid, user.pw_gid)
        _run_as(
            user,
            [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync", "--no-instructions"],
            cwd=root,
        )  # fmt: skip
        port = free_port()
        # Durability is pointless for a throwaway cluster; without it tests run faster.
        options = (
            f"-h {LOOPBACK} -p {port} -k '' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run_as(
            user,
            [bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"],
            cwd=root,
        )
        yield PostgreSQLServer(LOOPBACK, port, "postgres")
    finally:
        try:
            if (data / "postmaster.pid").exists():  # running, or a start that half failed
                _run_as(user, [bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], cwd=root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


# --- Redis -----------------------------------------------------------------------------


def _wait_for_redis(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 1) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(64).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer on port {port} within {timeout} s")


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A throwaway Redis on 127.0.0.1 that keeps nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable(
            "redis-server was not found on PATH; install it (Debian: apt-get install redis-server)"
        )
    root = Path(tempfile.mkdtemp(prefix="scaffold-redis-"))
    port = free_port()
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "",
             "--appendonly", "no", "--dir", str(root)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_redis(port, process)
        yield RedisServer(LOOPBACK, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


# --- SMTP --------------------------------------------------------------------------------


@dataclass
class SMTPServer:
    """A mail server that keeps every message it is sent, for the test to read."""

    host: str
    port: int
    messages: list[EmailMessage]

    @property
    def url(self) -> str:
        """An EMAIL_URL for it (django-environ's scheme names)."""
        return f"smtp://{self.host}:{self.port}"

    def to(self, address: str, subject: str = "") -> list[EmailMessage]:
        """The messages to `address` so far, oldest first, whose subject holds `subject`."""
        return [
            m
            for m in self.messages
            if address in m["To"] and subject.lower() in m["Subject"].lower()
        ]

    def wait_for(
        self, address: str, subject: str = "", count: int = 1, timeout: float = 30
    ) -> EmailMessage:
        """The `count`-th message to `address` whose subject holds `subject`, once it
        arrives."""
        deadline = time.monotonic() + timeout
        while len(self.to(address, subject)) < count:
            sent = [(m["To"], m["Subject"]) for m in self.messages]
            assert time.monotonic() < deadline, f"no mail #{count} to {address} ({subject}): {sent}"
            time.sleep(0.05)
        return self.to(address, subject)[count - 1]


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a mail."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content()


class _Collect:
    """aiosmtpd's handler: every DATA command's message, parsed, into a list."""

    def __init__(self, messages: list[EmailMessage]) -> None:
        self.messages = messages

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, in a thread of the test process."""
    from aiosmtpd.controller import Controller

    messages: list[EmailMessage] = []
    controller = Controller(_Collect(messages), hostname=LOOPBACK, port=free_port())
    controller.start()
    try:
        yield SMTPServer(LOOPBACK, controller.port, messages)
    finally:
        controller.stop()
