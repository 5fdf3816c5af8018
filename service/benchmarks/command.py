"""`screening bench`: parse+publish, load into a fresh process, in-process Screen latency;
with service/benchmarks/swap.py also per-list parse+publish (--lists) and a live list swap (--swap).

Runs against REDIS_URL (or an embedded Redis) under a throw-away key prefix it
deletes afterwards. Prints figures only; targets are judged by people, not by
assertions, because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict, TypeVar

from service.api.gen import screening_pb2 as pb
from service.benchmarks import SHARED_DATA, percentile
from service.settings import Settings

T = TypeVar("T")
DEFAULT_SET = SHARED_DATA / "ofac-sdn-2023-12-28"


class Published(TypedDict):
    """`_publish`'s figures: seconds per step, the entries published and where."""

    read_s: float
    parse_s: float
    publish_s: float
    entries: int
    redis_url: str


async def _publish(settings: Settings, lists_dir: Path, prefix: str) -> Published:
    from service.catalog import load_catalog
    from service.refresh.fetch import read_directory
    from service.refresh.publisher import parse_fetched
    from service.refresh.validate import validate_update
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    spec = load_catalog().get("ofac_sdn")
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, prefix)
        t0 = time.perf_counter()
        fetched = read_directory(spec, lists_dir)
        if fetched is None:
            raise SystemExit(f"no OFAC SDN files in {lists_dir}")
        t1 = time.perf_counter()
        parsed = parse_fetched(fetched)
        validate_update(spec, parsed)
        t2 = time.perf_counter()
        meta, _ = await store.publish(parsed)
        t3 = time.perf_counter()
    finally:
        await connection.close()
    return {
        "read_s": t1 - t0,
        "parse_s": t2 - t1,
        "publish_s": t3 - t2,
        "entries": meta.entry_count,
        "redis_url": connection.url,
    }


def _fresh_process_load(redis_url: str, prefix: str) -> dict[str, float]:
    """Time a new interpreter: import, connect, load the current version, build the index."""
    code = f"""
import asyncio, json, time
t0 = time.perf_counter()
from service.catalog import load_catalog
from service.decide.policy import load_policy
from service.engine.loader import ListLoader
from service.store.connection import connect
from service.store.snapshots import SnapshotStore
from service.engine.state import ScreeningState, build_default_matcher
from service.index.name_index import NameIndex
async def main():
    t1 = time.perf_counter()
    connection = await connect({redis_url!r}, None)
    store = SnapshotStore(connection.client, {prefix!r})
    meta = await store.current("ofac_sdn")
    t2 = time.perf_counter()
    entries = await store.load_entries("ofac_sdn", meta.version)
    t3 = time.perf_counter()
    build_default_matcher(NameIndex(entries), {{"ofac_sdn": meta.version}})
    t4 = time.perf_counter()
    await connection.close()
    print(json.dumps({{"import_s": t1 - t0, "connect_s": t2 - t1, "load_entries_s": t3 - t2, "build_index_s": t4 - t3, "entries": len(entries)}}))
asyncio.run(main())
"""
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    figures["process_wall_s"] = time.perf_counter() - started
    return figures


