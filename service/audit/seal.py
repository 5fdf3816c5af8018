"""Sealing closed audit day files, and `screening audit verify`.

A day file is closed once a newer file of its day exists (it rotated at the size limit) or its
UTC day ended more than SEAL_GRACE ago (records of a day arrive a little after midnight). The
exporter then writes a seal beside it, `audit-2026-11-28.jsonl.sha256`: its SHA-256, byte count
and line count. A sealed file is never appended to again: a record that still comes for that
day (an exporter that was down for hours) starts the day's next file. So a file can be shipped
to object storage (with its seal) and kept ten years, and `verify` tells whether it is what the
exporter wrote.

`verify` checks two things:

- every sealed file against its seal (a changed, added or removed line changes the hash);
- while Redis still buffers them, every record the exporters have acknowledged is in the files of
  its day (the stream ids tell which records were acknowledged: service/audit/trail.py,
  ExportFrontier), so a line deleted from a file before it was sealed is found too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import redis.asyncio as aioredis

from service.audit.record import decode
from service.audit.trail import (
    _F_ID,
    _F_RECORD,
    AuditTrail,
    _directory_lock,
    _fsync_directory,
    _scan_files,
    parse_stream_id,
)
from service.store import replies

SEAL_SUFFIX = ".sha256"
SEAL_GRACE = timedelta(hours=1)
_READ_CHUNK = 1024 * 1024
_STREAM_PAGE = 1000


def seal_path(path: Path) -> Path:
    return path.with_name(path.name + SEAL_SUFFIX)


@dataclass(frozen=True)
class Seal:
    file: str
    sha256: str
    bytes: int
    lines: int
    sealed_at: str


def measure(path: Path) -> tuple[str, int, int]:
    """(sha256 hex, bytes, lines) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = lines = 0
    with open(path, "rb") as data:
        while chunk := data.read(_READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), size, lines


def _closed(files: list[tuple[str, int, Path]], now: datetime) -> Iterator[Path]:
    newest: dict[str, int] = {}
    for day, index, _ in files:
        newest[day] = max(index, newest.get(day, 0))
    for day, index, path in files:
        day_over = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(days=1)
        if index < newest[day] or now >= day_over + SEAL_GRACE:
            yield path


def seal_closed(directory: Path, now: datetime | None = None) -> list[Path]:
    """Seal every closed, unsealed day file (blocking I/O: run it in a thread). Returns the files sealed."""
    now = now or datetime.now(UTC)
    sealed: list[Path] = []
    if not directory.is_dir():
        return sealed
    with _directory_lock(directory):  # no exporter appends while a file is measured
        for path in _closed(_scan_files(directory), now):
            target = seal_path(path)
            if target.exists():
                continue
            sha256, size, lines = measure(path)
            seal = Seal(path.name, sha256, size, lines, now.isoformat())
            temporary = target.with_name(target.name + ".tmp")
            with open(temporary, "w", encoding="utf-8") as out:
                json.dump(seal.__dict__, out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
            sealed.append(path)
        if sealed:
            _fsync_directory(directory)
    return sealed


@dataclass
class Verdict:
    files: int = 0
    sealed: int = 0
    tampered: list[str] = field(default_factory=list)  # "<file>: <what differs>"
    unsealed: list[str] = field(default_factory=list)  # closed files without a seal
    checked_in_stream: int = 0
    missing: list[str] = field(default_factory=list)  # "<screening id> (<day>)"

    @property
    def ok(self) -> bool:
        return not (self.tampered or self.missing)


def check_seals(directory: Path, day: date | None, verdict: Verdict, now: datetime) -> None:
    files = [f for f in sorted(_scan_files(directory)) if day is None or f[0] == day.isoformat()]
    closed = set(_closed(files, now))
    for _, _, path in files:
        verdict.files += 1
        seal_file = seal_path(path)
        if not seal_file.exists():
            if path in closed:
                verdict.unsealed.append(path.name)
            continue
        try:
            seal = Seal(**json.loads(seal_file.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            verdict.tampered.append(f"{path.name}: its seal cannot be read ({exc})")
            continue
        sha256, size, lines = measure(path)
        verdict.sealed += 1
        if (sha256, size, lines) != (seal.sha256, seal.bytes, seal.lines):
            verdict.tampered.append(
                f"{path.name}: {lines} lines and {size} bytes now; {seal.lines} lines and {seal.bytes} bytes "
                f"when sealed on {seal.sealed_at}; SHA-256 differs"
            )


def _ids_in_files(directory: Path, day: str) -> set[str]:
    found = set()
    for path_day, _, path in _scan_files(directory):
        if path_day != day:
            continue
        with open(path, "rb") as lines:
            for line in lines:
                try:
                    found.add(decode(line.rstrip(b"\n")).screening_id)
                except msgspec.DecodeError:
                    continue
    return found


async def check_stream(
    client: aioredis.Redis, trail: AuditTrail, directory: Path, day: date | None, verdict: Verdict
) -> None:
    """Every record the exporters acknowledged, still in the stream, is in the files of its day."""
    frontier = await trail.exported_through()
    if frontier is None:
        return
    wanted: dict[str, list[str]] = {}
    low = "-"
    while True:
        page = replies.entries(await client.xrange(trail.stream_key, min=low, count=_STREAM_PAGE))
        if not page:
            break
        for entry_id, fields in page:
            if not frontier.covers(parse_stream_id(entry_id)):
                continue
            record_day = _record_day(fields)
            if record_day is None or (day is not None and record_day != day.isoformat()):
                continue
            wanted.setdefault(record_day, []).append(fields[_F_ID].decode())
        low = "(" + page[-1][0].decode()
        if len(page) < _STREAM_PAGE:
            break
    for record_day, ids in sorted(wanted.items()):
        present = _ids_in_files(directory, record_day)
        verdict.checked_in_stream += len(ids)
        verdict.missing += [f"{sid} ({record_day})" for sid in ids if sid not in present]


def _record_day(fields: dict[bytes, bytes]) -> str | None:
    try:
        return decode(fields[_F_RECORD]).screened_at.astimezone(UTC).date().isoformat()
    except (KeyError, msgspec.DecodeError):
        return None
