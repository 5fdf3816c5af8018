"""What a handler asks of its call: the parts of `grpc.aio.ServicerContext` the service uses.

Two things stand for a call. A gRPC call's grpc.aio ServicerContext, and the HTTP door's
`HttpCall` (service/http/call.py), which runs the same admission and servicer methods and
turns what they do to the call (abort, trailing metadata, headers) into an HTTP answer. The
servicer and the auth interceptor take either: this Protocol is the type both satisfy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NoReturn, Protocol

import grpc


class CallContext(Protocol):
    def invocation_metadata(self) -> Iterable[tuple[str, str | bytes]] | None: ...

    def peer(self) -> str: ...

    def auth_context(self) -> Mapping[str, Iterable[bytes]]: ...

    def time_remaining(self) -> float | None: ...

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, str]], /) -> None: ...

    async def send_initial_metadata(self, metadata: Sequence[tuple[str, str]], /) -> None: ...

    async def abort(self, code: grpc.StatusCode, details: str = ..., /) -> NoReturn: ...
