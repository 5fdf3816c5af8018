"""The gRPC server process(es): health, reflection, list bootstrap, graceful drain.

Lifecycle of one server process:
1. bind the port and start serving; health is NOT_SERVING;
2. make sure every list has a serving version in Redis (publish from LISTS_DIR,
   or download the ones that are missing), load them, build the index;
3. health SERVING; follow new versions published by any process, refresh on
   each list's cadence;
4. on SIGTERM/SIGINT: health NOT_SERVING (load balancers stop sending), finish
   in-flight calls within the drain period, close Redis.

Security (README, "Security"): the port speaks TLS when a certificate is
configured (mutual TLS with a client CA), and refuses to bind beyond loopback
without it unless told `--insecure`. Every RPC but health goes through the
AuthInterceptor (service/grpc_door/interceptors/auth.py); with authentication
required and no API key in Redis, the first process writes a first admin key
to a file and says where.

`serve_workers` runs N such processes on one port with SO_REUSEPORT, because
matching is CPU-bound and one Python process uses one core.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.servicer import ScreeningServicer, WorkerIdentity
from service.audit.replay import Replays
from service.audit.trail import AuditExporter, AuditTrail
from service.audit.writer import AuditWriter
from service.auth.authenticator import Authenticator
from service.auth.keys import ApiKeyStore, ApiKeyTable
from service.auth.limits import RateLimiter, StreamCaps
from service.auth.roles import RoleTable, load_roles
from service.auth.tokens import TokenVerifier
from service.catalog import Catalog, load_catalog
from service.decide.policy import Policy, load_policy
from service.dispositions.cache import DispositionCache
from service.dispositions.reviews import ReviewLog
from service.dispositions.store import DispositionStore
from service.engine.loader import ListLoader
from service.grpc_door.interceptors.auth import HEALTH_PREFIX, REFLECTION_PREFIXES, AuthInterceptor
from service.http.app import create_app
from service.http.serve import HttpServer, start_http
from service.logs import configure_logging
from service.match.fuzzy import warm_reference_data
from service.metrics import REFRESH_FAILURES, REFRESH_SECONDS, REFRESHES
from service.metrics import initialise as initialise_metrics
from service.metrics.endpoint import MetricsServer, cleanup_workers, prepare_workers, start_metrics, worker_ended
from service.metrics.sampler import run_sampler
from service.refresh.child import refresh_in_child
from service.refresh.publisher import Outcome
from service.refresh.runner import refresh_lists
from service.registry.store import PartyRegistry
from service.rescreen.alert_feed import AlertFeed
from service.rescreen.jobs import Coordinator, Jobs, RescreenWorker
from service.settings import Settings, read_configured_file
from service.store.connection import RedisConnection, connect, start_embedded
from service.store.snapshots import SnapshotStore
from service.tracing import setup_tracing, shutdown_tracing

log = structlog.get_logger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ScreeningService"].full_name
SERVICE_METHODS = tuple(method.name for method in pb.DESCRIPTOR.services_by_name["ScreeningService"].methods)
BOOTSTRAP_RETRY_S = 30.0
# Connections are recycled after this long (spreads clients over replicas after a scale-up; bounds what one
# connection can hold); calls in flight get the grace period, streams then end and clients reconnect.
MAX_CONNECTION_AGE_MS = 30 * 60 * 1000
MAX_CONNECTION_AGE_GRACE_MS = 5 * 60 * 1000
MAX_CONNECTION_IDLE_MS = 15 * 60 * 1000
# Concurrent calls on one connection (HTTP/2 streams): enough for batch clients' pipelining, not a flood.
MAX_CONCURRENT_STREAMS = 256


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    loader: ListLoader
    connection: RedisConnection
    store: SnapshotStore
    ready: asyncio.Event
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when shutdown begins: health says NOT_SERVING while calls are still taken (the pause).
    draining: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    audit_writer: AuditWriter | None = None
    auth: AuthInterceptor | None = None
    # The HTTP/JSON door (service/http), when settings.http_port is set.
    http: HttpServer | None = None
    reviews: ReviewLog | None = None
    # The metrics endpoint when this process serves it (one worker; several: the parent does).
    metrics: MetricsServer | None = None

    async def _set_health(self, status: int) -> None:
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

    async def stop(self, grace_s: float, pause_s: float = 0.0) -> None:
        """Say NOT_SERVING, keep taking calls for `pause_s` (load balancers stop routing here meanwhile),
        then stop taking new calls, let in-flight ones finish within `grace_s`, release Redis."""
        if self.stopping.is_set():
            return
        if not self.draining.is_set():
            self.draining.set()
            await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
            if pause_s > 0:
                log.info("shutdown_pause", seconds=pause_s)
                await asyncio.sleep(pause_s)
        self.stopping.set()
        # Both doors drain at once: each call in flight, on either, gets the whole grace period.
        if self.http is not None:
            await asyncio.gather(self.server.stop(grace_s), self.http.stop(grace_s))
        else:
            await self.server.stop(grace_s)
        if self.audit_writer is not None:
            # In-flight calls have finished: every record they queued goes out before Redis closes.
            await self.audit_writer.flush()
        if self.reviews is not None:
            await self.reviews.flush()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.loader.close()
        await self.connection.close()
        if self.metrics is not None:
            await asyncio.to_thread(self.metrics.stop)


def _server_options(settings: Settings) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Only worker pools share a port on purpose; a lone server must fail
        # loudly if the port is taken.
        ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
        ("grpc.keepalive_permit_without_calls", 1),
        # Keepalive enforcement: a client pinging more often than every 10 s is sent GOAWAY after 2 strikes.
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.max_connection_age_ms", MAX_CONNECTION_AGE_MS),
        ("grpc.max_connection_age_grace_ms", MAX_CONNECTION_AGE_GRACE_MS),
        ("grpc.max_connection_idle_ms", MAX_CONNECTION_IDLE_MS),
        ("grpc.max_concurrent_streams", MAX_CONCURRENT_STREAMS),
        # Metadata (headers) a client may send: room for a large identity-provider token, no more.
        ("grpc.max_metadata_size", 32 * 1024),
    ]


async def _bootstrap(running: RunningServer, catalog: Catalog, settings: Settings) -> None:
    """Publish what is missing, load, go SERVING; then follow and refresh for ever."""
    while not running.stopping.is_set():
        try:
            results = await refresh_lists(
                running.store, catalog, source_dir=settings.lists_dir, only_if_missing=settings.lists_dir is None
            )
            for result in results:
                log.info(
                    "list_prepared",
                    list_id=result.list_id,
                    outcome=result.outcome.value,
                    version=result.version,
                    detail=result.message,
                )
            await running.loader.reload()
        except Exception:
            log.exception("list_bootstrap_failed")
        if running.loader.state is not None:
            break
        log.warning("no_list_loaded_yet", retry_in_s=BOOTSTRAP_RETRY_S)
        try:
            await asyncio.wait_for(running.stopping.wait(), BOOTSTRAP_RETRY_S)
        except TimeoutError:
            continue
    if running.stopping.is_set():
        return
    await running._set_health(health_pb2.HealthCheckResponse.SERVING)
    running.ready.set()
    log.info("serving", port=running.port, lists=running.loader.state.versions if running.loader.state else {})
    running.tasks.append(asyncio.create_task(running.loader.follow(settings.reload_seconds, running.stopping)))
    running.tasks.append(asyncio.create_task(_refresh_periodically(running, catalog, settings)))


async def _refresh_periodically(running: RunningServer, catalog: Catalog, settings: Settings) -> None:
    interval = min(spec.refresh_every_delta for spec in catalog.lists.values()) or timedelta(hours=1)
    while not running.stopping.is_set():
        try:
            await asyncio.wait_for(running.stopping.wait(), interval.total_seconds())
            return
        except TimeoutError:
            pass
        started = time.perf_counter()
        try:
            # In a process of its own: parsing a list would hold this one's event loop (service.refresh.child).
            outcomes = await refresh_in_child(
                running.connection.url, settings.key_prefix, catalog, settings.lists_dir,
                settings.log_format, settings.log_level,
            )  # fmt: skip
            count_refreshes(outcomes)
            if Outcome.PUBLISHED.value in outcomes.values():
                await running.loader.reload()
        except Exception:
            REFRESH_FAILURES.labels("all", "crashed").inc()
            log.exception("scheduled_refresh_failed")
        REFRESH_SECONDS.set(time.perf_counter() - started)


def count_refreshes(outcomes: Mapping[str, str]) -> None:
    """A scheduled refresh's outcome per list, and the failures by reason (fetch, rejected)."""
    reasons = {Outcome.FAILED.value: "fetch", Outcome.REJECTED.value: "rejected"}
    for list_id, outcome in outcomes.items():
        REFRESHES.labels(list_id, outcome).inc()
        if outcome in reasons:
            REFRESH_FAILURES.labels(list_id, reasons[outcome]).inc()


