"""How django-allauth treats this site's accounts (settings.ACCOUNT_ADAPTER)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

# allauth's "Confirmation email sent to <address>" notice.
CONFIRMATION_SENT = "account/messages/email_confirmation_sent.txt"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.SIGNUP_OPEN

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # allauth shows this notice only when it mailed a link, and it mails one address
        # at most once every few minutes: a second sign-up with a registered address
        # would then get no notice, telling anyone that the address is taken. The page
        # after a sign-up says that a link was mailed either way.
        if message_template == CONFIRMATION_SENT:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)
