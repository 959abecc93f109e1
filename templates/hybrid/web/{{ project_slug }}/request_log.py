"""One log line per request, the request id that ties together every line about it, and
the request's count in the metrics: the first middleware in MIDDLEWARE.

Each request gets an id: the X-Request-ID header of the proxy in front when
TRUST_REQUEST_ID says that proxy sets it (replacing any a client sent), else a new
random one. The answer carries it back in X-Request-ID, errors included, so that a
user's report of a failure leads to its lines. While the request is answered, every log
line carries the id, the method and the path, and, once the URL is resolved, the
route and the user's id; when the answer is ready, one line says how it went: status
and duration in milliseconds. The path is logged without its query string, and with
the values of URL parts whose names say they hold a secret (a reset link's <key>)
replaced by "[redacted]".

Health probes (/healthz, /readyz) are logged at DEBUG: orchestrators send them every
few seconds.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from . import metrics
from .logging_config import path_without_secrets

REQUEST_ID_HEADER = "X-Request-ID"
# What an id from the proxy may look like: nothing that could forge or break a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The route of a request no view answered: a static file (whitenoise), or no URL matched.
STATIC, UNMATCHED = "(static)", "(unmatched)"
PROBES = frozenset({"/healthz", "/readyz"})

log = structlog.get_logger(__name__)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trust_request_id = settings.TRUST_REQUEST_ID
        self.static_url = settings.STATIC_URL

    def request_id(self, request: HttpRequest) -> str:
        sent = request.META.get("HTTP_X_REQUEST_ID", "")  # not request.headers: it reads them all
        if self.trust_request_id and VALID_REQUEST_ID.fullmatch(sent):
            return sent
        return secrets.token_hex(16)  # 128 random bits, as a UUID has

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = self.request_id(request)
        bind_contextvars(request_id=request_id, method=request.method, path=request.path)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            # API token users are known only now: REST framework authenticates in the view.
            bind_user(request)
            self.record(request, response.status_code, seconds)
            return response
        finally:
            # Cleared after the request, not before: OpenTelemetry's middleware, outside
            # this one, binds the trace's id first (config/tracing.py).
            clear_contextvars()

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> None:
        """The URL is resolved: name the route, hide the URL's secrets, name the user."""
        name_route(request, kwargs)
        bind_user(request)

    def record(self, request: HttpRequest, status: int, seconds: float) -> None:
        route = get_contextvars().get("route")
        if route is None:
            route = STATIC if request.path.startswith(self.static_url) else UNMATCHED
        metrics.observe(route, request.method or "", status, seconds)
        write = log.debug if request.path in PROBES else log.info
        write("request", status=status, duration_ms=round(seconds * 1000, 2))


def name_route(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Name the request's route (its URL pattern) in every line of it from now on and in
    its metrics, with the values of the URL's parts that hold a secret hidden in its path."""
    context = {"route": "/" + (request.resolver_match.route if request.resolver_match else "")}
    if (path := path_without_secrets(request.path, kwargs)) != request.path:
        context["path"] = path
    bind_contextvars(**context)


def bind_user(request: HttpRequest) -> None:
    """Name the logged-in user in every line of this request from now on."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        bind_contextvars(user_id=str(user.pk))
