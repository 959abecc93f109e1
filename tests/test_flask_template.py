"""templates/flask: its answer constraints, every pair of options rendered and checked,
and the generated app served by gunicorn over real HTTP."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

import copier
import pyotp
import pytest
import yaml

from browser import Browser, Response, chromium_with_a_passkey
from conftest import TEMPLATES, assert_fits_terminal
from generated import (
    ProductionApp,
    ProjectEnv,
    assert_ok,
    check_lint,
    leftover_jinja,
    project_env,
    render,
    requirements,
    run_project_tests,
    running,
    uncovered_pairs,
)
from servers import postgresql_server, redis_server, smtp_server, text_of

ALL_FEATURES = ["database", "auth", "forms", "api", "security_headers"]

# Every pair of option values appears in at least one combination (checked by
# test_combinations_cover_every_pair), without breaking a rule of the constraint table.
# Keys left out take the template's default.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything": {
        "features": ALL_FEATURES,
        "csrf": "seasurf",
        "database": "postgresql",
        "task_queue": "celery",
        "python_version": "3.14",
        "email_verification": "optional",
    },
    "headers-only": {"features": ["security_headers"], "python_version": "3.13"},
    "forms-api": {"features": ["forms", "api"], "python_version": "3.12"},
    "bare": {"features": [], "python_version": "3.14"},
    "api-headers-seasurf": {
        "features": ["api", "security_headers"],
        "csrf": "seasurf",
        "python_version": "3.11",
    },
    "accounts-api-seasurf": {
        "features": ["database", "auth", "forms", "api"],
        "csrf": "seasurf",
        "python_version": "3.13",
    },
    "database-headers-seasurf": {
        "features": ["database", "security_headers"],
        "csrf": "seasurf",
        "python_version": "3.12",
    },
    "defaults-3.12": {"python_version": "3.12", "signup": False},
    "forms-only": {"features": ["forms"]},
    "bare-celery": {"features": [], "task_queue": "celery", "python_version": "3.11"},
    "accounts-postgresql-celery": {
        "database": "postgresql",
        "task_queue": "celery",
        "python_version": "3.12",
    },
    "api-postgresql": {
        "features": ["database", "api"],
        "database": "postgresql",
        "python_version": "3.13",
    },
    "headers-forms-celery-seasurf": {
        "features": ["forms", "security_headers"],
        "csrf": "seasurf",
        "task_queue": "celery",
        "python_version": "3.13",
    },
    "database-api-celery-seasurf": {
        "features": ["database", "api"],
        "csrf": "seasurf",
        "task_queue": "celery",
        "python_version": "3.14",
    },
    "database-forms-postgresql-seasurf": {
        "features": ["database", "forms"],
        "csrf": "seasurf",
        "database": "postgresql",
        "python_version": "3.11",
    },
    # Each answer to the accounts questions with each CSRF choice, and each optional
    # feature on and off (test_account_combinations_cover_every_pair).
    "accounts-optional": {
        "features": ["database", "auth", "forms"],
        "email_verification": "optional",
        "python_version": "3.13",
    },
    "accounts-unverified": {
        "features": ["database", "auth", "forms", "api"],
        "email_verification": "none",
        "python_version": "3.14",
    },
    "accounts-unverified-seasurf": {
        "features": ["database", "auth", "forms", "security_headers"],
        "csrf": "seasurf",
        "email_verification": "none",
        "python_version": "3.12",
    },
    "staff-accounts-seasurf": {
        "features": ["database", "auth", "forms", "api"],
        "csrf": "seasurf",
        "signup": False,
        "python_version": "3.11",
    },
}
# The answers each question allows, besides `features` (a multiselect).
OPTIONS = ("csrf", "database", "task_queue")
# The accounts questions, asked only with 'auth' (and email_verification only with signup).
ACCOUNT_QUESTIONS = ("signup", "email_verification")


@cache
def flask_questions() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / "flask" / "copier.yml").read_text(encoding="utf-8"))


def feature_requirements() -> dict[str, dict[str, str]]:
    """The constraint table: feature -> {feature it needs: why}."""
    return flask_questions()["flask_feature_requirements"]["default"]


def with_defaults(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a combination renders with: its own, then defaults for the questions
    Copier asks it (the accounts questions only when they are asked)."""
    questions = flask_questions()
    names = ("features", *OPTIONS, "python_version", *ACCOUNT_QUESTIONS)
    full = {**{name: questions[name]["default"] for name in names}, **answers}
    if "auth" not in full["features"]:
        del full["signup"]
    if "auth" not in full["features"] or not full["signup"]:
        del full["email_verification"]
    return full


