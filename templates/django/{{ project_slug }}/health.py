"""Health checks for load balancers and orchestrators (no login needed)."""

import logging

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
# How long readiness waits for Redis before calling it unreachable, in seconds.
REDIS_TIMEOUT = 2


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers.

    It checks nothing else, so that a database outage makes instances unready (readyz)
    instead of getting them restarted.
    """
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every configured database answers a query, and Redis, when Celery's
    broker is one, answers a PING."""
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            # The details go to the log, not to whoever asked.
            logger.exception("Readiness check failed: database %r is unreachable", alias)
            return JsonResponse({"status": "unavailable"}, status=503)
    broker = getattr(settings, "CELERY_BROKER_URL", "")
    if broker.startswith(("redis://", "rediss://")) and not redis_answers(broker):
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def redis_answers(url: str) -> bool:
    import redis  # installed with Celery's Redis support, which sets CELERY_BROKER_URL

    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError:
        logger.exception("Readiness check failed: Redis (the Celery broker) is unreachable")
        return False
    finally:
        client.close()
    return True
