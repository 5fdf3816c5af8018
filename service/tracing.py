"""OpenTelemetry tracing, exported by OTLP when configured and off otherwise.

Set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the standard OTEL_*
variables for headers, TLS, sampling and the service name apply) and each server process
exports spans: the gRPC call (the aio server instrumentation), `match` and `decide` inside a
screening, and every Redis command (the redis instrumentation). Log lines written inside a
span carry its `trace_id` and `span_id`, so a slow call's logs and its trace meet.

Off (no endpoint), nothing is installed: `span()` is a shared no-op and a screening pays for
a function call, not for a tracer.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:  # imported when tracing is set up, not before (see setup_tracing)
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

log = structlog.get_logger(__name__)

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_NOTHING: AbstractContextManager[None] = nullcontext()
_tracer: Tracer | None = None
_provider: TracerProvider | None = None


def enabled() -> bool:
    return _tracer is not None


def configured() -> bool:
    return any(os.environ.get(name, "").strip() for name in _ENDPOINT_VARIABLES)


def setup_tracing(service_name: str = "screening") -> bool:
    """Install the tracer, the exporter and the instrumentations when an OTLP endpoint is set.

    Call once per process, before the gRPC server is created. Returns whether tracing is on.
    """
    global _tracer, _provider
    if _tracer is not None or not configured():
        return _tracer is not None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    _provider = TracerProvider(resource=resource)
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(_provider)
    GrpcAioInstrumentorServer().instrument()
    RedisInstrumentor().instrument()
    _tracer = trace.get_tracer("service")
    log.info("tracing_on", endpoint=next(os.environ[n] for n in _ENDPOINT_VARIABLES if os.environ.get(n, "").strip()))
    return True


def shutdown_tracing() -> None:
    """Send the spans still buffered (at exit)."""
    if _provider is not None:
        _provider.shutdown()


def span(name: str) -> AbstractContextManager[Any]:
    """A child span of the current one (`match`, `decide`), or a no-op while tracing is off."""
    if _tracer is None:
        return _NOTHING
    return _tracer.start_as_current_span(name)


def add_trace_ids(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids on the line (tracing on only)."""
    if _tracer is None:
        return event
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
