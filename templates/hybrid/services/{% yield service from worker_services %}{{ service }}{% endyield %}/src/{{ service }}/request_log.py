"""One log line per request, the request id that ties together every line about it, and
the request's count in the metrics.

Each request gets an id: the X-Request-ID header of the proxy in front when
TRUST_REQUEST_ID says that proxy sets it (replacing any a client sent), else a new
random one. The answer carries it back in X-Request-ID, errors included, so that a
user's report of a failure leads to its lines. While the request is answered, every log
line carries the id, the method and the path (the user's id too, once the app knows
it: see `bind_user`); when the answer is ready, one line says how it went: status and
duration in milliseconds. The path is logged without its query string, and with the
values of URL parts whose names say they hold a secret (a reset link's <token>)
replaced by "[redacted]".

Health probes (/healthz, /readyz) get an id too, and their lines are at DEBUG:
orchestrators send them every few seconds. /healthz is answered before the app, and is
not counted.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import structlog
from flask import Flask, request
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from . import metrics
from .logging_config import path_without_secrets

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUEST_ID_HEADER = "X-Request-ID"
# What an id from the proxy may look like: nothing that could forge or break a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The route of a request Flask found no route for (404, 405).
UNMATCHED = "(unmatched)"
PROBES = frozenset({"/healthz", "/readyz"})

log = structlog.get_logger(__name__)


def init_request_log(app: Flask) -> None:
    """Log and count every request to `app`. Call it last in create_app: the middleware
    must be the outermost, to see every answer."""
    app.url_value_preprocessor(bind_route)
    app.wsgi_app = RequestLog(app.wsgi_app, trust_request_id=app.config["TRUST_REQUEST_ID"])


def bind_user(user_id: object) -> None:
    """Name the user in every line of this request from now on (authentication calls it)."""
    bind_contextvars(user_id=str(user_id))


def bind_route(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Flask calls this before any before_request function, found route or not."""
    rule = request.url_rule
    context: dict[str, Any] = {"route": rule.rule if rule else UNMATCHED}
    if (path := path_without_secrets(request.path, values or {})) != request.path:
        context["path"] = path
    bind_contextvars(**context)


class RequestLog:
    """WSGI middleware: the request id, the request's line and its count."""

    def __init__(self, app: WSGIApplication, trust_request_id: bool) -> None:
        self.app = app
        self.trust_request_id = trust_request_id

    def request_id(self, environ: WSGIEnvironment) -> str:
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        if self.trust_request_id and VALID_REQUEST_ID.fullmatch(sent):
            return sent
        return secrets.token_hex(16)  # 128 random bits, as a UUID has

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = self.request_id(environ)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        bind_contextvars(request_id=request_id, method=method, path=path)
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception went through it

        def start_with_id(status_line: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            nonlocal status
            status = int(status_line[:3])
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status_line, headers, *args)

        try:
            return self.app(environ, start_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = get_contextvars().get("route")
            if route is not None:  # else answered before Flask: the liveness probe
                metrics.observe(route, method, status, seconds)
            write = log.debug if path in PROBES else log.info
            write("request", status=status, duration_ms=round(seconds * 1000, 2))
            # Lines written after the request, in this thread, are about no request.
            clear_contextvars()
