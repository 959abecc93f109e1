"""Who is calling: the user named in the token the gateway adds to every request.

Before each request to a worker, the gateway asks the web app who the user is; for a
logged-in user the web app answers with a token, which the gateway passes on in the
X-Auth-Token header: a JWT signed with EdDSA (Ed25519), for this service (its audience)
and the request's method (`htm`), valid for a few seconds (JWT_LIFETIME_SECONDS in the
web app). This module checks it with the web app's public key and refuses, with 401,
every request without a valid one: a request that went around the gateway, or one whose
token is missing, expired, for another service or another method, signed with another
key, or not signed at all ("alg": "none"). Views call `current_user()` (or
`current_user_id()`), and `@require_group(name)` refuses, with 403, a user outside a group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, abort, current_app, g, request

from .request_log import bind_user

TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 (the name of a header, not a token)
# The only algorithm accepted: never the one a token names in its own header.
ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "htm", "groups", "staff", "amr"]


@dataclass(frozen=True)
class User:
    """The web app's user a request comes from, as its token describes them."""

    id: str
    groups: frozenset[str]
    staff: bool
    # Whether their login used a second factor (two-factor authentication).
    used_mfa: bool


def init_auth(app: Flask) -> None:
    """Check the token of every request to `app`, with the key from its settings."""
    app.extensions["token_public_key"] = load_public_key(app.config["JWT_PUBLIC_KEY"])
    app.before_request(authenticate)


def load_public_key(pem: str) -> Ed25519PublicKey:
    """The Ed25519 public key in `pem` ("\\n" may stand for a line break).

    Refuses a private key: a worker must never hold one.
    """
    pem = pem.replace("\\n", "\n")
    if "PRIVATE KEY" in pem:
        raise RuntimeError(
            "JWT_PUBLIC_KEY holds a private key: give the worker the public key only"
        )
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as error:
        raise RuntimeError("JWT_PUBLIC_KEY is not a public key in PEM format") from error
    if not isinstance(key, Ed25519PublicKey):
        raise RuntimeError("JWT_PUBLIC_KEY is not an Ed25519 key")
    return key


def authenticate() -> None:
    """Refuse the request (401) unless its token is valid; remember whom it names."""
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        abort(401, description="Log in first: requests reach this service through the gateway.")
    try:
        claims = jwt.decode(
            token,
            current_app.extensions["token_public_key"],
            algorithms=ALGORITHMS,
            audience=current_app.config["JWT_AUDIENCE"],
            leeway=current_app.config["JWT_LEEWAY_SECONDS"],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        current_app.logger.warning("Refused a token: %s", error)
        abort(401, description="The token is not valid.")
    if claims["htm"] != request.method:
        # A token the gateway got for, say, a GET, on a POST sent around the gateway
        # (and around its CSRF check).
        current_app.logger.warning("Refused a token for %s on a %s", claims["htm"], request.method)
        abort(401, description="The token is not valid.")
    g.user = User(
        id=claims["sub"],
        groups=frozenset(claims["groups"]),
        staff=claims["staff"] is True,
        used_mfa="mfa" in claims["amr"],
    )
    bind_user(g.user.id)


def current_user() -> User:
    """The web app's user this request comes from."""
    return g.user


def current_user_id() -> str:
    return g.user.id


def require_group(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator: only members of the web app's group `name` get past it (403)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if name not in current_user().groups:
                abort(403, description=f"This needs membership of the group '{name}'.")
            return view(*args, **kwargs)

        return checked

    return decorator
