"""Tracing: a real `screening serve` exports its spans by OTLP to a collector this test runs.

The collector is a gRPC TraceService on a loopback port (the OTLP/gRPC protocol, from the
opentelemetry-proto package): what a real collector receives, without one to install.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from tests.cli_support import SCREENING, cli_env, free_port, wait_serving


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:
        with self.lock:
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(scope_spans.spans)
        return trace_service_pb2.ExportTraceServiceResponse()

    def named(self) -> dict[str, list[Any]]:
        with self.lock:
            found: dict[str, list[Any]] = {}
            for span in self.spans:
                found.setdefault(span.name, []).append(span)
            return found


def test_a_screen_exports_spans_for_the_call_matching_deciding_and_redis(tmp_path: Path, server_prefix: str) -> None:
    from tests.conftest import SERVER_REDIS_URL

    collector = Collector()
    receiver = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, receiver)
    collector_port = receiver.add_insecure_port("127.0.0.1:0")
    receiver.start()
    port = free_port()
    env = cli_env(
        tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector_port}", OTEL_EXPORTER_OTLP_INSECURE="true",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )  # fmt: skip
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [*SCREENING, "serve", "--port", str(port), "--host", "127.0.0.1", "--http-port", "off"],
            env=env, stderr=log_file, text=True,
        )  # fmt: skip
    try:
        wait_serving(port, server)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            answer = pb_grpc.ScreeningServiceStub(channel).Screen(
                pb.ScreenRequest(party=pb.Party(name="Nicolas MADURO MOROS")), timeout=10
            )
        assert answer.decision == pb.DECISION_BLOCK
        deadline = time.monotonic() + 30
        call = "/screening.v1.ScreeningService/Screen"
        while time.monotonic() < deadline:
            spans = collector.named()
            if call in spans and "match" in spans and "decide" in spans:
                break
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        receiver.stop(None)
    spans = collector.named()
    assert {call, "match", "decide"} <= set(spans), sorted(spans)
    [served] = spans[call]
    for name in ("match", "decide"):
        [inner] = spans[name]
        assert inner.trace_id == served.trace_id and inner.parent_span_id == served.span_id, name
    # Redis commands are traced too (the server reads and writes Redis from its start).
    redis_spans = [span for name, found in spans.items() for span in found if span.name.split(" ")[0].isupper()]
    assert redis_spans, sorted(spans)
    # The call's log line carries its trace id.
    events = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    [screened] = [event for event in events if event["event"] == "screened"]
    assert screened["trace_id"] == served.trace_id.hex()
