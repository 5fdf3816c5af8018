"""Every identifier of every loaded entry, by the key it is compared by: a lookup is one dict probe.

Built with the name index, from the same entries, whenever a set of list versions is loaded.
An identifier that normalises to nothing comparable (too short) is left out; one whose check
digit fails is kept as published (a publisher's typo still names the entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from service.identifiers.kinds import KINDS, Kind, listed_kind
from service.identifiers.normalize import normalize
from service.model import Entry


@dataclass(frozen=True, slots=True)
class Listed:
    """One identifier as a list publishes it, on one entry."""

    list_id: str
    entry_id: str
    kind: Kind
    label: str  # the list's own label: "Vessel Registration Identification"
    value: str  # as published: "IMO 7406784"
    country: str = ""  # the issuer's ISO code, "" when the list does not say


class IdentifierIndex:
    def __init__(self, by_key: dict[str, list[Listed]] | None = None) -> None:
        self._by_key = by_key if by_key is not None else {}

    @classmethod
    def build(cls, entries: Sequence[Entry]) -> IdentifierIndex:
        by_key: dict[str, list[Listed]] = {}
        for _ in index_steps(entries, by_key, per_step=len(entries) or 1):
            pass
        return cls(by_key)

    def lookup(self, key: str) -> Sequence[Listed]:
        return self._by_key.get(key, ())

    def __len__(self) -> int:
        return len(self._by_key)


def index_steps(entries: Sequence[Entry], into: dict[str, list[Listed]], per_step: int = 2_000) -> Iterator[None]:
    """Fill `into` (key -> the listed identifiers with that key) a few thousand entries at a time,
    for a loader that keeps its event loop answering between steps."""
    for start in range(0, len(entries), per_step):
        for entry in entries[start : start + per_step]:
            for key, listed in _identifiers_of(entry):
                found = into.setdefault(key, [])
                if listed not in found:
                    found.append(listed)
        yield


def _identifiers_of(entry: Entry) -> Iterable[tuple[str, Listed]]:
    for identifier in entry.identifiers:
        known = listed_kind(identifier.type)
        if known is None:
            continue
        kind, chain = known
        key = normalize(kind, identifier.value, chain).key
        if key:
            yield (
                key,
                Listed(entry.list_id, entry.entry_id, kind, identifier.type, identifier.value, identifier.country),
            )
    # A vessel's call sign is a column of its own in OFAC's files, not an identifier.
    if entry.vessel is not None and entry.vessel.call_sign:
        call_sign = entry.vessel.call_sign
        key = normalize(KINDS["call_sign"], call_sign).key
        if key:
            yield key, Listed(entry.list_id, entry.entry_id, KINDS["call_sign"], "Vessel Call Sign", call_sign)
