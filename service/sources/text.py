"""Bytes of a publisher's text file -> str, the same way for every format.

The agencies promise ASCII or UTF-8; older files carry Windows-1252 bytes
(OFAC's legacy CSVs, the DDTC list). UTF-8 is tried first (it fails loudly on
cp1252 bytes), then cp1252; a UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import codecs


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text, and whether it had to be read as Windows-1252 rather than UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True
