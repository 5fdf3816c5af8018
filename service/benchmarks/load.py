"""`screening bench --load`: an open-loop load and fault harness against `screening serve --workers W`.

Open loop: call i of a run is due at t0 + i / rate and is sent then, whatever the
earlier calls are doing (no call waits for another's answer). Its latency counts
from that due time, so a client that falls behind shows as latency (no coordinated
omission); `lag` says how late the client sent. Calls go round-robin over several
connections (`grpc.use_local_subchannel_pool`: one TCP connection per channel),
spread evenly over the server's worker processes (each connection's worker is read
from a ScreenBatch answer's `screening-worker` header, as `screening batch --streams`
does), from one client process per 600 calls/s of the fastest run (grpc.aio costs
0.3-0.5 ms of client CPU per call here; `--load-clients`), whose answers are merged.
Client processes are `python -c` children driven over socket pairs (multiprocessing's
Connection), not multiprocessing's spawn, which re-imports the caller's main module.
Deadline 5 s per call.

Names: a fixed-seed mix (default 5,000) of 10% names of the SDN set (primary names
and aliases) and 90% made-up people and companies (service.benchmarks.batch._made_up),
type and country sometimes set; each is validated in process first, so that a bad
name never shows up as a server error.

Every scenario group gets a PRIVATE redis-server (a free loopback port, its own temp
dir; never the shared one), the SDN set published into it (refresh_lists, forced) and
its index built and stored (warm_index, as `screening refresh` does), and a fresh
`screening serve --workers W` on a free loopback port (auth off,
RESCREEN_WORKERS=0, LOG_LEVEL=warning, JSON logs, its own AUDIT_DIR). Its start-up
time is measured until the health check says SERVING on a dozen fresh connections in
a row (service.benchmarks.batch._wait_serving) and until every worker has answered a
screening (a port held by one worker says SERVING while the others still start); its
idle CPU is measured for 2 s. Server and Redis are stopped whatever happens (SIGTERM
and a drain, then SIGKILL to the process group), and the warnings and errors the
server logged are counted. Scenarios:

sweep         200 ... 1,200 calls/s, 15 s each, on one server: where p99 crosses 10 ms.
baseline      `--load-rate` (500) calls/s for `--load-seconds` (60) without a fault, on a
              server of its own: what redis-stop, redis-kill and idle-streams are
              compared with (the swap's baseline runs on the swap server, before it).
swap          the server starts on ofac-sdn-daily/2024-04-30; every 10 s another process
              (service.benchmarks.swap's publisher child: refresh_lists, as a refresher on
              another machine) publishes the next set (2024-05-01, 2024-05-02,
              2024-04-30, ...), for 120 s at 500 calls/s. The publishers run at nice 19
              (`--load-publisher-nice`): they stand for a refresher on another machine. All publishers are started
              before the run and wait for their turn. Each answer is attributed to a
              publish by the SDN version in its list_versions (the latest publish of
              that version begun before the answer came: the sets come round again).
              Per publish: how long after refresh_lists returned the first call
              answered with it was sent, after which no call was answered with an
              older one, and the failed calls and max latency from 1 s before the
              publish began to 1 s after that.
redis-stop    SIGSTOP the private redis-server at 15 s for 30 s, then SIGCONT.
redis-kill    SIGKILL it at 15 s; 30 s later start it again on the same port and dir.
              What a real outage looks like here: a production Redis keeps RDB
              snapshots, so a crash loses what was written after the last one and a
              restart brings the rest back. The harness takes one snapshot (SAVE) once
              the lists are published and the server is up (Redis runs with `--save ''`,
              so no other): the lists survive the restart; the audit stream entries
              and consumer-group progress of the run do not (the files in AUDIT_DIR
              have to hold those records).
              For both, the run is split into before / during / after the fault, and
              errors by listed and unlisted names and by names answered without any
              match elsewhere in the bench (only a name with matches needs Redis on the
              request path: its dispositions). After the server has stopped (drained,
              its audit queue flushed), every successful screening's `screening_id` is
              looked for in the audit stream and the exported files (AUDIT_DIR, read
              with read_exported): found / total.
idle-streams  200 WatchAlerts streams opened (one connection each) and left idle, then the
              500 calls/s run: Screen failures next to the baseline's, and how many
              streams opened, were refused, ended during the run.

Per run: p50 / p90 / p99 / max latency (every call; a failed one at the time it
failed), errors by status code with the first message of each, sent and answered
per second, the p99 of the screening as the server timed it (server_latency), server
CPU per call (the worker processes' utime+stime from /proc over the run / calls),
client CPU per call, the client's send lag, and the CPUs kept busy by anything else
on the machine (/proc/stat minus server, clients and Redis): the machine is shared,
and that column says how much a run was disturbed.

Run on its own: `python -m service.benchmarks.load [--load-... options]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.benchmarks import REPOSITORY, SHARED_DATA
from service.settings import Settings

DEFAULT_LISTS_DIR = SHARED_DATA / "ofac-sdn-2023-12-28"
DEFAULT_DAILY_DIR = SHARED_DATA / "ofac-sdn-daily"
SCENARIOS = ("sweep", "swap", "redis-stop", "redis-kill", "idle-streams")
SWEEP_RATES = (200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0)
P99_LIMIT_S = 0.010
SWAP_LIST = "ofac_sdn"
# One client process per this many calls/s of the fastest run. grpc.aio costs 0.3-0.5 ms of client CPU
# per call on the team's 2-CPU machine: 1,000 calls/s keep one process's event loop ~40% busy, and its
# send lag grows; two processes share the rate (the machine, not the client, is the limit there).
RATE_PER_CLIENT = 600.0
REDIS_START_TIMEOUT_S = 20.0
# Seconds from sending a run to the client processes to its first due call (they are idle, waiting).
START_MARGIN_S = 0.5


class LoadSetupError(RuntimeError):
    """Something the load bench needs is missing (data, a binary); the message says what to pass."""


# ----------------------------------------------------------------- options


@dataclass
class LoadOptions:
    scenarios: tuple[str, ...] = SCENARIOS
    rate: float = 500.0  # calls/s of the swap, fault and idle-streams runs and of their baselines
    seconds: float = 60.0  # length of the fault and idle-streams runs and of the baselines
    sweep_rates: tuple[float, ...] = SWEEP_RATES
    sweep_seconds: float = 15.0
    swap_seconds: float = 120.0
    swap_every: float = 10.0
    swap_dirs: tuple[Path, ...] = ()  # () = every 2024-* folder of ofac-sdn-daily, in date order
    lists_dir: Path | None = None  # None = ../shared/data/ofac-sdn-2023-12-28
    fault_at: float = 15.0
    fault_seconds: float = 30.0
    idle_streams: int = 200
    names: int = 5000
    listed_share: float = 0.10
    seed: int = 13
    workers: int = 2
    connections: int = 8
    clients: int = 0  # client processes; 0 = one per RATE_PER_CLIENT calls/s of the fastest run
    deadline_s: float = 5.0
    warmup_seconds: float = 5.0
    reload_seconds: float | None = None  # the servers' SCREENING_RELOAD_SECONDS; None = the service default
    redis_server: str = "redis-server"
    # The swap's publisher stands for a refresher on another machine; on this 2-CPU machine it
    # would otherwise take a whole CPU from the servers for its ~1 s parse (0 = same priority).
    publisher_nice: int = 19
    baseline: bool = True
    idle_seconds: float = 2.0  # the server's idle CPU (its background tasks) is measured this long once it is up

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LoadOptions:
        scenarios = tuple(s.strip() for s in args.load_scenarios.split(",") if s.strip())
        unknown = [s for s in scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"--load-scenarios: unknown {', '.join(unknown)}; choose from {','.join(SCENARIOS)}")
        return cls(
            scenarios=scenarios or SCENARIOS,
            rate=args.load_rate,
            seconds=args.load_seconds,
            sweep_rates=tuple(float(r) for r in args.load_sweep_rates.split(",") if r.strip()),
            sweep_seconds=args.load_sweep_seconds,
            swap_seconds=args.load_swap_seconds,
            swap_every=args.load_swap_every,
            swap_dirs=tuple(Path(p) for p in args.load_swap_dirs.split(",") if p.strip())
            if args.load_swap_dirs
            else (),
            lists_dir=Path(args.load_lists_dir) if args.load_lists_dir else None,
            fault_at=args.load_fault_at,
            fault_seconds=args.load_fault_seconds,
            idle_streams=args.load_idle_streams,
            names=args.load_names,
            seed=args.load_seed,
            workers=args.load_workers,
            connections=args.load_connections,
            clients=args.load_clients,
            deadline_s=args.load_deadline,
            warmup_seconds=args.load_warmup_seconds,
            reload_seconds=args.load_reload_seconds,
            redis_server=args.load_redis_server,
            publisher_nice=args.load_publisher_nice,
            baseline=not args.load_no_baseline,
        )


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The --load-* options (not --load itself); read them back with LoadOptions.from_args(args)."""
    group = parser.add_argument_group(
        "--load: open-loop load and fault harness (private redis-server, `serve --workers`)"
    )
    group.add_argument("--load-scenarios", default=",".join(SCENARIOS),
                       help=f"comma-separated, from {','.join(SCENARIOS)} (default: all)")  # fmt: skip
    group.add_argument("--load-rate", type=float, default=500.0,
                       help="calls/s of the swap, redis-stop, redis-kill and idle-streams runs and their no-fault baselines (default 500)")  # fmt: skip
    group.add_argument("--load-seconds", type=float, default=60.0,
                       help="length of the redis-stop, redis-kill, idle-streams and baseline runs (default 60)")  # fmt: skip
    group.add_argument("--load-sweep-rates", default=",".join(f"{r:g}" for r in SWEEP_RATES),
                       help="calls/s of the sweep's runs (default 200,400,600,800,1000,1200)")  # fmt: skip
    group.add_argument("--load-sweep-seconds", type=float, default=15.0, help="length of each sweep run (default 15)")
    group.add_argument("--load-swap-seconds", type=float, default=120.0, help="length of the swap run (default 120)")
    group.add_argument(
        "--load-swap-every", type=float, default=10.0, help="a new SDN version every N seconds (default 10)"
    )
    group.add_argument("--load-swap-dirs",
                       help="comma-separated SDN folders to cycle through, the first served at start "
                            "(default: ../shared/data/ofac-sdn-daily/2024-*)")  # fmt: skip
    group.add_argument(
        "--load-lists-dir",
        help="SDN set of the sweep, fault and idle-streams servers (default ../shared/data/ofac-sdn-2023-12-28)",
    )
    group.add_argument(
        "--load-fault-at", type=float, default=15.0, help="seconds into the run the Redis fault starts (default 15)"
    )
    group.add_argument(
        "--load-fault-seconds", type=float, default=30.0, help="how long Redis stays stopped / dead (default 30)"
    )
    group.add_argument("--load-idle-streams", type=int, default=200, help="idle WatchAlerts streams (default 200)")
    group.add_argument("--load-names", type=int, default=5000, help="distinct names sent (default 5,000; 10%% listed)")
    group.add_argument("--load-seed", type=int, default=13, help="seed of the name mix (default 13)")
    group.add_argument("--load-workers", type=int, default=2, help="`serve --workers` (default 2)")
    group.add_argument("--load-connections", type=int, default=8, help="client connections in all (default 8)")
    group.add_argument("--load-clients", type=int, default=0,
                       help=f"client processes (default: one per {RATE_PER_CLIENT:g} calls/s of the fastest run)")  # fmt: skip
    group.add_argument("--load-deadline", type=float, default=5.0, help="deadline of each call in seconds (default 5)")
    group.add_argument(
        "--load-warmup-seconds",
        type=float,
        default=5.0,
        help="unmeasured calls before the first run on a new server (default 5)",
    )
    group.add_argument("--load-reload-seconds", type=float,
                       help="the servers' SCREENING_RELOAD_SECONDS (default: the service's own, 5)")  # fmt: skip
    group.add_argument(
        "--load-redis-server", default="redis-server", help="the redis-server binary (default: redis-server on PATH)"
    )
    group.add_argument("--load-publisher-nice", type=int, default=19,
                       help="niceness of the swap's publisher processes, which stand for a refresher on another "
                            "machine (default 19; 0 = compete with the servers for this machine's CPUs)")  # fmt: skip
    group.add_argument("--load-no-baseline", action="store_true", help="skip the no-fault baseline runs")


