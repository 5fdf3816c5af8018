"""Format id (as named in lists/sources.toml) -> parser.

Every parser has the same signature: the list id, the publisher's files by
official name, and the format's options from the catalogue (e.g. which trade.gov
CSL `source` values belong to the list). It returns a `ParseResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from service.sources.bis.dpl import parse_dpl
from service.sources.dhs.uflpa import parse_uflpa_csv, parse_uflpa_html
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import CONSOLIDATED_FILES, SDN_FILES, parse_legacy_csv
from service.sources.ofac.sdn_xml import parse_sdn_xml
from service.sources.parsed import ParseResult
from service.sources.tradegov.csl import parse_csl_csv, parse_csl_json

FormatOptions = Mapping[str, list[str]]
Parser = Callable[[str, Mapping[str, bytes], FormatOptions], ParseResult]


def _ofac_legacy_csv(list_id: str, files: Mapping[str, bytes], options: FormatOptions) -> ParseResult:
    names = CONSOLIDATED_FILES if CONSOLIDATED_FILES.primary in files else SDN_FILES
    return ParseResult(parse_legacy_csv(list_id, files, names))


def _ofac_sdn_xml(list_id: str, files: Mapping[str, bytes], options: FormatOptions) -> ParseResult:
    if len(files) != 1:
        raise ListFileError(",".join(files) or "(none)", "the XML format takes exactly one file")
    ((name, data),) = files.items()
    entries, published_at = parse_sdn_xml(list_id, name, data)
    return ParseResult(entries, published_at, published_at.date() if published_at else None)


PARSERS: dict[str, Parser] = {
    "ofac_legacy_csv": _ofac_legacy_csv,
    "ofac_sdn_xml": _ofac_sdn_xml,
    "csl_csv": parse_csl_csv,
    "csl_json": parse_csl_json,
    "bis_dpl_txt": parse_dpl,
    "uflpa_html": parse_uflpa_html,
    "uflpa_csv": parse_uflpa_csv,
}


def parser_for(format_id: str) -> Parser:
    try:
        return PARSERS[format_id]
    except KeyError:
        raise KeyError(f"no parser for format {format_id!r}") from None
