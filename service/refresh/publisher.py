"""Turn fetched files into a published version, or a recorded rejection."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import structlog

from service.catalog import ListSpec
from service.model import Entry
from service.refresh.diff import ListDiff, diff_entries
from service.refresh.fetch import FetchedFiles
from service.refresh.validate import UpdateRejected, validate_files, validate_update
from service.sources.errors import ListFileError
from service.sources.parsed import FORCED_OPTION, ParsedList
from service.sources.registry import parser_for
from service.sources.sniff import check_files
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)


class Outcome(str, Enum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RefreshResult:
    list_id: str
    outcome: Outcome
    version: str
    entry_count: int
    message: str
    parse_seconds: float = 0.0
    publish_seconds: float = 0.0
    diff: ListDiff | None = None


def parse_fetched(fetched: FetchedFiles, force: bool = False, file_notes: Sequence[str] = ()) -> ParsedList:
    """Parse the files; `file_notes` (what validate_files let through) lead the version's notes.

    Whether the file set is complete is validate_files's call, not this function's.
    """
    check_files(fetched.files)
    options = {**fetched.options, FORCED_OPTION: ["yes"]} if force else fetched.options
    result = parser_for(fetched.format)(fetched.list_id, fetched.files, options)
    notes = (*file_notes, *fetched.passed_over, *result.notes)
    for note in notes:
        log.info("parse_note", list_id=fetched.list_id, note=note)
    return ParsedList(
        list_id=fetched.list_id,
        format=fetched.format,
        entries=tuple(result.entries),
        files=fetched.described,
        origin=fetched.origin,
        published_at=result.published_at,
        data_date=result.data_date,
        notes=notes,
    )


async def publish_fetched(
    store: SnapshotStore, spec: ListSpec, fetched: FetchedFiles, force: bool = False
) -> RefreshResult:
    """Parse, validate, diff and publish; a bad update is recorded and nothing is stored."""
    current = await store.current(spec.id)
    if current is not None and current.version == fetched.version:
        await store.publish_unchanged(spec.id)
        return RefreshResult(
            spec.id, Outcome.UNCHANGED, current.version, current.entry_count, "same files as the serving version"
        )
    started = time.perf_counter()
    previous_entries: list[Entry] = []
    try:
        file_notes = validate_files(fetched, current, force)
        parsed = parse_fetched(fetched, force, file_notes)
        previous_entries = await store.load_entries(spec.id, current.version) if current else []
        validate_update(spec, parsed, current, force, previous_entries)
    except (ListFileError, UpdateRejected) as exc:
        # Why a preferred format was not taken explains many rejections (a format change after alt.csv 404s).
        reason = f"{exc} ({'; '.join(fetched.passed_over)})" if fetched.passed_over else str(exc)
        await store.record_failure(spec.id, reason)
        log.error("list_update_rejected", list_id=spec.id, origin=fetched.origin, reason=reason)
        return RefreshResult(spec.id, Outcome.REJECTED, current.version if current else "", 0, reason)
    diff = diff_entries(spec.id, parsed.version, current.version if current else None, previous_entries, parsed.entries)
    parsed_at = time.perf_counter()
    meta, _ = await store.publish(parsed, fetched_at=datetime.now(UTC), diff=diff)
    published_at = time.perf_counter()
    log.info(
        "list_published",
        list_id=spec.id,
        version=meta.version,
        entries=meta.entry_count,
        format=meta.format,
        previous=current.version if current else None,
        **diff.counts,
    )
    return RefreshResult(
        spec.id,
        Outcome.PUBLISHED,
        meta.version,
        meta.entry_count,
        f"{meta.entry_count} entries (+{len(diff.added)} -{len(diff.removed)} ~{len(diff.changed)})",
        parse_seconds=parsed_at - started,
        publish_seconds=published_at - parsed_at,
        diff=diff,
    )
