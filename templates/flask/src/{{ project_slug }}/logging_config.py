"""Logging for the app's processes: every record to stdout, in one plain format."""

from __future__ import annotations

import logging.config


def configure_logging(level: str) -> None:
    """Log to stdout, where containers and process managers collect output."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            },
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "plain",
                },
            },
            "root": {"level": level, "handlers": ["stdout"]},
        }
    )
