"""Where a process gets the matching index of a set of list versions: stored, or built once.

1. Stored in Redis under its content address (service.store.index_blobs): restored part
   by part on the event loop, which runs requests between parts.
2. Not stored yet: one process takes the build lock and builds it in a child process
   (a build is seconds of CPU; in a thread it would hold the GIL and stall every request
   of this process), stores it, and restores it like everyone else. The other processes
   keep serving the previous version and poll until it is stored.
3. A small set (tests, a team watchlist) is built in a thread: spawning a process would
   take longer than the build.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import msgspec
import structlog
from redis.exceptions import LockError

from service.engine.index_build import BuildRequest
from service.index.bundle import BundleRestore, IndexBundle, ListPart, StoredIndexError, build_bundle, index_key
from service.model import Entry
from service.store.index_blobs import IndexBlobStore
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

# Below this many entries the index is built in a thread of this process.
BUILD_IN_THREAD_BELOW = 300
# How often a process waiting for another's build looks for the stored index.
POLL_S = 0.25
# Longest a build may take before it is abandoned (and retried by the next reload).
BUILD_TIMEOUT_S = 240.0


class IndexBuildError(RuntimeError):
    """The index could not be built (the previous version keeps serving)."""


@dataclass(frozen=True)
class Obtained:
    bundle: IndexBundle
    key: str
    how: str  # restored | built | built-in-thread
    seconds: float
    # Longest time the event loop was held in one step of restoring it, in seconds.
    longest_step_s: float


@dataclass
class CollectorPause:
    # Set by the caller when what it allocated will live until the next swap (see collector_paused).
    freeze: bool = False


@contextmanager
def collector_paused() -> Iterator[CollectorPause]:
    """No cycle collection meanwhile: a full one over a half-loaded index holds the GIL for 0.1-0.3 s.

    Objects allocated while the collector is off pile up in its youngest generation, and
    the first collection after it is back walks them all in one go (15 ms after decoding
    the SDN's entries, 45-110 ms after restoring its index). With `pause.freeze` set, they
    are moved out of the collector's reach (gc.freeze) before it is switched back on: they
    are the serving state, freed by reference counting at the next swap. The price is
    that cyclic garbage made meanwhile by other requests is never collected: a few
    hundred objects per swap.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    pause = CollectorPause()
    try:
        yield pause
    finally:
        if pause.freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


# Share of a busy event loop a stepwise job may take: 1.0 runs its steps back to back
# (between requests), 0.5 rests as long as each step took. While a process serves, a
# request needs several loop turns; with a step in every turn it waits several steps
# (10-100 ms seen under 500 calls/s during a swap); with rests, mostly none.
step_share: ContextVar[float] = ContextVar("step_share", default=1.0)


async def run_steps(steps: Iterator[None]) -> float:
    """Drive a stepwise job on the event loop, letting other tasks run between steps.

    Returns the longest step in seconds (what a request arriving meanwhile could wait).
    """
    share = step_share.get()
    rest = 0.0 if share >= 1.0 else (1.0 - share) / share
    longest = 0.0
    while True:
        started = time.perf_counter()
        try:
            next(steps)
        except StopIteration:
            return max(longest, time.perf_counter() - started)
        took = time.perf_counter() - started
        longest = max(longest, took)
        await asyncio.sleep(took * rest)


def stored_entries(store: SnapshotStore, lists: Sequence[ListPart]) -> Callable[[], Awaitable[list[bytes]]]:
    """What obtain() and ensure_stored() fetch for a build: the lists' entries as stored, in order."""

    async def fetch() -> list[bytes]:
        return [await store.entries_blob(part.list_id, part.version) for part in lists]

    return fetch


class IndexSource:
    def __init__(self, blobs: IndexBlobStore, build_in_thread_below: int = BUILD_IN_THREAD_BELOW) -> None:
        self._blobs = blobs
        self._build_in_thread_below = build_in_thread_below

    async def obtain(
        self, lists: Sequence[ListPart], entries: Sequence[Entry], entry_blobs: Callable[[], Awaitable[list[bytes]]]
    ) -> Obtained:
        """The index of `entries` (the lists' entries concatenated in `lists` order).

        `entry_blobs` fetches the lists' stored entries, for a build in a child process.
        """
        started = time.perf_counter()
        key = index_key(lists)
        if len(entries) < self._build_in_thread_below:
            bundle = await asyncio.to_thread(build_bundle, entries)
            return Obtained(bundle, key, "built-in-thread", time.perf_counter() - started, 0.0)
        how = "restored"
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        while True:
            blob = await self._blobs.get(key)
            if blob is not None:
                restore = BundleRestore(blob, entries, lists)
                try:
                    longest = await run_steps(restore.steps())
                except StoredIndexError as exc:
                    # Not ours to trust (another format, a cut value): rebuild it.
                    log.warning("stored_index_unusable", key=key, error=str(exc))
                    await self._blobs.delete(key)
                    continue
                assert restore.bundle is not None
                return Obtained(restore.bundle, key, how, time.perf_counter() - started, longest)
            if time.monotonic() > deadline:
                raise IndexBuildError(f"index {key} was not built within {BUILD_TIMEOUT_S:.0f} s")
            if await self._build_once(key, lists, entry_blobs):
                how = "built"
                continue
            # Another process is building it: keep serving the previous version meanwhile.
            await asyncio.sleep(POLL_S)

    async def ensure_stored(self, lists: Sequence[ListPart], entry_blobs: Callable[[], Awaitable[list[bytes]]]) -> str:
        """Make sure the index of these list versions is stored, building it if need be (a publisher
        warming it for the servers). Returns "stored" (already), "built" or "built elsewhere"."""
        key = index_key(lists)
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        outcome = "stored"
        while not await self._blobs.exists(key):
            if time.monotonic() > deadline:
                raise IndexBuildError(f"index {key} was not built within {BUILD_TIMEOUT_S:.0f} s")
            if await self._build_once(key, lists, entry_blobs):
                return "built"
            outcome = "built elsewhere"
            await asyncio.sleep(POLL_S)
        return outcome

    async def _build_once(
        self, key: str, lists: Sequence[ListPart], entry_blobs: Callable[[], Awaitable[list[bytes]]]
    ) -> bool:
        """Build and store under the build lock; False if another process holds the lock."""
        lock = self._blobs.build_lock(key)
        if not await lock.acquire():
            return False
        started = time.perf_counter()
        try:
            if not await self._blobs.exists(key):
                built = await build_in_child(lists, await entry_blobs())
                await self._blobs.put(key, built)
                log.info("index_stored", key=key, bytes=len(built), seconds=round(time.perf_counter() - started, 3))
        finally:
            try:
                await lock.release()
            except LockError:
                pass  # expired during a very slow build: another process may be building too
        return True


async def build_in_child(lists: Sequence[ListPart], entry_blobs: Sequence[bytes]) -> bytes:
    """Build and encode the index in a child interpreter (`python -m service.engine.index_build`).

    A plain subprocess rather than multiprocessing: nothing of the parent (its __main__,
    its event loop, its Redis connections) is re-imported or inherited by the child.
    """
    request = msgspec.msgpack.encode(BuildRequest(tuple(lists), tuple(entry_blobs)))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.engine.index_build",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        built, errors = await asyncio.wait_for(process.communicate(request), timeout=BUILD_TIMEOUT_S)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0 or not built:
        detail = errors.decode(errors="replace").strip().splitlines()
        raise IndexBuildError(f"index build exited with {process.returncode}: {detail[-1] if detail else 'no message'}")
    return built
