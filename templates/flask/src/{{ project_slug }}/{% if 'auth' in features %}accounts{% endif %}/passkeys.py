"""Passkeys as browsers offer them: kept by any authenticator (the computer's own, a
phone, a security key), found by the browser without an email typed in first, and
unlocked by who holds it (fingerprint, face, PIN), so that one makes two factors.

Flask-Security-Too asks for less by default: only roaming authenticators (no laptop's
own), and user verification only if the authenticator offers it.
"""

from __future__ import annotations

from flask_security import UserMixin, WebauthnUtil
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)


class PasskeyUtil(WebauthnUtil):
    def authenticator_selection(
        self, user: UserMixin, usage: str
    ) -> AuthenticatorSelectionCriteria:
        return AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        )

    def user_verification(
        self, user: UserMixin | None, usage: list[str]
    ) -> UserVerificationRequirement:
        return UserVerificationRequirement.REQUIRED
