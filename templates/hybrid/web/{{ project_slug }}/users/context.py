"""What every page's template may ask about accounts (a context processor)."""

from django.conf import settings
from django.http import HttpRequest


def accounts(request: HttpRequest) -> dict[str, bool]:
    """Whether to offer sign-up (SIGNUP_OPEN can change without a new release)."""
    return {"signup_open": settings.SIGNUP_OPEN}
