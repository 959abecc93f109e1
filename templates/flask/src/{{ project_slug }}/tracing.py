"""Traces, with OpenTelemetry, only when OTEL_EXPORTER_OTLP_ENDPOINT is set: without it,
`init_tracing` does nothing and OpenTelemetry is not even imported.

Each request becomes a span, sent over OTLP/HTTP to the endpoint (a collector, or any
backend that takes OTLP: Jaeger, Tempo, Honeycomb...). A request that carries a W3C
`traceparent` header continues that trace: behind the hybrid's gateway, an app's spans
join the trace the gateway starts for each request. A span is named by its method and
route ("GET /reset/<token>"), by its method alone when no route matched (a 404: as
OpenTelemetry's conventions say, else each URL a scanner tries would be a new name).
Every log line written during a traced request carries its trace_id. Spans show the
request's URL as the logs do (request_log.py): without its query string, and with the
values of URL parts whose names say they hold a secret (a reset link's <token>) replaced
by "[redacted]": a trace backend is no place for them. The SDK reads the other OTEL_*
variables itself (OTEL_SERVICE_NAME, by default the app's package name;
OTEL_EXPORTER_OTLP_HEADERS; OTEL_TRACES_SAMPLER...).
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from flask import Flask
from structlog.contextvars import bind_contextvars, get_contextvars

from .logging_config import REDACTED
from .request_log import UNMATCHED

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span


def init_tracing(app: Flask) -> None:
    if not app.config["OTEL_EXPORTER_OTLP_ENDPOINT"]:
        return
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(
        app,
        tracer_provider=tracer_provider(app.name),
        request_hook=log_trace_id,
        response_hook=show_request_as_logged,
    )


@cache
def tracer_provider(default_name: str) -> TracerProvider:
    """The process's one provider, made by the first app (tests make several)."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or default_name
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    # Spans leave in batches, from a thread of the SDK's (started again in each process
    # gunicorn forks).
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def log_trace_id(span: Span, environ: object) -> None:
    bind_contextvars(trace_id=format(span.get_span_context().trace_id, "032x"))


def show_request_as_logged(span: Span | None, status: str, headers: object) -> None:
    """As the answer starts, name a span no route matched by its method alone, and replace
    the URL the instrumentation took from the request with the path the logs show
    (request_log.py binds it), in whichever semantic conventions it follows
    (OTEL_SEMCONV_STABILITY_OPT_IN): http.target is the path and query string, url.path
    and url.query their newer names."""
    if span is None:  # the instrumentation warns of it
        return
    context = get_contextvars()
    if context.get("route") == UNMATCHED:
        # The instrumentation named it "<method> <path>"; "HTTP" for an unknown method.
        span.update_name(span.name.partition(" ")[0])
    path = context["path"]
    attributes = getattr(span, "attributes", None) or {}  # none on a span not recorded
    for name, value in (("http.target", path), ("url.path", path), ("url.query", REDACTED)):
        if name in attributes:
            span.set_attribute(name, value)
