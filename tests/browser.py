"""Real HTTP to a running server, as a browser makes it: cookies kept and sent back,
forms posted with their CSRF token, redirects returned rather than followed."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any


class Response:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


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
        headers = {
            **({"X-Forwarded-Proto": "https"} if self.behind_tls else {}),
            # The site's own origin, as a browser sends it with a form (Django's CSRF check).
            "Origin": self.base.replace("http://", f"{scheme}://"),
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

    def post(self, path: str, fields: Mapping[str, str], shown: Response) -> Response:
        """Post a form that a page already shown holds, with its CSRF token."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown.text)
        form = {"csrfmiddlewaretoken": token.group(1), **fields} if token else dict(fields)
        return self.request("POST", path, form=form)

    def location(self, response: Response) -> str:
        """Where a redirect points, as a path on this site."""
        return urllib.parse.urlsplit(response.headers["Location"]).path
