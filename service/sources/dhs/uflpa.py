"""DHS UFLPA Entity List: the official web page, and a CSV a compliance team keeps by hand.

The Uyghur Forced Labor Prevention Act Entity List is published only as a web
page, https://www.dhs.gov/uflpa-entity-list (and as appendices of Federal
Register notices); there is no official CSV, XML or JSON. Two formats are read:

Official page (`uflpa-entity-list.html`, `parse_uflpa_html`)
------------------------------------------------------------
One HTML table per UFLPA section 2(d)(2)(B)(i), (ii), (iv) and (v). A table is
an entity table when a header cell reads "Name of Entity" (or "Entity Name");
it must also have an "Effective Date" column ("June 21, 2022" or
"06/21/2022"). The section is taken from the nearest text block before the
table (heading, caption or paragraph) that names exactly one section, e.g.
"Section 2(d)(2)(B)(ii)". Aliases and subsidiaries are written inside the name
cell; `split_name_cell` turns the cell into a primary name plus aliases:

    X (also known as Y)                      -> X; AKA Y
    X (also known as Y; Z)                   -> X; AKA Y, Z
    X (including two aliases: A; and B)      -> X; AKA A, B
    X (formerly known as Y)                  -> X; FKA Y
    X and its subsidiaries A, B, and C       -> X; AKA A, B, C
    X and subsidiaries / X, and Subsidiaries -> X

Subsidiaries named in the cell are kept as names of the same entry: the listing
covers them, and a match on one must lead to this listing. The full cell text
is kept in `remarks`.

Manual CSV (`uflpa.csv`, `parse_uflpa_csv`): the import format
--------------------------------------------------------------
For a list maintained by hand (e.g. transcribed from the DHS page or a Federal
Register appendix). The file is CSV as Python's `csv` module and spreadsheet
programs write it: comma-separated, fields with commas or quotes in double
quotes, UTF-8 (a BOM is allowed; Windows-1252 is accepted as a fallback), any
line ends. The first row is the header; column names are matched without regard
to case or surrounding spaces, columns may come in any order and unknown columns
are ignored. One row per listed entity:

    name            required  The entity's name as listed. It may be a whole
                              name cell copied from the DHS page, aliases and
                              subsidiaries included ("X (also known as Y)",
                              "X and subsidiaries"): it is split like the cell.
    uflpa_section   required  The UFLPA section(s) the entity is listed under:
                              "2(d)(2)(B)(ii)" (or "(B)(ii)", "Section
                              2(d)(2)(B)(ii)"), several separated by ";". Empty
                              or a note in parentheses, such as "(not in
                              excerpt)", means not known: the program is then
                              "UFLPA" alone.
    effective_date  required  YYYY-MM-DD (also accepted: "June 21, 2022",
                              06/21/2022). May be empty when not known.
    aliases         optional  Other names, separated by ";". An alias the entity
                              no longer uses is marked "formerly known as" (or
                              "f.k.a."), before or after it: "formerly known as
                              Y" or "Y (formerly known as)". "now known as"
                              marks a new name. Unmarked aliases are a.k.a.s.
    note            optional  Free text, kept as the entry's remarks.
    source_url      optional  Where the row was taken from; default the DHS page.

A missing required column, a row without a name, an unreadable date or an
unreadable section stops the import with the file name, line and column.

Both formats give: entity_type ORGANIZATION, programs ("UFLPA", "UFLPA
2(d)(2)(B)(ii)", ...), tags ("forced_labor",), entry id "uflpa-" + a hash of the
normalised primary name (stable across versions and row orders), start_date the
effective date, data_date the newest effective date not after today. An entity
listed twice (under two sections) is one entry with both programs and its
earliest effective date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from service.model import EntityType, Entry, Name, NameKind
from service.normalize.names import name_tokens
from service.sources.errors import ListFileError
from service.sources.parsed import ParseResult
from service.sources.text import date_in_formats, decode_text

UFLPA_HTML = "uflpa-entity-list.html"
UFLPA_CSV = "uflpa.csv"
UFLPA_URL = "https://www.dhs.gov/uflpa-entity-list"
PROGRAM = "UFLPA"
TAGS = ("forced_labor",)

_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%m/%d/%Y", "%d %B %Y")
# "(B)(ii)" with or without the "2(d)(2)" before it; roman numerals i-v.
_SECTION = re.compile(r"\(\s*B\s*\)\s*\(\s*(iv|v|i{1,3})\s*\)", re.IGNORECASE)

# --- name cells ----------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Phrases that open an alias list inside parentheses, and the kind of name they give.
_ALIAS_MARKER = re.compile(
    r"(?<!\w)(?:(?P<fka>formerly\s+known\s+as|f\.?k\.?a\.?(?=\s))"
    r"|(?P<nka>now\s+known\s+as|n\.?k\.?a\.?(?=\s))"
    r"|(?P<aka>also\s+known\s+as|a\.?k\.?a\.?(?=\s))"
    r"|(?:and|including)\s+(?P<count>\w+)\s+alias(?:es)?\s*:?)",
    re.IGNORECASE,
)
# The tail naming subsidiaries or affiliates after the entity's own name.
_SUBSIDIARIES = re.compile(
    r",?\s+and\s+(?:its\s+)?(?P<count>\w+\s+)?(?:[\w-]+-based\s+)?subsidiar(?:y|ies)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_AFFILIATES = re.compile(r",?\s+and\s+its\s+subordinate\s+and\s+affiliated\s+entities\s*$", re.IGNORECASE)
_LIST_INTRO = re.compile(r"^[\s,:]*(?:which\s+include|including|namely|include)?[\s:]*", re.IGNORECASE)
# Legal-form fragments that belong to the name before a comma ("Co., Ltd.").
_LEGAL_SUFFIX = re.compile(r"^(?:Ltd|Co|Inc|LLC|Limited|Corp|Corporation|Company|Co\.,?\s*Ltd)\b\.?,?$", re.IGNORECASE)


@dataclass(frozen=True)
class NameCell:
    primary: str
    aliases: tuple[Name, ...]
    # True when the cell says the listing covers subsidiaries/affiliates it does not name.
    unnamed_subsidiaries: bool = False


def split_name_cell(cell: str) -> NameCell:
    """A DHS name cell -> primary name, aliases (AKA/FKA/NKA) and named subsidiaries (AKA)."""
    text = " ".join(cell.split())
    aliases: list[Name] = []

    # 1. Parenthesised alias lists; parentheses that are part of a name
    #    ("Hoshine Silicon Industry (Shanshan) Co.") are left alone.
    kept: list[str] = []
    position = 0
    while (start := text.find("(", position)) != -1:
        end = _closing_paren(text, start)
        inner = text[start + 1 : end]
        if _ALIAS_MARKER.match(inner.strip()):
            kept.append(text[position:start])
            aliases.extend(_alias_list(inner))
        else:
            kept.append(text[position : end + 1])
        position = end + 1
    kept.append(text[position:])
    rest = " ".join("".join(kept).split())

    # 2. A tail naming subsidiaries, or saying the listing covers them.
    unnamed = False
    if match := _AFFILIATES.search(rest):
        rest, unnamed = rest[: match.start()], True
    elif match := _SUBSIDIARIES.search(rest):
        listed = _LIST_INTRO.sub("", match.group("rest")).strip(" ;,")
        rest = rest[: match.start()]
        if listed:
            count = _count(match.group("count") or "")
            aliases.extend(Name(name, NameKind.AKA) for name in split_name_list(listed, count))
        else:
            unnamed = True

    primary = rest.strip(" ,;")
    seen = {_key(primary)}
    unique: list[Name] = []
    for alias in aliases:
        key = _key(alias.value)
        if key and key not in seen:
            seen.add(key)
            unique.append(alias)
    return NameCell(primary, tuple(unique), unnamed)


def _closing_paren(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(text)  # unbalanced: the group runs to the end


def _count(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _alias_list(inner: str) -> list[Name]:
    """ "also known as A; B and formerly known as C" -> [AKA A, AKA B, FKA C]."""
    markers = list(_ALIAS_MARKER.finditer(inner))
    names: list[Name] = []
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(inner)
        segment = inner[marker.end() : end].strip(" :")
        segment = re.sub(r"[\s,;]+(?:and|or)$", "", segment).strip(" ,;")
        if marker.group("fka"):
            kind = NameKind.FKA
        elif marker.group("nka"):
            kind = NameKind.NKA
        else:
            kind = NameKind.AKA
        count = _count(marker.group("count")) if marker.group("count") else None
        names.extend(Name(name, kind) for name in split_name_list(segment, count))
    return names


def split_name_list(text: str, count: int | None = None) -> list[str]:
    """Split a list of company names without cutting "Co., Ltd." apart.

    "A; and B" and "A; B" split on ";". Without semicolons, commas split only
    where the next part is not a legal form ("X Co., Ltd., Y Co., Ltd., and Z"),
    and a lone " and " splits only when the stated count confirms it, because
    names contain "and" ("Heze Cotton and Linen Co., Ltd.").
    """
    text = text.strip(" ,;")
    if not text:
        return []
    parts: list[str]
    if ";" in text:
        parts = [_drop_and(part) for part in text.split(";")]
        return [part for part in parts if part]
    parts = []
    for piece in re.split(r",\s+", text):
        if parts and _LEGAL_SUFFIX.match(piece):
            parts[-1] = f"{parts[-1]}, {piece}"
        else:
            parts.append(piece)
    parts = [_drop_and(part) for part in parts]
    if len(parts) == 1 and count and count > 1:
        pieces = [piece.strip() for piece in re.split(r"\s+and\s+", parts[0])]
        if len(pieces) == count:
            parts = pieces
    return [part for part in parts if part]


def _drop_and(part: str) -> str:
    return re.sub(r"^(?:and|or)\s+", "", part.strip(), flags=re.IGNORECASE).strip(" ,;")


# --- shared -------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(name_tokens(name))


def entity_id(primary_name: str) -> str:
    """Stable entry id: "uflpa-" + 12 hex digits of the normalised primary name."""
    return "uflpa-" + hashlib.sha256(_key(primary_name).encode()).hexdigest()[:12]


def section_label(text: str) -> str | None:
    """Canonical "2(d)(2)(B)(ii)" for a text naming exactly one section, else None."""
    found = {match.group(1).lower() for match in _SECTION.finditer(text)}
    return f"2(d)(2)(B)({found.pop()})" if len(found) == 1 else None


def parse_date(value: str) -> date | None:
    text = " ".join(value.replace(".", " ").replace(",", ", ").split()).replace(" ,", ",")
    text = text.replace("Sept ", "Sep ")
    return date_in_formats(text, _DATE_FORMATS)


def _decode(data: bytes) -> str:
    return decode_text(data)[0]


@dataclass(frozen=True)
class _Listing:
    """One row of either format, before rows naming the same entity are merged."""

    line: int
    primary: str
    aliases: tuple[Name, ...]
    sections: tuple[str, ...]
    effective: date | None
    remarks: str
    source_url: str


def _entries(list_id: str, listings: list[_Listing], today: date) -> ParseResult:
    groups: dict[str, list[_Listing]] = {}
    for listing in listings:
        groups.setdefault(_key(listing.primary), []).append(listing)
    entries: list[Entry] = []
    notes: list[str] = []
    for rows in groups.values():
        # Independent of row order: earliest listing first, then by section and text.
        rows.sort(key=lambda row: (row.effective or date.max, row.sections, row.primary, row.remarks))
        first = rows[0]
        if len(rows) > 1:
            where = ", ".join(str(row.line) for row in rows)
            notes.append(f"{first.primary!r} is listed {len(rows)} times (lines {where}); merged")
        sections = sorted({section for row in rows for section in row.sections})
        names = [Name(first.primary)]
        seen = {_key(first.primary)}
        for row in rows:
            for alias in row.aliases:
                if (key := _key(alias.value)) not in seen:
                    seen.add(key)
                    names.append(alias)
        dates = [row.effective for row in rows if row.effective]
        remarks = list(dict.fromkeys(row.remarks for row in rows if row.remarks))
        entries.append(
            Entry(
                list_id=list_id,
                entry_id=entity_id(first.primary),
                entity_type=EntityType.ORGANIZATION,
                names=tuple(names),
                programs=(PROGRAM, *(f"{PROGRAM} {section}" for section in sections)),
                start_date=min(dates).isoformat() if dates else "",
                remarks=" | ".join(remarks),
                source_url=first.source_url,
                tags=TAGS,
            )
        )
    entries.sort(key=lambda entry: (entry.primary_name, entry.entry_id))
    effective = [row.effective for row in listings if row.effective and row.effective <= today]
    future = sorted({row.effective for row in listings if row.effective and row.effective > today})
    if future:
        notes.append(f"effective dates after today not used for the data date: {', '.join(map(str, future))}")
    return ParseResult(entries, data_date=max(effective, default=None), notes=notes)


# --- the official page ------------------------------------------------------------------

_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
     "footer", "nav", "main", "aside", "caption", "table", "br", "hr", "dt", "dd", "blockquote"}
)  # fmt: skip
_NAME_HEADERS = ("name of entity", "entity name")
_DATE_HEADER = "effective date"


def _header_text(value: str) -> str:
    """ "Name of Entity*" / "EFFECTIVE DATE:" -> "name of entity" / "effective date"."""
    return " ".join(re.sub(r"[^a-z]+", " ", value.lower()).split())


def _is_name_header(value: str) -> bool:
    return _header_text(value) in _NAME_HEADERS


@dataclass
class _Cell:
    text: list[str] = field(default_factory=list)
    header: bool = False
    rowspan: int = 1

    def value(self) -> str:
        return " ".join("".join(self.text).split())


@dataclass
class _Row:
    line: int
    in_head: bool
    cells: list[_Cell] = field(default_factory=list)


@dataclass
class _Table:
    line: int
    section: str | None
    rows: list[_Row] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    in_head: bool = False
    in_caption: bool = False
    # The row and cell being filled; kept per table so a table nested in a cell
    # does not end the outer table's row.
    row: _Row | None = None
    cell: _Cell | None = None


_HIDDEN = frozenset({"script", "style", "template", "noscript"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "source"})


class _PageParser(HTMLParser):
    """Collects tables (rows of cell texts with line numbers) and the section named before each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._open: list[_Table] = []
        self._block: list[str] = []
        self._section: str | None = None
        self._hidden = 0  # depth inside <script>, <style>, <template>, <noscript>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        if self._hidden:
            return
        table = self._open[-1] if self._open else None
        if tag == "table":
            self._flush_block()
            new = _Table(self.getpos()[0], self._section)
            self.tables.append(new)
            self._open.append(new)
        elif table is None:
            if tag in _BLOCKS:
                self._flush_block()
        elif tag == "caption":
            table.in_caption = True
        elif tag == "thead":
            table.in_head = True
        elif tag in ("tbody", "tfoot"):
            table.in_head = False
        elif tag == "tr":
            table.row = _Row(self.getpos()[0], table.in_head)
            table.rows.append(table.row)
            table.cell = None
        elif tag in ("td", "th"):
            if table.row is None:  # a cell outside <tr>: open an implicit row
                table.row = _Row(self.getpos()[0], table.in_head)
                table.rows.append(table.row)
            span = (dict(attrs).get("rowspan") or "1").strip()
            table.cell = _Cell(header=tag == "th", rowspan=int(span) if span.isdigit() else 1)
            table.row.cells.append(table.cell)
        elif table.cell is not None and tag in _BLOCKS:
            table.cell.text.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if self._hidden:
            return
        table = self._open[-1] if self._open else None
        if tag == "table" and table is not None:
            self._open.pop()
        elif table is None:
            if tag in _BLOCKS:
                self._flush_block()
        elif tag == "caption":
            table.in_caption = False
            if section := section_label("".join(table.caption)):
                table.section = section
        elif tag == "thead":
            table.in_head = False
        elif tag == "tr":
            table.row, table.cell = None, None
        elif tag in ("td", "th"):
            table.cell = None
        elif table.cell is not None and tag in _BLOCKS:
            table.cell.text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._open:
            self._block.append(data)
            return
        table = self._open[-1]
        if table.in_caption:
            table.caption.append(data)
        elif table.cell is not None:
            table.cell.text.append(data)

    def close(self) -> None:
        super().close()
        self._flush_block()

    def _flush_block(self) -> None:
        """A text block outside tables ended: remember the section it names, if exactly one."""
        text = "".join(self._block)
        self._block = []
        if section := section_label(text):
            self._section = section


