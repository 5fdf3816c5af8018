"""A private redis-server a test may pause, kill and restart (never the shared one on 6379)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.cli_support import free_port


class PrivateRedis:
    """A real redis-server on a free loopback port, in `folder` (its RDB kept there across restarts)."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = binary
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.025)
            raise TimeoutError(f"redis-server on port {self.port} did not start")
        finally:
            client.close()

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections and answers nothing (a hung Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def save_and_kill(self) -> None:
        """Write the RDB, then SIGKILL (a crash whose data a restart brings back)."""
        client = redis.Redis.from_url(self.url)
        try:
            client.save()
        finally:
            client.close()
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def kill(self) -> None:
        """SIGKILL without saving: a crash that loses whatever was written since the last RDB."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()
