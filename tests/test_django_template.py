"""templates/django: answer combinations, real servers, and a generated project end to end.

Every listed combination is rendered with real Copier and checked as its own CI would,
plus `makemigrations --check` and `check --deploy` under production settings; the
combinations with PostgreSQL run their suite against a real PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import copier
import pexpect
import pytest
import yaml

from browser import Browser, fetch
from conftest import TEMPLATES, assert_fits_terminal, printed, shared_question_names
from generated import (
    ProductionApp,
    ProjectEnv,
    assert_ok,
    check_lint,
    free_port,
    leftover_jinja,
    project_env,
    render,
    requirements,
    running,
    uncovered_pairs,
)
from scaffold.catalog import template_questions
from servers import PostgreSQLServer, RedisServer, postgresql_server, redis_server

TEMPLATE = TEMPLATES / "django"
COPIER = str(Path(sys.executable).parent / "copier")
SLUG = "my_project"  # the default answer
BASH = shutil.which("bash") or "/bin/bash"

# Questions defined in both copier.yml files (tests/test_template_sharing.py).
SHARED_WITH_FLASK = ("database", "task_queue")
PROVIDERS = ["google", "github", "microsoft", "oidc"]
EVERYTHING = {
    "api": True,
    "api_docs": True,
    "database": "postgresql",
    "task_queue": "celery",
    "social_login": PROVIDERS,
}
# Pairwise over the Django questions and python_version (api_docs needs api), and over
# the accounts questions with the Django questions and one another, with the defaults
# and everything-on among them. Not the accounts questions with python_version: they
# add settings and tests whose code is the same on every Python. The providers count as
# one option, none or all: each adds a block of settings of its own.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything": {**EVERYTHING, "python_version": "3.14", "email_verification": "optional"},
    "site_only": {
        "api": False,
        "python_version": "3.14",
        "signup": False,
        "social_login": PROVIDERS,
    },
    "site_on_postgresql": {
        "api": False,
        "database": "postgresql",
        "python_version": "3.13",
        "email_verification": "none",
    },
    "site_with_celery": {
        "api": False,
        "task_queue": "celery",
        "python_version": "3.12",
        "email_verification": "optional",
    },
    "site_on_postgresql_with_celery": {
        "api": False,
        "database": "postgresql",
        "task_queue": "celery",
        "python_version": "3.11",
        "signup": False,
    },
    "api_without_docs_on_postgresql_with_celery": {
        "api_docs": False,
        "database": "postgresql",
        "task_queue": "celery",
        "python_version": "3.11",
        "email_verification": "none",
        "social_login": PROVIDERS,
    },
    "api_on_postgresql": {"database": "postgresql", "python_version": "3.12", "signup": False},
    "api_with_celery": {
        "task_queue": "celery",
        "python_version": "3.13",
        "email_verification": "none",
    },
    "api_with_optional_confirmation": {"email_verification": "optional"},
}
ACCOUNTS_QUESTIONS = ("signup", "email_verification", "social_login")


# --- The questions, read from copier.yml ------------------------------------------------


@cache
def copier_config() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in yaml.safe_load_all((TEMPLATE / "copier.yml").read_text(encoding="utf-8")):
        merged.update(document or {})
    return merged


@cache
def common_question_names() -> frozenset[str]:
    return shared_question_names(TEMPLATE, "common")


def django_questions() -> dict[str, dict[str, Any]]:
    """The template's own questions and computed values (outside the shared blocks)."""
    skip = common_question_names() | shared_question_names(TEMPLATE, "accounts") | {"framework"}
    return {k: v for k, v in copier_config().items() if not k.startswith("_") and k not in skip}


def option_values() -> dict[str, list[Any]]:
    """Each combinable question and its possible answers (the providers: none or all)."""
    config = copier_config()
    options = {"python_version": list(config["python_version"]["choices"])}
    for name, spec in django_questions().items():
        if spec.get("when") is False:
            continue
        choices = spec.get("choices")
        options[name] = list(choices.values()) if choices else [True, False]
    options["signup"] = [True, False]
    options["email_verification"] = list(config["email_verification"]["choices"].values())
    options["social_login"] = [(), tuple(PROVIDERS)]
    return options


