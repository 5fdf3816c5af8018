"""BIS Denied Persons List: the official tab-separated `dpl.txt` -> canonical entries.

Format facts (BIS `dpl.txt`; checked against the 2023-11 copy in shared/data):

- A header row, then one row per denial order *and* address: a party denied
  under two orders, or known at three addresses, has several rows that repeat
  the name (665 rows for 546 distinct names in 2023-11).
- Fields separated by TAB, every field in double quotes ("" for a quote inside
  a name: `IHSAN MEDHAT ""SAMMY"" ELASHI`), LF line ends, ASCII in practice;
  older copies carry Windows-1252 bytes, so undecodable UTF-8 falls back to it.
- Columns Name, Street_Address, City, State, Country, Postal_Code,
  Effective_Date, Expiration_Date, Standard_Order, Last_Update, Action,
  FR_Citation. Columns are found by header name, so added columns are ignored.
- Effective_Date and Expiration_Date as MM/DD/YYYY (Expiration_Date blank for
  orders without an end), Last_Update as YYYY-MM-DD. Last_Update has typos
  (`3033-09-30`, `1023-11-01`): it is only used for the data date, and dates
  after today or before 1950 are ignored there.
- Country is an ISO alpha-2 code, except "PRC" (China) on two rows and a US
  state ("NM") on one; it is blank on most US addresses (State filled in). The
  parser keeps what the Country column says and does not infer "US" from State.
- Names have stray spaces (" I. ASH", "AL-NASER  AIRLINES", "LUIS LOPEZ "); a
  few carry an alias inline ("FUYI SUN A/K/A FRANK SUN", "PEARL (A.K.A.
  NEI-CHIEN CHU) LI", "SIBERIAN AIRLINES D/B/A S7 AIRLINES").

One entry per party: rows whose names have the same normalised tokens
(`name_tokens`: case, punctuation and spacing ignored) are one party, so
" I. ASH" and "I. ASH" are one entry. The entry id is "dpl-" plus a hash of
those tokens, so it stays the same across versions and row orders. The legal
basis (FR citation, dates, standard order, action) comes from the party's newest
row by Effective_Date. The entry's content does not depend on the row order:
addresses are listed newest order first, and entries are sorted by name.
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

DPL_FILE = "dpl.txt"

COLUMNS = (
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
)

_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")
# Older dates in Last_Update are typos ("1023-11-01"); the DPL starts in the 1980s.
_EARLIEST_SANE = date(1950, 1, 1)
# Country values that are not ISO codes but name a country unambiguously.
_COUNTRY_FIXES = {"PRC": "CN"}

# The DPL has no entity-type column (neither does the CSL's DPL subset), so the
# type is inferred from the name: a legal-form token, or a word only
# organisations use in their names, makes it an organisation; otherwise it is an
# individual. Tokens are `name_tokens` output, so "S.A." is "sa", "A.G." is "ag".
_LEGAL_FORMS = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "co", "corp", "corporation",
        "company", "gmbh", "ag", "ab", "sa", "sl", "srl", "sarl", "bv", "nv", "plc", "pte", "pty",
        "jsc", "pjsc", "ojsc", "cjsc", "ooo", "oao", "zao", "fze", "fzc", "fzco", "kg", "spa",
        "sro", "anstalt", "kft",
    }
)  # fmt: skip
_ORGANISATION_WORDS = frozenset(
    {
        "air", "airlines", "airline", "airways", "aviation", "group", "international", "internacional",
        "trading", "trade", "technology", "technologies", "technik", "electronics", "electronic",
        "services", "service", "systems", "communications", "industries", "industrie", "industrial",
        "machinery", "enterprise", "enterprises", "associates", "computers", "metals", "microwave",
        "transportation", "transport", "empresa", "supply", "contracting", "maritime", "export",
        "import", "vertrieb", "vertriebs",
    }
)  # fmt: skip
_WEB_NAME = re.compile(r"\.(?:com|net|org|biz|info)\b", re.IGNORECASE)

# "A/K/A" and "D/B/A" (also dotted) inside a name: inline, or in parentheses.
_MARKER = r"(?:A/K/A|A\.K\.A\.?|D/B/A|D\.B\.A\.?)"
_INLINE_ALIAS = re.compile(rf"\s+{_MARKER}\s+", re.IGNORECASE)
_PAREN_ALIAS = re.compile(rf"\(\s*{_MARKER}\s*([^()]*?)\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    address: Address
    effective: date | None
    expiration: date | None
    # Only when sane (not in the future, not before 1950).
    last_update: date | None
    standard_order: str
    action: str
    fr_citation: str

    def recency(self) -> tuple[date, date, str, str, date, str, str, tuple[tuple[str, ...], str, str, str, str]]:
        """Sort key: newest order first; the rest makes ties independent of row order."""
        address = self.address
        return (
            self.effective or date.min,
            self.last_update or date.min,
            self.fr_citation,
            self.action,
            self.expiration or date.min,
            self.standard_order,
            self.name,
            (address.lines, address.city, address.state_or_province, address.postal_code, address.country_name),
        )


def parse_dpl(
    list_id: str, files: Mapping[str, bytes], options: Mapping[str, list[str]], *, today: date | None = None
) -> ParseResult:
    """Entries from `dpl.txt`: one per party, rows grouped by normalised name."""
    if DPL_FILE not in files:
        raise ListFileError(DPL_FILE, "required file is missing")
    today = today or date.today()
    notes: list[str] = []
    rows = list(_read_rows(_decode(files[DPL_FILE]), today, notes))

    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(_party_key(row.name), []).append(row)

    entries = [_entry(list_id, key, group) for key, group in groups.items()]
    entries.sort(key=lambda entry: (entry.primary_name, entry.entry_id))
    notes.append(f"{len(rows)} rows grouped into {len(entries)} parties by normalised name")

    candidates = [row.effective for row in rows if row.effective] + [row.last_update for row in rows if row.last_update]
    sane = [day for day in candidates if _EARLIEST_SANE <= day <= today]
    return ParseResult(entries, data_date=max(sane, default=None), notes=notes)


def _decode(data: bytes) -> str:
    return decode_text(data)[0]


def _read_rows(text: str, today: date, notes: list[str]) -> list[_Row]:
    if not text.strip():
        raise ListFileError(DPL_FILE, "the file is empty", 1)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        line = text[: len(text) - len(stripped)].count("\n") + 1
        raise ListFileError(DPL_FILE, "this is an HTML page, not the tab-separated Denied Persons List", line)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"', strict=True)
    rows: list[_Row] = []
    columns: dict[str, int] | None = None
    width = 0
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            line = reader.line_num
            if columns is None:
                columns = _header(fields, line)
                width = len(fields)
                continue
            if len(fields) != width:
                raise ListFileError(DPL_FILE, f"expected {width} tab-separated fields, found {len(fields)}", line)
            rows.append(_row(fields, columns, line, today, notes))
    except csv.Error as exc:
        hint = " (the header is not tab-separated)" if columns is None else ""
        raise ListFileError(DPL_FILE, f"malformed line: {exc}{hint}", reader.line_num) from exc
    if columns is None:  # pragma: no cover - a non-blank text always yields a first row
        raise ListFileError(DPL_FILE, "the file is empty", 1)
    if not rows:
        raise ListFileError(DPL_FILE, "the header is not followed by any rows", reader.line_num)
    return rows


def _header(fields: list[str], line: int) -> dict[str, int]:
    found = {field.strip().lower(): index for index, field in enumerate(fields)}
    missing = [column for column in COLUMNS if column.lower() not in found]
    if missing:
        hint = " (the file is not tab-separated)" if len(fields) == 1 else ""
        raise ListFileError(DPL_FILE, f"header lacks column(s) {', '.join(missing)}{hint}", line)
    return {column: found[column.lower()] for column in COLUMNS}


def _row(fields: list[str], columns: dict[str, int], line: int, today: date, notes: list[str]) -> _Row:
    def get(column: str) -> str:
        return " ".join(fields[columns[column]].split())

    name = get("Name")
    if not name_tokens(name):
        raise ListFileError(DPL_FILE, "row has no Name", line)
    last_update = _last_update(get("Last_Update"), line, today, notes)
    country = get("Country")
    street = get("Street_Address")
    return _Row(
        line=line,
        name=name,
        address=Address(
            lines=(street,) if street else (),
            city=get("City"),
            state_or_province=get("State"),
            postal_code=get("Postal_Code"),
            country_name=country,
            country=_COUNTRY_FIXES.get(country.upper()) or country_code(country),
        ),
        effective=_order_date(get("Effective_Date"), "Effective_Date", line),
        expiration=_order_date(get("Expiration_Date"), "Expiration_Date", line),
        last_update=last_update,
        standard_order=get("Standard_Order").upper(),
        action=get("Action"),
        fr_citation=get("FR_Citation"),
    )


def _parse_date(value: str) -> date | None:
    return date_in_formats(value, _DATE_FORMATS)


def _order_date(value: str, column: str, line: int) -> date | None:
    """Effective_Date / Expiration_Date: blank is allowed, anything unreadable is an error."""
    if not value:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        raise ListFileError(DPL_FILE, f"{column} {value!r} is not a date (expected MM/DD/YYYY)", line)
    return parsed


def _last_update(value: str, line: int, today: date, notes: list[str]) -> date | None:
    """Last_Update only feeds the data date: typos are noted and ignored, not fatal."""
    if not value:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        notes.append(f"line {line}: Last_Update {value!r} is not a date; ignored")
    elif parsed > today:
        notes.append(f"line {line}: Last_Update {value} is in the future; ignored")
    elif parsed < _EARLIEST_SANE:
        notes.append(f"line {line}: Last_Update {value} is before {_EARLIEST_SANE.year}; ignored")
    else:
        return parsed
    return None


def _party_key(name: str) -> str:
    return " ".join(name_tokens(name))


def party_id(name: str) -> str:
    """Stable entry id for a DPL party name: "dpl-" + 12 hex digits of its normalised tokens."""
    return "dpl-" + hashlib.sha256(_party_key(name).encode()).hexdigest()[:12]


def entity_type_for(name: str) -> EntityType:
    """ORGANIZATION for names with a legal form or organisation word, else INDIVIDUAL (DPL has no type)."""
    tokens = name_tokens(name)
    if len(tokens) == 1 or _WEB_NAME.search(name):
        return EntityType.ORGANIZATION
    if any(token in _LEGAL_FORMS or token in _ORGANISATION_WORDS for token in tokens):
        return EntityType.ORGANIZATION
    return EntityType.INDIVIDUAL


def names_for(name: str) -> tuple[Name, ...]:
    """The name as published, then the parts of an inline "A/K/A" / "D/B/A" as aliases."""
    aliases = [alias for alias in _PAREN_ALIAS.findall(name) if alias]
    rest = " ".join(_PAREN_ALIAS.sub(" ", name).split())
    parts = [part.strip(" ,") for part in _INLINE_ALIAS.split(rest)]
    seen = {_party_key(name)}
    names = [Name(name)]
    for candidate in [*parts, *aliases]:
        key = _party_key(candidate)
        if key and key not in seen:
            seen.add(key)
            names.append(Name(candidate, NameKind.AKA))
    return tuple(names)


def _entry(list_id: str, key: str, rows: list[_Row]) -> Entry:
    ordered = sorted(rows, key=_Row.recency, reverse=True)
    newest = ordered[0]
    addresses: dict[Address, None] = {}
    for row in ordered:
        if row.address != Address():
            addresses.setdefault(row.address, None)
    return Entry(
        list_id=list_id,
        entry_id=party_id(newest.name),
        entity_type=entity_type_for(newest.name),
        names=names_for(newest.name),
        addresses=tuple(addresses),
        federal_register_notice=newest.fr_citation,
        start_date=newest.effective.isoformat() if newest.effective else "",
        end_date=newest.expiration.isoformat() if newest.expiration else "",
        standard_order=newest.standard_order,
        remarks=newest.action,
    )
