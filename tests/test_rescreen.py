"""Delta re-screening of registered parties after a real list update (OFAC SDN 2024-04-30 -> 2024-05-01)."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import load_catalog
from service.decide.policy import load_policy
from service.engine.loader import ListLoader
from service.grpc_door.server import start_server
from service.refresh.runner import refresh_lists
from service.registry.store import PartyRegistry
from service.rescreen.jobs import GROUP, Jobs, RescreenWorker
from service.settings import Settings
from service.store.snapshots import SnapshotStore
from tests.conftest import settings_with, wait_ready

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

# The daily publications in shared/data hold sdn.csv only (no add.csv / alt.csv of those days),
# so refreshes from them are forced (without --force a set lacking those files is rejected).
OLD, NEW = "ofac-sdn-daily/2024-04-30", "ofac-sdn-daily/2024-05-01"
MADE_UP = [f"{given} {family} {n}" for n, (given, family) in enumerate(
    [("Johanna", "Pemberton-Whitcombe"), ("Okonkwo", "Adebayo-Fernsby"), ("Lisbeth", "Quarrington"), ("Tamsin", "Velleroy")] * 30
)]  # fmt: skip


def rows(path: Path) -> dict[str, list[str]]:
    text = path.read_bytes().decode("utf-8", "replace").rstrip("\x1a")
    return {row[0]: row for row in csv.reader(text.splitlines()) if row}


def added_names(shared_data: Path, count: int) -> list[tuple[str, str]]:
    """(ent_num, name) of entries added on 2024-05-01 with names distinctive enough to match alone."""
    old, new = rows(shared_data / OLD / "sdn.csv"), rows(shared_data / NEW / "sdn.csv")
    added = sorted(set(new) - set(old), key=int)
    picked = [(ent, new[ent][1]) for ent in added if len(new[ent][1].replace(",", " ").split()) >= 2]
    return picked[:count]


def _stream_order(alert_id: str) -> tuple[int, int]:
    milliseconds, sequence = alert_id.split("-")
    return int(milliseconds), int(sequence)


def party(reference: str, name: str) -> pb.Party:
    return pb.Party(name=name, party_reference=reference)


def the_update(tmp_path: Path) -> Path:
    """The fixture SDN set plus one new entry, 99001 ZORVATHIAN KESTREL SHIPPING LINES (SDGT)."""
    from tests.conftest import FIXTURES

    new = tmp_path / "new"
    shutil.copytree(FIXTURES / "ofac_sdn", new)
    sdn = new / "sdn.csv"
    row = b'99001,"ZORVATHIAN KESTREL SHIPPING LINES",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    sdn.write_bytes(sdn.read_bytes().rstrip(b"\x1a") + row + b"\x1a")  # OFAC's end-of-file marker stays last
    return new


async def wait_for_states(registry: PartyRegistry, jobs: Jobs, references: list[str], timeout_s: float = 60.0) -> None:
    """Until every party has a screening state and every `registered` job is done."""
    for _ in range(int(timeout_s * 10)):
        states = [await registry.state(ref) for ref in references]
        running = [info.job_id for info in await jobs.recent() if info.kind == "registered" and info.state != "done"]
        if all(states) and not running:
            return
        await asyncio.sleep(0.1)
    missing = [ref for ref, state in zip(references, states, strict=True) if state is None]
    raise AssertionError(
        f"after {timeout_s} s: {len(missing)} parties without a state (e.g. {missing[:3]}), jobs running {running}"
    )


@pytest.mark.real_data
async def test_update_raises_exactly_the_expected_alerts_on_watch_alerts(
    settings: Settings, shared_data: Path, store: SnapshotStore, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    listed = added_names(shared_data, 12)
    expected = {f"HIT-{ent}" for ent, _ in listed}
    catalog = load_catalog()
    # Published (forced) before the server starts, whose own start-up refresh then finds it serving.
    await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / OLD, force=True)
    running = await start_server(settings_with(settings, lists_dir=shared_data / OLD), catalog, load_policy())
    try:
        await wait_ready(running, timeout_s=90)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            parties = [party(f"HIT-{ent}", name) for ent, name in listed]
            parties += [party(f"CLEAN-{n}", name) for n, name in enumerate(MADE_UP)]
            registered = await stub.RegisterParties(pb.RegisterPartiesRequest(parties=parties))
            assert (registered.stored, registered.new, list(registered.errors)) == (len(parties), len(parties), [])
            assert registered.queued == len(parties)
            bad = await stub.RegisterParties(pb.RegisterPartiesRequest(parties=[pb.Party(name="No Reference")]))
            assert bad.stored == 0 and bad.errors[0].field == "parties[0].party_reference"
            # Registering gives each party its first state, against 2024-04-30: none is listed yet.
            registry = PartyRegistry(redis_client, key_prefix)
            await wait_for_states(registry, Jobs(redis_client, key_prefix), [p.party_reference for p in parties])
            assert {(await registry.state(p.party_reference)).decision for p in parties} == {"CLEAR"}  # type: ignore[union-attr]
            hit_reference = parties[0].party_reference
            before = await stub.GetParty(pb.GetPartyRequest(party_reference=hit_reference))
            assert (before.party.name, before.decision, list(before.alerted)) == (
                parties[0].name,
                pb.DECISION_CLEAR,
                [],
            )
            assert (
                before.direction == pb.DIRECTION_EXPORT
                and not before.screening_queued
                and before.HasField("state_since")
            )
            for reference, code in (
                ("", grpc.StatusCode.INVALID_ARGUMENT),
                ("NOT-REGISTERED", grpc.StatusCode.NOT_FOUND),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stub.GetParty(pb.GetPartyRequest(party_reference=reference))
                assert refused.value.code() == code and refused.value.details().startswith("party_reference: ")

            watch = stub.WatchAlerts(pb.WatchAlertsRequest(after_id="0"))
            [published] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / NEW, force=True)
            job_id = f"delta:ofac_sdn:{published.version}"
            alerts: list[pb.Alert] = []

            async def collect() -> None:
                async for alert in watch:
                    alerts.append(alert)

            reader = asyncio.create_task(collect())
            for _ in range(600):
                try:
                    job = await stub.GetJob(pb.GetJobRequest(job_id=job_id))
                    if job.state == "done":
                        break
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)
            assert job.state == "done" and job.shards_done == job.shards_total, job
            await asyncio.sleep(1.5)  # let the watcher deliver the last alerts
            assert {a.party_reference for a in alerts} == expected
            assert len(alerts) == len(expected) and job.alerts == len(expected)
            for alert in alerts:
                assert alert.decision == pb.DECISION_BLOCK and alert.previous_decision == pb.DECISION_CLEAR
                assert dict(alert.list_versions) == {"ofac_sdn": published.version}
                assert alert.policy_version == load_policy().version
                [entry] = [e for e in alert.entries if e.change == "new"]
                assert (entry.list_id, alert.job_id) == ("ofac_sdn", job_id)
                assert f"HIT-{entry.entry_id}" == alert.party_reference

            after = await stub.GetParty(pb.GetPartyRequest(party_reference=hit_reference))
            assert after.decision == pb.DECISION_BLOCK
            assert [(a.list_id, f"HIT-{a.entry_id}") for a in after.alerted] == [("ofac_sdn", hit_reference)]
            assert after.alerted[0].listed_name == listed[0][1]  # the added entry's name, as the list has it

            # The review queue: the same alerts, oldest first, open until someone decides on them.
            queue = await stub.ListAlerts(pb.ListAlertsRequest(open_only=True, page_size=1000))
            assert [a.alert_id for a in queue.alerts] == sorted((a.alert_id for a in alerts), key=_stream_order)
            assert {a.party_reference for a in queue.alerts} == expected and not (queue.more or queue.truncated)
            assert not (await stub.ListAlerts(pb.ListAlertsRequest(decision=pb.DECISION_CLEAR))).alerts
            five = await stub.ListAlerts(pb.ListAlertsRequest(list_id="ofac_sdn", page_size=5))
            assert [a.alert_id for a in five.alerts] == [a.alert_id for a in queue.alerts[:5]] and five.more
            assert not (await stub.ListAlerts(pb.ListAlertsRequest(min_age_hours=1))).alerts  # all raised just now
            for _ in range(200):  # a verdict is recorded on the entry as the server serves it
                if (running.loader.state and running.loader.state.versions["ofac_sdn"]) == published.version:
                    break
                await asyncio.sleep(0.05)
            decided = await stub.RecordDisposition(pb.RecordDispositionRequest(
                party_reference=hit_reference, list_id="ofac_sdn", entry_id=hit_reference.removeprefix("HIT-"),
                kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH, reason="the listed company itself",
            ))  # fmt: skip
            assert decided.status == pb.DISPOSITION_STATUS_ACTIVE
            still_open = await stub.ListAlerts(pb.ListAlertsRequest(open_only=True, page_size=1000))
            assert {a.party_reference for a in still_open.alerts} == expected - {hit_reference}
            everything = await stub.ListAlerts(pb.ListAlertsRequest(page_size=1000))
            assert {a.party_reference for a in everything.alerts} == expected  # decided ones are still listed

            # The same version published again: no event, no job, no alert.
            [again] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / NEW, force=True)
            assert again.version == published.version
            count = len(alerts)
            await asyncio.sleep(1.5)
            assert len(alerts) == count

            # Resuming from the last alert id delivers nothing old.
            resumed = stub.WatchAlerts(pb.WatchAlertsRequest(after_id=alerts[-1].alert_id))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(resumed.read(), 1.0)
            resumed.cancel()
            reader.cancel()
            watch.cancel()
    finally:
        await running.stop(0.5)


@pytest.mark.real_data
async def test_a_dead_worker_s_shards_are_claimed_and_no_alert_is_lost_or_repeated(
    redis_client: aioredis.Redis, key_prefix: str, shared_data: Path, store: SnapshotStore
) -> None:
    catalog = load_catalog()
    await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / OLD, force=True)
    [published] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=shared_data / NEW, force=True)
    loader = ListLoader(store, catalog, load_policy())
    await loader.reload()
    listed = added_names(shared_data, 30)
    from service.api.registration import registered_parties

    records, errors = registered_parties([party(f"HIT-{ent}", name) for ent, name in listed], "export")
    assert not errors
    await PartyRegistry(redis_client, key_prefix).register(records)

    jobs = Jobs(redis_client, key_prefix)
    job_id, new = await jobs.create(
        "delta", "ofac_sdn", published.version, job_id=f"delta:ofac_sdn:{published.version}"
    )
    assert new and not (await jobs.create("delta", "ofac_sdn", published.version, job_id=job_id))[1]

    # A worker takes 100 shards, processes half of them (alerts written, states set), and dies before acking any.
    doomed = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="doomed")
    read = await redis_client.xreadgroup(GROUP, "doomed", {jobs.shards_key: ">"}, count=100)
    taken = [entry for _, batch in read for entry in batch]
    for _, fields in taken[:50]:
        await doomed.process_shard(fields[b"job_id"].decode(), int(fields[b"bucket"]))

    survivor = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="survivor", claim_idle_ms=100)
    await asyncio.sleep(0.2)
    while await survivor.work_once(block_ms=None):
        pass
    job = await jobs.get(job_id)
    assert job is not None and job.state == "done" and job.shards_done == job.shards_total
    pending = await redis_client.xpending(jobs.shards_key, GROUP)
    assert pending["pending"] == 0
    entries = await redis_client.xrange(jobs.alerts_key)
    references = [json.loads(fields[b"alert"])["reference"] for _, fields in entries]
    assert len(references) == len(set(references)) == len(listed) == job.alerts
    assert set(references) == {f"HIT-{ent}" for ent, _ in listed}


async def test_full_rescreen_sets_every_state_and_alerts_listed_parties(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog
) -> None:
    from service.api.registration import registered_parties
    from tests.conftest import FIXTURES

    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=FIXTURES / "ofac_sdn")
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    records, _ = registered_parties(
        [
            party("BP-1", "Nicolas MADURO MOROS"),
            party("BP-2", "Banco Nacional de Cuba"),
            party("BP-3", "Johanna Pemberton"),
        ],
        "export",
    )
    registry = PartyRegistry(redis_client, key_prefix)
    await registry.register(records)
    jobs = Jobs(redis_client, key_prefix)
    await redis_client.zadd(jobs.index_key, {"full:ancient": time.time() - 31 * 86_400})
    job_id, _ = await jobs.create("full")
    worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="w")
    while await worker.work_once(block_ms=None):
        pass
    job = await jobs.get(job_id)
    assert job is not None and job.state == "done" and job.parties_screened == 3 and job.alerts == 2
    # A finished job's records expire after the retention period (its alerts stay in the stream).
    from service.rescreen.jobs import JOB_RETENTION_S

    for part in ("", ":done", ":alerted"):
        assert 0 < await redis_client.ttl(f"{jobs.job_key(job_id)}{part}") <= JOB_RETENTION_S
    assert await redis_client.zscore(jobs.index_key, "full:ancient") is None  # and leave the job index
    assert (await registry.state("BP-1")).decision == "BLOCK"  # type: ignore[union-attr]
    assert (await registry.state("BP-2")).alerts[0].entry_id == "306"  # type: ignore[union-attr]
    assert await registry.state("BP-3") is not None and (await registry.state("BP-3")).decision == "CLEAR"  # type: ignore[union-attr]
    # A second full job finds nothing new to say.
    second, _ = await jobs.create("full")
    while await worker.work_once(block_ms=None):
        pass
    assert (await jobs.get(second)).alerts == 0  # type: ignore[union-attr]
    assert await registry.remove(["BP-1", "BP-404"]) == 1 and await registry.count() == 2


async def test_killing_a_worker_process_mid_job_loses_and_repeats_no_alert(
    redis_url: str,
    redis_client: aioredis.Redis,
    key_prefix: str,
    store: SnapshotStore,
    test_catalog,
    tmp_path: Path,
) -> None:
    """A real `screening worker` process is killed (SIGKILL) while it works; another finishes the job."""
    import os
    import signal
    import subprocess
    import sys

    from service.api.registration import registered_parties
    from tests.conftest import FIXTURES

    if redis_url.startswith("unix://"):
        pytest.skip("the worker processes connect by URL: run against the Redis server and the cluster only")
    old, new = FIXTURES / "ofac_sdn", the_update(tmp_path)
    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=old)
    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=new)
    hits = [
        party(f"HIT-{n}", f"Zorvathian Kestrel Shipping Lines {suffix}")
        for n, suffix in enumerate(["", "Ltd", "LLC", "GmbH", "S.A.", "Inc"])
    ]
    filler = [party(f"P-{n}", f"{MADE_UP[n % len(MADE_UP)]} Holdings {n}") for n in range(20_000)]
    records, errors = registered_parties(hits + filler, "export")
    assert not errors
    for start in range(0, len(records), 5000):
        await PartyRegistry(redis_client, key_prefix).register(records[start : start + 5000])
    jobs = Jobs(redis_client, key_prefix)
    job_id, _ = await jobs.create("delta", "ofac_sdn", published.version, job_id=f"delta:ofac_sdn:{published.version}")

    env = {k: v for k, v in os.environ.items() if k not in ("LISTS_DIR",)}
    env.update(REDIS_URL=redis_url, SCREENING_KEY_PREFIX=key_prefix, SCREENING_CATALOG=str(FIXTURES / "sources.toml"),
               LOG_LEVEL="warning", SCREENING_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env)  # noqa: ASYNC220 - returns at once
    try:
        for _ in range(600):
            done = await redis_client.scard(f"{jobs.job_key(job_id)}:done")
            if done >= 20:
                break
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed_at = await redis_client.scard(f"{jobs.job_key(job_id)}:done")
    assert 20 <= killed_at < 256, "the worker must die mid-job for this test to mean anything"

    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    survivor = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="survivor", claim_idle_ms=200)
    await asyncio.sleep(0.3)
    while await survivor.work_once(block_ms=None):
        pass
    job = await jobs.get(job_id)
    assert job is not None and job.state == "done" and job.shards_done == 256
    entries = await redis_client.xrange(jobs.alerts_key)
    references = [json.loads(fields[b"alert"])["reference"] for _, fields in entries]
    assert sorted(references) == sorted(f"HIT-{n}" for n in range(6))  # every hit once, nothing else
    assert (await redis_client.xpending(jobs.shards_key, GROUP))["pending"] == 0


async def test_registering_gives_new_and_changed_parties_their_first_state_once(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog
) -> None:
    from service.api.registration import registered_parties
    from tests.conftest import FIXTURES

    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=FIXTURES / "ofac_sdn")
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    registry = PartyRegistry(redis_client, key_prefix)
    jobs = Jobs(redis_client, key_prefix)
    worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="w")

    def records(*parties: pb.Party) -> list:
        found, errors = registered_parties(list(parties), "export")
        assert not errors
        return found

    async def run(job_id: str) -> list[dict]:
        while await worker.work_once(block_ms=None):
            pass
        job = await jobs.get(job_id)
        assert job is not None and job.kind == "registered" and job.state == "done", job
        assert job.shards_done == job.shards_total
        entries = await redis_client.xrange(jobs.alerts_key)
        return [alert for _, fields in entries if (alert := json.loads(fields[b"alert"]))["job_id"] == job_id]

    assert await jobs.start_registered() is None  # nobody waiting
    result = await registry.register(records(party("BP-1", "Nicolas MADURO MOROS"), party("BP-2", "Johanna Pemberton")))
    assert (result.stored, result.new, result.queued) == (2, 2, 2)
    first = await jobs.start_registered()
    assert first is not None and first.startswith("registered:")
    # Registered while the first job runs (into a bucket that job does not cover, or its shard
    # would take it along): waits for the next job, which starts only after the first is done.
    from service.registry.store import bucket_of

    assert bucket_of("BP-3") not in {bucket_of("BP-1"), bucket_of("BP-2")}
    assert (await registry.register(records(party("BP-3", "Banco Nacional de Cuba")))).queued == 1
    assert await jobs.start_registered() is None
    [alert] = await run(first)
    assert (alert["reference"], alert["decision"], alert["previous_decision"]) == ("BP-1", "BLOCK", "CLEAR")
    # A first screening decides on every list loaded (here the fixture SDN), under this policy.
    assert alert["list_versions"] == {"ofac_sdn": loader.state.lists["ofac_sdn"].meta.version}  # type: ignore[union-attr]
    assert alert["policy_version"] == loader.state.policy.version  # type: ignore[union-attr]
    assert [(e[1], e[4]) for e in alert["entries"]] == [("22790", "new")]
    assert (await registry.state("BP-2")).decision == "CLEAR"  # type: ignore[union-attr]
    assert await registry.state("BP-3") is None
    assert (await jobs.get(first)).parties_screened == 2  # type: ignore[union-attr]

    second = await jobs.start_registered()
    assert second is not None
    [alert] = await run(second)
    assert alert["reference"] == "BP-3" and (await registry.state("BP-3")).alerts[0].entry_id == "306"  # type: ignore[union-attr]
    assert (await jobs.get(second)).parties_screened == 1  # type: ignore[union-attr]

    # The same data again: nothing queued. Other data: screened again, and the alert says what changed.
    again = await registry.register(records(party("BP-1", "Nicolas MADURO MOROS"), party("BP-2", "Johanna Pemberton")))
    assert (again.stored, again.new, again.queued) == (2, 0, 0) and await jobs.start_registered() is None
    assert (await registry.register(records(party("BP-1", "Johanna Pemberton-Whitcombe")))).queued == 1
    third = await jobs.start_registered()
    assert third is not None
    [alert] = await run(third)
    assert (alert["reference"], alert["decision"], alert["previous_decision"]) == ("BP-1", "CLEAR", "BLOCK")
    assert [(e[1], e[4]) for e in alert["entries"]] == [("22790", "cleared")]


async def test_a_party_changed_while_being_screened_stays_queued_and_a_removed_one_does_not(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of

    registry = PartyRegistry(redis_client, key_prefix)
    [before], _ = registered_parties([party("BP-1", "Johanna Pemberton")], "export")
    [after], _ = registered_parties([party("BP-1", "Johanna Pemberton-Whitcombe")], "export")
    bucket = bucket_of("BP-1")
    await registry.register([before])
    [(screened, raw)], states = await registry.unscreened(bucket)
    assert screened == before and states == {}
    await registry.register([after])  # while `before` was being screened
    assert await registry.mark_screened(bucket, [("BP-1", raw)]) == 0
    [(waiting, raw)], _ = await registry.unscreened(bucket)
    assert waiting == after
    assert await registry.mark_screened(bucket, [("BP-1", raw)]) == 1
    assert await registry.unscreened(bucket) == ([], {})
    await registry.register([before])
    assert await registry.remove(["BP-1"]) == 1 and await registry.unscreened(bucket) == ([], {})


async def test_two_jobs_settling_one_party_announce_its_change_once(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog, tmp_path: Path
) -> None:
    """A first screening and a delta re-screen reach the same party at once: one alert, not two."""
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of
    from tests.conftest import FIXTURES

    old, new = FIXTURES / "ofac_sdn", the_update(tmp_path)
    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=old)
    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    records, _ = registered_parties([party("BP-Z", "Zorvathian Kestrel Shipping Lines")], "export")
    assert (await registry.register(records)).queued == 1
    first = await jobs.start_registered()
    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=new)
    delta, _ = await jobs.create("delta", "ofac_sdn", published.version, job_id=f"delta:ofac_sdn:{published.version}")
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()  # both workers screen on the new version
    first_worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="first")
    delta_worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="delta")

    # The first screening decides, then waits before writing while the delta job runs whole.
    decided, go = asyncio.Event(), asyncio.Event()
    settle = first_worker.jobs.settle

    async def settle_later(*args, **kwargs):  # type: ignore[no-untyped-def]
        decided.set()
        await go.wait()
        return await settle(*args, **kwargs)

    first_worker.jobs.settle = settle_later  # type: ignore[method-assign]
    assert first is not None
    bucket = bucket_of("BP-Z")
    screening = asyncio.create_task(first_worker.process_shard(first, bucket))
    await asyncio.wait_for(decided.wait(), 30)
    by_delta = await delta_worker.process_shard(delta, bucket)
    assert [a.reference for a in by_delta.alerts] == ["BP-Z"]
    go.set()
    by_first = await screening

    # The first screening found the state changed under it, decided again from it: nothing new.
    assert by_first.alerts == [] and by_first.states == {}
    entries = await redis_client.xrange(jobs.alerts_key)
    alerts = [json.loads(fields[b"alert"]) for _, fields in entries]
    assert [(a["reference"], a["job_id"]) for a in alerts] == [("BP-Z", delta)]
    assert [(a.entry_id, a.decision) for a in (await registry.state("BP-Z")).alerts] == [("99001", "BLOCK")]  # type: ignore[union-attr]
    assert await registry.unscreened(bucket) == ([], {})


async def test_an_imo_number_added_to_an_entry_alerts_the_registered_vessel_carrying_it(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog, tmp_path: Path
) -> None:
    """OFAC often adds IMO numbers to entries it already lists: a registered vessel holding the number,
    under another name, is alerted by the delta, and only it."""
    from service.api.registration import registered_parties
    from tests.conftest import FIXTURES

    # Before: ZAFAR STAR (15036) without its IMO number; after: the fixture as it is, with IMO 9187629.
    old = tmp_path / "old"
    shutil.copytree(FIXTURES / "ofac_sdn", old)
    sdn = old / "sdn.csv"
    assert b"Vessel Registration Identification IMO 9187629; " in sdn.read_bytes()
    sdn.write_bytes(sdn.read_bytes().replace(b"Vessel Registration Identification IMO 9187629; ", b""))
    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=old)
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    vessel = pb.Party(name="Morning Glory", party_reference="V-1", type=pb.PARTY_TYPE_VESSEL,
                      identifiers=[pb.Identifier(type="imo", value="9187629")])  # fmt: skip
    other = pb.Party(name="Evening Calm", party_reference="V-2", type=pb.PARTY_TYPE_VESSEL,
                     identifiers=[pb.Identifier(type="imo", value="9074729")])  # fmt: skip
    records, errors = registered_parties([vessel, other], "export")
    assert not errors
    await registry.register(records)
    from service.registry.store import bucket_of

    # As if V-1 had been registered before the registry indexed identifiers: its bucket is indexed
    # by the first delta that needs it.
    await redis_client.delete(registry.identifiers_key(bucket_of("V-1")))
    worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="w")
    first = await jobs.start_registered()
    assert first is not None
    while await worker.work_once(block_ms=None):
        pass
    assert {(await registry.state(ref)).decision for ref in ("V-1", "V-2")} == {"CLEAR"}  # type: ignore[union-attr]

    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=FIXTURES / "ofac_sdn")
    diff = await store.diff("ofac_sdn", published.version)
    assert diff is not None and diff.changed == ("15036",) and not diff.added
    await loader.reload()
    delta, _ = await jobs.create("delta", "ofac_sdn", published.version, job_id=f"delta:ofac_sdn:{published.version}")
    while await worker.work_once(block_ms=None):
        pass
    entries = await redis_client.xrange(jobs.alerts_key)
    alerts = [json.loads(fields[b"alert"]) for _, fields in entries if json.loads(fields[b"alert"])["job_id"] == delta]
    assert [(a["reference"], a["decision"]) for a in alerts] == [("V-1", "BLOCK")]
    assert [(e[1], e[4]) for e in alerts[0]["entries"]] == [("15036", "new")]
    assert alerts[0]["text"] == "Party V-1: CLEAR -> BLOCK; new ofac_sdn 15036 'ZAFAR STAR' (by IMO 9187629)."
    assert await redis_client.hget(registry.identifiers_key(bucket_of("V-1")), "V-1") == b"9187629"
    state = await registry.state("V-1")
    assert state is not None and [a.entry_id for a in state.alerts] == ["15036"]
    assert (await registry.state("V-2")).decision == "CLEAR"  # type: ignore[union-attr]
    # A vessel registered now, with the number, gets it in its first screening (every list, by identifier).
    late, _ = registered_parties([pb.Party(name="Calm Waters", party_reference="V-3", type=pb.PARTY_TYPE_VESSEL,
                                           identifiers=[pb.Identifier(type="imo", value="IMO 9187629")])], "export")  # fmt: skip
    await registry.register(late)
    assert await jobs.start_registered() is not None
    while await worker.work_once(block_ms=None):
        pass
    assert (await registry.state("V-3")).decision == "BLOCK"  # type: ignore[union-attr]


async def test_the_registry_keeps_each_party_s_identifier_keys_as_it_is_registered_and_removed(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of

    registry = PartyRegistry(redis_client, key_prefix)
    index = registry.identifiers_key(bucket_of("V-9"))

    def vessel(*identifiers: pb.Identifier) -> list:
        found, errors = registered_parties([pb.Party(name="Calm Waters", party_reference="V-9",
                                                     identifiers=identifiers)], "export")  # fmt: skip
        assert not errors
        return found

    await registry.register(vessel(pb.Identifier(type="imo", value="IMO 9187629"),
                                   pb.Identifier(type="mmsi", value="215 123 456")))  # fmt: skip
    assert await redis_client.hget(index, "V-9") == b"9187629\x1f215123456"
    # The bucket was new: its index is complete from its first party (no delta needs to fill it).
    assert await redis_client.hget(index, "\x00indexed") == b"1"
    await registry.register(vessel())  # registered again without identifiers
    assert await redis_client.hget(index, "V-9") is None
    await registry.register(vessel(pb.Identifier(type="wallet:XBT", value="12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")))
    assert await redis_client.hget(index, "V-9") == b"12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"
    assert await registry.remove(["V-9"]) == 1 and await redis_client.hget(index, "V-9") is None


async def test_a_worker_dying_between_state_and_alert_stream_raises_the_alert_once_on_the_retry(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog
) -> None:
    """The state and the alert are written together (bucket and its outbox); the outbox reaches the
    alert stream on the shard's next run, once, however many times the shard runs."""
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of
    from tests.conftest import FIXTURES

    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=FIXTURES / "ofac_sdn")
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    records, _ = registered_parties([party("BP-1", "Nicolas MADURO MOROS")], "export")
    await registry.register(records)
    job_id = await jobs.start_registered()
    assert job_id is not None
    worker = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="w")

    async def dies(bucket: int) -> int:
        raise ConnectionError("worker killed between the settle script and the alert stream")

    worker.jobs.forward_alerts = dies  # type: ignore[method-assign]
    bucket = bucket_of("BP-1")
    with pytest.raises(ConnectionError):
        await worker.process_shard(job_id, bucket)
    # The state is written and the alert waits in the bucket's outbox; the stream has none yet.
    assert (await registry.state("BP-1")).decision == "BLOCK"  # type: ignore[union-attr]
    assert await redis_client.hlen(registry.outbox_key(bucket)) == 1
    assert await redis_client.xlen(jobs.alerts_key) == 0
    del worker.jobs.forward_alerts  # the retry (another worker, or this one after XAUTOCLAIM)
    for _ in range(2):
        result = await worker.process_shard(job_id, bucket)
        assert result.alerts == []  # nothing new decided: the state already says BLOCK
    entries = await redis_client.xrange(jobs.alerts_key)
    assert [json.loads(fields[b"alert"])["reference"] for _, fields in entries] == ["BP-1"]
    assert await redis_client.hlen(registry.outbox_key(bucket)) == 0
    job = await jobs.get(job_id)
    assert job is not None and job.alerts == 1 and job.state == "done"


