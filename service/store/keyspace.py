"""Key names, and which keys must share a Redis Cluster slot.

On a Redis Cluster a MULTI/EXEC or a Lua script may only touch keys of one
hash slot, and a key's slot is the hash of its tag (the first `{...}` in its
name). So keys that change together carry the same tag:

| slot group      | keys                                                         | changed together by |
|-----------------|--------------------------------------------------------------|---------------------|
| `list:{id}`     | one list's versions, pointer, history, status (as always)   | the publishing MULTI |
| `bucket:N`      | one registry bucket: parties, unscreened set, states, alert outbox | upsert, settle scripts |
| `jobs`          | jobs, their done/failed/alerted sets, the shard and alert streams, the buckets awaiting a first screening | job creation, alert forwarding |
| `dispositions`  | dispositions, their histories, their log                    | the WATCH/MULTI of a change |
| `auth`          | API keys, their last use, generation, log                   | the WATCH/MULTI of a change |

Everything else is one key at a time and spreads by its whole name.

On one Redis (or behind Sentinel) names are exactly as they were before
cluster support: no tag is added, so existing data stays where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

# Slot groups (see the table above).
JOBS = "jobs"
DISPOSITIONS = "dispositions"
AUTH = "auth"


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def bucket_group(bucket: int) -> str:
    return f"bucket:{bucket}"


class KeySpace:
    """Builds key names under a prefix, tagged by slot group when the client is a cluster client."""

    def __init__(self, client: aioredis.Redis | RedisCluster, prefix: str) -> None:
        self.prefix = prefix
        self.cluster = is_cluster(client)
        if self.cluster and ("{" in prefix or "}" in prefix):
            # A brace in the prefix would become every key's tag: all keys on one slot.
            raise ValueError(f"key prefix {prefix!r}: no braces on a Redis Cluster (keys are tagged by slot group)")

    def key(self, name: str, group: str | None = None) -> str:
        """`prefix + name`; on a cluster, with `{group}` after the prefix, so the key lives in the group's slot."""
        if self.cluster and group is not None:
            return f"{self.prefix}{{{group}}}{name}"
        return f"{self.prefix}{name}"


async def mget(client: Any, keys: Sequence[str]) -> list[bytes | None]:
    """MGET of keys that may live on several cluster slots (one round trip per node there)."""
    if is_cluster(client):
        return list(await client.mget_nonatomic(list(keys)))
    return list(await client.mget(list(keys)))


async def load_scripts(client: Any, *scripts: Any) -> None:
    """Load scripts on the server, on every primary of a cluster.

    A script queued in a cluster pipeline is sent as EVALSHA with no NOSCRIPT
    fallback (redis-py), so it must already be known on the node that runs it;
    and a first call that meets NOSCRIPT costs a cluster a load on every primary,
    too slow for a call with a tight deadline (the rate limiter's).
    """
    for script in scripts:
        await client.script_load(script.script)