def option_requirements() -> dict[str, dict[str, str]]:
    """{option: {needed option: reason}} from the template's own table."""
    return copier_config()["django_option_requirements"]["default"]


def forbidden_pairs() -> set[frozenset]:
    """Answer pairs the rules refuse (an option on while an option it needs is off),
    and those no one can give (email_verification is asked only with sign-up open)."""
    refused = {
        frozenset({(option, True), (need, False)})
        for option, needs in option_requirements().items()
        for need in needs
    }
    unasked = {
        frozenset({("signup", False), ("email_verification", value)})
        for value in option_values()["email_verification"]
        if value != copier_config()["email_verification"]["default"]
    }
    return refused | unasked


def full_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """A combination with each unanswered option's default, from copier.yml."""
    full = {k: tuple(v) if isinstance(v, list) else v for k, v in answers.items()}
    for name in option_values():
        default = copier_config()[name]["default"]
        # A default such as "{{ api }}" copies an earlier answer.
        copied = re.fullmatch(r"\{\{ (\w+) \}\}", str(default))
        full.setdefault(name, full[copied.group(1)] if copied else default)
    full["social_login"] = tuple(full["social_login"])
    return full


def test_every_django_question_is_asked_for_django_only_with_its_own_help() -> None:
    helps = []
    for name, spec in django_questions().items():
        if spec.get("when") is False:  # a computed value: never asked, never stored
            assert name.startswith("django_"), f"{name}: prefix computed values with django_"
            continue
        if name in SHARED_WITH_FLASK:  # asked for django, and for flask on its own terms
            shared = ("{{ framework == 'django' or", "{{ framework in [")
            assert spec["when"].startswith(shared), name
        else:
            assert re.fullmatch(r"\{\{ framework == 'django'( and [^}]+)? \}\}", spec["when"]), name
        helps.append(" ".join(spec["help"].split()))
    assert len(helps) == len(set(helps)) >= 4


def test_combinations_cover_every_allowed_pair() -> None:
    combos = [full_answers(answers) for answers in COMBINATIONS.values()]
    uncovered = uncovered_pairs(combos, option_values())

    def needed(pair: tuple) -> bool:
        names = {name for name, _ in pair}
        return frozenset(pair) not in forbidden_pairs() and not (
            "python_version" in names and names & set(ACCOUNTS_QUESTIONS)
        )

    assert {pair for pair in uncovered if needed(pair)} == set()


def test_listed_combinations_break_no_rule() -> None:
    assert forbidden_pairs(), "the rules table is empty"
    for name, answers in COMBINATIONS.items():
        present = set(full_answers(answers).items())
        for pair in forbidden_pairs():
            assert not pair <= present, f"{name} combines {sorted(pair)}"


@pytest.mark.parametrize(
    ("option", "need"),
    [(option, need) for option, needs in option_requirements().items() for need in needs],
)
def test_copier_refuses_forbidden_answers_with_the_reason(
    option: str, need: str, tmp_path: Path
) -> None:
    refusal = f"'{option}': needs {need}: {option_requirements()[option][need]}"
    with pytest.raises(ValueError, match=re.escape(refusal)) as refused:
        copier.run_copy(
            str(TEMPLATE),
            str(tmp_path / "project"),
            data={option: True, need: False},
            defaults=True,
            quiet=True,
        )
    assert_fits_terminal(refused.value)
    assert not (tmp_path / "project").exists()


