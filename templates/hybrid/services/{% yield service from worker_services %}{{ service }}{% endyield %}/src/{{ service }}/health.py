"""GET /healthz, answered in front of Flask.

A liveness probe asks only "does the process answer?". Answering it before the Flask
app means probes, which load balancers and orchestrators send every few seconds, cost
almost nothing and depend on nothing: no session, no CSRF token, no rate limit, no
database. Readiness, which does check the database, is /readyz in the main blueprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LIVENESS_PATH = "/healthz"
LIVENESS_BODY = b'{"status":"ok"}\n'
LIVENESS_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(LIVENESS_BODY))),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]


class LivenessCheck:
    """WSGI middleware that answers GET and HEAD /healthz itself; the rest goes to `app`."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == LIVENESS_PATH and environ["REQUEST_METHOD"] in (
            "GET",
            "HEAD",
        ):
            # A list of its own each time: middleware outside this one appends to it
            # (X-Request-ID), and a shared list would grow by one header per probe.
            start_response("200 OK", list(LIVENESS_HEADERS))
            return [LIVENESS_BODY]
        return self.app(environ, start_response)
