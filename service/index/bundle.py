"""Everything a set of list versions is indexed into, built once and stored for every process.

Building the index of the full SDN takes seconds of CPU (tokens, legal forms, weights,
phonetic keys and a deletion index of ~400,000 variants). It depends only on the
entries and on the code that builds it, so it is built once per set of list versions
(`index_key`), stored beside them (service.store.index_blobs), and every other process
restores it instead: decoding, not building.

The stored form is a framed value (service.store.framed) of small parts, each a slice
of one field, so a process restores it part by part with the event loop running in
between (`restore_steps`): a list swap never holds the loop for long, whatever the size.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import msgspec
import numpy as np

from service.index.evidence import EntryEvidence
from service.index.fuzzy_index import FuzzyIndex, IndexedTokens
from service.index.linking import EntryKey, Link, link_entries
from service.index.name_index import IndexedName, NameIndex, StoredNameIndex
from service.model import Entry
from service.store.framed import FramedError, frame, part_count, parts

# Bump when the stored layout changes (the builder's code is fingerprinted on its own).
INDEX_FORMAT = 1
# Items per part: each part decodes in about a millisecond.
DICT_ITEMS_PER_PART = 3_000
LIST_ITEMS_PER_PART = 800
# The code an index depends on: a change to any of these files is a new index.
_BUILDER_PACKAGES = ("service/index", "service/normalize")
# ... and the libraries it calls: another release may spell a token or a phonetic key differently.
_BUILDER_LIBRARIES = ("anyascii", "jellyfish", "pycountry", "rapidfuzz", "msgspec", "numpy")


@dataclass(frozen=True)
class IndexBundle:
    names: NameIndex
    fuzzy: FuzzyIndex
    # (list_id, entry_id) -> the same party's listings on other lists.
    links: Mapping[EntryKey, tuple[Link, ...]]


def build_bundle(entries: Sequence[Entry]) -> IndexBundle:
    names = NameIndex(entries)
    return IndexBundle(names, FuzzyIndex(names), link_entries(names.entries, names.evidence))


class ListPart(msgspec.Struct, array_like=True, frozen=True):
    """One list's share of the entries an index covers, in index order."""

    list_id: str
    version: str
    entries: int


