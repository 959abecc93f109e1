"""API tokens: a password (and a two-factor code) for a token that expires, and is
revoked on logout or when the password changes."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import password_changed, password_reset
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import authenticate
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

REFUSED = "Unable to log in with the credentials provided."


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, for tokens younger than API_TOKEN_LIFETIME."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if timezone.now() - token.created > settings.API_TOKEN_LIFETIME:
            token.delete()
            raise AuthenticationFailed("The token has expired; ask for a new one.")
        return user, token


class TokenRequestSerializer(serializers.Serializer):
    """What a client sends for a token; the same answer for every refusal, whether the
    address has an account or not."""

    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, write_only=True)
    code = serializers.CharField(
        required=False, help_text="A two-factor code, for an account that has it on."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        user = authenticate(request, email=attrs["email"], password=attrs["password"])
        if user is None or not self._may_have_a_token(user, attrs.get("code")):
            raise serializers.ValidationError(REFUSED, code="authorization")
        attrs["user"] = user
        return attrs

    @staticmethod
    def _may_have_a_token(user: Any, code: str | None) -> bool:
        if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not (
            EmailAddress.objects.filter(user=user, verified=True).exists()
        ):
            return False
        if is_mfa_enabled(user):
            return bool(code) and AuthenticateForm(user=user, data={"code": code}).is_valid()
        # Staff without two-factor authentication get no token: they must turn it on.
        return not (settings.MFA_REQUIRED_FOR_STAFF and user.is_staff)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires = serializers.DateTimeField(read_only=True)


def issue_token(user: Any) -> Token:
    """The user's current token, or a new one when it has expired."""
    token, _ = Token.objects.get_or_create(user=user)
    if timezone.now() - token.created > settings.API_TOKEN_LIFETIME:
        token.delete()
        token = Token.objects.create(user=user)
    return token


@receiver(password_changed)
@receiver(password_reset)
def revoke_tokens(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new password logs every API client out, as it logs out every session."""
    Token.objects.filter(user=user).delete()
