"""`screening bench --items`: what items and their producers add to a Screen (issue 15's latency target).

Every list of the offline mirror (../shared/data/mirror-2023-12, real data; the UFLPA list is
the one items' producers are matched against there) is served twice:

- by `screening serve` (it refreshes the lists from the mirror itself), called through a gRPC
  client as an order system calls it, audit records written: the issue's measure, one party
  against 10 items, in shuffled order call by call so that the machine's noise falls on all
  alike; also 10 items none of whose producers is listed (the bench's one in ten listed
  producers each bring a match, a reason and its explanation: real order flow has far fewer);
- in this process, `screen_request` alone (no gRPC, Redis or audit), which shows where the
  time goes, for these shapes, also interleaved:

- one party: a supplier's name and address, nothing else;
- the same party with 10 items, each with its own producer (name and country), HS code and
  origin country (the issue's target: within 2x of one party at p50);
- those items with one input on every other item, the input with a producer of its own
  (15 producers);
- for comparison, the 10 items with the producers matched by the full index (every list,
  as a party is) instead of the subset of lists with producer rules the service uses.

Names never repeat: parties and producers are 4,000 real company names
(service/evaluation/data/real_companies.tsv) each with a line of business and a legal form
(300,000 combinations, none drawn twice), and one producer in ten is a UFLPA-listed name with a
serial number, so the matcher's result cache answers for no shape.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import gc
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from service.api.gen import screening_pb2 as pb
from service.benchmarks import REPOSITORY, percentile
from service.settings import Settings

ITEMS_PER_REQUEST = 10
HS_CODES = ("520812", "620520", "854143", "760120", "390410", "030617", "847130", "940171", "200290", "721420")
ORIGINS = ("CN", "VN", "MY", "IN", "BD", "DE", "MX", "TR")
BUSINESS = ("Trading", "Textile", "Garment", "Solar", "Chemical", "Metal", "Food", "Electronics", "Plastics", "Seafood",
            "Machinery", "Packaging")  # fmt: skip
FORMS = ("Co., Ltd.", "Industries", "Manufacturing Co.", "Group", "GmbH", "Limited")
# One producer in ten is a UFLPA-listed name (with a serial number, so never repeated).
LISTED_PRODUCER_SHARE = 0.1
# Refreshing every list of the mirror, parsing and indexing them, takes the server this long at most.
LOAD_TIMEOUT_S = 300.0
COMPANIES = REPOSITORY / "service" / "evaluation" / "data" / "real_companies.tsv"


class _Requests:
    """Import requests of names never sent before: no shape is answered from another's cached matches."""

    def __init__(self, uflpa: list[str], seed: int) -> None:
        with COMPANIES.open(encoding="utf-8") as handle:
            self._companies = [row["name"] for row in csv.DictReader(handle, delimiter="\t")]
        self._uflpa = uflpa
        self._rng = random.Random(seed)
        self._seen: set[str] = set()

    def _company(self) -> str:
        rng = self._rng
        while True:
            name = f"{rng.choice(self._companies)} {rng.choice(BUSINESS)} {rng.choice(FORMS)}"
            if name not in self._seen:
                self._seen.add(name)
                return name

    def _producer(self, listed: bool) -> pb.Party:
        rng = self._rng
        if listed and self._uflpa and rng.random() < LISTED_PRODUCER_SHARE:
            name = f"{rng.choice(self._uflpa)} {len(self._seen)}"
            self._seen.add(name)
        else:
            name = self._company()
        return pb.Party(name=name, addresses=[pb.Address(country=rng.choice(ORIGINS))])

    def make(self, items: int = 0, inputs: bool = False, listed: bool = True) -> pb.ScreenRequest:
        """`listed`: one producer in ten (LISTED_PRODUCER_SHARE) is a UFLPA-listed name; else none is."""
        rng = self._rng
        party = pb.Party(name=self._company(), addresses=[pb.Address(city="Hamburg", country="DE")])
        context = pb.TransactionContext(direction=pb.DIRECTION_IMPORT, origin_country=rng.choice(ORIGINS))
        for position in range(items):
            item = context.items.add(
                description=f"goods {position}",
                hs_code=rng.choice(HS_CODES),
                origin_country=rng.choice(ORIGINS),
                producer=self._producer(listed),
            )
            if inputs and position % 2:
                item.inputs.add(
                    description="input",
                    hs_code=rng.choice(HS_CODES),
                    origin_country=rng.choice(ORIGINS),
                    producer=self._producer(listed),
                )
        return pb.ScreenRequest(party=party, context=context)


