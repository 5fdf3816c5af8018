"""CBP Withhold Release Orders and Findings (19 U.S.C. 1307), from the dated CSV the CBP page links.

CBP publishes the orders on its "Withhold Release Orders and Findings" page with a CSV
download whose file name carries its date; the catalogue's `links` entry finds the
current file on the page (service/refresh/links.py). No copy of the file is available
offline, so this parser follows what the page describes: one row per order, giving the
manufacturer or entity, the merchandise, the country, the date, the status (active,
inactive, modified; a modified order lets some of the producer's goods in again) and
whether the order is a withhold release order or a finding. The file has been seen in
Windows-1252 with line breaks inside quoted fields.

Columns are found by their header names, in any order and under the spellings a
spreadsheet export gives them ("Manufacturer/Entity", "WRO/Finding" ...); a file without
one of the needed columns is refused, naming them, and so is one cut inside a record,
a row with a status or kind this parser does not know (a changed format must be read by
a person before it decides imports), and an HTML page where the CSV should be.

Each manufacturer of a row is an entry: programs ("WRO",) or ("FINDING",), `status`,
`merchandise` and its `hs_codes` when the file gives them; the policy decides what a
match means for which items (lists/policy.toml, rules on cbp_wro).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from service.model import Address, EntityType, Entry, Name, NameKind
from service.normalize.countries import country_code
from service.normalize.names import name_tokens
from service.sources.errors import ListFileError
from service.sources.parsed import ParseResult
from service.sources.text import date_in_formats, decode_text

WRO_CSV = "wro-findings.csv"
WRO_PAGE_URL = "https://www.cbp.gov/trade/programs-administration/forced-labor/withhold-release-orders-and-findings"
KIND_WRO = "WRO"
KIND_FINDING = "FINDING"
STATUSES = ("active", "inactive", "modified")

# Needed columns and the header spellings each may have (compared lower case, spaces single).
COLUMNS: dict[str, tuple[str, ...]] = {
    "manufacturer": (
        "manufacturer", "manufacturer/entity", "manufacturer / entity", "entity", "entities", "producer",
        "producer/manufacturer", "manufacturer/producer", "company", "entity name", "manufacturer(s)",
    ),
    "merchandise": ("merchandise", "product", "products", "goods", "commodity", "merchandise description"),
    "country": ("country", "country of origin", "countries"),
    "date": ("date", "date issued", "issue date", "date of issuance", "issued", "effective date", "date of issue"),
    "status": ("status", "current status"),
    "kind": ("type", "wro/finding", "wro / finding", "wro or finding", "order type", "action", "enforcement action"),
}  # fmt: skip
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "notes": ("status notes", "status note", "notes", "note", "comments"),
    "hts": ("hts", "hts code", "hts codes", "hs code", "hs codes", "htsus", "hts number"),
    "notice": ("federal register", "federal register notice", "fr notice", "federal register citation"),
}
_KINDS = {"wro": KIND_WRO, "withhold release order": KIND_WRO, "finding": KIND_FINDING, "findings": KIND_FINDING}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y/%m/%d")
_HTS = re.compile(r"\d{4}(?:\.?\d{2}){0,3}")
# "Yu Long No. 2 (fishing vessel)": the order names a vessel, not a company.
_VESSEL_MARK = re.compile(r"\s*\((?:fishing\s+)?vessel\)\s*", re.IGNORECASE)
# Several manufacturers in one cell: "A; B", "A | B" or one per line.
_SEPARATORS = re.compile(r"\s*(?:;|\||\n)\s*")
# "Name (a.k.a. Other)", "Name, also known as Other".
_AKA = re.compile(
    r"\s*[\(,]?\s*(?:a\.?k\.?a\.?|also known as|formerly known as|f\.?k\.?a\.?)\s+([^)]+)\)?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class _Row:
    line: int
    manufacturers: tuple[str, ...]
    merchandise: str
    country: str
    issued: date
    status: str
    kind: str
    notes: str
    hs_codes: tuple[str, ...]
    notice: str


def _header(value: str) -> str:
    return " ".join(value.replace("\ufeff", "").strip().strip(":").lower().split())


def _columns(file_name: str, fields: list[str], line: int) -> dict[str, int]:
    seen = {_header(value): index for index, value in enumerate(fields)}
    columns: dict[str, int] = {}
    missing = []
    for column, spellings in (*COLUMNS.items(), *OPTIONAL_COLUMNS.items()):
        found = next((seen[spelling] for spelling in spellings if spelling in seen), None)
        if found is not None:
            columns[column] = found
        elif column in COLUMNS:
            missing.append(column)
    if missing:
        raise ListFileError(
            file_name,
            f"header lacks the needed column(s) {', '.join(missing)} (read as: "
            + "; ".join(f"{column}: {' / '.join(COLUMNS[column][:3])}" for column in missing)
            + f"); the header has {', '.join(repr(value.strip()) for value in fields)}",
            line,
        )
    return columns


def parse_issue_date(text: str) -> date | None:
    return date_in_formats(" ".join(text.split()), _DATE_FORMATS)


def status_of(text: str) -> str | None:
    """ "Active" -> "active"; "Modified (partially lifted)" -> "modified"; None when unknown."""
    value = text.strip().lower()
    if "modif" in value:
        return "modified"
    if value.startswith(("inactive", "revoked", "rescinded", "lifted")):
        return "inactive"
    if value.startswith("active"):
        return "active"
    return None


def kind_of(text: str) -> str | None:
    value = " ".join(text.strip().lower().split())
    if value in _KINDS:
        return _KINDS[value]
    if value.startswith("wro") or "withhold" in value:
        return KIND_WRO
    if value.startswith("finding"):
        return KIND_FINDING
    return None


def _row(file_name: str, fields: list[str], columns: dict[str, int], line: int) -> _Row:
    def get(column: str) -> str:
        index = columns.get(column)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    manufacturers = tuple(part for part in _SEPARATORS.split(get("manufacturer")) if name_tokens(part))
    if not manufacturers:
        raise ListFileError(file_name, "row names no manufacturer or entity", line)
    issued = parse_issue_date(get("date"))
    if issued is None:
        raise ListFileError(
            file_name, f"date {get('date')!r} is not a date (expected e.g. 2024-05-14 or 05/14/2024)", line
        )
    status = status_of(get("status"))
    if status is None:
        raise ListFileError(file_name, f"status {get('status')!r} is not one of {', '.join(STATUSES)}", line)
    kind = kind_of(get("kind"))
    if kind is None:
        raise ListFileError(file_name, f"{get('kind')!r} is neither a withhold release order (WRO) nor a finding", line)
    hs_codes = tuple(dict.fromkeys(code.replace(".", "") for code in _HTS.findall(get("hts"))))
    return _Row(
        line, manufacturers, " ".join(get("merchandise").split()), " ".join(get("country").split()), issued, status,
        kind, " ".join(get("notes").split()), hs_codes, " ".join(get("notice").split()),
    )  # fmt: skip


def _names(cell: str) -> tuple[Name, ...]:
    """ "X (a.k.a. Y)" -> X and the alias Y."""
    match = _AKA.search(cell)
    if match is None:
        return (Name(" ".join(cell.split()), NameKind.PRIMARY),)
    primary = " ".join(cell[: match.start()].split()).strip(" ,")
    alias = " ".join(match.group(1).split()).strip(" ,")
    names = [Name(primary, NameKind.PRIMARY)]
    if name_tokens(alias):
        names.append(Name(alias, NameKind.FKA if "former" in match.group(0).lower() else NameKind.AKA))
    return tuple(names)


def entry_id(kind: str, issued: date, manufacturer: str) -> str:
    """Stable across re-exports of the file: the order's kind, date and manufacturer."""
    key = f"{kind}|{issued.isoformat()}|{' '.join(name_tokens(manufacturer))}"
    return f"wro-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _entry(list_id: str, row: _Row, manufacturer: str) -> Entry:
    vessel = bool(_VESSEL_MARK.search(manufacturer)) or "fishing fleet" in manufacturer.lower()
    names = _names(_VESSEL_MARK.sub(" ", manufacturer).strip())
    code = country_code(row.country) if row.country else ""
    kind_text = "Withhold Release Order" if row.kind == KIND_WRO else "Finding"
    remarks = (
        f"{kind_text} of {row.issued.isoformat()} on {row.merchandise or 'unstated merchandise'}; status {row.status}"
    )
    remarks += f": {row.notes}" if row.notes else ""
    return Entry(
        list_id=list_id,
        entry_id=entry_id(row.kind, row.issued, names[0].value),
        entity_type=EntityType.VESSEL if vessel else EntityType.UNKNOWN,
        names=names,
        programs=(row.kind,),
        addresses=(Address(country=code, country_name=row.country if not code else ""),) if row.country else (),
        remarks=remarks,
        federal_register_notice=row.notice,
        start_date=row.issued.isoformat(),
        source_url=WRO_PAGE_URL,
        status=row.status,
        merchandise=row.merchandise,
        hs_codes=row.hs_codes,
    )