@pytest.mark.slow
def test_the_prompt_never_offers_a_forbidden_answer(tmp_path: Path) -> None:
    """Copier checks yes/no answers only when given as data: the prompt skips api_docs
    once api is no, and goes on to the next question."""
    helps = {q.name: printed(q.help) for q in template_questions("django")}
    inherited = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(
        COPIER, ["copy", str(TEMPLATE), str(tmp_path / "project")], encoding="utf-8",
        env={**inherited, "TERM": "xterm", "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1"},
        timeout=60, dimensions=(60, 250),
    )  # fmt: skip
    for name in [name for name in helps if name in common_question_names()]:
        child.expect(helps[name])
        child.send("\r")
    child.expect(helps["api"])
    child.send("n")
    index = child.expect([helps["api_docs"], helps["database"]])
    assert index == 1, "api_docs was asked after api was answered no"
    child.send("\r")
    child.expect(helps["task_queue"])
    child.send("\r")
    for name in ACCOUNTS_QUESTIONS:
        child.expect(helps[name])
        child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    answers = yaml.safe_load((tmp_path / "project" / ".copier-answers.yml").read_text())
    assert answers["api"] is False and "api_docs" not in answers
    assert "spectacular" not in (tmp_path / "project" / "pyproject.toml").read_text()


# --- Rendered projects -------------------------------------------------------------------


