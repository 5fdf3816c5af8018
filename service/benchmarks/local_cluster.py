"""A real Redis Cluster of N primaries on loopback, for `bench --rescreen` and the tests.

Each node is a `redis-server --cluster-enabled yes` in a folder of its own, on a
free port whose cluster-bus port (port + 10000) is free too; `redis-cli --cluster
create` assigns the 16384 slots. Nothing is saved: the cluster lives as long as
this object.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import redis

BUS_OFFSET = 10_000
START_TIMEOUT_S = 30.0


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _cluster_ports(count: int) -> list[int]:
    """`count` ports whose bus ports are free as well (the kernel's pick, kept under 55536)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + BUS_OFFSET < 65_536 and port not in ports and _free(port + BUS_OFFSET):
            ports.append(port)
    return ports


class LocalCluster:
    """Start with `LocalCluster(folder)`; `url` is its `redis+cluster://` address; `stop()` ends it."""

    def __init__(self, folder: Path, primaries: int = 3) -> None:
        server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if server is None or cli is None:
            raise FileNotFoundError("redis-server and redis-cli are needed for a local Redis Cluster")
        self.folder = folder
        self.ports = _cluster_ports(primaries)
        self.processes: list[subprocess.Popen[bytes]] = []
        try:
            for port in self.ports:
                node = folder / str(port)
                node.mkdir(parents=True, exist_ok=True)
                command = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node),
                           "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                           "--save", "", "--appendonly", "no", "--daemonize", "no"]  # fmt: skip
                self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for port in self.ports:
                self._wait(port, lambda client: bool(client.ping()))
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in self.ports),
                 "--cluster-replicas", "0", "--cluster-yes"],
                check=True, capture_output=True, timeout=START_TIMEOUT_S,
            )  # fmt: skip
            for port in self.ports:
                self._wait(port, lambda client: client.execute_command("CLUSTER INFO").get("cluster_state") == "ok")
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def _wait(self, port: int, ready: Callable[[Any], bool]) -> None:
        client = redis.Redis(port=port, socket_connect_timeout=1, decode_responses=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                try:
                    if ready(client):
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"cluster node on port {port} not ready after {START_TIMEOUT_S:.0f} s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