async def _export_audit(exporter: AuditExporter, stopping: asyncio.Event) -> None:
    try:
        await exporter.run(stopping)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("audit_export_failed")


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS credentials from the configured PEM files (mutual TLS with a client CA); None without TLS."""
    tls = settings.tls
    if tls.cert is None or tls.key is None:
        return None

    read = read_configured_file
    client_ca = read(tls.client_ca, "SCREENING_TLS_CLIENT_CA") if tls.client_ca else None
    return grpc.ssl_server_credentials(
        [(read(tls.key, "SCREENING_TLS_KEY"), read(tls.cert, "SCREENING_TLS_CERT"))],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )


@dataclass
class AuthComponents:
    interceptor: AuthInterceptor
    keys: ApiKeyTable
    tokens: TokenVerifier | None
    streams: StreamCaps


async def build_auth(settings: Settings, client: Any, roles: RoleTable | None = None) -> AuthComponents:
    """The interceptor and what feeds it, loaded: keys from Redis, the identity provider's keys."""
    prefix = settings.key_prefix
    keys = ApiKeyTable(client, prefix)
    await keys.load()
    tokens = None
    if settings.auth.oidc is not None:
        tokens = TokenVerifier(settings.auth.oidc)
        await tokens.load()
    streams = StreamCaps(client, prefix, settings.auth.max_streams)
    limiter = RateLimiter(client, prefix, settings.auth.rate_limits)
    await streams.prepare()
    await limiter.prepare()
    reflection = settings.auth.reflection
    interceptor = AuthInterceptor(
        Authenticator(keys, tokens, settings.auth.mtls_roles),
        roles or load_roles(SERVICE_NAME, SERVICE_METHODS),
        limiter,
        streams,
        required=settings.auth_required,
        public_prefixes=(HEALTH_PREFIX, *(REFLECTION_PREFIXES if reflection == "public" else ())),
        any_principal_prefixes=REFLECTION_PREFIXES if reflection == "authenticated" else (),
    )
    return AuthComponents(interceptor, keys, tokens, streams)