def _expand_rowspans(rows: list[_Row]) -> list[tuple[_Row, list[_Cell]]]:
    """Rows with cells carried down from `rowspan` cells above put back in their columns."""
    carried: dict[int, tuple[_Cell, int]] = {}
    expanded: list[tuple[_Row, list[_Cell]]] = []
    for row in rows:
        cells: list[_Cell] = []
        own = iter(row.cells)
        column = 0
        cell: _Cell | None
        while True:
            if column in carried:
                cell, remaining = carried[column]
                cells.append(cell)
                if remaining <= 1:
                    del carried[column]
                else:
                    carried[column] = (cell, remaining - 1)
            else:
                cell = next(own, None)
                if cell is None:
                    if any(index > column for index in carried):
                        column += 1
                        continue
                    break
                cells.append(cell)
                if cell.rowspan > 1:
                    carried[column] = (cell, cell.rowspan - 1)
            column += 1
        expanded.append((row, cells))
    return expanded


def parse_uflpa_html(
    list_id: str, files: Mapping[str, bytes], options: Mapping[str, list[str]], *, today: date | None = None
) -> ParseResult:
    """Entries from the saved DHS page: every table with a "Name of Entity" header."""
    name = UFLPA_HTML
    if name not in files:
        raise ListFileError(name, "required file is missing")
    text = _decode(files[name])
    if not text.strip():
        raise ListFileError(name, "the file is empty", 1)
    parser = _PageParser()
    parser.feed(text)
    parser.close()

    listings: list[_Listing] = []
    notes: list[str] = []
    entity_tables = 0
    for table in parser.tables:
        expanded = _expand_rowspans(table.rows)
        header_at = next(
            (i for i, (_, cells) in enumerate(expanded) if any(_is_name_header(c.value()) for c in cells)),
            None,
        )
        if header_at is None:
            continue  # a layout or unrelated table
        entity_tables += 1
        header = [_header_text(cell.value()) for cell in expanded[header_at][1]]
        name_column = next(i for i, value in enumerate(header) if value in _NAME_HEADERS)
        date_column = next((i for i, value in enumerate(header) if value.startswith(_DATE_HEADER)), None)
        if date_column is None:
            raise ListFileError(name, "entity table has no 'Effective Date' column", expanded[header_at][0].line)
        section = table.section
        for _, cells in expanded[:header_at]:  # a title row above the header ("Section 2(d)(2)(B)(iv)")
            section = section_label(" ".join(cell.value() for cell in cells)) or section
        if section is None:
            notes.append(f"table at line {table.line} names no UFLPA section; its entries get program UFLPA only")
        for number, (row, cells) in enumerate(expanded[header_at + 1 :], start=1):
            values = [cell.value() for cell in cells]
            if not any(values):
                continue  # a spacer row
            if name_column < len(values) and _is_name_header(values[name_column]):
                continue  # the header repeated
            where = f"row {number} of the {section or 'unlabelled'} table"
            cell_text = values[name_column] if name_column < len(values) else ""
            if not cell_text:
                raise ListFileError(name, f"{where} has no entity name", row.line)
            split = split_name_cell(cell_text)
            if not name_tokens(split.primary):
                raise ListFileError(name, f"{where} has no entity name: {cell_text!r}", row.line)
            date_text = values[date_column] if date_column < len(values) else ""
            effective = parse_date(date_text)
            if effective is None:
                message = f"{where} ({split.primary}): Effective Date {date_text!r} is not a date"
                raise ListFileError(name, message, row.line)
            listings.append(
                _Listing(
                    line=row.line,
                    primary=split.primary,
                    aliases=split.aliases,
                    sections=(section,) if section else (),
                    effective=effective,
                    remarks=cell_text,
                    source_url=UFLPA_URL,
                )
            )
    if entity_tables == 0:
        raise ListFileError(name, "no table with a 'Name of Entity' header: not the UFLPA Entity List page", 1)
    result = _entries(list_id, listings, today or date.today())
    return ParseResult(result.entries, data_date=result.data_date, notes=notes + result.notes)


