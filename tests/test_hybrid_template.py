"""templates/hybrid: its questions, and each listed project rendered, linted and run.

The generated project's own suite holds the end-to-end checks (real nginx, gunicorn for
the web app and each worker, HTTP through the gateway) and the deployment checks
(Kubernetes schemas, docker-compose): here it runs on this machine, where nginx is
installed, and every one of those checks must pass, none skipped. The one-command
development stack (`honcho start`) runs here too.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from conftest import TEMPLATES, assert_fits_terminal, shared_question_names
from generated import (
    ProjectEnv,
    assert_ok,
    check_lint,
    confirmed_account,
    free_port,
    leftover_jinja,
    project_env,
    project_requirements,
    render,
    running,
    wait_for_http,
)
from servers import PostgreSQLServer, postgresql_server

TEMPLATE = TEMPLATES / "hybrid"
SLUG = "my_project"  # the default answer
# Each combination lists its worker services; keys left out take the template's default.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "one-worker": {},
    "two-workers-postgresql": {
        "worker_services": ["reports", "billing_v2"],
        "python_version": "3.13",
        "signup": False,
        "social_login": ["google", "github", "microsoft", "oidc"],
    },
}
# The generated end-to-end checks, as the issue numbers them: each must run and pass.
END_TO_END_CHECKS = {
    1: "test_anonymous_requests_to_a_worker_are_refused",
    2: "test_a_logged_in_user_reaches_each_worker_as_themselves",
    3: "test_forged_identity_headers_never_reach_a_worker",
    4: "test_the_internal_auth_location_is_not_reachable",
    5: "test_a_post_without_the_csrf_token_is_refused",
    6: "test_after_logout_the_old_cookie_is_refused",
    7: "test_gateway_responses_carry_the_security_headers",
}
# Issue 14's hardening, checked end to end: each must run and pass (none skipped).
HARDENING_CHECKS = {
    1: "test_behind_a_trusted_proxy_the_lockout_keys_on_the_real_client",
    2: "test_the_auth_cache_keys_on_every_cookie_the_web_app_reads",
    3: "test_a_workers_token_is_good_for_its_service_and_method_only",
    4: "test_a_worker_error_in_development_shows_a_traceback_in_the_terminal_only",
    5: "test_bad_json_gets_a_400_from_a_worker",
    9: "test_gateway_responses_carry_the_security_headers",
    10: "test_the_production_gateway_believes_https_from_trusted_proxies_only",
}
# Issue 13's: one request followed through the gateway, the web app and the workers
# (True: once per worker service). Each must run and pass.
OBSERVABILITY_CHECKS = {
    "test_one_request_id_in_the_gateways_the_web_apps_and_the_workers_logs": True,
    "test_the_gateway_logs_no_secret_of_a_mailed_link": False,
    "test_metrics_are_served_beside_each_app_never_through_the_gateway": False,
}
# Checks run once per worker service.
PER_SERVICE = {1, 2, 3, 5}
HARDENING_PER_SERVICE = {5}
DEPLOYMENT_CHECKS = (
    "test_the_kustomization_names_existing_files",
    "test_each_manifest_is_valid_kubernetes",
    "test_the_gateway_is_the_route_in",
    "test_every_app_has_a_deployment_a_service_and_an_autoscaler",
    "test_only_the_gateway_reaches_the_apps",
    "test_docker_compose_publishes_the_gateway_only",
)


# --- The questions ------------------------------------------------------------------------


@cache
def copier_config() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in yaml.safe_load_all((TEMPLATE / "copier.yml").read_text(encoding="utf-8")):
        merged.update(document or {})
    return merged


def hybrid_questions() -> dict[str, dict[str, Any]]:
    """The template's own questions and computed values (outside the shared blocks)."""
    text = (TEMPLATE / "copier.yml").read_text(encoding="utf-8")
    own = yaml.safe_load(text.split("# ---- End of common questions ----", 1)[1])
    return {k: v for k, v in own.items() if k not in shared_question_names(TEMPLATE, "accounts")}


def services(answers: Mapping[str, Any]) -> list[str]:
    return list(answers.get("worker_services", copier_config()["worker_services"]["default"]))


