"""The gateway's question before every request to a worker: who is calling?

nginx (auth_request) sends a subrequest here with the original request's headers, its
method and URI in X-Original-Method and X-Original-URI, and the worker service it is for
in X-Worker-Service. The answer:

- 401 when nobody is logged in;
- 403 when the original request would change state (POST, PUT, PATCH, DELETE) without
  the CSRF token of a page of this site in its X-CSRFToken header, or comes from
  another site (Origin): Django's own CSRF checks, applied to the original request; and
  when no valid service name came with it;
- 204 otherwise, with the user's id in X-Auth-User-Id and a short-lived token in
  X-Auth-Token (tokens.py), good for that service and that method only, saying the
  user's groups and whether the login used a second factor; the gateway passes both
  on, in place of anything the client sent.
"""

from __future__ import annotations

import copy
import re

from allauth.account.authentication import get_authentication_records
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from .tokens import issue_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# A worker service's name, as the template's questions allow it.
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Django's CSRF checks, run by hand against the original request (see below).
csrf_checks = CsrfViewMiddleware(lambda request: HttpResponse())


# csrf_exempt: the subrequest itself is a GET, which the CSRF middleware would accept and
# mark as checked; the view runs the checks against the original method instead.
@csrf_exempt
@never_cache
@require_safe
def verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    method = request.headers.get("X-Original-Method", request.method).upper()
    if method not in SAFE_METHODS and csrf_rejects(request, method):
        return HttpResponse(status=403)
    service = request.headers.get("X-Worker-Service", "")
    if not SERVICE_NAME.fullmatch(service):
        return HttpResponse(status=403)
    response = HttpResponse(status=204)
    response["X-Auth-User-Id"] = str(request.user.pk)
    response["X-Auth-Token"] = issue_token(request.user, service, method, used_mfa(request))
    return response


def used_mfa(request: HttpRequest) -> bool:
    """Whether this session's login included a second factor (allauth records how)."""
    records = get_authentication_records(request, request.user)
    return any(record["method"] == "mfa" for record in records)


def csrf_rejects(request: HttpRequest, method: str) -> bool:
    """Whether Django's CSRF protection refuses the request, were it made with `method`.

    The token comes from the X-CSRFToken header (the gateway never passes the body),
    checked against the CSRF cookie; the Origin, when sent, must be this site's.
    """
    original = copy.copy(request)
    original.method = method
    return csrf_checks.process_view(original, None, (), {}) is not None
