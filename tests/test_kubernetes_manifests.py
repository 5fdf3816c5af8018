"""deploy/kubernetes/ agrees with the service: ports, settings, probes and selectors cannot drift."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from service.cli import build_parser
from tests.test_deploy_files import settings_variables

FOLDER = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"


def documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(FOLDER.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def one(kind: str, name: str) -> dict[str, Any]:
    [found] = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def test_every_manifest_names_only_settings_the_service_reads() -> None:
    known = settings_variables()
    for doc in documents():
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            unknown = set(env_of(container)) - known
            assert not unknown, (doc["metadata"]["name"], unknown)
            # The command is one the image's entrypoint (`screening`) knows.
            build_parser().parse_args(container["args"])


def test_the_server_ports_probes_and_shutdown_match_its_settings() -> None:
    server = one("Deployment", "screening")
    pod = server["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = env_of(container)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {
        "grpc": int(env["SCREENING_PORT"]), "http": int(env["SCREENING_HTTP_PORT"]),
        "metrics": int(env["SCREENING_METRICS_PORT"]),
    }  # fmt: skip
    annotations = server["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]
    # A non-loopback bind needs TLS (the service refuses to start otherwise), and the health check speaks it.
    assert env["SCREENING_HOST"] == "0.0.0.0" and env["SCREENING_TLS_CERT"] and env["SCREENING_TLS_CA"]
    assert env["SCREENING_HEALTH_TARGET"] == f"localhost:{ports['grpc']}"
    mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
    for variable in ("SCREENING_TLS_CERT", "SCREENING_TLS_KEY", "SCREENING_TLS_CA", "AUDIT_DIR"):
        assert any(env[variable].startswith(mount) for mount in mounts), variable
    for probe in ("startupProbe", "readinessProbe"):
        command = container[probe]["exec"]["command"]
        assert command[:2] == ["python", "-m"] and command[2] == "service.healthcheck", shlex.join(command)
    assert container["livenessProbe"]["tcpSocket"]["port"] == "grpc"
    # The grace period covers the NOT_SERVING pause and the drain.
    pause, drain = float(env["SCREENING_SHUTDOWN_PAUSE_SECONDS"]), float(env["SCREENING_DRAIN_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > pause + drain
    assert env["REDIS_SENTINELS"] and all(":" in s for s in env["REDIS_SENTINELS"].split(","))


def test_service_budget_and_autoscaler_point_at_the_servers() -> None:
    server = one("Deployment", "screening")
    labels = server["spec"]["template"]["metadata"]["labels"]
    assert server["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = one("Service", "screening")
    assert service["spec"]["clusterIP"] == "None"  # headless: clients balance gRPC over pods
    assert service["spec"]["selector"].items() <= labels.items()
    [container] = server["spec"]["template"]["spec"]["containers"]
    names = {port["name"] for port in container["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= names
    budget = one("PodDisruptionBudget", "screening")
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    scaler = one("HorizontalPodAutoscaler", "screening")
    assert scaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "screening"}
    assert scaler["spec"]["minReplicas"] > budget["spec"]["maxUnavailable"]
    worker = one("Deployment", "screening-rescreen-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    claim = one("PersistentVolumeClaim", "screening-audit")
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
