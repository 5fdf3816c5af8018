"""Prometheus metrics: what an SRE alerts on without writing a gRPC poller.

Every family is defined here, once, so names and labels can be read in one place. Labels
are bounded sets (a door, an RPC name, a status code, a decision, a direction, a list id of
the catalogue, a refusal reason): never a party name, a reference or a principal.

With `--workers N` the processes report as one server: `screening serve` points
PROMETHEUS_MULTIPROC_DIR at a folder of its own before it starts the workers, each worker
writes its samples there, and the parent process serves their sum (prometheus_client's
multi-process mode; see service/metrics/endpoint.py). Gauges say how they combine:
the lists' gauges are the same in every worker (`livemax`), queue depths add up (`livesum`).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

# Buckets for calls that usually take about a millisecond and must be seen when they do not.
_RPC_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

RPC_SECONDS = Histogram(
    "screening_rpc_duration_seconds",
    "Unary calls, from admission to answer, by door (grpc or http), method and status code",
    ["door", "method", "code"],
    buckets=_RPC_BUCKETS,
)
RPC_STREAMS = Counter(
    "screening_rpc_streams_total",
    "Streaming calls (ScreenBatch, WatchAlerts) ended, by door, method and status code",
    ["door", "method", "code"],
)
DECISIONS = Counter("screening_decisions_total", "Screenings by decision and direction", ["decision", "direction"])
MATCHES = Counter("screening_matches_total", "Matches reported in screenings, by list", ["list"])
LIST_AGE = Gauge(
    "screening_list_age_seconds",
    "Time since the publisher last confirmed the serving version (published or found unchanged)",
    ["list"],
    multiprocess_mode="livemax",
)
LIST_MAX_AGE = Gauge(
    "screening_list_max_age_seconds", "Age beyond which the list counts as stale", ["list"], multiprocess_mode="livemax"
)
LIST_STATE = Gauge(
    "screening_list_state",
    "1 for the list's state (not_loaded, current, stale, update_failed), 0 for the others",
    ["list", "state"],
    multiprocess_mode="livemax",
)
LIST_ENTRIES = Gauge("screening_list_entries", "Entries of the serving version", ["list"], multiprocess_mode="livemax")
LIST_LOADED = Gauge(
    "screening_list_loaded",
    "1 when this server holds the serving version in memory",
    ["list"],
    multiprocess_mode="livemin",
)
REFRESHES = Counter(
    "screening_list_refreshes_total",
    "Scheduled refreshes by list and outcome (published, unchanged, rejected, failed, skipped)",
    ["list", "outcome"],
)
REFRESH_FAILURES = Counter(
    "screening_list_refresh_failures_total",
    "Refreshes that did not give a usable version, by list and reason (fetch, rejected, crashed)",
    ["list", "reason"],
)
REFRESH_SECONDS = Gauge(
    "screening_refresh_duration_seconds",
    "Duration of the last scheduled refresh of every list",
    multiprocess_mode="livemax",
)
AUTH_REFUSALS = Counter("screening_auth_refusals_total", "Calls refused before the handler, by reason", ["reason"])
REDIS_ERRORS = Counter(
    "screening_redis_errors_total", "Calls ended UNAVAILABLE because Redis failed, by method", ["method"]
)
AUDIT_QUEUED = Gauge(
    "screening_audit_queue_records", "Audit records waiting to be sent to Redis", multiprocess_mode="livesum"
)
AUDIT_UNCONFIRMED = Gauge(
    "screening_audit_unconfirmed_records",
    "Audit records sent to Redis and not yet confirmed exported to the day files",
    multiprocess_mode="livesum",
)
AUDIT_SPILLED = Counter(
    "screening_audit_spilled_records_total", "Audit records appended to the day files directly (Redis away or lost)"
)
AUDIT_EXPORT_LAG = Gauge(
    "screening_audit_export_lag_records",
    "Audit records in the Redis buffer the exporters have not yet written to the day files",
    multiprocess_mode="livemax",
)
RESCREEN_JOBS_RUNNING = Gauge(
    "screening_rescreen_jobs_running", "Re-screening jobs not finished", multiprocess_mode="livemax"
)
RESCREEN_SHARDS_PENDING = Gauge(
    "screening_rescreen_shards_pending", "Re-screening shards waiting or being worked on", multiprocess_mode="livemax"
)
ALERTS_RAISED = Counter("screening_alerts_raised_total", "Re-screening alerts raised by this server's workers")

# Refusal reasons an operator alerts on; others (a malformed header, a missing claim...) appear when they occur.
_REFUSALS = (
    "missing_credentials", "unknown_key", "revoked_key", "expired_token", "bad_signature", "wrong_audience",
    "missing_role", "rate_limited",
)  # fmt: skip
_DECISIONS = ("CLEAR", "REVIEW", "HOLD", "BLOCK")
_DIRECTIONS = ("export", "import", "payment", "other")


def initialise(list_ids: Iterable[str], methods: Iterable[str]) -> None:
    """Every bounded label set known at start, at zero: a family shows from the first scrape, and
    `increase()` and absent-series alerts work before the first event (a counter born at 1 hides it)."""
    for decision in _DECISIONS:
        for direction in _DIRECTIONS:
            DECISIONS.labels(decision, direction)
    for reason in _REFUSALS:
        AUTH_REFUSALS.labels(reason)
    for method in methods:
        REDIS_ERRORS.labels(method)
    for door in ("grpc", "http"):
        for method in ("ScreenBatch", "WatchAlerts"):
            RPC_STREAMS.labels(door, method, "OK")
    for list_id in list_ids:
        MATCHES.labels(list_id)
        for outcome in ("published", "unchanged", "rejected", "failed", "skipped"):
            REFRESHES.labels(list_id, outcome)
        for reason in ("fetch", "rejected"):
            REFRESH_FAILURES.labels(list_id, reason)
    REFRESH_FAILURES.labels("all", "crashed")
