"""The client package for integrators (clients/python) against a real server: screen, screen_many, follow_alerts."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import redis.asyncio as aioredis
from screening_client import ScreeningClient, pb

from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import RunningServer, start_server
from service.rescreen.jobs import AlertRecord, Jobs
from service.settings import Settings
from tests.conftest import wait_ready

CLIENT = Path(__file__).resolve().parents[1] / "clients" / "python"


async def test_screen_one_party(grpc_server: RunningServer) -> None:
    def call() -> pb.ScreenResponse:
        with ScreeningClient(f"127.0.0.1:{grpc_server.port}") as client:
            return client.screen(
                pb.Party(name="Nicolas MADURO MOROS", addresses=[pb.Address(country="VE")]),
                context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT),
                request_id="so-1",
            )

    answer = await asyncio.to_thread(call)
    assert answer.decision == pb.DECISION_BLOCK and answer.request_id == "so-1"


async def test_screen_many_answers_in_order_and_reads_ahead_only_a_window(grpc_server: RunningServer) -> None:
    read: list[int] = []
    first_answer_after: list[int] = []

    def requests():  # type: ignore[no-untyped-def]
        for n in range(300):
            read.append(n)
            name = "Nicolas MADURO MOROS" if n % 50 == 0 else f"Jane Roe {n}"
            yield pb.ScreenRequest(request_id=f"r-{n}", party=pb.Party(name=name))

    def run() -> list[pb.ScreenResponse]:
        out = []
        with ScreeningClient(f"127.0.0.1:{grpc_server.port}") as client:
            for response in client.screen_many(requests(), chunk=16, window=2):
                if not out:
                    first_answer_after.append(len(read))
                out.append(response)
        return out

    answers = await asyncio.to_thread(run)
    assert [a.request_id for a in answers] == [f"r-{n}" for n in range(300)]
    assert [a.decision for a in answers[::50]] == [pb.DECISION_BLOCK] * 6
    # Back-pressure: when the first answer came, at most window x chunk requests (and the chunk being
    # filled) had been read from the input, not all 300.
    assert first_answer_after[0] <= 16 * 3


async def test_follow_alerts_resumes_after_a_server_restart_without_losing_or_repeating(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    running = await start_server(settings, test_catalog, load_policy())
    await wait_ready(running)
    port = running.port
    jobs = Jobs(redis_client, key_prefix)

    async def alert(reference: str) -> str:
        record = AlertRecord(
            job_id="job-1", reference=reference, decision="BLOCK", previous_decision="CLEAR",
            entries=(("ofac_sdn", "22790", "MADURO MOROS, Nicolas", 0.97, "added", "BLOCK"),),
            text=f"{reference} now matches", raised_at=datetime.now(UTC),
        )  # fmt: skip
        return (await redis_client.xadd(jobs.alerts_key, {"alert": msgspec.json.encode(record)})).decode()

    first = await alert("ERP-1")
    seen: list[str] = []
    stop = threading.Event()
    got_first = threading.Event()

    def follow() -> None:
        with ScreeningClient(f"127.0.0.1:{port}") as client:
            for item in client.follow_alerts(after_id="0", stop=stop, reconnect_delay=0.1, max_delay=0.5):
                seen.append(item.party_reference)
                got_first.set()
                if len(seen) == 3:
                    stop.set()

    follower = asyncio.create_task(asyncio.to_thread(follow))
    try:
        assert await asyncio.to_thread(got_first.wait, 15)
        await running.stop(0.2)  # the stream drops; the client keeps trying
        await alert("ERP-2")
        await alert("ERP-3")
        running = await start_server(dataclasses.replace(settings, port=port), test_catalog, load_policy())
        await wait_ready(running)
        await asyncio.wait_for(follower, 30)
    finally:
        stop.set()
        await running.stop(0.2)
    assert first and seen == ["ERP-1", "ERP-2", "ERP-3"]


def test_the_package_needs_none_of_the_servers_code_or_dependencies(tmp_path: Path) -> None:
    imported = subprocess.run(
        [
            sys.executable, "-c", ("import sys, screening_client; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('service', 'starlette', 'redis', 'rapidfuzz', 'numpy')))"),
        ],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert imported.stdout.strip() == "[]"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         str(CLIENT)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("screening_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    requires = sorted(line.split(":", 1)[1].strip().split(">")[0].split("<")[0] for line in metadata.splitlines()
                      if line.startswith("Requires-Dist:"))  # fmt: skip
    assert requires == ["grpcio", "protobuf"]
    assert "screening_client/gen/screening_pb2.py" in names and "screening_client/py.typed" in names
