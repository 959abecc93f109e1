"""Logging: every record, the app's and its libraries', formatted by structlog and
written to stdout, where containers and process managers collect it.

LOG_FORMAT chooses the shape: "json" (production's default) writes one JSON object per
line, for a log collector to index; "console" (development's) writes readable lines.
Each line has the time (UTC), level, logger and message; while a request is answered,
also its id, method and path, and the user's id once known (request_log.py binds them).

The app's own lines (structlog's loggers, such as the request's line) go straight from
structlog to stdout, one write each; the libraries' records (Django, Flask, gunicorn...)
go through the standard library's logging, whose formatter runs the same processors.
Both obey the standard library's levels (LOG_LEVEL, and any logger set apart).

Secrets never reach a line: a value whose name says it holds one (password, token,
cookie, Authorization, session, CSRF, key, secret...) is replaced by "[redacted]",
however deeply it is nested in what is logged. Request bodies, query strings and
headers are not logged at all.
"""

from __future__ import annotations

import contextlib
import logging.config
import sys
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TextIO

import structlog

FORMATS = ("json", "console")
REDACTED = "[redacted]"
# A name holding one of these (in any case, "-" read as "_") names a secret.
SECRET_WORDS = (
    "authorization",
    "cookie",
    "credential",
    "csrf",
    "dsn",
    "key",
    "passwd",
    "password",
    "secret",
    "session",
    "signature",
    "token",
)


SCALARS = frozenset({str, int, float, bool, type(None)})


# Remembered: every line asks about the same few names (a measurable share of a line's cost).
@lru_cache(maxsize=1024)
def is_secret(name: str) -> bool:
    name = name.lower().replace("-", "_")
    return any(word in name for word in SECRET_WORDS)


def path_without_secrets(path: str, url_values: Mapping[str, Any]) -> str:
    """`path` with the values of the URL parts whose names say they hold a secret (a reset
    link's <token>) replaced by "[redacted]"."""
    for name, value in url_values.items():
        if is_secret(name):
            path = path.replace(str(value), REDACTED)
    return path


def redact(value: Any) -> Any:
    """`value` with every secret in it replaced: in mappings, by the key's name; in
    (name, value) pairs, as headers often come, by the name."""
    if type(value) in SCALARS:  # most of a line: answered before the costlier checks
        return value
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_secret(key) else redact(item)
            for key, item in value.items()
        }
    if type(value) in (list, tuple):  # not their subclasses (named tuples, say)
        if len(value) == 2 and isinstance(value[0], str) and is_secret(value[0]):
            return type(value)((value[0], REDACTED))
        return type(value)(redact(item) for item in value)
    return value


def redact_secrets(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: `redact` over the whole line."""
    return redact(event_dict)


# What every line goes through, whether it comes from structlog or from the standard
# library's logging (Django, Flask, gunicorn and every other library).
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
]


def essentials_first(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: time, level, logger and message lead each JSON line."""
    first = ("timestamp", "level", "logger", "message")
    return {key: event_dict[key] for key in first if key in event_dict} | event_dict


def renderers(log_format: str) -> list[Any]:
    """The processors that turn a line into text, in `log_format`."""
    if log_format == "json":
        return [
            structlog.processors.EventRenamer("message"),
            structlog.processors.format_exc_info,
            essentials_first,
            structlog.processors.JSONRenderer(),
        ]
    if log_format == "console":
        return [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]
    raise RuntimeError(f"LOG_FORMAT is '{log_format}'; expected one of: {', '.join(FORMATS)}")


def logging_settings(
    level: str, log_format: str, loggers: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A logging.config.dictConfig configuration (Django's LOGGING): every record at
    `level` or above to stdout, in `log_format`; `loggers` sets some loggers apart."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *renderers(log_format),
                ],
            },
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "structlog",
            },
        },
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": dict(loggers or {}),
    }


class StdoutLogger:
    """structlog's logger: writes each line to stdout as it was when logging was configured,
    where the standard library's handler writes (a Celery worker later points sys.stdout
    into logging, which must not take these lines again), at the level of the standard
    library's logger of the same name."""

    lock = threading.Lock()  # one line at a time from a worker's threads
    stream: TextIO = sys.stdout  # configure() sets it

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.levels = logging.getLogger(name)

    # What structlog.stdlib.filter_by_level asks of a standard library logger.
    @property
    def disabled(self) -> bool:
        return self.levels.disabled

    def getEffectiveLevel(self) -> int:
        return self.levels.getEffectiveLevel()

    def write(self, line: str) -> None:
        # As in the standard library's handlers, a line that cannot be written (stdout
        # closed) is lost without failing what logged it.
        with self.lock, contextlib.suppress(OSError, ValueError):
            self.stream.write(line + "\n")
            self.stream.flush()

    debug = info = warning = error = critical = exception = write


def configure(settings: dict[str, Any]) -> None:
    """Apply `settings` (from logging_settings), and write structlog's lines with the same
    processors, without the standard library's detour (a LogRecord, the caller's frame, a
    second pass over the processors): half of a request's logging cost.

    Django calls it with LOGGING (the LOGGING_CONFIG setting names it).
    """
    formatter = settings["formatters"]["structlog"]
    from_logging_only = structlog.stdlib.ProcessorFormatter.remove_processors_meta
    StdoutLogger.stream = sys.stdout
    structlog.configure(
        processors=[
            # Lines below the level cost nothing more than this check.
            structlog.stdlib.filter_by_level,
            *formatter["foreign_pre_chain"],
            *(step for step in formatter["processors"] if step is not from_logging_only),
        ],
        logger_factory=StdoutLogger,
        wrapper_class=structlog.stdlib.BoundLogger,
        # Each line follows the configuration of the moment, as the standard library's
        # records do: a later configuration (a test's app, or another app's copy of this
        # module in the same process) reaches loggers made before it. About 3 us a line.
        cache_logger_on_first_use=False,
    )
    logging.config.dictConfig(settings)


def configure_logging(level: str, log_format: str) -> None:
    """Log at `level` or above to stdout, in `log_format` ("json" or "console")."""
    configure(logging_settings(level, log_format))
