"""Health checks for load balancers and orchestrators (no login needed)."""

import logging

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers.

    It checks nothing else, so that a database outage makes instances unready (readyz)
    instead of getting them restarted.
    """
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every configured database answers a query."""
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            # The details go to the log, not to whoever asked.
            logger.exception("Readiness check failed: database %r is unreachable", alias)
            return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
