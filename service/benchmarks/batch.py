"""`screening bench --batch`: `screening batch` against a real multi-process server.

Publishes the real OFAC SDN set under the bench's throw-away key prefix, starts
`screening serve --workers W` on a free loopback port (lists from that same folder,
never the internet), writes a CSV of N synthetic parties (90% made-up names from the
evaluation's pools of unlisted people and companies, 10% names of the set's own
entries), and runs the batch client in this process, once with one stream and once
with S streams, after a warm-up of 5,000 other parties over the S streams. Prints
parties/s, the decisions by kind and the CPU seconds each server worker, the client
and Redis used in each run.

The server runs without re-screening workers (RESCREEN_WORKERS=0): the first publish
of the set is a delta job over every entry, which would compete with the batch.
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from service.benchmarks import REPOSITORY
from service.settings import Settings

LISTED_SHARE = 0.10
# Screened over all streams before the measured runs, so that every server process has
# the caches a server running all day has (each query token's rated vocabulary and postings).
WARM_UP_PARTIES = 5000
# The target for ScreenBatch with two server processes on a 2-core machine.
BATCH_TARGET_PER_S = 2000
SERVE_TIMEOUT_S = 180.0
KILL_AFTER_S = 10.0
# Consecutive SERVING answers on fresh connections before the server counts as up: each
# connection may reach another worker process, and each worker loads the lists itself.
SERVING_CHECKS = 12
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class BatchRun:
    streams: int
    parties: int
    elapsed_s: float
    decisions: dict[str, int]
    client_cpu_s: float
    worker_cpu_s: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds during the run
    redis_cpu_s: float | None = None  # the Redis server's own CPU during the run (INFO cpu), None when unknown

    @property
    def rate(self) -> float:
        return self.parties / self.elapsed_s if self.elapsed_s > 0 else 0.0


# ----------------------------------------------------------------- parties


def _made_up(rng: random.Random, n: int) -> tuple[str, str, str]:
    """(name, type, country) of a realistic unlisted party."""
    from service.evaluation import pools

    culture = pools.CULTURES[n % len(pools.CULTURES)]
    country = rng.choice(culture.countries)
    if rng.random() < 0.6:
        given, family = rng.choice(culture.given), rng.choice(culture.family)
        name = f"{family} {given}" if culture.family_first else f"{given} {family}"
        return name, "individual", country
    form, countries = rng.choice(pools.COMPANY_FORMS)
    words = [rng.choice(pools.DISTINCTIVE_WORDS), rng.choice(pools.COMPANY_GENERIC)]
    if form:
        words.append(form)
    return " ".join(words), "organization", countries[0] if countries[0] else country


async def _listed_parties(settings: Settings, prefix: str) -> list[tuple[str, str]]:
    """(primary name, type) of every entry of the published set."""
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, prefix)
        meta = await store.current("ofac_sdn")
        if meta is None:
            raise RuntimeError("no OFAC SDN version under the bench prefix")
        entries = await store.load_entries("ofac_sdn", meta.version)
    finally:
        await connection.close()
    kind = {"individual": "individual", "organization": "organization", "vessel": "vessel", "aircraft": "aircraft"}
    return [(entry.primary_name, kind.get(entry.entity_type.value, "")) for entry in entries]


def write_parties(path: Path, count: int, listed: list[tuple[str, str]], seed: int = 17) -> int:
    """Write `count` parties; returns how many carry a listed name."""
    rng = random.Random(seed)
    planted = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["party_reference", "name", "type", "country"])
        for n in range(count):
            if rng.random() < LISTED_SHARE:
                name, kind = rng.choice(listed)
                writer.writerow([f"BP-{n:07d}", name, kind, ""])
                planted += 1
            else:
                writer.writerow([f"BP-{n:07d}", *_made_up(rng, n)])
    return planted


# ----------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14 and 15)


def _workers_of(pid: int) -> list[int]:
    """The worker processes `screening serve` spawned (children run with --multiprocessing-fork), Linux only."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            spawned = b"--multiprocessing-fork" in (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and spawned:
            found.append(int(stat.parent.name))
    return sorted(found)


