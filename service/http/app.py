"""The HTTP/JSON door: the same operations as gRPC, over the same servicer, checks and audit.

Each route (service.http.routes) turns its HTTP request into the method's request message, then
does what the gRPC server does for a call: the auth interceptor's admission (the principal from
`Authorization: Bearer <API key or token>`, its roles for that method, its rate limit and stream
cap), then the servicer's method, with an `HttpCall` standing for the gRPC call context. So a
client gets the same decision, the same refusal and the same audit record through either door.

Answers: the response message as JSON (field names as in the .proto); a refusal as an RFC 9457
problem document (service.http.problems); ScreenBatch as JSON Lines, WatchAlerts as Server-Sent
Events. `GET /openapi.json` describes every route from the contract; `GET /docs` renders it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

import grpc
import structlog
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute

from service.api.errors import STORE_ERRORS, STORE_UNAVAILABLE
from service.api.gen import screening_pb2 as pb
from service.api.servicer import ScreeningServicer
from service.console.oidc import CodeFlow
from service.console.routes import Console
from service.grpc_door.interceptors.auth import AuthInterceptor
from service.http.call import CallAborted, HttpCall
from service.http.messages import invalid, message_from_query, parse_message, to_document
from service.http.openapi import openapi_document, reference_page
from service.http.problems import problem
from service.http.routes import ROUTES, Route
from service.metrics import REDIS_ERRORS
from service.metrics.calls import record_call
from service.settings import ConsoleSignInSettings

log = structlog.get_logger(__name__)
T = TypeVar("T")

# A request body larger than this is refused (413) before it is parsed; ScreenBatch streams its lines instead.
MAX_BODY_BYTES = 4 * 1024 * 1024
# ScreenBatch: requests handed to the servicer per message, and the longest line taken.
BATCH_MESSAGE_REQUESTS = 100
MAX_LINE_BYTES = 256 * 1024
NDJSON = "application/x-ndjson"
_ROUTES_BY_RPC = {route.rpc: route for route in ROUTES}


def _peer(request: Request) -> str:
    """The caller's address as gRPC writes it ("ipv4:127.0.0.1:53210"), for audit records."""
    client = request.client
    if client is None:
        return "unknown"
    host, port = client
    return f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"


def _call(request: Request) -> HttpCall:
    return HttpCall(request.headers.get("authorization"), _peer(request))


def _refusal(exc: CallAborted, call: HttpCall | None) -> Response:
    headers = {}
    if call is not None:
        retry = dict(call.trailing_metadata).get("retry-after")
        if retry is not None:
            headers["Retry-After"] = retry
    return problem(exc.code, exc.details, field=exc.field, headers=headers or None, status=exc.http_status)


