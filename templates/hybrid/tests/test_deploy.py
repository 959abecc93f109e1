"""The deployment files: docker-compose and the Kubernetes manifests, read and checked
against the Kubernetes API schemas (Docker and a cluster are not needed)."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "src").is_dir())
KUBERNETES = ROOT / "deploy" / "k8s" / "base"
# The oldest Kubernetes release the manifests must work on.
KUBERNETES_VERSION = "1.30.0"
COMPONENT = "app.kubernetes.io/component"
GATEWAY_API = "gateway.networking.k8s.io"


def host_name(service: str) -> str:
    """A service's name in docker-compose and Kubernetes (no '_' in DNS names)."""
    return service.replace("_", "-")


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())


def manifests(kustomization: dict) -> list[dict]:
    return [
        document
        for resource in kustomization["resources"]
        for document in yaml.safe_load_all((KUBERNETES / resource).read_text())
    ]


def test_the_kustomization_names_existing_files(kustomization: dict) -> None:
    for resource in kustomization["resources"]:
        assert (KUBERNETES / resource).is_file(), resource
    for generator in kustomization["configMapGenerator"]:
        for entry in generator.get("files", []):
            assert (KUBERNETES / entry.split("=")[-1]).is_file(), entry


def test_each_manifest_is_valid_kubernetes(kustomization: dict) -> None:
    for manifest in manifests(kustomization):
        if manifest["apiVersion"].startswith(GATEWAY_API):
            continue  # not in Kubernetes' own schemas: test_the_gateway_is_the_route_in
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_gateway_is_the_route_in(kustomization: dict) -> None:
    (route,) = [m for m in manifests(kustomization) if m["kind"] == "HTTPRoute"]
    assert route["apiVersion"] == f"{GATEWAY_API}/v1"
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "gateway", "port": 80}]


def test_every_app_has_a_deployment_a_service_and_an_autoscaler(kustomization: dict) -> None:
    found = {(m["kind"], m["metadata"]["name"]) for m in manifests(kustomization)}
    for app in ["gateway", "web", *map(host_name, SERVICES)]:
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler"):
            assert (kind, app) in found


def test_only_the_gateway_reaches_the_apps(kustomization: dict) -> None:
    policies = [m for m in manifests(kustomization) if m["kind"] == "NetworkPolicy"]
    # Everything is refused both ways unless a policy below allows it.
    assert {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    } in [policy["spec"] for policy in policies]
    ingress = {}
    for policy in policies:
        spec = policy["spec"]
        if "ingress" not in spec:
            continue
        if policy["metadata"]["name"] == "metrics-from-the-scrapers":
            # The apps' metrics port, and only it, from the scrapers' namespace alone.
            assert spec["podSelector"]["matchExpressions"][0]["values"] == ["web", "worker"]
            (rule,) = spec["ingress"]
            assert rule["ports"] == [{"port": 9100, "protocol": "TCP"}]
            assert list(rule["from"][0]) == ["namespaceSelector"]
            continue
        ingress[spec["podSelector"]["matchLabels"][COMPONENT]] = spec["ingress"]
    assert set(ingress) == {"gateway", "web", "worker"}
    for component in ("web", "worker"):
        (rule,) = ingress[component]
        assert rule["from"] == [{"podSelector": {"matchLabels": {COMPONENT: "gateway"}}}]
    (rule,) = ingress["gateway"]
    assert list(rule["from"][0]) == ["namespaceSelector"]
    workers = {
        m["metadata"]["name"]
        for m in manifests(kustomization)
        if m["kind"] == "Deployment"
        and m["spec"]["template"]["metadata"]["labels"][COMPONENT] == "worker"
    }
    assert workers == set(map(host_name, SERVICES))


def test_containers_run_unprivileged(kustomization: dict) -> None:
    for deployment in (m for m in manifests(kustomization) if m["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_docker_compose_publishes_the_gateway_only() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"gateway", "web", "postgres", *map(host_name, SERVICES)}
    assert services["gateway"]["ports"] == ["8000:8080"]
    for name, service in services.items():
        if name != "gateway":
            assert "ports" not in service, f"{name} publishes a port"
    for service in SERVICES:
        worker = services[host_name(service)]
        assert worker["build"] == f"../services/{service}"
        # Scalable: nothing that pins one container.
        assert "container_name" not in worker
        assert "JWT_PRIVATE_KEY" not in worker["environment"]
    assert services["web"]["environment"]["JWT_PRIVATE_KEY"].startswith("${JWT_PRIVATE_KEY:?")
