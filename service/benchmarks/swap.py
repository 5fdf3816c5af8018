"""`screening bench --lists` and `--swap`: per-list parse+publish, and a live list swap under load.

--lists   refreshes every catalogued list from an offline mirror (force=True), one
          list at a time, under the bench's throw-away key prefix.
--swap    starts a real gRPC server in this process (start_server on a loopback
          port), keeps one client calling Screen back to back over a grpc.aio
          channel, and has ANOTHER PROCESS publish the next day's OFAC SDN list with
          refresh_lists, as a refresher on another machine would. The publisher is a
          separate process so that its CPU-bound parse does not run on the server's
          event loop (which would blame the server for the publisher's work).

Timestamps from the publisher process and from this process are compared on
time.monotonic() (CLOCK_MONOTONIC on Linux, one clock for all processes).

Run as `python -m service.benchmarks.swap publish ...` this module is the publisher child.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

import structlog
from structlog.typing import EventDict

from service.api.gen import screening_pb2 as pb
from service.benchmarks import SHARED_DATA, percentile
from service.settings import Settings

if TYPE_CHECKING:
    from service.model.entry import Entry

DEFAULT_MIRROR = SHARED_DATA / "mirror-2023-12"
DEFAULT_SWAP_FROM = SHARED_DATA / "ofac-sdn-daily" / "2024-04-30"
DEFAULT_SWAP_TO = SHARED_DATA / "ofac-sdn-daily" / "2024-05-01"
SWAP_LIST = "ofac_sdn"
_MARK = "@@bench@@ "  # the publisher child's protocol lines on stdout start with this
_LEVELS = {
    "debug": 10,
    "info": 20,
    "warning": 30,
    "warn": 30,
    "error": 40,
    "exception": 40,
    "critical": 50,
    "fatal": 50,
}


# ----------------------------------------------------------------- per-list parse + publish


class ListRow(TypedDict):
    """One list's refresh in `bench_lists`."""

    list_id: str
    outcome: str
    entries: int
    parse_s: float
    publish_s: float
    wall_s: float
    message: str


async def bench_lists(settings: Settings, prefix: str, mirror: Path) -> list[ListRow]:
    """Refresh each catalogued list from `mirror` with force=True; one row per list."""
    from service.catalog import load_catalog
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    rows: list[ListRow] = []
    try:
        store = SnapshotStore(connection.client, prefix)
        for list_id in catalog.lists:
            started = time.perf_counter()
            [result] = await refresh_lists(store, catalog, [list_id], source_dir=mirror, force=True)
            rows.append(
                {
                    "list_id": list_id,
                    "outcome": result.outcome.value,
                    "entries": result.entry_count,
                    "parse_s": result.parse_seconds,
                    "publish_s": result.publish_seconds,
                    "wall_s": time.perf_counter() - started,
                    "message": result.message,
                }
            )
    finally:
        await connection.close()
    return rows


def print_lists(rows: list[ListRow], mirror: Path) -> None:
    print(f"lists            refresh of every catalogued list from {mirror} (force=True), one list at a time:")
    print(f"  {'list':<11} {'entries':>7} {'parse s':>8} {'publish s':>9} {'wall s':>7}  outcome")
    for row in rows:
        note = ""
        if row["outcome"] not in ("published", "unchanged"):
            note = f"  ({row['message'][:90]})"
        print(
            f"  {row['list_id']:<11} {row['entries']:>7} {row['parse_s']:>8.3f} {row['publish_s']:>9.3f} "
            f"{row['wall_s']:>7.3f}  {row['outcome']}{note}"
        )
    total = {
        "parse_s": sum(r["parse_s"] for r in rows),
        "publish_s": sum(r["publish_s"] for r in rows),
        "wall_s": sum(r["wall_s"] for r in rows),
    }
    entries = sum(r["entries"] for r in rows)
    published = sum(r["outcome"] == "published" for r in rows)
    print(
        f"  {'total':<11} {entries:>7} {total['parse_s']:>8.3f} {total['publish_s']:>9.3f} {total['wall_s']:>7.3f}  "
        f"{published}/{len(rows)} published"
    )
    print("  (parse s = parse+validate+diff as RefreshResult reports it; wall s adds reading the files, the lock and Redis reads."
          " The six trade.gov lists each parse the whole consolidated.csv.)")  # fmt: skip


# ----------------------------------------------------------------- live swap


