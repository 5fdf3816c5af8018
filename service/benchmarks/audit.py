"""`screening bench --audit`: what writing the audit record adds to a screening.

The gRPC handler's own path (validate, match, dispositions, decide, build the
response and the audit record) is timed three ways, alternating in blocks within
one run so that all see the same machine load: without audit; with the record
handed to the write-behind writer the server uses (a background task sends it to
the Redis Stream); and with the stream write awaited on the request path.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from service.api.gen import screening_pb2 as pb
from service.benchmarks import percentile
from service.settings import Settings

BLOCK = 50
MODES = ("without", "with", "awaited")


async def bench_audit(settings: Settings, prefix: str, iterations: int) -> dict[str, float]:
    from service.api.servicer import ScreeningServicer
    from service.audit.trail import AuditTrail
    from service.audit.writer import AuditWriter
    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.dispositions.store import DispositionStore
    from service.engine.loader import ListLoader
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, prefix)
        loader = ListLoader(store, catalog, load_policy())
        await loader.reload()
        assert loader.state is not None, "publish a list under this prefix first"
        trail = AuditTrail(connection.client, prefix)
        writer = AuditWriter(trail, Path(tempfile.mkdtemp(prefix="screening-bench-audit-")))
        stopping = asyncio.Event()
        writer_task = asyncio.create_task(writer.run(stopping))
        servicer = ScreeningServicer(loader, catalog, store, DispositionStore(connection.client, prefix), writer)
        entries = next(iter(loader.state.lists.values())).entries
        rng = random.Random(11)
        names = [rng.choice(entries).primary_name for _ in range(100)] + [
            f"{rng.choice(['Anna', 'Pierre', 'Wei', 'Olu', 'Maria'])} {uuid.UUID(int=rng.getrandbits(128)).hex[:8]} GmbH"
            for _ in range(100)
        ]
        requests = [
            pb.ScreenRequest(party=pb.Party(name=name), context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT))
            for name in names
        ]
        for request in requests[:50]:  # warm caches
            await servicer.screen_once(request, "warm", "bench")
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        for i in range(iterations):
            mode = MODES[(i // BLOCK) % len(MODES)]
            request = requests[i % len(requests)]
            started = time.perf_counter()
            _, record = await servicer.screen_once(request, f"bench-{i}", "bench")
            if mode == "with":
                await writer.submit(record)
            elif mode == "awaited":
                await trail.write(record)
            samples[mode].append(time.perf_counter() - started)
            # Yield as a gRPC server does between calls, so the writer task gets its turns.
            await asyncio.sleep(0)
        stopping.set()
        await writer_task
        await writer.flush()
        stream_length = await connection.client.xlen(trail.stream_key)
    finally:
        await connection.close()
    figures: dict[str, float] = {"records_written": float(stream_length)}
    for label, values in samples.items():
        figures[f"{label}_p50_ms"] = percentile(values, 0.50) * 1000
        figures[f"{label}_p99_ms"] = percentile(values, 0.99) * 1000
        figures[f"{label}_mean_ms"] = statistics.fmean(values) * 1000
    return figures


def print_audit(figures: dict[str, float]) -> None:
    base = figures["without_p99_ms"]
    print(
        f"audit write      Screen path p50 / p99: without audit {figures['without_p50_ms']:.3f} / {base:.3f} ms; "
        f"write-behind (served) {figures['with_p50_ms']:.3f} / {figures['with_p99_ms']:.3f} ms (p99 x{figures['with_p99_ms'] / base:.2f}); "
        f"stream write awaited {figures['awaited_p50_ms']:.3f} / {figures['awaited_p99_ms']:.3f} ms (p99 x{figures['awaited_p99_ms'] / base:.2f}); "
        f"{figures['records_written']:.0f} records in the stream (same run, alternating blocks of {BLOCK})"
    )
