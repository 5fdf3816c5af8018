"""Batch files: parties in (CSV or JSON Lines), one result per party out.

Input columns (CSV header names or JSON keys, case-insensitive; spaces and hyphens
count as underscores; other columns are ignored):

    party_reference  required, unique in the file; sent as request_id and party_reference
    name             required (the column, and a value unless the row gives identifiers)
    type             individual | organization | vessel | aircraft | blank
    alternative_names, nationalities      ';'-separated (JSON: a string or a list)
    country, city, postal_code, address   one address; `address` is its street line
    date_of_birth    YYYY, YYYY-MM or YYYY-MM-DD
    direction        export | import | payment | other; blank: the --direction default
    destination_country
    owners           'Name:percent;Name:percent'
    identifiers      'TYPE=VALUE; TYPE@CC=VALUE' (CC: the issuing country), e.g.
                     'imo=9187629; passport@IR=D9016371'. JSON: that string, a list of such
                     strings, or a list of {"type": ..., "value": ..., "issuing_country": ...}

A row with identifiers may leave the name empty: it is screened by its identifiers alone; a
file may then have no name column at all, when it has an identifiers column.

Only what the server cannot see is checked here: a missing required column (the whole
file is refused before anything is screened), a repeated or empty party_reference, a
value that has no place in the request (an unknown type or direction, an owner share
that is not a number, an identifier not written TYPE=VALUE, extra CSV fields); an
identifier's type, value and country are the server's to judge. Everything else, country codes and dates
included, is the server's to judge, so `--local` and the server agree on every message.

Rows are read one at a time: a file of a million parties is never held in memory.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from service.api.gen import screening_pb2 as pb
from service.command_words import DIRECTIONS, PARTY_TYPES, parse_identifier
from service.sources.text import decode_text

FORMATS = ("csv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

INPUT_COLUMNS = (
    "party_reference", "name", "type", "alternative_names", "country", "city", "postal_code", "address",
    "date_of_birth", "nationalities", "direction", "destination_country", "owners", "identifiers",
)  # fmt: skip
REQUIRED_COLUMNS = ("party_reference", "name")
# A required column that another one can stand in for: parties screened by identifiers alone need no name.
_REQUIRED_UNLESS = {"name": "identifiers"}

OUTPUT_COLUMNS = (
    "party_reference", "decision", "top_list_id", "top_entry_id", "top_listed_name", "top_score",
    "reason_codes", "summary", "screening_id", "error", "list_versions",
)  # fmt: skip
ERROR_DECISION = "ERROR"

# Server field paths (indices removed) -> the input column a user has to fix.
_FIELD_COLUMNS = {
    "request_id": "party_reference",
    "party.party_reference": "party_reference",
    "party.name": "name",
    "party.type": "type",
    "party.alternative_names": "alternative_names",
    "party.addresses.country": "country",
    "party.addresses.city": "city",
    "party.addresses.postal_code": "postal_code",
    "party.addresses.lines": "address",
    "party.date_of_birth": "date_of_birth",
    "party.nationalities": "nationalities",
    "party.owners": "owners",
    "party.owners.name": "owners",
    "party.owners.share_percent": "owners",
    "party.identifiers": "identifiers",
    "party.identifiers.type": "identifiers",
    "party.identifiers.value": "identifiers",
    "party.identifiers.issuing_country": "identifiers",
    "context.direction": "direction",
    "context.destination_country": "destination_country",
}
_INDEX = re.compile(r"\[\d+\]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


class BadInput(Exception):
    """The file (not one row of it) cannot be used: exit 2."""


class RowError(ValueError):
    """One row cannot become a request; it is reported as an ERROR result."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")


def file_format(path: Path, explicit: str | None, option: str) -> str:
    """csv or jsonl: the option if given, else the file's extension."""
    if explicit:
        return explicit
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise BadInput(f"cannot tell the format of {path} from its extension; use {option} csv|jsonl")
    return found


