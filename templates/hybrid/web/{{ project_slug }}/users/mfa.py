"""Two-factor authentication for staff (settings.MFA_REQUIRED_FOR_STAFF)."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class StaffMFARequiredMiddleware:
    """Sends a staff member without two-factor authentication to turn it on first.

    Staff can change what every user sees; a stolen password alone must not be enough.
    Until it is on, only the pages that turn it on and log out answer them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith(("/accounts/", settings.STATIC_URL))
            and not is_mfa_enabled(user)
        ):
            messages.warning(request, "Staff accounts need two-factor authentication: turn it on.")
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
