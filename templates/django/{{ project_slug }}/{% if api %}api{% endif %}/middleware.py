"""API answers are for the caller alone: no cache, shared or the browser's, may keep them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from .errors import API_PREFIX


def never_cache_api(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Cache-Control: no-store (and the rest of never_cache) on every answer under /api/,
    errors included."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.path.startswith(API_PREFIX):
            add_never_cache_headers(response)
        return response

    return middleware
