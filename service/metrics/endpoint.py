"""The metrics endpoint: `GET /metrics` on SCREENING_METRICS_PORT, same host and TLS as the service.

One process (`--workers 1`) serves its own registry. Several workers report as one server:
`prepare_workers` gives them a PROMETHEUS_MULTIPROC_DIR (before they start, since
prometheus_client reads it when it is imported), and the parent serves the sum of their
files; `worker_ended` drops a dead worker's live gauges. The server is prometheus_client's
own (a small threaded HTTP server): a scrape never runs on a worker's event loop.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

from service.settings import Settings

log = structlog.get_logger(__name__)

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@dataclass
class MetricsServer:
    port: int
    _server: Any
    _thread: Any

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_metrics(settings: Settings, multiprocess_dir: Path | None = None) -> MetricsServer | None:
    """Serve the metrics on settings.metrics_port (None: no endpoint). `multiprocess_dir`: the workers' samples."""
    if settings.metrics_port is None:
        return None
    if multiprocess_dir is not None:
        registry: Any = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))
    else:
        registry = REGISTRY
    tls = settings.tls
    certfile = str(tls.cert) if tls.enabled and tls.cert else None
    keyfile = str(tls.key) if tls.enabled and tls.key else None
    server, thread = start_http_server(
        settings.metrics_port, addr=settings.host, registry=registry, certfile=certfile, keyfile=keyfile
    )
    port = server.server_port
    log.info("metrics_listening", host=settings.host, port=port, tls=certfile is not None)
    return MetricsServer(port, server, thread)


def prepare_workers() -> Path:
    """A fresh folder for the workers' samples, named in the environment they will inherit."""
    folder = Path(tempfile.mkdtemp(prefix="screening-metrics-"))
    os.environ[MULTIPROC_VARIABLE] = str(folder)
    return folder


def worker_ended(pid: int) -> None:
    """A worker exited: its live gauges no longer count."""
    if os.environ.get(MULTIPROC_VARIABLE):
        multiprocess.mark_process_dead(pid)


def cleanup_workers(folder: Path) -> None:
    os.environ.pop(MULTIPROC_VARIABLE, None)
    shutil.rmtree(folder, ignore_errors=True)