# --- the manual CSV ---------------------------------------------------------------------

CSV_REQUIRED = ("name", "uflpa_section", "effective_date")
CSV_OPTIONAL = ("aliases", "note", "source_url")
_CSV_MARKER = (
    r"(?P<marker>formerly\s+known\s+as|f\.?k\.?a\.?|now\s+known\s+as|n\.?k\.?a\.?"
    r"|also\s+known\s+as|a\.?k\.?a\.?)"
)
# "Y (formerly known as)" and "formerly known as Y".
_SUFFIX_MARKER = re.compile(rf"\s*\(\s*{_CSV_MARKER}\s*\)$", re.IGNORECASE)
_PREFIX_MARKER = re.compile(rf"^{_CSV_MARKER}[\s:]+", re.IGNORECASE)


def _marker_kind(marker: str) -> NameKind:
    marker = marker.lower()
    if marker.startswith(("formerly", "f")):
        return NameKind.FKA
    if marker.startswith(("now", "n")):
        return NameKind.NKA
    return NameKind.AKA


def csv_alias(text: str) -> Name | None:
    """One entry of the aliases column: "Y", "Y (formerly known as)" or "formerly known as Y"."""
    value = " ".join(text.split())
    kind = NameKind.AKA
    if match := _SUFFIX_MARKER.search(value):
        kind, value = _marker_kind(match.group("marker")), value[: match.start()]
    elif match := _PREFIX_MARKER.match(value):
        kind, value = _marker_kind(match.group("marker")), value[match.end() :]
    value = value.strip(" ,;")
    return Name(value, kind) if name_tokens(value) else None


