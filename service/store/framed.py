"""Large values stored as independently compressed parts.

A reader decodes one part at a time and can let the event loop run in between,
so loading a big list version or a stored index never holds the loop (or the GIL)
for longer than one part takes to decode. Layout:

    MAGIC | 4-byte big-endian header length | msgpack [part lengths] | zlib(part) ...
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence

import msgspec

MAGIC = b"SCRFRAMED1\n"
_LENGTHS = msgspec.msgpack.Decoder(list[int])


class FramedError(ValueError):
    """The bytes are not a complete framed value."""


def frame(parts: Sequence[bytes], level: int = 6) -> bytes:
    compressed = [zlib.compress(part, level) for part in parts]
    header = msgspec.msgpack.encode([len(part) for part in compressed])
    return b"".join((MAGIC, struct.pack(">I", len(header)), header, *compressed))


def is_framed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def part_count(blob: bytes) -> int:
    return len(_lengths(memoryview(blob))[0])


def parts(blob: bytes) -> Iterator[bytes]:
    """Each part, decompressed, in order."""
    view = memoryview(blob)
    lengths, offset = _lengths(view)
    if offset + sum(lengths) != len(view):
        raise FramedError(f"framed value is {len(view)} bytes, its header describes {offset + sum(lengths)}")
    for length in lengths:
        try:
            yield zlib.decompress(view[offset : offset + length])
        except zlib.error as exc:
            raise FramedError(f"part at byte {offset} does not decompress: {exc}") from exc
        offset += length


def _lengths(view: memoryview) -> tuple[list[int], int]:
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise FramedError("not a framed value (magic bytes missing)")
    start = len(MAGIC) + 4
    if len(view) < start:
        raise FramedError("framed value cut short in its header")
    (header_length,) = struct.unpack(">I", view[len(MAGIC) : start])
    try:
        lengths = _LENGTHS.decode(view[start : start + header_length])
    except msgspec.DecodeError as exc:
        raise FramedError(f"framed header unreadable: {exc}") from exc
    return lengths, start + header_length