def count_lines(path: Path) -> int:
    """Lines in the file, for the progress bar's total: newline bytes, 1 MiB at a time."""
    count = 0
    last = b""
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (1 if last not in (b"", b"\n") else 0)


def count_rows(path: Path, input_format: str) -> int:
    """Parties in the file, for a progress bar's total: its lines, less a CSV's header row."""
    return max(count_lines(path) - (input_format == "csv"), 0)


def column_of(field: str) -> str | None:
    """The input column behind a server field path: 'party.addresses[0].country' -> 'country'."""
    return _FIELD_COLUMNS.get(_INDEX.sub("", field))


# ----------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class InputRow:
    line: int  # where the row ends in the input, for messages
    reference: str
    request: pb.ScreenRequest | None = None
    error: str = ""  # set instead of request when the row cannot be sent


def _header_name(raw: str) -> str:
    return _HEADER_SEPARATORS.sub("_", raw.strip().lower())


def _text(values: Mapping[str, object], column: str) -> str:
    value = values.get(column)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(column, "must be a string")
    return str(value).strip()


def _items(values: Mapping[str, object], column: str) -> list[str]:
    value = values.get(column)
    if isinstance(value, list):  # JSON Lines may give a list instead of 'a;b'
        parts = []
        for item in value:
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise RowError(column, "must be a string or a list of strings")
            parts.append(str(item))
    else:
        parts = _text(values, column).split(";")
    return [part.strip() for part in parts if part.strip()]


def _owners(values: Mapping[str, object]) -> list[pb.Owner]:
    owners = []
    for i, item in enumerate(_items(values, "owners")):
        name, colon, share = item.rpartition(":")
        try:
            if not colon:
                raise ValueError
            percent = float(share.strip().removesuffix("%"))
        except ValueError:
            raise RowError(f"owners[{i}]", f"{item[:64]!r}: write Name:percent, e.g. 'Ivan Petrov:30'") from None
        owners.append(pb.Owner(name=name.strip(), share_percent=percent))
    return owners


_IDENTIFIER_KEYS = ("type", "value", "issuing_country")
_IDENTIFIER_OBJECT = 'an object is {"type": "imo", "value": "9187629"}, with "issuing_country" optional'


def _identifier_object(obj: Mapping[object, object], column: str) -> pb.Identifier:
    fields = {_header_name(str(key)): value for key, value in obj.items()}
    unknown = [key for key in fields if key not in _IDENTIFIER_KEYS]
    if unknown:
        raise RowError(column, f"{unknown[0][:32]!r} is not an identifier key: {_IDENTIFIER_OBJECT}")
    parts = []
    for key in _IDENTIFIER_KEYS:
        value = fields.get(key)
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise RowError(column, f"{key} must be a string: {_IDENTIFIER_OBJECT}")
        parts.append(str(value).strip())
    type_name, value, country = parts
    if not type_name or not value:
        raise RowError(column, f"type and value are required: {_IDENTIFIER_OBJECT}")
    return pb.Identifier(type=type_name, value=value, issuing_country=country.upper())


def _identifiers(values: Mapping[str, object]) -> list[pb.Identifier]:
    """The `identifiers` column: 'TYPE=VALUE; TYPE@CC=VALUE' (JSON: also a list of such strings or of objects)."""
    value = values.get("identifiers")
    if value is None or isinstance(value, str):
        value = [value or ""]
    elif not isinstance(value, list):
        raise RowError("identifiers", "must be a string (TYPE=VALUE; ...), or a list of strings or objects")
    items: list[object] = []
    for item in value:
        # A string may hold several, ';'-separated, in a list as in a CSV cell.
        if isinstance(item, str):
            items.extend(part.strip() for part in item.split(";") if part.strip())
        else:
            items.append(item)
    identifiers = []
    for i, item in enumerate(items):
        column = f"identifiers[{i}]"
        if isinstance(item, dict):
            identifiers.append(_identifier_object(item, column))
        elif isinstance(item, str):
            try:
                identifiers.append(parse_identifier(item))
            except ValueError as exc:
                raise RowError(column, str(exc)) from None
        else:
            raise RowError(column, f"must be a string (TYPE=VALUE) or an object: {_IDENTIFIER_OBJECT}")
    return identifiers


