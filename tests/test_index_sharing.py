"""The matching index built once per set of list versions, stored in Redis and restored elsewhere.

Covers the framed storage format, list entries stored framed (and the older one-piece
format still read), the index bundle's encode/restore round trip, refusals of an index
stored for other lists, and IndexSource / ListLoader end to end against the real Redis
server (child-process builds included). Redis is never mocked; each test works under its
own key prefix and removes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import gc
import math
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence

import msgspec
import numpy as np
import psutil
import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from service.catalog import Catalog
from service.decide.policy import load_policy
from service.engine.index_source import IndexSource, Obtained
from service.engine.loader import ListLoader
from service.index import bundle as bundle_module
from service.index.bundle import (
    BundleRestore,
    IndexBundle,
    ListPart,
    StoredIndexError,
    build_bundle,
    encode_bundle,
    index_key,
)
from service.match.fuzzy import FuzzyMatcher
from service.match.result import MatchResult
from service.model import EntityType, Entry, Name, PartyQuery, QueryName, QueryNameSource
from service.model.entry import Address, AliasStrength, NameKind
from service.refresh.fetch import read_directory
from service.refresh.publisher import Outcome, publish_fetched
from service.sources.parsed import ParsedList, SourceFile
from service.store import snapshots
from service.store.framed import MAGIC, FramedError, frame, is_framed, part_count, parts
from service.store.index_blobs import IndexBlobStore
from service.store.snapshots import SnapshotStore, decode_entries, encode_entries, entry_parts
from tests.conftest import FIXTURES

PERSON, ORG, UNKNOWN = EntityType.INDIVIDUAL, EntityType.ORGANIZATION, EntityType.UNKNOWN
SDN, BIS = "ofac_sdn", "bis_entity"


# ---------------------------------------------------------------- data


def entry(
    list_id: str,
    entry_id: str,
    kind: EntityType,
    *names: str,
    weak: tuple[str, ...] = (),
    country: str = "",
    dob: tuple[str, ...] = (),
) -> Entry:
    return Entry(
        list_id=list_id,
        entry_id=entry_id,
        entity_type=kind,
        names=(
            *(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names)),
            *(Name(n, NameKind.AKA, AliasStrength.WEAK) for n in weak),
        ),
        addresses=(Address(country=country),) if country else (),
        dates_of_birth=dob,
    )


SDN_ENTRIES = [
    entry(SDN, "1", PERSON, "MADURO MOROS, Nicolas", country="VE", dob=("23 Nov 1962",)),
    entry(SDN, "2", PERSON, "AL-ZAWAHIRI, Ayman Muhammad Rabi", weak=("THE DOCTOR",)),
    entry(SDN, "3", PERSON, "SECHIN, Igor Ivanovich", "SETCHIN, Igor", country="RU"),
    entry(SDN, "4", PERSON, "CHOE Ryong Hae"),
    entry(
        SDN,
        "5",
        ORG,
        "HIKVISION DIGITAL TECHNOLOGY CO., LTD.",
        "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD",
        country="CN",
    ),
    entry(SDN, "6", ORG, "ROSNEFT OIL COMPANY PJSC", "OAO NK ROSNEFT", country="RU"),
    entry(SDN, "7", ORG, "SBERBANK ROSSII", "SBERBANK OF RUSSIA", country="RU"),
    entry(SDN, "8", ORG, "PUBLIC JOINT STOCK COMPANY POLYUS", country="RU"),
    entry(SDN, "9", ORG, "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU MARKUS", country="RU"),
    entry(SDN, "10", PERSON, "KUZNETSOV, Aleksandr Yuryevich", country="RU"),
    entry(SDN, "11", ORG, "PELENG JSC", country="BY"),
    entry(SDN, "12", EntityType.VESSEL, "ANDROMEDA STAR"),
    entry(SDN, "13", PERSON, "HUSAYN, Zayn al-Abidin Muhammad"),
    # Filler so token weights (IDF) look like a real list: common words are common.
    *(
        entry(SDN, f"f{i}", ORG, f"{word} TRADING COMPANY LIMITED {i}")
        for i, word in enumerate(["ALPHA", "BETA", "GAMMA", "DELTA", "OMEGA"] * 4)
    ),
]
BIS_ENTRIES = [
    # Same parties as SDN entries 5, 11 and 6: the crossover links.
    entry(BIS, "EL-1", UNKNOWN, "Hangzhou Hikvision Digital Technology Co., Ltd.", country="CN"),
    entry(BIS, "EL-2", ORG, "Peleng JSC", country="BY"),
    entry(BIS, "EL-3", ORG, "Rosneft Oil Company PJSC", country="RU"),
    entry(BIS, "EL-4", UNKNOWN, "Muhammad Halim Ghoura"),
    entry(BIS, "EL-5", ORG, "Northern Lights Electronics GmbH", country="DE"),
]
ENTRIES = SDN_ENTRIES + BIS_ENTRIES
LISTS = (ListPart(SDN, "sdn-v1", len(SDN_ENTRIES)), ListPart(BIS, "bis-v1", len(BIS_ENTRIES)))
VERSIONS = {SDN: "sdn-v1", BIS: "bis-v1"}

# (query, entry id expected on top): exact, typo in every token, reordered, legal form
# swapped, glued token split, transliteration.
QUERIES = [
    ("MADURO MOROS, Nicolas", {"1"}),
    ("Nikolas Madura Morros", {"1"}),
    ("Moros Nicolas Maduro", {"1"}),
    ("Hikvision Digital Technology Limited Liability Company", {"5", "EL-1"}),
    ("Sber Bank Rossii", {"7"}),
    ("Zain al-Abideen Mohamed Hussein", {"13"}),
    ("Peleng Joint Stock Company", {"11", "EL-2"}),  # listed on both lists
]


def find(matcher: FuzzyMatcher, name: str) -> list[MatchResult]:
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),))
    return matcher.find(query, frozenset(), 0.0, 10)


def assert_same_matching(built: IndexBundle, other: IndexBundle) -> None:
    """Every query finds the same matches (entries, names, scores, explanations) over both indexes."""
    for query, top in QUERIES:
        expected = find(FuzzyMatcher(built.fuzzy, dict(VERSIONS)), query)
        got = find(FuzzyMatcher(other.fuzzy, dict(VERSIONS)), query)
        assert expected, query
        assert expected[0].entry.entry_id in top, (query, expected[0])
        assert [(m.list_id, m.entry.entry_id, m.score) for m in got] == [
            (m.list_id, m.entry.entry_id, m.score) for m in expected
        ], query
        assert got == expected, query


def postings_by_token(bundle: IndexBundle) -> dict[str, tuple[int, ...]]:
    fuzzy = bundle.fuzzy
    return {token: tuple(int(i) for i in fuzzy.posting_array(token)) for token in fuzzy.postings}


def assert_same_fields(built: IndexBundle, restored: IndexBundle, same_process: bool = True) -> None:
    """The restored index holds what was built.

    Built in another process (another string hash seed), the postings may be laid out in
    another token order: then each token's records are compared, not the layout.
    """
    want, got = built.fuzzy.stored_fields(), restored.fuzzy.stored_fields()
    for name in ("deletions", "records", "weights", "raw_weights", "by_phonetic", "max_weight"):
        assert got[name] == want[name], name
    assert got["record_weight_array"].dtype == want["record_weight_array"].dtype
    assert np.array_equal(got["record_weight_array"], want["record_weight_array"])
    assert got["flat_postings"].dtype == want["flat_postings"].dtype
    assert postings_by_token(restored) == postings_by_token(built)
    if same_process:
        assert got["postings"] == want["postings"]
        assert np.array_equal(got["flat_postings"], want["flat_postings"])
    assert restored.names.stored_fields() == built.names.stored_fields()
    assert restored.names.entries == built.names.entries
    assert dict(restored.links) == dict(built.links)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def server_store(server_redis_url: str, key_prefix: str) -> AsyncIterator[SnapshotStore]:
    """A SnapshotStore on the shared Redis server under this test's own prefix (its keys removed after)."""
    client = aioredis.from_url(server_redis_url)
    yield SnapshotStore(client, key_prefix)
    keys = [key async for key in client.scan_iter(match=f"{key_prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny parts, so even this small index is stored as many (and dict shards are split)."""
    monkeypatch.setattr(bundle_module, "DICT_ITEMS_PER_PART", 7)
    monkeypatch.setattr(bundle_module, "LIST_ITEMS_PER_PART", 5)


@pytest.fixture(scope="module")
def built() -> IndexBundle:
    return build_bundle(ENTRIES)


@pytest.fixture
def no_children_left() -> Iterator[None]:
    """Fails the test if it leaves a child process (an index build) behind."""
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    yield
    left = [child for child in me.children(recursive=True) if child.pid not in before and child.is_running()]
    assert not left, f"child processes left behind: {[(c.pid, c.cmdline()) for c in left]}"


def parsed(list_id: str, entries: Sequence[Entry], tag: str) -> ParsedList:
    return ParsedList(
        list_id=list_id,
        format="test",
        entries=tuple(entries),
        files=(SourceFile(name=f"{list_id}.bin", sha256=tag * 16, size=len(entries)),),
        origin="tests",
    )


async def publish_both(store: SnapshotStore) -> tuple[list[ListPart], list[Entry]]:
    """Both lists published; their ListParts and concatenated entries, as the loader would have them."""
    lists, entries = [], []
    for list_id, listed in ((SDN, SDN_ENTRIES), (BIS, BIS_ENTRIES)):
        meta, changed = await store.publish(parsed(list_id, listed, "ab"))
        assert changed
        lists.append(ListPart(list_id, meta.version, meta.entry_count))
        entries.extend(await store.load_entries(list_id, meta.version))
    return lists, entries


def blob_fetcher(store: SnapshotStore, lists: Sequence[ListPart]):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    async def entry_blobs() -> list[bytes]:
        calls.append(1)
        return [await store.entries_blob(part.list_id, part.version) for part in lists]

    entry_blobs.calls = calls  # type: ignore[attr-defined]
    return entry_blobs


# ---------------------------------------------------------------- 1. framed values


def test_framed_round_trip_keeps_every_part_in_order() -> None:
    payloads = [b"first", b"", b"x" * 100_000, bytes(range(256)) * 3, b"last"]

    blob = frame(payloads)

    assert is_framed(blob)
    assert blob.startswith(MAGIC)
    assert part_count(blob) == len(payloads)
    assert list(parts(blob)) == payloads
    # Each part compressed on its own: the 100 kB of "x" shrink to almost nothing.
    assert len(blob) < 2_000
    assert part_count(frame([])) == 0 and list(parts(frame([]))) == []


def test_framed_values_cut_short_or_foreign_are_refused() -> None:
    blob = frame([b"alpha" * 50, b"beta" * 50, b"gamma" * 50])

    assert not is_framed(b"not framed at all")
    assert not is_framed(zlib.compress(b"legacy"))
    with pytest.raises(FramedError, match="magic"):
        list(parts(b"NOTFRAMED!\n" + blob[len(MAGIC) :]))
    with pytest.raises(FramedError, match="magic"):
        part_count(zlib.compress(b"legacy"))
    # Cut in the last part, in the middle of the parts, in the header, in the header's length.
    for cut in (len(blob) - 1, len(blob) // 2 + 10, len(MAGIC) + 5, len(MAGIC) + 2):
        with pytest.raises(FramedError):
            list(parts(blob[:cut]))
    # Trailing bytes the header does not describe.
    with pytest.raises(FramedError):
        list(parts(blob + b"extra"))
    # The right length, but a part's bytes damaged: it does not decompress.
    damaged = bytearray(blob)
    damaged[-8:] = b"\x00" * 8
    with pytest.raises(FramedError):
        list(parts(bytes(damaged)))


# ---------------------------------------------------------------- 2. stored entries


async def test_published_entries_are_framed_and_the_legacy_format_still_reads(
    server_store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "ENTRIES_PER_PART", 7)
    meta, changed = await server_store.publish(parsed(SDN, SDN_ENTRIES, "cd"))
    assert changed

    blob = await server_store.entries_blob(SDN, meta.version)

    assert is_framed(blob)
    assert part_count(blob) == math.ceil(len(SDN_ENTRIES) / 7)
    assert [len(part) for part in entry_parts(blob)] == [7, 7, 7, 7, len(SDN_ENTRIES) - 28]
    assert decode_entries(blob) == SDN_ENTRIES
    assert await server_store.load_entries(SDN, meta.version) == SDN_ENTRIES
    assert encode_entries(SDN_ENTRIES) == blob

    # A version stored before entries were framed: zlib(msgpack(list)) in one piece.
    legacy = zlib.compress(msgspec.msgpack.encode(SDN_ENTRIES))
    assert not is_framed(legacy)
    assert [len(part) for part in entry_parts(legacy)] == [len(SDN_ENTRIES)]
    assert decode_entries(legacy) == SDN_ENTRIES
    # ... and read back from Redis through the store, as a loader would.
    await server_store.client.set(f"{server_store.prefix}list:{{{SDN}}}:v:legacy1:entries", legacy)
    assert await server_store.load_entries(SDN, "legacy1") == SDN_ENTRIES


# ---------------------------------------------------------------- 3. bundle round trip


def test_bundle_restored_from_many_small_parts_equals_the_built_one(small_parts: None, built: IndexBundle) -> None:
    assert built.links, "the fixture lists should hold crossover links"
    assert any(len(shard) > 7 for shard in built.fuzzy.deletions.values()), "a shard should span several parts"

    blob = encode_bundle(built, LISTS)
    restore = BundleRestore(blob, ENTRIES, LISTS)
    steps = sum(1 for _ in restore.steps())

    assert restore.bundle is not None
    count = part_count(blob)
    assert count > 100  # header + many slices of each field
    assert restore.parts == count - 1
    assert steps == count  # one step per part, and one to assemble the index
    assert_same_fields(built, restore.bundle)
    assert_same_matching(built, restore.bundle)


def test_bundle_with_default_part_sizes_round_trips(built: IndexBundle) -> None:
    blob = encode_bundle(built, LISTS)
    restore = BundleRestore(blob, ENTRIES, LISTS)
    for _ in restore.steps():
        pass
    assert restore.bundle is not None
    assert_same_fields(built, restore.bundle)
    assert_same_matching(built, restore.bundle)


# ---------------------------------------------------------------- 4. other lists refused


def run(restore: BundleRestore) -> None:
    for _ in restore.steps():
        pass


def test_a_stored_index_for_other_lists_is_refused(built: IndexBundle) -> None:
    blob = encode_bundle(built, LISTS)
    sdn, bis = LISTS

    other_version = (ListPart(SDN, "sdn-v2", sdn.entries), bis)
    other_order = (bis, sdn)
    other_count = (ListPart(SDN, "sdn-v1", sdn.entries - 1), bis)
    fewer_lists = (sdn,)
    for lists in (other_version, other_order, other_count, fewer_lists):
        restore = BundleRestore(blob, ENTRIES, lists)
        with pytest.raises(StoredIndexError):
            run(restore)
        assert restore.bundle is None
    # The lists it was built for, but other entries than they hold.
    with pytest.raises(StoredIndexError, match="entries"):
        run(BundleRestore(blob, ENTRIES[:-1], LISTS))
    # A part lost (the header lists more parts than the value holds).
    cut = frame(list(parts(blob))[:-1], level=1)
    with pytest.raises(StoredIndexError):
        run(BundleRestore(cut, ENTRIES, LISTS))


def test_index_key_names_the_versions_their_order_and_sizes() -> None:
    sdn, bis = LISTS
    key = index_key(LISTS)

    assert index_key([sdn, bis]) == key  # deterministic, whatever the sequence type
    assert index_key((ListPart(SDN, "sdn-v2", sdn.entries), bis)) != key
    assert index_key((bis, sdn)) != key
    assert index_key((ListPart(SDN, "sdn-v1", sdn.entries + 1), bis)) != key
    assert index_key((sdn,)) != key
    assert len({key, index_key((sdn,)), index_key((bis,)), index_key(())}) == 4


# ---------------------------------------------------------------- 5. IndexSource with Redis


async def test_one_process_builds_in_a_child_and_the_next_restores(
    server_store: SnapshotStore, built: IndexBundle, no_children_left: None
) -> None:
    lists, entries = await publish_both(server_store)
    assert entries == ENTRIES
    blobs = IndexBlobStore(server_store.client, server_store.prefix)
    key = index_key(lists)
    assert await blobs.get(key) is None

    first_blobs = blob_fetcher(server_store, lists)
    with capture_logs() as logs:
        first = await IndexSource(blobs, build_in_thread_below=0).obtain(lists, entries, first_blobs)

    assert first.how == "built"
    assert first.key == key
    assert len(first_blobs.calls) == 1  # the child was given the stored entries
    assert [log["event"] for log in logs if log["event"] == "index_stored"] == ["index_stored"]
    stored = await blobs.get(key)
    assert stored is not None and is_framed(stored)
    ttl = await server_store.client.ttl(f"{server_store.prefix}index:{key}")
    assert ttl > 0  # derived data expires unless read again

    second_blobs = blob_fetcher(server_store, lists)
    second = await IndexSource(blobs, build_in_thread_below=0).obtain(lists, entries, second_blobs)

    assert second.how == "restored"
    assert second.key == key
    assert second_blobs.calls == []  # nothing to build
    assert second.longest_step_s > 0
    # The index the child built is the one this process builds itself.
    assert_same_fields(built, first.bundle, same_process=False)
    assert_same_fields(first.bundle, second.bundle)
    assert_same_matching(built, second.bundle)
    assert_same_matching(first.bundle, second.bundle)


async def test_two_processes_asking_at_once_build_it_once(
    server_store: SnapshotStore, built: IndexBundle, no_children_left: None
) -> None:
    lists, entries = await publish_both(server_store)
    blobs = IndexBlobStore(server_store.client, server_store.prefix)
    fetchers = [blob_fetcher(server_store, lists) for _ in range(2)]

    with capture_logs() as logs:
        obtained: list[Obtained] = await asyncio.gather(
            *(IndexSource(blobs, build_in_thread_below=0).obtain(lists, entries, f) for f in fetchers)
        )

    assert sorted(o.how for o in obtained) == ["built", "restored"]
    assert sum(len(f.calls) for f in fetchers) == 1
    assert len([log for log in logs if log["event"] == "index_stored"]) == 1
    for o in obtained:
        assert_same_matching(built, o.bundle)
    # The lock is released once the index is stored.
    assert not await server_store.client.exists(f"{server_store.prefix}index:{index_key(lists)}:building")


async def test_a_small_set_is_built_in_a_thread_and_not_stored(server_store: SnapshotStore, built: IndexBundle) -> None:
    lists, entries = await publish_both(server_store)
    blobs = IndexBlobStore(server_store.client, server_store.prefix)

    obtained = await IndexSource(blobs).obtain(lists, entries, blob_fetcher(server_store, lists))

    assert obtained.how == "built-in-thread"
    assert await blobs.get(obtained.key) is None
    assert_same_matching(built, obtained.bundle)


@pytest.mark.parametrize("damage", ["index of other lists", "a part lost"])
async def test_a_stored_index_that_does_not_fit_is_deleted_and_rebuilt(
    server_store: SnapshotStore, built: IndexBundle, no_children_left: None, damage: str
) -> None:
    lists, entries = await publish_both(server_store)
    blobs = IndexBlobStore(server_store.client, server_store.prefix)
    key = index_key(lists)
    good = encode_bundle(built, lists)
    if damage == "index of other lists":
        bad = encode_bundle(built, [ListPart(SDN, "older", lists[0].entries), lists[1]])
    else:
        bad = frame(list(parts(good))[:-1], level=1)
    await blobs.put(key, bad)

    with capture_logs() as logs:
        obtained = await IndexSource(blobs, build_in_thread_below=0).obtain(
            lists, entries, blob_fetcher(server_store, lists)
        )

    assert [log["event"] for log in logs if log["event"] == "stored_index_unusable"] == ["stored_index_unusable"]
    assert obtained.how == "built"
    stored = await blobs.get(key)
    assert stored is not None and stored != bad
    assert_same_fields(built, obtained.bundle, same_process=False)
    assert_same_matching(built, obtained.bundle)


@pytest.mark.parametrize("damage", ["garbage bytes", "cut short"])
async def test_a_damaged_stored_index_is_deleted_and_rebuilt(
    server_store: SnapshotStore, built: IndexBundle, no_children_left: None, damage: str
) -> None:
    lists, entries = await publish_both(server_store)
    blobs = IndexBlobStore(server_store.client, server_store.prefix)
    key = index_key(lists)
    good = encode_bundle(built, lists)
    bad = uuid.uuid4().bytes * 40 if damage == "garbage bytes" else good[: len(good) - 100]
    await blobs.put(key, bad)

    obtained = await IndexSource(blobs, build_in_thread_below=0).obtain(
        lists, entries, blob_fetcher(server_store, lists)
    )

    assert obtained.how == "built"
    stored = await blobs.get(key)
    assert stored is not None and stored != bad and is_framed(stored)
    assert_same_matching(built, obtained.bundle)


# ---------------------------------------------------------------- 6. ListLoader


async def test_two_loaders_share_one_build_and_screen_alike(
    server_store: SnapshotStore, test_catalog: Catalog, no_children_left: None
) -> None:
    spec = test_catalog.get(SDN)
    fetched = read_directory(spec, FIXTURES / "ofac_sdn")
    assert fetched is not None
    published = await publish_fetched(server_store, spec, fetched)
    assert published.outcome is Outcome.PUBLISHED

    loaders = [ListLoader(server_store, test_catalog, load_policy()) for _ in range(2)]
    for loader in loaders:
        assert loader._index_source is not None  # the production matcher shares its index
        loader._index_source = IndexSource(
            IndexBlobStore(server_store.client, server_store.prefix), build_in_thread_below=0
        )

    hows = []
    try:
        for loader in loaders:
            with capture_logs() as logs:
                assert await loader.reload() is True
            hows += [log["how"] for log in logs if log["event"] == "index_loaded"]
    finally:
        gc.unfreeze()  # the loader freezes what it loaded; give the test process its collector back

    assert hows == ["built", "restored"]
    key = index_key([ListPart(SDN, published.version, 7)])
    assert await server_store.client.exists(f"{server_store.prefix}index:{key}")
    first, second = (loader.state for loader in loaders)
    assert first is not None and second is not None
    assert first.versions == second.versions == {SDN: published.version}
    assert dict(first.links) == dict(second.links)
    assert first.entry(SDN, "22790") == second.entry(SDN, "22790") is not None

    query = PartyQuery(names=(QueryName("Nicolas MADURO MOROS", QueryNameSource.NAME),), entity_type=PERSON)
    found = [state.matcher.find(query, frozenset(), 0.5, 5) for state in (first, second)]
    assert found[0], "the listed name must be found"
    assert found[0][0].entry.entry_id == "22790"
    assert found[0][0].score >= 0.99
    assert found[0][0].list_version == published.version
    assert found[1] == found[0]
    # Nothing changed: a further reload neither builds nor restores.
    assert await loaders[1].reload() is False
    assert loaders[1].state is not None and loaders[1].state.matcher is second.matcher


async def test_the_publisher_warms_the_index_so_a_server_only_restores_it(
    server_store: SnapshotStore, test_catalog: Catalog, no_children_left: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.engine import index_warm

    monkeypatch.setattr(index_warm, "BUILD_IN_THREAD_BELOW", 0)  # the fixture list is small
    spec = test_catalog.get(SDN)
    fetched = read_directory(spec, FIXTURES / "ofac_sdn")
    assert fetched is not None
    assert (await publish_fetched(server_store, spec, fetched)).outcome is Outcome.PUBLISHED

    first = await index_warm.warm_index(server_store, test_catalog)
    again = await index_warm.warm_index(server_store, test_catalog)
    assert (first.outcome, first.entries, again.outcome) == ("built", 7, "stored")

    loader = ListLoader(server_store, test_catalog, load_policy())
    blobs = IndexBlobStore(server_store.client, server_store.prefix)
    loader._index_source = IndexSource(blobs, build_in_thread_below=0)
    try:
        with capture_logs() as logs:
            assert await loader.reload() is True
    finally:
        gc.unfreeze()
    assert [log["how"] for log in logs if log["event"] == "index_loaded"] == ["restored"]


async def test_nothing_to_warm_without_lists_or_for_a_small_set(
    server_store: SnapshotStore, test_catalog: Catalog
) -> None:
    from service.engine.index_warm import warm_index

    assert (await warm_index(server_store, test_catalog)).outcome == "no lists"
    spec = test_catalog.get(SDN)
    fetched = read_directory(spec, FIXTURES / "ofac_sdn")
    assert fetched is not None
    await publish_fetched(server_store, spec, fetched)
    assert (await warm_index(server_store, test_catalog)).outcome == "small"  # servers build it in a thread