# ----------------------------------------------------------------- report


@dataclass
class RunFigures:
    label: str
    rate: float  # scheduled calls/s
    seconds: float  # scheduled length
    sent: int
    ok: int
    errors: dict[str, int]  # status code name -> count
    listed_sent: int
    listed_errors: int
    unlisted_errors: int
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    ok_p99_s: float
    screening_p99_s: float  # the server's own latency_s of each successful screening (response.server_latency)
    send_rate: float  # calls actually sent per second
    answer_rate: float  # successful answers per second
    send_lag_p50_s: float
    send_lag_p99_s: float
    send_lag_max_s: float
    server_cpu_s: float
    client_cpu_s: float
    decisions: dict[str, int] = field(default_factory=dict)
    error_samples: dict[str, str] = field(default_factory=dict)  # status -> the first message seen with it
    wall_s: float = 0.0  # from the first due time until the last answer
    machine_cpu_s: float | None = None  # every CPU of the machine, busy seconds over the run (/proc/stat)
    redis_cpu_s: float | None = None  # the private redis-server's (None when it was restarted during the run)

    @property
    def other_cpu_s(self) -> float | None:
        """CPU seconds the machine spent on anything but the server, the clients and Redis (other people's work)."""
        if self.machine_cpu_s is None:
            return None
        return max(0.0, self.machine_cpu_s - self.server_cpu_s - self.client_cpu_s - (self.redis_cpu_s or 0.0))

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def server_cpu_per_call_s(self) -> float:
        return self.server_cpu_s / self.sent if self.sent else 0.0

    @property
    def client_cpu_per_call_s(self) -> float:
        return self.client_cpu_s / self.sent if self.sent else 0.0


@dataclass
class ServerStart:
    group: str
    lists_dir: str
    entries: int
    startup_s: float  # from starting `serve` until every worker answered a screening
    placement: dict[str, int]  # worker (host:pid) -> client connections on it
    redis_port: int
    connect_retries: dict[str, int] = field(default_factory=dict)  # status -> connections replaced (no worker header)
    stop_s: float | None = None  # from SIGTERM to exit
    exit_code: int | None = None  # the server's; negative: killed by that signal
    killed: bool = False  # SIGKILL was needed (something of its group was still there 3 s after the wait)
    slow: bool = False  # not gone within the 10 s after SIGTERM
    pids: list[int] = field(default_factory=list)  # `serve` and its workers
    redis_pids: list[int] = field(default_factory=list)  # every redis-server started for the group (restarts too)
    health_serving_s: float | None = None  # ... until the health check said SERVING on a dozen connections in a row
    idle_cpu_per_s: float | None = None  # the workers' CPU seconds per second while nobody calls (background tasks)
    log_events: dict[str, int] = field(default_factory=dict)  # warning/error log events -> count
    index_warm: str = ""  # what warming the index did before the server started (built in N s / stored)


@dataclass
class PhaseFigures:
    label: str  # before / during / after
    sent: int
    errors: dict[str, int]
    listed_sent: int
    listed_errors: int
    unlisted_errors: int
    p99_s: float
    max_s: float
    # Names that were answered without any match (in any successful call of the bench): for them
    # the request path needs no Redis at all, so their failures are not a disposition lookup's.
    no_match_sent: int = 0
    no_match_errors: int = 0


@dataclass
class AuditCheck:
    total: int  # successful screenings (each has a screening_id)
    found: int
    in_stream: int
    in_files: int
    stream_entries: int
    file_records: int


@dataclass
class FaultFigures:
    scenario: str
    run: RunFigures
    fault_start_s: float  # seconds into the run
    fault_end_s: float
    phases: list[PhaseFigures]
    last_error_after_end_s: float | None  # last failed call's due time, seconds after the fault ended
    redis_restart_s: float | None = None  # redis-kill: start to first PING
    redis_keys_after_restart: int | None = None
    audit: AuditCheck | None = None


@dataclass
class SwapEvent:
    index: int
    source: str
    outcome: str
    version: str
    message: str
    publish_start_s: float  # seconds into the run
    publish_s: float  # refresh_lists wall time in the publisher process
    first_served_s: float | None  # after refresh_lists returned: send time of the first call answered with the version
    all_served_s: float | None  # ... after which no call sent returns an older version
    window_sent: int
    window_failed: int
    window_max_s: float


@dataclass
class SwapFigures:
    run: RunFigures
    events: list[SwapEvent]
    versions_seen: int


@dataclass
class IdleFigures:
    run: RunFigures
    requested: int
    opened: int
    refused: dict[str, int]  # status -> streams that failed to open
    open_after: int  # still open when the run ended
    ended: dict[str, int]  # status -> streams that ended during the run


@dataclass
class NamesSummary:
    count: int
    listed: int
    listed_alias: int
    made_up: int
    with_type: int
    with_country: int
    dropped_invalid: int


@dataclass
class LoadReport:
    options: LoadOptions
    names: NamesSummary | None = None
    clients: int = 1
    servers: list[ServerStart] = field(default_factory=list)
    sweep: list[RunFigures] = field(default_factory=list)
    sweep_crossing: float | None = None  # first rate whose p99 exceeds P99_LIMIT_S
    baselines: dict[str, RunFigures] = field(default_factory=dict)  # "faults" (lists_dir set), "swap" (swap set)
    swap: SwapFigures | None = None
    faults: dict[str, FaultFigures] = field(default_factory=dict)
    idle: IdleFigures | None = None
    problems: list[str] = field(default_factory=list)  # scenarios that could not run, and why
    client_pids: list[int] = field(default_factory=list)
    wall_s: float = 0.0


# ----------------------------------------------------------------- names


@dataclass(frozen=True)
class _Name:
    name: str
    listed: bool
    alias: bool
    party_type: str  # "" or individual / organization / vessel / aircraft
    country: str  # "" or ISO alpha-2


