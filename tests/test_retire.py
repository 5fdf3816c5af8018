"""A replaced screening state is freed in small steps, only once unused, and never what is still serving."""

from __future__ import annotations

import asyncio
import gc
import random
import weakref
from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from service.decide.policy import load_policy
from service.engine import retire as retire_module
from service.engine.retire import retire
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.model import EntityType, Entry, Name, PartyQuery, QueryName, QueryNameSource
from service.model.entry import NameKind
from service.store.snapshots import VersionMeta

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SYLLABLES = ("ka", "ro", "mi", "tan", "zu", "vel", "dor", "sha", "lin", "qu", "ber", "nok")
POLICY = load_policy()


def made_up_entries(list_id: str, count: int, seed: int) -> tuple[Entry, ...]:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    def name() -> tuple[Name, ...]:
        return (Name(f"{word()} {word()} {word()}", NameKind.PRIMARY),)

    return tuple(Entry(list_id, f"{list_id}-{n}", EntityType.ORGANIZATION, name()) for n in range(count))


def loaded(list_id: str, version: str, entries: tuple[Entry, ...]) -> LoadedList:
    meta = VersionMeta(list_id, version, "fixture", len(entries), "test", (), NOW, NOW)
    return LoadedList(meta, entries, NOW, timedelta(days=2))


def state_of(*lists: LoadedList) -> ScreeningState:
    return ScreeningState.build({item.meta.list_id: item for item in lists}, POLICY, build_default_matcher)


async def test_an_unused_state_is_taken_apart_in_steps_and_the_serving_one_keeps_what_it_shares() -> None:
    kept = loaded("bis_entity", "b1", made_up_entries("bis_entity", 800, seed=1))
    old = state_of(loaded("ofac_sdn", "s1", made_up_entries("ofac_sdn", 1500, seed=2)), kept)
    serving = state_of(loaded("ofac_sdn", "s2", made_up_entries("ofac_sdn", 1500, seed=3)), kept)
    matcher = weakref.ref(old.matcher)
    kept_entries = list(kept.entries)
    with capture_logs() as logs:
        task = asyncio.create_task(retire(old, lambda: serving))
        del old  # the loader keeps no reference to a state it replaced
        await asyncio.wait_for(task, 5)
    assert matcher() is None
    [retired] = [log for log in logs if log["event"] == "state_retired"]
    assert retired["containers"] >= 5  # the index's dicts and lists, the old SDN's entries
    # The list both states share is intact, and the serving state still screens with it.
    assert list(serving.lists["bis_entity"].entries) == kept_entries
    name = kept_entries[7].names[0].value
    assert kept_entries[7].entry_id in _found(serving, name)


async def test_a_state_still_in_use_is_left_alone_until_its_user_lets_go(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retire_module, "POLL_S", 0.01)
    old = state_of(loaded("ofac_sdn", "s1", made_up_entries("ofac_sdn", 1200, seed=4)))
    serving = state_of(loaded("ofac_sdn", "s2", made_up_entries("ofac_sdn", 1200, seed=5)))
    in_use = old  # a batch still screening with the old version
    name = in_use.lists["ofac_sdn"].entries[3].names[0].value
    # An earlier copy (a refresh confirmed the list: same index, new time) that a request still holds.
    earlier = old.with_confirmations({"ofac_sdn": NOW - timedelta(hours=1)})
    task = asyncio.create_task(retire(old, lambda: serving, [weakref.ref(earlier)]))
    del old
    await asyncio.sleep(0.2)
    assert not task.done()
    assert in_use.lists["ofac_sdn"].entries[3].entry_id in _found(in_use, name)  # still whole
    del in_use
    await asyncio.sleep(0.2)
    assert not task.done()
    assert earlier.lists["ofac_sdn"].entries[3].entry_id in _found(earlier, name)
    del earlier
    await asyncio.wait_for(task, 5)


def test_a_used_state_is_freed_by_reference_counting_alone() -> None:
    """No reference cycles: objects loaded with the collector paused are frozen, out of its reach,
    so a cycle through the index would keep every replaced index in memory for ever."""
    state = state_of(loaded("ofac_sdn", "s1", made_up_entries("ofac_sdn", 600, seed=8)))
    for entry in state.lists["ofac_sdn"].entries[:50]:
        _found(state, entry.names[0].value)
    refs = [weakref.ref(state), weakref.ref(state.matcher), weakref.ref(state.matcher._index)]
    gc.disable()
    try:
        del state, entry
        assert [ref() for ref in refs] == [None, None, None]
    finally:
        gc.enable()


async def test_a_container_someone_else_also_holds_is_not_emptied() -> None:
    old = state_of(loaded("ofac_sdn", "s1", made_up_entries("ofac_sdn", 1200, seed=6)))
    serving = state_of(loaded("ofac_sdn", "s2", made_up_entries("ofac_sdn", 1200, seed=7)))
    elsewhere = old.matcher._index.records  # e.g. a module-level table an index object pointed at
    count = len(elsewhere)
    task = asyncio.create_task(retire(old, lambda: serving))
    del old
    await asyncio.wait_for(task, 5)
    assert len(elsewhere) == count


def _found(state: ScreeningState, name: str) -> set[str]:
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),))
    return {match.entry.entry_id for match in state.matcher.find(query, frozenset(state.lists), 0.8, 10)}
