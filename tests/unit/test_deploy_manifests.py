"""deploy/kubernetes against the Kubernetes API schemas (kubernetes-validate, offline, strict: an
unknown field is an error) for the oldest and newest versions it knows, plus the rules a schema
cannot say: every container hardened, both processes probed and sized, disruption budgets and
Services that select real pods, metrics reachable from the ServiceMonitor, and the image binding
both metrics ports to 0.0.0.0 while a local run keeps them on loopback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from stack_cfo.config import build_config

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes" / "stack-cfo.yaml"
VERSIONS = ("1.25.0", "1.37.0")


def _docs() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(MANIFESTS.read_text()) if d]


def _of(kind: str) -> list[dict[str, Any]]:
    return [d for d in _docs() if d["kind"] == kind]


def _deployment(name: str) -> dict[str, Any]:
    return next(d for d in _of("Deployment") if d["metadata"]["name"] == name)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_built_in_resource_matches_the_api_schema_strictly(version: str) -> None:
    checked = 0
    for doc in _docs():
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: checked below
        kubernetes_validate.validate(doc, version, strict=True)  # raises ValidationError
        checked += 1
    assert checked >= 8


def test_the_service_monitor_scrapes_a_metrics_port_of_both_processes() -> None:
    (monitor,) = _of("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    spec = monitor["spec"]
    assert set(spec) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"}
    ports = {e["port"] for e in spec["endpoints"]}
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout"} and endpoint["path"] == "/metrics"
        assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    wanted = spec["selector"]["matchLabels"]
    selected = [s for s in _of("Service") if wanted.items() <= s["metadata"]["labels"].items()]
    components = {
        s["metadata"]["labels"]["component"] for s in selected if ports & {p["name"] for p in s["spec"]["ports"]}
    }
    assert components == {"api", "scheduler"}


@pytest.mark.parametrize("name", ["stack-cfo", "stack-cfo-scheduler"])
def test_both_deployments_are_hardened_probed_and_sized(name: str) -> None:
    pod = _deployment(name)["spec"]["template"]["spec"]
    psc = pod["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in pod["containers"]:
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        # The only places the processes write: temporary files and the data dir.
        assert {"/tmp", "/var/lib/stack-cfo"} <= mounts.keys()
        # Every mount is writable scratch (emptyDir) or a read-only Secret (the TLS certificate).
        for path, volume in mounts.items():
            if "secret" in volumes[volume]:
                ro = next(m for m in container["volumeMounts"] if m["mountPath"] == path)
                assert ro.get("readOnly") is True, path
            else:
                assert "emptyDir" in volumes[volume], path
        assert container["livenessProbe"] and container["readinessProbe"]
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]


def test_the_scheduler_is_probed_on_its_health_endpoints() -> None:
    (container,) = _deployment("stack-cfo-scheduler")["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SCHEDULER_METRICS_LISTEN"] == "0.0.0.0:9465"
    assert [p["containerPort"] for p in container["ports"]] == [9465]


def test_budgets_and_services_select_the_deployments_pods() -> None:
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in _of("Deployment")}

    def selects(selector: dict[str, str]) -> set[str]:
        return {name for name, labels in pods.items() if selector.items() <= labels.items()}

    assert {frozenset(selects(p["spec"]["selector"]["matchLabels"])) for p in _of("PodDisruptionBudget")} == {
        frozenset({"stack-cfo"}), frozenset({"stack-cfo-scheduler"})
    }
    services = {s["metadata"]["name"]: s for s in _of("Service")}
    headless = services["stack-cfo-grpc"]["spec"]
    assert headless["clusterIP"] == "None" and selects(headless["selector"]) == {"stack-cfo"}
    assert selects(services["stack-cfo-scheduler"]["spec"]["selector"]) == {"stack-cfo-scheduler"}
    (policy,) = _of("NetworkPolicy")
    allowed = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    assert {50051, 9464, 9465} <= allowed
    assert selects(policy["spec"]["podSelector"]["matchLabels"]) == {"stack-cfo", "stack-cfo-scheduler"}


def test_the_image_binds_both_metrics_ports_to_all_interfaces_and_local_runs_keep_loopback() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "STACK_CFO_METRICS_LISTEN=0.0.0.0:9464" in dockerfile
    assert "SCHEDULER_METRICS_LISTEN=0.0.0.0:9465" in dockerfile
    assert re.search(r"EXPOSE .*9465", dockerfile)
    defaults = build_config({}, env={})
    assert defaults.server.metrics_listen.startswith("127.0.0.1:")
    assert defaults.scheduler.metrics_listen.startswith("127.0.0.1:")
