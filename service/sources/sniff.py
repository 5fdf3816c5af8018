"""Cheap checks on a fetched file before its parser sees it.

Publishers' web servers answer outages with an HTML error page and a 200, and
proxies truncate bodies to nothing; a parser would report those as a confusing
column-count error on line 1. Saying what really arrived saves an operator time.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.sources.errors import ListFileError

_MARKUP_FORMATS = (".xml", ".html", ".htm", ".json")


def check_files(files: Mapping[str, bytes]) -> None:
    """Raise ListFileError for an HTML page where a data file was expected.

    (Empty files are the parsers' call: an empty optional file can be legitimate.)
    """
    for name, data in files.items():
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if not name.lower().endswith(_MARKUP_FORMATS) and head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
            raise ListFileError(name, "received an HTML page, not the data file (publisher outage or error page?)", 1)
