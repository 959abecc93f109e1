"""The gateway's question before every request to a worker: who is calling?

nginx (auth_request) sends a subrequest here with the original request's headers, its
method and URI in X-Original-Method and X-Original-URI, and the worker service it is for
in X-Worker-Service. The answer:

- 401 when nobody is logged in;
- 403 when the original request would change state (POST, PUT, PATCH, DELETE) without
  the CSRF token of a page of this site in its X-CSRFToken header, or comes from
  another site (Origin): Django's own CSRF checks, applied to the original request; when
  no valid service name came with it; and for staff who have yet to turn on the
  two-factor authentication MFA_REQUIRED_FOR_STAFF asks of them;
- 204 otherwise, with the user's id in X-Auth-User-Id and a short-lived token in
  X-Auth-Token (tokens.py), good for that service and that method only, saying the
  user's groups and whether the login used a second factor; the gateway passes both
  on, in place of anything the client sent.

Asked before every request to a worker, it does no more than that answer needs: it runs
ahead of the rest of the middleware (VerifyFirstMiddleware). The first time a process
sees a session, Django loads and checks the session and its user, as for a page. For the
next RECHECK_SECONDS, a single query checks that the session is still stored and
unexpired, and that its user is still active, with the same password and staff status,
reads the user's groups and whether they have two-factor authentication: a logout, a
deactivated account, a changed password or a staff member's authenticator removed is
refused on the very next request, and the groups are always current. One thing found by
the full check is relied on for up to RECHECK_SECONDS: whether the session's login used
a second factor (which only a new login, with a new session, or a reauthentication can
change). A token made for a session, service and method is handed out again, while it
says the same, for half a token's lifetime (7.5 s by default).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import Group
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from structlog.contextvars import bind_contextvars

from config.tracing import name_span_route

from .request_log import name_route
from .tokens import issue_token
from .users.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# A worker service's name, as the template's questions allow it.
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# What Django's session keys look like (no other cookie value is looked up below).
SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")
# Django's CSRF checks, run by hand against the original request (see below).
csrf_checks = CsrfViewMiddleware(lambda request: HttpResponse())
# Sessions live in the database (Django's default engine).
sessions = import_module(settings.SESSION_ENGINE).SessionStore


# How long a process relies on what a session's full check found besides what a single
# query checks again on every request: how the session logged in (a second factor or
# not). Each process checks each session in full once per RECHECK_SECONDS, at about 2 ms
# against 0.3 ms for the single query: at 60 s, with 2000 sessions, 2 processes and 450
# requests a second, that was one request in seven.
RECHECK_SECONDS = 600
# What never_cache would set, without its cost on every answer (the auth cache in the
# gateway ignores it: routes.conf).
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@dataclass(frozen=True)
class CheckedSession:
    """What the full check of a session found (Django's, as for a page)."""

    user_id: int
    # The user's password (hashed, as stored) that the session's login matched: Django
    # ends a session once its user's password changes (HASH_SESSION_KEY).
    password: str
    staff: bool
    used_mfa: bool


@dataclass(frozen=True)
class Caller:
    """Who is calling, as this request's check found: what a token says."""

    session: CheckedSession
    groups: tuple[str, ...]
    # Staff without the two-factor authentication MFA_REQUIRED_FOR_STAFF asks of them.
    mfa_missing: bool


# Per process, by session key: sessions fully checked in the last RECHECK_SECONDS, and
# the tokens made in the last half of a token's lifetime, by session, service and
# method. A revocation never depends on them: the session and its user are checked
# against the database on every request, so a process need not learn of a logout
# handled by another.
checked_sessions = LocMemCache(
    "verify-sessions", {"TIMEOUT": RECHECK_SECONDS, "OPTIONS": {"MAX_ENTRIES": 20_000}}
)
issued_tokens = LocMemCache("verify-tokens", {"OPTIONS": {"MAX_ENTRIES": 20_000}})


class VerifyFirstMiddleware:
    """Answers /auth/verify/ before the middleware after it runs: sessions, messages,
    CSRF (verify runs the checks itself), content security policy, allauth's and
    axes's, none of which its answer needs. Place it right after SecurityMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path = reverse("auth-verify")
        self.match = resolve(self.path)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.path:
            # The middleware name a request's route in process_view, which Django runs
            # after the whole chain: named here for the log line, metrics and trace.
            request.resolver_match = self.match
            name_route(request, {})
            name_span_route(request, self.match.route)
            return verify(request)
        return self.get_response(request)


# csrf_exempt: the subrequest itself is a GET, which the CSRF middleware would accept and
# mark as checked; the view runs the checks against the original method instead.
@csrf_exempt
@require_safe
def verify(request: HttpRequest) -> HttpResponse:
    request.get_host()  # refuses a Host not in ALLOWED_HOSTS, as CommonMiddleware does
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    caller = known_caller(key) or check_caller(request, key)
    if caller is None:
        return answer(401)
    bind_contextvars(user_id=str(caller.session.user_id))  # in the request's log line
    # From META, not request.headers, which would read every header first.
    method = request.META.get("HTTP_X_ORIGINAL_METHOD", request.method).upper()
    if method not in SAFE_METHODS and csrf_rejects(request, method):
        return answer(403)
    service = request.META.get("HTTP_X_WORKER_SERVICE", "")
    if not SERVICE_NAME.fullmatch(service) or caller.mfa_missing:
        return answer(403)
    response = answer(204)
    response["X-Auth-User-Id"] = str(caller.session.user_id)
    response["X-Auth-Token"] = token_for(caller, key, service, method)
    return response


def answer(status: int) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Cache-Control"] = NO_STORE
    return response


def known_caller(key: str) -> Caller | None:
    """The caller, from a session this process fully checked recently, if one query
    finds it still valid: the session stored and unexpired, its user active, with the
    password it logged in with and staff or not as then; with the user's groups and
    whether they have two-factor authentication."""
    session = checked_sessions.get(key) if SESSION_KEY.fullmatch(key) else None
    if session is None:
        return None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(caller_query(), [session.user_id, key, now])
        found = cursor.fetchall()
    if not found:
        checked_sessions.delete(key)
        return None
    password, staff, mfa_enabled, _ = found[0]
    if staff != session.staff or not constant_time_compare(password, session.password):
        return None  # checked again in full
    groups = tuple(sorted(group for *_, group in found if group is not None))
    mfa_missing = settings.MFA_REQUIRED_FOR_STAFF and staff and not mfa_enabled
    return Caller(session, groups, bool(mfa_missing))


# known_caller's query: the user's password, staff status, whether they have an
# authenticator (allauth's is_mfa_enabled) and group names (a row per group), if the
# user is active and the session stored and unexpired. In SQL rather than
# through the ORM, which spent most of this view's time building the same SQL again for
# every request. caller_query() fills in the tables' and columns' names from the models;
# the values (%s) are always query parameters.
CALLER_QUERY = (
    "SELECT u.{password}, u.{is_staff},"
    " EXISTS (SELECT 1 FROM {mfa_table} a WHERE a.{mfa_user} = u.{user_id}), g.{name}"
    " FROM {user_table} u"
    " LEFT JOIN {member_table} m ON m.{member_user} = u.{user_id}"
    " LEFT JOIN {group_table} g ON g.{group_id} = m.{member_group}"
    " WHERE u.{user_id} = %s AND u.{is_active} AND EXISTS (SELECT 1 FROM {session_table} s"
    " WHERE s.{session_key} = %s AND s.{expire_date} > %s)"
)


@cache
def caller_query() -> str:
    quote = connection.ops.quote_name
    user, group = User._meta, Group._meta
    member = User.groups.through._meta
    stored = sessions.get_model_class()._meta
    mfa = Authenticator._meta

    def column(meta: Options, field: str) -> str:
        return quote(meta.get_field(field).column)

    return CALLER_QUERY.format(
        password=column(user, "password"),
        is_staff=column(user, "is_staff"),
        is_active=column(user, "is_active"),
        name=column(group, "name"),
        user_table=quote(user.db_table),
        user_id=quote(user.pk.column),
        member_table=quote(member.db_table),
        member_user=column(member, "user"),
        member_group=column(member, "group"),
        group_table=quote(group.db_table),
        group_id=quote(group.pk.column),
        mfa_table=quote(mfa.db_table),
        mfa_user=column(mfa, "user"),
        session_table=quote(stored.db_table),
        session_key=column(stored, "session_key"),
        expire_date=column(stored, "expire_date"),
    )


def check_caller(request: HttpRequest, key: str) -> Caller | None:
    """The session and its user, loaded and checked by Django as for a page (which ends
    a session whose user is inactive or changed their password), and the user's groups."""
    request.session = sessions(key or None)
    user = get_user(request)
    if not user.is_authenticated:
        return None
    session = CheckedSession(
        user_id=user.pk,
        password=user.password,
        staff=user.is_staff,
        used_mfa=any(r["method"] == "mfa" for r in get_authentication_records(request, user)),
    )
    if request.session.session_key == key:  # not moved to a new key (SECRET_KEY_FALLBACKS)
        checked_sessions.set(key, session)
    groups = tuple(sorted(user.groups.values_list("name", flat=True)))
    mfa_missing = settings.MFA_REQUIRED_FOR_STAFF and user.is_staff and not is_mfa_enabled(user)
    return Caller(session, groups, mfa_missing)


def token_for(caller: Caller, key: str, service: str, method: str) -> str:
    """The token this process made for the session, service and method in the last half
    of a token's lifetime, if it says the same; else a new one."""
    issued = issued_tokens.get(f"{key}:{service}:{method}")
    if issued is not None and issued[0] == caller:
        return issued[1]
    session = caller.session
    token = issue_token(
        session.user_id,
        service,
        method,
        groups=list(caller.groups),
        staff=session.staff,
        used_mfa=session.used_mfa,
    )
    if SESSION_KEY.fullmatch(key):
        lifetime = settings.JWT_LIFETIME_SECONDS
        issued_tokens.set(f"{key}:{service}:{method}", (caller, token), timeout=lifetime / 2)
    return token


def csrf_rejects(request: HttpRequest, method: str) -> bool:
    """Whether Django's CSRF protection refuses the request, were it made with `method`.

    The token comes from the X-CSRFToken header (the gateway never passes the body),
    checked against the CSRF cookie; the Origin, when sent, must be this site's.
    """
    original = copy.copy(request)
    original.method = method
    return csrf_checks.process_view(original, None, (), {}) is not None
