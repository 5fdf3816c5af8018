"""Format id (as named in lists/sources.toml) -> parser.

A parser takes the list id and the publisher's files by official name and
returns canonical entries plus the publication time when the files state one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from service.model import Entry
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import CONSOLIDATED_FILES, SDN_FILES, parse_legacy_csv
from service.sources.ofac.sdn_xml import parse_sdn_xml

Parser = Callable[[str, Mapping[str, bytes]], tuple[list[Entry], datetime | None]]


def _ofac_legacy_csv(list_id: str, files: Mapping[str, bytes]) -> tuple[list[Entry], datetime | None]:
    names = CONSOLIDATED_FILES if CONSOLIDATED_FILES.primary in files else SDN_FILES
    return parse_legacy_csv(list_id, files, names), None


def _ofac_sdn_xml(list_id: str, files: Mapping[str, bytes]) -> tuple[list[Entry], datetime | None]:
    if len(files) != 1:
        raise ListFileError(",".join(files) or "(none)", "the XML format takes exactly one file")
    (name, data), = files.items()
    return parse_sdn_xml(list_id, name, data)


PARSERS: dict[str, Parser] = {
    "ofac_legacy_csv": _ofac_legacy_csv,
    "ofac_sdn_xml": _ofac_sdn_xml,
}


def parser_for(format_id: str) -> Parser:
    try:
        return PARSERS[format_id]
    except KeyError:
        raise KeyError(f"no parser for format {format_id!r}") from None
