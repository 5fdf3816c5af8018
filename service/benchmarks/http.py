"""`screening bench --http`: the HTTP/JSON door against gRPC, one server, one run (issue 16: within 0.5 ms at p50).

One `screening serve` with both doors (audit on, authentication off on loopback), the OFAC SDN
set; `Screen` is called one call at a time over a kept-alive connection of each kind, the doors in
shuffled order call by call, names never repeated (one in ten a listed name, so a tenth of the
answers carry a match and its explanation, the larger JSON). The clients are the standard ones a
Python integrator would use: the generated gRPC stub, and `http.client` for HTTP.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from service.api.gen import screening_pb2 as pb
from service.benchmarks import percentile
from service.settings import Settings

LISTED_SHARE = 0.1


def _names(lists_dir: Path, count: int) -> list[str]:
    from service.benchmarks.batch import _made_up
    from service.catalog import load_catalog
    from service.refresh.fetch import read_directory
    from service.refresh.publisher import parse_fetched

    fetched = read_directory(load_catalog().get("ofac_sdn"), lists_dir)
    listed = [entry.primary_name for entry in parse_fetched(fetched).entries] if fetched is not None else []
    rng = random.Random(16)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = rng.choice(listed) if listed and rng.random() < LISTED_SHARE else _made_up(rng, len(names))[0]
        if name in seen:
            name = f"{name} {len(names)}"
        seen.add(name)
        names.append(name)
    return names


def bench_http(settings: Settings, prefix: str, lists_dir: Path, iterations: int) -> dict[str, float]:
    """p50 / p99 of Screen through each door of one server, and the failed calls."""
    import grpc

    from service.api.gen import screening_pb2_grpc as pb_grpc
    from service.benchmarks.load import LoadOptions, _Server

    names = _names(lists_dir, 2 * iterations + 400)
    with tempfile.TemporaryDirectory(prefix="screening-bench-http-") as tmp:
        server = _Server(LoadOptions(workers=1), str(settings.redis_url), prefix, lists_dir, Path(tmp), http=True)
        try:
            asyncio.run(server.start(pb.ScreenRequest(party=pb.Party(name="Warm Up Trading GmbH"))))
            assert server.http_port is not None
            with grpc.insecure_channel(server.target) as channel:
                stub = pb_grpc.ScreeningServiceStub(channel)
                connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
                try:
                    samples, failed = _time_doors(stub, connection, names, iterations)
                finally:
                    connection.close()
        finally:
            server.stop()
    figures: dict[str, float] = {"failed": float(failed)}
    for door, values in samples.items():
        figures[f"{door}_p50_ms"] = percentile(values, 0.5) * 1000
        figures[f"{door}_p99_ms"] = percentile(values, 0.99) * 1000
        figures[f"{door}_mean_ms"] = statistics.fmean(values) * 1000
    figures["p50_difference_ms"] = figures["http_p50_ms"] - figures["grpc_p50_ms"]
    return figures


def _body(name: str) -> bytes:
    return json.dumps({"party": {"name": name, "addresses": [{"country": "DE"}]}}).encode()


def _time_doors(
    stub: Any, connection: http.client.HTTPConnection, names: list[str], iterations: int
) -> tuple[dict[str, list[float]], int]:
    import grpc

    def over_grpc(name: str) -> None:
        stub.Screen(pb.ScreenRequest(party=pb.Party(name=name, addresses=[pb.Address(country="DE")])), timeout=10)

    def over_http(name: str) -> None:
        connection.request("POST", "/v1/screen", _body(name), {"content-type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}")

    doors = {"grpc": over_grpc, "http": over_http}
    for name in names[:200]:  # warm both doors' code paths
        over_grpc(name)
        over_http(f"{name} warm")
    samples: dict[str, list[float]] = {"grpc": [], "http": []}
    failed = 0
    order = random.Random(17)
    pending = iter(names[400:])
    for _ in range(iterations):
        kinds = list(doors)
        order.shuffle(kinds)
        for kind in kinds:
            name = next(pending)
            started = time.perf_counter()
            try:
                doors[kind](name)
            except (grpc.RpcError, RuntimeError, OSError, http.client.HTTPException):
                failed += 1
                continue
            samples[kind].append(time.perf_counter() - started)
    return samples, failed


def print_http(figures: dict[str, float], iterations: int) -> None:
    f = figures
    print(
        f"HTTP vs gRPC     Screen through one `screening serve`, {iterations} rounds of both doors shuffled, "
        f"OFAC SDN, audit on; failed calls: {f['failed']:.0f}"
    )
    print(
        f"                 gRPC p50 {f['grpc_p50_ms']:.3f} ms p99 {f['grpc_p99_ms']:.3f} ms; HTTP/JSON p50 "
        f"{f['http_p50_ms']:.3f} ms p99 {f['http_p99_ms']:.3f} ms; HTTP - gRPC at p50 {f['p50_difference_ms']:+.3f} ms "
        f"(target <= +0.5 ms)"
    )
