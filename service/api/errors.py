"""One table from the service's errors to gRPC status codes.

Domain errors name their status in a `grpc_code` class attribute (a string, so
the domain needs no gRPC import); the few older ones without it are listed
here. Handlers call `abort_with(context, exc)` instead of choosing codes one by
one, so the same error never reaches two clients as two different codes.
"""

from __future__ import annotations

from typing import NoReturn

import grpc
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.api.context import CallContext
from service.api.validation import InvalidArgument
from service.engine.screener import NotReady

# A store that cannot be reached or did not answer: UNAVAILABLE, the call may be retried (the interceptor
# maps them for every handler). A Redis error reply (ResponseError) is not an outage but a bug, and must
# not tell the client to retry.
STORE_ERRORS = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ConnectionError, TimeoutError)
STORE_UNAVAILABLE = "the service's store (Redis) is not answering; retry shortly"

# Errors that predate `grpc_code`.
_CODES: dict[type[BaseException], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotReady: grpc.StatusCode.UNAVAILABLE,
}


def status_for(exc: BaseException) -> grpc.StatusCode | None:
    """The gRPC status an error maps to, or None when it is not a known service error."""
    name = getattr(type(exc), "grpc_code", None)
    if isinstance(name, str):
        return grpc.StatusCode[name]
    for kind, code in _CODES.items():
        if isinstance(exc, kind):
            return code
    return None


async def abort_with(context: CallContext, exc: BaseException) -> NoReturn:
    """Abort the call with the status `exc` maps to; re-raise an unknown error (a bug, logged by gRPC)."""
    code = status_for(exc)
    if code is None:
        raise exc
    await context.abort(code, str(exc))
    raise AssertionError("unreachable: context.abort raises")  # for type checkers
