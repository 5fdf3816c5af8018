"""Checks an update must pass before it may replace the serving version.

The parse itself already proved every file it read is complete and well-formed
(end markers, Record_Count, encoding, column counts). These checks catch what
parses but still loses something:
- a file set without one of its required files (alt.csv 404: every alias gone),
  or without an optional file the serving version was built with;
- a truncated or emptied list (below `min_entries`);
- an update removing more than its limit of the serving version's entries
  (`max_shrink`), or of the aliases, addresses or programs of the entries that
  stay (`max_shrink_aliases`, ...; see lists/sources.toml for the measured
  figures behind the SDN's limits);
- a publisher silently switching formats, or a file older than the serving one.
`--force` lets all but the floor through; what it let through is noted in the
version's notes.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.catalog import ListSpec
from service.model import Entry
from service.refresh.diff import MEASURES, removals
from service.refresh.fetch import FetchedFiles
from service.sources.parsed import ParsedList
from service.sources.registry import file_content
from service.store.snapshots import VersionMeta


class UpdateRejected(Exception):
    """A parsed update failed validation; the last good version keeps serving."""


def validate_files(fetched: FetchedFiles, current: VersionMeta | None, force: bool = False) -> list[str]:
    """Reject a file set that lacks a required file, or an optional one the serving version had.

    Returns the notes for what `force` let through.
    """
    notes = []
    missing = fetched.missing_required
    if missing:
        whys = [fetched.unavailable.get(name, "missing") for name in missing]
        why = whys[0] if len(set(whys)) == 1 else "; ".join(f"{n}: {w}" for n, w in zip(missing, whys, strict=True))
        lost = " and ".join(
            file_content(fetched.format, fetched.files, name) or f"what {name} carries" for name in missing
        )
        one = len(missing) == 1
        message = (
            f"{', '.join(missing)}: {'a required file' if one else 'required files'} of the {fetched.format} set "
            f"{'is' if one else 'are'} missing ({why})"
        )
        if not force:
            raise UpdateRejected(
                f"{message}: without {'it' if one else 'them'} the update would drop {lost}; add "
                f"{'it' if one else 'them'} to the set, or rerun with --force to publish without {'it' if one else 'them'}"
            )
        notes.append(f"{message}; published without {'it' if one else 'them'} (--force), so {lost} is missing")
    if current is None or current.format != fetched.format:
        return notes
    for name in sorted({f.name for f in current.files} - set(fetched.files) - set(fetched.missing_required)):
        why = fetched.unavailable.get(name, "not in the update")
        lost = file_content(fetched.format, fetched.files, name)
        message = f"{name}: the serving version was built with it, this update lacks it ({why})"
        if not force:
            raise UpdateRejected(
                f"{message}: publishing would drop {lost or 'what it carries'}; add it to the set, or rerun with "
                f"--force to publish without it"
            )
        notes.append(f"{message}; published without it (--force)")
    return notes


def validate_update(
    spec: ListSpec,
    parsed: ParsedList,
    current: VersionMeta | None = None,
    force: bool = False,
    previous: Sequence[Entry] | None = None,
) -> None:
    """Raise UpdateRejected with an operator-readable reason; `force` skips the relative checks.

    `previous`: the serving version's entries; without them only the net entry
    count is compared.
    """
    count = len(parsed.entries)
    if count < spec.min_entries:
        raise UpdateRejected(
            f"{spec.id}: {count} entries is below the floor of {spec.min_entries} (lists/sources.toml "
            f"min_entries); the download looks truncated or empty"
        )
    if current is None or force:
        return
    removed = removals(previous, parsed.entries) if previous is not None else None
    gone = removed["entries"].removed if removed else max(current.entry_count - count, 0)
    limit = spec.shrink_limit("entries")
    if gone > current.entry_count * limit:
        share = gone / current.entry_count
        added = count - (current.entry_count - gone)
        change = (
            f"shrink the list from {current.entry_count} to {count} entries"
            if count < current.entry_count
            else f"change the list from {current.entry_count} to {count} entries"
        )
        example = f"; e.g. {removed['entries'].example}" if removed else ""
        raise UpdateRejected(
            f"{spec.id}: the update would {change} ({gone} removed, {added} added: {share:.1%} of the serving "
            f"version's entries{example}), more than the allowed {_percent(limit)} (lists/sources.toml max_shrink); "
            f"rerun with --force if this is a real mass delisting"
        )
    if parsed.format != current.format:
        raise UpdateRejected(
            f"{spec.id}: the update is in format {parsed.format!r} but the serving version is {current.format!r}; "
            f"rerun with --force to accept the format change"
        )
    for measure in MEASURES if removed else ():
        assert removed is not None
        loss, limit = removed[measure], spec.shrink_limit(measure)
        if loss.total and loss.removed > loss.total * limit:
            raise UpdateRejected(
                f"{spec.id}: the update would remove {loss.removed} of the serving version's {loss.total} {measure} "
                f"from entries that stay listed ({loss.share:.1%}; e.g. {loss.example}), more than the allowed "
                f"{_percent(limit)} (lists/sources.toml max_shrink_{measure}): is a file of the set missing or cut "
                f"short? Rerun with --force if the publisher really removed them"
            )
    if parsed.published_at and current.published_at and parsed.published_at < current.published_at:
        raise UpdateRejected(
            f"{spec.id}: the update's publication date {parsed.published_at:%Y-%m-%d} is older than the serving "
            f"version's {current.published_at:%Y-%m-%d}: a stale mirror or cached copy; rerun with --force to go back"
        )


def _percent(share: float) -> str:
    return f"{share * 100:g}%"