def build_request(values: Mapping[str, object], reference: str, default_direction: str) -> pb.ScreenRequest:
    """One row -> the request the server validates. Raises RowError for what cannot be expressed."""
    party = pb.Party(
        name=_text(values, "name"),
        party_reference=reference,
        alternative_names=_items(values, "alternative_names"),
        date_of_birth=_text(values, "date_of_birth"),
        nationalities=_items(values, "nationalities"),
        owners=_owners(values),
        identifiers=_identifiers(values),
    )
    kind = _text(values, "type").lower()
    if kind not in PARTY_TYPES and kind:
        choices = "individual, organization, vessel, aircraft or blank"
        raise RowError("type", f"{kind[:32]!r} is not a party type: {choices}")
    party.type = PARTY_TYPES.get(kind, pb.PARTY_TYPE_UNSPECIFIED)
    country, city, postal_code, street = (_text(values, c) for c in ("country", "city", "postal_code", "address"))
    if country or city or postal_code or street:
        party.addresses.add(country=country, city=city, postal_code=postal_code, lines=[street] if street else [])
    direction = _text(values, "direction").lower() or default_direction
    if direction not in DIRECTIONS:
        raise RowError("direction", f"{direction[:32]!r} is not a direction: export, import, payment, other or blank")
    context = pb.TransactionContext(
        direction=DIRECTIONS[direction], destination_country=_text(values, "destination_country")
    )
    return pb.ScreenRequest(request_id=reference, party=party, context=context)