def _figures(samples: dict[str, list[float]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for kind, values in samples.items():
        figures[f"{kind}_p50_ms"] = percentile(values, 0.50) * 1000
        figures[f"{kind}_p99_ms"] = percentile(values, 0.99) * 1000
        figures[f"{kind}_mean_ms"] = statistics.fmean(values) * 1000
    for kind in samples:
        if kind != "one_party":
            figures[f"{kind}_ratio_p50"] = figures[f"{kind}_p50_ms"] / figures["one_party_p50_ms"]
    return figures


def bench_items(mirror: Path, iterations: int) -> dict[str, float]:
    """In this process: where a Screen's time goes without gRPC, Redis or audit."""
    from service.api.screening import screen_request
    from service.catalog import load_catalog
    from service.evaluation.lists import build_state, load_mirror

    catalog = load_catalog()
    lists = load_mirror(mirror, catalog)
    state = build_state(lists).state
    # As a server does once a state is loaded (service.engine.index_source.collector_paused): the
    # serving state out of the cycle collector's reach, so collections walk only what requests make.
    gc.collect()
    gc.freeze()
    uflpa = [entry.primary_name for entry in lists["dhs_uflpa"].entries] if "dhs_uflpa" in lists else []
    requests = _Requests(uflpa, seed=15)

    def shapes() -> tuple[pb.ScreenRequest, pb.ScreenRequest, pb.ScreenRequest, pb.ScreenRequest]:
        return (
            requests.make(),
            requests.make(ITEMS_PER_REQUEST),
            requests.make(ITEMS_PER_REQUEST, True),
            requests.make(ITEMS_PER_REQUEST),
        )

    for _ in range(50):  # warm caches of the code paths, not of these names
        for request in shapes():
            screen_request(request, state, catalog.lists)
    full_index = dataclasses.replace(state, producer_matcher=state.matcher)
    samples: dict[str, list[float]] = {"one_party": [], "ten_items": [], "with_inputs": [], "full_index": []}
    for _ in range(iterations):
        one, items, with_inputs, other_items = shapes()
        runs = (
            ("one_party", one, state), ("ten_items", items, state), ("with_inputs", with_inputs, state),
            ("full_index", other_items, full_index),
        )  # fmt: skip
        for kind, request, serving in runs:
            started = time.perf_counter()
            screen_request(request, serving, catalog.lists)
            samples[kind].append(time.perf_counter() - started)
    figures = _figures(samples)
    figures["producer_lists"] = float(len(state.policy.producer_lists & lists.keys()))
    return figures


def bench_items_served(settings: Settings, prefix: str, mirror: Path, iterations: int) -> dict[str, float]:
    """Through `screening serve` and a gRPC client, as an order system sees it (the issue's measure):
    the mirror's lists refreshed by the server itself, audit records written, the shapes in
    shuffled order call by call."""
    import grpc

    from service.api.gen import screening_pb2_grpc as pb_grpc
    from service.benchmarks.load import LoadOptions, _Server
    from service.catalog import load_catalog
    from service.refresh.fetch import read_directory

    catalog = load_catalog()
    expected = {list_id for list_id, spec in catalog.lists.items() if read_directory(spec, mirror) is not None}
    requests = _Requests(_uflpa_names(mirror), seed=16)
    with tempfile.TemporaryDirectory(prefix="screening-bench-items-") as tmp:
        server = _Server(LoadOptions(workers=1), str(settings.redis_url), prefix, mirror, Path(tmp))
        try:
            asyncio.run(server.start(requests.make()))
            assert server.process is not None
            with grpc.insecure_channel(server.target) as channel:
                stub = pb_grpc.ScreeningServiceStub(channel)
                _wait_loaded(stub, expected, server.process)
                samples, failed = _time_shapes(stub, requests, iterations)
        finally:
            server.stop()
    figures = _figures(samples)
    figures["failed"] = float(failed)
    figures["lists"] = float(len(expected))
    return figures


def _time_shapes(stub: Any, requests: _Requests, iterations: int) -> tuple[dict[str, list[float]], int]:
    """Seconds per Screen call of each shape, and the calls that failed."""
    import grpc

    for _ in range(100):  # warm the server's code paths
        stub.Screen(requests.make(), timeout=10)
        stub.Screen(requests.make(ITEMS_PER_REQUEST), timeout=10)
    samples: dict[str, list[float]] = {"one_party": [], "ten_items": [], "none_listed": []}
    failed = 0
    order = random.Random(17)
    for _ in range(iterations):
        shapes = [
            ("one_party", requests.make()),
            ("ten_items", requests.make(ITEMS_PER_REQUEST)),
            ("none_listed", requests.make(ITEMS_PER_REQUEST, listed=False)),
        ]
        # No shape always follows another: the audit writer sends a call's record a few
        # milliseconds after it (write-behind), inside whichever call runs then.
        order.shuffle(shapes)
        for kind, request in shapes:
            started = time.perf_counter()
            try:
                stub.Screen(request, timeout=10)
            except grpc.RpcError:
                failed += 1
                continue
            samples[kind].append(time.perf_counter() - started)
    return samples, failed


def _uflpa_names(mirror: Path) -> list[str]:
    from service.catalog import load_catalog
    from service.refresh.fetch import read_directory
    from service.refresh.publisher import parse_fetched

    fetched = read_directory(load_catalog().get("dhs_uflpa"), mirror)
    return [entry.primary_name for entry in parse_fetched(fetched).entries] if fetched is not None else []


def _wait_loaded(stub: Any, expected: set[str], process: subprocess.Popen[bytes]) -> None:
    """Until the server holds a version of every list the mirror has files for (SERVING comes with the first)."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while True:
        reply = stub.GetListStatus(pb.GetListStatusRequest(), timeout=10)
        missing = expected - {status.list_id for status in reply.lists if status.loaded and status.entry_count}
        if not missing:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not load {', '.join(sorted(missing))} from the mirror")
        time.sleep(1.0)


def print_items(figures: dict[str, float], served: dict[str, float] | None, iterations: int) -> None:
    producers = ITEMS_PER_REQUEST + ITEMS_PER_REQUEST // 2
    f = figures
    if served is not None:
        s = served
        print(
            f"Screen + items   through `screening serve` and gRPC, {iterations} rounds of 3 shapes shuffled, "
            f"{s['lists']:.0f} lists of the mirror, audit on; failed calls: {s['failed']:.0f}"
        )
        print(
            f"                 one party: p50 {s['one_party_p50_ms']:.3f} ms p99 {s['one_party_p99_ms']:.3f} ms; "
            f"with {ITEMS_PER_REQUEST} items and their producers: p50 {s['ten_items_p50_ms']:.3f} ms "
            f"p99 {s['ten_items_p99_ms']:.3f} ms; ratio at p50 {s['ten_items_ratio_p50']:.2f}x (target <= 2x)"
        )
        print(
            f"                 the same with no producer listed (one in ten is, above): p50 "
            f"{s['none_listed_p50_ms']:.3f} ms p99 {s['none_listed_p99_ms']:.3f} ms ({s['none_listed_ratio_p50']:.2f}x)"
        )
    print(
        f"Screen in-process (no gRPC, Redis or audit: where the time goes), {iterations} rounds of 4 shapes "
        f"interleaved; producers matched against {f['producer_lists']:.0f} list(s) with producer rules"
    )
    print(
        f"                 one party: p50 {f['one_party_p50_ms']:.3f} ms p99 {f['one_party_p99_ms']:.3f} ms; "
        f"with {ITEMS_PER_REQUEST} items and their producers: p50 {f['ten_items_p50_ms']:.3f} ms "
        f"p99 {f['ten_items_p99_ms']:.3f} ms ({f['ten_items_ratio_p50']:.2f}x one party)"
    )
    print(
        f"                 with inputs too ({producers} producers): p50 {f['with_inputs_p50_ms']:.3f} ms "
        f"p99 {f['with_inputs_p99_ms']:.3f} ms ({f['with_inputs_ratio_p50']:.2f}x one party)"
    )
    print(
        f"                 the same producers matched by the full index instead: "
        f"p50 {f['full_index_p50_ms']:.3f} ms ({f['full_index_ratio_p50']:.2f}x one party)"
    )
