"""The account page, from which a user changes their password and sets up two-factor login.

Every other account page (sign-up, login, reset, two-factor) is Flask-Security-Too's,
shown with this project's templates (templates/security/).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_security import auth_required, current_user

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


@bp.get("/")
@auth_required("session")
def account() -> str:
    return render_template("accounts/account.html")


@bp.after_app_request
def never_cache_for_logged_in_users(response: Response) -> Response:
    """A page shown to a logged-in user holds their data: no cache keeps it (a proxy's, or
    the browser's on a shared computer, whose back button would show it after logout).
    Static files are the same for everyone, and stay cacheable."""
    if current_user.is_authenticated and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
