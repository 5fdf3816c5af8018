"""One HTTP request seen as a gRPC call: what the servicer and the auth interceptor ask of a call.

The HTTP door does not re-implement the service: it parses the JSON body into the method's
request message (protobuf's JSON mapping, one contract), then runs the same admission
(authentication, roles, rate limit) and the same servicer method as a gRPC call, handing them
an `HttpCall` where they expect a `grpc.aio.ServicerContext`. What they do to the call (abort
with a status, set trailing metadata such as `retry-after`, send headers) is recorded here and
turned into the HTTP answer by service.http.problems.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import NoReturn

import grpc


class CallAborted(Exception):
    """The servicer or the interceptor ended the call with a status (context.abort)."""

    def __init__(
        self, code: grpc.StatusCode, details: str, field: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
        # The request field at fault when the door itself names it ("line 3" of a batch); else read from details.
        self.field = field
        # A status only HTTP has (413 for a body over the limit); else the code's (service.http.problems).
        self.http_status = http_status


class HttpCall:
    """The parts of grpc.aio.ServicerContext the service uses, for one HTTP request."""

    def __init__(self, authorization: str | None, peer: str, certificate_name: str | None = None) -> None:
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", authorization),) if authorization else ()
        self._peer = peer
        self._certificate_name = certificate_name
        self.trailing_metadata: tuple[tuple[str, str], ...] = ()
        self.initial_metadata: tuple[tuple[str, str], ...] = ()
        # Set when the servicer sends its headers: a stream is open before its first message.
        self.opened = asyncio.Event()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        return self._peer

    def auth_context(self) -> dict[str, list[bytes]]:
        """As gRPC gives it: the verified client certificate's common name under mutual TLS."""
        if self._certificate_name is None:
            return {}
        return {"x509_common_name": [self._certificate_name.encode()]}

    def time_remaining(self) -> float | None:
        return None  # an HTTP client sets no deadline the server could see

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, str]]) -> None:
        self.trailing_metadata = tuple(metadata)

    async def send_initial_metadata(self, metadata: Sequence[tuple[str, str]]) -> None:
        self.initial_metadata = tuple(metadata)
        self.opened.set()

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn:
        raise CallAborted(code, details)
