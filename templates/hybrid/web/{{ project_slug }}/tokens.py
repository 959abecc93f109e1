"""The tokens the gateway hands to the workers: who the user is, signed by this app.

Each is a JWT signed with EdDSA (Ed25519) for one request the gateway let through: its
audience (`aud`) is the worker service, `htm` the HTTP method (the claim's name in
RFC 9449), `sub` the user, and it expires JWT_LIFETIME_SECONDS after it was issued.
What a worker needs to authorize comes with it: `groups` (the user's group names),
`staff` (Django's is_staff), and `amr`, how this session logged in (RFC 8176's names:
"pwd" for a password, "mfa" once a second factor was used too). A
worker accepts only tokens for itself and for the method of the request carrying them:
replayed, a token is good for the same method on the same service by the same user,
until it expires. The workers check it with the public key alone: they can read and
verify tokens, never make one.
"""

from __future__ import annotations

import time
from functools import lru_cache

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "EdDSA"


def issue_token(
    user_id: int, service: str, method: str, *, groups: list[str], staff: bool, used_mfa: bool
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "aud": service,
        "htm": method,
        "groups": groups,
        "staff": staff,
        "amr": ["pwd", "mfa"] if used_mfa else ["pwd"],
        "iat": now,
        "exp": now + settings.JWT_LIFETIME_SECONDS,
    }
    return jwt.encode(claims, signing_key(settings.JWT_PRIVATE_KEY), algorithm=ALGORITHM)


@lru_cache(maxsize=4)
def signing_key(pem: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in `pem`, parsed once.

    Environment variables often hold one-line values: "\\n" stands for a line break.
    """
    try:
        key = load_pem_private_key(pem.replace("\\n", "\n").encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ImproperlyConfigured(
            "JWT_PRIVATE_KEY is not an unencrypted private key in PEM format"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(
            "JWT_PRIVATE_KEY is not an Ed25519 key; make one with "
            "`openssl genpkey -algorithm ed25519`"
        )
    return key
