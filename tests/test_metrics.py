"""Prometheus metrics: scraped over HTTP from a real server after real calls.

One process serves its own metrics; `serve --workers 2` (real processes) serves the sum of
both workers from the parent. The families are read with prometheus_client's own parser.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import subprocess
import time
from pathlib import Path

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.settings import Settings
from tests.auth_support import with_auth
from tests.cli_support import SCREENING, cli_env, free_port, run_cli, wait_serving
from tests.conftest import SERVER_REDIS_URL, wait_ready

# Every family service/metrics defines (README, "Metrics").
FAMILIES = {
    "screening_rpc_duration_seconds", "screening_rpc_streams", "screening_decisions", "screening_matches",
    "screening_list_age_seconds", "screening_list_max_age_seconds", "screening_list_state", "screening_list_entries",
    "screening_list_loaded", "screening_list_refreshes", "screening_list_refresh_failures",
    "screening_refresh_duration_seconds", "screening_auth_refusals", "screening_redis_errors",
    "screening_audit_queue_records", "screening_audit_unconfirmed_records", "screening_audit_spilled_records",
    "screening_audit_export_lag_records", "screening_rescreen_jobs_running", "screening_rescreen_shards_pending",
    "screening_alerts_raised",
}  # fmt: skip


def scrape(port: int) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """family name -> {sorted labels (with the sample's name): value}."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        samples = found.setdefault(family.name, {})
        for sample in family.samples:
            samples[(("__name__", sample.name), *sorted(sample.labels.items()))] = sample.value
    return found


def value(found: dict[str, dict[tuple[tuple[str, str], ...], float]], family: str, name: str, **labels: str) -> float:
    key = (("__name__", name), *sorted(labels.items()))
    return found.get(family, {}).get(key, 0.0)


async def test_one_server_counts_calls_decisions_refusals_and_reports_its_lists(
    settings: Settings, test_catalog: Catalog, redis_url: str
) -> None:
    if not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("the metrics do not depend on the Redis backend: one is enough")
    running = await start_server(
        with_auth(dataclasses.replace(settings, metrics_port=0, http_port=0), mode="required", rate_limits={}),
        test_catalog, load_policy(),
    )  # fmt: skip
    try:
        await wait_ready(running)
        assert running.metrics is not None and running.http is not None
        before = await asyncio.to_thread(scrape, running.metrics.port)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError):  # no credential: refused, and counted
                await stub.Screen(pb.ScreenRequest(party=pb.Party(name="Nicolas MADURO MOROS")))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}", timeout=10) as client:
            anonymous = await client.post("/v1/screen", json={})
        assert anonymous.status_code == 401
        for _ in range(100):  # the sampler runs every few seconds; the lists are loaded at start
            after = await asyncio.to_thread(scrape, running.metrics.port)
            if value(after, "screening_list_entries", "screening_list_entries", list="ofac_sdn"):
                break
            await asyncio.sleep(0.1)
    finally:
        await running.stop(0.5)
    assert FAMILIES <= set(after), FAMILIES - set(after)
    for door in ("grpc", "http"):
        count = "screening_rpc_duration_seconds_count"
        labels = {"door": door, "method": "Screen", "code": "UNAUTHENTICATED"}
        assert value(after, "screening_rpc_duration_seconds", count, **labels) == 1 + value(
            before, "screening_rpc_duration_seconds", count, **labels
        ), door
    refusals = "screening_auth_refusals_total"
    assert value(after, "screening_auth_refusals", refusals, reason="missing_credentials") >= 2 + value(
        before, "screening_auth_refusals", refusals, reason="missing_credentials"
    )
    assert value(after, "screening_list_state", "screening_list_state", list="ofac_sdn", state="current") == 1
    assert value(after, "screening_list_state", "screening_list_state", list="ofac_sdn", state="stale") == 0
    assert value(after, "screening_list_entries", "screening_list_entries", list="ofac_sdn") == 7
    assert value(after, "screening_list_loaded", "screening_list_loaded", list="ofac_sdn") == 1
    assert 0 <= value(after, "screening_list_age_seconds", "screening_list_age_seconds", list="ofac_sdn") < 600


def test_two_workers_report_as_one_server(tmp_path: Path, server_prefix: str) -> None:
    port, metrics_port = free_port(), free_port()
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [*SCREENING, "serve", "--port", str(port), "--host", "127.0.0.1", "--workers", "2", "--http-port", "off",
             "--metrics-port", str(metrics_port)], env=env, stderr=log_file, text=True,
        )  # fmt: skip
    try:
        wait_serving(port, server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both workers serving
            events = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
            if len({e["pid"] for e in events if e["event"] == "serving"}) == 2:
                break
            time.sleep(0.1)
        before = scrape(metrics_port)
        target = ["--target", f"127.0.0.1:{port}", "--json"]
        # Each check is a new connection: the kernel hands it to either worker.
        for name in ["Nicolas MADURO MOROS", "Johanna Pemberton-Whitcombe"] * 4:
            assert run_cli(["check", name, *target], env).returncode == 0
        after = scrape(metrics_port)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0, log_path.read_text()[-2000:]
    # Every family, those of events that did not happen too (at zero: a series exists before its first event).
    assert FAMILIES <= set(after), FAMILIES - set(after)
    refusals = "screening_auth_refusals_total"
    assert value(after, "screening_auth_refusals", refusals, reason="missing_credentials") == 0
    failures = "screening_list_refresh_failures_total"
    assert (("__name__", failures), ("list", "ofac_sdn"), ("reason", "fetch")) in after[
        "screening_list_refresh_failures"
    ]
    decisions = "screening_decisions_total"
    for decision, expected in (("BLOCK", 4), ("CLEAR", 4)):
        labels = {"decision": decision, "direction": "export"}  # the CLI's default direction
        gained = value(after, "screening_decisions", decisions, **labels) - value(
            before, "screening_decisions", decisions, **labels
        )
        assert gained == expected, (decision, gained)
    count = "screening_rpc_duration_seconds_count"
    ok = {"door": "grpc", "method": "Screen", "code": "OK"}
    assert (
        value(after, "screening_rpc_duration_seconds", count, **ok)
        - value(before, "screening_rpc_duration_seconds", count, **ok)
        == 8
    )
    assert value(after, "screening_matches", "screening_matches_total", list="ofac_sdn") >= 4
    # The lists' gauges are the same in both workers: reported once, not doubled.
    assert value(after, "screening_list_entries", "screening_list_entries", list="ofac_sdn") == 7
