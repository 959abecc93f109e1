"""Traces and error reports of generated projects, from the outside, with their opt-in
OpenTelemetry traces and Sentry reports sent to a real HTTP server on 127.0.0.1 that
decodes what arrives (OTLP/HTTP protobuf with the opentelemetry-proto package; Sentry
envelopes): the hybrid's gateway, web app and worker running as in development (gunicorn,
JSON logs), and the Flask template (default answers, accounts on) and the Django
template each under gunicorn with production settings.

That one request's id is in the gateway's, the web app's and the worker's logs is the
generated project's own end-to-end test (tests/test_end_to_end.py, run by
test_hybrid_template.py), and not repeated here.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from browser import Browser, Response
from conftest import on_one_worker
from generated import (
    DevelopmentHybrid,
    ProductionApp,
    ProjectEnv,
    confirmed_account,
    project_env,
    project_requirements,
    requirements,
)

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "ada@example.com", "correct horse battery staple"
# Views added to the apps for these tests: each holds a password in a local variable when
# it fails, as a real view could (Sentry must not send local variables), at /fail/.
FAILING_DJANGO_URLS = """
from django.http import HttpRequest
from django.urls import path

from config.urls import urlpatterns as site


def fail(request: HttpRequest) -> None:
    entered = request.POST["password"]  # a name no scrubber knows for a secret
    raise RuntimeError(f"the view failed ({len(entered)} characters)")


urlpatterns = [path("fail/", fail), *site]
"""
# The project's settings of the given kind, with the URLs above.
FAILING_DJANGO_SETTINGS = """
from config.settings.{kind} import *  # noqa: F403

ROOT_URLCONF = "failing_urls"
"""
FAILING_FLASK_APP = """
from flask import Flask, request

from my_project import create_app as create_site


def create_app() -> Flask:
    app = create_site()

    @app.post("/fail/")
    def fail() -> None:
        entered = request.form["password"]  # a name no scrubber knows for a secret
        raise RuntimeError(f"the view failed ({len(entered)} characters)")

    return app
