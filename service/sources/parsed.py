"""What a source hands on after parsing: entries plus where they came from."""

from __future__ import annotations

import hashlib
from datetime import datetime

import msgspec

from service.model import Entry


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

    @property
    def version(self) -> str:
        return content_version(self.format, self.files)


def describe_file(name: str, data: bytes) -> SourceFile:
    return SourceFile(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def content_version(format_id: str, files: tuple[SourceFile, ...]) -> str:
    """Version id from the publisher's bytes: the same files give the same version."""
    digest = hashlib.sha256(format_id.encode())
    for source_file in sorted(files, key=lambda f: f.name):
        digest.update(f"\0{source_file.name}\0{source_file.sha256}".encode())
    return digest.hexdigest()[:16]
