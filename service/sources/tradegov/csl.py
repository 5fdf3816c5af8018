"""trade.gov's Consolidated Screening List (CSL) -> canonical entries.

The CSL merges eleven US lists (Commerce/BIS: Entity List, Denied Persons, Unverified,
Military End User; State: ISN nonproliferation sanctions, ITAR debarred; Treasury:
SDN and the non-SDN lists) into one file, published as `consolidated.csv` and
`consolidated.json` with the same field names. Each row names its list in
`source` ("Entity List (EL) - Bureau of Industry and Security"); a list in our
catalogue takes the rows of the sources its format options name and skips the rest.

Format facts, from the real files:
- CSV: UTF-8, one header line (real copies repeat it as the first data row, so
  rows whose `source` is "source" are skipped), fields quoted, multi-line fields
  possible. Multi-valued fields are "; "-separated; an address is one
  ", "-joined string "street, city, state, postal code, ISO2 country".
- JSON: {"results": [{...}]} with the CSV's field names; multi-valued fields are
  arrays, `addresses` objects {address, city, state, postal_code, country} and
  `ids` objects {type, number, country, issue_date, expiration_date}.
- BIS and State rows have no `type` and no `entity_number`; only OFAC rows carry
  OFAC's ent_num in `entity_number`.
- The CSV's `ids` items are "Type, Number[, Country[, Issued[, Expires]]]"; Treasury
  also puts notes there ("Secondary sanctions risk:, ...", "Gender, Male").
- Text is as published: BIS rows pad names with spaces, Entity List alias and address
  enumerations end in "; and <last one>", and some non-ASCII characters arrive as "?".

Both formats are read into the same `_Row` shape (CSV strings split exactly the way
the JSON arrays are composed), so one mapping turns either into `Entry` values and the
same content gives equal entries whichever file it came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from service.model import Address, EntityType, Entry, Identifier, Name, NameKind, Vessel
from service.normalize.countries import country_code, is_country_code
from service.normalize.names import name_tokens
from service.sources.errors import ListFileError
from service.sources.parsed import FORCED_OPTION, ParseResult
from service.sources.text import decode_text

CSL_CSV = "consolidated.csv"
CSL_JSON = "consolidated.json"
# Format option naming the CSL `source` values a list takes (full names, as published).
SOURCES_OPTION = "sources"
# Set by the publisher only when an operator forces an update (`refresh --force`):
# a file whose last record is cut mid-field is then read without that record, even
# when that record belongs to the list being read.
ACCEPT_TRUNCATED_OPTION = FORCED_OPTION

# Columns the mapping reads; `_id` and `source_information_url` are not used.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "ids",
)
_LIST_FIELDS = ("programs", "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth")
_SCALAR_FIELDS = tuple(f for f in REQUIRED_COLUMNS if f not in _LIST_FIELDS and f not in ("addresses", "ids"))
_ADDRESS_PARTS = ("address", "city", "state", "postal_code", "country")

_ENTITY_TYPES = {
    "entity": EntityType.ORGANIZATION,
    "individual": EntityType.INDIVIDUAL,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
    # BIS and State rows carry no type at all, and the DPL, DTC and Entity List
    # hold persons as well as companies: say "unknown" rather than guess, so a
    # party's own type is never held against a match on these lists.
    "": EntityType.UNKNOWN,
}
_OFAC_SOURCE_SUFFIX = "Treasury Department"

_ITEM_SEPARATOR = re.compile(r";\s+")
# Entity List enumerations: "Hanif; and Habib Rahman", "...China; and 21 Changsheng Street, ...".
_LEADING_AND = re.compile(r"^and\s+")
# ISN/BIS names that extend the listing to successors, in the variants the CSL uses:
# "X; and any successor, sub-unit, or subsidiary thereof", "X and any successor, ...",
# "X, and its sub-units and successors". Screening must also match plain "X".
_SUCCESSOR_CLAUSE = re.compile(
    r"^(?P<base>.*?\S)\s*[;,]?\s+and\s+(?:any\s+successors?\b|its\s+sub-units\s+and\s+successors\b).*$",
    re.IGNORECASE | re.DOTALL,
)
_SOURCE_ABBREVIATION = re.compile(r"\(([^()]+)\)")
# "Registration ID, 1026303117642 (Russia)": the older OFAC style puts the country in the number.
_VALUE_WITH_COUNTRY = re.compile(r"^(?P<value>.*\S)\s+\((?P<country>[^()]+)\)$")
# `ids` items that are notes, not identifiers (OFAC's idList conventions, as in the XML parser).
_NOTE_ID_TYPE = re.compile(
    r"^(?:Additional Sanctions Information|For more information|Secondary sanctions risk"
    r"|Transactions Prohibited For Persons|Executive Order \d+ (?:Directive|information)"
    r"|CAATSA Section|IFCA Determination|Organization Established Date|Organization Type|Target Type"
    r"|Listing Date|Effective Date|Purchase/Sales For)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _RawId:
    type: str
    number: str
    country: str = ""
    issued: str = ""
    expires: str = ""


@dataclass(frozen=True)
class _Row:
    """One CSL row, whichever format it came from."""

    # CSV: the line the record starts on. JSON: None (the label says where).
    line: int | None
    # Prefix for error messages: "" for CSV rows, "results[12]: " for JSON rows.
    label: str
    scalars: Mapping[str, str]
    lists: Mapping[str, tuple[str, ...]]
    # One text per address, as the CSV writes it.
    addresses: tuple[str, ...]
    ids: tuple[_RawId, ...]


# --- public parsers --------------------------------------------------------------------


def parse_csl_csv(list_id: str, files: Mapping[str, bytes], options: Mapping[str, Sequence[str]]) -> ParseResult:
    """Entries of the CSL sources `options["sources"]` names, from consolidated.csv."""
    sources = _sources(CSL_CSV, options)
    if CSL_CSV not in files:
        raise ListFileError(CSL_CSV, "required file is missing")
    rows, notes, cut = _csv_rows(CSL_CSV, files[CSL_CSV])
    if cut is not None:
        notes.append(_accept_cut_record(cut, sources, forced=bool(options.get(ACCEPT_TRUNCATED_OPTION))))
    return _collect(list_id, CSL_CSV, rows, sources, notes)


def parse_csl_json(list_id: str, files: Mapping[str, bytes], options: Mapping[str, Sequence[str]]) -> ParseResult:
    """Entries of the CSL sources `options["sources"]` names, from consolidated.json."""
    sources = _sources(CSL_JSON, options)
    if CSL_JSON not in files:
        raise ListFileError(CSL_JSON, "required file is missing")
    rows, notes = _json_rows(CSL_JSON, files[CSL_JSON])
    return _collect(list_id, CSL_JSON, rows, sources, notes)


def _sources(file_name: str, options: Mapping[str, Sequence[str]]) -> frozenset[str]:
    sources = frozenset(s.strip() for s in options.get(SOURCES_OPTION, ()) if s.strip())
    if not sources:
        raise ListFileError(
            file_name,
            f'the format options name no "{SOURCES_OPTION}": the CSL source names this list takes, '
            'e.g. "Entity List (EL) - Bureau of Industry and Security"',
        )
    return sources


# --- reading the files -------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, bool]:
    """Text of a CSL file and whether it had to be read as Windows-1252 (not UTF-8)."""
    return decode_text(data)


def _check_not_html(file_name: str, text: str, kind: str) -> None:
    """A portal error or maintenance page served with status 200 instead of the file."""
    body = text.lstrip()
    if not body:
        raise ListFileError(file_name, "file is empty", 1)
    if body.startswith("<"):
        line = text[: len(text) - len(body)].count("\n") + 1
        raise ListFileError(file_name, f"received an HTML page, not {kind}", line)


@dataclass(frozen=True)
class _CutRecord:
    """The last record of a CSV file that ends inside a quoted field."""

    file_name: str
    line: int
    # The record's `source`, when the cut falls after that field; None when it is
    # itself cut or missing, so which list the record belonged to is unknown.
    source: str | None


def _accept_cut_record(cut: _CutRecord, sources: frozenset[str], forced: bool) -> str:
    """The status note for reading a file without its cut last record, or ListFileError.

    A file that ends inside a quoted field lost at least its last record. When that
    record belongs to a source this list does not take (the CSL's SDN rows, say, which
    the OFAC files supersede), none of this list's rows is damaged, so the list is
    read and the cut is noted in its status; what the file may have held after the
    cut is unknowable, which is why the entry floor and the shrink limit still apply
    and an HTTP download is checked against its Content-Length first. When the record
    is this list's own, or its source cannot be read, only an operator may accept it.
    """
    where = f"{cut.file_name}:{cut.line}"
    if cut.source is not None and cut.source not in sources:
        return (
            f"{where}: the file ends inside a quoted field of a record from {cut.source!r}, "
            "which this list does not take; that record was skipped"
        )
    if forced:
        return f"{where}: the file ends inside a quoted field; that last record was dropped (forced)"
    whose = "a record of this list" if cut.source is not None else "a record whose source is cut too"
    raise ListFileError(
        cut.file_name,
        f"the file ends inside a quoted field of {whose} (truncated download?); --force drops that record",
        cut.line,
    )


def _cut_record(file_name: str, text: str, start: int, header: list[str] | None) -> _CutRecord:
    """Read what is left of the record starting on physical line `start`."""
    lines = io.StringIO(text, newline="").readlines()
    tail = "".join(lines[start - 1 :])
    partial = next(csv.reader(io.StringIO(tail, newline=""), strict=False), [])
    source: str | None = None
    if header is not None and "source" in header:
        position = header.index("source")
        # Complete only if a later field was started after it.
        if position < len(partial) - 1:
            source = partial[position].strip()
    return _CutRecord(file_name, start, source)


def _csv_rows(file_name: str, data: bytes) -> tuple[list[_Row], list[str], _CutRecord | None]:
    text, fallback = decode(data)
    notes = [f"{file_name} is not valid UTF-8; read as Windows-1252"] if fallback else []
    _check_not_html(file_name, text, "CSV")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[_Row] = []
    consumed = 0  # physical lines read so far
    cut: _CutRecord | None = None
    while True:
        start = consumed + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc):
                cut = _cut_record(file_name, text, start, header)
                break
            raise ListFileError(file_name, f"malformed CSV: {exc}", start) from exc
        consumed = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if header is None:
            header = [column.strip() for column in record]
            missing = [column for column in REQUIRED_COLUMNS if column not in header]
            if missing:
                names = ", ".join(repr(column) for column in missing)
                raise ListFileError(file_name, f"header has no column {names}", start)
            index = {column: header.index(column) for column in REQUIRED_COLUMNS}
            continue
        if len(record) != len(header):
            raise ListFileError(file_name, f"expected {len(header)} fields, found {len(record)}", start)
        values = {column: record[position] for column, position in index.items()}
        if values["source"].strip() == "source":
            continue  # the header line again (real files repeat it)
        rows.append(
            _Row(
                line=start,
                label="",
                scalars={field: values[field] for field in _SCALAR_FIELDS},
                lists={field: _split(values[field]) for field in _LIST_FIELDS},
                addresses=_split(values["addresses"]),
                ids=tuple(_csv_id(item) for item in _split(values["ids"])),
            )
        )
    if header is None:
        raise ListFileError(file_name, "file is empty", 1)
    return rows, notes, cut


def _json_rows(file_name: str, data: bytes) -> tuple[list[_Row], list[str]]:
    text, fallback = decode(data)
    notes = [f"{file_name} is not valid UTF-8; read as Windows-1252"] if fallback else []
    _check_not_html(file_name, text, "JSON")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListFileError(file_name, f"malformed JSON: {exc.msg}", exc.lineno) from exc
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise ListFileError(file_name, 'expected an object with a "results" array')
    rows: list[_Row] = []
    for position, result in enumerate(results):
        label = f"results[{position}]: "
        if not isinstance(result, dict):
            raise ListFileError(file_name, f"{label}expected an object, found {type(result).__name__}")
        rows.append(
            _Row(
                line=None,
                label=label,
                scalars={field: _json_text(file_name, label, field, result.get(field)) for field in _SCALAR_FIELDS},
                lists={field: _json_list(file_name, label, field, result.get(field)) for field in _LIST_FIELDS},
                addresses=_json_addresses(file_name, label, result.get("addresses")),
                ids=_json_ids(file_name, label, result.get("ids")),
            )
        )
    return rows, notes


def _split(value: str) -> tuple[str, ...]:
    """A "; "-separated CSL field -> its items, stripped, empty ones dropped."""
    return tuple(item for item in (part.strip() for part in _ITEM_SEPARATOR.split(value)) if item)


def _json_text(file_name: str, label: str, field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ListFileError(file_name, f"{label}{field} should be text, found {type(value).__name__}")
    return str(value)


def _json_list(file_name: str, label: str, field: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return _split(value)
    if not isinstance(value, list):
        raise ListFileError(file_name, f"{label}{field} should be a list, found {type(value).__name__}")
    # Items are split like the CSV column, so both formats give the same values.
    return tuple(item for value_item in value for item in _split(_json_text(file_name, label, field, value_item)))


def _json_addresses(file_name: str, label: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ListFileError(file_name, f"{label}addresses should be a list, found {type(value).__name__}")
    texts: list[str] = []
    for item in value:
        if isinstance(item, str):
            texts.extend(_split(item))
            continue
        if not isinstance(item, dict):
            raise ListFileError(file_name, f"{label}an address should be an object, found {type(item).__name__}")
        # The CSV's address text is these parts joined with ", "; compose it the same way.
        parts = (_json_text(file_name, label, f"addresses.{part}", item.get(part)).strip() for part in _ADDRESS_PARTS)
        texts.extend(_split(", ".join(part for part in parts if part)))
    return tuple(texts)


def _json_ids(file_name: str, label: str, value: Any) -> tuple[_RawId, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ListFileError(file_name, f"{label}ids should be a list, found {type(value).__name__}")
    ids: list[_RawId] = []
    for item in value:
        if not isinstance(item, dict):
            raise ListFileError(file_name, f"{label}an id should be an object, found {type(item).__name__}")

        def text(key: str, item: dict[str, Any] = item) -> str:
            return _json_text(file_name, label, f"ids.{key}", item.get(key)).strip()

        ids.append(_RawId(text("type"), text("number"), text("country"), text("issue_date"), text("expiration_date")))
    return tuple(ids)


def _csv_id(item: str) -> _RawId:
    """'Passport, E590976, TN, 19 Jun 1987, 18 Jun 1992' -> its parts.

    The CSV writes type, number, country, issue and expiry date joined with ", " and
    leaves the empty trailing ones out. Numbers and notes can hold ", " themselves
    ("Issuer Name, China Telecom Co., Ltd"), so the parts after the number are only
    taken as country and dates when the third part is an ISO code (or empty) and the
    rest look like dates; otherwise everything after the type is the number.
    """
    id_type, _, rest = item.partition(", ")
    parts = [part.strip() for part in rest.split(", ")]
    if 2 <= len(parts) <= 4 and (parts[1] == "" or _is_iso_code(parts[1])):
        dates = parts[2:]
        if all(any(ch.isdigit() for ch in when) for when in dates):
            return _RawId(
                id_type.strip(), parts[0], parts[1], dates[0] if dates else "", dates[1] if len(dates) > 1 else ""
            )
    return _RawId(id_type.strip(), rest.strip())


def _is_iso_code(text: str) -> bool:
    return len(text) == 2 and text.isupper() and is_country_code(text)


# --- mapping a row -------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Whitespace runs (incl. line breaks inside a field) -> one space; ends stripped."""
    return " ".join(text.split())


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _names(primary: str, aliases: Iterable[str]) -> tuple[Name, ...]:
    """Primary first, then distinct aliases; names reducing to the same tokens are kept once."""
    names = [Name(primary)]
    seen = {name_tokens(primary)}
    candidates: list[str] = []
    for value in (primary, *aliases):
        value = _LEADING_AND.sub("", value)
        if value != primary:
            candidates.append(value)
        successor = _SUCCESSOR_CLAUSE.match(value)
        if successor:
            candidates.append(successor["base"].rstrip(" ;,"))
    for value in candidates:
        tokens = name_tokens(value)
        if tokens and tokens not in seen:
            seen.add(tokens)
            names.append(Name(value, NameKind.AKA))
    return tuple(names)


