"""Render templates with real Copier and run what the generated projects ship with.

Generated projects install into a virtual environment built once per set of
requirements (under SCAFFOLD_TEST_ENVS, default ~/.cache/scaffold-tests) and shared
by every combination that needs those requirements, and by all pytest-xdist workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock

from conftest import REPO

ENVS_DIR = Path(
    os.environ.get("SCAFFOLD_TEST_ENVS", Path.home() / ".cache" / "scaffold-tests")
).expanduser()
# Files that hold Jinja or Django template syntax on purpose, in the generated project.
TEMPLATE_SYNTAX_FILES = ("*.html", "*.txt.j2")


def render(framework: str, answers: Mapping[str, Any], dest: Path) -> Path:
    """`copier copy` of this repository routed to `framework`, as a user would run it."""
    import copier

    copier.run_copy(
        str(REPO),
        str(dest),
        data={**answers, "framework": framework},
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    return dest


def leftover_jinja(project: Path) -> list[str]:
    """Files with unrendered `{{`/`{%`, leaving out HTML templates and CI expressions."""
    found = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        if any(path.match(pattern) for pattern in TEMPLATE_SYNTAX_FILES):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        text = text.replace("${{", "")  # GitHub Actions expressions
        if "{{" in text or "{%" in text:
            found.append(str(path.relative_to(project)))
    return found


def requirements(project: Path, extras: Sequence[str] = ("dev",)) -> list[str]:
    """The project's dependencies and the given optional extras, from pyproject.toml."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    wanted = list(meta.get("dependencies", []))
    for extra in extras:
        wanted += meta.get("optional-dependencies", {}).get(extra, [])
    return sorted(set(wanted))


def project_requirements(project: Path) -> list[str]:
    """Everything one environment needs to run the whole project: the requirements of
    its pyproject.toml and of each app's (the hybrid's web/ and services/<name>/)."""
    wanted: set[str] = set()
    for pyproject in project.glob("**/pyproject.toml"):
        if not {".venv", "venv", "node_modules"} & set(pyproject.relative_to(project).parts):
            wanted |= set(requirements(pyproject.parent))
    return sorted(wanted)


