"""Re-screening jobs: shards on a Redis Stream, shared by any number of workers, crash-safe and idempotent.

Kinds of job: `delta` (a list update: every party against the added and changed
entries), `full` (every party against every list, on demand) and `registered`
(the parties registered or changed since the last such job, against every list:
their first state). A job is one shard per registry bucket (a `registered` job:
per bucket with waiting parties), appended to the stream `rescreen:shards`. One
`registered` job runs at a time; parties registered meanwhile wait for the
next, which the coordinator starts (atomically, whichever server sees them
first) once the running one is done.

Workers in the consumer group `rescreen-workers` take shards; a shard a dead
worker held is claimed by another after `claim_idle_ms` (XAUTOCLAIM); a shard
that keeps failing is given up after MAX_SHARD_ATTEMPTS and its job ends
"failed". Processing a shard twice changes nothing: each party's new state and
its alert are written together in one Lua script, only over the state they were
decided from (compare-and-set: two jobs on the same party neither lose each
other's changes nor both announce one), the alert at most once per job (HSETNX
on the job's alerted set), and a shard counts as done once (SADD).

Alerts go to the stream `alerts` (bounded), read by WatchAlerts. They get there
in two steps, because a bucket's keys and the jobs' keys live on different Redis
Cluster slots (service.store.keyspace) and a script touches one slot: the settle
script writes the state and puts the alert in the bucket's outbox (one slot),
then `forward_alerts` moves the outbox to the stream, once per job and party
(the other slot). A crash in between leaves the alert in the outbox; the shard
runs again and forwards it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from service.decide.policy import Policy
from service.dispositions.store import Disposition, DispositionStore, subject_for
from service.engine.by_identifier import identifier_matches
from service.engine.state import ScreeningState
from service.match.result import MatchResult
from service.metrics import ALERTS_RAISED
from service.model import TransactionContext
from service.registry.store import BUCKETS, PartyRegistry, PartyState, RegisteredParty, StoredState
from service.rescreen.engine import (
    MATCH_LIMIT,
    AlertDraft,
    BucketResult,
    Delta,
    matches_and_context,
    query_of,
    rescreen_party,
)
from service.store import replies
from service.store.keyspace import JOBS, KeySpace
from service.store.snapshots import DEFAULT_PREFIX, SnapshotStore
from service.store.streams import newest_pages

log = structlog.get_logger(__name__)

GROUP = "rescreen-workers"
COORDINATOR_GROUP = "rescreen-coordinator"
ALERTS_MAXLEN = 1_000_000
# A shard that fails this often (each retry after claim_idle_ms) is given up: the job ends
# "failed", naming the error, rather than retrying for ever. Ten tries at 30 s outlast a
# server's first list download and a reload.
MAX_SHARD_ATTEMPTS = 10
# A finished job (its record, done/failed shards, alerted parties) is kept this long, then
# expires: jobs come with every list update and every import. Its alerts stay in the stream.
JOB_RETENTION_S = 30 * 86_400
_JOB_PARTS = ("", ":done", ":failed", ":alerted", ":attempts")


class UnknownJob(LookupError):
    """A shard whose job no longer exists (deleted): nothing to do, acknowledged."""


# KEYS: the bucket's states, its alert outbox (one slot). ARGV: the job id, then per party:
# reference, the state read ('' for none), the new state, its alert JSON ('' for none).
# Compare-and-set per party: a state another job changed since it was read is left alone and
# the reference returned, for the caller to decide again from the new state. A party's state
# and its alert are written together: the alert into the outbox, under "job id US reference"
# (the first one kept). Returns the conflicts.
_SETTLE = """
local conflicts = {}
for i = 2, #ARGV, 4 do
  local reference = ARGV[i]
  if (redis.call('HGET', KEYS[1], reference) or '') ~= ARGV[i + 1] then
    conflicts[#conflicts + 1] = reference
  else
    redis.call('HSET', KEYS[1], reference, ARGV[i + 2])
    if ARGV[i + 3] ~= '' then
      redis.call('HSETNX', KEYS[2], ARGV[1] .. '\\31' .. reference, ARGV[i + 3])
    end
  end
end
return conflicts
"""

# KEYS: the alert stream, the job's alerted hash (one slot). ARGV: stream max length, then per
# party: reference, alert JSON. Each alert goes on the stream at most once per job and party.
# Returns how many this call raised.
_FORWARD = """
local raised = 0
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], '1') == 1 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'alert', ARGV[i + 1])
    raised = raised + 1
  end