def _address(text: str) -> Address | None:
    """'Komitas 26/114, Yerevan, Armenia, AM' -> Address(lines=(text,), country='AM').

    The last ", " part is the country, an ISO code in nearly all rows; some rows
    write a name ("..., Tehran, Iran, ") and US addresses on the DPL often end at
    the ZIP code, which leaves the country empty.
    """
    text = _LEADING_AND.sub("", _clean(text)).rstrip(" ,;")
    if not text:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    last = parts[-1] if parts else ""
    code = country_code(last)
    return Address(lines=(text,), country_name=last if code else "", country=code)


def _identifiers(raw_ids: Iterable[_RawId]) -> tuple[tuple[Identifier, ...], str, tuple[str, ...]]:
    """(identifiers, gender, linked_to) from the `ids` items; notes are dropped."""
    identifiers: list[Identifier] = []
    gender = ""
    linked_to: list[str] = []
    for raw in raw_ids:
        id_type, value = _clean(raw.type), _clean(raw.number)
        if not value:
            continue
        if id_type == "Gender":
            gender = gender or value
        elif id_type.startswith("Linked To"):
            linked_to.append(value)
        elif _NOTE_ID_TYPE.match(id_type) or id_type.endswith((":", "-")):
            continue
        else:
            country_text = raw.country
            embedded = _VALUE_WITH_COUNTRY.match(value)
            if not country_text and embedded and country_code(embedded["country"]):
                value, country_text = embedded["value"], embedded["country"]
            identifiers.append(
                Identifier(
                    type=id_type,
                    value=value,
                    country_name=country_text,
                    country=country_code(country_text),
                    issued=raw.issued,
                    expires=raw.expires,
                )
            )
    return tuple(dict.fromkeys(identifiers)), gender, _dedupe(linked_to)


