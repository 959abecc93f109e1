"""Traces and error reports of a generated hybrid project, from the outside: its gateway,
web app and worker running as in production (gunicorn, JSON logs), with their opt-in
OpenTelemetry traces and Sentry reports sent to a real HTTP server on 127.0.0.1 that
decodes what arrives (OTLP/HTTP protobuf with the opentelemetry-proto package; Sentry
envelopes).

That one request's id is in the gateway's, the web app's and the worker's logs is the
generated project's own end-to-end test (tests/test_end_to_end.py, run by
test_hybrid_template.py), and not repeated here.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
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
from generated import (
    DevelopmentHybrid,
    ProjectEnv,
    confirmed_account,
    project_env,
    project_requirements,
)

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "ada@example.com", "correct horse battery staple"
# A view added to the web app for these tests: it holds a password in a local variable
# when it fails, as a real view could (Sentry must not send local variables).
FAILING_URLS = """
from django.http import HttpRequest
from django.urls import path

from config.urls import urlpatterns as site


def fail(request: HttpRequest) -> None:
    entered = request.POST["password"]  # a name no scrubber knows for a secret
    raise RuntimeError(f"the view failed ({len(entered)} characters)")


urlpatterns = [path("fail/", fail), *site]
"""
FAILING_SETTINGS = """
from config.settings.development import *  # noqa: F403

ROOT_URLCONF = "failing_urls"
"""


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


@dataclass
class Hybrid:
    base: str
    worker: str
    work: Path
    receiver: Receiver
    user_id: str

    def logged_in(self) -> Browser:
        browser = Browser(self.base, behind_tls=False)
        login = browser.submit("/accounts/login/", {"login": EMAIL, "password": PASSWORD})
        assert login.status == 302, login.text[-500:]
        return browser

    def log(self, name: str) -> list[dict[str, Any]]:
        text = (self.work / f"{name}.log").read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hybrid]:
    """The default hybrid project: gateway, web app and worker under gunicorn, sending
    their traces and error reports to one receiver."""
    root = tmp_path_factory.mktemp("observability")
    extra = root / "extra"
    extra.mkdir()
    (extra / "failing_urls.py").write_text(FAILING_URLS)
    (extra / "failing_settings.py").write_text(FAILING_SETTINGS)

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hybrid = DevelopmentHybrid.render(
        root,
        LOG_FORMAT="json",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base,
        # Spans leave within 0.1 s of their end rather than 5 s.
        OTEL_BSP_SCHEDULE_DELAY="100",
        SENTRY_DSN=receiver.base.replace("http://", "http://public-key@") + "/1",
    )
    env: ProjectEnv = project_env(project_requirements(hybrid.project))
    hybrid.manage(env, "migrate")
    made = hybrid.manage(env, "shell", "--verbosity", "0", "-c", confirmed_account(EMAIL, PASSWORD))
    user_id = made.strip().splitlines()[-1]
    with contextlib.ExitStack() as stack:
        stack.callback(receiver.shutdown)
        failing = {"DJANGO_SETTINGS_MODULE": "failing_settings", "PYTHONPATH": str(extra)}
        hybrid.start(stack, env, web_settings=failing)
        yield Hybrid(hybrid.base, hybrid.worker, root, receiver, user_id)


def test_the_web_apps_and_the_workers_spans_share_the_gateways_trace(hybrid: Hybrid) -> None:
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


def failing_post(browser: Browser, password: str) -> Response:
    """POST /fail/ with the form's CSRF token (of the home page's logout form)."""
    home = browser.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text).group(1)
    form = {"csrfmiddlewaretoken": token, "password": password}
    headers = {"Authorization": "Bearer an-api-token-nobody-may-read"}
    return browser.request("POST", "/fail/?token=a-query-secret", form=form, headers=headers)


def test_an_unhandled_error_reaches_sentry_without_cookies_or_passwords(hybrid: Hybrid) -> None:
    browser = hybrid.logged_in()
    password = "a password in a form"
    failed = failing_post(browser, password)
    assert failed.status == 500
    request_id = failed.headers["X-Request-ID"]

    def reported(events: list[dict[str, Any]]) -> bool:
        return any(event.get("tags", {}).get("request_id") == request_id for event in events)

    events = hybrid.receiver.wait_for(hybrid.receiver.events, reported)
    (event,) = [e for e in events if e.get("tags", {}).get("request_id") == request_id]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == f"the view failed ({len(password)} characters)"
    assert event["user"] == {"id": hybrid.user_id}
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/fail/")
    # Nothing of the user's secrets, anywhere in what reached Sentry.
    secrets = [password, PASSWORD, "an-api-token-nobody-may-read", "a-query-secret"]
    secrets += [value for value in browser.cookies.values() if len(value) >= 16]
    assert len(secrets) >= 6  # the session's and the CSRF token's cookies among them
    with hybrid.receiver.lock:
        sent = b"\n".join(hybrid.receiver.envelopes).decode()
    for secret in secrets:
        assert secret not in sent