class _LogTap:
    """A structlog processor that records some events and keeps the configured level for output."""

    def __init__(self, events: set[str], min_level: int) -> None:
        self.events = events
        self.min_level = min_level
        self.records: list[tuple[float, dict[str, Any]]] = []

    def __call__(self, _logger: object, method_name: str, event_dict: EventDict) -> EventDict:
        if event_dict.get("event") in self.events:
            self.records.append((time.monotonic(), dict(event_dict)))
        if _LEVELS.get(method_name, logging.INFO) < self.min_level:
            raise structlog.DropEvent
        return event_dict


@contextlib.contextmanager
def _tap_logs(events: set[str]) -> Iterator[_LogTap]:
    """Read the loader's info events (list_loaded, index_loaded) even when the CLI shows warnings only."""
    old = structlog.get_config()
    try:
        min_level = int(structlog.get_logger().bind().get_effective_level())
    except Exception:  # noqa: BLE001 - an unusual wrapper class: assume the CLI default
        min_level = logging.WARNING
    tap = _LogTap(events, min_level)
    structlog.configure(
        processors=[tap, *old["processors"]],
        wrapper_class=structlog.make_filtering_bound_logger(min(min_level, logging.INFO)),
    )
    try:
        yield tap
    finally:
        structlog.configure(**old)


def _sdn_names(directory: Path) -> dict[str, str]:
    """ent_num -> SDN_Name from a legacy sdn.csv, read with the csv module only."""
    import csv
    import io

    text = (directory / "sdn.csv").read_bytes().decode("utf-8", errors="replace").rstrip("\x1a\r\n")
    return {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if len(row) > 1}


def _requests(old_entries: Sequence[Entry], old_dir: Path, new_dir: Path) -> tuple[list[pb.ScreenRequest], list[str]]:
    """A shuffled mix of listed, unlisted and added-in-the-new-version names, and each one's kind."""
    rng = random.Random(11)
    listed = [rng.choice(old_entries).primary_name for _ in range(100)]
    old_rows, new_rows = _sdn_names(old_dir), _sdn_names(new_dir)
    added_ids = sorted(new_rows.keys() - old_rows.keys(), key=lambda k: int(k) if k.isdigit() else 0)
    added = [new_rows[k] for k in rng.sample(added_ids, min(50, len(added_ids)))]
    first = ["Anna", "Pierre", "Wei", "Olu", "Maria", "Kenji", "Fatima"]
    unlisted = [f"{rng.choice(first)} {uuid.UUID(int=rng.getrandbits(128)).hex[:8]} Trading GmbH" for _ in range(100)]
    mix = [(n, "listed") for n in listed] + [(n, "added") for n in added] + [(n, "unlisted") for n in unlisted]
    rng.shuffle(mix)
    requests = [
        pb.ScreenRequest(
            party=pb.Party(name=name, addresses=[pb.Address(country="DE")]),
            context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT),
        )
        for name, _ in mix
    ]
    return requests, [kind for _, kind in mix]


@dataclasses.dataclass
class _Sample:
    started: float
    ended: float
    kind: str
    version: str = ""
    decision: int = 0
    error: str = ""


def _version_of(response: pb.ScreenResponse) -> str:
    for used in response.list_versions:
        if used.list_id == SWAP_LIST:
            return used.version
    return response.list_versions[0].version if response.list_versions else ""


async def _client_loop(
    port: int,
    requests: list[pb.ScreenRequest],
    kinds: list[str],
    samples: list[_Sample],
    stop: asyncio.Event,
    target: dict[str, str],
    served: asyncio.Event,
    started: asyncio.Event,
) -> None:
    """Screen calls back to back over a real loopback channel until `stop`."""
    import grpc

    from service.api.gen import screening_pb2_grpc as pb_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        for request in requests[:100]:  # warm the channel and the server
            await stub.Screen(request, timeout=10)
        started.set()
        i = 0
        while not stop.is_set():
            request, kind = requests[i % len(requests)], kinds[i % len(requests)]
            i += 1
            t0 = time.monotonic()
            try:
                response = await stub.Screen(request, timeout=10)
            except grpc.aio.AioRpcError as exc:
                samples.append(_Sample(t0, time.monotonic(), kind, error=exc.code().name))
                await asyncio.sleep(0.01)
                continue
            except Exception as exc:  # noqa: BLE001 - counted as a failed request
                samples.append(_Sample(t0, time.monotonic(), kind, error=type(exc).__name__))
                await asyncio.sleep(0.01)
                continue
            version = _version_of(response)
            error = f"item error {response.error.code}" if response.HasField("error") else ""
            samples.append(_Sample(t0, time.monotonic(), kind, version, response.decision, error))
            if target.get("version") and version == target["version"]:
                served.set()