def _entries_of(lists_dir: Path) -> list[Any]:
    from service.catalog import load_catalog
    from service.refresh.fetch import read_directory
    from service.refresh.publisher import parse_fetched

    fetched = read_directory(load_catalog().get(SWAP_LIST), lists_dir)
    if fetched is None:
        raise LoadSetupError(f"no OFAC SDN files in {lists_dir}")
    return list(parse_fetched(fetched).entries)


def build_names(entries: Sequence[Any], count: int, listed_share: float, seed: int) -> list[_Name]:
    """`count` names: `listed_share` of them names (primary or alias) of `entries`, the rest made up."""
    from service.benchmarks.batch import _made_up

    rng = random.Random(seed)
    kinds = {"individual", "organization", "vessel", "aircraft"}
    names = []
    for n in range(count):
        if entries and rng.random() < listed_share:
            entry = rng.choice(entries)
            alias = len(entry.names) > 1 and rng.random() < 0.3
            name = rng.choice(entry.names[1:]).value if alias else entry.names[0].value
            kind = entry.entity_type.value if entry.entity_type.value in kinds and rng.random() < 0.5 else ""
            countries = [c for c in entry.countries if len(c) == 2 and c.isalpha() and c.isupper()]
            country = rng.choice(countries) if countries and rng.random() < 0.3 else ""
            names.append(_Name(name, True, alias, kind, country))
        else:
            name, kind, country = _made_up(rng, n)
            names.append(
                _Name(name, False, False, kind if rng.random() < 0.5 else "", country if rng.random() < 0.5 else "")
            )
    return names


def _request(name: _Name) -> Any:
    from service.api.gen import screening_pb2 as pb

    types = {"individual": pb.PARTY_TYPE_INDIVIDUAL, "organization": pb.PARTY_TYPE_ORGANIZATION,
             "vessel": pb.PARTY_TYPE_VESSEL, "aircraft": pb.PARTY_TYPE_AIRCRAFT}  # fmt: skip
    party = pb.Party(name=name.name, type=types.get(name.party_type, pb.PARTY_TYPE_UNSPECIFIED))
    if name.country:
        party.addresses.append(pb.Address(country=name.country))
    return pb.ScreenRequest(party=party, context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT))


def _valid_names(names: list[_Name]) -> tuple[list[_Name], int]:
    """The names the server accepts (validated in process, as the server does), and how many were not."""
    from service.api.validation import InvalidArgument, validate_request
    from service.catalog import load_catalog

    known = load_catalog().lists
    kept = []
    for name in names:
        try:
            validate_request(_request(name), known)
        except InvalidArgument:
            continue
        kept.append(name)
    return kept, len(names) - len(kept)


# ----------------------------------------------------------------- client processes

# One call's record: (index, due, sent, ended, status, screening_id, sdn version, decision, matches,
# server_latency as the response states it); times on CLOCK_MONOTONIC, which all processes share.
_Call = tuple[int, float, float, float, str, str, str, int, int, float]


def _client_fd(fd: int) -> None:
    """Entry point of a client process: `fd` is its end of the socket pair."""
    from multiprocessing.connection import Connection

    _client_main(Connection(fd))


def _client_main(conn: Any) -> None:
    """A client process: serves the parent's commands over `conn` until "quit" (or the parent is gone)."""
    try:
        asyncio.run(_client_loop(conn))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass


async def _client_loop(conn: Any) -> None:
    import traceback

    import grpc

    from service.api.gen import screening_pb2 as pb
    from service.api.gen import screening_pb2_grpc as pb_grpc

    requests: list[Any] = []
    channels: list[Any] = []
    stubs: list[Any] = []
    loop = asyncio.get_running_loop()
    try:
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            command = message[0]
            try:
                if command == "quit":
                    return
                if command == "names":
                    requests = [pb.ScreenRequest.FromString(raw) for raw in message[1]]
                    conn.send(("ok", len(requests)))
                elif command == "connect":
                    for channel in channels:
                        await channel.close()
                    target, count = message[1], message[2]
                    channels, placement = await _open_channels(grpc, pb, pb_grpc, target, count, requests[0])
                    stubs = [pb_grpc.ScreeningServiceStub(channel) for channel in channels]
                    conn.send(("ok", placement))
                elif command == "run":
                    conn.send(("ok", await _run_job(grpc, stubs, requests, message[1])))
                else:
                    conn.send(("error", f"unknown command {command!r}"))
            except Exception:  # noqa: BLE001 - reported to the parent, which raises it
                conn.send(("error", traceback.format_exc()))
    finally:
        for channel in channels:
            await channel.close()


async def _worker_of(grpc: Any, pb: Any, pb_grpc: Any, channel: Any, request: Any) -> tuple[str, int]:
    """Which server process took this connection, and how many share the port (a ScreenBatch answer's headers).

    One request is sent and answered, so that the headers have certainly arrived (a stream ended at once
    sometimes comes back without them).
    """

    async def one() -> Any:
        yield pb.ScreenBatchRequest(requests=[request])

    call = pb_grpc.ScreeningServiceStub(channel).ScreenBatch(one(), timeout=10)
    try:
        async for _ in call:
            pass
        metadata = await call.initial_metadata()
    except grpc.aio.AioRpcError as exc:
        return f"?{exc.code().name} ({(exc.details() or '')[:80]})", 0
    headers = {key: value for key, value in (metadata or ())}
    return str(headers.get("screening-worker", "?")), int(headers.get("screening-workers", "0") or 0)


async def _open_channels(
    grpc: Any, pb: Any, pb_grpc: Any, target: str, count: int, request: Any
) -> tuple[list[Any], dict[str, dict[str, int]]]:
    """`count` connections spread evenly over the server's processes (reconnecting a few times if needed)."""
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels: list[Any] = []
    placement: Counter[str] = Counter()
    failures: Counter[str] = Counter()  # connections that could not say their worker (retried)
    attempts = 0
    while len(channels) < count:
        channel = grpc.aio.insecure_channel(target, options=options)
        worker, workers = await _worker_of(grpc, pb, pb_grpc, channel, request)
        limit = math.ceil(count / max(1, workers))
        if (workers == 0 or placement[worker] >= limit) and attempts < 40:
            if workers == 0:
                failures[worker] += 1
            attempts += 1
            await channel.close()
            continue
        placement[worker] += 1
        channels.append(channel)
    return channels, {"placement": dict(placement), "retried": dict(failures)}


async def _run_job(
    grpc: Any, stubs: list[Any], requests: list[Any], job: dict[str, Any]
) -> tuple[list[_Call], float, dict[str, str]]:
    """Send this process's share of a run (calls first, first+stride, ...) on schedule; gather the answers."""
    rate, total, first, stride = job["rate"], job["total"], job["first"], job["stride"]
    t0, deadline, base = job["t0"], job["deadline"], job["base"]
    mine = range(first, total, stride)
    records: list[_Call | None] = [None] * len(mine)
    count = len(requests)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()
    samples: dict[str, str] = {}  # status -> the first error message seen with it
    monotonic = time.monotonic

    async def one(slot: int, i: int, due: float, stub: Any, request: Any) -> None:
        sent = monotonic()
        try:
            response = await stub.Screen(request, timeout=deadline)
        except grpc.aio.AioRpcError as exc:
            records[slot] = (i, due, sent, monotonic(), exc.code().name, "", "", 0, 0, 0.0)
            samples.setdefault(exc.code().name, exc.details() or "")
            return
        except Exception as exc:  # noqa: BLE001 - counted as a failed call under its exception's name
            records[slot] = (i, due, sent, monotonic(), type(exc).__name__, "", "", 0, 0, 0.0)
            samples.setdefault(type(exc).__name__, str(exc))
            return
        ended = monotonic()
        version = ""
        for used in response.list_versions:
            if used.list_id == SWAP_LIST:
                version = used.version
                break
        server_s = response.server_latency.seconds + response.server_latency.nanos / 1e9
        records[slot] = (i, due, sent, ended, "OK", response.screening_id, version, int(response.decision),
                         len(response.matches), server_s)  # fmt: skip

    cpu_before = time.process_time()
    for slot, i in enumerate(mine):
        due = t0 + i / rate
        delay = due - monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = loop.create_task(one(slot, i, due, stubs[slot % len(stubs)], requests[(base + i) % count]))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(set(pending))
    cpu_s = time.process_time() - cpu_before
    return [r for r in records if r is not None], cpu_s, samples


