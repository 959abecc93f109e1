"""templates/flask: its answer constraints, every pair of options rendered and checked,
and the generated app served by gunicorn over real HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from conftest import TEMPLATES, assert_fits_terminal
from generated import (
    ProjectEnv,
    assert_ok,
    check_lint,
    free_port,
    leftover_jinja,
    project_env,
    render,
    requirements,
    run_project_tests,
    running,
    uncovered_pairs,
    wait_for_http,
)

ALL_FEATURES = ["database", "auth", "forms", "api", "security_headers"]

# Every pair of option values appears in at least one combination (checked by
# test_combinations_cover_every_pair), without breaking a rule of the constraint table.
# Keys left out take the template's default.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything": {"features": ALL_FEATURES, "csrf": "seasurf", "python_version": "3.14"},
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
    "defaults-3.12": {"python_version": "3.12"},
    "forms-only": {"features": ["forms"]},
}


@cache
def flask_questions() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / "flask" / "copier.yml").read_text(encoding="utf-8"))


def feature_requirements() -> dict[str, dict[str, str]]:
    """The constraint table: feature -> {feature it needs: why}."""
    return flask_questions()["flask_feature_requirements"]["default"]


def with_defaults(answers: Mapping[str, Any]) -> dict[str, Any]:
    questions = flask_questions()
    defaults = {name: questions[name]["default"] for name in ("features", "csrf", "python_version")}
    return {**defaults, **answers}


def test_combinations_cover_every_pair() -> None:
    questions = flask_questions()
    assert list(questions["features"]["choices"].values()) == ALL_FEATURES
    options = {name: list(questions[name]["choices"].values()) for name in ("csrf",)}
    options["python_version"] = questions["python_version"]["choices"]
    impossible = {
        tuple(sorted([(f"features:{feature}", True), (f"features:{need}", False)], key=str))
        for feature, needs in feature_requirements().items()
        for need in needs
    }
    combos = [with_defaults(answers) for answers in COMBINATIONS.values()]
    assert uncovered_pairs(combos, options, {"features": ALL_FEATURES}) - impossible == set()
    assert with_defaults(COMBINATIONS["everything"])["features"] == ALL_FEATURES


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
        render("flask", {"features": ALL_FEATURES, "csrf": csrf}, project)
        wanted |= set(requirements(project))
    return project_env(sorted(wanted))


@pytest.mark.slow
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combination(name: str, tmp_path: Path, flask_env: ProjectEnv) -> None:
    project = render("flask", COMBINATIONS[name], tmp_path / "project")
    assert leftover_jinja(project) == []
    check_lint(project, flask_env)
    run_project_tests(project, flask_env)


# --- End to end: gunicorn on 127.0.0.1, a client with a real cookie jar -----------------


@dataclass(frozen=True)
class Page:
    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path

    def form_token(self) -> dict[str, str]:
        """The hidden CSRF field of the page's form, as a browser would submit it."""
        match = re.search(r'<input type="hidden" name="([^"]+)" value="([^"]+)">', self.text)
        assert match, f"no CSRF field in:\n{self.text}"
        return {match.group(1): match.group(2)}

    def meta_token(self) -> str:
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', self.text)
        assert match, "no <meta name=csrf-token>"
        return match.group(1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx comes back as the response, to check where it points


class Browser:
    """A browser behind a TLS-terminating proxy: the proxy's X-Forwarded-Proto tells the
    app the connection is HTTPS, so its cookies are Secure and still sent back here."""

    def __init__(self, base: str) -> None:
        self.base = base
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def request(
        self, method: str, path: str, form: Mapping[str, str] | None = None, **headers: str
    ) -> Page:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("X-Forwarded-Proto", "https")
        # Browsers send the page the form was on; over HTTPS the CSRF check requires it.
        request.add_header("Referer", self.base.replace("http://", "https://") + path)
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, form: Mapping[str, str]) -> Page:
        return self.request("POST", path, form)

    def cookie(self, name: str) -> http.cookiejar.Cookie:
        return next(c for c in self.cookies if c.name == name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["defaults", "everything"])
