"""Compile every template as the app starts (production only), before gunicorn forks.

gunicorn imports the app once, in its master process, and forks each worker from it
(`preload_app`): a worker shares the master's memory until it writes to it. Templates
compiled by each worker's first requests are memory of that worker's own; compiled here,
once, every worker shares them (benchmarks/flask: about 2 MiB less of each worker's own
memory). Compiling runs no view: no request, database query, log line or metric.
"""

from __future__ import annotations

from flask import Flask


def compile_templates(app: Flask) -> None:
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
