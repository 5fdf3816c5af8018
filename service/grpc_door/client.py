"""Channels to a screening server for our own clients (CLI, batch, benchmarks, health check).

One function per flavour (sync and asyncio) applies ClientSettings: TLS with a
trusted CA (and a client certificate for mutual TLS) when SCREENING_TLS_CA is set,
and the API key or token as `authorization: Bearer ...` on every call. On a sync
channel the credential is added by a client interceptor rather than call
credentials, because gRPC sends call credentials only over TLS and a loopback
server may run plaintext with authentication still required.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc

from service.settings import ClientSettings, read_configured_file

Options = Sequence[tuple[str, Any]]
# What a sync client interceptor calls on: (call details, request or request iterator) -> call.
_Continuation = Callable[[grpc.ClientCallDetails, Any], Any]


def channel_credentials(client: ClientSettings) -> grpc.ChannelCredentials | None:
    """TLS credentials trusting `tls_ca` (with the client certificate for mTLS); None for plaintext."""
    if client.tls_ca is None:
        return None
    key = read_configured_file(client.tls_client_key, "SCREENING_TLS_CLIENT_KEY") if client.tls_client_key else None
    cert = read_configured_file(client.tls_client_cert, "SCREENING_TLS_CLIENT_CERT") if client.tls_client_cert else None
    return grpc.ssl_channel_credentials(read_configured_file(client.tls_ca, "SCREENING_TLS_CA"), key, cert)


def _options(client: ClientSettings, options: Options) -> list[tuple[str, Any]]:
    merged = list(options)
    if client.tls_server_name:
        # The name the server certificate must carry, when it differs from the host dialled (an IP, a tunnel).
        merged.append(("grpc.ssl_target_name_override", client.tls_server_name))
    return merged


def _with_authorization(metadata: Any, authorization: tuple[str, str]) -> list[tuple[str, Any]]:
    return [*(metadata or ()), authorization]


class _BearerInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the authorization metadata to every call of a sync channel."""

    def __init__(self, credential: str) -> None:
        self._authorization = ("authorization", f"Bearer {credential}")

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _CallDetails(
            details.method, details.timeout, _with_authorization(details.metadata, self._authorization),
            details.credentials, getattr(details, "wait_for_ready", None), getattr(details, "compression", None),
        )  # fmt: skip

    # Any for the messages and the call objects: grpc's own methods are generic over them (its stubs' call
    # types are private), and these only pass them through.
    def intercept_unary_unary(
        self, continuation: _Continuation, client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(
        self, continuation: _Continuation, client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(
        self, continuation: _Continuation, client_call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(
        self, continuation: _Continuation, client_call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        return continuation(self._details(client_call_details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(
        self,
        method: str,
        timeout: float | None,
        metadata: Any,  # a list (grpc takes any sequence of pairs; its stubs say a tuple)
        credentials: grpc.CallCredentials | None,
        wait_for_ready: bool | None,
        compression: grpc.Compression | None,
    ) -> None:
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


def open_channel(client: ClientSettings, target: str | None = None, options: Options = ()) -> grpc.Channel:
    """A sync channel to `target` (default: the client's), with TLS and credential as configured."""
    address = target or client.target
    credentials = channel_credentials(client)
    merged = _options(client, options)
    channel = (
        grpc.secure_channel(address, credentials, merged) if credentials else grpc.insecure_channel(address, merged)
    )
    if client.api_key:
        return grpc.intercept_channel(channel, _BearerInterceptor(client.api_key))
    return channel


def open_aio_channel(client: ClientSettings, target: str | None = None, options: Options = ()) -> grpc.aio.Channel:
    """An asyncio channel to `target` (default: the client's), with TLS as configured.

    Calls on it pass `bearer_metadata(client)` themselves: asyncio client interceptors
    cost more per call than the metadata does, and our asyncio clients make few call sites.
    """
    address = target or client.target
    credentials = channel_credentials(client)
    merged = _options(client, options)
    if credentials:
        return grpc.aio.secure_channel(address, credentials, merged)
    return grpc.aio.insecure_channel(address, merged)


def bearer_metadata(client: ClientSettings) -> tuple[tuple[str, str], ...]:
    """The call metadata carrying the client's credential (empty without one)."""
    return (("authorization", f"Bearer {client.api_key}"),) if client.api_key else ()
