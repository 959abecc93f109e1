"""django-axes' hooks (settings AXES_USERNAME_CALLABLE, AXES_CLIENT_IP_CALLABLE and
AXES_LOCKOUT_CALLABLE): who is trying to log in, and what a locked-out attempt gets."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_name(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The email address a login attempt names, however it is given: allauth's form
    posts "login" and authenticates with "email"; Django's own logins pass a "username",
    which is the email address (users/models.py)."""
    given = credentials or {}
    name = given.get("email") or given.get("username") or request.POST.get("login")
    return name.lower() if name else None


def client_address(request: HttpRequest) -> str | None:
    """The connection's address or, with NUM_PROXIES proxies in front, the one the
    nearest of them saw: entries further left in X-Forwarded-For came from the client,
    which can write anything there (the same rule as Django REST Framework's). None for
    a request made in-process (the test client's force_login)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(settings.NUM_PROXIES, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The lockout page, with 429 Too Many Requests.

    In place of django-axes' own answer, which gives XMLHttpRequests a JSON body that
    every other site may read (CORS `*`).
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