def test_every_hybrid_question_is_asked_for_hybrid_only_with_its_own_help() -> None:
    questions = hybrid_questions()
    assert "worker_services" in questions
    for name, spec in questions.items():
        if spec.get("when") is False:  # a computed value: never asked, never stored
            assert name.startswith("hybrid_"), f"{name}: prefix computed values with hybrid_"
            continue
        assert spec["when"] == "{{ framework == 'hybrid' }}", name
        assert spec["help"].strip()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("reports", "give a list, such as [reports]"),
        ("[]", "give a list, such as [reports]"),
        ("{reports: 1}", "give a list, such as [reports]"),
        ("[reports, reports]", "'reports' is listed twice"),
        ("[Reports]", "'Reports': use a-z, 0-9, _"),
        ("[reports, billing-v2]", "'billing-v2': use a-z, 0-9, _"),
        ("[2fa]", "'2fa': use a-z, 0-9, _"),
        ("[flask]", "'flask' is a module name"),
        ("[config]", "'config' is a module name"),
        ("[web]", "'web' is a module name"),
        ("[my_project]", "'my_project' names the web app"),
    ],
)
def test_copier_refuses_bad_worker_services_with_the_reason(
    answer: str, reason: str, tmp_path: Path
) -> None:
    refusal = "Validation error for question 'worker_services'"
    with pytest.raises(ValueError, match=refusal) as refused:
        copier.run_copy(
            str(TEMPLATE),
            str(tmp_path / "project"),
            data={"worker_services": yaml.safe_load(answer)},
            defaults=True,
            quiet=True,
        )
    assert str(refused.value) == f"{refusal}: {reason}"
    assert_fits_terminal(refused.value)
    assert not (tmp_path / "project").exists()


def test_the_gateway_trusts_no_proxy_by_default(tmp_path: Path) -> None:
    """The image's trusted-proxies.conf names no network: with nothing in front (docker
    compose), no client may speak for another through X-Forwarded-For or -Proto."""
    project = render("hybrid", {}, tmp_path / "project")
    config = (project / "gateway" / "trusted-proxies.conf").read_text()
    directives = [
        line.strip() for line in config.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert directives == [
        "geo $realip_remote_addr $from_trusted_proxy {",
        "default 0;",
        "}",
    ]
    assert "trusted-proxies.conf" in (project / "gateway" / "Dockerfile").read_text()


# --- Rendered projects ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def hybrid_env(tmp_path_factory: pytest.TempPathFactory) -> ProjectEnv:
    """One environment for every combination (built once per run)."""
    project = render(
        "hybrid",
        COMBINATIONS["two-workers-postgresql"],
        tmp_path_factory.mktemp("requirements") / "project",
    )
    return project_env(project_requirements(project))


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgreSQLServer]:
    with postgresql_server() as server:
        yield server


def junit_outcomes(junit: Path) -> dict[str, list[str]]:
    """{test function: the outcome of each of its cases} from a JUnit XML report."""
    outcomes: dict[str, list[str]] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        function = case.get("name", "").split("[")[0]
        tags = {child.tag for child in case}
        if "skipped" in tags:
            outcome = "skipped"
        else:
            outcome = "failed" if tags & {"failure", "error"} else "passed"
        outcomes.setdefault(function, []).append(outcome)
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combination(
    name: str, tmp_path: Path, hybrid_env: ProjectEnv, request: pytest.FixtureRequest
) -> None:
    answers = COMBINATIONS[name]
    workers = services(answers)
    project = render("hybrid", answers, tmp_path / "project")
    assert leftover_jinja(project) == []
    assert sorted(p.name for p in (project / "services").iterdir()) == sorted(workers)
    check_lint(project, hybrid_env)

    environment = {}
    if name.endswith("postgresql"):
        # The web app's suite on the production database.
        server: PostgreSQLServer = request.getfixturevalue("postgresql")
        environment["DATABASE_URL"] = server.url(name.replace("-", "_"))
    junit = tmp_path / "junit.xml"
    result = hybrid_env.run(
        "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
        cwd=project, env=environment,
    )  # fmt: skip
    assert_ok(result, f"the generated test suite ({environment or 'SQLite'})")

    outcomes = junit_outcomes(junit)
    for number, check in END_TO_END_CHECKS.items():
        runs = len(workers) if number in PER_SERVICE else 1
        assert outcomes.get(check) == ["passed"] * runs, f"end-to-end check {number}: {check}"
    for number, check in HARDENING_CHECKS.items():
        runs = len(workers) if number in HARDENING_PER_SERVICE else 1
        assert outcomes.get(check) == ["passed"] * runs, f"issue 14, item {number}: {check}"
    for check, per_service in OBSERVABILITY_CHECKS.items():
        runs = len(workers) if per_service else 1
        assert outcomes.get(check) == ["passed"] * runs, f"issue 13: {check}"
    for check in DEPLOYMENT_CHECKS:
        assert outcomes.get(check) == ["passed"], check
    skipped = [test for test, results in outcomes.items() if "skipped" in results]
    assert skipped == []