class _Clients:
    """The client processes, driven over socket pairs with multiprocessing's Connection (pickled messages).

    Started as `python -c` with the pair's fd rather than by multiprocessing's spawn, which would
    re-import the caller's main module (a script without a __main__ guard would start again).
    """

    def __init__(self, count: int) -> None:
        from multiprocessing.connection import Connection

        self._conns: list[Any] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        code = "import sys; from service.benchmarks.load import _client_fd; _client_fd(int(sys.argv[1]))"
        for _ in range(count):
            parent, child = socket.socketpair()
            try:
                process = subprocess.Popen(
                    [sys.executable, "-c", code, str(child.fileno())], pass_fds=(child.fileno(),),
                    cwd=REPOSITORY,
                )  # fmt: skip
            finally:
                child.close()
            self._conns.append(Connection(parent.detach()))
            self._processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def __len__(self) -> int:
        return len(self._conns)

    async def _ask(self, messages: list[tuple[Any, ...]], timeout_s: float) -> list[Any]:
        def ask(conn: Any, message: tuple[Any, ...]) -> Any:
            conn.send(message)
            if not conn.poll(timeout_s):
                raise TimeoutError(f"a client process did not answer {message[0]!r} within {timeout_s:.0f} s")
            status, value = conn.recv()
            if status != "ok":
                raise RuntimeError(f"client process failed on {message[0]!r}: {value}")
            return value

        return list(
            await asyncio.gather(*(asyncio.to_thread(ask, c, m) for c, m in zip(self._conns, messages, strict=True)))
        )

    async def names(self, serialized: list[bytes]) -> None:
        await self._ask([("names", serialized)] * len(self._conns), 120)

    async def connect(self, target: str, connections: int) -> tuple[dict[str, int], dict[str, int]]:
        """(connections per server worker, connections that could not name their worker and were replaced)."""
        share = [
            connections // len(self._conns) + (k < connections % len(self._conns)) for k in range(len(self._conns))
        ]
        answers = await self._ask([("connect", target, max(1, s)) for s in share], 120)
        placement: Counter[str] = Counter()
        retried: Counter[str] = Counter()
        for answer in answers:
            placement.update(answer["placement"])
            retried.update(answer["retried"])
        return dict(placement), dict(retried)

    async def run(
        self, rate: float, total: int, t0: float, deadline: float, base: int, seconds: float
    ) -> tuple[list[_Call], float, dict[str, str]]:
        jobs = [("run", {"rate": rate, "total": total, "first": k, "stride": len(self._conns), "t0": t0,
                         "deadline": deadline, "base": base}) for k in range(len(self._conns))]  # fmt: skip
        answers = await self._ask(jobs, seconds + deadline + 120)
        calls = [call for part, _, _ in answers for call in part]
        calls.sort(key=lambda c: c[0])
        samples: dict[str, str] = {}
        for _, _, theirs in answers:
            for code, detail in theirs.items():
                samples.setdefault(code, detail)
        return calls, sum(cpu for _, cpu, _ in answers), samples

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.send(("quit",))
        for process in self._processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.close()


# ----------------------------------------------------------------- private redis-server


class PrivateRedis:
    """A redis-server of our own on a free loopback port, in its own session; SAVE writes dir/dump.rdb."""

    def __init__(self, binary: str, directory: Path) -> None:
        from service.benchmarks.batch import _free_port

        self.binary = binary
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._all: list[subprocess.Popen[bytes]] = []  # every process started, for stop()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._all]

    def start(self) -> float:
        """Start (or start again, same port and dir); returns the seconds until it answers PING."""
        import redis

        self.directory.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self.directory), "--dbfilename", "dump.rdb", "--logfile", str(self.directory / "redis.log")]  # fmt: skip
        started = time.monotonic()
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self._all.append(self.process)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            while True:
                if self.process.poll() is not None:
                    raise LoadSetupError(f"redis-server on port {self.port} exited with {self.process.returncode}: "
                                         f"{_tail(self.directory / 'redis.log')}")  # fmt: skip
                try:
                    if client.ping():
                        return time.monotonic() - started
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    pass
                if time.monotonic() - started > REDIS_START_TIMEOUT_S:
                    raise LoadSetupError(
                        f"redis-server on port {self.port} did not answer within {REDIS_START_TIMEOUT_S:g} s"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def command(self, *args: Any) -> Any:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=60)
        try:
            return client.execute_command(*args)
        finally:
            client.close()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Whatever state it is in (stopped, killed, restarted): gone, with its process group."""
        for process in self._all:
            for signum in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signum)
            with contextlib.suppress(Exception):
                process.wait(10)


def _tail(path: Path, size: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


# ----------------------------------------------------------------- server


class _Server:
    """`screening serve --workers W` on a free loopback port, in its own session."""

    def __init__(
        self, options: LoadOptions, redis_url: str, prefix: str, lists_dir: Path, directory: Path, http: bool = False
    ) -> None:
        """`http`: also serve the HTTP/JSON door, on a free port of its own (`http_port`)."""
        from service.benchmarks.batch import _free_port

        self.port = _free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.http_port = _free_port() if http else None
        self.directory = directory
        self.audit_dir = directory / "audit"
        self.log_path = directory / "serve.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL_FILE", "AUDIT_DIR", "SCREENING_AUTH")}
        env.update({
            "SCREENING_KEY_PREFIX": prefix, "REDIS_URL": redis_url, "LOG_LEVEL": "warning", "LOG_FORMAT": "json",
            "LISTS_DIR": str(lists_dir), "SCREENING_DATA_DIR": str(directory / "data"), "AUDIT_DIR": str(self.audit_dir),
            "RESCREEN_WORKERS": "0", "SCREENING_DRAIN_SECONDS": "2", "SCREENING_AUTH": "off",
        })  # fmt: skip
        if options.reload_seconds is not None:
            env["SCREENING_RELOAD_SECONDS"] = f"{options.reload_seconds:g}"
        self._env = env
        self._command = [sys.executable, "-m", "service.cli", "serve", "--workers", str(options.workers), "--http-port", str(self.http_port or "off"), "--host", "127.0.0.1",
                         "--port", str(self.port), "--lists-dir", str(lists_dir)]  # fmt: skip
        self.workers = options.workers
        self.process: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []
        self._stopped = False

    async def start(self, request: Any) -> tuple[float, float]:
        """Start; returns the seconds until the health check said SERVING and until every worker answered `request`."""
        from service.benchmarks.batch import _wait_serving, _workers_of

        self.directory.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - returns at once; the wait is async
                self._command, env=self._env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=REPOSITORY,
            )  # fmt: skip
        await _wait_serving(self.target, self.process, self.log_path)
        serving_s = time.monotonic() - started
        # SERVING on a dozen fresh connections in a row is also what a port held by one worker says while
        # the others are still starting (they bind late): wait until every one of them has answered.
        await self._wait_every_worker(request, started)
        self.pids = _workers_of(self.process.pid) if self.workers > 1 else [self.process.pid]
        return serving_s, time.monotonic() - started

    async def _wait_every_worker(self, request: Any, started: float) -> None:
        import grpc

        from service.api.gen import screening_pb2 as pb
        from service.api.gen import screening_pb2_grpc as pb_grpc
        from service.benchmarks.batch import SERVE_TIMEOUT_S

        answered: set[str] = set()
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"`screening serve` exited with {self.process.returncode}: {_tail(self.log_path)}")
            if time.monotonic() - started > SERVE_TIMEOUT_S:
                raise TimeoutError(
                    f"not every worker answered after {SERVE_TIMEOUT_S:g} s (answered: {sorted(answered)})"
                )
            async with grpc.aio.insecure_channel(
                self.target, options=[("grpc.use_local_subchannel_pool", 1)]
            ) as channel:
                worker, workers = await _worker_of(grpc, pb, pb_grpc, channel, request)
            if workers:
                answered.add(worker)
                if len(answered) >= workers:
                    return
            else:
                await asyncio.sleep(0.1)

    def cpu_s(self) -> float:
        from service.benchmarks.batch import _cpu_s

        return sum(cpu for pid in self.pids if (cpu := _cpu_s(pid)) is not None)

    def stop(self, record: ServerStart | None = None) -> None:
        """SIGTERM (drain, flush the audit queue), SIGKILL to the group after 10 s; records how it went."""
        from service.benchmarks.batch import KILL_AFTER_S

        process = self.process
        if process is None or self._stopped:
            return
        self._stopped = True
        started = time.monotonic()
        slow = False
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                slow = True
        # What is left of the group a moment later (its multiprocessing helpers go by themselves).
        deadline = time.monotonic() + 3.0
        while (process.poll() is None or _group_alive(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = process.poll() is None or _group_alive(process.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if record is not None:
            record.stop_s = time.monotonic() - started
            record.exit_code = process.returncode
            record.killed = left
            record.slow = slow
            record.log_events = _log_events(self.log_path)


async def _publish_set(settings: Settings, lists_dir: Path, prefix: str) -> dict[str, Any]:
    """Publish the SDN set of `lists_dir` under `prefix`, as a refresh does (forced: a daily folder holds sdn.csv only)."""
    from service.catalog import load_catalog
    from service.engine.index_warm import warm_index
    from service.refresh.publisher import Outcome
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, prefix)
        catalog = load_catalog()
        [result] = await refresh_lists(store, catalog, [SWAP_LIST], source_dir=lists_dir, force=True)
        if result.outcome not in (Outcome.PUBLISHED, Outcome.UNCHANGED):
            raise LoadSetupError(f"publishing {lists_dir} failed: {result.outcome.value}: {result.message}")
        # As `screening refresh` does: the server then starts on lists and index in Redis.
        warmed = await warm_index(store, catalog)
    finally:
        await connection.close()
    return {"entries": result.entry_count, "version": result.version, "index": warmed}


def _cpu_of(pid: int | None) -> float | None:
    from service.benchmarks.batch import _cpu_s

    return _cpu_s(pid) if pid is not None else None


def _machine_busy_s() -> float | None:
    """Busy CPU seconds of the whole machine since boot, all CPUs (Linux /proc/stat), None when unknown."""
    from service.benchmarks.batch import _CLOCK_TICKS

    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still there (a worker that outlived `serve`)."""
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _log_events(path: Path) -> dict[str, int]:
    """Warning and error events of the server's JSON log, by event (and level)."""
    counts: Counter[str] = Counter()
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            # Not structlog's: a traceback printed by gRPC or Python itself. Its last line names the exception.
            if line.strip() and not line[:1].isspace() and not line.startswith("Traceback"):
                counts["stderr " + line.strip()[:100]] += 1
            continue
        if isinstance(event, dict):
            counts[f"{event.get('level', '?')} {event.get('event', '?')}"] += 1
    return dict(counts.most_common())


