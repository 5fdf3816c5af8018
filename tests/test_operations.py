"""Running it as a platform team does: shutdown behind a load balancer, the command's version."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.settings import Settings
from tests.cli_support import cli_env, run_cli
from tests.conftest import wait_ready


async def test_shutdown_says_not_serving_first_and_keeps_taking_calls_during_the_pause(
    settings: Settings, test_catalog: Catalog, redis_url: str
) -> None:
    if not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("shutdown does not depend on the Redis backend: one is enough")
    running = await start_server(dataclasses.replace(settings, http_port=0), test_catalog, load_policy())
    await wait_ready(running)
    assert running.http is not None
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}", timeout=10) as client,
    ):
        stub, health = pb_grpc.ScreeningServiceStub(channel), health_pb2_grpc.HealthStub(channel)
        stopping = asyncio.create_task(running.stop(grace_s=0.5, pause_s=1.5))
        await asyncio.sleep(0.3)  # inside the pause
        status = await health.Check(health_pb2.HealthCheckRequest(service=""))
        assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert (await client.get("/healthz")).status_code == 503
        answer = await stub.Screen(pb.ScreenRequest(party=pb.Party(name="Nicolas MADURO MOROS")), timeout=5)
        assert answer.decision == pb.DECISION_BLOCK  # still answered: the balancers have not all looked yet
        assert not stopping.done()
        await stopping
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Screen(pb.ScreenRequest(party=pb.Party(name="Nicolas MADURO MOROS")), timeout=2)


def test_the_command_says_its_version(tmp_path: Path) -> None:
    shown = run_cli(["--version"], cli_env(tmp_path))
    assert shown.returncode == 0 and re.fullmatch(r"screening \d+\.\d+\.\d+\S*\n", shown.stdout), shown.stdout