def parse_wro_csv(list_id: str, files: Mapping[str, bytes], options: Mapping[str, list[str]]) -> ParseResult:
    if WRO_CSV not in files:
        raise ListFileError(WRO_CSV, "required file is missing")
    text, fallback = decode_text(files[WRO_CSV])
    if not text.strip():
        raise ListFileError(WRO_CSV, "the file is empty", 1)
    if text.lstrip().startswith("<"):
        raise ListFileError(WRO_CSV, "received an HTML page, not the CSV file (did the page's link change?)", 1)
    notes = [f"{WRO_CSV} is not valid UTF-8; read as Windows-1252"] if fallback else []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: dict[str, int] | None = None
    rows: list[_Row] = []
    try:
        for fields in reader:
            if not fields or all(not value.strip() for value in fields):
                continue
            if columns is None:
                columns = _columns(WRO_CSV, fields, reader.line_num)
                continue
            rows.append(_row(WRO_CSV, fields, columns, reader.line_num))
    except csv.Error as exc:
        raise ListFileError(
            WRO_CSV,
            f"malformed CSV ({exc}): the file is cut inside a record or damaged; download it again",
            reader.line_num,
        ) from exc
    if not rows:
        raise ListFileError(WRO_CSV, "the header is not followed by any rows", reader.line_num)
    entries: dict[str, Entry] = {}
    for row in rows:
        for manufacturer in row.manufacturers:
            entry = _entry(list_id, row, manufacturer)
            if entry.entry_id in entries:
                notes.append(
                    f"{WRO_CSV}:{row.line}: {manufacturer!r} repeats an order of the same kind and date; kept once"
                )
                continue
            entries[entry.entry_id] = entry
    by_status = {status: sum(1 for e in entries.values() if e.status == status) for status in STATUSES}
    notes.append(
        f"{len(rows)} rows, {len(entries)} manufacturers: "
        + ", ".join(f"{count} {status}" for status, count in by_status.items())
    )
    return ParseResult(list(entries.values()), data_date=max(row.issued for row in rows), notes=notes)
