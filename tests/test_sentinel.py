"""Redis behind Sentinel: a failover while the service serves costs no screening and loses nothing.

Real processes on loopback: a master, its replica and a sentinel (`redis-server --sentinel`).
The master is killed mid-traffic; the sentinel promotes the replica; the server, which knows
only the sentinel, follows it.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import redis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.audit.trail import AuditTrail
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.settings import Settings
from service.store.connection import connect, parse_sentinel_url
from tests.conftest import settings_with, wait_ready
from tests.redis_support import free_port

MASTER = "screening-test"


@dataclass
class Cluster:
    master_port: int
    replica_port: int
    sentinel_port: int
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{MASTER}"

    def master_address(self) -> tuple[str, int] | None:
        client = redis.Redis(port=self.sentinel_port, socket_timeout=1)
        try:
            found = client.sentinel_get_master_addr_by_name(MASTER)
            if not found:
                return None
            host = found[0].decode() if isinstance(found[0], bytes) else str(found[0])
            return host, int(found[1])
        finally:
            client.close()


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise TimeoutError(what)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: this test runs a master, a replica and a sentinel")
    master, replica, sentinel = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = {
        "master": _start([binary, "--port", str(master), *common]),
        "replica": _start([binary, "--port", str(replica), "--replicaof", "127.0.0.1", str(master), *common]),
    }
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {master} 1\n"
        f"sentinel down-after-milliseconds {MASTER} 500\n"
        f"sentinel failover-timeout {MASTER} 3000\n"
    )
    processes["sentinel"] = _start([binary, str(config), "--sentinel"])
    found = Cluster(master, replica, sentinel, processes)
    try:
        _wait(lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up", 20, "replica linked")
        _wait(lambda: found.master_address() == ("127.0.0.1", master), 20, "sentinel sees the master")
        # The sentinel must know the replica before the master goes, or there is no one to promote.
        _wait(
            lambda: redis.Redis(port=sentinel).sentinel_slaves(MASTER), 20, "sentinel sees the replica"
        )  # fmt: skip
        yield found
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()


def test_a_sentinel_url_names_its_sentinels_master_and_db() -> None:
    target = parse_sentinel_url("redis+sentinel://:s3cret@10.0.0.1:26379,[::1]:26380/orders/2")
    assert target.sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (target.master, target.db, target.password) == ("orders", 2, "s3cret")
    with pytest.raises(ValueError, match="master"):
        parse_sentinel_url("redis+sentinel://10.0.0.1:26379")


async def test_a_failover_while_serving_costs_no_screening_and_loses_nothing(
    cluster: Cluster, settings: Settings, test_catalog: Catalog, tmp_path: Path, redis_url: str
) -> None:
    if not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("this test brings its own Redis: one run is enough")
    audit_dir = tmp_path / "audit"
    server_settings = settings_with(settings, redis_url=cluster.url, audit_dir=audit_dir)
    running = await start_server(server_settings, test_catalog, load_policy())
    screenings: list[str] = []
    failures: list[str] = []
    try:
        await wait_ready(running, timeout_s=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            registered = await stub.RegisterParties(pb.RegisterPartiesRequest(
                parties=[pb.Party(name="Johanna Pemberton-Whitcombe", party_reference="SENT-1")]
            ))  # fmt: skip
            assert registered.stored == 1
            recorded = await stub.RecordDisposition(pb.RecordDispositionRequest(
                party_reference="SENT-2", list_id="ofac_sdn", entry_id="22790",
                kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH, reason="the listed person",
            ))  # fmt: skip
            assert recorded.version == 1

            stop = asyncio.Event()

            async def traffic() -> None:
                names = ["Nicolas MADURO MOROS", "Acme Widgets Ltd"]
                n = 0
                while not stop.is_set():
                    try:
                        answer = await stub.Screen(pb.ScreenRequest(party=pb.Party(name=names[n % 2])), timeout=5)
                        screenings.append(answer.screening_id)
                    except grpc.aio.AioRpcError as exc:
                        failures.append(f"{exc.code().name}: {exc.details()}")
                    n += 1
                    await asyncio.sleep(0.02)

            load = asyncio.create_task(traffic())
            await asyncio.sleep(1.0)
            # What the master holds has reached the replica before it dies (replication is asynchronous).
            master = redis.Redis(port=cluster.master_port)
            assert master.wait(1, 5000) == 1
            master.close()
            cluster.processes["master"].send_signal(signal.SIGKILL)
            await asyncio.to_thread(
                _wait, lambda: cluster.master_address() == ("127.0.0.1", cluster.replica_port), 30, "failover"
            )
            # Writes go to the new master: a registration after the failover (a retry or two while clients learn).
            for _attempt in range(50):
                try:
                    after = await stub.RegisterParties(pb.RegisterPartiesRequest(
                        parties=[pb.Party(name="Tamsin Velleroy", party_reference="SENT-3")]
                    ))  # fmt: skip
                    break
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE, exc.details()
                    await asyncio.sleep(0.2)
            assert after.stored == 1
            await asyncio.sleep(1.0)
            stop.set()
            await load
            parties = [await stub.GetParty(pb.GetPartyRequest(party_reference=r)) for r in ("SENT-1", "SENT-3")]
            assert [p.party.name for p in parties] == ["Johanna Pemberton-Whitcombe", "Tamsin Velleroy"]
            kept = await stub.ListDispositions(pb.ListDispositionsRequest(party_reference="SENT-2"))
            assert [(d.entry_id, d.reason) for d in kept.dispositions] == [("22790", "the listed person")]
    finally:
        await running.stop(2.0)
    assert not failures, failures[:5]  # screening never needed Redis
    assert len(screenings) > 20
    # Every screening's audit record is in the new master's stream or in the day files.
    connection = await connect(cluster.url, tmp_path)
    try:
        trail = AuditTrail(connection.client, settings.key_prefix)
        missing = [sid for sid in screenings if await trail.find(sid, audit_dir) is None]
    finally:
        await connection.close()
    assert not missing, f"{len(missing)} of {len(screenings)} audit records lost, e.g. {missing[:3]}"