# ----------------------------------------------------------------- figures


def _percentile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _figures(label: str, rate: float, seconds: float, calls: list[_Call], listed: list[bool], t0: float,
             server_cpu_s: float, client_cpu_s: float) -> RunFigures:  # fmt: skip
    from service.api.gen import screening_pb2 as pb

    latencies = sorted(c[3] - c[1] for c in calls)
    ok_latencies = sorted(c[3] - c[1] for c in calls if c[4] == "OK")
    lags = sorted(max(0.0, c[2] - c[1]) for c in calls)
    errors = Counter(c[4] for c in calls if c[4] != "OK")
    listed_sent = sum(1 for c in calls if listed[c[0]])
    listed_errors = sum(1 for c in calls if c[4] != "OK" and listed[c[0]])
    ok = len(calls) - sum(errors.values())
    last_sent = max((c[2] for c in calls), default=t0)
    last_end = max((c[3] for c in calls if c[4] == "OK"), default=t0)
    decisions = Counter(pb.Decision.Name(c[7]).removeprefix("DECISION_") for c in calls if c[4] == "OK")
    return RunFigures(
        label=label, rate=rate, seconds=seconds, sent=len(calls), ok=ok, errors=dict(errors.most_common()),
        listed_sent=listed_sent, listed_errors=listed_errors, unlisted_errors=sum(errors.values()) - listed_errors,
        p50_s=_percentile(latencies, 0.50), p90_s=_percentile(latencies, 0.90), p99_s=_percentile(latencies, 0.99),
        max_s=latencies[-1] if latencies else float("nan"), ok_p99_s=_percentile(ok_latencies, 0.99),
        screening_p99_s=_percentile(sorted(c[9] for c in calls if c[4] == "OK"), 0.99),
        send_rate=(len(calls) - 1) / (last_sent - t0) if len(calls) > 1 and last_sent > t0 else 0.0,
        answer_rate=ok / (last_end - t0) if last_end > t0 else 0.0,
        send_lag_p50_s=_percentile(lags, 0.5), send_lag_p99_s=_percentile(lags, 0.99),
        send_lag_max_s=lags[-1] if lags else float("nan"),
        server_cpu_s=server_cpu_s, client_cpu_s=client_cpu_s, decisions=dict(decisions),
    )  # fmt: skip


def _phase(label: str, calls: list[_Call], listed: list[bool], no_match: list[bool]) -> PhaseFigures:
    errors = Counter(c[4] for c in calls if c[4] != "OK")
    latencies = sorted(c[3] - c[1] for c in calls)
    listed_errors = sum(1 for c in calls if c[4] != "OK" and listed[c[0]])
    return PhaseFigures(label, len(calls), dict(errors.most_common()), sum(1 for c in calls if listed[c[0]]),
                        listed_errors, sum(errors.values()) - listed_errors, _percentile(latencies, 0.99),
                        latencies[-1] if latencies else float("nan"), sum(1 for c in calls if no_match[c[0]]),
                        sum(1 for c in calls if c[4] != "OK" and no_match[c[0]]))  # fmt: skip


# ----------------------------------------------------------------- the harness


@dataclass
class _Run:
    calls: list[_Call]
    listed: list[bool]  # by call index
    names: list[int]  # by call index: which name was sent
    t0: float
    figures: RunFigures


