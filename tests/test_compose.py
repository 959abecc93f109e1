"""Every template's docker-compose file: valid under the Compose specification's JSON
schema, and each service started only once what it needs is healthy."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from generated import render

# (framework, answers, the compose file, the services it must run)
CASES: dict[str, tuple[str, dict[str, Any], str, set[str]]] = {
    "flask-defaults": ("flask", {}, "docker-compose.yml", {"web"}),
    "flask-bare": ("flask", {"features": []}, "docker-compose.yml", {"web"}),
    "flask-postgresql-celery": (
        "flask",
        {"database": "postgresql", "task_queue": "celery"},
        "docker-compose.yml",
        {"web", "worker", "redis", "db"},
    ),
    "flask-no-database-celery": (
        "flask",
        {"features": ["api"], "task_queue": "celery"},
        "docker-compose.yml",
        {"web", "worker", "redis"},
    ),
    "django-defaults": ("django", {}, "docker-compose.yml", {"web"}),
    "django-postgresql-celery": (
        "django",
        {"database": "postgresql", "task_queue": "celery"},
        "docker-compose.yml",
        {"web", "worker", "redis", "db"},
    ),
    "django-sqlite-celery": (
        "django",
        {"task_queue": "celery"},
        "docker-compose.yml",
        {"web", "worker", "redis"},
    ),
    "hybrid-two-workers": (
        "hybrid",
        {"worker_services": ["reports", "billing_v2"]},
        "deploy/docker-compose.yml",
        {"gateway", "web", "postgres", "reports", "billing-v2"},
    ),
}


@cache
def compose_schema() -> dict[str, Any]:
    """The Compose specification's schema, as check-jsonschema vendors it (no network)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def validate(compose: dict[str, Any]) -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(compose), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture(scope="module")
def composes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    loaded = {}
    for name, (framework, answers, path, _) in CASES.items():
        project = render(framework, answers, tmp_path_factory.mktemp(name) / "project")
        loaded[name] = yaml.safe_load((project / path).read_text(encoding="utf-8"))
    return loaded


def test_the_schema_check_refuses_a_broken_file() -> None:
    broken = {"services": {"web": {"image": "x", "depends_on": {"db": {"condition": "up"}}}}}
    with pytest.raises(AssertionError, match="depends_on"):
        validate(broken)


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_compose_file_follows_the_specification(
    name: str, composes: dict[str, dict[str, Any]]
) -> None:
    validate(composes[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_each_service_waits_for_what_it_needs_to_be_healthy(
    name: str, composes: dict[str, dict[str, Any]]
) -> None:
    services = composes[name]["services"]
    assert set(services) == CASES[name][3]
    for service_name, service in services.items():
        assert "test" in service.get("healthcheck", {}), f"{service_name} has no health check"
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{service_name}: depends_on without conditions"
        for needed, condition in depends_on.items():
            assert needed in services
            assert condition == {"condition": "service_healthy"}, (service_name, needed)
    # No secret has a value in the file: each comes from .env, and is required there.
    for service in services.values():
        for variable, value in (service.get("environment") or {}).items():
            if any(word in variable for word in ("SECRET", "PASSWORD", "PRIVATE")):
                assert str(value).startswith("${") and ":?" in str(value), variable


@pytest.mark.slow
def test_a_worker_starts_after_the_migrations(composes: dict[str, dict[str, Any]]) -> None:
    for name in ("flask-postgresql-celery", "django-postgresql-celery"):
        services = composes[name]["services"]
        assert "web" in services["worker"]["depends_on"]
        assert "upgrade" in services["web"]["command"] or "migrate" in services["web"]["command"]
