"""Every template's Kubernetes manifests, as each overlay builds them: valid against the
Kubernetes API schemas of the oldest release they support (and the Gateway API's
HTTPRoute schema), shaped as the issue asks, and clean under checkov's policies with each
deliberate exception skipped, with its reason, in the manifest itself.

The overlays are built with `kubectl kustomize` (kustomize v5, inside kubectl): skipped,
saying why, where kubectl is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from generated import ProjectEnv, project_env, render

REPO = Path(__file__).resolve().parents[1]
# The oldest Kubernetes release the manifests must work on.
KUBERNETES_VERSION = "1.30.0"
HTTPROUTE_SCHEMA = REPO / "tests" / "schemas" / "gateway.networking.k8s.io_httproute_v1.json"
KUBECTL = shutil.which("kubectl")
OVERLAYS = ("dev", "prod")
# (framework, answers, the Deployments it runs, whether it has a migration Job)
CASES: dict[str, tuple[str, dict[str, Any], set[str], bool]] = {
    "flask-defaults": ("flask", {}, {"web"}, True),
    "flask-no-database": ("flask", {"features": ["api"]}, {"web"}, False),
    "flask-postgresql-celery": (
        "flask",
        {"database": "postgresql", "task_queue": "celery"},
        {"web", "worker"},
        True,
    ),
    "django-defaults": ("django", {}, {"web"}, True),
    "django-postgresql-celery": (
        "django",
        {"database": "postgresql", "task_queue": "celery"},
        {"web", "worker"},
        True,
    ),
    "hybrid-two-workers": (
        "hybrid",
        {"worker_services": ["reports", "billing_v2"]},
        {"gateway", "web", "reports", "billing-v2"},
        True,
    ),
}
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: no kustomize build"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[dict]]:
    """{(case, overlay): the manifests `kubectl kustomize` builds}; the output is also
    written beside the project, for checkov."""
    manifests = {}
    for name, (framework, answers, _, _) in CASES.items():
        project = render(framework, answers, tmp_path_factory.mktemp(name) / "project")
        for overlay in OVERLAYS:
            result = subprocess.run(
                [KUBECTL, "kustomize", str(project / "deploy" / "k8s" / "overlays" / overlay)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert result.returncode == 0, f"{name}/{overlay}: {result.stderr}"
            (project.parent / f"{overlay}.yaml").write_text(result.stdout)
            manifests[name, overlay] = [d for d in yaml.safe_load_all(result.stdout) if d]
            manifests[name, overlay + ":file"] = [{"path": str(project.parent / f"{overlay}.yaml")}]
    return manifests


def parametrize_cases() -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        ("name", "overlay"), [(name, overlay) for name in CASES for overlay in OVERLAYS]
    )


@cache
def httproute_schema() -> dict[str, Any]:
    return json.loads(HTTPROUTE_SCHEMA.read_text())


def test_the_httproute_schema_refuses_a_route_without_a_parent() -> None:
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "x"}, "spec": {"parentRefs": [{"port": "eighty"}]}}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(route, httproute_schema())


@parametrize_cases()
def test_every_manifest_is_valid(name: str, overlay: str, built: dict) -> None:
    for manifest in built[name, overlay]:
        if manifest["apiVersion"].startswith("gateway.networking.k8s.io/"):
            jsonschema.validate(manifest, httproute_schema())
        else:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def pod_specs(manifests: list[dict]) -> dict[str, dict]:
    return {
        m["metadata"]["name"]: m["spec"]["template"]["spec"]
        for m in manifests
        if m["kind"] in ("Deployment", "Job")
    }


@parametrize_cases()
def test_the_workloads_are_probed_bounded_and_locked_down(
    name: str, overlay: str, built: dict
) -> None:
    manifests = built[name, overlay]
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    _, _, deployments, migrates = CASES[name]
    assert {n for kind, n in kinds if kind == "Deployment"} == deployments
    assert (("Job", "migrate") in kinds) == migrates
    # North-south traffic through the Gateway API, never an Ingress.
    assert {kind for kind, _ in kinds} & {"Ingress"} == set()
    assert sum(1 for kind, _ in kinds if kind == "HTTPRoute") == 1
    # Secrets are referenced, never rendered.
    assert "Secret" not in {kind for kind, _ in kinds}
    for app in deployments - {"worker"}:
        assert ("HorizontalPodAutoscaler", app) in kinds
        assert ("PodDisruptionBudget", app) in kinds
    for workload, pod in pod_specs(manifests).items():
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, workload
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= set(container["resources"])
            assert "registry.example.com/" in container["image"]
            if workload != "migrate":
                assert "readinessProbe" in container and "livenessProbe" in container
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in ("SECRET", "PASSWORD", "KEY", "URL")):
                    assert "secretKeyRef" in variable["valueFrom"], variable["name"]


@parametrize_cases()
def test_network_policies_refuse_what_is_not_needed(name: str, overlay: str, built: dict) -> None:
    policies = [m["spec"] for m in built[name, overlay] if m["kind"] == "NetworkPolicy"]
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in policies
    for policy in policies:
        for rule in policy.get("egress", []):
            assert rule.get("ports"), f"an egress rule open to every port: {rule}"
        for rule in policy.get("ingress", []):
            assert rule.get("from") and rule.get("ports"), f"an open ingress rule: {rule}"


@pytest.fixture(scope="session")
def checkov() -> ProjectEnv:
    """checkov in an environment of its own (it pins versions the test tools outgrow)."""
    return project_env(["checkov>=3.2,<4"])


@parametrize_cases()
def test_checkov_finds_nothing_and_each_exception_says_why(
    name: str, overlay: str, built: dict, checkov: ProjectEnv
) -> None:
    (output,) = built[name, overlay + ":file"]
    result = checkov.run(
        "checkov", "--file", output["path"], "--framework", "kubernetes", "--skip-download",
        "--quiet", "--output", "json", cwd=Path(output["path"]).parent,
        env={"BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"].get("failed_checks", [])]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0, failed
    assert summary["passed"] > 50  # it did scan the workloads
    for skipped in report["results"].get("skipped_checks", []):
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) > 20, f"{skipped['check_id']} is skipped without a reason"


@parametrize_cases()
def test_each_app_declares_its_metrics_for_scraping(name: str, overlay: str, built: dict) -> None:
    """Every gunicorn pod (not the gateway, not Celery's workers) names its metrics port
    and asks to be scraped there, and a network policy lets only the scrapers in."""
    manifests = built[name, overlay]
    scraped = {}
    for manifest in manifests:
        if manifest["kind"] != "Deployment" or manifest["metadata"]["name"] in (
            "gateway",
            "worker",
        ):
            continue
        template = manifest["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        (container,) = template["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports["metrics"] == int(annotations["prometheus.io/port"]) != ports["http"]
        scraped[template["metadata"]["labels"]["app.kubernetes.io/component"]] = ports["metrics"]
    framework, _, _, _ = CASES[name]
    assert set(scraped) == ({"web", "worker"} if framework == "hybrid" else {"web"})
    (policy,) = [
        m["spec"] for m in manifests
        if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "metrics-from-the-scrapers"
    ]  # fmt: skip
    assert set(policy["podSelector"]["matchExpressions"][0]["values"]) == set(scraped)
    (rule,) = policy["ingress"]
    assert [port["port"] for port in rule["ports"]] == sorted(set(scraped.values()))
    assert "namespaceSelector" in rule["from"][0]
    # No Service exposes the metrics port: the public route cannot reach it.
    for manifest in manifests:
        if manifest["kind"] == "Service":
            assert all(port["port"] not in scraped.values() for port in manifest["spec"]["ports"])
