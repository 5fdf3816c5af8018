"""Cheap checks on a fetched file before its parser sees it.

What arrives under a publisher's file name is not always that file. Observed or
reported in operation:
- an HTML error or maintenance page served with status 200 (publisher outage);
- a gzip body (1f 8b ...) or a zip archive ("PK\\x03\\x04") saved under the plain
  name, when a mirror script forgets to decompress;
- UTF-16 text, with a byte-order mark (FF FE / FE FF) or without one (every
  other byte NUL), when a file was opened and saved again in a Windows editor.
None of the publishers serves any of these (their files are ASCII, UTF-8 or, for
old BIS / State copies, Windows-1252). A parser would report them as a confusing
column-count or "not a number" error on line 1; saying what really arrived, and
what to do, saves an operator time.
"""

from __future__ import annotations

from collections.abc import Mapping

from service.sources.errors import ListFileError

_MARKUP_FORMATS = (".xml", ".html", ".htm", ".json")
_KINDS = {".csv": "CSV", ".xml": "XML", ".json": "JSON", ".txt": "text", ".html": "HTML", ".htm": "HTML"}
# How much of the head the UTF-16 guess looks at: enough for a few hundred characters.
_HEAD = 512


def file_kind(name: str) -> str:
    """'CSV', 'XML' ... from the file name, for messages."""
    lowered = name.lower()
    return next((kind for ext, kind in _KINDS.items() if lowered.endswith(ext)), "a text file")


def check_files(files: Mapping[str, bytes]) -> None:
    """Raise ListFileError naming what arrived instead of the publisher's text file.

    (Empty files are the parsers' call: an empty optional file can be legitimate.)
    """
    for name, data in files.items():
        check_file(name, data)


def check_file(name: str, data: bytes) -> None:
    kind = file_kind(name)
    if data.startswith(b"\x1f\x8b"):
        raise ListFileError(
            name, f"is a gzip-compressed file, not {kind}: decompress it first, or point at the uncompressed file"
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise ListFileError(
            name, f"is a zip archive, not {kind}: extract {name} from it first, or point at the uncompressed file"
        )
    utf16 = _utf16_evidence(data[:_HEAD])
    if utf16:
        raise ListFileError(
            name,
            f"is UTF-16 text ({utf16}), not the publisher's {kind} (ASCII / UTF-8): the file was re-saved by an "
            f"editor; download it again, or convert it to UTF-8",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ListFileError(
            name,
            f"a NUL byte at byte offset {nul}: a text file never holds one, so the file is damaged or binary; download it again",
            data.count(b"\n", 0, nul) + 1,
        )
    head = data[:_HEAD].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not name.lower().endswith(_MARKUP_FORMATS) and head.startswith(
        (b"<!doctype html", b"<html", b"<?xml", b"<head")
    ):
        raise ListFileError(name, "received an HTML page, not the data file (publisher outage or error page?)", 1)


def _utf16_evidence(head: bytes) -> str:
    """Why `head` looks like UTF-16 ('' when it does not)."""
    if head.startswith(b"\xff\xfe"):
        return "byte-order mark FF FE, little-endian"
    if head.startswith(b"\xfe\xff"):
        return "byte-order mark FE FF, big-endian"
    # Without a mark: ASCII text in UTF-16 has a NUL in every other byte.
    pairs = len(head) // 2
    if pairs < 4:
        return ""
    even_nuls = sum(1 for i in range(0, pairs * 2, 2) if head[i] == 0)
    odd_nuls = sum(1 for i in range(1, pairs * 2, 2) if head[i] == 0)
    if odd_nuls >= 0.9 * pairs and even_nuls == 0:
        return "no byte-order mark, a NUL after every character: little-endian"
    if even_nuls >= 0.9 * pairs and odd_nuls == 0:
        return "no byte-order mark, a NUL before every character: big-endian"
    return ""