async def _latency(settings: Settings, prefix: str, iterations: int) -> dict[str, float]:
    from service.api.screening import screen_request
    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.engine.loader import ListLoader
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        loader = ListLoader(SnapshotStore(connection.client, prefix), catalog, load_policy())
        await loader.reload()
    finally:
        await connection.close()
    assert loader.state is not None
    entries = loader.state.lists["ofac_sdn"].entries
    rng = random.Random(7)
    listed = [rng.choice(entries).primary_name for _ in range(200)]
    unlisted = [
        f"{rng.choice(['Anna', 'Pierre', 'Wei', 'Olu', 'Maria'])} {uuid.UUID(int=rng.getrandbits(128)).hex[:8]} Trading GmbH"
        for _ in range(200)
    ]
    requests = [
        pb.ScreenRequest(
            party=pb.Party(name=name, addresses=[pb.Address(country="DE")]),
            context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT),
        )
        for name in listed + unlisted
    ]
    # The unlisted names again, each with a tax id and a wallet address (on no list): what identifiers cost.
    with_ids = []
    for request in requests[len(listed) :]:
        copy = pb.ScreenRequest()
        copy.CopyFrom(request)
        copy.party.identifiers.add(type="tax_id", value=str(rng.randrange(10**8, 10**9)))
        copy.party.identifiers.add(type="wallet:ETH", value="0x" + uuid.UUID(int=rng.getrandbits(128)).hex + "0" * 8)
        with_ids.append(copy)
    for request in requests[:50] + with_ids[:50]:  # warm caches
        screen_request(request, loader.state, catalog.lists)
    samples: dict[str, list[float]] = {"listed": [], "unlisted": [], "unlisted_ids": []}
    hits = 0
    for i in range(iterations):
        # The kinds alternate, so that each is timed however few the calls, under the same conditions.
        kind = ("listed", "unlisted", "unlisted_ids")[i % 3]
        n = (i // 3) % len(listed)
        request = {"listed": requests[n], "unlisted": requests[len(listed) + n], "unlisted_ids": with_ids[n]}[kind]
        started = time.perf_counter()
        response = screen_request(request, loader.state, catalog.lists)
        elapsed = time.perf_counter() - started
        samples[kind].append(elapsed)
        hits += kind == "listed" and response.decision != pb.DECISION_CLEAR
    figures: dict[str, float] = {}
    for kind, values in samples.items():
        figures[f"{kind}_p50_ms"] = percentile(values, 0.50) * 1000
        figures[f"{kind}_p99_ms"] = percentile(values, 0.99) * 1000
        figures[f"{kind}_mean_ms"] = statistics.fmean(values) * 1000
    figures["listed_found_share"] = hits / max(1, len(samples["listed"]))
    figures["calls_per_s_one_core"] = iterations / sum(sum(v) for v in samples.values())
    return figures


async def _cleanup(settings: Settings, prefix: str) -> None:
    from service.store.connection import connect

    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        keys = [k async for k in connection.client.scan_iter(match=f"{prefix}*")]
        if keys:
            await connection.client.delete(*keys)
    finally:
        await connection.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Benchmark on real data under a throw-away Redis key prefix (REDIS_URL, or an embedded Redis), "
        "deleted afterwards. Parts: --core (OFAC SDN parse+publish, fresh-process load, in-process Screen latency), "
        "--lists (parse+publish time of every catalogued list from an offline mirror), --swap (a live server "
        "under Screen load while another process publishes the next day's SDN list). Without any of the three, "
        "all run (about 30 s)."
    )
    parts = parser.add_argument_group("parts (default: all)")
    parts.add_argument(
        "--core", action="store_true", help="OFAC SDN parse+publish, fresh-process load, in-process Screen latency"
    )
    parts.add_argument("--lists", action="store_true", help="per-list parse and publish time of every catalogued list")
    parts.add_argument("--swap", action="store_true", help="live list swap on a running server under Screen load")
    parts.add_argument("--audit", action="store_true", help="Screen latency with and without the audit-record write")
    parts.add_argument(
        "--rescreen",
        action="store_true",
        help="register --parties parties and delta re-screen them after a real SDN update",
    )
    parts.add_argument(
        "--batch",
        action="store_true",
        help="`screening batch` of the --lists-dir SDN set against `screening serve --workers W`, 1 stream vs S",
    )
    parts.add_argument(
        "--auth", action="store_true", help="Screen latency with an API key and a JWT against a server with auth off"
    )
    parts.add_argument("--items", action="store_true", help="Screen: 10 items and their producers vs one party")
    parts.add_argument("--http", action="store_true", help="Screen through the HTTP/JSON door vs gRPC, one server")
    parts.add_argument(
        "--load", action="store_true",
        help="open-loop load and faults (rate sweep, list swaps, Redis stopped / killed, idle streams) against "
        "`serve --workers 2`; about 11 minutes, not part of the default run",
    )  # fmt: skip
    from service.benchmarks import load as bench_load

    bench_load.add_load_arguments(parser)
    parser.add_argument(
        "--parties", type=int, default=1_000_000, help="--rescreen: registered parties (default 1,000,000)"
    )
    parser.add_argument("--rescreen-workers", type=int, default=2, help="--rescreen: worker processes (default 2)")
    parser.add_argument(
        "--rescreen-cluster", choices=("also", "no", "only"), default="also",
        help="--rescreen: also run it on a local 3-primary Redis Cluster started for the run (default), not, or only",
    )  # fmt: skip
    parser.add_argument(
        "--batch-parties", type=int, default=20_000, help="--batch: parties in the file (default 20,000)"
    )
    parser.add_argument("--batch-workers", type=int, default=2, help="--batch: server worker processes (default 2)")
    parser.add_argument("--batch-streams", type=int, help="--batch: ScreenBatch streams (default: --batch-workers)")
    parser.add_argument("--lists-dir", help="--core: SDN set to benchmark (default ../shared/data/ofac-sdn-2023-12-28)")
    parser.add_argument("--iterations", type=int, default=2000, help="--core: Screen calls to time (default 2000)")
    parser.add_argument(
        "--mirror", help="--lists: offline mirror of every list (default ../shared/data/mirror-2023-12)"
    )
    parser.add_argument(
        "--swap-from", help="--swap: SDN set the server starts with (default ../shared/data/ofac-sdn-daily/2024-04-30)"
    )
    parser.add_argument(
        "--swap-to", help="--swap: SDN set published during the run (default ../shared/data/ofac-sdn-daily/2024-05-01)"
    )
    parser.add_argument("--swap-seconds", type=float, default=12.0,
                        help="--swap: client load duration in seconds; the publish starts after a quarter of it (default 12)")  # fmt: skip
    parser.add_argument("--reload-seconds", type=float, default=0.2,
                        help="--swap: how often the server polls for new versions (default 0.2)")  # fmt: skip


