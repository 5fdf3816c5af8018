"""Checks a parsed update must pass before it may replace the serving version.

The parse itself already proved every file is complete and well-formed; these
checks catch what parses but is still wrong: a truncated or emptied list, or a
publisher silently switching formats.
"""

from __future__ import annotations

from service.catalog import ListSpec
from service.sources.parsed import ParsedList
from service.store.snapshots import VersionMeta


class UpdateRejected(Exception):
    """A parsed update failed validation; the last good version keeps serving."""


def validate_update(spec: ListSpec, parsed: ParsedList, current: VersionMeta | None = None, force: bool = False) -> None:
    """Raise UpdateRejected with an operator-readable reason; `force` skips the relative checks."""
    count = len(parsed.entries)
    if count < spec.min_entries:
        raise UpdateRejected(
            f"{spec.id}: {count} entries is below the floor of {spec.min_entries} (lists/sources.toml "
            f"min_entries); the download looks truncated or empty"
        )
    if current is None or force:
        return
    floor = current.entry_count * (1 - spec.max_shrink)
    if count < floor:
        raise UpdateRejected(
            f"{spec.id}: the update would shrink the list from {current.entry_count} to {count} entries, more than "
            f"the allowed {spec.max_shrink:.0%} (lists/sources.toml max_shrink); rerun with --force if this is a real "
            f"mass delisting"
        )
    if parsed.format != current.format:
        raise UpdateRejected(
            f"{spec.id}: the update is in format {parsed.format!r} but the serving version is {current.format!r}; "
            f"rerun with --force to accept the format change"
        )