async def _bootstrap_admin_key(settings: Settings, client: Any) -> None:
    """With authentication required and no key at all, write a first admin key to a file and say where."""
    if not settings.auth_required:
        return
    written = await ApiKeyStore(client, settings.key_prefix).bootstrap_admin(
        settings.bootstrap_key_path, "serve:bootstrap"
    )
    if written is not None:
        log.warning(
            "first_admin_key_created", path=str(written),
            hint="use it to create the keys your clients need (`screening keys create`), then delete the file",
        )  # fmt: skip


async def start_server(
    settings: Settings,
    catalog: Catalog | None = None,
    policy: Policy | None = None,
) -> RunningServer:
    """Bind and start serving (NOT_SERVING until lists load). Returns at once.

    Raises SettingsError when the transport settings are unsafe (a public bind without TLS).
    """
    for warning in settings.check_transport():
        log.warning("insecure_transport", detail=warning)
    setup_tracing()  # before the server: its instrumentation wraps servers created afterwards
    credentials = server_credentials(settings)
    catalog = catalog or load_catalog()
    policy = policy or load_policy()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        await _bootstrap_admin_key(settings, connection.client)
        auth = await build_auth(settings, connection.client)
    except BaseException:
        await connection.close()
        raise
    store = SnapshotStore(connection.client, settings.key_prefix)
    loader = ListLoader(store, catalog, policy)
    # The matcher's reference tables (cities, pinyin syllables) load once, here, off the event loop.
    await asyncio.to_thread(warm_reference_data)

    server = grpc.aio.server(options=_server_options(settings), interceptors=[auth.interceptor])
    dispositions = DispositionStore(connection.client, settings.key_prefix)
    # Screenings read dispositions from memory, kept current from the change log (never waiting on Redis).
    disposition_cache = DispositionCache(dispositions, follower=connection.dedicated())
    try:
        await disposition_cache.load()
    except BaseException:
        await connection.close()
        raise
    trail = AuditTrail(connection.client, settings.key_prefix, settings.audit_max_buffered)
    audit_writer = AuditWriter(trail, settings.audit_directory)
    registry = PartyRegistry(connection.client, settings.key_prefix)
    jobs = Jobs(connection.client, settings.key_prefix)
    worker = WorkerIdentity(f"{socket.gethostname()}:{os.getpid()}", settings.workers)
    alert_feed = AlertFeed(jobs, follower=connection.dedicated())
    reviews = ReviewLog(connection.client, settings.key_prefix)
    servicer = ScreeningServicer(
        loader, catalog, store, dispositions, audit_writer, settings.audit_party_data, registry, jobs, worker,
        disposition_cache=disposition_cache, alert_feed=alert_feed, max_message_bytes=settings.max_message_bytes,
        replays=Replays(trail, store, catalog, policy, settings.audit_directory, lambda: loader.state),
        reviews=reviews,
    )  # fmt: skip
    pb_grpc.add_ScreeningServiceServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if settings.auth.reflection != "off":
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
        )
    address = f"{settings.host}:{settings.port}"
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if port == 0:
        await connection.close()
        raise OSError(f"cannot bind {address}")
    await server.start()
    http = None
    ready, stopping, draining = asyncio.Event(), asyncio.Event(), asyncio.Event()
    if settings.http_port is not None:
        try:
            app = create_app(
                servicer, auth.interceptor, secure_cookies=credentials is not None,
                serving=lambda: ready.is_set() and not (draining.is_set() or stopping.is_set()), console_sign_in=settings.auth.console_sign_in,
            )  # fmt: skip
            http = await start_http(app, settings, settings.http_port)
        except BaseException as exc:
            if not (isinstance(exc, OSError) and settings.http_port_by_default):
                await server.stop(None)
                await connection.close()
                raise
            # The default port, taken (another server on this host): gRPC goes on; said once, loudly.
            log.warning(
                "http_port_taken", port=settings.http_port, error=str(exc),
                hint="serving gRPC only: set SCREENING_HTTP_PORT or --http-port (0 = any free port, off = none)",
            )  # fmt: skip
    running = RunningServer(
        server, port, health_servicer, loader, connection, store, ready, stopping=stopping, draining=draining,
        audit_writer=audit_writer,
        auth=auth.interceptor, http=http, reviews=reviews,
    )  # fmt: skip
    running.tasks.append(asyncio.create_task(audit_writer.run(running.stopping)))
    running.tasks.append(asyncio.create_task(auth.keys.follow(running.stopping)))
    running.tasks.append(asyncio.create_task(disposition_cache.follow(running.stopping)))
    running.tasks.append(asyncio.create_task(alert_feed.run(running.stopping)))
    running.tasks.append(asyncio.create_task(reviews.run(running.stopping)))
    initialise_metrics(catalog.lists, SERVICE_METHODS)
    running.tasks.append(asyncio.create_task(
        run_sampler(running.stopping, catalog, store, loader, audit_writer, trail, jobs, ready)
    ))  # fmt: skip
    try:
        running.metrics = start_metrics(settings)
    except OSError:
        await running.stop(0)
        raise
    running.tasks.append(asyncio.create_task(auth.streams.run(running.stopping)))
    if auth.tokens is not None:
        running.tasks.append(asyncio.create_task(auth.tokens.run(running.stopping)))
    await running._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
    log.info(
        "listening", host=settings.host, port=port, redis=connection.describe(), policy=policy.version,
        tls="mutual" if settings.tls.client_ca else ("on" if credentials else "off"),
        auth="required" if settings.auth_required else "off (loopback)",
    )  # fmt: skip
    running.tasks.append(asyncio.create_task(_bootstrap(running, catalog, settings)))
    # Every server turns list updates into delta re-screening jobs (one job per version,
    # whoever sees the event first) and works on shards of any job.
    running.tasks.append(asyncio.create_task(Coordinator(connection.client, settings.key_prefix).run(running.stopping)))
    for _ in range(settings.rescreen_workers):
        # load_state: a full or first screening on a version older than the one serving reloads first.
        rescreen = RescreenWorker(
            connection.client, settings.key_prefix, lambda: loader.state, load_state=loader.reload
        )
        running.tasks.append(asyncio.create_task(rescreen.run(running.stopping)))
    # Every server exports audit records to files; the consumer group shares the work
    # between replicas and workers, and a record is acknowledged only once on disk.
    exporter = AuditExporter(connection.client, settings.audit_directory, settings.key_prefix)
    running.tasks.append(asyncio.create_task(_export_audit(exporter, running.stopping)))
    return running