@dataclass(frozen=True)
class ProjectEnv:
    """A virtual environment holding a generated project's requirements."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        # Drop the test runner's own virtualenv and COLUMNS/LINES that xdist sets.
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "PYTHONPATH", "COLUMNS", "LINES")
        }
        return {
            **inherited,
            "VIRTUAL_ENV": str(self.root),
            "PATH": f"{self.bin}{os.pathsep}{inherited.get('PATH', '')}",
            **(extra or {}),
        }

    def run(
        self,
        *args: str | Path,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command from this environment (e.g. "pytest", "-q") and capture it."""
        command = [str(args[0]) if os.sep in str(args[0]) else str(self.bin / args[0])]
        return subprocess.run(
            [*command, *map(str, args[1:])],
            cwd=cwd,
            env=self.environ(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen(
        self, *args: str | Path, cwd: Path, env: Mapping[str, str] | None = None, log: Path
    ) -> subprocess.Popen[bytes]:
        """Start a long-running command (a server) with its output going to `log`."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(self.bin / str(args[0])), *map(str, args[1:])],
                cwd=cwd,
                env=self.environ(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def project_env(wanted: Sequence[str], python: str = sys.executable) -> ProjectEnv:
    """The shared environment for these requirements on this interpreter, built on first use."""
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    key = hashlib.sha256(("\n".join(sorted(wanted)) + version).encode()).hexdigest()[:16]
    root = ENVS_DIR / key
    ENVS_DIR.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock", timeout=1800):
        if not (root / ".complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            # The newest pip: the one Python 3.11 ships (23.2) gives up on requirements
            # whose newest releases disagree (the OpenTelemetry instrumentations of Django
            # and Flask, in the hybrid's one environment) where a newer pip backtracks.
            subprocess.run([python, "-m", "venv", "--upgrade-deps", root], check=True)
            subprocess.run(
                [root / "bin" / "python", "-m", "pip", "install", "-q", *wanted],
                check=True,
                timeout=1500,
            )
            (root / ".complete").write_text("\n".join(sorted(wanted)) + "\n")
    return ProjectEnv(root)


def assert_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} failed:\n{result.stdout}\n{result.stderr}"


def check_lint(project: Path, env: ProjectEnv) -> None:
    """ruff check, ruff format --check and bandit -ll, as the project's own CI runs them."""
    assert_ok(env.run("ruff", "check", ".", cwd=project), "ruff check")
    assert_ok(env.run("ruff", "format", "--check", ".", cwd=project), "ruff format --check")
    assert_ok(
        env.run("bandit", "-q", "-c", "pyproject.toml", "-r", ".", "-ll", cwd=project), "bandit"
    )


def run_project_tests(project: Path, env: ProjectEnv, *args: str) -> None:
    """The generated project's own pytest suite."""
    assert_ok(env.run("pytest", "-q", "-p", "no:cacheprovider", *args, cwd=project), "pytest")


# --- Answer combinations -------------------------------------------------------------


def option_values(answers: Mapping[str, Any], multiselect: Mapping[str, Sequence[str]]) -> set:
    """The (option, value) pairs one combination sets: each multiselect choice is on/off."""
    values = set()
    for key, value in answers.items():
        if key in multiselect:
            values |= {(f"{key}:{choice}", choice in value) for choice in multiselect[key]}
        else:
            values.add((key, value))
    return values


def uncovered_pairs(
    combos: Sequence[Mapping[str, Any]],
    options: Mapping[str, Sequence[Any]],
    multiselect: Mapping[str, Sequence[str]] = {},
) -> set[tuple]:
    """Pairs of option values that no combination exercises together."""
    every = {(k, v) for k, vs in options.items() for v in vs}
    every |= {(f"{k}:{c}", on) for k, cs in multiselect.items() for c in cs for on in (True, False)}
    needed = {
        frozenset(pair)
        for pair in itertools.combinations(sorted(every, key=str), 2)
        if pair[0][0] != pair[1][0]
    }
    covered = set()
    for combo in combos:
        present = option_values(combo, multiselect)
        covered |= {frozenset(p) for p in itertools.combinations(present, 2)}
    return {tuple(sorted(p, key=str)) for p in needed - covered}


# --- Servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(
    url: str, process: subprocess.Popen | None = None, timeout: float = 60, until_ok: bool = False
) -> None:
    """Poll until the URL answers (with a 2xx if `until_ok`, else with anything).

    Fails early if the server process died. `until_ok` matters behind a proxy, which
    answers 502 while the application behind it is still starting.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError as error:
            if not until_ok:
                return
            last = f"HTTP {error.code}"
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"{url} did not answer{' 2xx' if until_ok else ''} within {timeout} s ({last})"
    )


@contextlib.contextmanager
def running(process: subprocess.Popen, log: Path) -> Iterator[subprocess.Popen]:
    """Stop the server (its whole process group) on exit; show its log on failure."""
    try:
        yield process
    except BaseException:
        print(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def confirmed_account(email: str, password: str) -> str:
    """A `manage.py shell -c` script making an account whose owner confirmed the email
    address (as the mailed link does), as the Django projects' staff could; it prints
    the account's id."""
    return (
        "from allauth.account.models import EmailAddress\n"
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.create_user({email!r}, {password!r})\n"
        "EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)\n"
        "print(user.pk)\n"
    )


def confirmed_flask_account(email: str, password: str) -> str:
    """The Flask projects' `confirmed_account`: a `python -c` script, run with the app's
    settings, making an account whose owner confirmed the email address; it prints the
    account's id."""
    return (
        "from flask_security import hash_password\n"
        "from flask_security.confirmable import confirm_user\n"
        "from my_project import create_app\n"
        "from my_project.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    datastore = app.extensions['security'].datastore\n"
        f"    user = datastore.create_user(email={email!r}, password=hash_password({password!r}))\n"
        "    confirm_user(user)\n"
        "    db.session.commit()\n"
        "    print(user.id)\n"
    )


@dataclass(frozen=True)
class DevelopmentHybrid:
    """A rendered hybrid project with one worker service, run as `honcho start` runs it
    (development settings): its gateway on `base`, the web app and the worker under
    gunicorn on ports of their own, each log in `root`/<name>.log."""

    project: Path
    root: Path
    worker: str
    environment: dict[str, str]

    @classmethod
    def render(cls, root: Path, **settings: str) -> DevelopmentHybrid:
        """The default hybrid in `root`, with `settings` for all its processes."""
        project = render("hybrid", {}, root / "project")
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
        (worker,) = answers["worker_services"]
        ports = ("PORT", "WEB_PORT", f"{worker.upper()}_PORT")
        environment = {
            **{name: str(free_port()) for name in ports},
            "DJANGO_SETTINGS_MODULE": "config.settings.development",
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
            "GATEWAY_RUN_DIR": str(root / "gateway"),
            **settings,
        }
        return cls(project, root, worker, environment)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.environment['PORT']}"

    def manage(self, env: ProjectEnv, *args: str, **settings: str) -> str:
        """Run the web app's manage.py; what it printed."""
        environment = {**self.environment, **settings}
        done = env.run("python", "manage.py", *args, cwd=self.project / "web", env=environment)
        assert_ok(done, f"manage.py {args[0]}")
        return done.stdout

    def start(
        self, stack: contextlib.ExitStack, env: ProjectEnv, web_settings: Mapping[str, str] = {}
    ) -> None:
        """Start the three (stopped when `stack` closes), each serving its metrics on a
        port of its own, and wait until the gateway answers."""
        worker = self.worker
        gunicorn = ["python", "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind"]
        worker_port = self.environment[f"{worker.upper()}_PORT"]
        commands = {
            "web": (
                [*gunicorn, f"127.0.0.1:{self.environment['WEB_PORT']}", "config.wsgi"],
                self.project / "web",
                dict(web_settings),
            ),
            worker: (
                [*gunicorn, f"127.0.0.1:{worker_port}", f"{worker}:create_app()"],
                self.project / "services" / worker,
                {"PYTHONPATH": "src"},
            ),
            "gateway": (["python", "gateway/run.py"], self.project, {}),
        }
        for name, (command, cwd, own) in commands.items():
            log = self.root / f"{name}.log"
            environment = {**self.environment, "METRICS_PORT": str(free_port()), **own}
            process = env.popen(*command, cwd=cwd, env=environment, log=log)
            stack.enter_context(running(process, log))
        wait_for_http(f"{self.base}/healthz", timeout=120, until_ok=True)