end
return raised
"""
# Separates the job id from the reference in an outbox field (a job id never holds it).
_OUTBOX_SEP = "\x1f"
SETTLE_ROUNDS = 5
SETTLE_CHUNK = 500  # parties per script call: keeps each call short, Redis serves others in between
# How often a coordinator looks in every bucket for parties a broken-off registration left
# unscreened without putting their bucket in the waiting set (PartyRegistry.sweep_unscreened).
SWEEP_INTERVAL_S = 60.0


# Writes a job's record, its shards and its place in the job index, inside one script (so
# atomically): a crash never leaves a job without shards. Prepended to the scripts below.
_ENQUEUE_JOB = """
local function enqueue(job_key, shards, index, job_id, created_at, score, kind, list_id, version, buckets)
  redis.call('HSET', job_key, 'created_at', created_at, 'kind', kind, 'list_id', list_id, 'version', version,
             'shards_total', #buckets, 'state', 'running')
  for _, bucket in ipairs(buckets) do
    redis.call('XADD', shards, '*', 'job_id', job_id, 'bucket', bucket)
  end
  redis.call('ZADD', index, score, job_id)
end
"""

# KEYS: the job's key, the shard stream, the job index. ARGV: job id, created_at, score (time),
# kind, list id, version. One shard per registry bucket; 0 if the job exists (the same id twice
# is one job: a list version published again, a second coordinator).
_CREATE = (
    _ENQUEUE_JOB
    + f"""
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local buckets = {{}}
for bucket = 0, {BUCKETS - 1} do buckets[#buckets + 1] = bucket end
enqueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], buckets)
return 1
"""
)

# KEYS: the set of buckets with unscreened parties, the running `registered` job's id, the
# shard stream, the job index, the new job's key, then the key of the job last read as running
# (if any). ARGV: job id, created_at, score (time), the id last read ('' for none).
# Starts a `registered` job for those buckets unless one is still running: all or nothing,
# so a coordinator dying half-way neither loses parties nor leaves a job without shards.
# Returns -1 while one runs (or the running one changed since read), 0 with nothing waiting,
# else the number of shards.
_START_REGISTERED = (
    _ENQUEUE_JOB
    + """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[4] then return -1 end
if KEYS[6] and redis.call('HGET', KEYS[6], 'state') == 'running' then return -1 end
local buckets = redis.call('SMEMBERS', KEYS[1])
if #buckets == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1])
enqueue(KEYS[5], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], 'registered', '', '', buckets)
return #buckets
"""
)


def stream_id(value: str) -> tuple[int, int]:
    """'1732752000000-3' -> (1732752000000, 3), for ordering stream ids."""
    milliseconds, _, sequence = value.partition("-")
    return int(milliseconds), int(sequence or 0)


@dataclass(frozen=True)
class Settling:
    """A party's new state (and alert, if it changed), and the stored state it was decided from."""

    reference: str
    expected: bytes  # b"": the party had no state
    state: PartyState
    alert: AlertDraft | None


class AlertRecord(msgspec.Struct, frozen=True):
    job_id: str
    reference: str
    decision: str
    previous_decision: str
    entries: tuple[tuple[str, str, str, float, str, str], ...]
    text: str
    raised_at: datetime
    # What the decision was made on, to defend or reproduce it: list_id -> version, and the policy.
    list_versions: dict[str, str] = {}
    policy_version: str = ""


@dataclass
class JobInfo:
    job_id: str
    kind: str
    state: str
    list_id: str
    version: str
    shards_total: int
    shards_done: int
    parties_screened: int
    alerts: int
    created_at: datetime | None
    finished_at: datetime | None
    shards_failed: int = 0
    error: str = ""  # the last error a shard raised, if any


