"""Audit trail storage: a bounded Redis Stream, exported to append-only JSON Lines files.

Redis only buffers. The stream `{prefix}audit` holds one entry per screening,

    screening_id   the record's screening id (lets `find` match without decoding)
    record         encode(AuditRecord), compact JSON

and is trimmed approximately to `max_buffered` entries on every XADD, so its
memory stays bounded whatever happens downstream. The long-term record is the
files that `AuditExporter` writes from a consumer group:

    <directory>/audit-2026-11-28.jsonl      first file of a UTC day (the record's screened_at)
    <directory>/audit-2026-11-28.1.jsonl    the next one once the first reached max_file_bytes
    <directory>/audit-2026-11-28.2.jsonl    ...
    <directory>/rejected-2026-11-28.jsonl   stream entries that were not audit records (kept, not dropped)

Each line is one encode(record) plus "\\n"; files are only ever opened for
append and a record never spans two files. Records are appended, flushed and
fsynced before they are acknowledged, so a crash re-delivers rather than loses:
the same record can appear twice in the files. `screening_id` is the key readers
deduplicate on; `read_exported` and `AuditTrail.find` do.

Trimming does not wait for the exporter: if the exporter is down for longer than
`max_buffered` screenings take, the oldest unexported records are trimmed away.
Size `max_buffered` for the longest exporter outage you want to survive.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import msgspec
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from service.audit.record import AuditRecord, decode, encode
from service.store import replies

if TYPE_CHECKING:
    from redis.typing import EncodableT, FieldT

log = structlog.get_logger(__name__)

DEFAULT_PREFIX = "screening:"
DEFAULT_GROUP = "audit-exporters"
_F_ID = b"screening_id"
_F_RECORD = b"record"
# XREVRANGE page size for `find`: big enough to be few round trips, small enough not to stall Redis.
_FIND_PAGE = 1000
_FILE_RE = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$")
# Serialises exporters (processes) appending to one directory: without it two of
# them could pick the same "current" file and rotate past each other.
_LOCK_NAME = ".audit-export.lock"
# How often a running exporter looks for closed day files to seal (service/audit/seal.py).
SEAL_EVERY_S = 60.0
# (stream id, fields); fields are empty for a pending entry whose body was trimmed away.
_Entry = tuple[bytes, dict[bytes, bytes]]


StreamId = tuple[int, int]


@dataclass(frozen=True)
class ExportFrontier:
    """A consumer group's progress: entries up to `last_delivered` were handed to an exporter,
    and every one of them below `lowest_pending` (all of them when None) is acknowledged,
    which the exporter does only once the record is fsynced in a file."""

    last_delivered: StreamId
    lowest_pending: StreamId | None

    def covers(self, entry: StreamId) -> bool:
        """True when the entry is certainly in the exported files."""
        if entry > self.last_delivered:
            return False
        return self.lowest_pending is None or entry < self.lowest_pending


class AuditTrail:
    """Writes audit records to the stream and finds them again (stream first, then files)."""

    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX, max_buffered: int = 1_000_000) -> None:
        self._redis = client
        self._prefix = prefix
        self._max_buffered = max_buffered

    @property
    def stream_key(self) -> str:
        return f"{self._prefix}audit"

    async def write(self, record: AuditRecord) -> str:
        """Append one record (one round trip); returns its stream id."""
        entry_id = await self._redis.xadd(self.stream_key, _fields(record), maxlen=self._max_buffered, approximate=True)
        return _text(entry_id)

    async def write_many(self, records: Sequence[AuditRecord]) -> list[str]:
        """Append records in one pipelined round trip, in order; returns their stream ids."""
        if not records:
            return []
        # Not a transaction: the entries are independent, and MULTI would only add latency.
        async with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.xadd(self.stream_key, _fields(record), maxlen=self._max_buffered, approximate=True)
            ids = await pipe.execute()
        return [_text(entry_id) for entry_id in ids]

    async def server_run_id(self) -> str:
        """The Redis server's run id: it changes when the server restarts (and may have lost data)."""
        info = await self._redis.info("server")
        return str(info["run_id"])

    async def exported_through(self, group: str = DEFAULT_GROUP) -> ExportFrontier | None:
        """How far the exporters' consumer group has got: None while there is no group (or stream)."""
        try:
            groups = await self._redis.xinfo_groups(self.stream_key)
        except ResponseError:  # no such key: nothing was ever written, nothing exported
            return None
        for info in groups:
            if _text(info["name"]) != group:
                continue
            last = parse_stream_id(info["last-delivered-id"])
            if not info["pending"]:
                return ExportFrontier(last, None)
            summary = await self._redis.xpending(self.stream_key, group)
            lowest = summary.get("min")
            return ExportFrontier(last, parse_stream_id(lowest) if lowest else None)
        return None

    async def find(
        self,
        screening_id: str,
        directory: Path | None = None,
        *,
        stream_scan_limit: int = 100_000,
        first_day: date | None = None,
        last_day: date | None = None,
    ) -> AuditRecord | None:
        """The record of `screening_id`, or None.

        Scans the newest `stream_scan_limit` stream entries (newest first), then,
        with `directory`, the exported files (newest file first; only those of
        `first_day` to `last_day` when given). Bounded so a replay lookup cannot
        pull the whole buffer through one connection; older records are found in
        the files.
        """
        record = await self._find_in_stream(screening_id, stream_scan_limit)
        if record is None and directory is not None:
            record = await asyncio.to_thread(find_exported, directory, screening_id, first_day, last_day)
        return record

    async def _find_in_stream(self, screening_id: str, limit: int) -> AuditRecord | None:
        wanted = screening_id.encode()
        upper: bytes | str = "+"
        scanned = 0
        while scanned < limit:
            requested = min(_FIND_PAGE, limit - scanned)
            page = replies.entries(await self._redis.xrevrange(self.stream_key, max=upper, min="-", count=requested))
            for entry_id, fields in page:
                if fields.get(_F_ID) == wanted:
                    try:
                        return decode(fields[_F_RECORD])
                    except (KeyError, msgspec.DecodeError):
                        log.warning("audit_stream_entry_unreadable", stream_id=_text(entry_id))
            if len(page) < requested:
                return None
            scanned += len(page)
            # Exclusive bound (Redis >= 6.2): continue just below the last id seen.
            upper = b"(" + page[-1][0]
        return None


