"""Versioned list snapshots in Redis, published atomically.

Layout per list (the `{list_id}` hash tag keeps one list's keys in one Redis
Cluster slot, so the publishing MULTI is legal there too):

    {prefix}list:{<id>}:v:<version>:entries   framed msgpack(entries), immutable (store.framed:
                                              parts of ENTRIES_PER_PART; older versions: zlib(msgpack))
    {prefix}list:{<id>}:v:<version>:meta      JSON VersionMeta, immutable
    {prefix}list:{<id>}:current               the serving version
    {prefix}list:{<id>}:history               sorted set: version -> stored time
    {prefix}list:{<id>}:status                hash: last attempt, last error
    {prefix}list:{<id>}:v:<version>:diff      JSON ListDiff against the version it replaced
    {prefix}events:list-updates               stream: one event per published version

A version id is derived from the publisher's bytes, so republishing the same
files is a no-op. Publishing writes the version's keys and flips `current` in
one MULTI/EXEC transaction: readers see the old version or the new one, never
a mix, and versions are never modified once written.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime

import msgspec
import redis.asyncio as aioredis

from service.model import Entry
from service.refresh.diff import ListDiff
from service.refresh.fetch import HttpValidator
from service.sources.parsed import ParsedList, SourceFile
from service.store import replies
from service.store.framed import frame, is_framed, parts
from service.store.keyspace import mget

DEFAULT_PREFIX = "screening:"
# Old versions kept for diffs and audit reproduction; the current one is never pruned.
KEEP_VERSIONS = 10
# List-update events kept in the stream (approximate trim).
EVENTS_MAXLEN = 10_000
_ENTRIES_DECODER = msgspec.msgpack.Decoder(list[Entry])
# Entries per stored part: one part decodes in about a millisecond.
ENTRIES_PER_PART = 200
_ENCODER = msgspec.msgpack.Encoder()


class VersionMeta(msgspec.Struct, frozen=True):
    list_id: str
    version: str
    format: str
    entry_count: int
    origin: str
    files: tuple[SourceFile, ...]
    fetched_at: datetime
    stored_at: datetime
    published_at: datetime | None = None
    data_date: date | None = None
    notes: tuple[str, ...] = ()


class ListStatusRecord(msgspec.Struct, frozen=True):
    last_attempt_at: datetime | None = None
    last_error: str = ""
    last_success_at: datetime | None = None


class SnapshotStore:
    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    @property
    def prefix(self) -> str:
        return self._prefix

    def _key(self, list_id: str, *parts: str) -> str:
        return ":".join((f"{self._prefix}list:{{{list_id}}}", *parts))

    @property
    def events_key(self) -> str:
        return f"{self._prefix}events:list-updates"

    async def publish(
        self, parsed: ParsedList, fetched_at: datetime | None = None, diff: ListDiff | None = None
    ) -> tuple[VersionMeta, bool]:
        """Store `parsed` as a version and make it current. Returns (meta, changed).

        With `diff`, the diff is stored with the version and announced on the
        list-update stream after the switch.
        """
        version = parsed.version
        now = datetime.now(UTC)
        current = await self.current(parsed.list_id)
        if current is not None and current.version == version:
            await self.publish_unchanged(parsed.list_id)
            return current, False
        meta = VersionMeta(
            list_id=parsed.list_id,
            version=version,
            format=parsed.format,
            entry_count=len(parsed.entries),
            origin=parsed.origin,
            files=parsed.files,
            fetched_at=fetched_at or now,
            stored_at=now,
            published_at=parsed.published_at,
            data_date=parsed.data_date,
            notes=parsed.notes,
        )
        blob = encode_entries(parsed.entries)
        list_id = parsed.list_id
        async with self._redis.pipeline(transaction=True) as pipe:
            # NX: a version that comes back (A -> B -> A) keeps its first record.
            pipe.set(self._key(list_id, "v", version, "entries"), blob, nx=True)
            pipe.set(self._key(list_id, "v", version, "meta"), msgspec.json.encode(meta), nx=True)
            pipe.set(self._key(list_id, "current"), version)
            pipe.zadd(self._key(list_id, "history"), {version: now.timestamp()}, nx=True)
            if diff is not None:
                pipe.set(self._key(list_id, "v", version, "diff"), msgspec.json.encode(diff), nx=True)
            pipe.hset(
                self._key(list_id, "status"),
                mapping={"last_attempt_at": now.isoformat(), "last_success_at": now.isoformat(), "last_error": ""},
            )
            await pipe.execute()
        if diff is not None:
            # After EXEC, on purpose: the event names a version readers can already load.
            # (A crash right here loses the event, not the version; replicas also poll `current`.)
            await self._redis.xadd(
                self.events_key,
                {
                    "list_id": list_id,
                    "version": version,
                    "previous_version": diff.previous_version or "",
                    "added": len(diff.added),
                    "removed": len(diff.removed),
                    "changed": len(diff.changed),
                    "entry_count": len(parsed.entries),
                    "diff_key": self._key(list_id, "v", version, "diff"),
                },
                maxlen=EVENTS_MAXLEN,
                approximate=True,
            )
        await self._prune(list_id, keep_version=version)
        return await self.meta(list_id, version) or meta, True

    async def diff(self, list_id: str, version: str) -> ListDiff | None:
        raw = await self._redis.get(self._key(list_id, "v", version, "diff"))
        return msgspec.json.decode(raw, type=ListDiff) if raw else None

    async def publish_unchanged(self, list_id: str) -> None:
        """Record a successful check that found the serving version still current."""
        now = datetime.now(UTC)
        await self._redis.hset(
            self._key(list_id, "status"),
            mapping={"last_attempt_at": now.isoformat(), "last_success_at": now.isoformat(), "last_error": ""},
        )

    async def record_failure(self, list_id: str, error: str) -> None:
        """Remember a rejected update; the current version keeps serving."""
        await self._redis.hset(
            self._key(list_id, "status"),
            mapping={"last_attempt_at": datetime.now(UTC).isoformat(), "last_error": error[:2000]},
        )

    async def status(self, list_id: str) -> ListStatusRecord:
        fields = replies.raw_hash(await self._redis.hgetall(self._key(list_id, "status")))
        raw = {k.decode(): v.decode() for k, v in fields.items()}
        return ListStatusRecord(
            last_attempt_at=_parse_time(raw.get("last_attempt_at")),
            last_error=raw.get("last_error", ""),
            last_success_at=_parse_time(raw.get("last_success_at")),
        )

    async def current_version(self, list_id: str) -> str | None:
        raw = replies.raw(await self._redis.get(self._key(list_id, "current")))
        return raw.decode() if raw else None

    async def current_versions(self, list_ids: Sequence[str]) -> dict[str, str | None]:
        """Each list's serving version, in one round trip (None: never published)."""
        if not list_ids:
            return {}
        raws = await mget(self._redis, [self._key(list_id, "current") for list_id in list_ids])
        return {list_id: raw.decode() if raw else None for list_id, raw in zip(list_ids, raws, strict=True)}

    async def current(self, list_id: str) -> VersionMeta | None:
        version = await self.current_version(list_id)
        return await self.meta(list_id, version) if version else None

    async def meta(self, list_id: str, version: str) -> VersionMeta | None:
        raw = await self._redis.get(self._key(list_id, "v", version, "meta"))
        return msgspec.json.decode(raw, type=VersionMeta) if raw else None

    async def load_entries(self, list_id: str, version: str) -> list[Entry]:
        blob = await self.entries_blob(list_id, version)
        # Off the event loop: decoding a full SDN snapshot takes ~150 ms.
        return await asyncio.to_thread(decode_entries, blob)

    async def entries_blob(self, list_id: str, version: str) -> bytes:
        """A version's entries as stored (decode with `decode_entries` or `entry_parts`)."""
        blob = replies.raw(await self._redis.get(self._key(list_id, "v", version, "entries")))
        if blob is None:
            raise LookupError(f"list {list_id} version {version} is not in Redis")
        return blob

    async def versions(self, list_id: str) -> Sequence[str]:
        """Stored versions, oldest first."""
        return [v.decode() for v in replies.members(await self._redis.zrange(self._key(list_id, "history"), 0, -1))]

    async def _prune(self, list_id: str, keep_version: str) -> None:
        history = await self.versions(list_id)
        for old in history[: max(0, len(history) - KEEP_VERSIONS)]:
            if old == keep_version:
                continue
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(*(self._key(list_id, "v", old, part) for part in ("entries", "meta", "diff")))
                pipe.zrem(self._key(list_id, "history"), old)
                await pipe.execute()

    async def http_validators(self, list_id: str, version: str) -> dict[str, HttpValidator]:
        """ETag / Last-Modified per URL, only if they were saved for `version`.

        Tying them to the version means a 304 is trusted only while Redis still
        serves exactly what those validators describe.
        """
        raw = await self._redis.get(self._key(list_id, "http-validators"))
        if not raw:
            return {}
        saved = msgspec.json.decode(raw, type=_SavedValidators)
        return saved.validators if saved.version == version else {}

    async def save_http_validators(self, list_id: str, version: str, validators: dict[str, HttpValidator]) -> None:
        await self._redis.set(
            self._key(list_id, "http-validators"), msgspec.json.encode(_SavedValidators(version, validators))
        )

    def refresh_lock(self, list_id: str, timeout_s: float = 600, wait_s: float | None = None) -> aioredis.lock.Lock:
        """Single-flight lock: only one process fetches and publishes a list at a time."""
        return self._redis.lock(self._key(list_id, "refresh-lock"), timeout=timeout_s, blocking_timeout=wait_s)


class _SavedValidators(msgspec.Struct, frozen=True):
    version: str
    validators: dict[str, HttpValidator]


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def encode_entries(entries: Sequence[Entry]) -> bytes:
    return frame(
        [
            _ENCODER.encode(entries[start : start + ENTRIES_PER_PART])
            for start in range(0, len(entries), ENTRIES_PER_PART)
        ]
    )


def entry_parts(blob: bytes) -> Iterator[list[Entry]]:
    """The stored entries a part at a time (a version stored before parts came in one piece)."""
    if not is_framed(blob):
        yield _ENTRIES_DECODER.decode(zlib.decompress(blob))
        return
    for part in parts(blob):
        yield _ENTRIES_DECODER.decode(part)


def decode_entries(blob: bytes) -> list[Entry]:
    return [entry for part in entry_parts(blob) for entry in part]
