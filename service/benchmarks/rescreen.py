"""`screening bench --rescreen`: register N parties, then re-screen them against a real list update.

Registers N synthetic parties (names from the evaluation's pools of realistic
unlisted people and companies) plus planted variants of names the SDN list added
on 2024-05-01, publishes 2024-04-30 then 2024-05-01, and times the delta job with
`--rescreen-workers` worker processes (`screening worker --exit-when-idle`).
Prints the registration rate, Redis bytes per party, the delta wall time and
rate, and whether every planted hit was alerted.

The registry is measured in its steady state: every party already has its
first screening behind it (the queue of unscreened parties is emptied before
the delta). That first screening is timed apart, on FIRST_SCREENING parties
registered again with changed data afterwards (a `registered` job, every list).
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from service.api.gen import screening_pb2 as pb
from service.benchmarks import SHARED_DATA
from service.settings import Settings

OLD, NEW = SHARED_DATA / "ofac-sdn-daily" / "2024-04-30", SHARED_DATA / "ofac-sdn-daily" / "2024-05-01"
BATCH = 5000
FIRST_SCREENING = 20_000


def _added_names(count: int) -> list[tuple[str, str]]:
    def rows(path: Path) -> dict[str, str]:
        text = path.read_bytes().decode("utf-8", "replace").rstrip("\x1a")
        return {row[0]: row[1] for row in csv.reader(text.splitlines()) if len(row) > 1}

    old, new = rows(OLD / "sdn.csv"), rows(NEW / "sdn.csv")
    added = [
        (ent, new[ent]) for ent in sorted(set(new) - set(old), key=int) if len(new[ent].replace(",", " ").split()) >= 2
    ]
    return added[:count]


def _synthetic(rng: random.Random, n: int) -> str:
    from service.evaluation import pools

    culture = pools.CULTURES[n % len(pools.CULTURES)]
    given, family = rng.choice(culture.given), rng.choice(culture.family)
    if rng.random() < 0.6:
        return f"{given} {family}"
    return f"{family} {rng.choice(pools.DISTINCTIVE_WORDS)} {rng.choice(['Trading', 'Industries', 'Logistics', 'Holding'])} {rng.choice(['GmbH', 'Ltd', 'LLC', 'S.A.'])}"


async def bench_rescreen(settings: Settings, prefix: str, parties: int, workers: int, planted: int) -> dict[str, float]:
    from service.api.registration import registered_parties
    from service.catalog import load_catalog
    from service.refresh.runner import refresh_lists
    from service.registry.store import BUCKETS, PartyRegistry
    from service.rescreen.jobs import Jobs
    from service.store import replies
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        client = connection.client
        store = SnapshotStore(client, prefix)
        await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=OLD, force=True)
        registry = PartyRegistry(client, prefix)
        rng = random.Random(5)
        hits = _added_names(planted)
        started = time.perf_counter()
        batch: list[pb.Party] = [pb.Party(name=name, party_reference=f"HIT-{ent}") for ent, name in hits]
        for n in range(parties - len(batch)):
            batch.append(pb.Party(name=_synthetic(rng, n), party_reference=f"P{n}"))
            if len(batch) >= BATCH:
                records, _ = registered_parties(batch, "export")
                await registry.register(records)
                batch = []
        if batch:
            records, _ = registered_parties(batch, "export")
            await registry.register(records)
        register_s = time.perf_counter() - started
        per_party = await registry.memory_per_party()
        # Steady state: as if every party had had its first screening (timed apart below).
        await client.delete(registry.unscreened_buckets_key, *(registry.unscreened_key(b) for b in range(BUCKETS)))

        [published] = await refresh_lists(store, catalog, ["ofac_sdn"], source_dir=NEW, force=True)
        jobs = Jobs(client, prefix)
        job_id, _ = await jobs.create("delta", "ofac_sdn", published.version)
        env = {
            **os.environ,
            "SCREENING_KEY_PREFIX": prefix,
            "REDIS_URL": str(settings.redis_url),
            "LOG_LEVEL": "warning",
        }
        delta_s = _run_workers(workers, env)
        info = await jobs.get(job_id)
        assert info is not None
        diff = await store.diff("ofac_sdn", published.version)
        alerted = {ref.decode() for ref in replies.raw_all(await client.hkeys(f"{jobs.job_key(job_id)}:alerted"))}
        expected = {f"HIT-{ent}" for ent, _ in hits}

        # First screening: parties registered again with other data (a changed address line).
        first = min(FIRST_SCREENING, parties - len(hits))
        changed = [pb.Party(name=_synthetic(rng, n), party_reference=f"P{n}", addresses=[pb.Address(country="DE")])
                   for n in range(first)]  # fmt: skip
        queued = 0
        for start in range(0, first, BATCH):
            records, _ = registered_parties(changed[start : start + BATCH], "export")
            queued += (await registry.register(records)).queued
        first_job = await jobs.start_registered()
        first_s = _run_workers(workers, env)  # each worker loads the lists and builds the full index first
        first_info = await jobs.get(first_job) if first_job else None
        return {
            "parties": float(parties), "register_s": register_s, "bytes_per_party": per_party,
            "delta_s": delta_s, "workers": float(workers), "job_done": float(info.state == "done"),
            "added": float(len(diff.added)) if diff else 0.0,
            "alerts": float(info.alerts), "planted": float(len(expected)), "planted_found": float(len(expected & alerted)),
            "first_queued": float(queued), "first_s": first_s,
            "first_screened": float(first_info.parties_screened) if first_info else 0.0,
            "first_done": float(first_info is not None and first_info.state == "done"),
        }  # fmt: skip
    finally:
        await connection.close()


def run_rescreen(settings: Settings, prefix: str, parties: int, workers: int, planted: int, cluster: str) -> None:
    """The benchmark on the configured Redis, then (`cluster` "also") on a local 3-primary Redis Cluster, same run.

    `cluster`: "also", "no" or "only". The cluster is started for the run (redis-server and redis-cli on
    PATH) and stopped after it; both runs use the same parties, update and worker count.
    """
    import dataclasses
    import tempfile

    from service.benchmarks.local_cluster import LocalCluster

    runs: list[tuple[str, dict[str, float]]] = []
    if cluster != "only":
        where = "embedded Redis" if not settings.redis_url else "one Redis"
        print(f"-- re-screening on {where}", flush=True)
        figures = asyncio.run(bench_rescreen(settings, prefix, parties, workers, planted))
        print_rescreen(figures)
        runs.append((where, figures))
    if cluster != "no":
        with tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder:
            try:
                local = LocalCluster(Path(folder))
            except FileNotFoundError as exc:
                print(f"-- re-screening on a Redis Cluster: skipped ({exc})")
                return
            with local:
                print(f"-- re-screening on a local Redis Cluster of {len(local.ports)} primaries", flush=True)
                figures = asyncio.run(
                    bench_rescreen(
                        dataclasses.replace(settings, redis_url=local.url), prefix, parties, workers, planted
                    )
                )
                print_rescreen(figures)
                runs.append((f"cluster of {len(local.ports)}", figures))
    if len(runs) == 2:
        (_, one), (_, many) = runs
        print(f"cluster / one Redis: registration rate x{_rate(many, 'register_s') / _rate(one, 'register_s'):.2f}, "
              f"delta rate x{_rate(many, 'delta_s') / _rate(one, 'delta_s'):.2f} "
              f"(same machine: the cluster's three servers share its cores)")  # fmt: skip


def _rate(figures: dict[str, float], seconds: str) -> float:
    return figures["parties"] / figures[seconds]


def _run_workers(workers: int, env: dict[str, str]) -> float:
    """Wall seconds for `workers` worker processes to empty the shard stream."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--exit-when-idle"], env=env)
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    return time.perf_counter() - started


def print_rescreen(f: dict[str, float]) -> None:
    print(f"registry         {f['parties']:.0f} parties registered in {f['register_s']:.1f} s "
          f"({f['parties'] / f['register_s']:.0f}/s); {f['bytes_per_party']:.0f} Redis bytes per party")  # fmt: skip
    print(f"delta re-screen  {f['parties']:.0f} parties against the {f['added']:.0f} entries added on 2024-05-01 (and changes) "
          f"in {f['delta_s']:.1f} s with {f['workers']:.0f} worker processes ({f['parties'] / f['delta_s']:.0f} parties/s); "
          f"job {'done' if f['job_done'] else 'NOT done'}; {f['alerts']:.0f} alerts; planted hits found "
          f"{f['planted_found']:.0f}/{f['planted']:.0f}")  # fmt: skip
    print(f"first screening  {f['first_queued']:.0f} parties registered again with changed data, screened against the "
          f"whole SDN in {f['first_s']:.1f} s with {f['workers']:.0f} worker processes, index build included "
          f"({f['first_screened'] / f['first_s']:.0f} parties/s); job {'done' if f['first_done'] else 'NOT done'}")  # fmt: skip