def _print_core(lists_dir: Path, publish: Published, fresh: dict[str, float], latency: dict[str, float]) -> None:
    print(f"data set         {lists_dir}  ({publish['entries']} entries)")
    print(f"parse+publish    read {publish['read_s']*1000:.0f} ms, parse+validate {publish['parse_s']*1000:.0f} ms, "
          f"publish to Redis {publish['publish_s']*1000:.0f} ms")  # fmt: skip
    print(f"fresh process    import {fresh['import_s']*1000:.0f} ms, connect+meta {fresh['connect_s']*1000:.0f} ms, "
          f"load entries {fresh['load_entries_s']*1000:.0f} ms, build index {fresh['build_index_s']*1000:.0f} ms "
          f"(whole process {fresh['process_wall_s']*1000:.0f} ms)")  # fmt: skip
    reparse_s = publish["read_s"] + publish["parse_s"]
    load_s = fresh["connect_s"] + fresh["load_entries_s"]
    print(f"ratio            a new replica loads the stored version {reparse_s / load_s:.1f}x faster than parsing "
          f"the publisher's files ({load_s*1000:.0f} ms vs {reparse_s*1000:.0f} ms, same run)")  # fmt: skip
    print(f"Screen in-proc   listed p50 {latency['listed_p50_ms']:.3f} ms p99 {latency['listed_p99_ms']:.3f} ms; "
          f"unlisted p50 {latency['unlisted_p50_ms']:.3f} ms p99 {latency['unlisted_p99_ms']:.3f} ms; "
          f"{latency['calls_per_s_one_core']:.0f} calls/s on one core; "
          f"listed names found {latency['listed_found_share']:.1%}")  # fmt: skip
    added_us = (latency["unlisted_ids_p50_ms"] - latency["unlisted_p50_ms"]) * 1000
    print(f"identifiers      a tax id and a wallet address per unlisted party add {added_us:+.0f} us at p50 "
          f"({latency['unlisted_ids_p50_ms']:.3f} ms vs {latency['unlisted_p50_ms']:.3f} ms, alternating, same run)")  # fmt: skip


def _load(args: argparse.Namespace) -> int:
    """`--load`: every scenario runs on a private redis-server of its own (it pauses and kills it)."""
    from service.benchmarks import load as bench_load

    prefix = f"bench:{uuid.uuid4().hex[:8]}:load:"
    try:
        report = bench_load.bench_load(Settings.from_env(), prefix, bench_load.LoadOptions.from_args(args))
    except bench_load.LoadSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bench_load.print_load(report)
    return 0


class _PartFailed(Exception):
    """A part that starts servers of its own could not run (a port, a process, a timeout): said, not a traceback."""


def _served_part(name: str, measure: Callable[[], T]) -> T:
    try:
        return measure()
    except (RuntimeError, TimeoutError, OSError) as exc:
        raise _PartFailed(f"{name} benchmark failed: {type(exc).__name__}: {exc}") from exc


