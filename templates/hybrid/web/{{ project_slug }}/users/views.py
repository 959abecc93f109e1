"""The answer to a login attempt that django-axes has locked out."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The lockout page, with 429 Too Many Requests.

    Set as AXES_LOCKOUT_CALLABLE in place of django-axes' own answer, which gives
    XMLHttpRequests a JSON body that every other site may read (CORS `*`).
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
