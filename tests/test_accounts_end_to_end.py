"""Accounts from the outside, driven over real HTTP the way a browser drives them, with
mail through a real SMTP server on 127.0.0.1 and two-factor codes computed as an
authenticator app computes them: on a generated Django project under gunicorn in
production settings, and on a hybrid project through its nginx gateway (the web app and
a worker under gunicorn, development settings as `honcho start` has them).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest

from browser import Browser, chromium_with_a_passkey
from conftest import on_one_worker
from generated import (
    DevelopmentHybrid,
    ProductionApp,
    ProjectEnv,
    confirmed_account,
    free_port,
    project_env,
    project_requirements,
    requirements,
)
from servers import SMTPServer, smtp_server, text_of

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different long passphrase"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as server:
        yield server


@dataclass(frozen=True)
class Site:
    # The template; its sites' addresses are in a domain of their own, so that the tests
    # of both, sharing one SMTP server, read their own mail.
    name: str
    base: str
    # The hybrid's web app runs in development settings: plain HTTP, no TLS proxy.
    behind_tls: bool
    # Where the rate limits count requests (a file cache both servers share).
    cache: Path
    # A worker service reached through the gateway, for the hybrid.
    worker: str | None = None

    def forget_rate_limits(self) -> None:
        """Empty the counts, as the minutes they cover passing would."""
        shutil.rmtree(self.cache, ignore_errors=True)

    def browser(self) -> Browser:
        return Browser(self.base, self.behind_tls)

    def address(self, person: str) -> str:
        return f"{person}@{self.name}.example.com"

    @property
    def existing(self) -> str:
        """An account made by the site's staff (no sign-up: no mail has gone to it yet)."""
        return self.address("grace")


def _django_site(root: Path, smtp: SMTPServer) -> Iterator[Site]:
    """The default Django project under gunicorn, in production settings (its hosts
    include localhost, for the browser test: WebAuthn takes no IP address for a site)."""
    app = ProductionApp.render(
        "django",
        root,
        EMAIL_URL=smtp.url,
        DEFAULT_FROM_EMAIL="site@example.com",
        # One cache for both gunicorn workers, where the rate limits count requests.
        CACHE_URL=f"filecache://{root / 'cache'}",
    )
    env: ProjectEnv = project_env(requirements(app.project))
    app.prepare(env)
    port = free_port()
    site = Site("django", f"http://127.0.0.1:{port}", True, root / "cache")
    app.confirmed_account(env, site.existing, PASSWORD)
    with contextlib.ExitStack() as stack:
        # The browser test's pages are plain HTTP to the site, which believes itself
        # behind TLS: their origin must be trusted by name.
        trusted = site.base.replace("127.0.0.1", "localhost")
        app.start(stack, env, port=port, WEB_CONCURRENCY="2", CSRF_TRUSTED_ORIGINS=trusted)
        yield site


def _hybrid_site(root: Path, smtp: SMTPServer) -> Iterator[Site]:
    """The default hybrid project: its gateway in front of the web app and the worker."""
    hybrid = DevelopmentHybrid.render(
        root, EMAIL_URL=smtp.url, CACHE_URL=f"filecache://{root / 'cache'}"
    )
    env: ProjectEnv = project_env(project_requirements(hybrid.project))
    site = Site("hybrid", hybrid.base, False, root / "cache", hybrid.worker)
    # Development settings make the key pair the web app and the worker share.
    hybrid.manage(env, "migrate")
    hybrid.manage(env, "shell", "-c", confirmed_account(site.existing, PASSWORD))
    with contextlib.ExitStack() as stack:
        hybrid.start(stack, env)
        yield site


@pytest.fixture(scope="module", params=on_one_worker("accounts", "django", "hybrid"))
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: SMTPServer
) -> Iterator[Site]:
    make = _django_site if request.param == "django" else _hybrid_site
    yield from make(tmp_path_factory.mktemp(request.param), smtp)


def link_in(message) -> str:
    """The path of the link to this site in a mail (the body is plain text)."""
    url = re.search(r"https?://\S+", text_of(message)).group(0)
    return urllib.parse.urlsplit(url).path


def logged_in(browser: Browser) -> bool:
    return "Log out</button>" in browser.get("/").text


def sign_up(browser: Browser, email: str, password: str = PASSWORD):
    fields = {"email": email, "password1": password, "password2": password}
    return browser.submit("/accounts/signup/", fields)


def log_in(browser: Browser, email: str, password: str):
    return browser.submit("/accounts/login/", {"login": email, "password": password})