class PartyReader:
    """Iterates the parties of a CSV or JSON Lines file, one InputRow per party, in file order.

    Opening checks what makes the whole file unusable (no header, a required column
    missing), so a bad file is refused before anything is screened.
    """

    def __init__(self, path: Path, fmt: str, default_direction: str = "export") -> None:
        self.path = path
        self.format = fmt
        self.default_direction = default_direction
        self.ignored_columns: tuple[str, ...] = ()
        self.cp1252_lines = 0  # lines that were not UTF-8 and were read as Windows-1252
        self._binary: IO[bytes] | None = None
        self._lines: Iterator[str] = iter(())
        self._header: list[str] = []
        self._first: tuple[int, dict[str, object]] | None = None  # the JSON object read while opening
        self._seen: dict[str, int] = {}  # party_reference -> line of its first row

    def __enter__(self) -> Self:
        try:
            self._binary = self.path.open("rb")
        except OSError as exc:
            raise BadInput(f"cannot read {self.path}: {exc.strerror}") from None
        # Line by line, each decoded like a publisher's file (UTF-8, BOM dropped, else
        # Windows-1252), so the file is streamed; csv.reader accepts any iterable of lines.
        self._lines = (self._decode(raw) for raw in self._binary)
        try:
            if self.format == "csv":
                self._open_csv()
            else:
                self._open_jsonl()
        except BadInput:
            self._binary.close()  # __exit__ is not called when __enter__ raises
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._binary is not None:
            self._binary.close()

    def _decode(self, raw: bytes) -> str:
        text, fallback = decode_text(raw)
        self.cp1252_lines += fallback
        return text

    def _check_columns(self, columns: list[str], where: str) -> None:
        for column in REQUIRED_COLUMNS:
            if column not in columns and _REQUIRED_UNLESS.get(column) not in columns:
                found = ", ".join(c for c in columns if c) or "none"
                kind = "column" if self.format == "csv" else "key"
                required = ", ".join(f"{c} (or {_REQUIRED_UNLESS[c]})" if c in _REQUIRED_UNLESS else c
                                     for c in REQUIRED_COLUMNS)  # fmt: skip
                raise BadInput(f"{self.path}: {where} has no '{column}' {kind} (found: {found}); required: {required}")
        self.ignored_columns = tuple(c for c in columns if c not in INPUT_COLUMNS)

    def _open_csv(self) -> None:
        self._csv = csv.reader(self._lines)
        try:
            header = next(self._csv, None)
        except csv.Error as exc:
            raise BadInput(f"{self.path} line 1: {exc}") from None
        if not header:
            raise BadInput(f"{self.path} is empty: a CSV file needs a header row ({', '.join(INPUT_COLUMNS)})")
        self._header = [_header_name(h) for h in header]
        repeated = sorted({c for c in self._header if c and self._header.count(c) > 1})
        if repeated:
            raise BadInput(f"{self.path}: the header names column '{repeated[0]}' more than once")
        self._check_columns(self._header, "the header")

    def _open_jsonl(self) -> None:
        # JSON Lines has no header: the first object stands in for it, so a file written
        # with the wrong keys fails at once rather than as a million ERROR rows.
        for line, text in enumerate(self._lines, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadInput(f"{self.path} line {line}: not JSON Lines ({exc.msg}, column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise BadInput(f"{self.path} line {line}: each line must be a JSON object")
            self._check_columns([_header_name(str(k)) for k in obj], f"line {line}")
            self._first = (line, obj)
            self._next_line = line + 1
            return
        raise BadInput(f"{self.path} holds no party")

    def __iter__(self) -> Iterator[InputRow]:
        return self._iter_csv() if self.format == "csv" else self._iter_jsonl()

    def _iter_csv(self) -> Iterator[InputRow]:
        width = len(self._header)
        while True:
            try:
                fields = next(self._csv, None)
            except csv.Error as exc:
                raise BadInput(f"{self.path} line {self._csv.line_num}: {exc}") from None
            if fields is None:
                return
            if not any(field.strip() for field in fields):
                continue  # blank line
            values = {column: fields[i] for i, column in enumerate(self._header[: len(fields)]) if column}
            row = self._row(self._csv.line_num, values)
            if len(fields) > width and row.request is not None:
                # Usually an unquoted comma in an address: the columns after it are shifted.
                row = InputRow(row.line, row.reference, error=f"row has {len(fields)} fields but the header {width} "
                               f"(an unquoted comma?) (input line {row.line})")  # fmt: skip
            yield row

    def _iter_jsonl(self) -> Iterator[InputRow]:
        assert self._first is not None
        line, obj = self._first
        yield self._row(line, {_header_name(str(k)): v for k, v in obj.items()})
        for line, text in enumerate(self._lines, start=self._next_line):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield InputRow(line, "", error=f"not valid JSON ({exc.msg}, column {exc.colno}) (input line {line})")
                continue
            if not isinstance(obj, dict):
                yield InputRow(line, "", error=f"not a JSON object (input line {line})")
                continue
            yield self._row(line, {_header_name(str(k)): v for k, v in obj.items()})

    def _row(self, line: int, values: Mapping[str, object]) -> InputRow:
        try:
            reference = _text(values, "party_reference")
        except RowError as exc:
            return InputRow(line, "", error=f"{exc} (input line {line})")
        if not reference:
            return InputRow(line, "", error=f"party_reference: is required and must not be empty (input line {line})")
        first = self._seen.setdefault(reference, line)
        if first != line:
            return InputRow(line, reference, error=f"party_reference: {reference[:64]!r} appears again (first on "
                            f"input line {first}); each party needs its own reference (input line {line})")  # fmt: skip
        try:
            return InputRow(line, reference, build_request(values, reference, self.default_direction))
        except RowError as exc:
            return InputRow(line, reference, error=f"{exc} (input line {line})")


# ----------------------------------------------------------------- output


def _decision_name(decision: int) -> str:
    return pb.Decision.Name(decision).removeprefix("DECISION_")


def error_row(reference: str, message: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(OUTPUT_COLUMNS, "")
    row.update(party_reference=reference, decision=ERROR_DECISION, top_score=None, error=message)
    return row


def result_row(row: InputRow, response: pb.ScreenResponse) -> dict[str, object]:
    """The output row for one answer; an item the server rejected becomes an ERROR row."""
    if response.HasField("error"):
        column = column_of(response.error.field)
        where = f"column '{column}', input line {row.line}" if column else f"input line {row.line}"
        return error_row(row.reference, f"{response.error.message} ({where})")
    top = response.matches[0] if response.matches else None
    return {
        "party_reference": row.reference,
        "decision": _decision_name(response.decision),
        "top_list_id": top.list_id if top else "",
        "top_entry_id": top.entry_id if top else "",
        "top_listed_name": top.listed_name if top else "",
        "top_score": round(top.score, 4) if top else None,
        # Several rules can give the same code (one per listing): each code once, strictest first.
        "reason_codes": ";".join(dict.fromkeys(reason.code for reason in response.reasons)),
        "summary": response.summary,
        "screening_id": response.screening_id,
        "error": "",
        "list_versions": ";".join(f"{v.list_id}@{v.version}" for v in response.list_versions),
    }


_LINE_BREAKS = re.compile(r"[\r\n]+")


class ResultWriter:
    """Appends result rows to a CSV or JSON Lines file, one physical line per party.

    One line per party (line breaks inside CSV values become spaces) is what lets
    `--resume` recognise, and drop, a row cut off by an interrupted write.
    """

    def __init__(self, path: Path, fmt: str, *, append: bool) -> None:
        needs_header = not append or not path.exists() or path.stat().st_size == 0
        self._file = path.open("a" if append else "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None and needs_header:
            self._csv.writerow(OUTPUT_COLUMNS)

    def write(self, row: Mapping[str, object]) -> None:
        if self._csv is None:
            self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        values = (row[column] for column in OUTPUT_COLUMNS)
        # isprintable() (a C scan) is False for any line break: most values skip the regex.
        self._csv.writerow(
            value if not isinstance(value, str) or value.isprintable() else _LINE_BREAKS.sub(" ", value)
            for value in values
        )

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


# ----------------------------------------------------------------- resume


def drop_partial_line(path: Path) -> int:
    """Cut a last line without its newline (a write interrupted mid-row); returns the bytes dropped."""
    with path.open("r+b") as file:
        end = file.seek(0, 2)
        position = end
        while position > 0:
            start = max(0, position - (1 << 16))
            file.seek(start)
            block = file.read(position - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            position = start
        else:
            keep = 0
        if keep < end:
            file.truncate(keep)
        return end - keep


def written_references(path: Path, fmt: str) -> list[str]:
    """party_reference of every complete row of an earlier run's output, in order."""
    not_ours = f"{path} is not the output of `screening batch`"
    with path.open(encoding="utf-8-sig", newline="") as file:
        if fmt == "csv":
            reader = csv.reader(file)
            header = next(reader, None)
            if header is None:
                return []
            if tuple(header) != OUTPUT_COLUMNS:
                raise BadInput(f"{not_ours} (its header differs); use --overwrite to replace it")
            references = []
            for fields in reader:
                if len(fields) != len(OUTPUT_COLUMNS):
                    raise BadInput(f"{not_ours}: line {reader.line_num} has {len(fields)} fields; use --overwrite")
                references.append(fields[0])
            return references
        references = []
        for line, text in enumerate(file, start=1):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                raise BadInput(f"{not_ours}: line {line} is not JSON; use --overwrite") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("party_reference"), str):
                raise BadInput(f"{not_ours}: line {line} has no party_reference; use --overwrite")
            references.append(obj["party_reference"])
        return references
