"""/auth/verify/: the gateway's identity check, and the token it hands to the workers."""

import time

import jwt
import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

VERIFY = reverse("auth-verify")


def verify(client: Client, method: str = "GET", service: str | None = "reports", **headers: str):
    """The gateway's subrequest: a GET, naming the original request's method and the
    worker service it is for."""
    sent = {"X-Original-Method": method, **headers}
    if service is not None:
        sent["X-Worker-Service"] = service
    return client.get(VERIFY, headers=sent)


def decode(token: str, service: str = "reports") -> dict:
    """The token's claims, checked as the worker `service` checks them: with the public
    key, for its own audience."""
    public_key = load_pem_private_key(settings.JWT_PRIVATE_KEY.encode(), None).public_key()
    return jwt.decode(
        token,
        public_key,
        algorithms=["EdDSA"],
        audience=service,
        options={"require": ["exp", "iat", "sub", "aud", "htm", "groups", "staff", "amr"]},
    )


def logged_in(user) -> Client:
    """A browser logged in as `user`, whose requests Django checks for CSRF."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def csrf_token(browser: Client) -> str:
    """The CSRF token a page gives its scripts (and sets in the csrftoken cookie)."""
    return str(browser.get(reverse("home")).context["csrf_token"])


def test_anonymous_requests_are_refused(client):
    response = verify(client)
    assert response.status_code == 401
    assert "X-Auth-Token" not in response


def test_a_logged_in_user_gets_their_id_and_a_token(user):
    response = verify(logged_in(user))
    assert response.status_code == 204
    assert response["X-Auth-User-Id"] == str(user.pk)
    claims = decode(response["X-Auth-Token"])
    assert claims["sub"] == str(user.pk)
    assert claims["exp"] - claims["iat"] == settings.JWT_LIFETIME_SECONDS == 15
    assert abs(claims["iat"] - time.time()) < 5
    assert jwt.get_unverified_header(response["X-Auth-Token"])["alg"] == "EdDSA"
    # Nobody along the way may keep the answer.
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("method", "service"), [("GET", "reports"), ("HEAD", "billing_v2"), ("POST", "reports")]
)
def test_the_token_is_for_one_service_and_one_method(user, method, service):
    """What the gateway authorised: a token for a GET to one worker is no good for a
    POST, nor for another worker."""
    browser = logged_in(user)
    response = verify(browser, method, service, X_CSRFToken=csrf_token(browser))
    assert response.status_code == 204
    claims = decode(response["X-Auth-Token"], service)
    assert (claims["aud"], claims["htm"]) == (service, method)
    with pytest.raises(jwt.InvalidAudienceError):
        decode(response["X-Auth-Token"], "another_service")


def test_the_token_says_what_a_worker_needs_to_authorize(user):
    """Groups and staff, and whether the login used a second factor."""
    user.groups.add(*(Group.objects.create(name=name) for name in ("analysts", "billing")))
    claims = decode(verify(logged_in(user)).headers["X-Auth-Token"])
    assert (claims["groups"], claims["staff"], claims["amr"]) == (
        ["analysts", "billing"],
        False,
        ["pwd"],
    )


def test_a_login_with_a_second_factor_says_so(client, user, password):
    """Logged in through the pages, with an authenticator app's code."""
    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert decode(verify(client).headers["X-Auth-Token"])["amr"] == ["pwd", "mfa"]


@pytest.mark.parametrize("service", [None, "", "Reports", "../reports", "reports billing"])
def test_no_token_without_a_valid_service_name(user, service):
    response = verify(logged_in(user), service=service)
    assert response.status_code == 403
    assert "X-Auth-Token" not in response


def test_a_deactivated_account_is_refused(user):
    browser = logged_in(user)
    user.is_active = False
    user.save()
    assert verify(browser).status_code == 401


def test_the_session_ends_at_logout(user):
    browser = logged_in(user)
    assert verify(browser).status_code == 204
    browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf_token(browser)})
    assert verify(browser).status_code == 401


# The check after the first of a session reuses what it found (views.py): each way of
# ending a session must still be refused on the very next request.


