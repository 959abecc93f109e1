"""Real HTTP to a running server, as a browser makes it: cookies kept and sent back,
forms posted with their CSRF token, redirects returned rather than followed."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page


class Response:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        """Where a redirect points, as a path on the site ("" if it is not one)."""
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path

    def form_token(self) -> dict[str, str]:
        """The hidden CSRF field of the page's form, as a browser would submit it."""
        match = re.search(r'<input type="hidden" name="([^"]+)" value="([^"]+)">', self.text)
        assert match, f"no CSRF field in:\n{self.text}"
        return {match.group(1): match.group(2)}

    def meta_token(self) -> str:
        """The CSRF token a page gives its scripts, for them to send in a header."""
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', self.text)
        assert match, "no <meta name=csrf-token>"
        return match.group(1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """One real HTTP request, with `data` as JSON or `form` as a browser sends a form;
    redirects and error statuses are returned, not followed."""
    body, all_headers = None, {}
    if data is not None:
        body, all_headers = json.dumps(data).encode(), {"Content-Type": "application/json"}
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(
        url, data=body, method=method, headers={**all_headers, **(headers or {})}
    )
    try:
        with _opener.open(request, timeout=30) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


class Browser:
    """One visitor of a site served over plain HTTP, by default behind a TLS-terminating
    proxy: every request then says X-Forwarded-Proto: https, as the proxy would, and
    cookies marked Secure are sent back all the same."""

    def __init__(self, base: str, behind_tls: bool = True) -> None:
        self.base = base
        self.behind_tls = behind_tls
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        scheme = "https" if self.behind_tls else "http"
        origin = self.base.replace("http://", f"{scheme}://")
        headers = {
            **({"X-Forwarded-Proto": "https"} if self.behind_tls else {}),
            # The site's own origin and the page a form was on, as a browser sends them
            # (Django's CSRF check reads the first, Flask-WTF's over HTTPS the second).
            "Origin": origin,
            "Referer": origin + path,
            **kwargs.pop("headers", {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = fetch(f"{self.base}{path}", method=method, headers=headers, **kwargs)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if value.strip('"'):
                self.cookies[name] = value
            else:  # emptied: the server deleted it
                self.cookies.pop(name, None)
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def submit(self, path: str, fields: Mapping[str, str], page: str | None = None) -> Response:
        """Open the page at `path` (or `page`, if given) and post its form to `path`."""
        shown = self.get(page or path)
        assert shown.status == 200, f"GET {page or path}: {shown.status}"
        return self.post(path, fields, shown)

    def post(self, path: str, fields: Mapping[str, str], shown: Response | None = None) -> Response:
        """Post a form: with the CSRF token of the page `shown`, if given, else as is."""
        pattern = r'name="csrfmiddlewaretoken" value="([^"]+)"'
        token = re.search(pattern, shown.text) if shown else None
        form = {"csrfmiddlewaretoken": token.group(1), **fields} if token else dict(fields)
        return self.request("POST", path, form=form)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and without the background requests this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-sync", "--disable-background-networking", "--disable-component-update",
]  # fmt: skip
# A platform authenticator (fingerprint or PIN) holding discoverable passkeys: it
# verifies its user, and says yes at once.
VIRTUAL_PASSKEY = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@contextlib.contextmanager
def chromium_with_a_passkey(headers: Mapping[str, str] | None = None) -> Iterator[Page]:
    """A page in Debian's Chromium, driven by Playwright, whose authenticator can make and
    use passkeys (WebAuthn needs the page's JavaScript and an authenticator); `headers`
    go with every request, as a proxy in front would add them."""
    if not Path(CHROMIUM).is_file():
        pytest.skip("needs Chromium (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(extra_http_headers=dict(headers or {})).new_page()
            authenticator = page.context.new_cdp_session(page)
            authenticator.send("WebAuthn.enable")
            authenticator.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_PASSKEY})
            yield page
        finally:
            browser.close()