def _workers_cpu(pids: list[int]) -> dict[int, float]:
    return {pid: cpu for pid in pids if (cpu := _cpu_s(pid)) is not None}


async def _wait_serving(target: str, process: subprocess.Popen[bytes], log_path: Path) -> float:
    """Until SERVING_CHECKS fresh connections in a row report SERVING; returns the seconds waited."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    started = time.monotonic()
    in_a_row = 0
    while in_a_row < SERVING_CHECKS:
        if process.poll() is not None:
            raise RuntimeError(f"`screening serve` exited with {process.returncode}: {_tail(log_path)}")
        if time.monotonic() - started > SERVE_TIMEOUT_S:
            raise TimeoutError(f"the server was not SERVING after {SERVE_TIMEOUT_S:g} s: {_tail(log_path)}")
        try:
            async with grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2.0)  # type: ignore[attr-defined]  # typeshed's HealthStub declares no methods
            serving = reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.aio.AioRpcError:
            serving = False
        in_a_row = in_a_row + 1 if serving else 0
        if not serving:
            await asyncio.sleep(0.5)
    return time.monotonic() - started


def _tail(path: Path, size: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server drains and stops its workers), SIGKILL to its whole group after KILL_AFTER_S."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            pass
    # The server was started in a session of its own: its process group holds it and its
    # workers only. Whatever of it is left (a worker that outlived its parent) goes too.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


# ----------------------------------------------------------------- runs


async def _redis_cpu_s(redis_url: str) -> float | None:
    """CPU seconds the Redis server has used (it runs on the same machine, so it counts too)."""
    import redis.asyncio as aioredis

    try:
        client = aioredis.Redis.from_url(redis_url)
        try:
            info = await client.info("cpu")
        finally:
            await client.aclose()
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    except Exception:  # noqa: BLE001 - a figure we can do without
        return None


async def _run(source: Path, output: Path, target: str, streams: int, workers: list[int], redis_url: str) -> BatchRun:
    from service.batch.files import BadInput
    from service.batch.run import BatchError, BatchOptions, screen_file

    options = BatchOptions(input=source, output=output, progress=False, streams=streams, overwrite=True, timeout=30.0)
    redis_before = await _redis_cpu_s(redis_url)
    cpu_before, client_before = _workers_cpu(workers), time.process_time()
    try:
        summary = await screen_file(options, target=target)
    except (BadInput, BatchError) as exc:
        raise RuntimeError(f"screening batch --streams {streams}: {exc}") from None
    cpu_after, client_after = _workers_cpu(workers), time.process_time()
    redis_after = await _redis_cpu_s(redis_url)
    return BatchRun(
        streams=streams,
        parties=summary.screened,
        elapsed_s=summary.elapsed_s,
        decisions=dict(summary.decisions),
        client_cpu_s=client_after - client_before,
        worker_cpu_s={pid: cpu_after[pid] - cpu_before[pid] for pid in cpu_after if pid in cpu_before},
        redis_cpu_s=redis_after - redis_before if redis_before is not None and redis_after is not None else None,
    )


def _same_decisions(a: Path, b: Path) -> bool:
    def decisions(path: Path) -> list[tuple[str, str]]:
        with path.open(encoding="utf-8", newline="") as file:
            return [(row["party_reference"], row["decision"]) for row in csv.DictReader(file)]

    return decisions(a) == decisions(b)


async def bench_batch(
    settings: Settings, prefix: str, lists_dir: Path, parties: int, workers: int, streams: int
) -> dict[str, object]:
    from service.benchmarks.command import _publish

    publish = await _publish(settings, lists_dir, prefix)
    listed = await _listed_parties(settings, prefix)
    with tempfile.TemporaryDirectory(prefix="screening-bench-batch-") as tmp:
        directory = Path(tmp)
        source = directory / "parties.csv"
        planted = write_parties(source, parties, listed)
        warm = directory / "warm.csv"
        write_parties(warm, min(parties, WARM_UP_PARTIES), listed, seed=3)
        port = _free_port()
        target = f"127.0.0.1:{port}"
        env = {
            **os.environ,
            "SCREENING_KEY_PREFIX": prefix,
            "REDIS_URL": str(settings.redis_url),
            "LOG_LEVEL": "warning",
            "LISTS_DIR": str(lists_dir),
            "SCREENING_DATA_DIR": str(directory / "data"),
            "RESCREEN_WORKERS": "0",
            "SCREENING_DRAIN_SECONDS": "2",
        }
        log_path = directory / "serve.log"
        command = [sys.executable, "-m", "service.cli", "serve", "--workers", str(workers), "--http-port", "off", "--host", "127.0.0.1",
                   "--port", str(port), "--lists-dir", str(lists_dir)]  # fmt: skip
        with log_path.open("wb") as log_file:
            started = time.monotonic()
            process = subprocess.Popen(  # noqa: ASYNC220 - starts the server and returns at once
                command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=REPOSITORY,
            )  # fmt: skip
            try:
                await _wait_serving(target, process, log_path)
                startup_s = time.monotonic() - started
                pids = _workers_of(process.pid) if workers > 1 else [process.pid]
                redis_url = str(settings.redis_url)
                await _run(warm, directory / "warm-out.csv", target, streams, pids, redis_url)
                one = await _run(source, directory / "one.csv", target, 1, pids, redis_url)
                many = await _run(source, directory / "many.csv", target, streams, pids, redis_url)
                same = _same_decisions(directory / "one.csv", directory / "many.csv")
            finally:
                _stop(process)
    return {
        "entries": publish["entries"], "parties": parties, "planted": planted, "workers": workers,
        "startup_s": startup_s, "runs": [one, many], "same_output": same, "lists_dir": str(lists_dir),
    }  # fmt: skip


def _describe(run: BatchRun, base: BatchRun | None) -> str:
    decisions = ", ".join(
        f"{kind} {run.decisions.get(kind, 0)}" for kind in ("CLEAR", "REVIEW", "HOLD", "BLOCK", "ERROR")
    )
    ratio = f" (x{run.rate / base.rate:.2f})" if base is not None and base.rate > 0 else ""
    text = f"{run.streams:>2} stream(s)     {run.rate:,.0f} parties/s{ratio}, {run.elapsed_s:.1f} s; {decisions}"
    if run.worker_cpu_s:
        total = sum(run.worker_cpu_s.values())
        per_worker = " + ".join(f"{cpu:.1f}" for cpu in run.worker_cpu_s.values())
        text += (f"\n                 server CPU {per_worker} s ({total / run.elapsed_s:.2f} cores busy, "
                 f"{total / max(run.parties, 1) * 1000:.2f} ms/party); client CPU {run.client_cpu_s:.1f} s "
                 f"({run.client_cpu_s / max(run.parties, 1) * 1000:.2f} ms/party)")  # fmt: skip
        if run.redis_cpu_s is not None:
            text += f"; Redis CPU {run.redis_cpu_s:.1f} s ({run.redis_cpu_s / max(run.parties, 1) * 1000:.2f} ms/party)"
    return text


def print_batch(figures: dict[str, object]) -> None:
    runs = figures["runs"]
    assert isinstance(runs, list)
    one, many = runs
    print(f"batch            {figures['parties']:,} parties ({figures['planted']:,} with a listed name) against "
          f"`screening serve --workers {figures['workers']}` on loopback ({figures['entries']} SDN entries, "
          f"up in {figures['startup_s']:.1f} s); client in this process; same run:")  # fmt: skip
    print(f"                 {_describe(one, None)}")
    print(f"                 {_describe(many, one)}")
    if not figures["same_output"]:
        print("                 WARNING: the two runs' decisions differ")
    verdict = "met" if many.rate >= BATCH_TARGET_PER_S else "NOT met"
    print(f"                 target >= {BATCH_TARGET_PER_S:,} parties/s with {figures['workers']} workers: {verdict} "
          f"({many.rate:,.0f}/s with {many.streams} streams)")  # fmt: skip
