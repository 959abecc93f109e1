"""How the API answers errors: JSON of one shape, documented in the OpenAPI schema.

drf-standardized-errors formats every error a view raises (REST_FRAMEWORK's
EXCEPTION_HANDLER) as {"type": ..., "errors": [{"code", "detail", "attr"}]}. This adds
what it leaves to Django: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django would answer
with an HTML page), and addresses under /api/ that match no view (config/urls.py's
handler404).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework.exceptions import NotFound, ParseError

API_PREFIX = "/api/"


class APIExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):
            # Malformed as far as the API is concerned: a 400 like any body it cannot read.
            return ParseError("The request body is larger than the API accepts.")
        return super().convert_known_exceptions(exc)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, or under /api/ the API's own JSON 404."""
    if not request.path.startswith(API_PREFIX):
        return page_not_found(request, exception)
    error = {"code": NotFound.default_code, "detail": str(NotFound.default_detail), "attr": None}
    return JsonResponse({"type": "client_error", "errors": [error]}, status=404)
