"""Headers on every answer of the worker, errors included (/healthz sets its own)."""

from __future__ import annotations

from flask import Response


def private_answer(response: Response) -> Response:
    # What a worker answers is for the caller alone: no cache, shared or the browser's,
    # keeps it.
    response.headers["Cache-Control"] = "no-store"
    # A page of another site that opens this one gets no handle on its window.
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response
