import pytest
from django.db import OperationalError, connection


def test_healthz_needs_nothing_but_the_process(client):
    # No django_db mark: pytest-django fails this test if the view touches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_queries_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse_connection():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse_connection)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
