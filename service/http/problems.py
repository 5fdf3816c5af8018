"""Errors on the HTTP door: one table from gRPC status to HTTP status, answered as RFC 9457 problems.

The service decides a call's status once (service.api.errors, the interceptor, the servicer);
this module only says how each status reads over HTTP, so a client sees the same refusal on
both doors: INVALID_ARGUMENT naming the field is a 400 naming the field, and so on.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import grpc
from starlette.responses import JSONResponse

PROBLEM_TYPE = "application/problem+json"

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    # A precondition of the resource's state (a stale version, a disposition already reviewed).
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}

_TITLES = {status.value: status.phrase for status in HTTPStatus} | {499: "Client Closed Request"}

# "party.addresses[0].country: 'XX' is not ..." -> the field path before the first ": ".
_FIELD = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)*(?:/[A-Za-z_.\[\]0-9]+)*): "
)


def field_of(details: str) -> str | None:
    """The request field a message names first, as the service writes them ("context.items[2].hs_code: ...")."""
    found = _FIELD.match(details)
    return found.group(1) if found else None


def problem(
    code: grpc.StatusCode,
    details: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    status: int | None = None,
) -> JSONResponse:
    """The problem document for a call that ended with `code`: status, the gRPC code by name, the message, the field."""
    status = status or HTTP_STATUS.get(code, 500)
    body: dict[str, Any] = {
        # RFC 9457's generic type: the HTTP status says what kind of problem it is, "code" says it as gRPC does.
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code.name,
        "detail": details,
    }
    named = field if field is not None else field_of(details)
    if named is not None:
        body["field"] = named
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)