def main(args: argparse.Namespace) -> int:
    from service.benchmarks import swap as bench_swap

    if args.load:
        return _load(args)
    parts_asked = (
        args.core,
        args.lists,
        args.swap,
        args.audit,
        args.rescreen,
        args.batch,
        args.auth,
        args.items,
        args.http,
    )
    run_all = not any(parts_asked)
    lists_dir = Path(args.lists_dir) if args.lists_dir else DEFAULT_SET
    mirror = Path(args.mirror) if args.mirror else bench_swap.DEFAULT_MIRROR
    swap_from = Path(args.swap_from) if args.swap_from else bench_swap.DEFAULT_SWAP_FROM
    swap_to = Path(args.swap_to) if args.swap_to else bench_swap.DEFAULT_SWAP_TO
    needed = [(run_all or args.core, lists_dir, "--lists-dir with an OFAC SDN CSV set"),
              (run_all or args.lists, mirror, "--mirror with an offline mirror of the lists"),
              (run_all or args.items, mirror, "--mirror with an offline mirror of the lists"),
              (run_all or args.audit, lists_dir, "--lists-dir with an OFAC SDN CSV set"),
              (run_all or args.batch, lists_dir, "--lists-dir with an OFAC SDN CSV set"),
              (run_all or args.auth, lists_dir, "--lists-dir with an OFAC SDN CSV set"),
              (run_all or args.http, lists_dir, "--lists-dir with an OFAC SDN CSV set"),
              (run_all or args.swap, swap_from / "sdn.csv", "--swap-from with an OFAC SDN legacy CSV set"),
              (run_all or args.swap, swap_to / "sdn.csv", "--swap-to with an OFAC SDN legacy CSV set")]  # fmt: skip
    if args.iterations < 2:
        print(
            f"error: --iterations must be at least 2 (one listed and one unlisted name), not {args.iterations}",
            file=sys.stderr,
        )
        return 2
    for wanted, path, hint in needed:
        if wanted and not path.exists():
            print(f"error: {path} not found; pass {hint}", file=sys.stderr)
            return 2
    settings = Settings.from_env()
    embedded = None
    if not settings.redis_url:
        from service.store.connection import start_embedded

        embedded = start_embedded(Path(tempfile.mkdtemp(prefix="screening-bench-")))
        settings = Settings(**{**settings.__dict__, "redis_url": embedded.url})
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    started = time.perf_counter()
    print(
        f"redis            {'embedded' if embedded else settings.redis_url}  (throw-away key prefix {prefix})",
        flush=True,
    )
    try:
        if run_all or args.core:
            publish = asyncio.run(_publish(settings, lists_dir, prefix))
            fresh = _fresh_process_load(str(settings.redis_url), prefix)
            latency = asyncio.run(_latency(settings, prefix, args.iterations))
            _print_core(lists_dir, publish, fresh, latency)
            sys.stdout.flush()
        if run_all or args.audit:
            from service.benchmarks import audit as bench_audit

            if not (run_all or args.core):
                asyncio.run(_publish(settings, lists_dir, prefix))
            bench_audit.print_audit(asyncio.run(bench_audit.bench_audit(settings, prefix, args.iterations)))
            sys.stdout.flush()
        if run_all or args.rescreen:
            from service.benchmarks import rescreen as bench_rescreen

            bench_rescreen.run_rescreen(
                settings, f"{prefix}rescreen:", args.parties, args.rescreen_workers, 100, args.rescreen_cluster
            )
            sys.stdout.flush()
        if run_all or args.batch:
            from service.benchmarks import batch as bench_batch

            batch_streams = args.batch_streams or args.batch_workers
            batch_figures = _served_part("batch", lambda: asyncio.run(bench_batch.bench_batch(
                settings, f"{prefix}batch:", lists_dir, args.batch_parties, args.batch_workers, batch_streams
            )))  # fmt: skip
            bench_batch.print_batch(batch_figures)
            sys.stdout.flush()
        if run_all or args.auth:
            from service.benchmarks import auth as bench_auth

            auth_figures = _served_part(
                "auth", lambda: bench_auth.bench_auth(settings, f"{prefix}auth:", lists_dir, args.iterations)
            )
            bench_auth.print_auth(auth_figures)
            sys.stdout.flush()
        if run_all or args.http:
            from service.benchmarks import http as bench_http

            http_figures = _served_part(
                "HTTP", lambda: bench_http.bench_http(settings, f"{prefix}http:", lists_dir, args.iterations)
            )
            bench_http.print_http(http_figures, args.iterations)
            sys.stdout.flush()
        if run_all or args.items:
            from service.benchmarks import items as bench_items

            served = _served_part(
                "items", lambda: bench_items.bench_items_served(settings, f"{prefix}items:", mirror, args.iterations)
            )
            bench_items.print_items(bench_items.bench_items(mirror, args.iterations), served, args.iterations)
            sys.stdout.flush()
        if run_all or args.lists:
            rows = asyncio.run(bench_swap.bench_lists(settings, f"{prefix}lists:", mirror))
            bench_swap.print_lists(rows, mirror)
            sys.stdout.flush()
        if run_all or args.swap:
            swap_figures = _served_part("swap", lambda: asyncio.run(
                bench_swap.bench_swap(settings, f"{prefix}swap:", swap_from, swap_to, args.swap_seconds, args.reload_seconds)
            ))  # fmt: skip
            bench_swap.print_swap(swap_figures, swap_from, swap_to)
    except _PartFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(_cleanup(settings, prefix))
        if embedded is not None:
            embedded.shutdown()
    print(f"bench wall time  {time.perf_counter() - started:.1f} s")
    return 0