# --- The one command of the README, on this machine -----------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def request(self, path: str, form: Mapping[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        if data is not None:
            request.add_header("Origin", self.base)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.mark.slow
def test_one_command_runs_every_process_with_a_shared_development_key_pair(
    tmp_path: Path, hybrid_env: ProjectEnv
) -> None:
    """`honcho start` with the Procfile: nginx, Django's and Flask's development servers.
    The web app and the workers find no key pair, make one at the same moment, and
    agree on it: a logged-in user reaches every worker."""
    workers = services(COMBINATIONS["two-workers-postgresql"])
    project = render("hybrid", COMBINATIONS["two-workers-postgresql"], tmp_path / "project")
    # The apps' code without installing it (the README's command installs it).
    sources = [project / "web", *(project / "services" / w / "src" for w in workers)]
    ports = {"PORT": free_port(), "WEB_PORT": free_port()}
    ports |= {f"{worker.upper()}_PORT": free_port() for worker in workers}
    environment = {
        **{key: str(port) for key, port in ports.items()},
        "PYTHONPATH": os.pathsep.join(map(str, sources)),
    }
    create_user = confirmed_account("ada@example.com", "a long password")
    web = project / "web"
    assert_ok(hybrid_env.run("python", "manage.py", "migrate", cwd=web, env=environment), "migrate")
    shell = ["python", "manage.py", "shell", "--verbosity", "0", "-c", create_user]
    created = hybrid_env.run(*shell, cwd=web, env=environment)
    assert_ok(created, "creating a user")
    user_id = created.stdout.strip()
    # Loading development settings made the key pair: start as on a fresh checkout.
    shutil.rmtree(project / ".secrets" / "jwt")

    log = tmp_path / "honcho.log"
    honcho = hybrid_env.popen(
        "honcho", "start", "--port", str(ports["PORT"]), cwd=project, env=environment, log=log
    )
    base = f"http://127.0.0.1:{ports['PORT']}"
    with running(honcho, log):
        # The gateway answers (502) before the web app does: wait for the web app's 200.
        wait_for_http(f"{base}/healthz", honcho)
        deadline = time.monotonic() + 60
        while Browser(base).request("/healthz")[0] != 200:
            assert honcho.poll() is None and time.monotonic() < deadline, "no web app"
            time.sleep(0.2)
        for worker in workers:
            wait_for_http(f"http://127.0.0.1:{ports[f'{worker.upper()}_PORT']}/healthz", honcho)
        browser = Browser(base)
        status, page = browser.request("/accounts/login/")
        # The login form's token (the page's passkey form carries the same one).
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {
            "csrfmiddlewaretoken": token,
            "login": "ada@example.com",
            "password": "a long password",
        }
        assert browser.request("/accounts/login/", form)[0] == 302
        for worker in workers:
            status, body = browser.request(f"/api/{worker}/whoami")
            assert (status, json.loads(body)) == (200, {"service": worker, "user_id": user_id})
    assert sorted(p.name for p in (project / ".secrets" / "jwt").iterdir()) == [
        "private.pem",
        "public.pem",
    ]