class _Harness:
    def __init__(
        self, settings: Settings, prefix: str, options: LoadOptions, report: LoadReport, directory: Path
    ) -> None:
        self.settings = settings
        self.prefix = prefix
        self.options = options
        self.report = report
        self.directory = directory
        self.names: list[_Name] = []
        self.clients: _Clients | None = None
        self.redis: list[PrivateRedis] = []
        self.servers: list[_Server] = []
        self._base = 0  # where in the name list the next run starts
        self._groups = 0
        self.matched: dict[int, bool] = {}  # name -> whether a successful answer for it had matches
        self.current_redis: PrivateRedis | None = None

    # ------------------------------------------------------------ setup

    async def prepare(self, lists_dir: Path) -> None:
        entries = await asyncio.to_thread(_entries_of, lists_dir)
        names = build_names(entries, self.options.names, self.options.listed_share, self.options.seed)
        names, dropped = _valid_names(names)
        if not names:
            raise LoadSetupError("no valid names to send")
        self.names = names
        self.report.names = NamesSummary(
            count=len(names), listed=sum(n.listed for n in names), listed_alias=sum(n.alias for n in names),
            made_up=sum(not n.listed for n in names), with_type=sum(bool(n.party_type) for n in names),
            with_country=sum(bool(n.country) for n in names), dropped_invalid=dropped,
        )  # fmt: skip
        fastest = (
            max([self.options.rate, *self.options.sweep_rates])
            if "sweep" in self.options.scenarios
            else self.options.rate
        )
        count = self.options.clients or max(1, math.ceil(fastest / RATE_PER_CLIENT))
        count = min(count, max(1, self.options.connections))
        self.report.clients = count
        self.clients = _Clients(count)
        self.report.client_pids = self.clients.pids
        await self.clients.names([_request(n).SerializeToString() for n in names])

    def close(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        for redis_server in self.redis:
            with contextlib.suppress(Exception):
                redis_server.stop()
        if self.clients is not None:
            self.clients.close()

    @contextlib.asynccontextmanager
    async def group(self, label: str, lists_dir: Path) -> Any:
        """A private redis-server with `lists_dir` published, and a fresh server on it, SERVING; both stopped after."""
        self._groups += 1
        directory = self.directory / f"{self._groups:02d}-{label}"
        redis_server = PrivateRedis(self.options.redis_server, directory / "redis")
        self.redis.append(redis_server)
        self.current_redis = redis_server
        server: _Server | None = None
        record: ServerStart | None = None
        try:
            redis_server.start()
            settings = dataclasses.replace(self.settings, redis_url=redis_server.url)
            published = await _publish_set(settings, lists_dir, self.prefix)
            server = _Server(self.options, redis_server.url, self.prefix, lists_dir, directory / "server")
            self.servers.append(server)
            serving_s, startup_s = await server.start(_request(self.names[0]))
            # The snapshot a production Redis would hold of its lists (see redis-kill in the module docstring).
            redis_server.command("SAVE")
            assert self.clients is not None
            placement, retried = await self.clients.connect(server.target, self.options.connections)
            record = ServerStart(label, str(lists_dir), int(published["entries"]), startup_s, placement, redis_server.port,
                                 connect_retries=retried, health_serving_s=serving_s,
                                 index_warm=f"{published['index'].outcome} in {published['index'].seconds:.1f} s")  # fmt: skip
            assert server.process is not None
            record.pids = [server.process.pid, *(pid for pid in server.pids if pid != server.process.pid)]
            cpu_before, idle_started = server.cpu_s(), time.monotonic()
            await asyncio.sleep(self.options.idle_seconds)
            record.idle_cpu_per_s = (server.cpu_s() - cpu_before) / (time.monotonic() - idle_started)
            self.report.servers.append(record)
            yield server, redis_server
        finally:
            if server is not None:
                server.stop(record)
            redis_server.stop()
            if record is not None:
                record.redis_pids = redis_server.pids

    # ------------------------------------------------------------ runs

    async def run(self, label: str, server: _Server, rate: float, seconds: float,
                  during: Callable[[float], Coroutine[Any, Any, None]] | None = None) -> _Run:  # fmt: skip
        """One open-loop run of `rate` calls/s for `seconds`; `during(t0)` runs alongside (the fault)."""
        assert self.clients is not None
        total = max(1, round(rate * seconds))
        base = self._base
        self._base = (self._base + total) % len(self.names)
        t0 = time.monotonic() + START_MARGIN_S
        cpu_before = server.cpu_s()
        machine_before = _machine_busy_s()
        redis_pid = self.current_redis.pid if self.current_redis is not None else None
        redis_before = _cpu_of(redis_pid)
        action = asyncio.create_task(during(t0)) if during is not None else None
        try:
            calls, client_cpu_s, samples = await self.clients.run(
                rate, total, t0, self.options.deadline_s, base, seconds
            )
            if action is not None:
                await action
        finally:
            if action is not None and not action.done():
                action.cancel()
                await asyncio.gather(action, return_exceptions=True)
        server_cpu_s = server.cpu_s() - cpu_before
        machine_after = _machine_busy_s()
        redis_after = (
            _cpu_of(redis_pid) if self.current_redis is not None and self.current_redis.pid == redis_pid else None
        )
        names = [(base + i) % len(self.names) for i in range(total)]
        listed = [self.names[n].listed for n in names]
        for call in calls:
            if call[4] == "OK":
                self.matched[names[call[0]]] = self.matched.get(names[call[0]], False) or call[8] > 0
        figures = _figures(label, rate, seconds, calls, listed, t0, server_cpu_s, client_cpu_s)
        figures.error_samples = samples
        figures.wall_s = time.monotonic() - t0
        if machine_before is not None and machine_after is not None:
            figures.machine_cpu_s = machine_after - machine_before
        if redis_before is not None and redis_after is not None:
            figures.redis_cpu_s = redis_after - redis_before
        return _Run(calls, listed, names, t0, figures)

    def no_match(self, run: _Run) -> list[bool]:
        """By call index: whether its name is known to be answered without matches."""
        return [self.matched.get(n) is False for n in run.names]

    async def warm_up(self, server: _Server, rate: float) -> None:
        if self.options.warmup_seconds > 0:
            await self.run("warm-up", server, rate, self.options.warmup_seconds)

    # ------------------------------------------------------------ scenarios

    async def sweep(self, lists_dir: Path) -> None:
        async with self.group("sweep", lists_dir) as (server, _redis):
            await self.warm_up(server, self.options.sweep_rates[0])
            for rate in self.options.sweep_rates:
                run = await self.run(f"{rate:g}/s", server, rate, self.options.sweep_seconds)
                self.report.sweep.append(run.figures)
                _flush_line(
                    f"load sweep       {rate:g}/s done: p99 {_ms(run.figures.p99_s)}, errors {run.figures.failed}"
                )
        crossing = next((f.rate for f in self.report.sweep if not f.p99_s <= P99_LIMIT_S), None)
        self.report.sweep_crossing = crossing

    async def baseline(self, lists_dir: Path) -> None:
        async with self.group("baseline", lists_dir) as (server, _redis):
            await self.warm_up(server, self.options.rate)
            run = await self.run("baseline", server, self.options.rate, self.options.seconds)
        self.report.baselines["faults"] = run.figures
        _flush_line(f"load baseline    done: p99 {_ms(run.figures.p99_s)}, errors {run.figures.failed}")

    async def swap(self, dirs: Sequence[Path]) -> None:
        from service.benchmarks.swap import _read_marked, _start_publisher

        opts = self.options
        swaps = max(0, math.ceil(opts.swap_seconds / opts.swap_every) - 1)
        async with self.group("swap", dirs[0]) as (server, redis_server):
            await self.warm_up(server, opts.rate)
            if opts.baseline:
                before = await self.run("baseline (swap set)", server, opts.rate, opts.seconds)
                self.report.baselines["swap"] = before.figures
                _flush_line(
                    f"load swap        baseline done: p99 {_ms(before.figures.p99_s)}, errors {before.figures.failed}"
                )
            # Every publisher process is started (imports, connects) before the run and waits for "go".
            publishers = []
            try:
                for k in range(1, swaps + 1):
                    publishers.append(
                        await _start_publisher(
                            redis_server.url, self.prefix, dirs[k % len(dirs)], nice=opts.publisher_nice
                        )
                    )
                for publisher in publishers:
                    await _read_marked(publisher, 120)
                results: list[dict[str, Any]] = []

                async def publish_all(t0: float) -> None:
                    for k, publisher in enumerate(publishers, start=1):
                        await asyncio.sleep(max(0.0, t0 + k * opts.swap_every - time.monotonic()))
                        assert publisher.stdin is not None
                        publisher.stdin.write(b"go\n")
                        await publisher.stdin.drain()
                        results.append(await _read_marked(publisher, 120))
                        await publisher.wait()

                run = await self.run("swap", server, opts.rate, opts.swap_seconds, publish_all)
            finally:
                for publisher in publishers:
                    if publisher.returncode is None:
                        with contextlib.suppress(ProcessLookupError):
                            publisher.kill()
                        await publisher.wait()
        events = _swap_events(run, results, [dirs[k % len(dirs)].name for k in range(1, len(results) + 1)])
        self.report.swap = SwapFigures(run.figures, events, len({c[6] for c in run.calls if c[4] == "OK"}))
        _flush_line(f"load swap        done: {len(events)} swaps, errors {run.figures.failed}")

    async def redis_fault(self, scenario: str, lists_dir: Path) -> None:
        opts = self.options
        restart: dict[str, Any] = {}
        marks: dict[str, float] = {}
        async with self.group(scenario, lists_dir) as (server, redis_server):
            await self.warm_up(server, opts.rate)

            async def fault(t0: float) -> None:
                await asyncio.sleep(max(0.0, t0 + opts.fault_at - time.monotonic()))
                if scenario == "redis-stop":
                    redis_server.signal(signal.SIGSTOP)
                    marks["start"] = time.monotonic()
                    try:
                        await asyncio.sleep(opts.fault_seconds)
                    finally:
                        redis_server.signal(signal.SIGCONT)
                        marks["end"] = time.monotonic()
                else:
                    redis_server.kill()
                    marks["start"] = time.monotonic()
                    try:
                        await asyncio.sleep(opts.fault_seconds)
                    finally:
                        marks["end"] = time.monotonic()
                        restart["seconds"] = await asyncio.to_thread(redis_server.start)
                        restart["keys"] = await asyncio.to_thread(redis_server.command, "DBSIZE")

            run = await self.run(scenario, server, opts.rate, opts.seconds, fault)
            server.stop(self.report.servers[-1])  # drain and flush the audit queue before looking for the records
            audit = await _audit_check(redis_server.url, self.prefix, server.audit_dir, run.calls)
        start, end = marks.get("start", run.t0) - run.t0, marks.get("end", run.t0) - run.t0
        no_match = self.no_match(run)
        phases = [
            _phase("before", [c for c in run.calls if c[1] - run.t0 < start], run.listed, no_match),
            _phase("during", [c for c in run.calls if start <= c[1] - run.t0 < end], run.listed, no_match),
            _phase("after", [c for c in run.calls if c[1] - run.t0 >= end], run.listed, no_match),
        ]
        failed_after = [c[1] - run.t0 - end for c in run.calls if c[4] != "OK" and c[1] - run.t0 >= end]
        self.report.faults[scenario] = FaultFigures(
            scenario, run.figures, start, end, phases, max(failed_after) if failed_after else None,
            restart.get("seconds"), int(restart["keys"]) if "keys" in restart else None, audit,
        )  # fmt: skip
        _flush_line(f"load {scenario:<11} done: errors {run.figures.failed}, audit {audit.found}/{audit.total}")

    async def idle_streams(self, lists_dir: Path) -> None:
        import grpc

        from service.api.gen import screening_pb2 as pb
        from service.api.gen import screening_pb2_grpc as pb_grpc

        opts = self.options
        async with self.group("idle-streams", lists_dir) as (server, _redis):
            await self.warm_up(server, opts.rate)
            channels = []
            calls = []
            refused: Counter[str] = Counter()
            try:
                for _ in range(opts.idle_streams):
                    channel = grpc.aio.insecure_channel(server.target, options=[("grpc.use_local_subchannel_pool", 1)])
                    channels.append(channel)
                    calls.append(pb_grpc.ScreeningServiceStub(channel).WatchAlerts(pb.WatchAlertsRequest()))

                async def opened(call: grpc.aio.UnaryStreamCall[pb.WatchAlertsRequest, pb.Alert]) -> str:
                    try:
                        await asyncio.wait_for(call.initial_metadata(), 10)
                    except TimeoutError:
                        return "no headers within 10 s"
                    if call.done():
                        return (await call.code()).name
                    return ""

                outcomes = await asyncio.gather(*(opened(call) for call in calls))
                refused.update(o for o in outcomes if o)
                run = await self.run("idle-streams", server, opts.rate, opts.seconds)
                ended: Counter[str] = Counter()
                still_open = 0
                for call, outcome in zip(calls, outcomes, strict=True):
                    if outcome:
                        continue
                    if call.done():
                        ended[(await call.code()).name] += 1
                    else:
                        still_open += 1
            finally:
                for call in calls:
                    call.cancel()
                for channel in channels:
                    await channel.close()
        self.report.idle = IdleFigures(run.figures, opts.idle_streams, opts.idle_streams - sum(refused.values()),
                                       dict(refused), still_open, dict(ended))  # fmt: skip
        _flush_line(
            f"load idle        done: errors {run.figures.failed}, streams open {still_open}/{opts.idle_streams}"
        )


def _swap_events(run: _Run, results: list[dict[str, Any]], sources: list[str]) -> list[SwapEvent]:
    """Per publish: how long until its version was served (first answer, every answer), and the calls around it.

    Each successful answer is given the generation of the version it carries: the latest publish of that
    version begun before the answer came (0: the version served at the start). The sets come round again,
    so a version string alone does not say which publish it stands for.
    """
    ok = [c for c in run.calls if c[4] == "OK"]
    initial = ok[0][6] if ok else ""
    publishes = [(initial, float("-inf"))] + [(str(r.get("version") or ""), float(r["t_start"])) for r in results]

    def generation(call: _Call) -> int:
        found = [k for k, (version, start) in enumerate(publishes) if version == call[6] and start <= call[3]]
        return max(found) if found else -1

    generations = [generation(c) for c in ok]
    events = []
    for k, (result, source) in enumerate(zip(results, sources, strict=False), start=1):
        start, end = float(result["t_start"]), float(result["t_end"])
        mine = [c[2] for c, g in zip(ok, generations, strict=True) if g == k and c[2] >= start]
        newer = [c[2] for c, g in zip(ok, generations, strict=True) if g >= k]
        older_after = [c[2] for c, g in zip(ok, generations, strict=True) if 0 <= g < k and c[2] > end]
        all_served = (max(older_after, default=end) - end) if newer else None
        next_start = float(results[k]["t_start"]) if k < len(results) else float("inf")
        window_end = (
            end + all_served + 1.0
            if all_served is not None
            else min(next_start, run.calls[-1][1] if run.calls else end)
        )
        window = [c for c in run.calls if start - 1.0 <= c[1] <= window_end]
        events.append(SwapEvent(
            index=k, source=source, outcome=str(result.get("outcome")), version=str(result.get("version") or ""),
            message=str(result.get("message") or ""), publish_start_s=start - run.t0, publish_s=end - start,
            first_served_s=(min(mine) - end) if mine else None, all_served_s=all_served,
            window_sent=len(window), window_failed=sum(1 for c in window if c[4] != "OK"),
            window_max_s=max((c[3] - c[1] for c in window), default=float("nan")),
        ))  # fmt: skip
    return events


async def _audit_check(redis_url: str, prefix: str, audit_dir: Path, calls: list[_Call]) -> AuditCheck:
    """How many of the run's successful screenings have an audit record (stream or exported files)."""
    import redis.asyncio as aioredis

    from service.audit.trail import read_exported
    from service.store import replies

    wanted = {c[5] for c in calls if c[4] == "OK" and c[5]}
    in_stream: set[str] = set()
    stream_entries = 0
    client = aioredis.Redis.from_url(redis_url, socket_timeout=30)
    try:
        lower: bytes | str = "-"
        while True:
            page = replies.entries(await client.xrange(f"{prefix}audit", min=lower, max="+", count=5000))
            for _entry_id, fields in page:
                stream_entries += 1
                value = fields.get(b"screening_id")
                if value:
                    in_stream.add(value.decode())
            if len(page) < 5000:
                break
            lower = b"(" + page[-1][0]
    finally:
        await client.aclose()

    def from_files() -> tuple[set[str], int]:
        ids = [record.screening_id for record in read_exported(audit_dir)]
        return set(ids), len(ids)

    in_files, file_records = await asyncio.to_thread(from_files)
    return AuditCheck(len(wanted), len(wanted & (in_stream | in_files)), len(wanted & in_stream), len(wanted & in_files),
                      stream_entries, file_records)  # fmt: skip


def _flush_line(text: str) -> None:
    print(text, flush=True)


def _check_inputs(options: LoadOptions) -> tuple[Path, list[Path]]:
    """The base SDN set and the swap sets; LoadSetupError with what to pass when something is missing."""
    import shutil

    lists_dir = options.lists_dir or DEFAULT_LISTS_DIR
    needs_base = any(s != "swap" for s in options.scenarios)
    swap_dirs = list(options.swap_dirs)
    if "swap" in options.scenarios and not swap_dirs and DEFAULT_DAILY_DIR.is_dir():
        swap_dirs = sorted(p for p in DEFAULT_DAILY_DIR.glob("2024-*") if (p / "sdn.csv").is_file())
    base_missing = needs_base and not (lists_dir / "sdn.csv").is_file()
    swap_missing = "swap" in options.scenarios and (
        len(swap_dirs) < 2 or any(not (p / "sdn.csv").is_file() for p in swap_dirs)
    )
    defaults_used = (base_missing and options.lists_dir is None) or (swap_missing and not options.swap_dirs)
    if defaults_used and not SHARED_DATA.is_dir():
        raise LoadSetupError(
            f"{SHARED_DATA} not found: the load bench screens against the real lists of the team's shared data "
            "folder; pass --load-lists-dir DIR (an OFAC SDN CSV set) and, for the swap, --load-swap-dirs DIR,DIR,..."
        )
    if base_missing:
        raise LoadSetupError(f"{lists_dir / 'sdn.csv'} not found: pass --load-lists-dir with an OFAC SDN CSV set")
    if swap_missing:
        missing = [str(p) for p in swap_dirs if not (p / "sdn.csv").is_file()]
        raise LoadSetupError(
            f"the swap needs two or more SDN sets with an sdn.csv (missing: {', '.join(missing) or 'none'}; "
            f"found {len(swap_dirs)}): pass --load-swap-dirs DIR,DIR,..."
        )
    if shutil.which(options.redis_server) is None and not Path(options.redis_server).is_file():
        raise LoadSetupError(f"{options.redis_server!r} not found: the load bench runs a private redis-server "
                             "(install redis-server or pass --load-redis-server PATH)")  # fmt: skip
    if options.rate <= 0 or any(r <= 0 for r in options.sweep_rates) or options.swap_every <= 0:
        raise LoadSetupError("rates and --load-swap-every must be positive")
    return lists_dir, swap_dirs


def bench_load(settings: Settings, prefix: str, options: LoadOptions) -> LoadReport:
    """Run the selected scenarios; every process started is gone when this returns (or raises)."""
    lists_dir, swap_dirs = _check_inputs(options)
    report = LoadReport(options)
    started = time.monotonic()
    previous_handler = None
    if threading.current_thread() is threading.main_thread():

        def on_sigterm(_signum: int, _frame: object) -> None:
            raise SystemExit(128 + signal.SIGTERM)

        previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="screening-bench-load-") as tmp:
            asyncio.run(_bench(settings, prefix, options, report, Path(tmp), lists_dir, swap_dirs))
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    report.wall_s = time.monotonic() - started
    return report