class Jobs:
    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._keys = KeySpace(client, prefix)
        self._settle = client.register_script(_SETTLE)
        self._forward = client.register_script(_FORWARD)
        self._create = client.register_script(_CREATE)
        self._start_registered = client.register_script(_START_REGISTERED)
        self._registry = PartyRegistry(client, prefix)
        self._unscreened_buckets_key = self._registry.unscreened_buckets_key

    @property
    def shards_key(self) -> str:
        return self._keys.key("rescreen:shards", JOBS)

    @property
    def alerts_key(self) -> str:
        return self._keys.key("alerts", JOBS)

    def job_key(self, job_id: str) -> str:
        return self._keys.key(f"job:{job_id}", JOBS)

    @property
    def index_key(self) -> str:
        """Job ids by creation time (`screening jobs`)."""
        return self._keys.key("jobs", JOBS)

    @property
    def registered_job_key(self) -> str:
        return self._keys.key("registered-job", JOBS)

    async def start_registered(self, sweep: bool = False) -> str | None:
        """Start a `registered` job for the parties awaiting their first screening; its id, or None.

        None when no party is waiting, or while the previous such job is still running.
        `sweep`: when none is waiting, look in every bucket first (see PartyRegistry.sweep_unscreened).
        """
        await self.ensure_group(self.shards_key, GROUP)
        job_id = f"registered:{uuid.uuid4().hex[:12]}"
        started = await self._start_registered_job(job_id)
        if started == 0 and sweep and await self._registry.sweep_unscreened():
            started = await self._start_registered_job(job_id)
        if started <= 0:
            return None
        log.info("rescreen_job_created", job_id=job_id, kind="registered", shards=started)
        return job_id

    async def _start_registered_job(self, job_id: str) -> int:
        running = (replies.raw(await self._redis.get(self.registered_job_key)) or b"").decode()
        keys = [self._unscreened_buckets_key, self.registered_job_key, self.shards_key, self.index_key]
        keys += [self.job_key(job_id)] + ([self.job_key(running)] if running else [])
        args: list[str | float] = [job_id, datetime.now(UTC).isoformat(), time.time(), running]
        return int(await self._start_registered(keys=keys, args=args))

    async def create(
        self, kind: str, list_id: str = "", version: str = "", job_id: str | None = None
    ) -> tuple[str, bool]:
        """Create a job and enqueue its shards; (job id, whether it is new). The same id twice is one job."""
        job_id = job_id or f"{kind}:{uuid.uuid4().hex[:12]}"
        await self.ensure_group(self.shards_key, GROUP)
        created = await self._create(
            keys=[self.job_key(job_id), self.shards_key, self.index_key],
            args=[job_id, datetime.now(UTC).isoformat(), time.time(), kind, list_id, version],
        )
        if not created:
            return job_id, False
        log.info("rescreen_job_created", job_id=job_id, kind=kind, list_id=list_id, version=version, shards=BUCKETS)
        return job_id, True

    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        try:
            await self._redis.xgroup_create(stream, group, id=start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read_alerts(
        self, after: str, block_ms: int | None = 1000, count: int = 100, client: aioredis.Redis | None = None
    ) -> list[tuple[str, bytes]]:
        """(alert id, alert JSON) after `after` ("$": only new ones), waiting up to `block_ms` for some.

        `client`: a client of its own for a blocking follower (see service.rescreen.alert_feed).
        """
        read = await (client or self._redis).xread({self.alerts_key: after}, count=count, block=block_ms)
        return [
            (entry_id.decode(), fields[b"alert"])
            for _, entries in replies.streams_read(read)
            for entry_id, fields in entries
        ]

    async def newest_alerts(self, count: int) -> AsyncIterator[list[tuple[str, bytes]]]:
        """(alert id, alert JSON) of the newest `count` alerts kept, newest first, a page at a time."""
        async for page in newest_pages(self._redis, self.alerts_key, count):
            yield [(entry_id.decode(), fields[b"alert"]) for entry_id, fields in page]

    async def newest_alert_id(self) -> str:
        """The id of the newest alert kept ("0-0" when there is none)."""
        newest = replies.entries(await self._redis.xrevrange(self.alerts_key, count=1))
        return newest[0][0].decode() if newest else "0-0"

    async def oldest_kept_if_lost(self, after: str) -> str | None:
        """The oldest alert still kept, if alerts after `after` may have been trimmed away; else None.

        `after` is an alert id a client received. The stream keeps the last ALERTS_MAXLEN alerts;
        an id no longer in it and older than the oldest kept means the alerts between may be gone
        (the stream cannot say which were trimmed), so the client must resynchronise.
        """
        oldest = replies.entries(await self._redis.xrange(self.alerts_key, count=1))
        if not oldest:
            return None
        oldest_id = oldest[0][0].decode()
        if stream_id(after) >= stream_id(oldest_id) or await self._redis.xrange(self.alerts_key, after, after):
            return None
        return oldest_id

    async def get(self, job_id: str) -> JobInfo | None:
        fields = replies.raw_hash(await self._redis.hgetall(self.job_key(job_id)))
        if not fields:
            return None
        data = {k.decode(): v.decode() for k, v in fields.items()}
        done = await self._redis.scard(f"{self.job_key(job_id)}:done")
        failed = await self._redis.scard(f"{self.job_key(job_id)}:failed")
        alerts = await self._redis.hlen(f"{self.job_key(job_id)}:alerted")
        return JobInfo(
            job_id=job_id,
            kind=data.get("kind", ""),
            state=data.get("state", ""),
            list_id=data.get("list_id", ""),
            version=data.get("version", ""),
            shards_total=int(data.get("shards_total", 0)),
            shards_done=int(done),
            parties_screened=int(data.get("parties_screened", 0)),
            alerts=int(alerts),
            created_at=datetime.fromisoformat(data["created_at"]) if "created_at" in data else None,
            finished_at=datetime.fromisoformat(data["finished_at"]) if "finished_at" in data else None,
            shards_failed=int(failed),
            error=data.get("error", ""),
        )

    async def recent(self, limit: int = 20) -> list[JobInfo]:
        ids = replies.members(await self._redis.zrevrange(self.index_key, 0, limit - 1))
        return [info for job_id in ids if (info := await self.get(job_id.decode())) is not None]

    async def settle(
        self, job_id: str, bucket: int, changes: Sequence[Settling],
        list_versions: Mapping[str, str] | None = None, policy_version: str = "",
    ) -> list[str]:  # fmt: skip
        """Write parties' new states and alerts, each only over the state it was decided from.

        `list_versions` and `policy_version`: what the decisions were made on, kept in each alert.
        Returns the references whose state another job changed meanwhile (nothing written for them).
        """
        versions = dict(list_versions or {})
        conflicts: list[str] = []
        now = datetime.now(UTC)
        keys = [self._registry.states_key(bucket), self._registry.outbox_key(bucket)]
        for start in range(0, len(changes), SETTLE_CHUNK):
            args: list[str | bytes | int] = [job_id]
            for change in changes[start : start + SETTLE_CHUNK]:
                alert = b""
                if (draft := change.alert) is not None:
                    record = AlertRecord(job_id, draft.reference, draft.decision, draft.previous_decision, draft.entries,
                                         draft.text, now, versions, policy_version)  # fmt: skip
                    alert = msgspec.json.encode(record)
                args += [change.reference, change.expected, self._registry.encode_state(change.state), alert]
            conflicts += [ref.decode() for ref in await self._settle(keys=keys, args=args)]
        await self.forward_alerts(bucket)
        return conflicts

    async def forward_alerts(self, bucket: int) -> int:
        """Move the bucket's settled alerts to the alert stream, each once per job and party; how many were raised.

        Also forwards what an earlier, interrupted shard left in the outbox.
        """
        outbox_key = self._registry.outbox_key(bucket)
        outbox = replies.raw_hash(await self._redis.hgetall(outbox_key))
        if not outbox:
            return 0
        by_job: dict[str, list[bytes]] = {}
        for name, alert in outbox.items():
            job_id, _, reference = name.decode().partition(_OUTBOX_SEP)
            by_job.setdefault(job_id, []).extend((reference.encode(), alert))
        raised = 0
        for job_id, pairs in by_job.items():
            keys = [self.alerts_key, f"{self.job_key(job_id)}:alerted"]
            for start in range(0, len(pairs), 2 * SETTLE_CHUNK):
                raised += int(
                    await self._forward(keys=keys, args=[ALERTS_MAXLEN, *pairs[start : start + 2 * SETTLE_CHUNK]])
                )
        # Only the fields read: an alert settled meanwhile waits for the next forward.
        await self._redis.hdel(outbox_key, *outbox)
        ALERTS_RAISED.inc(raised)
        return raised

    async def shard_done(self, job_id: str, bucket: int, screened: int, shards_total: int = BUCKETS) -> None:
        key = self.job_key(job_id)
        if await self._redis.sadd(f"{key}:done", bucket):
            await self._redis.hincrby(key, "parties_screened", screened)
        await self._finish_if_complete(job_id, shards_total)

    async def shard_failed(self, job_id: str, bucket: int, error: str, max_attempts: int = MAX_SHARD_ATTEMPTS) -> bool:
        """Count a failed attempt at a shard and keep its error; True once the shard is given up."""
        key = self.job_key(job_id)
        attempts = await self._redis.hincrby(f"{key}:attempts", str(bucket), 1)
        await self._redis.hset(key, "error", f"shard {bucket}, attempt {attempts}: {error}"[:1000])
        if attempts < max_attempts:
            return False
        await self._redis.sadd(f"{key}:failed", bucket)
        kind, shards_total = await self._redis.hmget(key, ["kind", "shards_total"])
        if kind == b"registered":
            # Its parties are still unscreened: the bucket waits for the next `registered` job.
            await self._redis.sadd(self._unscreened_buckets_key, bucket)
        await self._finish_if_complete(job_id, int(shards_total or BUCKETS))
        return True

    async def _finish_if_complete(self, job_id: str, shards_total: int) -> None:
        key = self.job_key(job_id)
        done, failed = await self._redis.scard(f"{key}:done"), await self._redis.scard(f"{key}:failed")
        if done + failed >= shards_total and await self._redis.hsetnx(
            key, "finished_at", datetime.now(UTC).isoformat()
        ):
            await self._redis.hset(key, "state", "failed" if failed else "done")
            async with self._redis.pipeline(transaction=False) as pipe:
                for part in _JOB_PARTS:
                    pipe.expire(f"{key}{part}", JOB_RETENTION_S)
                pipe.zremrangebyscore(self.index_key, "-inf", time.time() - JOB_RETENTION_S)
                await pipe.execute()
            if failed:
                log.error("rescreen_job_failed", job_id=job_id, shards_failed=failed)
            else:
                log.info("rescreen_job_done", job_id=job_id)


@dataclass(frozen=True)
class _Scored:
    """A party the shard scored: its matches are fixed; its new state depends on the state stored."""

    party: RegisteredParty
    matches: list[MatchResult]
    dispositions: Mapping[tuple[str, str], Disposition]
    context: TransactionContext | None


@dataclass
class RescreenWorker:
    """Takes shards from the stream and re-screens their bucket of parties."""

    client: aioredis.Redis
    prefix: str
    state: Callable[[], ScreeningState | None]
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    claim_idle_ms: int = 30_000
    max_attempts: int = MAX_SHARD_ATTEMPTS
    # Without a loaded state, delta jobs only need the policy; a full job then asks
    # `load_state` to build the whole index (a worker process need not build it up front).
    policy: Policy | None = None
    load_state: Callable[[], Awaitable[object]] | None = None  # its result is not used
    _deltas: dict[str, Delta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.jobs = Jobs(self.client, self.prefix)
        self.registry = PartyRegistry(self.client, self.prefix)
        self.snapshots = SnapshotStore(self.client, self.prefix)
        self.dispositions = DispositionStore(self.client, self.prefix)

    async def run(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        await self.jobs.ensure_group(self.jobs.shards_key, GROUP)
        while not stop.is_set():
            try:
                if not await self.work_once(block_ms):
                    await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rescreen_worker_failed")
                await asyncio.sleep(1.0)

    async def work_once(self, block_ms: int | None = None) -> int:
        """Process claimed or new shards (one batch); returns how many."""
        await self.jobs.ensure_group(self.jobs.shards_key, GROUP)
        _, claimed, *_ = await self.client.xautoclaim(
            self.jobs.shards_key, GROUP, self.consumer, min_idle_time=self.claim_idle_ms, start_id="0-0", count=4
        )
        entries: replies.StreamEntries = [(entry_id, fields) for entry_id, fields in claimed if fields]
        if not entries:
            read = await self.client.xreadgroup(
                GROUP, self.consumer, {self.jobs.shards_key: ">"}, count=1, block=block_ms
            )
            entries = [entry for _, batch in replies.streams_read(read) for entry in batch]
        for entry_id, fields in entries:
            job_id, bucket = fields[b"job_id"].decode(), int(fields[b"bucket"])
            try:
                await self.process_shard(job_id, bucket)
            except UnknownJob:
                log.warning("rescreen_shard_of_unknown_job", job_id=job_id, bucket=bucket)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("rescreen_shard_failed", job_id=job_id, bucket=bucket)
                if not await self.jobs.shard_failed(job_id, bucket, f"{type(exc).__name__}: {exc}", self.max_attempts):
                    continue  # stays pending: claimed again after claim_idle_ms
                log.error("rescreen_shard_given_up", job_id=job_id, bucket=bucket, attempts=self.max_attempts)
            await self.client.xack(self.jobs.shards_key, GROUP, entry_id)
        return len(entries)

    async def _current_state(self) -> ScreeningState:
        """The full index, on the versions serving now: a screening against every list must not
        use a version a delta job has already moved past (it would undo that job's alerts)."""
        state = self.state()
        if (state is None or await self._outdated(state)) and self.load_state is not None:
            await self.load_state()
            state = self.state()
        if state is None:
            raise RuntimeError("no list state loaded: cannot re-screen yet")
        if outdated := await self._outdated(state):
            raise RuntimeError(
                f"loaded lists older than those serving ({', '.join(outdated)}): the shard waits for a reload"
            )
        return state

    async def _outdated(self, state: ScreeningState) -> list[str]:
        serving = await self.snapshots.current_versions(sorted(state.lists))
        return [
            list_id for list_id, version in serving.items() if version and version != state.lists[list_id].meta.version
        ]

    async def _delta(self, job_id: str, list_id: str, version: str) -> Delta:
        delta = self._deltas.get(job_id)
        if delta is None:
            diff = await self.snapshots.diff(list_id, version)
            if diff is None:
                raise RuntimeError(f"job {job_id}: no diff stored for {list_id} version {version}")
            entries = await self.snapshots.load_entries(list_id, version)
            delta = self._deltas[job_id] = await asyncio.to_thread(Delta.build, diff, entries, version)
            while len(self._deltas) > 4:
                self._deltas.pop(next(iter(self._deltas)))
        return delta

    async def process_shard(self, job_id: str, bucket: int) -> BucketResult:
        job = await self.jobs.get(job_id)
        if job is None:
            raise UnknownJob(f"shard of unknown job {job_id}")
        state = self.state()
        if job.kind != "delta":
            state = await self._current_state()
        elif state is None and self.policy is None:
            raise RuntimeError("no list state loaded: cannot re-screen yet")
        policy = state.policy if state is not None else self.policy
        assert policy is not None
        screened_bytes: list[tuple[str, bytes]] = []
        if job.kind == "registered":
            unscreened, states = await self.registry.unscreened(bucket)
            parties = [party for party, _ in unscreened]
            screened_bytes = [(party.reference, raw) for party, raw in unscreened]
        else:
            parties, states = await self.registry.bucket(bucket)
        result = BucketResult()
        delta = await self._delta(job_id, job.list_id, job.version) if job.kind == "delta" else None
        removed = frozenset(delta.diff.removed) if delta else frozenset()
        delta_ids = frozenset(delta.entries) if delta else frozenset()
        holders: dict[str, tuple[str, ...]] = {}
        if delta is not None:
            delta.near.prepare([party.tokens for party in parties])
            if len(delta.identifiers):  # who holds identifiers: asked only when the update carries some
                holders = await self.registry.identifier_index(bucket, parties)
        scored: list[_Scored] = []
        for party in parties:
            stored = states.get(party.reference)
            old = stored.state if stored else None
            context = None
            if delta is not None:
                found = matches_and_context(delta, party, policy.review_threshold, holders.get(party.reference, ()))
                touched = old is not None and any(
                    a.list_id == job.list_id and (a.entry_id in removed or a.entry_id in delta_ids) for a in old.alerts
                )
                if found is None and not touched:
                    result.screened += 1
                    continue
                matches, context = found if found is not None else ([], None)
            else:
                assert state is not None
                query, context = query_of(party)
                matches = state.matcher.find(query, frozenset(), policy.review_threshold, MATCH_LIMIT)
                if query.identifiers:
                    matches, _ = identifier_matches(state, query, matches, ())
            result.screened += 1
            result.scored += 1
            keys = [(m.list_id, m.entry.entry_id) for m in matches]
            dispositions = await self.dispositions.active_for(subject_for(party.reference, ""), keys) if keys else {}
            scored.append(_Scored(party, matches, dispositions, context))

        def decide(item: _Scored, stored: StoredState | None) -> Settling | None:
            old = stored.state if stored else None
            new_state, alert = rescreen_party(
                item.party, old, item.matches, policy, item.dispositions,
                scope=job.list_id if delta else None, delta_ids=delta_ids, removed=removed, version=job.version,
                context=item.context,
            )  # fmt: skip
            if alert is None and old is not None and old.alerts == new_state.alerts:
                return None  # nothing to say, nothing to write
            return Settling(item.party.reference, stored.raw if stored else b"", new_state, alert)

        # A delta decides on its list's new version; the other kinds on every list loaded.
        if delta is not None:
            versions_used = {job.list_id: job.version}
        else:
            assert state is not None
            versions_used = {list_id: loaded.meta.version for list_id, loaded in state.lists.items()}
        await self._settle_scored(job_id, bucket, scored, states, decide, versions_used, policy.version, result)
        # Last: a crash before this leaves the parties unscreened, and the shard pending.
        await self.registry.mark_screened(bucket, screened_bytes)
        await self.jobs.shard_done(job_id, bucket, result.screened, job.shards_total)
        return result

    async def _settle_scored(
        self, job_id: str, bucket: int, scored: Sequence[_Scored], states: Mapping[str, StoredState],
        decide: Callable[[_Scored, StoredState | None], Settling | None],
        versions_used: Mapping[str, str], policy_version: str, result: BucketResult,
    ) -> None:  # fmt: skip
        """Write each scored party's new state and alert, over the state it was decided from.

        Another job (a delta of another list, a first screening) may have changed that state
        since it was read: then decide again from the state now stored, with the same matches.
        A crash part-way leaves the written parties settled; the shard runs again and finds
        nothing new to say for them.
        """
        pending = {item.party.reference: item for item in scored}
        current = {ref: states.get(ref) for ref in pending}
        for _ in range(SETTLE_ROUNDS):
            changes = [change for ref, item in pending.items() if (change := decide(item, current[ref])) is not None]
            conflicts = set(await self.jobs.settle(job_id, bucket, changes, versions_used, policy_version))
            for change in changes:
                if change.reference not in conflicts:
                    result.states[change.reference] = change.state
                    if change.alert is not None:
                        result.alerts.append(change.alert)
            if not conflicts:
                return
            pending = {ref: pending[ref] for ref in conflicts}
            reread = await self.registry.stored_states(bucket, list(conflicts))
            current = {ref: reread.get(ref) for ref in conflicts}
        raise RuntimeError(f"job {job_id} bucket {bucket}: {len(pending)} states kept changing under this shard")


class Coordinator:
    """Turns list-update events into delta jobs (one per list version, whoever sees the event first),
    and parties awaiting their first screening into `registered` jobs (one at a time)."""

    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._jobs = Jobs(client, prefix)
        self._events = SnapshotStore(client, prefix).events_key
        self._consumer = f"{socket.gethostname()}-{os.getpid()}"

    async def run(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        # "$": only updates from now on; earlier ones had their chance (or use `screening rescreen`).
        await self._jobs.ensure_group(self._events, COORDINATOR_GROUP, start="$")
        next_sweep = 0.0
        while not stop.is_set():
            try:
                await self.once(block_ms)
                sweep = time.monotonic() >= next_sweep
                await self._jobs.start_registered(sweep=sweep)
                if sweep:
                    next_sweep = time.monotonic() + SWEEP_INTERVAL_S
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rescreen_coordinator_failed")
                await asyncio.sleep(1.0)

    async def once(self, block_ms: int | None = None) -> list[str]:
        read = await self._redis.xreadgroup(
            COORDINATOR_GROUP, self._consumer, {self._events: ">"}, count=10, block=block_ms
        )
        created = []
        for _, batch in replies.streams_read(read):
            for entry_id, fields in batch:
                data = {k.decode(): v.decode() for k, v in fields.items()}
                if data.get("version") and data.get("previous_version"):
                    job_id, new = await self._jobs.create(
                        "delta", data["list_id"], data["version"], job_id=f"delta:{data['list_id']}:{data['version']}"
                    )
                    if new:
                        created.append(job_id)
                await self._redis.xack(self._events, COORDINATOR_GROUP, entry_id)
        return created
