"""Prometheus metrics of the requests the app answers: how long each took, by route,
method and status, in a histogram whose `_count` counts them (request_log.py counts
each request).

Under gunicorn, each worker process writes its figures to PROMETHEUS_MULTIPROC_DIR and
gunicorn's master serves their sum, with each process's CPU and memory, on a port of
its own, METRICS_PORT (gunicorn.conf.py): the app's port never serves them, so nothing
the public reaches does.
"""

from __future__ import annotations

from functools import lru_cache

from prometheus_client import CollectorRegistry, Histogram

LABELS = ("route", "method", "status")
# Any other method is counted as "other": a client cannot make new series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# This process's own figures, which tests read. The app's own registry, not the
# library's global one: the hybrid's web app and workers share one in its tests.
REGISTRY = CollectorRegistry()
DURATION = Histogram(
    "http_request_duration_seconds", "How long answering took.", LABELS, registry=REGISTRY
)


# Remembered: the library's lookup of a series by its labels costs more than counting.
# Bounded, since routes are patterns and methods and statuses are few.
@lru_cache(maxsize=4096)
def series(route: str, method: str, status: int) -> Histogram:
    return DURATION.labels(route, method, str(status))


def observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one request to `route` (the route's pattern, never the raw path)."""
    series(route, method if method in METHODS else "other", status).observe(seconds)