async def _bench(settings: Settings, prefix: str, options: LoadOptions, report: LoadReport, directory: Path,
                 lists_dir: Path, swap_dirs: list[Path]) -> None:  # fmt: skip
    harness = _Harness(settings, prefix, options, report, directory)
    try:
        await harness.prepare(lists_dir if (lists_dir / "sdn.csv").is_file() else swap_dirs[0])
        fault_scenarios = [s for s in ("redis-stop", "redis-kill", "idle-streams") if s in options.scenarios]
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if "sweep" in options.scenarios:
            steps.append(("sweep", lambda: harness.sweep(lists_dir)))
        if fault_scenarios and options.baseline:
            steps.append(("baseline", lambda: harness.baseline(lists_dir)))
        if "swap" in options.scenarios:
            steps.append(("swap", lambda: harness.swap(swap_dirs)))
        for scenario in ("redis-stop", "redis-kill"):
            if scenario in options.scenarios:
                steps.append((scenario, lambda s=scenario: harness.redis_fault(s, lists_dir)))  # type: ignore[misc]
        if "idle-streams" in options.scenarios:
            steps.append(("idle-streams", lambda: harness.idle_streams(lists_dir)))
        for name, step in steps:
            try:
                await step()
            except (LoadSetupError, RuntimeError, TimeoutError, OSError) as exc:
                report.problems.append(f"{name}: {type(exc).__name__}: {exc}")
                _flush_line(f"load {name}: FAILED: {type(exc).__name__}: {str(exc)[:500]}")
    finally:
        harness.close()


# ----------------------------------------------------------------- printing


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.1f} s"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{code} {count:,}" for code, count in errors.items()) or "none"


_HEADER = (f"  {'run':<22} {'sent':>7} {'ok':>7} {'failed':>7} {'send/s':>7} {'ok/s':>7} {'p50':>8} {'p90':>8} {'p99':>8} "
           f"{'max':>8} {'scr p99':>8} {'srv CPU':>8} {'cli CPU':>8} {'lag p99':>8} {'others':>6}")  # fmt: skip


def _row(f: RunFigures, label: str | None = None) -> str:
    return (f"  {(label or f.label):<22} {f.sent:>7,} {f.ok:>7,} {f.failed:>7,} {f.send_rate:>7.1f} {f.answer_rate:>7.1f} "
            f"{_ms(f.p50_s):>8} {_ms(f.p90_s):>8} {_ms(f.p99_s):>8} {_ms(f.max_s):>8} {_ms(f.screening_p99_s):>8} "
            f"{f.server_cpu_per_call_s * 1000:>5.2f} ms {f.client_cpu_per_call_s * 1000:>5.2f} ms {_ms(f.send_lag_p99_s):>8} "
            f"{_cores(f.other_cpu_s, f.wall_s):>6}")  # fmt: skip


def _cores(cpu_s: float | None, seconds: float) -> str:
    return "n/a" if cpu_s is None or seconds <= 0 else f"{cpu_s / seconds:.2f}"


def _error_lines(f: RunFigures, indent: str = "    ") -> list[str]:
    if not f.errors:
        return []
    listed = f"{f.listed_errors:,} of {f.listed_sent:,} listed-name calls, {f.unlisted_errors:,} of {f.sent - f.listed_sent:,} unlisted"
    lines = [f"{indent}{f.label}: errors {_errors(f.errors)} ({listed})"]
    for code, detail in f.error_samples.items():
        lines.append(f"{indent}  {code}: {' '.join(detail.split())[:150]!r}")
    return lines


