"""Timing and counting calls, by door, method and status code (both doors share the families)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.metrics import RPC_SECONDS, RPC_STREAMS


def record_call(door: str, method: str, code: str, seconds: float, stream: bool = False) -> None:
    if stream:
        RPC_STREAMS.labels(door, method, code).inc()
    else:
        RPC_SECONDS.labels(door, method, code).observe(seconds)


def _code(context: Any, failure: BaseException | None) -> str:
    if isinstance(failure, asyncio.CancelledError):
        return "CANCELLED"
    code = context.code()  # what abort() or set_code() set; None when the handler just returned
    if code is not None and hasattr(code, "name"):
        return str(code.name)
    if isinstance(code, int) and code == 0:
        return "OK"
    return "OK" if failure is None else "UNKNOWN"


@contextmanager
def observed_call(door: str, method: str, context: Any, stream: bool = False) -> Iterator[None]:
    """Around a gRPC handler: its duration and the status it ended with (`context.code()`)."""
    started = time.perf_counter()
    try:
        yield
    except BaseException as failure:
        record_call(door, method, _code(context, failure), time.perf_counter() - started, stream)
        raise
    record_call(door, method, _code(context, None), time.perf_counter() - started, stream)