async def run_server(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then drain."""
    running = await start_server(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("draining", grace_s=settings.drain_seconds, pause_s=settings.shutdown_pause_s)
    await running.stop(settings.drain_seconds, settings.shutdown_pause_s)
    await asyncio.to_thread(shutdown_tracing)  # the spans still buffered
    log.info("stopped")


def _worker_main(settings: Settings, worker: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    structlog.contextvars.bind_contextvars(worker=worker, pid=os.getpid())
    asyncio.run(run_server(settings))


def serve_workers(settings: Settings) -> int:
    """Run `settings.workers` server processes on one port; returns an exit code."""
    settings.check_transport()  # refuse an unsafe bind once, before any worker starts
    if settings.workers == 1:
        asyncio.run(run_server(settings))
        return 0
    if settings.port == 0:
        raise ValueError("several workers need a fixed port (SCREENING_PORT or --port), not 0")
    if settings.http_port == 0:
        raise ValueError("several workers need a fixed HTTP port (SCREENING_HTTP_PORT or --http-port), not 0, or off")
    embedded = None
    if not settings.redis_url:
        # One embedded Redis for all workers; they reach it by its socket.
        embedded = start_embedded(settings.data_dir)
        settings = dataclasses.replace(settings, redis_url=embedded.url)
    # Metrics: the workers write their samples to a folder of their own; this process serves the sum.
    samples = prepare_workers() if settings.metrics_port is not None else None
    metrics = start_metrics(settings, samples) if samples is not None else None
    worker_settings = dataclasses.replace(settings, metrics_port=None)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker_main, args=(worker_settings, n), name=f"screening-worker-{n}")
        for n in range(settings.workers)
    ]
    for process in workers:
        process.start()
    log.info("workers_started", count=len(workers), pids=[p.pid for p in workers], port=settings.port)

    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in workers:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    exit_code = 0
    try:
        while any(p.is_alive() for p in workers):
            for process in workers:
                process.join(timeout=0.5)
                if not process.is_alive() and process.exitcode not in (0, None) and not stopping:
                    log.error("worker_died", worker=process.name, exitcode=process.exitcode)
                    exit_code = 1
                    forward(signal.SIGTERM, None)
    finally:
        for process in workers:
            process.join(timeout=settings.drain_seconds + 5)
            if process.is_alive():
                process.kill()
            if process.pid is not None:
                worker_ended(process.pid)
        if metrics is not None:
            metrics.stop()
        if samples is not None:
            cleanup_workers(samples)
        if embedded is not None:
            embedded.shutdown()
    return exit_code
