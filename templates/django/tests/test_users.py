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
    assert str(user) == "alice"


def test_new_passwords_are_hashed_with_argon2_outside_tests(settings, django_user_model, password):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = django_user_model.objects.create_user(username="carol", password=password)
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak)


def test_admin_lists_and_adds_users(admin_client, user):
    changelist = admin_client.get(reverse("admin:users_user_changelist"))
    assert changelist.status_code == 200
    assert "alice" in changelist.text
    assert admin_client.get(reverse("admin:users_user_add")).status_code == 200


def test_admin_needs_a_staff_account(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="password"' in response.text


def test_log_in_and_out(client, user, password):
    response = client.post(reverse("login"), {"username": "alice", "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "Welcome, alice" in client.get(reverse("home")).text

    assert client.post(reverse("logout")).status_code == 302
    assert "Welcome, alice" not in client.get(reverse("home")).text


def test_wrong_password_is_refused(client, user):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_lock_the_account_out(client, user, password):
    login, wrong = reverse("login"), {"username": "alice", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(login, wrong).status_code == 200  # the form again
    assert client.post(login, wrong).status_code == 429

    # Locked out: the right password is refused too, on the admin's login page as well.
    locked = client.post(login, {"username": "alice", "password": password})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    admin_login = client.post(reverse("admin:login"), {"username": "alice", "password": password})
    assert admin_login.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failure_count(client, user, password):
    login, wrong = reverse("login"), {"username": "alice", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(login, wrong)
    assert client.post(login, {"username": "alice", "password": password}).status_code == 302
    client.post(reverse("logout"))
    assert client.post(login, wrong).status_code == 200


def test_behind_a_proxy_clients_are_told_apart_by_the_address_it_saw(
    client, user, password, settings
):
    settings.NUM_PROXIES = 1
    login, wrong = reverse("login"), {"username": "alice", "password": "wrong"}
    # What the proxy saw comes last; what comes before it, the client wrote.
    attacker = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, wrong, **attacker)
    assert (
        client.post(login, {"username": "alice", "password": password}, **attacker).status_code
        == 429
    )
    # Writing another address in front changes nothing.
    forged = {"HTTP_X_FORWARDED_FOR": "10.1.1.1, 203.0.113.7"}
    assert client.post(login, wrong, **forged).status_code == 429
    # Alice, from her own address, still logs in.
    alice = {"HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert (
        client.post(login, {"username": "alice", "password": password}, **alice).status_code == 302
    )


def test_without_a_proxy_the_forwarded_header_is_ignored(client, user, settings):
    settings.NUM_PROXIES = 0
    login, wrong = reverse("login"), {"username": "alice", "password": "wrong"}
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, wrong, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    assert client.post(login, wrong, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429
