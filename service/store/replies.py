"""Redis replies typed as our clients return them: bytes, never str.

Every client the service makes says `decode_responses=False` (service/store/connection.py), so each
string in a reply is bytes. redis-py types its replies for either setting (`bytes | str`), and a stream
entry's id and fields as possibly None too (the shape XAUTOCLAIM gives deleted entries; XRANGE,
XREVRANGE and XREAD never do). These helpers state what our replies are, for the type checker only: each
returns its argument unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast, overload

if TYPE_CHECKING:  # redis-py's reply types (redis.typing), as of redis-py 8
    from redis.typing import StreamRangeResponse, XReadGroupResponse, XReadResponse, ZSetRangeResponse

StreamEntries = list[tuple[bytes, dict[bytes, bytes]]]
"""XRANGE and XREVRANGE: (entry id, fields) in stream order."""
StreamsRead = list[tuple[bytes, StreamEntries]]
"""XREAD and XREADGROUP with RESP2 (our protocol): one [stream key, entries] pair per stream that had any."""


@overload
def raw(value: bytes | str) -> bytes: ...
@overload
def raw(value: bytes | str | None) -> bytes | None: ...
def raw(value: bytes | str | None) -> bytes | None:
    """A string reply (GET, HGET, an XADD id ...)."""
    return cast("bytes | None", value)


@overload
def raw_all(values: list[bytes | str]) -> list[bytes]: ...
@overload
def raw_all(values: list[bytes | str | None]) -> list[bytes | None]: ...
@overload
def raw_all(values: set[bytes | str]) -> set[bytes]: ...
def raw_all(values: Iterable[bytes | str | None]) -> Iterable[bytes | None]:
    """A list or set of string replies (MGET, HMGET, HKEYS, SMEMBERS, LRANGE ...)."""
    return cast("Iterable[bytes | None]", values)


def raw_hash(reply: dict[bytes | str, bytes | str]) -> dict[bytes, bytes]:
    """HGETALL."""
    return cast(dict[bytes, bytes], reply)


def members(reply: ZSetRangeResponse) -> list[bytes]:
    """ZRANGE or ZREVRANGE without WITHSCORES."""
    return cast(list[bytes], reply)


def entries(reply: StreamRangeResponse | None) -> StreamEntries:
    """XRANGE or XREVRANGE (typed `list[...] | None` by redis-py; Redis answers an empty range with [])."""
    return cast(StreamEntries, reply)


def streams_read(reply: XReadResponse | XReadGroupResponse | None) -> StreamsRead:
    """XREAD or XREADGROUP, empty when nothing came (the reply is None then, or an empty list)."""
    return cast(StreamsRead, reply or [])
