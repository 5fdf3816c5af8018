"""`screening parties import`, `screening rescreen`, `screening jobs`, `screening worker`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from service.command_words import DEFAULT_DIRECTION, DIRECTIONS, settings_from_args

if TYPE_CHECKING:
    from service.api.gen import screening_pb2 as pb
    from service.registry.store import PartyState, RegisteredParty

IMPORT_BATCH = 5000
PROGRESS_EVERY_S = 5.0  # without a terminal: a progress line this often


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parties = commands.add_parser("parties", help="the registry of parties re-screened after every list update")
    party_commands = parties.add_subparsers(dest="parties_command", required=True)
    importing = party_commands.add_parser("import", help="register (upsert) parties from a CSV or JSON Lines file")
    importing.add_argument(
        "file", help="same columns as `screening batch` (party_reference required; name, or identifiers alone)"
    )
    importing.add_argument(
        "--direction",
        choices=sorted(DIRECTIONS),
        default=DEFAULT_DIRECTION,
        help=f"for rows whose direction column is blank (default {DEFAULT_DIRECTION})",
    )
    importing.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines on stderr")
    party_commands.add_parser("count", help="how many parties are registered, and Redis bytes per party")
    show = party_commands.add_parser("show", help="one registered party, its current screening state and open alerts")
    show.add_argument("reference", help="the party_reference it was registered with")
    show.add_argument("--json", action="store_true", help="the GetParty answer as JSON")
    parties.set_defaults(func=cmd_parties)

    rescreen = commands.add_parser(
        "rescreen", help="re-screen every registered party now (after a policy or matcher change)"
    )
    rescreen.add_argument("--all", action="store_true", required=True, help="every registered party against every list")
    rescreen.add_argument("--wait", action="store_true", help="wait until the job is done, showing progress")
    rescreen.add_argument(
        "--no-progress", action="store_true", help="with --wait: no progress bar or lines, only the outcome"
    )
    rescreen.set_defaults(func=cmd_rescreen)

    jobs = commands.add_parser("jobs", help="recent re-screening jobs and their progress")
    jobs.add_argument("job_id", nargs="?", help="one job")
    jobs.set_defaults(func=cmd_jobs)

    worker = commands.add_parser("worker", help="a re-screening worker process (shares the shards with every other)")
    worker.add_argument(
        "--exit-when-idle", action="store_true", help="stop once no shard is left (for benchmarks and batch runs)"
    )
    worker.set_defaults(func=cmd_worker)


def cmd_parties(args: argparse.Namespace) -> int:
    return asyncio.run(_parties(args))


async def _parties(args: argparse.Namespace) -> int:
    from service.api.registration import direction_name, registered_parties
    from service.registry.store import PartyRegistry
    from service.store.connection import connect

    settings = settings_from_args(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        registry = PartyRegistry(connection.client, settings.key_prefix)
        if args.parties_command == "count":
            count = await registry.count()
            print(
                f"{count} registered parties; {await registry.memory_per_party():.0f} Redis bytes per party (sampled)"
            )
            return 0
        if args.parties_command == "show":
            return _show_party(await registry.lookup(args.reference.strip()), args.reference, args.json)
        from service.auth.principal import local_operator
        from service.batch.files import BadInput, PartyReader, count_rows, file_format
        from service.batch.run import Progress

        operator = local_operator().name
        started = time.perf_counter()
        stored = new = queued = refused = 0
        batch: list[tuple[int, pb.ScreenRequest]] = []  # (input line, request) of the rows read since the last flush

        async def flush() -> None:
            nonlocal stored, new, queued, refused
            # Each row's own direction (its `direction` column; blank: --direction).
            directions = [direction_name(request.context.direction, args.direction) for _, request in batch]
            records, errors = registered_parties(
                [request.party for _, request in batch],
                directions,
                lambda position: f"line {batch[position][0]}: party",
            )
            for error in errors:
                print(f"refused: {error.message}", file=sys.stderr)
            # Written straight to Redis by whoever can reach it: the operating-system user is the principal.
            result = await registry.register(records, by=operator)
            stored, new, queued, refused = (
                stored + result.stored,
                new + result.new,
                queued + result.queued,
                refused + len(errors),
            )
            batch.clear()

        path = Path(args.file)
        progress: Progress | None = None
        try:
            input_format = file_format(path, None, "file")
            with PartyReader(path, input_format, args.direction) as reader:
                progress = Progress(
                    count_rows(path, input_format),
                    0,
                    not args.no_progress,
                    PROGRESS_EVERY_S,
                    label="import",
                    unit="row",
                    units="rows",
                )
                for row in reader:
                    progress.update()
                    if row.request is None:
                        refused += 1
                        print(f"refused: line {row.line}: {row.error}", file=sys.stderr)
                        continue
                    batch.append((row.line, row.request))
                    if len(batch) >= IMPORT_BATCH:
                        await flush()
        except BadInput as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        finally:
            if progress is not None:
                progress.close()
        await flush()
        elapsed = time.perf_counter() - started
        print(
            f"registered {stored} parties ({new} new, {refused} refused) in {elapsed:.1f} s ({stored / max(elapsed, 1e-9):.0f}/s)"
        )
        if queued:
            from service.rescreen.jobs import Jobs

            # A running server's coordinator would start it within a second; starting it here
            # also serves a setup with only `screening worker` processes.
            job_id = await Jobs(connection.client, settings.key_prefix).start_registered()
            after = f"job {job_id}" if job_id else "the next `registered` job (one is still running)"
            print(f"{queued} new or changed parties queued for their first screening: {after}")
        return 0 if not refused else 1
    finally:
        await connection.close()


def _show_party(found: tuple[RegisteredParty, PartyState | None, bool] | None, reference: str, as_json: bool) -> int:
    from google.protobuf.json_format import MessageToJson

    from service.api.convert import registered_party_to_proto
    from service.api.gen import screening_pb2 as pb

    if found is None:
        print(f"error: no registered party {reference!r}", file=sys.stderr)
        return 2
    answer = registered_party_to_proto(*found)
    if as_json:
        print(MessageToJson(answer, indent=2))
        return 0
    decision = pb.Decision.Name(answer.decision).removeprefix("DECISION_") if answer.decision else "not screened yet"
    since = f" since {answer.state_since.ToDatetime():%Y-%m-%d %H:%M:%S} UTC" if answer.HasField("state_since") else ""
    # Identifiers as the import file writes them (a party may have no name, only identifiers).
    identifiers = "; ".join(
        f"{i.type}{'@' + i.issuing_country if i.issuing_country else ''}={i.value}" for i in answer.party.identifiers
    )
    described = " ".join(part for part in (answer.party.name, f"[{identifiers}]" if identifiers else "") if part)
    print(
        f"{answer.party.party_reference}: {described} ({pb.Direction.Name(answer.direction).removeprefix('DIRECTION_').lower()})"
    )
    print(f"state: {decision}{since}" + ("; first screening queued" if answer.screening_queued else ""))
    for alerted in answer.alerted:
        print(f"  {pb.Decision.Name(alerted.decision).removeprefix('DECISION_'):<6} {alerted.list_id} {alerted.entry_id} "
              f"(score {alerted.score:.2f})" + (f" {alerted.listed_name!r}" if alerted.listed_name else ""))  # fmt: skip
    return 0


def cmd_rescreen(args: argparse.Namespace) -> int:
    return asyncio.run(_rescreen(args))


async def _rescreen(args: argparse.Namespace) -> int:
    from service.rescreen.jobs import Jobs
    from service.store.connection import connect

    settings = settings_from_args(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        jobs = Jobs(connection.client, settings.key_prefix)
        job_id, _ = await jobs.create("full")
        print(f"job {job_id} created; servers and `screening worker` processes work on it", flush=True)
        if not args.wait:
            return 0
        from service.batch.run import Progress

        info = await jobs.get(job_id)
        assert info is not None
        progress = Progress(info.shards_total, info.shards_done, not args.no_progress, PROGRESS_EVERY_S,
                            label="rescreen", unit="shard", units="shards")  # fmt: skip
        try:
            while info.state == "running":
                await asyncio.sleep(0.5)
                before, info = info.shards_done, await jobs.get(job_id)
                assert info is not None
                progress.update(info.shards_done - before)
        finally:
            progress.close()
        took = (info.finished_at - info.created_at).total_seconds() if info.finished_at and info.created_at else 0.0
        print(
            f"job {job_id} {info.state}: {info.parties_screened} parties screened, {info.alerts} alerts, {took:.1f} s"
        )
        if info.state == "failed":
            print(f"error: {info.shards_failed} shards given up; last error: {info.error}", file=sys.stderr)
            return 1
        return 0
    finally:
        await connection.close()


def cmd_jobs(args: argparse.Namespace) -> int:
    return asyncio.run(_jobs(args))


async def _jobs(args: argparse.Namespace) -> int:
    from service.rescreen.jobs import Jobs
    from service.store.connection import connect

    settings = settings_from_args(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        jobs = Jobs(connection.client, settings.key_prefix)
        infos = [await jobs.get(args.job_id)] if args.job_id else await jobs.recent()
        if args.job_id and infos[0] is None:
            print(f"error: no job {args.job_id!r}", file=sys.stderr)
            return 2
        for info in infos:
            assert info is not None
            took = (
                f"{(info.finished_at - info.created_at).total_seconds():.1f} s"
                if info.finished_at and info.created_at
                else "-"
            )
            print(f"{info.job_id:<40} {info.kind:<10} {info.state:<8} {info.shards_done:>4}/{info.shards_total:<4} shards "
                  f"{info.parties_screened:>9} parties {info.alerts:>6} alerts  {took}"
                  + (f"  {info.shards_failed} shards failed" if info.shards_failed else ""))  # fmt: skip
            if info.error:
                print(f"  last error: {info.error}")
        return 0
    finally:
        await connection.close()


def cmd_worker(args: argparse.Namespace) -> int:
    return asyncio.run(_worker(args))


async def _worker(args: argparse.Namespace) -> int:
    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.engine.loader import ListLoader
    from service.rescreen.jobs import RescreenWorker
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    settings = settings_from_args(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        policy = load_policy()
        loader = ListLoader(SnapshotStore(connection.client, settings.key_prefix), load_catalog(), policy)
        # The full index is built only when a full re-screen needs it; delta jobs index their delta.
        worker = RescreenWorker(
            connection.client, settings.key_prefix, lambda: loader.state, policy=policy, load_state=loader.reload
        )
        if args.exit_when_idle:
            done = 0
            while processed := await worker.work_once(block_ms=None):
                done += processed
            print(f"worker {worker.consumer}: {done} shards")
            return 0
        stop = asyncio.Event()
        # SIGTERM / Ctrl-C: finish the shard in hand, then stop (a kill -9 is safe too: the
        # shard stays pending and another worker claims it).
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        follow = asyncio.create_task(loader.follow(settings.reload_seconds, stop))
        try:
            await worker.run(stop)
        finally:
            stop.set()
            follow.cancel()
        return 0
    finally:
        await connection.close()
