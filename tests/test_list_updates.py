"""List updates on real consecutive SDN publications: diffs, update events, live swap.

The daily publications in shared/data hold sdn.csv only (no add.csv / alt.csv of those
days exist), so every refresh from them is forced: without --force a set lacking its
alias and address files is rejected (test_update_checks.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import load_catalog
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.refresh.publisher import Outcome
from service.refresh.runner import refresh_lists
from service.settings import Settings
from service.store.snapshots import SnapshotStore
from tests.conftest import settings_with, wait_ready

pytestmark = pytest.mark.real_data


def raw_rows(sdn_csv: Path) -> dict[str, list[str]]:
    """sdn.csv rows by ent_num, read with nothing but the csv module (an independent reading)."""
    text = sdn_csv.read_bytes().decode("utf-8", errors="replace").rstrip("\x1a\r\n")
    return {row[0]: row for row in csv.reader(io.StringIO(text)) if row}


def independent_diff(old: Path, new: Path) -> tuple[set[str], set[str], set[str]]:
    before, after = raw_rows(old / "sdn.csv"), raw_rows(new / "sdn.csv")
    changed = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    return after.keys() - before.keys(), before.keys() - after.keys(), changed


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ofac-sdn-daily/2024-04-30", "ofac-sdn-daily/2024-05-01"),
        ("ofac-sdn-daily/2022-02-23", "ofac-sdn-daily/2022-02-25"),
    ],
)
async def test_recorded_diff_and_event_match_an_independent_count(
    store: SnapshotStore, redis_client: aioredis.Redis, shared_data: Path, old: str, new: str
) -> None:
    catalog = load_catalog()
    added, removed, changed = independent_diff(shared_data / old, shared_data / new)
    assert added  # these publications really add entries

    [first] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / old, force=True)
    [second] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / new, force=True)

    assert (first.outcome, second.outcome) == (Outcome.PUBLISHED, Outcome.PUBLISHED)
    diff = await store.diff("ofac_sdn", second.version)
    assert diff is not None and diff.previous_version == first.version
    assert (set(diff.added), set(diff.removed), set(diff.changed)) == (added, removed, changed)

    events = await redis_client.xrange(store.events_key)
    fields = [{k.decode(): v.decode() for k, v in event.items()} for _, event in events]
    assert [f["version"] for f in fields] == [first.version, second.version]
    last = fields[-1]
    assert last["list_id"] == "ofac_sdn" and last["previous_version"] == first.version
    assert (int(last["added"]), int(last["removed"]), int(last["changed"])) == (len(added), len(removed), len(changed))
    assert int(last["entry_count"]) == second.entry_count
    assert last["diff_key"].endswith(f":v:{second.version}:diff")


async def test_running_server_finds_a_party_added_on_2024_05_01_without_restart(
    settings: Settings, shared_data: Path, store: SnapshotStore
) -> None:
    old, new = shared_data / "ofac-sdn-daily/2024-04-30", shared_data / "ofac-sdn-daily/2024-05-01"
    added, _, _ = independent_diff(old, new)
    new_rows = raw_rows(new / "sdn.csv")
    added_name = new_rows[min(added, key=int)][1]

    catalog = load_catalog()
    # Published (forced) before the server starts: its own start-up refresh from `old`
    # then finds the same files serving, and is not forced.
    [serving] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=old, force=True)
    assert serving.outcome is Outcome.PUBLISHED
    running = await start_server(settings_with(settings, lists_dir=old), catalog, load_policy())
    try:
        await wait_ready(running, timeout_s=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            request = pb.ScreenRequest(party=pb.Party(name=added_name))
            before = await stub.Screen(request)
            assert before.decision == pb.DECISION_CLEAR

            # Another process publishes the next day's list; the server keeps answering throughout.
            publishing = asyncio.create_task(refresh_lists(store, catalog, ["ofac_sdn"], source_dir=new, force=True))
            answers: list[pb.ScreenResponse] = []
            for _ in range(400):
                answers.append(await stub.Screen(request, timeout=5))
                if answers[-1].decision == pb.DECISION_BLOCK:
                    break
                await asyncio.sleep(0.05)
            [result] = await publishing
    finally:
        await running.stop(0.5)
    assert answers[-1].decision == pb.DECISION_BLOCK, f"{added_name!r} never matched after the update"
    assert answers[-1].list_versions[0].version == result.version
    assert answers[-1].matches[0].entry_id == min(added, key=int)
    # Every answer before the swap used the old version and said CLEAR: no mixed or failed responses.
    assert all(a.decision == pb.DECISION_CLEAR and a.list_versions[0].version != result.version for a in answers[:-1])


async def test_get_list_changes_pages_through_what_an_update_changed_with_names(
    settings: Settings, shared_data: Path, store: SnapshotStore
) -> None:
    old, new = shared_data / "ofac-sdn-daily/2024-04-30", shared_data / "ofac-sdn-daily/2024-05-01"
    added, removed, changed = independent_diff(old, new)
    old_rows, new_rows = raw_rows(old / "sdn.csv"), raw_rows(new / "sdn.csv")
    catalog = load_catalog()
    [first] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=old, force=True)
    [second] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=new, force=True)
    running = await start_server(settings_with(settings, lists_dir=new), catalog, load_policy())
    try:
        await wait_ready(running, timeout_s=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            pages, offset = [], 0
            while True:  # "" = the serving version, read seven at a time
                page = await stub.GetListChanges(
                    pb.GetListChangesRequest(list_id="ofac_sdn", offset=offset, page_size=7)
                )
                pages.append(page)
                if not page.next_offset:
                    break
                assert page.next_offset == offset + 7
                offset = page.next_offset
            only_added = await stub.GetListChanges(
                pb.GetListChangesRequest(list_id="ofac_sdn", change="added", page_size=1000)
            )
            first_load = await stub.GetListChanges(
                pb.GetListChangesRequest(list_id="ofac_sdn", version=first.version, page_size=3)
            )
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetListChanges(pb.GetListChangesRequest(list_id="ofac_sdn", change="renamed"))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith("change:")
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await stub.GetListChanges(pb.GetListChangesRequest(list_id="ofac_sdn", version="20990101-0000-none"))
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await running.stop(0.5)

    head = pages[0]
    assert (head.version, head.previous_version) == (second.version, first.version)
    assert (head.added, head.removed, head.changed) == (len(added), len(removed), len(changed))
    rows = [change for page in pages for change in page.changes]
    assert len(rows) == len(added) + len(removed) + len(changed)
    by_kind = {kind: {c.entry_id for c in rows if c.change == kind} for kind in ("added", "removed", "changed")}
    assert by_kind == {"added": added, "removed": removed, "changed": changed}
    for change in rows:
        # Names from the version that holds the entry: sdn.csv's second column, read independently.
        source = old_rows if change.change == "removed" else new_rows
        assert change.name.casefold() == source[change.entry_id][1].strip().casefold(), change
        assert bool(change.fields) == (change.change == "changed"), change
    assert {c.entry_id for c in only_added.changes} == added and {c.change for c in only_added.changes} == {"added"}
    # The first version loaded added every entry it holds, against nothing.
    assert first_load.previous_version == "" and first_load.added == first.entry_count
    assert len(first_load.changes) == 3 and first_load.next_offset == 3
