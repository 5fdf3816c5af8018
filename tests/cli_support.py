"""Running the `screening` command as a user does: real processes, real ports (helpers, not fixtures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import FIXTURES

SCREENING = [sys.executable, "-m", "service.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "LISTS_DIR", "SCREENING_CATALOG")}
    env.update(
        SCREENING_DATA_DIR=str(tmp_path / "data"),
        SCREENING_CATALOG=str(FIXTURES / "sources.toml"),
        LISTS_DIR=str(FIXTURES / "ofac_sdn"),
        LOG_FORMAT="json",
        LOG_LEVEL="info",
    )
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCREENING, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def embedded_servers_in(directory: Path) -> list[psutil.Process]:
    """redis-server processes working in `directory` (an embedded Redis chdirs into its data directory)."""
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        cwd = process.info.get("cwd")
        if process.info.get("name") == "redis-server" and cwd and Path(cwd).is_relative_to(directory):
            found.append(process)
    return found


def wait_serving(port: int, process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"server exited early: {process.stderr.read() if process.stderr else ''}")
            try:
                if (
                    health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise AssertionError("server did not become SERVING in time")