def print_load(report: LoadReport) -> None:
    o = report.options
    names = report.names
    print(f"load             open loop (calls sent when due, latency from the due time), deadline {o.deadline_s:g} s, "
          f"{o.connections} connections from {report.clients} client process(es), `screening serve --workers {o.workers}` "
          f"(auth off, RESCREEN_WORKERS=0, LOG_LEVEL=warning) on a private redis-server per scenario")  # fmt: skip
    if names is not None:
        print(f"load names       {names.count:,} names, seed {o.seed}: {names.listed:,} listed ({names.listed_alias:,} of them "
              f"aliases), {names.made_up:,} made up; type set on {names.with_type:,}, country on {names.with_country:,}"
              + (f"; {names.dropped_invalid} invalid dropped" if names.dropped_invalid else ""))  # fmt: skip
    for s in report.servers:
        placement = "+".join(str(n) for n in s.placement.values())
        stop = ("n/a" if s.stop_s is None else f"{s.stop_s:.1f} s, exit {s.exit_code}" + (" (SIGKILL needed)" if s.killed else "")
                + (" (over the 10 s allowed)" if s.slow and not s.killed else ""))  # fmt: skip
        idle_cpu = "" if s.idle_cpu_per_s is None else f"; idle CPU {s.idle_cpu_per_s * 1000:.0f} ms/s"
        if s.connect_retries:
            placement += f" ({sum(s.connect_retries.values())} replaced: {_errors(s.connect_retries)})"
        health = f"health SERVING after {s.health_serving_s:.1f} s, " if s.health_serving_s is not None else ""
        warm = f"lists and index in Redis (index {s.index_warm} by the publisher), " if s.index_warm else ""
        print(f"load server      {s.group:<12} {warm}{health}every worker answering {s.startup_s:.1f} s after start "
              f"({Path(s.lists_dir).name}, {s.entries:,} SDN entries); connections per worker {placement}{idle_cpu}; stop {stop}")  # fmt: skip
        if s.log_events:
            events = ", ".join(f"{k} x{v}" for k, v in list(s.log_events.items())[:6])
            print(f"                              server log: {events}")
    print(f"  (scr p99: the screening itself as the server timed it (response.server_latency), the rest of a call's "
          "latency is gRPC, queueing and the client; srv CPU: the server worker processes' CPU per call; cli CPU: the client processes'; lag: how late the client "
          f"sent calls; others: CPUs kept busy by anything else on this {os.cpu_count()}-CPU machine (the publisher, other "
          "people's work), averaged over the run; latencies include failed calls at the time they failed)")  # fmt: skip
    if report.sweep:
        print(f"load sweep       {o.sweep_seconds:g} s per rate, one server:")
        print(_HEADER)
        for f in report.sweep:
            print(_row(f))
        for f in report.sweep:
            for line in _error_lines(f):
                print(line)
        if report.sweep_crossing is not None and report.sweep_crossing == report.sweep[0].rate:
            print(f"  p99 is over {P99_LIMIT_S * 1000:g} ms already at {report.sweep_crossing:g} calls/s, the lowest rate "
                  f"({_ms(report.sweep[0].p99_s)})")  # fmt: skip
        elif report.sweep_crossing is None:
            print(f"  p99 stays within {P99_LIMIT_S * 1000:g} ms up to {max(f.rate for f in report.sweep):g} calls/s")
        else:
            below = [f for f in report.sweep if f.rate < report.sweep_crossing]
            last_ok = f"{below[-1].rate:g}/s: {_ms(below[-1].p99_s)}, " if below else ""
            crossing = next(f for f in report.sweep if f.rate == report.sweep_crossing)
            print(f"  p99 crosses {P99_LIMIT_S * 1000:g} ms at {report.sweep_crossing:g} calls/s ({last_ok}"
                  f"{crossing.rate:g}/s: {_ms(crossing.p99_s)})")  # fmt: skip
    base = report.baselines.get("faults")
    if report.swap is not None:
        sw = report.swap
        print(f"load swap        {o.rate:g} calls/s for {o.swap_seconds:g} s, a new SDN version published every "
              f"{o.swap_every:g} s by another process (refresh_lists); same server, no-swap baseline first:")  # fmt: skip
        print(_HEADER)
        print(_row(sw.run))
        if "swap" in report.baselines:
            print(_row(report.baselines["swap"], "baseline (no swap)"))
        for line in _error_lines(sw.run) + (
            _error_lines(report.baselines["swap"]) if "swap" in report.baselines else []
        ):
            print(line)
        print(f"  {'#':>3} {'at':>6} {'set':<11} {'outcome':<10} {'publish':>8} {'1st new':>8} {'all new':>8}  "
              f"{'±1 s window: sent':>17} {'failed':>6} {'max':>8}")  # fmt: skip
        print(f"  {sw.versions_seen} distinct SDN versions answered with; per publish:")
        for e in sw.events:
            note = f"  {e.message[:80]}" if e.outcome != "published" else ""
            print(f"  {e.index:>3} {e.publish_start_s:>5.1f}s {e.source:<11} {e.outcome:<10} {_ms(e.publish_s):>8} "
                  f"{_ms(e.first_served_s):>8} {_ms(e.all_served_s):>8}  {e.window_sent:>17,} {e.window_failed:>6,} "
                  f"{_ms(e.window_max_s):>8}{note}")  # fmt: skip
        print(
            "  (1st new / all new: after refresh_lists returned, when the first call answered with the new version was sent / "
            "after which no call sent was answered with an older one; n/a: never (the next publish came first, or the run ended); "
            "window: due from 1 s before the publish to 1 s after all new, or to the next publish)"
        )
    for scenario in ("redis-stop", "redis-kill"):
        ff = report.faults.get(scenario)
        if ff is None:
            continue
        what = ("SIGSTOP" if scenario == "redis-stop" else "SIGKILL") + f" at {ff.fault_start_s:.1f} s, "
        what += (
            "SIGCONT" if scenario == "redis-stop" else "restarted (same port, RDB snapshot of the lists)"
        ) + f" at {ff.fault_end_s:.1f} s"
        print(f"load {scenario:<11} {o.rate:g} calls/s for {o.seconds:g} s; redis-server {what}:")
        print(_HEADER)
        print(_row(ff.run))
        if base is not None:
            print(_row(base, "baseline (no fault)"))
        for line in _error_lines(ff.run) + (_error_lines(base) if base is not None else []):
            print(line)
        for p in ff.phases:
            errors = f"failed {sum(p.errors.values()):,} of {p.sent:,}"
            split = (f" (listed {p.listed_errors:,} of {p.listed_sent:,}, unlisted {p.unlisted_errors:,} of {p.sent - p.listed_sent:,}; "
                     f"names answered without matches {p.no_match_errors:,} of {p.no_match_sent:,})")  # fmt: skip
            print(f"    {p.label:<7} {errors}{split if p.errors else ''}; p99 {_ms(p.p99_s)}, max {_ms(p.max_s)}"
                  + (f"; {_errors(p.errors)}" if p.errors else ""))  # fmt: skip
        if ff.last_error_after_end_s is not None:
            print(f"    last failed call due {ff.last_error_after_end_s:.1f} s after the fault ended")
        if ff.redis_restart_s is not None:
            print(
                f"    redis-server answered {_ms(ff.redis_restart_s)} after the restart, with {ff.redis_keys_after_restart} keys"
            )
        if ff.audit is not None:
            a = ff.audit
            print(f"    audit: {a.found:,} / {a.total:,} successful screenings have a record ({a.in_stream:,} in the stream, "
                  f"{a.in_files:,} in the exported files; stream {a.stream_entries:,} entries, files {a.file_records:,} records)"
                  + (f"; MISSING {a.total - a.found:,}" if a.found < a.total else ""))  # fmt: skip
    if report.idle is not None:
        idle = report.idle
        refused = f", refused: {_errors(idle.refused)}" if idle.refused else ""
        ended = f", ended during the run: {_errors(idle.ended)}" if idle.ended else ""
        print(f"load idle-streams {idle.requested} WatchAlerts streams (one connection each): {idle.opened} opened{refused}, "
              f"{idle.open_after} still open after the run{ended}; then {o.rate:g} calls/s for {o.seconds:g} s:")  # fmt: skip
        print(_HEADER)
        print(_row(idle.run))
        if base is not None:
            print(_row(base, "baseline (no streams)"))
        for line in _error_lines(idle.run) + (_error_lines(base) if base is not None else []):
            print(line)
    for problem in report.problems:
        print(f"load PROBLEM     {problem}")
    print(f"load wall time   {report.wall_s:.0f} s")


# ----------------------------------------------------------------- standalone


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.benchmarks.load", description=__doc__.split("\n\n")[0])
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    try:
        options = LoadOptions.from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    import uuid

    from service.logs import configure_logging

    configure_logging("console", "warning")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:load:"
    try:
        report = bench_load(Settings.from_env(), prefix, options)
    except LoadSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_load(report)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