"""
# A route of each app with a secret in its path (the key of a mailed confirmation link),
# as the framework names it (allauth's is a regular expression), for its spans to be
# named by the route; its path with an unknown key (the page says the link is invalid),
# and the same path as the logs show it.
KEY = "a-key-from-a-mail"
CONFIRMATION = "/accounts/confirm-email/{}/"
ROUTED = {
    "flask": "/accounts/confirm-email/<token>/",
    "django": r"accounts/confirm-email/(?P<key>[-:\w]+)/$",
}
# The top-level packages of the opt-in observability, and each project's modules that
# import them when turned on.
OPT_IN = ("opentelemetry", "sentry_sdk")
OPT_IN_SETUP = {
    "flask": {"my_project.tracing", "my_project.sentry"},
    "django": {"config.tracing", "my_project.sentry"},
}
# The cookies a logged-in visitor holds that are secrets: the session's and the CSRF
# token's (Flask-WTF keeps its token in the session).
SECRET_COOKIES = {"hybrid": {"sessionid", "csrftoken"}, "django": {"sessionid", "csrftoken"}}
SECRET_COOKIES["flask"] = {"session"}


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP traces endpoint (POST /v1/traces) and a Sentry project's envelope
    endpoint (POST /api/<project>/envelope/) in one, keeping what arrives."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.spans: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        # Every Sentry request's body, decompressed: nothing secret may be anywhere in it.
        self.envelopes: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_for(
        self, kept: list[dict[str, Any]], wanted: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with self.lock:
                found = list(kept)
            if wanted(found):
                return found
            time.sleep(0.1)
        raise AssertionError(f"nothing awaited arrived in 30 s; got {found}")


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            self.send_error(415, f"no {encoding} here")
            return
        if self.path == "/v1/traces":
            spans = spans_of(body)
            with self.server.lock:
                self.server.spans.extend(spans)
        elif re.fullmatch(r"/api/\d+/envelope/", self.path):
            events = events_of(body)
            with self.server.lock:
                self.server.envelopes.append(body)
                self.server.events.extend(events)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def spans_of(body: bytes) -> list[dict[str, Any]]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    {
                        "service": resource["service.name"],
                        "name": span.name,
                        "kind": span.kind,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "attributes": {
                            a.key: a.value.string_value or a.value.int_value
                            for a in span.attributes
                        },
                    }
                )
    return spans


def events_of(envelope: bytes) -> list[dict[str, Any]]:
    """The error events of a Sentry envelope: a header line, then items, each a header
    line and a payload (of the header's length, else up to the next newline)."""
    _, _, rest = envelope.partition(b"\n")
    events = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] :].lstrip(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        if header.get("type") == "event":
            events.append(json.loads(payload))
    return events


def reporting_to(receiver: Receiver) -> dict[str, str]:
    """The settings that turn traces and error reports on, sending them to `receiver`."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base,
        # Spans leave within 0.1 s of their end rather than 5 s.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "SENTRY_DSN": receiver.base.replace("http://", "http://public-key@") + "/1",
    }


def imported(log: Path) -> set[str]:
    """The modules a server's processes imported, as PYTHONPROFILEIMPORTTIME=1 has the
    interpreter write them to its log."""
    text = log.read_text(errors="replace")
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", text, re.MULTILINE))


@dataclass
class Site:
    """A running generated project, as its visitors reach it, reporting to `receiver`."""

    framework: str
    base: str
    # Whether the site believes itself behind a TLS-terminating proxy (production).
    behind_tls: bool
    # The login form's fields for the one account, besides the CSRF token.
    credentials: dict[str, str]
    user_id: str
    # Where each process's log is (<name>.log).
    logs: Path
    receiver: Receiver
    # The rendered project run as on a server, and its environment (Flask and Django).
    app: ProductionApp | None = None
    env: ProjectEnv | None = None
    # The worker service behind the gateway (the hybrid).
    worker: str | None = None

    def browser(self) -> Browser:
        return Browser(self.base, self.behind_tls)

    def logged_in(self) -> Browser:
        browser = self.browser()
        form = browser.get("/accounts/login/").form_token()
        login = browser.post("/accounts/login/", {**form, **self.credentials})
        assert login.status == 302, login.text[-500:]
        return browser

    def log(self, name: str) -> list[dict[str, Any]]:
        text = (self.logs / f"{name}.log").read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """One receiver for every project of this module: each test finds its own trace or
    request by its id."""
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    yield receiver
    receiver.shutdown()


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Site]:
    """The default hybrid project: gateway, web app and worker under gunicorn, sending
    their traces and error reports to the receiver."""
    root = tmp_path_factory.mktemp("observability")
    extra = root / "extra"
    extra.mkdir()
    (extra / "failing_urls.py").write_text(FAILING_DJANGO_URLS)
    (extra / "failing_settings.py").write_text(FAILING_DJANGO_SETTINGS.format(kind="development"))

    hybrid = DevelopmentHybrid.render(root, LOG_FORMAT="json", **reporting_to(receiver))
    env: ProjectEnv = project_env(project_requirements(hybrid.project))
    hybrid.manage(env, "migrate")
    made = hybrid.manage(env, "shell", "--verbosity", "0", "-c", confirmed_account(EMAIL, PASSWORD))
    user_id = made.strip().splitlines()[-1]
    credentials = {"login": EMAIL, "password": PASSWORD}
    with contextlib.ExitStack() as stack:
        failing = {"DJANGO_SETTINGS_MODULE": "failing_settings", "PYTHONPATH": str(extra)}
        hybrid.start(stack, env, web_settings=failing)
        yield Site(
            "hybrid", hybrid.base, False, credentials, user_id, root, receiver, worker=hybrid.worker
        )


def production_site(framework: str, root: Path, receiver: Receiver) -> Iterator[Site]:
    """The default `framework` project under gunicorn with production settings, with a
    view that fails at /fail/, sending its traces and error reports to the receiver. The
    interpreter names every module it imports in the log (PYTHONPROFILEIMPORTTIME)."""
    app = ProductionApp.render(framework, root)
    extra = root / "extra"
    extra.mkdir()
    if framework == "django":
        (extra / "failing_urls.py").write_text(FAILING_DJANGO_URLS)
        (extra / "failing_settings.py").write_text(
            FAILING_DJANGO_SETTINGS.format(kind="production")
        )
        failing = {"DJANGO_SETTINGS_MODULE": "failing_settings", "PYTHONPATH": str(extra)}
        failing_app, credentials = app.app, {"login": EMAIL, "password": PASSWORD}
    else:
        (extra / "failing_app.py").write_text(FAILING_FLASK_APP)
        failing = {"PYTHONPATH": f"{extra}{os.pathsep}{app.environment['PYTHONPATH']}"}
        failing_app, credentials = (
            "failing_app:create_app()",
            {"email": EMAIL, "password": PASSWORD},
        )
    env: ProjectEnv = project_env(requirements(app.project))
    app.prepare(env)
    user_id = app.confirmed_account(env, EMAIL, PASSWORD)
    with contextlib.ExitStack() as stack:
        base = app.start(
            stack, env, app=failing_app, PYTHONPROFILEIMPORTTIME="1",
            **failing, **reporting_to(receiver),
        )  # fmt: skip
        yield Site(framework, base, True, credentials, user_id, root, receiver, app=app, env=env)


@pytest.fixture(scope="module")
def flask_site(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Site]:
    yield from production_site("flask", tmp_path_factory.mktemp("flask"), receiver)


@pytest.fixture(scope="module")
def django_site(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Site]:
    yield from production_site("django", tmp_path_factory.mktemp("django"), receiver)


@pytest.fixture(params=on_one_worker("observability", "flask", "django"))
def site(request: pytest.FixtureRequest) -> Site:
    """The Flask or the Django project."""
    return request.getfixturevalue(f"{request.param}_site")


@pytest.fixture(params=on_one_worker("observability", "hybrid", "flask", "django"))
def any_site(request: pytest.FixtureRequest) -> Site:
    """The hybrid, the Flask or the Django project."""
    return request.getfixturevalue(
        "hybrid" if request.param == "hybrid" else f"{request.param}_site"
    )


@pytest.mark.xdist_group("observability-hybrid")
def test_the_web_apps_and_the_workers_spans_share_the_gateways_trace(hybrid: Site) -> None:
    """The gateway starts a trace whose id is the request's, and both the identity check
    and the worker's answer join it, as children of the gateway's span; a client's own
    traceparent is ignored."""
    path = f"/api/{hybrid.worker}/whoami"
    chosen = f"00-{'ab' * 16}-{'cd' * 8}-01"
    response = hybrid.logged_in().request("GET", path, headers={"traceparent": chosen})
    assert response.status == 200
    request_id = response.headers["X-Request-ID"]

    def of_the_request(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [span for span in spans if span["trace_id"] == request_id]

    def both(spans: list[dict[str, Any]]) -> bool:
        return {span["service"] for span in of_the_request(spans)} == {"web", hybrid.worker}

    spans = of_the_request(hybrid.receiver.wait_for(hybrid.receiver.spans, both))
    assert not [span for span in hybrid.receiver.spans if span["trace_id"] == "ab" * 16]
    (verify,) = [span for span in spans if span["service"] == "web"]
    (answer,) = [span for span in spans if span["service"] == hybrid.worker]
    for span in (verify, answer):
        assert span["kind"] == Span.SPAN_KIND_SERVER
        # The gateway's span: the first half of its request id (gateway/http.conf).
        assert span["parent_span_id"] == request_id[:16]
    assert verify["attributes"]["http.route"] == "auth/verify/"
    assert answer["attributes"]["http.route"] == path
    # The apps' log lines about the request name its trace.
    for name in ("web", hybrid.worker):
        lines = [line for line in hybrid.log(name) if line.get("request_id") == request_id]
        assert lines and all(line.get("trace_id") == request_id for line in lines), name


def test_a_requests_traceparent_is_continued_by_a_span_named_by_its_route(site: Site) -> None:
    """A request carrying a W3C traceparent (from a proxy or a calling service) makes a
    server span in that trace, a child of the caller's span, named by the route rather
    than the path (which holds a key here); the span has the URL as the logs show it, the
    key hidden and no query string; the request's log lines name the trace."""
    route = ROUTED[site.framework]
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    traceparent = f"00-{trace_id}-{parent_id}-01"
    path = CONFIRMATION.format(KEY) + "?token=a-query-secret"
    response = site.browser().request("GET", path, headers={"traceparent": traceparent})
    assert response.status < 500
    request_id = response.headers["X-Request-ID"]

    def of_the_trace(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [span for span in spans if span["trace_id"] == trace_id]

    (span,) = of_the_trace(site.receiver.wait_for(site.receiver.spans, of_the_trace))
    assert span["kind"] == Span.SPAN_KIND_SERVER
    assert span["parent_span_id"] == parent_id
    assert span["service"] == "my_project"
    assert span["name"] == f"GET {route}"
    assert span["attributes"]["http.route"] == route
    assert span["attributes"]["http.target"] == CONFIRMATION.format("[redacted]")
    assert KEY not in str(span) and "a-query-secret" not in str(span)
    lines = [line for line in site.log("gunicorn") if line.get("request_id") == request_id]
    assert lines and all(line.get("trace_id") == trace_id for line in lines)


def test_a_request_no_route_matches_makes_a_span_named_by_its_method_alone(site: Site) -> None:
    """A 404's span is named "GET", as OpenTelemetry's conventions say, not by the URL a
    scanner tried: each would be a new span name."""
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    path = f"/no-such-page-{secrets.token_hex(4)}/"
    response = site.browser().request("GET", path, headers={"traceparent": traceparent})
    assert response.status == 404

    def of_the_trace(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [span for span in spans if span["trace_id"] == trace_id]

    (span,) = of_the_trace(site.receiver.wait_for(site.receiver.spans, of_the_trace))
    assert span["name"] == "GET"
    assert "http.route" not in span["attributes"]


def test_without_their_settings_opentelemetry_and_sentry_are_not_even_imported(
    site: Site,
) -> None:
    """The same project, started again without OTEL_EXPORTER_OTLP_ENDPOINT and SENTRY_DSN,
    serves pages without ever importing either SDK, in the master or in a worker; the
    running site, with them, imported both (the check sees them)."""
    assert site.app and site.env
    with contextlib.ExitStack() as stack:
        base = site.app.start(stack, site.env, name="plain", PYTHONPROFILEIMPORTTIME="1")
        plain = Site(site.framework, base, True, site.credentials, site.user_id, site.logs,
                     site.receiver)  # fmt: skip
        assert plain.logged_in().get(CONFIRMATION.format(KEY)).status < 500
    without = imported(site.logs / "plain.log")
    assert {"gunicorn", site.framework, *OPT_IN_SETUP[site.framework]} <= without
    assert not {name for name in without if name.split(".")[0] in OPT_IN}
    with_them = {name.split(".")[0] for name in imported(site.logs / "gunicorn.log")}
    assert set(OPT_IN) <= with_them


def failing_post(browser: Browser, password: str, csrf: dict[str, str]) -> Response:
    """POST /fail/ with the password and the CSRF token in the form, a bearer token and a
    secret in the query string."""
    form = {**csrf, "password": password}
    headers = {"Authorization": "Bearer an-api-token-nobody-may-read"}
    return browser.request("POST", "/fail/?token=a-query-secret", form=form, headers=headers)


def test_an_unhandled_error_reaches_sentry_without_cookies_or_passwords(any_site: Site) -> None:
    site = any_site
    browser = site.logged_in()
    password = "a password in a form"
    # The CSRF token of the home page's logout form.
    csrf = browser.get("/").form_token()
    failed = failing_post(browser, password, csrf)
    assert failed.status == 500
    request_id = failed.headers["X-Request-ID"]

    def reported(events: list[dict[str, Any]]) -> bool:
        return any(event.get("tags", {}).get("request_id") == request_id for event in events)

    events = site.receiver.wait_for(site.receiver.events, reported)
    (event,) = [e for e in events if e.get("tags", {}).get("request_id") == request_id]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == f"the view failed ({len(password)} characters)"
    # The user by id alone: no e-mail address, name or IP address.
    assert event["user"] == {"id": site.user_id}
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/fail/")
    # Nothing of the user's secrets, anywhere in what reached Sentry.
    assert SECRET_COOKIES[site.framework] <= set(browser.cookies)
    kept = [password, PASSWORD, "an-api-token-nobody-may-read", "a-query-secret"]
    kept += [*csrf.values(), *(browser.cookies[name] for name in SECRET_COOKIES[site.framework])]
    with site.receiver.lock:
        sent = b"\n".join(site.receiver.envelopes).decode()
    for secret in kept:
        assert secret not in sent
    assert EMAIL not in sent
