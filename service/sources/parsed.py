"""What a source hands on after parsing: entries plus where they came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

import msgspec

from service.model import Entry

# Set in a format's options by the publisher only when an operator forces an update
# (`refresh --force`): each parser decides what it then reads with a note instead of
# rejecting (a CSL record cut mid-field, an OFAC file without its end marker ...).
FORCED_OPTION = "accept_truncated_last_record"


class SourceFile(msgspec.Struct, frozen=True):
    name: str
    sha256: str
    size: int


class ParsedList(msgspec.Struct, frozen=True):
    list_id: str
    # Format id from the catalogue, e.g. "ofac_legacy_csv".
    format: str
    entries: tuple[Entry, ...]
    files: tuple[SourceFile, ...]
    # Where the files came from: a directory path or the URLs.
    origin: str
    # Publication time stated inside the files (OFAC XML Publish_Date), if any.
    published_at: datetime | None = None
    # Newest date the data itself states (publication, listing or effective date).
    data_date: date | None = None
    # What the parser noticed and worked around (merged rows, dropped records ...).
    notes: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return content_version(self.format, self.files)


@dataclass(frozen=True)
class ParseResult:
    """What every parser returns."""

    entries: list[Entry]
    # Publication time the files state (OFAC XML Publish_Date), if any.
    published_at: datetime | None = None
    # Newest date in the data: publish date, or newest listing / effective date.
    data_date: date | None = None
    # Rows skipped on purpose (e.g. CSL rows of lists another source is authoritative for).
    skipped_rows: int = 0
    notes: list[str] = field(default_factory=list)


def describe_file(name: str, data: bytes) -> SourceFile:
    return SourceFile(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def content_version(format_id: str, files: tuple[SourceFile, ...]) -> str:
    """Version id from the publisher's bytes: the same files give the same version."""
    digest = hashlib.sha256(format_id.encode())
    for source_file in sorted(files, key=lambda f: f.name):
        digest.update(f"\0{source_file.name}\0{source_file.sha256}".encode())
    return digest.hexdigest()[:16]