async def test_parties_of_a_registration_cut_short_are_found_by_the_sweep(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    """A registration that stored its parties but died before naming their bucket as waiting."""
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of

    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    records, _ = registered_parties([party("BP-9", "Johanna Pemberton")], "export")
    assert (await registry.register(records)).queued == 1
    assert await redis_client.smembers(registry.unscreened_buckets_key) == {str(bucket_of("BP-9")).encode()}
    await redis_client.delete(registry.unscreened_buckets_key)  # as if the process died before that write
    assert await jobs.start_registered() is None
    job_id = await jobs.start_registered(sweep=True)
    assert job_id is not None
    job = await jobs.get(job_id)
    assert job is not None and job.shards_total == 1
    # While that job runs, a sweep starts nothing more.
    assert await jobs.start_registered(sweep=True) is None


async def test_a_screening_against_every_list_uses_the_versions_serving_now(
    redis_client: aioredis.Redis, key_prefix: str, store: SnapshotStore, test_catalog, tmp_path: Path
) -> None:
    """A worker whose index is older than the serving version reloads first (or, unable to, waits)."""
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of
    from tests.conftest import FIXTURES

    new = the_update(tmp_path)
    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=FIXTURES / "ofac_sdn")
    loader = ListLoader(store, test_catalog, load_policy())
    await loader.reload()
    await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=new)  # this process has not reloaded
    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    records, _ = registered_parties([party("BP-Z", "Zorvathian Kestrel Shipping Lines")], "export")
    await registry.register(records)
    job_id = await jobs.start_registered()
    assert job_id is not None

    unable = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="unable")
    with pytest.raises(RuntimeError, match=r"loaded lists older than those serving \(ofac_sdn\)"):
        await unable.process_shard(job_id, bucket_of("BP-Z"))
    assert await registry.state("BP-Z") is None

    able = RescreenWorker(redis_client, key_prefix, lambda: loader.state, consumer="able", load_state=loader.reload)
    result = await able.process_shard(job_id, bucket_of("BP-Z"))
    assert [a.entries[0][1] for a in result.alerts] == ["99001"]
    assert (await registry.state("BP-Z")).decision == "BLOCK"  # type: ignore[union-attr]