def test_combinations_cover_every_pair() -> None:
    questions = flask_questions()
    assert list(questions["features"]["choices"].values()) == ALL_FEATURES
    options = {name: list(questions[name]["choices"].values()) for name in OPTIONS}
    options["python_version"] = questions["python_version"]["choices"]
    impossible = {
        tuple(sorted([(f"features:{feature}", True), (f"features:{need}", False)], key=str))
        for feature, needs in feature_requirements().items()
        for need in needs
    }
    # The production database is asked only with the database feature.
    impossible.add(tuple(sorted([("database", "postgresql"), ("features:database", False)])))
    combos = [with_defaults(answers) for answers in COMBINATIONS.values()]
    assert uncovered_pairs(combos, options, {"features": ALL_FEATURES}) - impossible == set()
    assert with_defaults(COMBINATIONS["everything"])["features"] == ALL_FEATURES


def test_account_combinations_cover_every_pair() -> None:
    """Among the combinations with accounts: each answer to the accounts questions meets
    each CSRF choice and each optional feature on and off (python_version changes no
    accounts code; it is paired with the rest above)."""
    questions = flask_questions()
    options = {name: list(questions[name]["choices"].values()) for name in ("csrf",)}
    options["email_verification"] = list(questions["email_verification"]["choices"].values())
    options["signup"] = [True, False]
    needed_by_auth = {"auth", *feature_requirements()["auth"]}
    optional = [feature for feature in ALL_FEATURES if feature not in needed_by_auth]
    combos = [
        {key: value for key, value in answers.items() if key != "python_version"}
        for answers in map(with_defaults, COMBINATIONS.values())
        if "auth" in answers["features"]
    ]
    # email_verification is not asked when sign-up is off.
    unasked = {
        tuple(sorted([("email_verification", value), ("signup", False)], key=str))
        for value in options["email_verification"]
    }
    assert uncovered_pairs(combos, options, {"features": optional}) - unasked == set()


@pytest.mark.parametrize("name", COMBINATIONS)
def test_combinations_respect_the_constraints(name: str) -> None:
    features = with_defaults(COMBINATIONS[name])["features"]
    for feature, needs in feature_requirements().items():
        if feature in features:
            assert set(needs) <= set(features), f"{name}: '{feature}' needs {list(needs)}"


@pytest.mark.parametrize(
    ("feature", "need"),
    [(feature, need) for feature, needs in feature_requirements().items() for need in needs],
)
def test_each_rule_is_rejected_at_the_prompt(feature: str, need: str, tmp_path: Path) -> None:
    """Real Copier refuses an answer that breaks a rule, naming the rule and its reason."""
    reason = feature_requirements()[feature][need]
    features = [f for f in ALL_FEATURES if f != need]
    with pytest.raises(ValueError, match="Validation error for question 'features'") as refused:
        copier.run_copy(
            str(TEMPLATES / "flask"),
            str(tmp_path / "project"),
            data={"features": features},
            defaults=True,
            quiet=True,
        )
    assert f"'{feature}' needs '{need}' ({reason})" in str(refused.value)
    assert_fits_terminal(refused.value)
    assert not (tmp_path / "project").exists()


@pytest.fixture(scope="session")
def flask_env(tmp_path_factory: pytest.TempPathFactory) -> ProjectEnv:
    """One environment with every dependency any combination needs (built once per run)."""
    wanted: set[str] = set()
    for csrf in ("flask-wtf", "seasurf"):
        project = tmp_path_factory.mktemp(f"all-{csrf}") / "project"
        everything = {"database": "postgresql", "task_queue": "celery"}
        render("flask", {"features": ALL_FEATURES, "csrf": csrf, **everything}, project)
        wanted |= set(requirements(project))
    return project_env(sorted(wanted))