def _too_large(details: str) -> CallAborted:
    return CallAborted(grpc.StatusCode.INVALID_ARGUMENT, details, "request", http_status=413)


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(f"request: body of {declared} bytes; the limit is {MAX_BODY_BYTES}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large(f"request: body over the limit of {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid("request", f"not valid JSON ({exc})") from None


def _respond(message: Message) -> Response:
    return JSONResponse(to_document(message))


class HttpDoor:
    """The routes' handlers, over one servicer and one auth interceptor."""

    def __init__(self, servicer: ScreeningServicer, auth: AuthInterceptor) -> None:
        self._servicer = servicer
        self._auth = auth

    async def _admit(self, route: Route, call: HttpCall) -> Any:
        return await self._auth.admit(route.full_method, call)

    @property
    def list_ids(self) -> tuple[str, ...]:
        """The catalogue's lists, for the console's filters."""
        return self._servicer.list_ids

    @property
    def auth_required(self) -> bool:
        return self._auth.required

    async def authenticate(self, authorization: str) -> Any:
        """The principal an authorization value names, or None (the console's sign-in)."""
        return await self._auth.authenticate(authorization)

    async def _as_user(
        self, rpc: str, authorization: str, request: Request, run: Callable[[HttpCall], Awaitable[T]]
    ) -> T:
        """`run` as `authorization`'s principal, admitted as any call to `rpc` is (the console's pages).

        Raises CallAborted with the status the service gave, as a gRPC client would see it.
        """
        call = HttpCall(authorization, _peer(request))
        started = time.perf_counter()
        stream = _ROUTES_BY_RPC[rpc].shape != "unary"
        with structlog.contextvars.bound_contextvars(door="console"):
            try:
                await self._auth.admit(_ROUTES_BY_RPC[rpc].full_method, call)
                answer = await run(call)
            except CallAborted as exc:
                record_call("console", rpc, exc.code.name, time.perf_counter() - started, stream)
                raise
            except STORE_ERRORS:
                REDIS_ERRORS.labels(rpc).inc()
                record_call("console", rpc, "UNAVAILABLE", time.perf_counter() - started, stream)
                raise CallAborted(grpc.StatusCode.UNAVAILABLE, STORE_UNAVAILABLE) from None
            record_call("console", rpc, "OK", time.perf_counter() - started, stream)
            return answer

    async def call(self, rpc: str, message: Message, authorization: str, request: Request) -> Message:
        """One unary method as `authorization`'s principal."""
        return await self._as_user(
            rpc, authorization, request, lambda call: getattr(self._servicer, rpc)(message, call)
        )

    def handler(self, route: Route) -> Callable[[Request], Awaitable[Response]]:
        answer = {"ndjson": self._batch, "sse": self._events, "unary": self._unary}[route.shape]

        async def endpoint(request: Request) -> Response:  # a coroutine function: Starlette awaits it
            return await answer(route, request)

        return endpoint

    async def _message(self, route: Route, request: Request) -> Message:
        if route.verb == "GET":
            params = {key: request.query_params.getlist(key) for key in request.query_params}
            for key, value in request.path_params.items():
                params[key] = [value]
            return message_from_query(params, route.request_type)
        document = await _json_body(request)
        if request.path_params and isinstance(document, dict):
            # A field the path names ("/v1/screenings/{screening_id}:replay") comes from the path;
            # the body may repeat it, but not contradict it.
            for key, value in request.path_params.items():
                if document.setdefault(key, value) != value:
                    raise invalid(key, f"the body says {str(document[key])[:64]!r}, the path {value[:64]!r}")
        return parse_message(document, route.request_type)

    async def _unary(self, route: Route, request: Request) -> Response:
        call = _call(request)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(door="http"):
            try:
                await self._admit(route, call)
                message = await self._message(route, request)
                answer = await getattr(self._servicer, route.rpc)(message, call)
            except CallAborted as exc:
                record_call("http", route.rpc, exc.code.name, time.perf_counter() - started)
                return _refusal(exc, call)
            except STORE_ERRORS as exc:
                log.warning("store_unavailable", rpc=route.rpc, error=type(exc).__name__)
                REDIS_ERRORS.labels(route.rpc).inc()
                record_call("http", route.rpc, "UNAVAILABLE", time.perf_counter() - started)
                return problem(grpc.StatusCode.UNAVAILABLE, STORE_UNAVAILABLE)
        record_call("http", route.rpc, "OK", time.perf_counter() - started)
        return _respond(answer)

    async def batch(
        self, messages: AsyncIterator[pb.ScreenBatchRequest], authorization: str, request: Request
    ) -> list[pb.ScreenResponse]:
        """ScreenBatch as `authorization`'s principal, every answer collected (the console's batch page)."""

        async def collect(call: HttpCall) -> list[pb.ScreenResponse]:
            return [
                response async for answer in self._servicer.ScreenBatch(messages, call) for response in answer.responses
            ]

        return await self._as_user("ScreenBatch", authorization, request, collect)

    # ------------------------------------------------------------ ScreenBatch: JSON Lines

    async def _batch(self, route: Route, request: Request) -> Response:
        call = _call(request)
        try:
            principal = await self._admit(route, call)
        except CallAborted as exc:
            return _refusal(exc, call)
        slot = self._auth.stream_slot(principal, route.rpc, call)
        try:
            await slot.__aenter__()
        except CallAborted as exc:
            return _refusal(exc, call)
        answers = self._servicer.ScreenBatch(_batch_messages(request), call)
        try:
            first = await anext(answers, None)
        except CallAborted as exc:
            await slot.__aexit__(None, None, None)
            return _refusal(exc, call)
        except BaseException:
            await slot.__aexit__(None, None, None)
            raise

        async def lines() -> AsyncIterator[bytes]:
            code = "CANCELLED"  # unless the stream gets to its end
            try:
                answer = first
                while answer is not None:
                    for response in answer.responses:
                        yield _line(to_document(response))
                    answer = await anext(answers, None)
                code = "OK"
            except CallAborted as exc:  # after the first lines: the status is sent, so the error is the last line
                code = exc.code.name
                yield _line({"error": {"code": exc.code.name, "message": exc.details}})
            finally:
                record_call("http", route.rpc, code, 0.0, stream=True)
                await answers.aclose()  # also when the client went away mid-stream
                await slot.__aexit__(None, None, None)

        headers = {key: value for key, value in call.initial_metadata}
        return StreamingResponse(lines(), media_type=NDJSON, headers=headers)

    # ------------------------------------------------------------ WatchAlerts: Server-Sent Events

    async def _events(self, route: Route, request: Request) -> Response:
        call = _call(request)
        try:
            principal = await self._admit(route, call)
            # The one server-sent-events route is WatchAlerts (routes.py): its request type.
            message = cast(pb.WatchAlertsRequest, await self._message(route, request))
        except CallAborted as exc:
            return _refusal(exc, call)
        if not message.after_id and (resume := request.headers.get("last-event-id")):
            message.after_id = resume  # an EventSource reconnecting says where it was
        slot = self._auth.stream_slot(principal, route.rpc, call)
        try:
            await slot.__aenter__()
        except CallAborted as exc:
            return _refusal(exc, call)
        alerts = self._servicer.WatchAlerts(message, call)
        # The first alert may be hours away: the stream is open once the servicer sends its headers,
        # and refused if it aborts before that.
        first = asyncio.ensure_future(anext(alerts))
        opened = asyncio.ensure_future(call.opened.wait())
        await asyncio.wait({first, opened}, return_when=asyncio.FIRST_COMPLETED)
        opened.cancel()
        if first.done() and isinstance(refused := first.exception(), CallAborted):
            await slot.__aexit__(None, None, None)
            return _refusal(refused, call)

        async def events() -> AsyncIterator[bytes]:
            code = "CANCELLED"  # an event stream ends when its client goes away
            try:
                alert = await first
                while True:
                    yield _event(alert)
                    alert = await anext(alerts)
            except CallAborted as exc:
                code = exc.code.name
                yield f"event: error\ndata: {json.dumps({'code': exc.code.name, 'message': exc.details})}\n\n".encode()
            finally:
                record_call("http", route.rpc, code, 0.0, stream=True)
                first.cancel()
                await alerts.aclose()
                await slot.__aexit__(None, None, None)

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


# Characters JSON may leave raw in a string but that many line readers (Python's str.splitlines,
# JavaScript before ES2019) take for a line break: escaped, so that a JSON Lines answer has one
# line per party for every reader (found by tests/test_http_fuzz.py: a request_id holding U+2028).
_LINE_BREAKS_IN_JSON = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _line(document: Any) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_LINE_BREAKS_IN_JSON).encode() + b"\n"


def _event(alert: pb.Alert) -> bytes:
    return (
        f"id: {alert.alert_id}\nevent: alert\ndata: {json.dumps(to_document(alert), ensure_ascii=False)}\n\n".encode()
    )


async def _batch_messages(request: Request) -> AsyncIterator[pb.ScreenBatchRequest]:
    """The body's lines as ScreenBatchRequest messages of up to BATCH_MESSAGE_REQUESTS requests.

    A line that is not a ScreenRequest ends the batch, as a message that does not decode ends a
    gRPC ScreenBatch: with a 400 naming the line when nothing was answered yet, else with an error
    as the last line. (A ScreenRequest the service refuses, e.g. an unknown country code, is
    answered on its own line with its error, and the batch goes on, as over gRPC.)
    """
    pending = b""
    number = 0
    batch = pb.ScreenBatchRequest()
    async for chunk in request.stream():
        pending += chunk
        if len(pending) > MAX_LINE_BYTES and b"\n" not in pending:
            raise invalid(f"line {number + 1}", f"longer than {MAX_LINE_BYTES} bytes")
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if raw.strip():
                number += 1
                batch.requests.append(_batch_item(raw, number))
                if len(batch.requests) >= BATCH_MESSAGE_REQUESTS:
                    yield batch
                    batch = pb.ScreenBatchRequest()
    if pending.strip():
        number += 1
        batch.requests.append(_batch_item(pending, number))
    if batch.requests:
        yield batch


def _batch_item(raw: bytes, number: int) -> pb.ScreenRequest:
    try:
        return parse_message(json.loads(raw), pb.ScreenRequest)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid(f"line {number}", f"not valid JSON ({exc})") from None
    except CallAborted as exc:
        raise invalid(f"line {number}", exc.details) from None


def create_app(
    servicer: ScreeningServicer,
    auth: AuthInterceptor,
    secure_cookies: bool = False,
    serving: Callable[[], bool] = lambda: True,
    console_sign_in: ConsoleSignInSettings | None = None,
) -> Starlette:
    """The HTTP/JSON API and the console over `servicer`, admitting calls through `auth` as the gRPC server does.

    `secure_cookies`: the port speaks TLS, so the console's cookies are sent over TLS only. `serving`: what
    the gRPC health service says (lists loaded, not draining), for `GET /healthz`. `console_sign_in`: the
    console also signs people in through the identity provider (service/console/oidc.py).
    """
    door = HttpDoor(servicer, auth)
    routes: list[BaseRoute] = [
        StarletteRoute(route.path, door.handler(route), methods=[route.verb]) for route in ROUTES
    ]
    routes += Console(door, secure_cookies, CodeFlow(console_sign_in) if console_sign_in else None).routes()
    document, page = openapi_document(), reference_page()

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document)

    async def docs(_request: Request) -> Response:
        return HTMLResponse(page)

    async def healthz(_request: Request) -> Response:
        # For load balancers and HTTP probes (no credential, as gRPC health): 200 once the lists are
        # loaded, 503 before and while draining.
        up = serving()
        return JSONResponse({"status": "SERVING" if up else "NOT_SERVING"}, status_code=200 if up else 503)

    routes += [
        StarletteRoute("/openapi.json", openapi, methods=["GET"]),
        StarletteRoute("/docs", docs, methods=["GET"]),
        StarletteRoute("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})


# Starlette's own refusals (no such route, wrong verb) as problem documents too, with the nearest gRPC code.
_CODES_BY_STATUS = {404: grpc.StatusCode.NOT_FOUND, 405: grpc.StatusCode.UNIMPLEMENTED}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, grpc.StatusCode.INVALID_ARGUMENT)
    return problem(code, f"{request.method} {request.url.path}: {exc.detail}", status=exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    # A bug: the server logs it with its traceback; the caller learns no more than that it happened.
    log.error("http_internal_error", path=request.url.path, error=type(exc).__name__)
    return problem(grpc.StatusCode.INTERNAL, "the server failed on this request; the failure is logged")
