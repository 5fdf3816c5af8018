"""Bytes of a publisher's text file -> str.

Two ways, chosen per format by what the publisher really sends:
- `decode_text`: UTF-8, falling back to Windows-1252 (it fails loudly on cp1252
  bytes, so the order is safe). For files that really come both ways: BIS's
  older dpl.txt copies, State's DDTC list (cp1252 with stray 0xA0 bytes), a
  UFLPA CSV kept by hand in Excel, trade.gov CSL copies; the parsers note the
  fallback in the list status.
- `decode_strict`: UTF-8 only, no control characters but TAB, CR and LF. For
  files whose publisher never sends anything else: OFAC's legacy CSV set. Every
  one of the 27 real OFAC CSV files under shared/data (2021-07 .. 2026-06, SDN
  and non-SDN) is pure ASCII (not one byte >= 0x80, no control byte but CR, LF
  and the final 0x1A), as OFAC's data specification says ("ASCII text files").
  A Windows-1252 reading would turn any stray byte into a plausible letter (FF FE
  became a country "ÿþ"), so a byte that is not UTF-8 is an error naming its
  line and byte offset. (UTF-8, not ASCII alone: its multi-byte sequences are
  never what corruption looks like, and OFAC's other exports are UTF-8.)
A UTF-8 byte-order mark is dropped either way.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from datetime import date, datetime

from service.sources.errors import ListFileError

# C0 controls but TAB, LF and CR, plus DEL: never part of a list's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text, and whether it had to be read as Windows-1252 rather than UTF-8."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def decode_strict(name: str, data: bytes, publisher_encoding: str) -> str:
    """UTF-8 text without control characters, or ListFileError naming line and byte offset.

    `publisher_encoding` is what the publisher really sends ("ASCII"), for the message.
    """
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise ListFileError(
            name,
            f"byte 0x{data[offset]:02x} at byte offset {offset} is not {publisher_encoding} or UTF-8 text "
            f"({publisher_encoding} is what the publisher sends): the file is damaged or was re-saved in another "
            f"encoding; download it again",
            line_of(data, offset),
        ) from None
    control = _CONTROL.search(text)
    if control:
        offset = start + len(text[: control.start()].encode("utf-8"))
        raise ListFileError(
            name,
            f"control byte 0x{ord(control.group()):02x} at byte offset {offset} inside the data: the file is damaged "
            f"(or two files were joined); download it again",
            line_of(data, offset),
        )
    return text


def line_of(data: bytes, offset: int) -> int:
    """1-based line number of the byte at `offset`."""
    return data.count(b"\n", 0, offset) + 1


def date_in_formats(text: str, formats: Sequence[str]) -> date | None:
    """The date `text` writes in the first of `formats` (strptime patterns) that reads it; None if none does."""
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