class AuditExporter:
    """Moves records from the stream to append-only JSON Lines files, one file per UTC day,
    rotated by size (e.g. audit-2026-11-28.jsonl, audit-2026-11-28.1.jsonl ...), in `directory`.

    Delivery is at least once: records are acknowledged only after they are
    fsynced, and entries left pending by a consumer that died are claimed after
    `min_idle_ms`. Readers deduplicate on `screening_id`.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        directory: Path,
        prefix: str = DEFAULT_PREFIX,
        group: str = DEFAULT_GROUP,
        consumer: str | None = None,
        max_file_bytes: int = 256 * 1024 * 1024,
        min_idle_ms: int = 60_000,
    ) -> None:
        self._redis = client
        self._directory = directory
        self._stream_key = f"{prefix}audit"
        self._group = group
        # Unique per process, so a restarted exporter never mistakes a dead one's pending entries for its own.
        self._consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._max_file_bytes = max_file_bytes
        self._next_seal = 0.0  # monotonic time of the next look for closed files to seal
        # Longer than any healthy export of one batch takes, or a live consumer's batch gets claimed twice.
        self._min_idle_ms = min_idle_ms
        self._group_ready = False
        self._lock = asyncio.Lock()

    @property
    def consumer(self) -> str:
        return self._consumer

    async def export_once(self, batch: int = 1000, block_ms: int | None = None) -> int:
        """Export up to `batch` records; returns how many records were written to files.

        Order: claim entries idle in dead consumers' hands, then our own pending
        entries (claimed ones and any earlier batch that failed before its ack),
        then new entries (blocking up to `block_ms` if there are none pending).
        """
        async with self._lock:
            try:
                return await self._export(batch, block_ms)
            except ResponseError as exc:
                # The stream (and with it the group) was deleted under us: recreate and retry once.
                if not str(exc).startswith("NOGROUP"):
                    raise
                log.warning("audit_export_group_missing", stream=self._stream_key, group=self._group)
                self._group_ready = False
                return await self._export(batch, block_ms)

    async def _export(self, batch: int, block_ms: int | None) -> int:
        await self._ensure_group()
        claimed = await self._redis.xautoclaim(
            self._stream_key, self._group, self._consumer, self._min_idle_ms, "0-0", count=batch, justid=True
        )
        if claimed:
            log.warning("audit_export_claimed", count=len(claimed), consumer=self._consumer)
        entries = await self._read(batch, "0")
        if not entries:
            entries = await self._read(batch, ">", block_ms)
        if not entries:
            return 0
        # Decoding a batch (up to 1,000 records) is ~10-20 ms of CPU: in the thread with the
        # file writes, the event loop gets the GIL back every switch interval and keeps
        # answering calls (after an outage the backlog is exported batch after batch).
        prepared = await asyncio.to_thread(_prepare_and_append, self._directory, entries, self._max_file_bytes)
        # Only now, with the lines on disk: a crash before this point re-delivers the batch.
        await self._redis.xack(self._stream_key, self._group, *(entry_id for entry_id, _ in entries))
        if prepared.trimmed:
            # Pending entries whose bodies are gone (trimmed or deleted before export): nothing left to save.
            log.error("audit_records_trimmed_before_export", count=prepared.trimmed, stream=self._stream_key)
        written = sum(len(lines) for lines in prepared.lines.values())
        log.debug("audit_exported", count=written, rejected=len(prepared.rejected), directory=str(self._directory))
        return written

    async def _read(self, batch: int, start: str, block_ms: int | None = None) -> list[_Entry]:
        """Entries of our consumer: "0" re-reads our pending ones, ">" takes new ones."""
        response = await self._redis.xreadgroup(
            self._group, self._consumer, {self._stream_key: start}, count=batch, block=block_ms
        )
        if not response:
            return []
        if isinstance(response, dict):  # RESP3 shape
            return cast(list[_Entry], next(iter(response.values()))[0])
        return replies.streams_read(response)[0][1]

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # Id 0: a new group exports what is already buffered, not only what comes later.
            await self._redis.xgroup_create(self._stream_key, self._group, id="0", mkstream=True)
            log.info("audit_export_group_created", stream=self._stream_key, group=self._group)
        except ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):
                raise
        self._group_ready = True

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0, batch: int = 1000) -> None:
        """Export until `stop` is set; a full batch means backlog, so go again without waiting."""
        log.info("audit_exporter_started", consumer=self._consumer, directory=str(self._directory))
        while not stop.is_set():
            try:
                written = await self.export_once(batch)
            except Exception as exc:
                log.exception("audit_export_failed", error=str(exc))
                written = 0
            if written >= batch:
                continue
            if time.monotonic() >= self._next_seal:
                self._next_seal = time.monotonic() + SEAL_EVERY_S
                try:
                    await asyncio.to_thread(seal_closed, self._directory)
                except OSError as exc:
                    log.error("audit_seal_failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass
        log.info("audit_exporter_stopped", consumer=self._consumer)


def seal_closed(directory: Path) -> list[Path]:
    from service.audit.seal import seal_closed as seal  # seal.py builds on this module

    return seal(directory)


# --- preparing a batch -------------------------------------------------------


@dataclass
class _Prepared:
    lines: dict[date, list[bytes]] = field(default_factory=dict)  # day -> raw records, stream order
    rejected: list[tuple[date, bytes]] = field(default_factory=list)
    trimmed: int = 0


def _prepare(entries: list[_Entry]) -> _Prepared:
    prepared = _Prepared()
    for entry_id, fields in entries:
        if not fields:
            prepared.trimmed += 1
            continue
        raw = fields.get(_F_RECORD, b"")
        try:
            record = decode(raw)
        except msgspec.DecodeError as exc:
            # Not an audit record we can read: keep the bytes aside instead of dropping them,
            # and acknowledge, or the entry would be re-delivered forever.
            log.error("audit_record_rejected", stream_id=_text(entry_id), error=str(exc))
            prepared.rejected.append((_id_day(entry_id), _rejected_line(entry_id, fields)))
            continue
        # The raw bytes, not a re-encoding: fields added by a newer writer survive.
        prepared.lines.setdefault(record.screened_at.astimezone(UTC).date(), []).append(raw)
    return prepared


def _prepare_and_append(directory: Path, entries: list[_Entry], max_file_bytes: int) -> _Prepared:
    prepared = _prepare(entries)
    if prepared.lines or prepared.rejected:
        _append_batch(directory, prepared, max_file_bytes)
    return prepared


def _rejected_line(entry_id: bytes, fields: dict[bytes, bytes]) -> bytes:
    return msgspec.json.encode(
        {
            "stream_id": _text(entry_id),
            "fields": {_text(k): base64.b64encode(v).decode() for k, v in fields.items()},
        }
    )


def _id_day(entry_id: bytes) -> date:
    # The stream id's first part is the XADD time in milliseconds: the best day we have.
    millis = int(_text(entry_id).split("-", 1)[0])
    return datetime.fromtimestamp(millis / 1000, UTC).date()


# --- files -------------------------------------------------------------------


def _append_batch(directory: Path, prepared: _Prepared, max_file_bytes: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with _directory_lock(directory):
        created = False
        for day, lines in prepared.lines.items():
            created |= _append_day(directory, day, lines, max_file_bytes)
        for day, line in prepared.rejected:
            created |= _append_lines(directory / f"rejected-{day.isoformat()}.jsonl", [line])
        if created:
            # A new file's directory entry must survive a crash as well as its contents.
            _fsync_directory(directory)


def _append_day(directory: Path, day: date, lines: list[bytes], max_file_bytes: int) -> bool:
    """Append `lines` to the day's newest file, starting new files at the size limit or after a sealed one."""
    index = _newest_index(directory, day)
    path = _day_file(directory, day, index)
    if path.with_name(path.name + ".sha256").exists():
        # Sealed (service/audit/seal.py): never appended to again; a late record starts the next file.
        index += 1
        path = _day_file(directory, day, index)
    size = path.stat().st_size if path.exists() else 0
    created = False
    chunk: list[bytes] = []
    for line in lines:
        needed = len(line) + 1
        # Whole records only: rotate before a line that would cross the limit (a file
        # that is still empty takes any line, however long).
        if size > 0 and size + needed > max_file_bytes:
            created |= _append_lines(path, chunk)
            index += 1
            path = _day_file(directory, day, index)
            size, chunk = 0, []
        chunk.append(line)
        size += needed
    created |= _append_lines(path, chunk)
    return created