@dataclass(frozen=True)
class ProductionApp:
    """A rendered Flask or Django project run as on a server: gunicorn with the project's
    gunicorn.conf.py, production settings, a SQLite database in `root` (unless the
    settings name another DATABASE_URL), each server's log in `root`/<name>.log."""

    framework: str
    project: Path
    root: Path
    environment: dict[str, str]

    @classmethod
    def render(
        cls, framework: str, root: Path, answers: Mapping[str, Any] = {}, **settings: str
    ) -> ProductionApp:
        """The `framework` project with `answers` (defaults for the rest) in `root`, with
        `settings` for all its commands."""
        return cls.of(render(framework, answers, root / "project"), root, **settings)

    @classmethod
    def of(cls, project: Path, root: Path, **settings: str) -> ProductionApp:
        """An already rendered project, its database and logs in `root`, with `settings`
        for all its commands."""
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
        framework = answers["framework"]
        own = {
            "django": {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
            },
            "flask": {
                "APP_ENV": "production",
                "TRUSTED_HOSTS": "127.0.0.1",
                # Behind one proxy (the TLS-terminating one a Browser stands for).
                "PROXY_HOPS": "1",
                # The code runs from src/ without installing; `flask` finds the app.
                "PYTHONPATH": str(project / "src"),
                "FLASK_APP": "my_project",
            },
        }[framework]
        environment = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
            # Account mail (production refuses to start without a server to send it).
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
            **own,
        }
        if answers.get("task_queue") == "celery":
            # Production refuses to start without the queue's Redis; only sending a task
            # reaches it.
            environment["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/0"
        return cls(framework, project, root, {**environment, **settings})

    @property
    def app(self) -> str:
        """The WSGI application, as the project's Dockerfile names it to gunicorn."""
        return "config.wsgi" if self.framework == "django" else "my_project:create_app()"

    @property
    def program(self) -> tuple[str, ...]:
        """The project's own command: `manage.py` or `flask`."""
        return ("python", "manage.py") if self.framework == "django" else ("flask",)

    def run(self, env: ProjectEnv, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """Run the project's own command with `settings` too, whatever it answers."""
        environment = {**self.environment, **settings}
        return env.run(*self.program, *args, cwd=self.project, env=environment)

    def command(self, env: ProjectEnv, *args: str, **settings: str) -> str:
        """Run the project's own command, which must succeed; what it printed."""
        done = self.run(env, *args, **settings)
        assert_ok(done, " ".join((*self.program, *args[:2])))
        return done.stdout

    def confirmed_account(self, env: ProjectEnv, email: str, password: str) -> str:
        """Make an account whose owner confirmed the email address; its id."""
        if self.framework == "django":
            made = self.command(
                env, "shell", "--verbosity", "0", "-c", confirmed_account(email, password)
            )
        else:
            script = confirmed_flask_account(email, password)
            done = env.run("python", "-c", script, cwd=self.project, env=self.environment)
            assert_ok(done, "an account")
            made = done.stdout
        return made.strip().splitlines()[-1]

    def prepare(self, env: ProjectEnv) -> None:
        """What a deployment runs before starting the app: migrations (and Django's
        collectstatic, whose manifest production pages need)."""
        if self.framework == "django":
            self.command(env, "migrate")
            self.command(env, "collectstatic", "--noinput")
        else:
            self.command(env, "db", "upgrade")

    def start(
        self,
        stack: contextlib.ExitStack,
        env: ProjectEnv,
        name: str = "gunicorn",
        app: str | None = None,
        port: int | None = None,
        **settings: str,
    ) -> str:
        """Start gunicorn serving `app` (the project's by default) on `port` (a free one
        by default) with `settings` too, stopped when `stack` closes, its log in
        `root`/`name`.log; its base URL, once it answers."""
        port = port or free_port()
        log = self.log_file(name)
        environment = {**self.environment, "METRICS_PORT": str(free_port()), **settings}
        process = env.popen(
            "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            app or self.app, cwd=self.project, env=environment, log=log,
        )  # fmt: skip
        stack.enter_context(running(process, log))
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", process)
        return base

    def log_file(self, name: str = "gunicorn") -> Path:
        """Where the server started as `name` logs."""
        return self.root / f"{name}.log"
