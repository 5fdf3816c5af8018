"""A serving process's scheduled refresh, run in a process of its own.

Parsing, checking and diffing a list is CPU work (the SDN: about a second). In the
serving process it would hold that process's event loop, and every call it holds
meanwhile, for that long each time a publisher changes a list. So a server's
scheduled refresh runs `python -m service.refresh.child` at nice 10: the child
connects to the same Redis, runs refresh_lists (the same locks, checks and events as
`screening refresh`), builds and stores the new set's index (service.engine.index_warm),
and prints one JSON line of outcomes; the server then swaps in what was published the
way it swaps in anyone's publish. Its log lines go where the server's go (stderr is
inherited). The start-up refresh stays in process: nothing is served yet.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import msgspec

from service.catalog import Catalog

# Longest a refresh may run (downloads with retries included) before it is abandoned.
CHILD_TIMEOUT_S = 900.0
NICENESS = 10


class RefreshChildError(RuntimeError):
    """The refresh process failed; the message carries the end of what it said."""


class _Request(msgspec.Struct):
    redis_url: str
    prefix: str
    catalog: Catalog
    source_dir: str | None
    log_format: str
    log_level: str


async def refresh_in_child(
    redis_url: str,
    prefix: str,
    catalog: Catalog,
    source_dir: Path | str | None,
    log_format: str = "json",
    log_level: str = "info",
) -> dict[str, str]:
    """Run one refresh in a child process; returns list id -> outcome (published, unchanged, ...)."""
    request = _Request(redis_url, prefix, catalog, str(source_dir) if source_dir else None, log_format, log_level)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.refresh.child",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(msgspec.json.encode(request)), CHILD_TIMEOUT_S)
    except BaseException:  # timeout, or the server stopping: the child must not outlive it
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    lines = out.decode(errors="replace").strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RefreshChildError(f"refresh process exited {process.returncode}: {' | '.join(lines[-3:]) or 'no output'}")
    outcomes: dict[str, str] = json.loads(lines[-1])
    return outcomes


def main() -> int:
    from service.engine.index_warm import warm_index
    from service.logs import configure_logging
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    request = msgspec.json.decode(sys.stdin.buffer.read(), type=_Request)
    for list_id, spec in request.catalog.lists.items():
        spec.id = list_id  # as load_catalog does
    os.nice(NICENESS)
    configure_logging(request.log_format, request.log_level)

    async def run() -> dict[str, str]:
        connection = await connect(request.redis_url, None)
        try:
            store = SnapshotStore(connection.client, request.prefix)
            results = await refresh_lists(store, request.catalog, source_dir=request.source_dir)
            if any(result.outcome.value == "published" for result in results):
                await warm_index(store, request.catalog)
            return {result.list_id: result.outcome.value for result in results}
        finally:
            await connection.close()

    print(json.dumps(asyncio.run(run())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
