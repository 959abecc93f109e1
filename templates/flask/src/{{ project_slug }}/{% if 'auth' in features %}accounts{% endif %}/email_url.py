"""EMAIL_URL: where the app's mail goes, as one URL, read into Flask-Mailman's settings.

The scheme names are django-environ's, so the same variable works in a Django project:

    smtp://user:password@host:port      SMTP, plain (or STARTTLS if the server insists)
    smtp+tls://user:password@host:587   SMTP with STARTTLS (also spelled smtps://)
    smtp+ssl://user:password@host:465   SMTP over TLS from the first byte
    consolemail://                      print each mail to the console (development)
    filemail:///path/to/folder          write each mail to a file in that folder
    memorymail://                       keep mail in memory (tests read `mail.outbox`)
    dummymail://                        send nothing

Characters with a meaning in URLs (@ : / %) in the user name or password are
%-escaped, e.g. `urllib.parse.quote(password, safe="")`. Without a port, smtplib's
default applies (25; 465 for smtp+ssl).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

SMTP_SCHEMES = {
    "smtp": {},
    "smtps": {"MAIL_USE_TLS": True},
    "smtp+tls": {"MAIL_USE_TLS": True},
    "smtp+ssl": {"MAIL_USE_SSL": True},
}
# Flask-Mailman's names for its other backends.
OTHER_BACKENDS = {
    "consolemail": "console",
    "filemail": "file",
    "memorymail": "locmem",
    "dummymail": "dummy",
}


def mail_settings(url: str) -> dict[str, Any]:
    """Flask-Mailman's MAIL_* settings for an EMAIL_URL; ValueError for a URL it cannot use."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in OTHER_BACKENDS:
        settings: dict[str, Any] = {"MAIL_BACKEND": OTHER_BACKENDS[scheme]}
        if scheme == "filemail":
            if not parts.path:
                raise ValueError("EMAIL_URL filemail:// needs a folder, e.g. filemail:///tmp/mail")
            settings["MAIL_FILE_PATH"] = unquote(parts.path)
        return settings
    if scheme not in SMTP_SCHEMES:
        known = ", ".join(f"{name}://" for name in [*SMTP_SCHEMES, *OTHER_BACKENDS])
        raise ValueError(f"EMAIL_URL has the scheme '{scheme}://'; expected one of: {known}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("EMAIL_URL has a port that is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise ValueError(f"EMAIL_URL names no host, e.g. {scheme}://user:password@mail.example.com")
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": port,
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        **SMTP_SCHEMES[scheme],
    }