@pytest.mark.slow
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combination(name: str, tmp_path: Path, flask_env: ProjectEnv) -> None:
    answers = with_defaults(COMBINATIONS[name])
    project = render("flask", COMBINATIONS[name], tmp_path / "project")
    assert leftover_jinja(project) == []
    celery = answers["task_queue"] == "celery"
    assert (project / "src" / "my_project" / "tasks.py").is_file() == celery
    postgresql = "database" in answers["features"] and answers["database"] == "postgresql"
    assert ("psycopg[binary]" in " ".join(requirements(project, extras=()))) == postgresql
    check_lint(project, flask_env)
    run_project_tests(project, flask_env)


# --- End to end: gunicorn on 127.0.0.1, a client with a real cookie jar -----------------


def link_path(message: EmailMessage, path: str) -> str:
    """The path of the first link under `path` in a mail's text, as a reader would follow it."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S*)", text_of(message))
    assert match, f"no link to {path} in:\n{text_of(message)}"
    return match.group(1)


def flash(page: Response) -> str:
    match = re.search(r'role="status">([^<]*)<', page.text)
    assert match, page.text
    return match.group(1)


def without_tokens(page: Response) -> str:
    return re.sub(r'(content|value)="[^"]{40,}"', "", page.text)


def turn_on_two_factor(browser: Browser) -> pyotp.TOTP:
    """From the account page, as a user with an authenticator app on their phone."""
    assert "Turn on two-factor login" in browser.get("/accounts/").text
    form = browser.get("/accounts/two-factor/").form_token()
    chosen = browser.post("/accounts/two-factor/", {**form, "setup": "authenticator"})
    key = re.search(r'<code id="authr-key">([^<]+)</code>', chosen.text)
    action = re.search(r'<form action="([^"]+)" method="post"', chosen.text.split("Key:")[1])
    assert key and action, chosen.text
    authenticator = pyotp.TOTP(key.group(1).replace("-", ""))
    done = browser.post(action.group(1), {**chosen.form_token(), "code": authenticator.now()})
    assert done.location == "/accounts/two-factor/recovery-codes/", done.text
    assert "On, with an authenticator app." in browser.get("/accounts/").text
    return authenticator


@pytest.mark.slow
@pytest.mark.parametrize("name", ["defaults", "accounts-api-seasurf"])
def test_end_to_end_under_gunicorn(name: str, tmp_path: Path, flask_env: ProjectEnv) -> None:
    """Accounts over real HTTP, with mail through a real SMTP server: sign-up, the
    confirmation link, login, two-factor login, password reset; the answers that reveal
    no account and the rate limits, seen from outside; CSRF with either extension."""
    answers = with_defaults(COMBINATIONS[name])
    assert answers["signup"] and answers["email_verification"] == "mandatory"
    # What CSRFProtect (Flask-WTF) and Flask-SeaSurf answer to a missing token.
    csrf_rejected = {"flask-wtf": 400, "seasurf": 403}[answers["csrf"]]
    with contextlib.ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        app = ProductionApp.render(
            "flask",
            tmp_path,
            answers,
            TRUSTED_HOSTS="127.0.0.1",
            # Behind one proxy: the client address is the one X-Forwarded-For names.
            PROXY_HOPS="1",
            EMAIL_URL=inbox.url,
            DEFAULT_FROM_EMAIL="accounts@example.com",
            # Above the 3 failures the flow below makes from one client on one account,
            # wherever the 2 workers' own counters see them.
            LOGIN_RATE_LIMIT="4 per minute",
            ACCOUNT_LOGIN_RATE_LIMIT="4 per minute",
        )
        app.prepare(flask_env)
        create = ("users", "create", "--active", "--password")
        weak = app.run(flask_env, *create, "password1234", "grace@example.com")
        assert weak.returncode != 0
        assert "This is a very common password." in weak.stdout + weak.stderr
        grace_password = "grace's long password"
        app.command(flask_env, *create, grace_password, "grace@example.com")

        base = app.start(stack, flask_env, WEB_CONCURRENCY="2")
        browser = Browser(base)

        health = browser.get("/healthz")
        assert (health.status, json.loads(health.text)) == (200, {"status": "ok"})
        assert browser.get("/readyz").status == 200
        home = browser.get("/")
        assert home.status == 200
        assert "Secure" in home.headers["Set-Cookie"]
        if "security_headers" in answers["features"]:
            policy = home.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy
            assert "default-src 'self'" in policy
            assert home.headers["X-Content-Type-Options"] == "nosniff"
            assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert home.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert "camera=()" in home.headers["Permissions-Policy"]
            assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")

        # A form posted without its CSRF token is refused before anything else.
        forged = browser.post("/accounts/login/", {"email": "grace@example.com", "password": "x"})
        assert forged.status == csrf_rejected

        # Sign up; the confirmation link comes by mail.
        email, password = "ada@example.com", "correct horse battery"
        signup = {"email": email, "password": password, "password_confirm": password}
        form = browser.get("/accounts/signup/").form_token()
        signed_up = browser.post("/accounts/signup/", {**form, **signup})
        assert (signed_up.status, signed_up.location) == (302, "/")
        welcome = inbox.wait_for(email, count=1)
        assert welcome["From"] == "accounts@example.com"
        confirm_link = link_path(welcome, "/accounts/confirm-email/")

        # The same answer, from outside, for the same new address again within the
        # minute and for an address registered before; their owners are told by mail.
        answers_seen = set()
        for address in (email, "grace@example.com", "grace@example.com"):
            visitor = Browser(base)
            form = visitor.get("/accounts/signup/").form_token()
            again = visitor.post("/accounts/signup/", {**form, **signup, "email": address})
            page = visitor.get(again.location)
            answers_seen.add((again.status, again.location, flash(page).replace(address, "")))
        assert len(answers_seen) == 1, answers_seen
        assert "already in our system" in text_of(inbox.wait_for(email, count=2))
        already = inbox.wait_for("grace@example.com", count=1)

        # No login before the address is confirmed: the answer of a wrong password.
        form = browser.get("/accounts/login/").form_token()
        early = browser.post("/accounts/login/", {**form, "email": email, "password": password})
        wrong = browser.post("/accounts/login/", {**form, "email": email, "password": "nope"})
        assert early.status == wrong.status == 200
        assert "identity or password/passcode invalid" in early.text
        assert without_tokens(early) == without_tokens(wrong).replace('value="nope"', "")

        confirmed = browser.get(confirm_link)
        assert (confirmed.status, confirmed.location) == (302, "/accounts/login/")
        form = browser.get("/accounts/login/").form_token()
        logged_in = browser.post("/accounts/login/", {**form, "email": email, "password": password})
        assert (logged_in.status, logged_in.location) == (302, "/accounts/")
        account = browser.get("/accounts/")
        assert account.status == 200
        assert email in account.text
        assert account.headers["Cache-Control"] == "no-store"

        # Two-factor login with an authenticator app.
        authenticator = turn_on_two_factor(browser)
        session = browser.cookies["session"]
        logged_out = browser.post("/accounts/logout/", browser.get("/accounts/").form_token())
        assert logged_out.status == 302
        assert browser.get("/accounts/").location == "/accounts/login/"
        # A copy of the session cookie taken before logout is worthless too.
        thief = Browser(base)
        thief.cookies["session"] = session
        assert thief.get("/accounts/").location == "/accounts/login/"

        form = browser.get("/accounts/login/").form_token()
        first = browser.post("/accounts/login/", {**form, "email": email, "password": password})
        assert first.location.startswith("/accounts/two-factor/verify/")
        assert browser.get("/accounts/").location == "/accounts/login/"
        form = browser.get(first.location).form_token()
        second = browser.post("/accounts/two-factor/verify/", {**form, "code": authenticator.now()})
        assert second.location == "/accounts/"
        assert browser.get("/accounts/").status == 200

        if "api" in answers["features"]:
            # Scripts send the page's token in a header; without it the API refuses.
            assert browser.request("DELETE", "/api/v1/session").status == csrf_rejected
            assert browser.get("/api/v1/me").status == 200
            token = browser.get("/").meta_token()
            with_token = {"X-CSRFToken": token}
            assert browser.request("DELETE", "/api/v1/session", headers=with_token).status == 204
            assert browser.get("/api/v1/me").status == 401
        else:
            browser.post("/accounts/logout/", browser.get("/accounts/").form_token())

        # A forgotten password: a reset link by mail; the old password stops working.
        new_password = "lantern opal drift"
        form = browser.get("/accounts/password/reset/").form_token()
        asked = browser.post("/accounts/password/reset/", {**form, "email": email})
        unknown = browser.post("/accounts/password/reset/", {**form, "email": "no@example.com"})
        assert asked.status == unknown.status == 200
        assert without_tokens(asked).replace(email, "") == without_tokens(unknown).replace(
            "no@example.com", ""
        )
        reset_link = link_path(inbox.wait_for(email, count=3), "/accounts/password/reset/")
        assert inbox.to("no@example.com") == []
        form = browser.get(reset_link).form_token()
        new = {"password": new_password, "password_confirm": new_password}
        reset = browser.post(reset_link, {**form, **new})
        assert (reset.status, reset.location) == (302, "/accounts/login/")
        form = browser.get("/accounts/login/").form_token()
        old = browser.post("/accounts/login/", {**form, "email": email, "password": password})
        assert old.status == 200
        assert "identity or password/passcode invalid" in old.text
        accepted = browser.post(
            "/accounts/login/", {**form, "email": email, "password": new_password}
        )
        assert accepted.location.startswith("/accounts/two-factor/verify/")

        # The account made with `flask users create` confirms its address with the link
        # in the "already registered" mail, then logs in.
        grace = Browser(base)
        grace.get(link_path(already, "/accounts/confirm-email/"))
        form = grace.get("/accounts/login/").form_token()
        credentials = {**form, "email": "grace@example.com", "password": grace_password}
        assert grace.post("/accounts/login/", credentials).location == "/accounts/"

        # Rate limits, seen from outside (4 per minute per gunicorn worker, 2 workers: the
        # ninth attempt is refused at the latest):
        # one client trying one password on many accounts (spraying) is stopped, and so
        # are many clients guessing at one account.
        def attempts(client_addresses: list[str], emails: list[str]) -> list[int]:
            visitor = Browser(base)
            form = visitor.get("/accounts/login/").form_token()
            return [
                visitor.request(
                    "POST", "/accounts/login/", headers={"X-Forwarded-For": address},
                    form={**form, "email": e, "password": "Winter2026!"},
                ).status
                for address, e in zip(client_addresses, emails, strict=True)
            ]  # fmt: skip

        spraying = attempts(["203.0.113.7"] * 9, [f"user{n}@example.com" for n in range(9)])
        assert spraying[:4] == [200] * 4 and 429 in spraying, spraying
        guessing = attempts([f"203.0.113.{n + 20}" for n in range(9)], ["grace@example.com"] * 9)
        assert guessing[:4] == [200] * 4 and 429 in guessing, guessing

        # Only the host names in TRUSTED_HOSTS are answered.
        assert browser.request("GET", "/", headers={"Host": "evil.example"}).status == 400

        missing = browser.get("/no/such/page")
        assert missing.status == 404
        assert "Traceback" not in missing.text
    assert "Traceback" not in app.log_file().read_text()


# --- Real servers: PostgreSQL and a Celery worker through Redis ---------------------------


@pytest.mark.slow
def test_postgresql_project_migrates_and_serves_on_a_real_postgresql(
    tmp_path: Path, flask_env: ProjectEnv
) -> None:
    """The production database answer: migrations apply on PostgreSQL through psycopg,
    and the readiness check sees the database, and Celery's Redis, under gunicorn."""
    with postgresql_server() as server, redis_server() as redis, contextlib.ExitStack() as stack:
        url = server.url("flask_app").replace("postgres://", "postgresql+psycopg://", 1)
        # The mail server is never reached: no mail is sent.
        app = ProductionApp.render(
            "flask",
            tmp_path,
            COMBINATIONS["accounts-postgresql-celery"],
            DATABASE_URL=url,
            CELERY_BROKER_URL=redis.url(0),
            EMAIL_URL="smtp://127.0.0.1:9",
        )
        create = f"import psycopg; psycopg.connect({server.url('postgres')!r}, autocommit=True)"
        assert_ok(
            flask_env.run("python", "-c", f"{create}.execute('CREATE DATABASE flask_app')",
                          cwd=app.project),
            "CREATE DATABASE",
        )  # fmt: skip
        app.prepare(flask_env)
        base = app.start(stack, flask_env)
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as ready:
            checks = {"database": "ok", "broker": "ok"}
            assert json.loads(ready.read())["checks"] == checks