def _countries(values: Iterable[str]) -> tuple[str, ...]:
    return _dedupe(country_code(value) or value for value in values)


def source_abbreviation(source: str) -> str:
    """'Entity List (EL) - Bureau of Industry and Security' -> 'EL'."""
    found = _SOURCE_ABBREVIATION.search(source)
    return found.group(1).strip().replace(" ", "-") if found else "CSL"


def stable_entry_id(source: str, primary_name: str, first_country: str) -> str:
    """Id for a row without an OFAC ent_num: the same party gets the same id in every
    CSL version, whatever else changed in the file (the CSL's own `_id` is a content
    hash and changes with any edit of the row)."""
    key = f"{' '.join(name_tokens(primary_name))}|{first_country}"
    return f"{source_abbreviation(source)}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _entry(list_id: str, file_name: str, row: _Row) -> Entry:
    s = {field: _clean(value) for field, value in row.scalars.items()}
    primary = s["name"]
    if not primary:
        raise ListFileError(file_name, f"{row.label}row has no name", row.line)
    entity_type = _ENTITY_TYPES.get(s["type"].lower())
    if entity_type is None:
        raise ListFileError(file_name, f"{row.label}unknown type {s['type']!r}", row.line)
    addresses = tuple(dict.fromkeys(a for a in (_address(text) for text in row.addresses) if a is not None))
    identifiers, gender, linked_to = _identifiers(row.ids)
    vessel_fields = (s["call_sign"], s["vessel_type"], s["gross_tonnage"], s["gross_registered_tonnage"],
                     s["vessel_flag"], s["vessel_owner"])  # fmt: skip
    if s["entity_number"] and s["source"].endswith(_OFAC_SOURCE_SUFFIX):
        entry_id = s["entity_number"]
    else:
        entry_id = stable_entry_id(s["source"], primary, addresses[0].country if addresses else "")
    lists = row.lists
    return Entry(
        list_id=list_id,
        entry_id=entry_id,
        entity_type=entity_type,
        names=_names(primary, (_clean(alias) for alias in lists["alt_names"])),
        programs=_dedupe(_clean(program) for program in lists["programs"]),
        addresses=addresses,
        dates_of_birth=_dedupe(_clean(value) for value in lists["dates_of_birth"]),
        places_of_birth=_dedupe(_clean(value) for value in lists["places_of_birth"]),
        nationalities=_countries(_clean(value) for value in lists["nationalities"]),
        citizenships=_countries(_clean(value) for value in lists["citizenships"]),
        identifiers=identifiers,
        gender=gender,
        title=s["title"],
        remarks=s["remarks"],
        linked_to=linked_to,
        vessel=Vessel(*vessel_fields) if any(vessel_fields) else None,
        federal_register_notice=s["federal_register_notice"],
        start_date=s["start_date"],
        license_requirement=s["license_requirement"],
        license_policy=s["license_policy"],
        standard_order=s["standard_order"],
        end_date=s["end_date"],
        source_url=s["source_list_url"],
    )


