"""Error reports to Sentry, only when SENTRY_DSN is set: without it, `init_sentry` does
nothing and the Sentry SDK is not even imported.

Every unhandled exception is reported with the request's id and the user's id, and
nothing else about the user: no IP address, cookies or request bodies of users
(send_default_pii off), no local variables of the failing code (they hold whatever the
code held: form fields, addresses), no query string, the request's or its Referer's
(tokens travel there); and, as in the logs, every value whose name says it is a secret,
anywhere in a report, is replaced by "[redacted]". The SDK reads SENTRY_ENVIRONMENT and
SENTRY_RELEASE itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from structlog.contextvars import get_contextvars

from .logging_config import redact


def init_sentry(dsn: str) -> None:
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.scrubber import EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        include_local_variables=False,
        # Sentry's own list of sensitive names, applied however deeply they are nested.
        event_scrubber=EventScrubber(recursive=True),
        before_send=before_send,
    )


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Name the request and the user by their ids, and take out what could be secret."""
    context = get_contextvars()
    event.pop("user", None)
    if "user_id" in context:
        event["user"] = {"id": context["user_id"]}
    if "request_id" in context:
        event.setdefault("tags", {})["request_id"] = context["request_id"]
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("query_string", None)
        # The page a form was on (Referer) may have carried a token in its query too.
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name, value in headers.items():
                if name.lower() == "referer" and isinstance(value, str):
                    headers[name] = urlsplit(value)._replace(query="").geturl()
        # The path as the logs show it, secret URL parts replaced (request_log.py).
        if "url" in request and "path" in context:
            request["url"] = urlsplit(request["url"])._replace(path=context["path"]).geturl()
    return redact(event)