@pytest.fixture(scope="session")
def everything_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The everything-on project, rendered once; tests must not write into it."""
    return render("django", EVERYTHING, tmp_path_factory.mktemp("everything") / "project")


@pytest.fixture(scope="session")
def django_env(everything_project: Path) -> ProjectEnv:
    """One environment with every dependency any combination needs."""
    return project_env(requirements(everything_project))


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgreSQLServer]:
    with postgresql_server() as server:
        yield server


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combination(
    name: str, tmp_path: Path, django_env: ProjectEnv, request: pytest.FixtureRequest
) -> None:
    answers = full_answers(COMBINATIONS[name])
    project = render("django", COMBINATIONS[name], tmp_path / "project")
    assert leftover_jinja(project) == []
    assert (project / SLUG / "notes").is_dir() == answers["api"]
    assert (project / "config" / "celery.py").is_file() == (answers["task_queue"] == "celery")
    accounts_settings = (project / "config" / "settings" / "accounts.py").read_text()
    for provider in PROVIDERS:
        assert (f"{provider.upper()}_CLIENT_ID" in accounts_settings) == (
            provider in answers["social_login"]
        )
    dependencies = " ".join(requirements(project, extras=()))
    assert ("drf-spectacular" in dependencies) == answers["api_docs"]
    assert ("psycopg[binary]" in dependencies) == (answers["database"] == "postgresql")
    check_lint(project, django_env)

    suite_env = {}
    if answers["database"] == "postgresql":
        server: PostgreSQLServer = request.getfixturevalue("postgresql")
        suite_env["DATABASE_URL"] = server.url(name)
    assert_ok(
        django_env.run("pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=suite_env),
        f"the generated test suite ({suite_env or 'SQLite'})",
    )
    assert_ok(
        django_env.run(
            "python", "manage.py", "makemigrations", "--check", "--dry-run", cwd=project
        ),
        "makemigrations --check",
    )
    production = ProductionApp.of(project, tmp_path)
    production.command(django_env, "check", "--deploy", "--fail-level", "WARNING")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", "x"),  # set, but weaker than Django's rule
        ("ALLOWED_HOSTS", None),
        ("ALLOWED_HOSTS", ""),
        ("DATABASE_URL", None),
        ("CELERY_BROKER_URL", None),
        ("EMAIL_URL", None),
    ],
)
def test_production_refuses_to_start_without_its_settings(
    variable: str,
    value: str | None,
    everything_project: Path,
    django_env: ProjectEnv,
    tmp_path: Path,
) -> None:
    app = ProductionApp.of(everything_project, tmp_path, DATABASE_URL="sqlite:///:memory:")
    environment = app.environment
    if value is None:
        del environment[variable]
    else:
        environment[variable] = value
    result = django_env.run("python", "manage.py", "check", cwd=everything_project, env=environment)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        f"django.core.exceptions.ImproperlyConfigured: Set the {variable} environment variable"
    )


# --- Docker files (read, since Docker cannot run here) ------------------------------------


def dockerfile_instructions(project: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each Dockerfile line, continuation lines joined."""
    text = (project / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


@pytest.mark.slow
def test_dockerfile_builds_static_files_and_runs_unprivileged(everything_project: Path) -> None:
    instructions = dockerfile_instructions(everything_project)
    keywords = [keyword for keyword, _ in instructions]
    # Two stages: the locked install, then the image that runs.
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert stages == ["python:3.11-slim AS build", "python:3.11-slim"]
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any(
        run.startswith("pip install --require-hashes --no-deps -r requirements.txt") for run in runs
    )
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users == ["10001:10001"]  # numeric: Kubernetes' runAsNonRoot can check it
    assert "HEALTHCHECK" in keywords
    collect = next(
        i for i, (k, a) in enumerate(instructions) if "collectstatic" in a and k == "RUN"
    )
    copy_code = instructions.index(("COPY", ". ."))
    assert copy_code < collect < keywords.index("USER")
    environment = shlex.split(" ".join(args for keyword, args in instructions if keyword == "ENV"))
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in environment
    assert instructions[-1] == ("CMD", '["gunicorn", "config.wsgi"]')
    assert any("useradd" in run for run in runs)


@pytest.mark.slow
def test_docker_compose_names_the_services_each_answer_needs(
    everything_project: Path, tmp_path: Path
) -> None:
    everything = yaml.safe_load((everything_project / "docker-compose.yml").read_text())
    assert set(everything["services"]) == {"web", "worker", "redis", "db"}
    assert everything["services"]["db"]["image"].startswith("postgres:")
    assert everything["services"]["worker"]["command"].startswith("celery -A config worker")
    environment = everything["services"]["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, never a value

    defaults = render("django", {}, tmp_path / "defaults")
    compose = yaml.safe_load((defaults / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"web"}
    assert compose["services"]["web"]["environment"]["DATABASE_URL"].startswith("sqlite:////")


# --- Real servers ------------------------------------------------------------------------


@pytest.mark.slow
def test_celery_task_runs_on_a_real_worker_through_real_redis(
    tmp_path: Path, django_env: ProjectEnv, redis: RedisServer
) -> None:
    project = render("django", COMBINATIONS["site_with_celery"], tmp_path / "project")
    # Development settings: SQLite in the project, tasks not eager.
    broker = {"CELERY_BROKER_URL": redis.url(0)}
    assert_ok(django_env.run("python", "manage.py", "migrate", cwd=project, env=broker), "migrate")
    log = tmp_path / "worker.log"
    worker = django_env.popen(
        "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", cwd=project, env=broker, log=log,
    )  # fmt: skip
    send = (
        "from django.contrib.auth import get_user_model\n"
        f"from {SLUG}.users.tasks import send_welcome_email\n"
        "user = get_user_model().objects.create_user('ada@example.com', 'x')\n"
        "print('result:', send_welcome_email.delay(user.pk).get(timeout=60))\n"
    )
    with running(worker, log):
        result = django_env.run(
            "python", "manage.py", "shell", "-c", send, cwd=project, env=broker, timeout=120
        )
        assert_ok(result, "sending the task")
        assert "result: 1" in result.stdout
    worker_log = log.read_text(errors="replace")
    # The email went out from the worker (console email backend in development).
    assert "Subject: Welcome" in worker_log
    assert "To: ada@example.com" in worker_log
    assert re.search(r"Task \S+send_welcome_email\[[0-9a-f-]+\] succeeded", worker_log)


@pytest.mark.slow
def test_end_to_end_under_gunicorn(tmp_path: Path, django_env: ProjectEnv) -> None:
    app = ProductionApp.render("django", tmp_path)
    admin_password, password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    app.command(django_env, "migrate")
    # The image's own collectstatic step, exactly as the Dockerfile runs it.
    (collectstatic,) = [
        args
        for keyword, args in dockerfile_instructions(app.project)
        if keyword == "RUN" and "collectstatic" in args
    ]
    assert_ok(
        django_env.run(BASH, "-c", collectstatic, cwd=app.project,
                       env={"DJANGO_SETTINGS_MODULE": app.environment["DJANGO_SETTINGS_MODULE"]}),
        "the Dockerfile's collectstatic",
    )  # fmt: skip
    app.command(
        django_env, "createsuperuser", "--noinput", "--email", "admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=admin_password,
    )  # fmt: skip
    app.confirmed_account(django_env, "ada@example.com", password)

    port = free_port()
    # As the TLS-terminating proxy in front would say (gunicorn trusts 127.0.0.1).
    https = {"X-Forwarded-Proto": "https"}
    with contextlib.ExitStack() as stack:
        base = app.start(stack, django_env, port=port, WEB_CONCURRENCY="2")

        # Health checks answer over plain HTTP, as load balancers probe them.
        health = fetch(f"{base}/healthz")
        assert (health.status, health.json()) == (200, {"status": "ok"})
        assert fetch(f"{base}/readyz").json() == {"status": "ok"}
        # Any other plain-HTTP request is sent to HTTPS.
        plain = fetch(f"{base}/accounts/login/")
        assert plain.status == 301
        assert plain.headers["Location"] == f"https://127.0.0.1:{port}/accounts/login/"
        # The admin's login is the site's.
        admin = fetch(f"{base}/admin/login/", headers=https)
        assert admin.headers["Location"].startswith("/accounts/login/")

        login = fetch(f"{base}/accounts/login/", headers=https)
        assert login.status == 200
        assert login.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        policy = login.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert login.headers["X-Content-Type-Options"] == "nosniff"
        assert login.headers["X-Frame-Options"] == "DENY"
        assert login.headers["Referrer-Policy"] == "same-origin"
        csrf_cookie = next(c for c in login.headers.get_all("Set-Cookie") if "csrftoken=" in c)
        assert "Secure" in csrf_cookie and "SameSite=Lax" in csrf_cookie

        # Static files: hashed names from collectstatic, served by whitenoise for a year.
        home = fetch(f"{base}/", headers=https)
        (stylesheet,) = re.findall(
            r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.body.decode()
        )
        static = fetch(f"{base}{stylesheet}", headers=https)
        assert static.status == 200
        assert "immutable" in static.headers["Cache-Control"]

        assert fetch(f"{base}/healthz", headers={"Host": "attacker.example"}).status == 400

        # The API: anonymous refused, token-authenticated create and list work.
        notes = f"{base}/api/notes/"
        assert fetch(notes, headers=https).status == 401
        issued = fetch(
            f"{base}/api/auth/token/",
            method="POST",
            headers=https,
            data={"email": "ada@example.com", "password": password},
        )
        assert issued.status == 200, issued.body
        token = {**https, "Authorization": f"Token {issued.json()['token']}"}
        created = fetch(notes, method="POST", headers=token, data={"title": "From gunicorn"})
        assert created.status == 201, created.body
        listed = fetch(notes, headers=token).json()
        assert [note["title"] for note in listed["results"]] == ["From gunicorn"]
        assert fetch(f"{base}/api/schema/", headers=https).status == 200
        # The docs page loads Swagger UI from this site (drf-spectacular-sidecar).
        docs = fetch(f"{base}/api/docs/", headers=https)
        assert docs.status == 200
        scripts = re.findall(r'<script src="([^"]+)"', docs.body.decode())
        assert len(scripts) == 3  # Swagger UI's bundle and preset, and its set-up script
        for script in scripts:
            assert script.startswith("/"), f"{script} is not served by this site"
            assert fetch(f"{base}{script}", headers=https).status == 200, script

        # CORS stays closed to other sites' scripts.
        preflight = fetch(
            notes,
            method="OPTIONS",
            headers={
                **https,
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers

        # Password guessing through the login form: after LOGIN_FAILURE_LIMIT (5) failures
        # the account is locked out from this address, the right password included.
        def log_in(password: str) -> int:
            form = {"login": "admin@example.com", "password": password}
            return Browser(base).submit("/accounts/login/", form).status

        assert [log_in("wrong") for _ in range(5)] == [200, 200, 200, 200, 429]
        assert log_in(admin_password) == 429