def csv_sections(value: str) -> tuple[str, ...] | None:
    """Sections from the uflpa_section column; () for unknown, None when unreadable."""
    value = value.strip()
    if not value or (value.startswith("(") and value.endswith(")") and not _SECTION.search(value)):
        return ()
    sections: list[str] = []
    for part in value.split(";"):
        if not part.strip():
            continue
        label = section_label(part)
        if label is None:
            return None
        sections.append(label)
    return tuple(dict.fromkeys(sections))


def parse_uflpa_csv(
    list_id: str, files: Mapping[str, bytes], options: Mapping[str, list[str]], *, today: date | None = None
) -> ParseResult:
    """Entries from the hand-maintained CSV described in the module docstring."""
    name = UFLPA_CSV
    if name not in files:
        raise ListFileError(name, "required file is missing")
    text = _decode(files[name])
    if not text.strip():
        raise ListFileError(name, "the file is empty", 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    listings: list[_Listing] = []
    columns: dict[str, int] | None = None
    try:
        for fields in reader:
            if not fields or all(not value.strip() for value in fields):
                continue
            line = reader.line_num
            if columns is None:
                columns = {value.strip().lower(): index for index, value in enumerate(fields)}
                for column in CSV_REQUIRED:
                    if column not in columns:
                        raise ListFileError(name, f"header lacks the required column {column!r}", line)
                continue
            listings.append(_csv_listing(name, fields, columns, line))
    except csv.Error as exc:
        raise ListFileError(name, f"malformed CSV: {exc}", reader.line_num) from exc
    if not listings:
        raise ListFileError(name, "the header is not followed by any rows", reader.line_num)
    return _entries(list_id, listings, today or date.today())


def _csv_listing(file_name: str, fields: list[str], columns: dict[str, int], line: int) -> _Listing:
    def get(column: str) -> str:
        index = columns.get(column)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    cell = " ".join(get("name").split())
    split = split_name_cell(cell)
    if not name_tokens(split.primary):
        raise ListFileError(file_name, "row has no name", line)
    sections = csv_sections(get("uflpa_section"))
    if sections is None:
        raise ListFileError(
            file_name, f"uflpa_section {get('uflpa_section')!r} is not a UFLPA section like 2(d)(2)(B)(ii)", line
        )
    date_text = get("effective_date")
    effective = parse_date(date_text) if date_text else None
    if date_text and effective is None:
        raise ListFileError(file_name, f"effective_date {date_text!r} is not a date (expected YYYY-MM-DD)", line)
    aliases = list(split.aliases)
    aliases.extend(alias for part in get("aliases").split(";") if (alias := csv_alias(part)))
    note = " ".join(get("note").split())
    remarks = "; ".join(part for part in (cell if cell != split.primary else "", note) if part)
    return _Listing(
        line=line,
        primary=split.primary,
        aliases=tuple(aliases),
        sections=sections,
        effective=effective,
        remarks=remarks,
        source_url=get("source_url") or UFLPA_URL,
    )