def test_end_to_end_under_gunicorn(name: str, tmp_path: Path, flask_env: ProjectEnv) -> None:
    answers = with_defaults(COMBINATIONS[name])
    # What CSRFProtect (Flask-WTF) and Flask-SeaSurf answer to a missing token.
    csrf_rejected = {"flask-wtf": 400, "seasurf": 403}[answers["csrf"]]
    project = render("flask", answers, tmp_path / "project")
    slug = "my_project"
    # Production settings, as on a server; the code runs from src/ without installing.
    environment = {
        "APP_ENV": "production",
        "SECRET_KEY": "e2e-" + "x" * 60,
        "TRUSTED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3",
        "PYTHONPATH": str(project / "src"),
        "FLASK_APP": slug,
    }
    assert_ok(flask_env.run("flask", "db", "upgrade", cwd=project, env=environment), "db upgrade")
    created = flask_env.run(
        "flask", "create-user", "grace@example.com", "--password", "grace's long password",
        cwd=project, env=environment,
    )  # fmt: skip
    assert_ok(created, "flask create-user")

    port = free_port()
    log = tmp_path / "gunicorn.log"
    server = flask_env.popen(
        "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", f"{slug}:create_app()",
        cwd=project, env=environment, log=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with running(server, log):
        wait_for_http(f"{base}/healthz", server)
        browser = Browser(base)

        health = browser.get("/healthz")
        assert (health.status, json.loads(health.text)) == (200, {"status": "ok"})
        assert browser.get("/readyz").status == 200

        home = browser.get("/")
        assert home.status == 200
        policy = home.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert home.headers["X-Content-Type-Options"] == "nosniff"
        assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert home.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in home.headers["Permissions-Policy"]
        assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "Secure" in home.headers["Set-Cookie"]

        # A login POST without the form's CSRF token is refused before any password check.
        forged = browser.post("/auth/login", {"email": "grace@example.com", "password": "x"})
        assert forged.status == csrf_rejected

        email, password = "ada@example.com", "correct horse battery"
        form = browser.get("/auth/register").form_token()
        registered = browser.post(
            "/auth/register", {**form, "email": email, "password": password, "confirm": password}
        )
        assert (registered.status, registered.location) == (302, "/auth/login")

        assert browser.get("/auth/profile").location == "/auth/login"
        form = browser.get("/auth/login").form_token()
        logged_in = browser.post("/auth/login", {**form, "email": email, "password": password})
        assert (logged_in.status, logged_in.location) == (302, "/auth/profile")
        profile = browser.get("/auth/profile")
        assert profile.status == 200
        assert email in profile.text
        assert profile.headers["Cache-Control"] == "no-store"
        session = browser.cookie("session")

        logged_out = browser.post("/auth/logout", browser.get("/auth/profile").form_token())
        assert logged_out.status == 302
        assert browser.get("/auth/profile").location == "/auth/login"
        # A copy of the session cookie taken before logout is worthless too.
        thief = Browser(base)
        thief.cookies.set_cookie(session)
        assert thief.get("/auth/profile").location == "/auth/login"

        # The account made with `flask create-user` logs in over HTTP.
        form = browser.get("/auth/login").form_token()
        grace = {**form, "email": "grace@example.com", "password": "grace's long password"}
        assert browser.post("/auth/login", grace).location == "/auth/profile"

        if "api" in answers["features"]:
            # Scripts send the page's token in a header; without it the API refuses.
            assert browser.request("DELETE", "/api/v1/session").status == csrf_rejected
            assert browser.get("/api/v1/me").status == 200
            token = browser.get("/").meta_token()
            assert browser.request("DELETE", "/api/v1/session", X_CSRFToken=token).status == 204
            assert browser.get("/api/v1/me").status == 401

        # Only the host names in TRUSTED_HOSTS are answered.
        assert browser.request("GET", "/", Host="evil.example").status == 400

        missing = browser.get("/no/such/page")
        assert missing.status == 404
        assert "Traceback" not in missing.text
    assert "Traceback" not in log.read_text()