def _append_lines(path: Path, lines: list[bytes]) -> bool:
    """Append, flush and fsync; returns whether the file is new."""
    if not lines:
        return False
    created = not path.exists()
    with open(path, "ab") as out:
        prefix = b""
        if not created and _ends_torn(path):
            # A crash mid-write left half a line: end it, so the next record starts on its own line
            # (readers skip the fragment; the record itself is re-delivered because it was never acked).
            log.warning("audit_file_torn_tail", file=path.name)
            prefix = b"\n"
        out.write(prefix + b"".join(line + b"\n" for line in lines))
        out.flush()
        os.fsync(out.fileno())
    return created


def _ends_torn(path: Path) -> bool:
    with open(path, "rb") as existing:
        existing.seek(0, os.SEEK_END)
        if existing.tell() == 0:
            return False
        existing.seek(-1, os.SEEK_END)
        return existing.read(1) != b"\n"


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    with open(directory / _LOCK_NAME, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _day_file(directory: Path, day: date, index: int) -> Path:
    suffix = "" if index == 0 else f".{index}"
    return directory / f"audit-{day.isoformat()}{suffix}.jsonl"


def _newest_index(directory: Path, day: date) -> int:
    wanted = day.isoformat()
    indexes = [index for path_day, index, _ in _scan_files(directory) if path_day == wanted]
    return max(indexes, default=0)


def _scan_files(directory: Path) -> list[tuple[str, int, Path]]:
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        matched = _FILE_RE.match(path.name)
        if matched:
            found.append((matched.group(1), int(matched.group(2) or 0), path))
    return found


def exported_files(directory: Path) -> list[Path]:
    """The exported audit files, oldest first (by day, then rotation index)."""
    return [path for _, _, path in sorted(_scan_files(directory))]


def _records_in(path: Path) -> Iterator[AuditRecord]:
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip(b"\n")
            if not line:
                continue
            try:
                yield decode(line)
            except msgspec.DecodeError:
                # A torn tail from a crash (its record was re-delivered), or a damaged line.
                log.warning("audit_file_line_unreadable", file=path.name, line=number)


def read_exported(directory: Path) -> Iterator[AuditRecord]:
    """Every exported record once, oldest file first, deduplicated on `screening_id`.

    The first copy wins: a re-delivered record is the same record written again.
    Keeps a set of the ids seen, so memory grows with the number of records read.
    """
    seen: set[str] = set()
    for path in exported_files(directory):
        for record in _records_in(path):
            if record.screening_id not in seen:
                seen.add(record.screening_id)
                yield record


def find_exported(
    directory: Path, screening_id: str, first_day: date | None = None, last_day: date | None = None
) -> AuditRecord | None:
    """The exported record of `screening_id`, searching the newest file first (blocking I/O).

    `first_day` / `last_day`: only the files of those UTC days (a file holds the records screened
    that day), so that a lookup over the API reads days, not years, of files.
    """
    # Cheap byte test before decoding: records are compact msgspec JSON, so the
    # field appears exactly like this in the record's line.
    needle = b'"screening_id":' + msgspec.json.encode(screening_id)
    low = first_day.isoformat() if first_day else ""
    high = last_day.isoformat() if last_day else "9999"
    files = [path for day, _, path in sorted(_scan_files(directory)) if low <= day <= high]
    for path in reversed(files):
        with open(path, "rb") as lines:
            for line in lines:
                if needle not in line:
                    continue
                try:
                    record = decode(line.rstrip(b"\n"))
                except msgspec.DecodeError:
                    continue
                if record.screening_id == screening_id:
                    return record
    return None


def _fields(record: AuditRecord) -> dict[FieldT, EncodableT]:
    return {_F_ID: record.screening_id.encode(), _F_RECORD: encode(record)}


def parse_stream_id(value: bytes | str) -> StreamId:
    millis, _, sequence = _text(value).partition("-")
    return int(millis), int(sequence or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def append_records(directory: Path, records: Sequence[AuditRecord], max_file_bytes: int = 256 * 1024 * 1024) -> None:
    """Append records straight to the day files (blocking: call in a thread).

    For records that could not reach the stream (Redis down): the files are the
    long-term record anyway, and readers deduplicate on screening_id.
    """
    by_day: dict[date, list[bytes]] = {}
    for record in records:
        by_day.setdefault(record.screened_at.astimezone(UTC).date(), []).append(encode(record))
    _append_batch(directory, _Prepared(lines=by_day), max_file_bytes)
