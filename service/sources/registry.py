"""Format id (as named in lists/sources.toml) -> parser, and the files it cannot do without.

Every parser has the same signature: the list id, the publisher's files by
official name, and the format's options from the catalogue (e.g. which trade.gov
CSL `source` values belong to the list). It returns a `ParseResult`.
`essential_files` says which of a format's files the catalogue must list as
`required`, so an edit of lists/sources.toml cannot make one optional again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from service.sources.bis.dpl import parse_dpl
from service.sources.cbp.wro import parse_wro_csv
from service.sources.dhs.uflpa import parse_uflpa_csv, parse_uflpa_html
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import read_legacy_set
from service.sources.ofac.legacy_files import file_set_for
from service.sources.ofac.sdn_xml import parse_sdn_xml
from service.sources.parsed import FORCED_OPTION, ParseResult
from service.sources.tradegov.csl import parse_csl_csv, parse_csl_json

FormatOptions = Mapping[str, list[str]]
Parser = Callable[[str, Mapping[str, bytes], FormatOptions], ParseResult]


def _ofac_legacy_csv(list_id: str, files: Mapping[str, bytes], options: FormatOptions) -> ParseResult:
    entries, notes = read_legacy_set(list_id, files, file_set_for(files), forced=bool(options.get(FORCED_OPTION)))
    return ParseResult(entries, notes=notes)


def _ofac_sdn_xml(list_id: str, files: Mapping[str, bytes], options: FormatOptions) -> ParseResult:
    if len(files) != 1:
        raise ListFileError(",".join(files) or "(none)", "the XML format takes exactly one file")
    ((name, data),) = files.items()
    entries, published_at = parse_sdn_xml(list_id, name, data)
    return ParseResult(entries, published_at, published_at.date())


PARSERS: dict[str, Parser] = {
    "ofac_legacy_csv": _ofac_legacy_csv,
    "ofac_sdn_xml": _ofac_sdn_xml,
    "csl_csv": parse_csl_csv,
    "csl_json": parse_csl_json,
    "bis_dpl_txt": parse_dpl,
    "uflpa_html": parse_uflpa_html,
    "uflpa_csv": parse_uflpa_csv,
    "cbp_wro_csv": parse_wro_csv,
}


def parser_for(format_id: str) -> Parser:
    try:
        return PARSERS[format_id]
    except KeyError:
        raise KeyError(f"no parser for format {format_id!r}") from None


def file_content(format_id: str, file_names: Collection[str], name: str) -> str:
    """What file `name` of a format's set carries ('' when the format does not say)."""
    if format_id == "ofac_legacy_csv":
        return file_set_for([*file_names, name]).content(name)
    return ""


def essential_files(format_id: str, file_names: Sequence[str]) -> tuple[str, ...]:
    """The files of a format (as the catalogue names them) that must be `required`."""
    if format_id == "ofac_legacy_csv":
        return file_set_for(file_names).essential
    # Every other format is a single file: its one required file.
    return ()
