"""OFAC's legacy CSV set: sdn.csv + add.csv + alt.csv + sdn_comments.csv.

The same layout serves the non-SDN consolidated list (cons_prim.csv, cons_add.csv,
cons_alt.csv, cons_comments.csv). Format facts (OFAC "SDN Data Specification", and
the real files under shared/data): no header row, `-0-` for an empty field (often
followed by a space), CRLF line ends, ASCII text, a trailing 0x1A (Ctrl-Z) byte,
and Remarks that continue in the comments file when they did not fit. Whether a
set is whole (end markers, encoding, spill-over) is checked in legacy_files.py;
which files a set must have is the catalogue's `required` (see
LegacyFileNames.essential): this parser reads whatever subset it is given, since
`refresh --force` may publish a set without its alias or address file.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping

from service.model import Address, EntityType, Entry, Name, NameKind, Vessel
from service.model.entry import AliasStrength
from service.normalize.countries import country_code
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_files import (
    CONSOLIDATED_FILES,
    REMARKS_LIMIT,
    SDN_FILES,
    LegacyFileNames,
    check_spillover,
    file_text,
)
from service.sources.ofac.remarks import parse_remarks

__all__ = [
    "CONSOLIDATED_FILES",
    "SDN_FILES",
    "LegacyFileNames",
    "parse_legacy_csv",
    "read_legacy_set",
    "split_programs",
]

_COLUMNS = {"primary": 12, "addresses": 6, "aliases": 5, "comments": 2}
_ENTITY_TYPES = {
    "individual": EntityType.INDIVIDUAL,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
    "": EntityType.ORGANIZATION,  # OFAC writes -0- for entities
}
_ALIAS_KINDS = {"aka": NameKind.AKA, "fka": NameKind.FKA, "nka": NameKind.NKA}


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else value


def _rows(name: str, text: str, columns: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank row, checking the column count."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != columns:
                raise ListFileError(name, f"expected {columns} columns, found {len(row)}", reader.line_num)
            if not row[0].strip().isdigit():
                raise ListFileError(name, f"ent_num {row[0].strip()!r} is not a number", reader.line_num)
            yield reader.line_num, row
    except csv.Error as exc:
        raise ListFileError(name, f"malformed CSV: {exc}", reader.line_num) from exc


def parse_legacy_csv(
    list_id: str, files: Mapping[str, bytes], names: LegacyFileNames = SDN_FILES, forced: bool = False
) -> list[Entry]:
    """Entries from a legacy CSV set (see read_legacy_set); the notes are dropped."""
    return read_legacy_set(list_id, files, names, forced)[0]


def read_legacy_set(
    list_id: str, files: Mapping[str, bytes], names: LegacyFileNames = SDN_FILES, forced: bool = False
) -> tuple[list[Entry], list[str]]:
    """Entries from a legacy CSV set, and notes on what was read leniently or is missing.

    Only the primary file must be there; `forced` (refresh --force) reads a file
    without its end marker, or a comments file lacking continuations, with a note.
    """
    if names.primary not in files:
        raise ListFileError(names.primary, "required file is missing")
    notes: list[str] = []
    texts = {
        name: file_text(name, files[name], name in names.marked, forced, notes) for name in names.all if name in files
    }
    if not texts[names.primary].strip():
        raise ListFileError(names.primary, "the file is empty")

    addresses: dict[str, list[Address]] = defaultdict(list)
    for _, row in _rows(names.addresses, texts.get(names.addresses, ""), _COLUMNS["addresses"]):
        ent_num, _add_num, street, locality, country, _remarks = (_field(v) for v in row)
        addresses[ent_num].append(
            Address(
                lines=(street,) if street else (),
                locality=locality,
                country_name=country,
                country=country_code(country),
            )
        )

    aliases: dict[str, list[Name]] = defaultdict(list)
    for line, row in _rows(names.aliases, texts.get(names.aliases, ""), _COLUMNS["aliases"]):
        ent_num, _alt_num, alt_type, alt_name, _alt_remarks = (_field(v) for v in row)
        kind = _ALIAS_KINDS.get(alt_type.lower().replace(".", ""))
        if kind is None:
            raise ListFileError(names.aliases, f"unknown alias type {alt_type!r}", line)
        if alt_name:
            aliases[ent_num].append(Name(alt_name, kind))

    continued_remarks: dict[str, str] = defaultdict(str)
    for _, row in _rows(names.comments, texts.get(names.comments, ""), _COLUMNS["comments"]):
        # The comments file holds the rest of a Remarks value cut at a fixed width,
        # so it is appended with no separator.
        continued_remarks[row[0].strip()] += row[1]

    entries: list[Entry] = []
    seen: set[str] = set()
    # ent_num -> line of each Remarks cut at the column limit: it must continue in the comments file.
    cut_remarks: dict[str, int] = {}
    for line, row in _rows(names.primary, texts[names.primary], _COLUMNS["primary"]):
        (ent_num, name, sdn_type, programs, title, call_sign, vessel_type,
         tonnage, grt, vessel_flag, vessel_owner, _) = (_field(v) for v in row)  # fmt: skip
        if not name:
            raise ListFileError(names.primary, f"entry {ent_num} has no name", line)
        if ent_num in seen:
            raise ListFileError(names.primary, f"entry {ent_num} appears twice", line)
        seen.add(ent_num)
        entity_type = _ENTITY_TYPES.get(sdn_type.lower())
        if entity_type is None:
            raise ListFileError(names.primary, f"unknown SDN_Type {sdn_type!r}", line)
        # Not stripped before joining: a Remarks value cut right after a space
        # must keep it ("... 1027700070518 " + "(Russia); ...").
        raw_remarks = "" if row[11].strip() == "-0-" else row[11].lstrip()
        if len(row[11]) >= REMARKS_LIMIT:
            cut_remarks[ent_num] = line
        remarks = (raw_remarks + continued_remarks.get(ent_num, "")).strip()
        facts = parse_remarks(remarks)
        weak = [Name(alias, kind, AliasStrength.WEAK) for alias, kind in facts.weak_aliases]
        vessel = None
        if any((call_sign, vessel_type, tonnage, grt, vessel_flag, vessel_owner)):
            vessel = Vessel(call_sign, vessel_type, tonnage, grt, vessel_flag, vessel_owner)
        entries.append(
            Entry(
                list_id=list_id,
                entry_id=ent_num,
                entity_type=entity_type,
                names=(Name(name), *aliases.get(ent_num, ()), *weak),
                programs=split_programs(programs),
                addresses=tuple(addresses.get(ent_num, ())),
                dates_of_birth=tuple(facts.dates_of_birth),
                places_of_birth=tuple(facts.places_of_birth),
                nationalities=tuple(facts.nationalities),
                citizenships=tuple(facts.citizenships),
                identifiers=tuple(facts.identifiers),
                gender=facts.gender,
                title=title,
                remarks=remarks,
                linked_to=tuple(facts.linked_to),
                vessel=vessel,
            )
        )
    check_spillover(names, cut_remarks, set(continued_remarks), names.comments in files, forced, notes)
    return entries, notes


def split_programs(programs: str) -> tuple[str, ...]:
    """'VENEZUELA] [IRAN-CON-ARMS-EO' -> ('VENEZUELA', 'IRAN-CON-ARMS-EO')."""
    parts = (part.strip(" []") for part in programs.split("] ["))
    return tuple(part for part in parts if part)
