"""Checks a parsed update must pass before it may replace the serving version."""

from __future__ import annotations

from service.catalog import ListSpec
from service.sources.parsed import ParsedList


class UpdateRejected(Exception):
    """A parsed update failed validation; the last good version keeps serving."""


def validate_update(spec: ListSpec, parsed: ParsedList) -> None:
    count = len(parsed.entries)
    if count < spec.min_entries:
        raise UpdateRejected(
            f"{spec.id}: {count} entries is below the floor of {spec.min_entries} (lists/sources.toml "
            f"min_entries); the download looks truncated or empty"
        )