def test_an_account_from_sign_up_to_a_reset_password(site: Site, smtp: SMTPServer) -> None:
    browser, email = site.browser(), site.address("ada")

    # Sign up, then confirm the address by the mailed link (a page that asks, then a POST).
    signed_up = sign_up(browser, email)
    assert (signed_up.status, signed_up.location) == (302, "/accounts/confirm-email/")
    confirm = link_in(smtp.wait_for(email, "confirm"))
    assert browser.submit(confirm, {}).status == 302
    assert log_in(browser, email, PASSWORD).status == 302
    assert logged_in(browser)

    # Turn on an authenticator app: the password again, then a code from the app.
    asked = browser.get("/accounts/2fa/totp/activate/")
    assert asked.location == "/accounts/reauthenticate/"
    reauthenticated = browser.submit(
        asked.headers["Location"], {"password": PASSWORD}, page=asked.headers["Location"]
    )
    assert reauthenticated.status == 302
    page = browser.get("/accounts/2fa/totp/activate/")
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.text).group(1)
    app = pyotp.TOTP(secret)
    activated = browser.post("/accounts/2fa/totp/activate/", {"code": app.now()}, page)
    assert activated.location == "/accounts/2fa/recovery-codes/"
    codes_page = browser.get("/accounts/2fa/recovery-codes/").text
    recovery_codes = re.search(r'id="recovery_codes"\s*>([^<]+)<', codes_page).group(1).split()
    assert browser.submit("/accounts/logout/", {}, page="/").status == 302
    assert not logged_in(browser)

    # The password alone no longer logs in: the app's code does the rest.
    second_step = log_in(browser, email, PASSWORD)
    assert second_step.location == "/accounts/2fa/authenticate/"
    assert not logged_in(browser)
    assert browser.submit("/accounts/2fa/authenticate/", {"code": app.now()}).status == 302
    assert logged_in(browser)
    if site.worker:
        # Through the gateway, the worker sees who it is, and that a second factor was used.
        whoami = browser.get(f"/api/{site.worker}/whoami")
        assert whoami.status == 200, whoami.body
        report = browser.get(f"/api/{site.worker}/report")
        assert report.status == 403  # not in the "analysts" group
    browser.submit("/accounts/logout/", {}, page="/")

    # Forgotten password: the mailed link leads to a form for a new one.
    requested = browser.submit("/accounts/password/reset/", {"email": email})
    assert requested.location == "/accounts/password/reset/done/"
    reset_link = link_in(smtp.wait_for(email, "password reset"))
    form = browser.get(reset_link)  # allauth moves the key into the session, then the form
    form_path = form.location if form.status == 302 else reset_link
    fields = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert browser.submit(form_path, fields).status == 302
    assert log_in(browser, email, PASSWORD).status == 200  # the old password is refused
    assert not logged_in(browser)
    assert log_in(browser, email, NEW_PASSWORD).location == "/accounts/2fa/authenticate/"
    # A recovery code stands in for the app (whose last code is spent until the next one).
    second = browser.submit("/accounts/2fa/authenticate/", {"code": recovery_codes[0]})
    assert second.status == 302
    assert logged_in(browser)


def test_outsiders_cannot_tell_which_addresses_have_accounts(site: str, smtp: SMTPServer) -> None:
    browser_answers = []
    for email in (site.address("nobody-1"), site.existing, site.existing):
        response = sign_up(site.browser(), email)
        browser_answers.append((response.status, response.headers["Location"]))
    assert len(set(browser_answers)) == 1
    # The owner hears of it by email (once: a few minutes pass between such mails).
    assert "already" in text_of(smtp.wait_for(site.existing, "account already exists"))

    resets = [
        site.browser().submit("/accounts/password/reset/", {"email": email})
        for email in (site.existing, site.address("nobody-2"))
    ]
    assert {(r.status, r.headers["Location"]) for r in resets} == {
        (302, "/accounts/password/reset/done/")
    }
    wrong = log_in(site.browser(), site.existing, "not the password")
    unknown = log_in(site.browser(), site.address("nobody-3"), "not the password")
    assert wrong.status == unknown.status == 200
    assert "not correct" in wrong.text and "not correct" in unknown.text


def test_sign_ups_and_password_guesses_from_one_address_are_limited(site: Site) -> None:
    try:
        statuses = [sign_up(site.browser(), site.address(f"flood{n}")).status for n in range(12)]
        assert statuses[-1] == 429
        # One wrong password tried on many accounts (password spraying) is cut off too.
        answers = [
            log_in(site.browser(), site.address(f"user{n}"), "Winter2026!") for n in range(11)
        ]
        assert "Too many failed login attempts" in answers[-1].text
    finally:
        site.forget_rate_limits()  # for the tests after this one


def test_a_passkey_logs_in_alone(site: Site, smtp: SMTPServer) -> None:
    """WebAuthn needs a browser's JavaScript and an authenticator: Chromium, driven by
    Playwright, with a virtual authenticator of its own (a passkey that verifies its
    user). Browsers allow WebAuthn on http://localhost."""
    base, email = site.base.replace("127.0.0.1", "localhost"), site.address("passkey")
    signed_up = sign_up(site.browser(), email)
    assert signed_up.status == 302
    proxy = {"X-Forwarded-Proto": "https"} if site.behind_tls else {}
    with chromium_with_a_passkey(proxy) as page:
        confirm = link_in(smtp.wait_for(email, "confirm"))
        page.goto(f"{base}{confirm}")
        page.click("main button[type=submit]")
        log_in_with_a_password(page, base, email)

        # Add a passkey from the account page: the password again, then the authenticator.
        page.goto(f"{base}/accounts/2fa/webauthn/add/")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.fill("#id_name", "laptop")
        page.check("#id_passwordless")
        page.click("#mfa_webauthn_add")
        page.wait_for_url("**/accounts/2fa/recovery-codes/")
        page.click("header button[type=submit]")  # log out
        page.wait_for_url(f"{base}/")

        # Log in with the passkey alone: no address, no password.
        page.goto(f"{base}/accounts/login/")
        page.click("#passkey_login")
        page.wait_for_url(f"{base}/")
        assert email in page.inner_text("header")


def log_in_with_a_password(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