async def test_resuming_after_trimmed_alerts_is_refused_not_silently_short(
    stub: pb_grpc.ScreeningServiceStub, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    import msgspec

    from service.rescreen.jobs import AlertRecord

    jobs = Jobs(redis_client, key_prefix)
    ids = []
    for n in range(5):
        record = AlertRecord("full:test", f"BP-{n}", "CLEAR", "CLEAR", (), "", datetime.now(UTC))
        ids.append((await redis_client.xadd(jobs.alerts_key, {"alert": msgspec.json.encode(record)})).decode())
    await redis_client.xtrim(jobs.alerts_key, maxlen=2, approximate=False)  # as XADD's MAXLEN does at 1,000,000

    async def first_from(after_id: str) -> str:
        watch = stub.WatchAlerts(pb.WatchAlertsRequest(after_id=after_id))
        try:
            return (await asyncio.wait_for(watch.read(), 10)).alert_id
        finally:
            watch.cancel()

    for lost in (ids[0], ids[1]):  # the client saw these; ids[2] is gone, unseen
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await first_from(lost)
        assert refused.value.code() == grpc.StatusCode.OUT_OF_RANGE
        assert f"after_id: alerts after {lost!r} are no longer kept" in refused.value.details()
        assert f"the oldest is {ids[3]!r}" in refused.value.details()
    # Still kept, or before everything: nothing lost.
    assert await first_from(ids[3]) == ids[4]
    assert await first_from("0") == ids[3]


async def test_a_shard_that_keeps_failing_is_given_up_and_the_job_says_so(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    from service.api.registration import registered_parties
    from service.registry.store import bucket_of

    registry, jobs = PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix)
    records, _ = registered_parties([party("BP-1", "Johanna Pemberton")], "export")
    await registry.register(records)
    job_id = await jobs.start_registered()
    assert job_id is not None
    # No lists anywhere: every attempt fails. Claimed again at once (claim_idle_ms=0), given up at the 3rd.
    worker = RescreenWorker(redis_client, key_prefix, lambda: None, consumer="w", claim_idle_ms=0, max_attempts=3)
    for attempt in (1, 2):
        assert await worker.work_once(block_ms=None) == 1
        job = await jobs.get(job_id)
        assert job is not None and (job.state, job.shards_failed) == ("running", 0)
        assert job.error.endswith(f"attempt {attempt}: RuntimeError: no list state loaded: cannot re-screen yet")
        assert (await redis_client.xpending(jobs.shards_key, GROUP))["pending"] == 1  # kept for a retry
    assert await worker.work_once(block_ms=None) == 1
    job = await jobs.get(job_id)
    assert job is not None and (job.state, job.shards_failed, job.shards_done) == ("failed", 1, 0) and job.finished_at
    assert (await redis_client.xpending(jobs.shards_key, GROUP))["pending"] == 0
    assert await worker.work_once(block_ms=None) == 0
    # A shard of a job that no longer exists is acknowledged and dropped, not retried.
    await redis_client.xadd(jobs.shards_key, {"job_id": "full:deleted", "bucket": 7})
    assert await worker.work_once(block_ms=None) == 1
    assert (await redis_client.xpending(jobs.shards_key, GROUP))["pending"] == 0
    # Its party is still waiting for a first screening: the next `registered` job takes it.
    assert [party for party, _ in (await registry.unscreened(bucket_of("BP-1")))[0]] == records
    again = await jobs.start_registered()
    assert again is not None and again != job_id
