"""What changed between two versions of a list, by stable entry id.

An entry counts as changed when a field that matters for screening differs:
names, type, programs, addresses, dates and places of birth, nationalities,
identifiers, legal basis and tags. Free-text remarks and titles are left out:
OFAC rewords them without changing who is listed, and a re-screen of every
registered party against a reworded remark would only make noise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import msgspec

from service.model import Entry

_ENCODER = msgspec.msgpack.Encoder()


class ListDiff(msgspec.Struct, frozen=True):
    list_id: str
    version: str
    previous_version: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def screening_fingerprint(entry: Entry) -> str:
    """Hash of the screening-relevant fields of one entry."""
    relevant = (
        entry.entity_type.value,
        entry.names,
        entry.programs,
        entry.addresses,
        entry.dates_of_birth,
        entry.places_of_birth,
        entry.nationalities,
        entry.citizenships,
        entry.identifiers,
        entry.vessel,
        entry.federal_register_notice,
        entry.start_date,
        entry.end_date,
        entry.license_requirement,
        entry.license_policy,
        entry.tags,
    )
    return hashlib.blake2b(_ENCODER.encode(relevant), digest_size=12).hexdigest()


def diff_entries(
    list_id: str, version: str, previous_version: str | None, old: Iterable[Entry], new: Iterable[Entry]
) -> ListDiff:
    before = {entry.entry_id: screening_fingerprint(entry) for entry in old}
    after = {entry.entry_id: screening_fingerprint(entry) for entry in new}
    return ListDiff(
        list_id=list_id,
        version=version,
        previous_version=previous_version,
        added=tuple(sorted(after.keys() - before.keys(), key=_id_order)),
        removed=tuple(sorted(before.keys() - after.keys(), key=_id_order)),
        changed=tuple(sorted((k for k in after.keys() & before.keys() if after[k] != before[k]), key=_id_order)),
    )


def _id_order(entry_id: str) -> tuple[int, str]:
    """Numeric OFAC ids in numeric order, other ids after them alphabetically."""
    return (int(entry_id), "") if entry_id.isdigit() else (1 << 62, entry_id)