@pytest.mark.slow
def test_celery_task_runs_on_a_real_worker_through_real_redis(
    tmp_path: Path, flask_env: ProjectEnv
) -> None:
    project = render("flask", COMBINATIONS["bare-celery"], tmp_path / "project")
    with redis_server() as redis:
        # Development settings (as `flask run` has them), with this Redis as the broker.
        environment = {
            "APP_ENV": "development",
            "CELERY_BROKER_URL": redis.url(0),
            "PYTHONPATH": str(project / "src"),
        }
        log = tmp_path / "worker.log"
        worker = flask_env.popen(
            "celery", "-A", "my_project.worker", "worker", "--pool", "solo", "--loglevel",
            "INFO", "--without-gossip", "--without-mingle", cwd=project, env=environment, log=log,
        )  # fmt: skip
        send = (
            "from my_project import create_app\n"
            "from my_project.tasks import count_words\n"
            "create_app()\n"
            "print('result:', count_words.delay('four words to count').get(timeout=60))\n"
        )
        with running(worker, log):
            result = flask_env.run("python", "-c", send, cwd=project, env=environment)
            assert_ok(result, "sending the task")
            assert "result: 4" in result.stdout
    assert re.search(r"Task \S+count_words\[[0-9a-f-]+\] succeeded", log.read_text())


