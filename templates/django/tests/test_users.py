import pytest
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from config.settings import base

pytestmark = pytest.mark.django_db


def test_the_user_model_is_the_projects_own():
    assert get_user_model()._meta.label == "users.User"


def test_passwords_are_stored_hashed(user, password):
    assert user.password != password
    assert user.check_password(password)
    assert str(user) == user.get_username() == "alice@example.com"


def test_new_passwords_are_hashed_with_argon2_outside_tests(settings, django_user_model, password):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = django_user_model.objects.create_user(email="carol@example.com", password=password)
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize("weak", ["short1", "password1234", "123456789012"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak)


def test_admin_lists_and_adds_users(admin_client, user):
    changelist = admin_client.get(reverse("admin:users_user_changelist"))
    assert changelist.status_code == 200
    assert "alice@example.com" in changelist.text
    assert admin_client.get(reverse("admin:users_user_add")).status_code == 200


def test_admin_needs_a_staff_account(client, user):
    client.force_login(user)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_the_admin_logs_in_through_the_sites_login(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def fail_to_log_in(client, email, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": "wrong"}, **headers)


def log_in(client, email, password, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def test_repeated_failed_logins_lock_the_account_out(client, user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail_to_log_in(client, user.email).status_code == 200  # the form again
    assert fail_to_log_in(client, user.email).status_code == 429

    # Locked out: the right password is refused too.
    locked = log_in(client, user.email, password)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failure_count(client, user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fail_to_log_in(client, user.email)
    assert log_in(client, user.email, password).status_code == 302
    client.post(reverse("account_logout"))
    assert fail_to_log_in(client, user.email).status_code == 200


def behind_proxies(settings, count: int) -> None:
    settings.NUM_PROXIES = settings.ALLAUTH_TRUSTED_PROXY_COUNT = count


def test_behind_a_proxy_clients_are_told_apart_by_the_address_it_saw(
    client, user, password, settings
):
    behind_proxies(settings, 1)
    # What the proxy saw comes last; what comes before it, the client wrote.
    attacker = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_to_log_in(client, user.email, **attacker)
    assert log_in(client, user.email, password, **attacker).status_code == 429
    # Writing another address in front changes nothing.
    forged = {"HTTP_X_FORWARDED_FOR": "10.1.1.1, 203.0.113.7"}
    assert fail_to_log_in(client, user.email, **forged).status_code == 429
    # Alice, from her own address, still logs in.
    alice = {"HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert log_in(client, user.email, password, **alice).status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(client, user, settings):
    behind_proxies(settings, 0)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        fail_to_log_in(client, user.email, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    other = fail_to_log_in(client, user.email, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 429
