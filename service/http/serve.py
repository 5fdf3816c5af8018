"""Run the HTTP door in the gRPC server's process and event loop (uvicorn, started and stopped with it)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import structlog
import uvicorn
from starlette.applications import Starlette

from service.settings import Settings

log = structlog.get_logger(__name__)

START_TIMEOUT_S = 10.0


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the server process owns SIGTERM and drains both doors itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class HttpServer:
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int

    async def stop(self, grace_s: float) -> None:
        """Stop taking connections; requests in flight get `grace_s` to finish."""
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout=grace_s + 1.0)
        except TimeoutError:
            self.server.force_exit = True
            await asyncio.wait_for(self.task, timeout=5.0)


def _bind(settings: Settings, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle's algorithm off only on sockets that say they are TCP,
    # and with it on a keep-alive client waits 40 ms for each answer's second segment (delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if settings.workers > 1:
        # Worker processes share the port, as they share the gRPC one.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((settings.host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot bind the HTTP port {settings.host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _tls(settings: Settings) -> dict[str, object]:
    tls = settings.tls
    if tls.cert is None or tls.key is None:
        return {}
    options: dict[str, object] = {"ssl_certfile": str(tls.cert), "ssl_keyfile": str(tls.key)}
    if tls.client_ca is not None:
        options.update(ssl_ca_certs=str(tls.client_ca), ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


async def start_http(app: Starlette, settings: Settings, port: int) -> HttpServer:
    """Serve `app` on `port` (0: any free one) of the gRPC server's host, with its TLS settings."""
    sock = _bind(settings, port)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", server_header=False,
        timeout_graceful_shutdown=int(settings.drain_seconds) or None, **_tls(settings),  # type: ignore[arg-type]
    )  # fmt: skip
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("the HTTP server stopped before it started")
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the HTTP server did not start within {START_TIMEOUT_S:g} s")
        await asyncio.sleep(0.01)
    bound = sock.getsockname()[1]
    log.info("http_listening", host=settings.host, port=bound, tls="on" if settings.tls.enabled else "off")
    return HttpServer(server, task, bound)
