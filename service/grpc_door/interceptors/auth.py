"""Every call authenticated, authorised and within its fair share, in one place.

`AuthInterceptor` wraps each RPC handler of the server (once per method, then
cached): before the servicer runs it turns the call's credentials into a
`Principal` (service.auth.authenticator), checks the method against the roles
of lists/roles.toml, takes a token from the principal's rate limit and, for
streaming RPCs, a slot of its open-stream cap. The principal is then published
in `current_principal` and bound to every log line of the call, and the
servicer writes it into audit records, dispositions and registrations. The
grpc.aio interceptor API gives no access to the servicer context, so the checks
run inside the wrapped behaviour, where the context (metadata, TLS peer) is.

Refusals: UNAUTHENTICATED (no or bad credential, saying which), PERMISSION_DENIED
(naming the role needed), RESOURCE_EXHAUSTED with `retry-after` (seconds) and
`retry-after-ms` trailing metadata. Each is logged with the principal (or
"anonymous") and the method, and counted in `refusals`.

Two edge cases of every call are settled in the same wrapper, since it is the one
place every handler passes through: bytes that do not decode as the method's
request are INVALID_ARGUMENT (gRPC would answer INTERNAL), and a Redis failure
that reaches a handler is UNAVAILABLE with a plain message (not UNKNOWN naming
a Python class).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any, cast

import grpc
import structlog
from google.protobuf.message import DecodeError

from service.api.context import CallContext
from service.api.errors import STORE_ERRORS, STORE_UNAVAILABLE
from service.auth.authenticator import Authenticator
from service.auth.limits import RateLimiter, StreamCaps, StreamTicket
from service.auth.principal import ANONYMOUS, AuthError, Principal, current_principal
from service.auth.roles import RoleTable
from service.metrics import AUTH_REFUSALS, REDIS_ERRORS
from service.metrics.calls import observed_call

log = structlog.get_logger(__name__)

HEALTH_PREFIX = "/grpc.health.v1.Health/"


class Undecodable:
    """A request whose bytes are not the method's message (answered INVALID_ARGUMENT, after authentication)."""

    __slots__ = ("detail",)

    def __init__(self, detail: str) -> None:
        self.detail = detail


def _tolerant(deserialize: Callable[[bytes], Any] | None, message: str) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserialize(data)
        except (DecodeError, ValueError, TypeError) as exc:  # protobuf's decode errors; never a crash
            return Undecodable(f"request: not a valid {message} ({len(data)} bytes: {str(exc)[:120]})")

    return decode


REFLECTION_PREFIXES = ("/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/")

