"""`screening bench --items`: what items and their producers add to a Screen (issue 15's latency target).

Every list of the offline mirror (../shared/data/mirror-2023-12, real data; the UFLPA list is
the one items' producers are matched against there) is loaded into the state the service
serves, in this process, and `screen_request` is timed for two shapes of import request,
interleaved call by call so that the machine's noise falls on both alike:

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

import csv
import dataclasses
import gc
import random
import statistics
import time
from pathlib import Path

from service.api.gen import screening_pb2 as pb

ITEMS_PER_REQUEST = 10
HS_CODES = ("520812", "620520", "854143", "760120", "390410", "030617", "847130", "940171", "200290", "721420")
ORIGINS = ("CN", "VN", "MY", "IN", "BD", "DE", "MX", "TR")
BUSINESS = ("Trading", "Textile", "Garment", "Solar", "Chemical", "Metal", "Food", "Electronics", "Plastics", "Seafood",
            "Machinery", "Packaging")  # fmt: skip
FORMS = ("Co., Ltd.", "Industries", "Manufacturing Co.", "Group", "GmbH", "Limited")
COMPANIES = Path(__file__).resolve().parent / "evaluation" / "data" / "real_companies.tsv"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_items(mirror: Path, iterations: int) -> dict[str, float]:
    from service.api.servicer import screen_request
    from service.catalog import load_catalog
    from service.evaluation.lists import build_state, load_mirror

    catalog = load_catalog()
    lists = load_mirror(mirror, catalog)
    state = build_state(lists).state
    # As a server does once a state is loaded (service.engine.index_source.collector_paused): the
    # serving state out of the cycle collector's reach, so collections walk only what requests make.
    gc.collect()
    gc.freeze()
    with COMPANIES.open(encoding="utf-8") as handle:
        companies = [row["name"] for row in csv.DictReader(handle, delimiter="\t")]
    uflpa = [entry.primary_name for entry in lists["dhs_uflpa"].entries] if "dhs_uflpa" in lists else []
    rng = random.Random(15)

    seen: set[str] = set()

    def company() -> str:
        while True:
            name = f"{rng.choice(companies)} {rng.choice(BUSINESS)} {rng.choice(FORMS)}"
            if name not in seen:
                seen.add(name)
                return name

    def producer() -> pb.Party:
        name = f"{rng.choice(uflpa)} {len(seen)}" if uflpa and rng.random() < 0.1 else company()
        seen.add(name)
        return pb.Party(name=name, addresses=[pb.Address(country=rng.choice(ORIGINS))])

    def make_request(items: int = 0, inputs: bool = False) -> pb.ScreenRequest:
        """A request of its own names: no shape is answered from another's cached matches."""
        party = pb.Party(name=company(), addresses=[pb.Address(city="Hamburg", country="DE")])
        context = pb.TransactionContext(direction=pb.DIRECTION_IMPORT, origin_country=rng.choice(ORIGINS))
        for position in range(items):
            item = context.items.add(
                description=f"goods {position}",
                hs_code=rng.choice(HS_CODES),
                origin_country=rng.choice(ORIGINS),
                producer=producer(),
            )
            if inputs and position % 2:
                item.inputs.add(
                    description="input",
                    hs_code=rng.choice(HS_CODES),
                    origin_country=rng.choice(ORIGINS),
                    producer=producer(),
                )
        return pb.ScreenRequest(party=party, context=context)

    def shapes() -> tuple[pb.ScreenRequest, pb.ScreenRequest, pb.ScreenRequest, pb.ScreenRequest]:
        return (
            make_request(),
            make_request(ITEMS_PER_REQUEST),
            make_request(ITEMS_PER_REQUEST, True),
            make_request(ITEMS_PER_REQUEST),
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
    figures: dict[str, float] = {"producer_lists": float(len(state.policy.producer_lists & lists.keys()))}
    for kind, values in samples.items():
        figures[f"{kind}_p50_ms"] = _percentile(values, 0.50) * 1000
        figures[f"{kind}_p99_ms"] = _percentile(values, 0.99) * 1000
        figures[f"{kind}_mean_ms"] = statistics.fmean(values) * 1000
    figures["ratio_p50"] = figures["ten_items_p50_ms"] / figures["one_party_p50_ms"]
    figures["with_inputs_ratio_p50"] = figures["with_inputs_p50_ms"] / figures["one_party_p50_ms"]
    figures["full_index_ratio_p50"] = figures["full_index_p50_ms"] / figures["one_party_p50_ms"]
    return figures


def print_items(figures: dict[str, float], iterations: int) -> None:
    producers = ITEMS_PER_REQUEST + ITEMS_PER_REQUEST // 2
    f = figures
    print(
        f"Screen + items   {iterations} rounds of 4 shapes interleaved, every list of the mirror; producers "
        f"matched against {f['producer_lists']:.0f} list(s) with producer rules"
    )
    print(
        f"                 one party: p50 {f['one_party_p50_ms']:.3f} ms p99 {f['one_party_p99_ms']:.3f} ms; "
        f"with {ITEMS_PER_REQUEST} items and their producers: p50 {f['ten_items_p50_ms']:.3f} ms "
        f"p99 {f['ten_items_p99_ms']:.3f} ms; ratio at p50 {f['ratio_p50']:.2f}x (target <= 2x)"
    )
    print(
        f"                 with inputs too ({producers} producers): p50 {f['with_inputs_p50_ms']:.3f} ms "
        f"p99 {f['with_inputs_p99_ms']:.3f} ms ({f['with_inputs_ratio_p50']:.2f}x one party)"
    )
    print(
        f"                 the same producers matched by the full index instead: "
        f"p50 {f['full_index_p50_ms']:.3f} ms ({f['full_index_ratio_p50']:.2f}x one party)"
    )
