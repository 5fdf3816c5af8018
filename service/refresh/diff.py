"""What changed between two versions of a list, by stable entry id.

An entry counts as changed when a field that matters for screening differs:
names, type, programs, addresses, dates and places of birth, nationalities,
identifiers, legal basis and tags. Free-text remarks and titles are left out:
OFAC rewords them without changing who is listed, and a re-screen of every
registered party against a reworded remark would only make noise.

`removals` counts what an update takes away (entries, and the aliases,
addresses and program listings of the entries that stay), for the shrink limits
in service/refresh/validate.py.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

import msgspec

from service.model import Address, Entry

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


# The fields screening_fingerprint covers, by name: what `changed_fields` compares.
SCREENING_FIELDS = (
    "entity_type",
    "names",
    "programs",
    "addresses",
    "dates_of_birth",
    "places_of_birth",
    "nationalities",
    "citizenships",
    "identifiers",
    "vessel",
    "federal_register_notice",
    "start_date",
    "end_date",
    "license_requirement",
    "license_policy",
    "tags",
    "status",
    "merchandise",
    "hs_codes",
)


def changed_fields(old: Entry, new: Entry) -> list[str]:
    """Which screening-relevant fields differ between two versions of one entry."""
    return [name for name in SCREENING_FIELDS if getattr(old, name) != getattr(new, name)]


def screening_fingerprint(entry: Entry) -> str:
    """Hash of the screening-relevant fields of one entry."""
    relevant: tuple[object, ...] = (
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
    if entry.status or entry.merchandise or entry.hs_codes:
        # Only when set, so that the hashes of every other entry (and the dispositions that
        # hold them) stay what they were before these fields existed.
        relevant += (entry.status, entry.merchandise, entry.hs_codes)
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


# What an update removes, beyond whole entries: measured on the entries that stay
# listed, since a removed entry's aliases, addresses and programs go with it and
# the entry limit already counts that. A set missing alt.csv or add.csv, or a
# parser that stops reading a column, shows up here and nowhere else.
MEASURES = ("aliases", "addresses", "programs")


class Removal(msgspec.Struct, frozen=True):
    measure: str
    removed: int
    # How many the serving version holds (entries, or the measure over all its entries).
    total: int
    # One thing removed, for the operator: "entry 306: 'NATIONAL BANK OF CUBA'".
    example: str = ""

    @property
    def share(self) -> float:
        return self.removed / self.total if self.total else 0.0


def _parts(entry: Entry) -> dict[str, Counter[object]]:
    return {
        "aliases": Counter(name.value for name in entry.names[1:]),
        "addresses": Counter(entry.addresses),
        "programs": Counter(entry.programs),
    }


def _show(value: object) -> str:
    if isinstance(value, Address):
        return repr(", ".join(part for part in (*value.lines, value.locality, value.city, value.country_name) if part))
    return repr(value)


def removals(old: Iterable[Entry], new: Iterable[Entry]) -> dict[str, Removal]:
    """Per measure ("entries", then MEASURES): how many of the serving version's the update removes."""
    after = {entry.entry_id: entry for entry in new}
    removed = dict.fromkeys(("entries", *MEASURES), 0)
    total = dict.fromkeys(("entries", *MEASURES), 0)
    examples: dict[str, str] = {}
    for entry in old:
        total["entries"] += 1
        before_parts = _parts(entry)
        for measure, values in before_parts.items():
            total[measure] += sum(values.values())
        kept = after.get(entry.entry_id)
        if kept is None:
            removed["entries"] += 1
            examples.setdefault("entries", f"entry {entry.entry_id} {entry.primary_name!r}")
            continue
        after_parts = _parts(kept)
        for measure, values in before_parts.items():
            lost = values - after_parts[measure]
            if lost:
                removed[measure] += sum(lost.values())
                examples.setdefault(measure, f"entry {entry.entry_id}: {_show(next(iter(lost)))}")
    return {m: Removal(m, removed[m], total[m], examples.get(m, "")) for m in removed}