# A handler's behaviours as a grpc.aio server holds them: coroutine functions and async generators taking
# an aio context. grpc's stubs type RpcMethodHandler for the sync server only (plain callables, iterators).
_AioUnaryBehaviour = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
_AioStreamBehaviour = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        authenticator: Authenticator,
        roles: RoleTable,
        limiter: RateLimiter,
        streams: StreamCaps,
        *,
        required: bool = True,
        public_prefixes: Collection[str] = (HEALTH_PREFIX,),
        any_principal_prefixes: Collection[str] = (),
    ) -> None:
        """`required`: a call without credentials is refused (else it runs as ANONYMOUS, loopback only).

        `public_prefixes`: methods nobody authenticates for (health). `any_principal_prefixes`: methods
        any authenticated caller may use whatever its roles (reflection, when so configured).
        """
        self._authenticator = authenticator
        self._roles = roles
        self._limiter = limiter
        self._streams = streams
        self._required = required
        self._public = tuple(public_prefixes)
        self._any_principal = tuple(any_principal_prefixes)
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]] = {}
        # (reason, method) -> refusals since start; the metrics endpoint will export these.
        self.refusals: Counter[tuple[str, str]] = Counter()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(self._public):
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    # ------------------------------------------------------------ admission

    @property
    def required(self) -> bool:
        """Whether a call needs a credential (else, on loopback only, it runs as ANONYMOUS)."""
        return self._required

    async def authenticate(self, authorization: str) -> Principal | None:
        """Who an `authorization` value ("Bearer <key or token>") names; None for a bad one. For a
        console sign-in: each later call is admitted (roles, rate limit) as it is made."""
        try:
            return await self._authenticator.authenticate(authorization, None)
        except AuthError:
            return None

    async def admit(self, method: str, context: CallContext) -> Principal:
        """Authenticate, authorise and rate-limit one call; abort it with the right status otherwise.

        Also the HTTP door's admission (service.http.app), with its call standing for the context.
        """
        short = method.rsplit("/", 1)[-1]
        authorization = None
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                authorization = value if isinstance(value, str) else value.decode("latin-1")
                break
        try:
            certificate = _certificate_name(context) if authorization is None else None
            principal = await self._authenticator.authenticate(authorization, certificate)
        except AuthError as exc:
            await self._refuse(context, grpc.StatusCode.UNAUTHENTICATED, exc.reason, short, "anonymous", exc.message)
        if principal is None:
            if self._required:
                await self._refuse(
                    context, grpc.StatusCode.UNAUTHENTICATED, "missing_credentials", short, "anonymous",
                    "missing credentials: send 'authorization: Bearer <API key or token>' metadata "
                    "(or a client certificate mapped to a role)",
                )  # fmt: skip
            principal = ANONYMOUS
        if not (method.startswith(self._any_principal) or self._roles.permits(principal, method)):
            held = ", ".join(sorted(principal.roles)) or "none"
            await self._refuse(
                context, grpc.StatusCode.PERMISSION_DENIED, "missing_role", short, principal.name,
                f"{principal.name} (roles: {held}) may not call {short}: it needs the role {self._roles.describe(method)}",
            )  # fmt: skip
        # With authentication off (loopback only) there is nobody to share fairly between: no limit.
        retry_after = None if principal is ANONYMOUS else await self._limiter.acquire(principal)
        if retry_after is not None:
            context.set_trailing_metadata(
                (
                    ("retry-after", str(max(1, math.ceil(retry_after)))),
                    ("retry-after-ms", str(math.ceil(retry_after * 1000))),
                )
            )
            await self._refuse(
                context, grpc.StatusCode.RESOURCE_EXHAUSTED, "rate_limited", short, principal.name,
                f"rate limit of {principal.name} exceeded: retry in {retry_after:.2f} s",
            )  # fmt: skip
        current_principal.set(principal)
        # Every log line of this call names its principal (the call runs in its own task and context).
        structlog.contextvars.bind_contextvars(principal=principal.name)
        return principal

    async def _refuse(
        self, context: CallContext, code: grpc.StatusCode, reason: str, method: str, who: str, message: str
    ) -> None:
        self.refusals[(reason, method)] += 1
        AUTH_REFUSALS.labels(reason).inc()
        log.info("call_refused", method=method, principal=who, reason=reason, code=code.name)
        await context.abort(code, message)

    # ------------------------------------------------------------ wrapping

    def _wrap(self, handler: grpc.RpcMethodHandler[Any, Any], method: str) -> grpc.RpcMethodHandler[Any, Any]:
        short = method.rsplit("/", 1)[-1]
        serializers = {
            "request_deserializer": _tolerant(handler.request_deserializer, f"{short} request"),
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            inner_unary = cast(_AioUnaryBehaviour, handler.unary_unary)

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                with observed_call("grpc", short, context):
                    await self.admit(method, context)
                    if type(request) is Undecodable:
                        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.detail)
                    try:
                        return await inner_unary(request, context)
                    except STORE_ERRORS as exc:
                        await _unavailable(context, short, exc)

            return grpc.unary_unary_rpc_method_handler(unary_unary, **serializers)
        if handler.stream_unary is not None:
            inner_stream_unary = cast(_AioUnaryBehaviour, handler.stream_unary)

            async def stream_unary(request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                with observed_call("grpc", short, context, stream=True):
                    await self.admit(method, context)
                    try:
                        return await inner_stream_unary(_decoded(request_iterator, context), context)
                    except STORE_ERRORS as exc:
                        await _unavailable(context, short, exc)

            return grpc.stream_unary_rpc_method_handler(stream_unary, **serializers)
        if handler.unary_stream is not None:
            inner_unary_stream = cast(_AioStreamBehaviour, handler.unary_stream)

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
                with observed_call("grpc", short, context, stream=True):
                    principal = await self.admit(method, context)
                    if type(request) is Undecodable:
                        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.detail)
                    async with self.stream_slot(principal, short, context):
                        try:
                            async for response in inner_unary_stream(request, context):
                                yield response
                        except STORE_ERRORS as exc:
                            await _unavailable(context, short, exc)

            return grpc.unary_stream_rpc_method_handler(unary_stream, **serializers)
        inner_stream_stream = cast(_AioStreamBehaviour, handler.stream_stream)  # the one left: never None

        async def stream_stream(
            request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            with observed_call("grpc", short, context, stream=True):
                principal = await self.admit(method, context)
                async with self.stream_slot(principal, short, context):
                    try:
                        async for response in inner_stream_stream(_decoded(request_iterator, context), context):
                            yield response
                    except STORE_ERRORS as exc:
                        await _unavailable(context, short, exc)

        return grpc.stream_stream_rpc_method_handler(stream_stream, **serializers)

    def stream_slot(self, principal: Principal, method: str, context: CallContext) -> _StreamSlot:
        return _StreamSlot(self, principal, method, context)


class _StreamSlot:
    """One of the principal's open-stream slots for the life of a streaming call."""

    def __init__(self, owner: AuthInterceptor, principal: Principal, method: str, context: CallContext) -> None:
        self._owner = owner
        self._principal = principal
        self._method = method
        self._context = context
        self._ticket: StreamTicket | None = None

    async def __aenter__(self) -> None:
        if self._principal is ANONYMOUS:  # authentication off: no per-principal cap (see admit)
            return
        self._ticket = await self._owner._streams.open(self._principal, self._method)
        if self._ticket is None:
            await self._owner._refuse(
                self._context, grpc.StatusCode.RESOURCE_EXHAUSTED, "stream_cap", self._method, self._principal.name,
                f"{self._principal.name} already has the most open {self._method} streams allowed "
                "(SCREENING_MAX_STREAMS): close one first",
            )  # fmt: skip

    async def __aexit__(self, *exc_info: object) -> None:
        if self._ticket is not None:
            await self._owner._streams.close(self._ticket)


async def _decoded(messages: AsyncIterator[Any], context: CallContext) -> AsyncIterator[Any]:
    """A client stream's messages; one that does not decode ends the call with INVALID_ARGUMENT."""
    async for message in messages:
        if type(message) is Undecodable:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, message.detail)
        yield message


async def _unavailable(context: CallContext, method: str, exc: BaseException) -> None:
    log.warning("store_unavailable", method=method, error=type(exc).__name__)
    REDIS_ERRORS.labels(method).inc()
    await context.abort(grpc.StatusCode.UNAVAILABLE, STORE_UNAVAILABLE)


def _certificate_name(context: CallContext) -> str | None:
    """The verified client certificate's common name, when the connection is mutual TLS."""
    names = context.auth_context().get("x509_common_name")
    if not names:
        return None
    name = next(iter(names))
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
