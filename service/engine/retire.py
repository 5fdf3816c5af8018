"""Freeing a replaced screening state a little at a time.

The SDN's state is some 600,000 objects (entries, name and token indexes). Dropped
in one go, reference counting frees them in one C call that holds the GIL for
~30 ms, in whichever request happens to release the state last: a swap's worst
latency. Instead the loader hands the old state here. Once nothing else refers to
it (no request or batch is still screening with it), its big containers are
emptied a slice at a time on the event loop, each slice well under a millisecond
or two, with other tasks running in between.

Only what belongs to the old state alone is taken apart: objects the new state
still uses (a list whose version did not change keeps its entries) are left alone,
and nothing outside the index and matcher types is entered.
"""

from __future__ import annotations

import asyncio
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import structlog

from service.engine.index_source import run_steps
from service.engine.state import ScreeningState

log = structlog.get_logger(__name__)

# Items released per step: freeing one costs well under a microsecond, most of them less.
ITEMS_PER_STEP = 2_000
# How often to look whether the last user of the old state has finished.
POLL_S = 0.2
# After this long (a batch still screening with the old version), drop it as it is.
GIVE_UP_S = 600.0
# Containers smaller than this are freed with their owner (they cost nothing to speak of).
SMALL = 500
# Types whose attributes are entered: the index and matcher objects a state owns.
_OWN_MODULES = ("service.index.", "service.match.", "service.engine.", "service.identifiers.")


async def retire(
    old: ScreeningState,
    serving: Callable[[], ScreeningState | None],
    copies: Sequence[weakref.ref[ScreeningState]] = (),
) -> None:
    """Wait until `old` is unused, then take it apart in small steps (see the module doc).

    `serving` gives the state in use when the work starts (it may have changed meanwhile);
    `copies` are the earlier copies of `old` (ScreeningState.with_confirmations), which
    share its index: a request may still hold one of them.
    """
    started = time.monotonic()
    holders = [old]
    del old
    while not _unused(holders[0], copies):
        if time.monotonic() - started > GIVE_UP_S:
            log.warning("retire_gave_up", waited_s=round(time.monotonic() - started, 1))
            return
        await asyncio.sleep(POLL_S)
    # The state and its small objects are freed when this call returns; the big containers
    # live on in `parts` until released below.
    parts = _containers(holders.pop(), _shared_with(serving()))
    parts = _exclusive(parts)
    count, begun = len(parts), time.perf_counter()
    longest = await run_steps(_release_steps(parts))
    log.info(
        "state_retired", containers=count, seconds=round(time.perf_counter() - begun, 3),
        longest_step_ms=round(longest * 1000, 2),
    )  # fmt: skip


def _unused(state: ScreeningState, copies: Sequence[weakref.ref[ScreeningState]]) -> bool:
    # getrefcount counts its own argument: 3 is the caller's list, this call and nothing else.
    return sys.getrefcount(state) <= 3 and all(copy() is None for copy in copies)


def _shared_with(current: ScreeningState | None) -> set[int]:
    """Ids of the objects the serving state may share with a retired one: never entered."""
    if current is None:
        return set()
    shared = {id(current.lists), id(current.links), id(current.confirmed_at), id(current.matcher),
              id(current.identifiers)}  # fmt: skip
    shared.add(id(current.__dict__.get("_entries_by_key")))
    for loaded in current.lists.values():
        shared.add(id(loaded))
        shared.add(id(loaded.entries))
    return shared


def _containers(state: ScreeningState, keep: set[int]) -> list[Any]:
    """The state's big containers, found through the index and matcher objects it owns."""
    found: list[Any] = []
    seen: set[int] = set(keep)

    def visit(value: Any, depth: int) -> None:
        if id(value) in seen or depth > 5:
            return
        seen.add(id(value))
        if isinstance(value, (dict, list, tuple, set, frozenset)):
            if len(value) >= SMALL:
                found.append(value)
            elif isinstance(value, dict):
                for item in list(value.values()):  # e.g. the deletion index's shards
                    visit(item, depth + 1)
            return
        if not (type(value).__module__ + ".").startswith(_OWN_MODULES):
            return
        for attribute in list(getattr(value, "__dict__", {}).values()):
            visit(attribute, depth + 1)

    visit(state.matcher, 0)
    visit(state.links, 0)
    visit(state.__dict__.get("_entries_by_key"), 0)
    visit(state.identifiers, 0)
    for loaded in state.lists.values():
        if id(loaded) not in keep:
            visit(loaded.entries, 0)
    return found


def _exclusive(parts: list[Any]) -> list[Any]:
    """The containers nothing else refers to any more: only those may be emptied in place.

    A container still referred to after its owners were freed is someone else's too
    (a module constant an index object pointed at, say): it is left alone.
    """
    exclusive = []
    while parts:
        # A reference from `parts`, one from the argument: 2 is nobody else.
        if sys.getrefcount(parts[-1]) <= 2:
            exclusive.append(parts.pop())
        else:
            parts.pop()
    return exclusive


def _release_steps(parts: list[Any]) -> Iterator[None]:
    """Empty each container a slice at a time; whatever a slice held last is freed there."""
    while parts:
        part = parts.pop()
        if isinstance(part, (tuple, frozenset)):
            part = list(part)  # these cannot shrink; a list of the same items can
        if isinstance(part, dict):
            while part:
                for _ in range(min(ITEMS_PER_STEP, len(part))):
                    part.popitem()
                yield
        elif isinstance(part, list):
            while part:
                del part[-ITEMS_PER_STEP:]
                yield
        elif isinstance(part, set):
            while part:
                for _ in range(min(ITEMS_PER_STEP, len(part))):
                    part.pop()
                yield
        del part