@pytest.mark.slow
def test_passkeys_in_a_real_browser(tmp_path: Path, flask_env: ProjectEnv) -> None:
    """Add a passkey from the account page and log in with it, in Chromium with a virtual
    authenticator (fingerprint or PIN: user verification), against gunicorn: the pages'
    JavaScript runs under the production Content-Security-Policy."""
    answers = with_defaults({"signup": False})
    email, password = "ada@example.com", "correct horse battery"
    with contextlib.ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        app = ProductionApp.render(
            "flask",
            tmp_path,
            answers,
            # A passkey belongs to a host name (never an IP address); the browser treats
            # http://localhost as secure, as it would https.
            TRUSTED_HOSTS="localhost",
            EMAIL_URL=inbox.url,
        )
        app.prepare(flask_env)
        app.command(flask_env, "users", "create", "--active", "--password", password, email)
        base = app.start(stack, flask_env).replace("127.0.0.1", "localhost")

        page = stack.enter_context(chromium_with_a_passkey())
        # Script errors, and answers in error (but the favicon the site does not have).
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and not response.url.endswith("/favicon.ico")
                and problems.append(f"{response.status} {response.url}")
            ),
        )

        page.goto(f"{base}/accounts/login/")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("input[type=submit]")
        assert page.url == f"{base}/accounts/"
        page.click("text=Add a passkey")
        page.fill("#name", "laptop")
        page.click("input[value='Add a passkey']")
        page.wait_for_selector("#passkeys")
        assert "laptop" in page.inner_text("#passkeys"), page.content()
        page.goto(f"{base}/accounts/")
        assert "1 passkey." in page.inner_text("main")
        page.click("text=Log out")
        page.goto(f"{base}/accounts/")
        assert page.url.startswith(f"{base}/accounts/login/")

        # No email, no password: the browser offers the passkey it holds for this site.
        page.click("text=Log in with a passkey")
        page.click("input[value='Continue']")
        page.wait_for_url(f"{base}/accounts/")
        assert email in page.inner_text("main")
        assert problems == [], problems