def test_a_deactivation_is_refused_on_the_very_next_request(user):
    browser = logged_in(user)
    assert verify(browser).status_code == 204
    user.is_active = False
    user.save()
    assert verify(browser).status_code == 401


def test_a_password_change_ends_other_sessions_on_the_very_next_request(user):
    browser = logged_in(user)
    assert verify(browser).status_code == 204
    user.set_password("another long password")
    user.save()
    assert verify(browser).status_code == 401


def test_an_expired_session_is_refused_on_the_very_next_request(user):
    browser = logged_in(user)
    assert verify(browser).status_code == 204
    session = browser.session
    session.set_expiry(-1)
    session.save()
    assert verify(browser).status_code == 401


def test_after_the_first_check_a_request_costs_one_query_and_no_new_token(
    user, django_assert_num_queries
):
    browser = logged_in(user)
    first = verify(browser)["X-Auth-Token"]
    with django_assert_num_queries(1):
        again = verify(browser)["X-Auth-Token"]
    assert again == first
    # A token is for one method: another method gets its own.
    assert decode(verify(browser, "HEAD")["X-Auth-Token"])["htm"] == "HEAD"


def test_a_change_of_groups_makes_a_new_token_at_once(user):
    browser = logged_in(user)
    assert decode(verify(browser)["X-Auth-Token"])["groups"] == []
    user.groups.add(Group.objects.create(name="analysts"))
    assert decode(verify(browser)["X-Auth-Token"])["groups"] == ["analysts"]


def test_a_token_is_reused_for_half_its_lifetime_at_most(user, settings):
    settings.JWT_LIFETIME_SECONDS = 2
    browser = logged_in(user)
    first = verify(browser)["X-Auth-Token"]
    assert verify(browser)["X-Auth-Token"] == first
    time.sleep(1.1)
    assert verify(browser)["X-Auth-Token"] != first


def test_staff_without_two_factor_authentication_get_no_token(django_user_model, password):
    staff = django_user_model.objects.create_user(
        email="staff@example.com", password=password, is_staff=True
    )
    response = verify(logged_in(staff))
    assert response.status_code == 403
    assert "X-Auth-Token" not in response


def test_staff_whose_authenticator_is_removed_are_refused_on_the_very_next_request(
    django_user_model, password
):
    staff = django_user_model.objects.create_user(
        email="staff@example.com", password=password, is_staff=True
    )
    TOTP.activate(staff, pyotp.random_base32())
    browser = logged_in(staff)
    assert verify(browser).status_code == 204
    staff.authenticator_set.all().delete()
    assert verify(browser).status_code == 403


def test_a_host_not_allowed_is_refused(user):
    assert verify(logged_in(user), HOST="attacker.example").status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_need_the_csrf_token(user, method):
    browser = logged_in(user)
    token = csrf_token(browser)
    assert verify(browser, method).status_code == 403
    assert verify(browser, method, X_CSRFToken="not-the-token").status_code == 403
    assert verify(browser, method, X_CSRFToken=token).status_code == 204


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_need_no_csrf_token(user, method):
    assert verify(logged_in(user), method).status_code == 204


def test_requests_from_another_site_are_refused(user):
    browser = logged_in(user)
    token = csrf_token(browser)
    headers = {"X_CSRFToken": token}
    assert verify(browser, "POST", Origin="https://attacker.example", **headers).status_code == 403
    assert verify(browser, "POST", Origin="http://testserver", **headers).status_code == 204


def test_the_check_itself_answers_safe_methods_only(user):
    browser = logged_in(user)
    assert browser.post(VERIFY).status_code == 405
    assert browser.put(VERIFY).status_code == 405


def test_the_home_page_calls_each_worker_from_the_browser(user, client):
    page = logged_in(user).get(reverse("home")).text
    assert 'data-worker="' in page
    assert "/static/js/workers.js" in page
    assert 'name="csrfmiddlewaretoken"' in page
    script = client.get("/static/js/workers.js")
    assert script.status_code == 200
    assert "X-CSRFToken" in b"".join(script.streaming_content).decode()
    assert "data-worker" not in client.get(reverse("home")).text