@cache
def builder_fingerprint() -> str:
    """Hash of the index-building code, so an upgraded process never restores an index built by other code."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(f"format {INDEX_FORMAT}".encode())
    for library in _BUILDER_LIBRARIES:
        digest.update(f"{library}={importlib.metadata.version(library)}".encode())
    for package in _BUILDER_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def index_key(lists: Sequence[ListPart]) -> str:
    """Content address of the index of these list versions (in this order) built by this code."""
    digest = hashlib.sha256(builder_fingerprint().encode())
    for part in lists:
        digest.update(f"\n{part.list_id}={part.version}:{part.entries}".encode())
    return digest.hexdigest()[:32]


# ------------------------------------------------------------------ stored form

# (section, field) -> how each slice is decoded; the order is the restore order.
_FIELDS: dict[tuple[str, str], Any] = {
    ("names", "evidence"): list[EntryEvidence],
    ("names", "names"): list[IndexedName],
    ("names", "by_key"): dict[str, tuple[int, ...]],
    ("fuzzy", "records"): list[IndexedTokens],
    ("fuzzy", "postings"): dict[str, tuple[int, int]],
    ("fuzzy", "flat_postings"): np.int32,
    ("fuzzy", "weights"): dict[str, float],
    ("fuzzy", "raw_weights"): dict[str, float],
    ("fuzzy", "max_weight"): float,
    ("fuzzy", "record_weight_array"): np.float32,
    ("fuzzy", "by_phonetic"): dict[str, str],
    ("fuzzy", "by_romanisation"): dict[str, str],
    ("fuzzy", "by_consonants"): dict[str, str],
    ("fuzzy", "deletions"): dict[int, dict[str, str]],
    ("links", "links"): list[tuple[str, str, tuple[Link, ...]]],
}
_ARRAYS = {("fuzzy", "flat_postings"), ("fuzzy", "record_weight_array")}
_DECODERS = {key: msgspec.msgpack.Decoder(kind) for key, kind in _FIELDS.items() if key not in _ARRAYS}


class _PartHeader(msgspec.Struct, array_like=True, frozen=True):
    section: str
    field: str
    kind: str  # list | dict | shards | array | value


class _Header(msgspec.Struct, frozen=True):
    format: int
    key: str
    lists: tuple[ListPart, ...]
    parts: tuple[_PartHeader, ...]


_HEADER = msgspec.msgpack.Decoder(_Header)
_ENCODER = msgspec.msgpack.Encoder()


class StoredIndexError(ValueError):
    """A stored index that cannot be restored over these entries (it is then rebuilt)."""


def encode_bundle(bundle: IndexBundle, lists: Sequence[ListPart]) -> bytes:
    fields = {
        "names": bundle.names.stored_fields(),
        "fuzzy": bundle.fuzzy.stored_fields(),
        "links": {"links": [(list_id, entry_id, links) for (list_id, entry_id), links in bundle.links.items()]},
    }
    headers: list[_PartHeader] = []
    payloads: list[bytes] = []
    for section, name in _FIELDS:
        value = fields[section][name]
        for kind, payload in _slices(value):
            headers.append(_PartHeader(section, name, kind))
            payloads.append(payload)
    header = _Header(INDEX_FORMAT, index_key(lists), tuple(lists), tuple(headers))
    return frame([_ENCODER.encode(header), *payloads], level=1)


def _slices(value: Any) -> Iterator[tuple[str, bytes]]:
    if isinstance(value, np.ndarray):
        yield "array", value.tobytes()
    elif isinstance(value, dict) and value and all(isinstance(shard, dict) for shard in value.values()):
        # Sharded dicts: each part a slice of one shard.
        for shard_key, shard in value.items():
            items = list(shard.items())
            for start in range(0, len(items), DICT_ITEMS_PER_PART):
                yield "shards", _ENCODER.encode({shard_key: dict(items[start : start + DICT_ITEMS_PER_PART])})
    elif isinstance(value, dict):
        items = list(value.items())
        for start in range(0, max(1, len(items)), DICT_ITEMS_PER_PART):
            yield "dict", _ENCODER.encode(dict(items[start : start + DICT_ITEMS_PER_PART]))
    elif isinstance(value, list | tuple):
        for start in range(0, max(1, len(value)), LIST_ITEMS_PER_PART):
            yield "list", _ENCODER.encode(list(value[start : start + LIST_ITEMS_PER_PART]))
    else:
        yield "value", _ENCODER.encode(value)


class BundleRestore:
    """Restores a stored index over `entries`, one part per step.

    Iterate `steps()` (the caller yields to its event loop between steps), then read
    `bundle`. Raises StoredIndexError when the stored index is for other entries.
    """

    def __init__(self, blob: bytes, entries: Sequence[Entry], lists: Sequence[ListPart]) -> None:
        self._blob = blob
        self._entries = entries
        self._lists = tuple(lists)
        self.bundle: IndexBundle | None = None
        self.parts = 0

    def steps(self) -> Iterator[None]:
        # Whatever is wrong with stored bytes (cut, overwritten, another layout) is a
        # StoredIndexError, so that the caller drops the value and rebuilds it.
        try:
            yield from self._steps()
        except StoredIndexError:
            raise
        except (FramedError, msgspec.DecodeError, ValueError, TypeError) as exc:
            raise StoredIndexError(f"stored index unreadable: {type(exc).__name__}: {exc}") from exc

    def _steps(self) -> Iterator[None]:
        stream = parts(self._blob)
        first = next(stream, None)
        if first is None:
            raise StoredIndexError("stored index has no header")
        header = _HEADER.decode(first)
        if header.format != INDEX_FORMAT or header.key != index_key(self._lists) or header.lists != self._lists:
            raise StoredIndexError(f"stored index {header.key} (format {header.format}) is not for these lists")
        if len(header.parts) + 1 != part_count(self._blob):
            raise StoredIndexError("stored index has a different number of parts than its header lists")
        fields: dict[str, dict[str, Any]] = {"names": {}, "fuzzy": {}, "links": {}}
        for part, payload in zip(header.parts, stream, strict=True):
            self._add(fields[part.section], part, payload)
            self.parts += 1
            yield
        missing = [f"{s}.{n}" for s, n in _FIELDS if n not in fields[s]]
        if missing:
            raise StoredIndexError(f"stored index lacks {', '.join(missing)}")
        try:
            # Each field decoded as _FIELDS types it, and none missing (checked above).
            names = NameIndex.restore(self._entries, cast(StoredNameIndex, fields["names"]))
            fuzzy = FuzzyIndex.restore(names, fields["fuzzy"])
        except ValueError as exc:
            raise StoredIndexError(str(exc)) from exc
        yield
        links = {(list_id, entry_id): tuple(found) for list_id, entry_id, found in fields["links"]["links"]}
        self.bundle = IndexBundle(names, fuzzy, links)

    @staticmethod
    def _add(target: dict[str, Any], part: _PartHeader, payload: bytes) -> None:
        key = (part.section, part.field)
        if key not in _FIELDS:
            raise StoredIndexError(f"stored index has an unknown field {part.section}.{part.field}")
        if part.kind == "array" and key in _ARRAYS:
            target[part.field] = np.frombuffer(payload, dtype=_FIELDS[key])
            return
        try:
            value = _DECODERS[key].decode(payload)
        except (KeyError, msgspec.DecodeError) as exc:
            raise StoredIndexError(f"stored index part {part.section}.{part.field} unreadable: {exc}") from exc
        if part.kind == "value":
            target[part.field] = value
        elif part.kind == "dict":
            target.setdefault(part.field, {}).update(value)
        elif part.kind == "shards":
            shards = target.setdefault(part.field, {})
            for shard_key, shard in value.items():
                shards.setdefault(shard_key, {}).update(shard)
        else:
            target.setdefault(part.field, []).extend(value)