async def _start_publisher(redis_url: str, prefix: str, source: Path, nice: int = 0) -> asyncio.subprocess.Process:
    spec = json.dumps(
        {"redis_url": redis_url, "prefix": prefix, "list_id": SWAP_LIST, "source": str(source), "nice": nice}
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.benchmarks.swap", "publish", spec,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _read_marked(process: asyncio.subprocess.Process, timeout_s: float) -> dict[str, object]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), max(0.1, deadline - time.monotonic()))
        if not line:
            stderr = (await process.stderr.read()).decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"publisher process ended early (exit {await process.wait()}): {stderr[-2000:]}")
        text = line.decode(errors="replace").rstrip("\n")
        if text.startswith(_MARK):
            marked: dict[str, object] = json.loads(text[len(_MARK) :])
            return marked


def _window(samples: list[_Sample]) -> dict[str, float]:
    ok = [s.ended - s.started for s in samples if not s.error]
    if not ok:
        return {"n": float(len(samples)), "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {"n": float(len(samples)), "p50": percentile(ok, 0.50), "p99": percentile(ok, 0.99), "max": max(ok)}


async def _publish_forced(settings: Settings, prefix: str, source: Path) -> None:
    """Publish the SDN set of `source` (forced: a daily folder lacks add.csv and alt.csv)."""
    from service.catalog import load_catalog
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        await refresh_lists(
            SnapshotStore(connection.client, prefix), load_catalog(), [SWAP_LIST], source_dir=source, force=True
        )
    finally:
        await connection.close()


class _Published(TypedDict):
    """The publisher child's result line (see `_publisher_child`)."""

    t_start: float
    t_end: float
    outcome: str
    version: str
    entries: int
    parse_s: float
    publish_s: float
    message: str


class SwapFigures(TypedDict, total=False):
    """What `bench_swap` measured, filled in as the run goes (`print_swap` reads it)."""

    reload_s: float
    startup_s: float
    port: int
    old: tuple[str, int]  # version, entries
    publish: _Published
    final_version: str | None
    served: bool
    swap_s: float | None
    reload_delay_s: float
    reload_wall_s: float
    list_loaded_s: float
    index_s: float | None
    index_how: str
    before: dict[str, float]  # latency windows, as `_window` gives them
    during: dict[str, float]
    after: dict[str, float]
    requests: int
    loop_s: float
    failures: dict[str, int]
    added_old_clear: tuple[int, int]  # (CLEAR, asked) on the old version
    added_new_hit: tuple[int, int]  # (matched, asked) on the new version
    versions_seen: list[str]


async def bench_swap(
    settings: Settings, prefix: str, old_dir: Path, new_dir: Path, seconds: float, reload_s: float
) -> SwapFigures:
    """Serve `old_dir`, publish `new_dir` from another process under load, measure the swap."""
    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.grpc_door.server import start_server

    swap_settings = dataclasses.replace(
        settings, host="127.0.0.1", port=0, workers=1, lists_dir=old_dir, key_prefix=prefix,
        reload_seconds=reload_s, drain_seconds=1.0,
    )  # fmt: skip
    catalog = load_catalog()
    figures: SwapFigures = {"reload_s": reload_s}
    publisher: asyncio.subprocess.Process | None = None
    client: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    with _tap_logs({"list_loaded", "index_loaded"}) as tap:
        await _publish_forced(settings, prefix, old_dir)  # the server's own start-up refresh then finds it serving
        t_boot = time.monotonic()
        running = await start_server(swap_settings, catalog, load_policy())
        try:
            await asyncio.wait_for(running.ready.wait(), 120)
            figures["startup_s"] = time.monotonic() - t_boot
            figures["port"] = running.port
            state = running.loader.state
            assert state is not None
            old = state.lists[SWAP_LIST]
            figures["old"] = (old.meta.version, old.meta.entry_count)
            requests, kinds = _requests(list(old.entries), old_dir, new_dir)

            # Time the server's own reloads (follow() calls self.reload(), found on the instance).
            reloads: list[tuple[float, float]] = []
            original_reload = running.loader.reload

            async def timed_reload() -> bool:
                t0 = time.monotonic()
                changed = await original_reload()
                if changed:
                    reloads.append((t0, time.monotonic()))
                return changed

            running.loader.reload = timed_reload  # type: ignore[method-assign]

            publisher = await _start_publisher(str(settings.redis_url), prefix, new_dir)
            await _read_marked(publisher, 60)  # imported and connected; waits for "go"

            samples: list[_Sample] = []
            target: dict[str, str] = {}
            served, started = asyncio.Event(), asyncio.Event()
            client = asyncio.create_task(
                _client_loop(running.port, requests, kinds, samples, stop, target, served, started)
            )
            await asyncio.wait_for(started.wait(), 60)
            loop_start = time.monotonic()
            await asyncio.sleep(seconds / 4)

            assert publisher.stdin is not None
            publisher.stdin.write(b"go\n")
            await publisher.stdin.drain()
            result = cast(_Published, await _read_marked(publisher, 300))  # its last line: the result
            await publisher.wait()
            if result.get("outcome") != "published":
                raise RuntimeError(f"publishing {new_dir} did not publish: {result}")
            target["version"] = str(result["version"])
            figures["publish"] = result
            try:
                await asyncio.wait_for(served.wait(), max(60.0, seconds))
            except TimeoutError:
                pass
            after_until = max(loop_start + seconds, time.monotonic() + seconds / 4)
            await asyncio.sleep(max(0.0, after_until - time.monotonic()))
            stop.set()
            await client
            client = None
            figures["final_version"] = running.loader.state.versions.get(SWAP_LIST) if running.loader.state else None
        finally:
            stop.set()
            if client is not None:
                client.cancel()
                await asyncio.gather(client, return_exceptions=True)
            if publisher is not None and publisher.returncode is None:
                publisher.kill()
                await publisher.wait()
            await running.stop(1.0)

    publish_start, publish_end = float(result["t_start"]), float(result["t_end"])
    new_version = target["version"]
    first_new = next((s for s in samples if s.version == new_version), None)
    served_at = first_new.ended if first_new else None
    figures["served"] = served_at is not None
    figures["swap_s"] = (served_at - publish_end) if served_at is not None else None
    swap_reload = next(((a, b) for a, b in reloads if b >= publish_start), None)
    if swap_reload:
        figures["reload_delay_s"] = swap_reload[0] - publish_end
        figures["reload_wall_s"] = swap_reload[1] - swap_reload[0]
    events = [e for t, e in tap.records if t >= publish_start]
    figures["list_loaded_s"] = sum(float(e.get("seconds", 0)) for e in events if e.get("event") == "list_loaded")
    indexed = [e for e in events if e.get("event") == "index_loaded"]
    figures["index_s"] = float(indexed[0].get("seconds", 0)) if indexed else None
    figures["index_how"] = str(indexed[0].get("how", "")) if indexed else "n/a"
    end = served_at if served_at is not None else float("inf")
    figures["before"] = _window([s for s in samples if s.started < publish_start])
    figures["during"] = _window([s for s in samples if publish_start <= s.started <= end])
    figures["after"] = _window([s for s in samples if s.started > end])
    figures["requests"] = len(samples)
    figures["loop_s"] = (samples[-1].ended - samples[0].started) if samples else 0.0
    failures: dict[str, int] = {}
    for s in samples:
        if s.error:
            failures[s.error] = failures.get(s.error, 0) + 1
    figures["failures"] = failures
    # Answers consistent with the version they carry: names added in the new file are
    # CLEAR on the old version and matched on the new one; never a mix within a response.
    added = [s for s in samples if s.kind == "added" and not s.error]
    figures["added_old_clear"] = (sum(s.decision == pb.DECISION_CLEAR for s in added if s.version != new_version),
                                  sum(s.version != new_version for s in added))  # fmt: skip
    figures["added_new_hit"] = (sum(s.decision != pb.DECISION_CLEAR for s in added if s.version == new_version),
                                sum(s.version == new_version for s in added))  # fmt: skip
    figures["versions_seen"] = sorted({s.version for s in samples if not s.error})
    return figures


def _ms(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value * 1000:.1f} ms"


def print_swap(f: SwapFigures, old_dir: Path, new_dir: Path) -> None:
    pub = f["publish"]
    old_version, old_entries = f["old"]
    print(f"swap server      127.0.0.1:{f['port']} in this process, follow poll {f['reload_s']} s, ready after "
          f"{_ms(f['startup_s'])} (publish {old_dir.name} + load + index)")  # fmt: skip
    print(f"swap publish     other process: {SWAP_LIST} {old_dir.name} ({old_entries} entries, {old_version}) -> "
          f"{new_dir.name} ({pub['entries']} entries, {pub['version']}): parse+validate+diff {_ms(pub['parse_s'])}, "
          f"publish {_ms(pub['publish_s'])}, refresh_lists {_ms(float(pub['t_end']) - float(pub['t_start']))}")  # fmt: skip
    if f["served"]:
        delay = f.get("reload_delay_s")
        began = (
            "n/a"
            if delay is None
            else (f"{_ms(delay)} after it" if delay >= 0 else f"{_ms(-delay)} before it returned")
        )
        print(f"swap time        new version served {_ms(f['swap_s'])} after refresh_lists returned "
              f"(server reload began {began} and took {_ms(f.get('reload_wall_s'))}: "
              f"list_loaded {_ms(f['list_loaded_s'])}, index {f['index_how']} {_ms(f['index_s'])})")  # fmt: skip
    else:
        print(
            f"swap time        NEW VERSION NEVER SERVED (versions seen: {f['versions_seen']}, server at {f['final_version']})"
        )
    for name, w in (("before", f["before"]), ("during", f["during"]), ("after", f["after"])):
        label = {"before": "before publish", "during": "during swap", "after": "after swap"}[name]
        print(
            f"swap latency     {label:<15} n={int(w['n']):>5}  p50 {_ms(w['p50']):>9}  p99 {_ms(w['p99']):>9}  max {_ms(w['max']):>9}"
        )
    before, during = f["before"]["p99"], f["during"]["p99"]
    ratio = during / before if before and not math.isnan(before) and not math.isnan(during) else float("nan")
    print(f"swap ratio       during-swap p99 / before-swap p99 = {ratio:.1f}x (same run; one call in flight at a time, "
          f"so a stall of the server's event loop delays one call: it shows in max, not in p99)")  # fmt: skip
    failures = f["failures"]
    failed = sum(failures.values())
    detail = f" ({', '.join(f'{k}: {v}' for k, v in failures.items())})" if failures else ""
    old_clear, old_n = f["added_old_clear"]
    new_hit, new_n = f["added_new_hit"]
    print(f"swap requests    {f['requests']} real gRPC Screen calls over loopback in {f['loop_s']:.1f} s, failed {failed}{detail}; "
          f"names added in {new_dir.name}: CLEAR on the old version {old_clear}/{old_n}, matched on the new one {new_hit}/{new_n}")  # fmt: skip


# ----------------------------------------------------------------- publisher child process


def _publisher_child(spec: dict[str, str]) -> int:
    from service.catalog import load_catalog
    from service.engine.index_warm import warm_index
    from service.logs import configure_logging
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    configure_logging("console", "warning")  # logs to stderr; stdout carries the protocol
    if int(spec.get("nice", 0)):
        os.nice(int(spec["nice"]))

    async def run() -> int:
        connection = await connect(spec["redis_url"], None)
        try:
            store = SnapshotStore(connection.client, spec["prefix"])
            catalog = load_catalog()
            await store.current(spec["list_id"])
            print(_MARK + json.dumps({"ready": True}), flush=True)
            if (await asyncio.to_thread(sys.stdin.readline)).strip() != "go":
                return 1
            t_start = time.monotonic()
            # Forced: the daily SDN folders hold sdn.csv only, a set a normal refresh rejects.
            [result] = await refresh_lists(
                store, catalog, [spec["list_id"]], source_dir=Path(spec["source"]), force=True
            )
            t_end = time.monotonic()
            # As `screening refresh` does; the servers may already be building it (one build either way).
            await warm_index(store, catalog)
            print(_MARK + json.dumps({
                "t_start": t_start, "t_end": t_end, "outcome": result.outcome.value, "version": result.version,
                "entries": result.entry_count, "parse_s": result.parse_seconds, "publish_s": result.publish_seconds,
                "message": result.message,
            }), flush=True)  # fmt: skip
            return 0
        finally:
            await connection.close()

    return asyncio.run(run())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "publish":
        sys.exit(_publisher_child(json.loads(sys.argv[2])))
    print(
        "usage: python -m service.benchmarks.swap publish '{json}' (started by `screening bench --swap`)",
        file=sys.stderr,
    )
    sys.exit(2)
