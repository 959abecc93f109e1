"""Prometheus metrics of the requests the app answers: how many, and how long each took,
by route, method and status (request_log.py counts each request).

Under gunicorn, each worker process writes its figures to PROMETHEUS_MULTIPROC_DIR and
gunicorn's master serves their sum, with each process's CPU and memory, on a port of
its own, METRICS_PORT (gunicorn.conf.py): the app's port never serves them, so nothing
the public reaches does.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

LABELS = ("route", "method", "status")
# Any other method is counted as "other": a client cannot make new series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# This process's own figures, which tests read. The app's own registry, not the
# library's global one: the hybrid's web app and workers share one in its tests.
REGISTRY = CollectorRegistry()
REQUESTS = Counter("http_requests", "Requests answered.", LABELS, registry=REGISTRY)
DURATION = Histogram(
    "http_request_duration_seconds", "How long answering took.", LABELS, registry=REGISTRY
)


def observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one request to `route` (the route's pattern, never the raw path)."""
    labels = (route, method if method in METHODS else "other", str(status))
    REQUESTS.labels(*labels).inc()
    DURATION.labels(*labels).observe(seconds)