# --- merging and the result ------------------------------------------------------------------


def _merge(group: list[Entry]) -> Entry:
    """One entry out of rows that share an id.

    The CSL repeats some parties: the DPL has one row per denial order or address
    ("I. ASH" x3), the Entity List one per Federal Register notice or address
    block, ISN one per sanction notice, and OFAC parties on two Treasury lists
    appear once per list. They are one party to screen against, and one id must
    mean one entry, so the rows are merged: names, addresses, programs and the other
    multi-valued fields are united, the scalar fields (FR notice, dates, license
    policy, remarks, ...) come from one row. That row is the earliest-listed one
    (by start_date, ties broken by content), not the first in the file, so the
    merged entry does not change when the CSL merely reorders its rows.
    """
    if len(group) == 1:
        return group[0]
    ordered = sorted(group, key=lambda e: (e.start_date == "", e.start_date, msgspec.json.encode(e)))
    base = ordered[0]
    others = ordered[1:]
    names = list(base.names)
    seen = {name_tokens(name.value) for name in names}
    for entry in others:
        for name in entry.names:
            tokens = name_tokens(name.value)
            if tokens and tokens not in seen:
                seen.add(tokens)
                kind = NameKind.AKA if name.kind is NameKind.PRIMARY else name.kind
                names.append(Name(name.value, kind, name.strength))

    def union(field: str) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(value for entry in ordered for value in getattr(entry, field)))

    return msgspec.structs.replace(
        base,
        names=tuple(names),
        programs=union("programs"),
        addresses=union("addresses"),
        dates_of_birth=union("dates_of_birth"),
        places_of_birth=union("places_of_birth"),
        nationalities=union("nationalities"),
        citizenships=union("citizenships"),
        identifiers=union("identifiers"),
        linked_to=union("linked_to"),
    )


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _collect(list_id: str, file_name: str, rows: list[_Row], sources: frozenset[str], notes: list[str]) -> ParseResult:
    if not rows:
        raise ListFileError(file_name, "the file holds no data rows")
    present = Counter(_clean(row.scalars["source"]) for row in rows)
    kept = [row for row in rows if _clean(row.scalars["source"]) in sources]
    if not kept:
        raise ListFileError(
            file_name,
            f"no rows of the sources {sorted(sources)}; the file has {sorted(present)} "
            "(a source renamed by trade.gov, or a wrong name in the catalogue?)",
        )
    groups: dict[str, list[Entry]] = {}
    for row in kept:
        entry = _entry(list_id, file_name, row)
        groups.setdefault(entry.entry_id, []).append(entry)
    entries = [_merge(group) for group in groups.values()]

    dates = [d for row in kept if (d := _iso_date(row.scalars["start_date"])) is not None]
    for source in sorted(sources):
        if source not in present:
            notes.append(f"no rows of source {source!r} in {file_name}")
        else:
            notes.append(f"{source}: {present[source]} rows")
    if len(kept) != len(entries):
        notes.append(f"{len(kept) - len(entries)} rows repeat a party of another row and were merged into it")
    return ParseResult(
        entries=entries,
        published_at=None,
        data_date=max(dates) if dates else None,
        skipped_rows=len(rows) - len(kept),
        notes=notes,
    )
