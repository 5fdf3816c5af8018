"""`screening` command line: serve, check, lists, refresh, keys, dispositions, bench."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from google.protobuf.json_format import MessageToDict

from service.api.gen import screening_pb2 as pb
from service.command_words import (
    DEFAULT_DIRECTION,
    DIRECTIONS,
    EXIT_BAD_INPUT,
    EXIT_DENIED,
    EXIT_UNAVAILABLE,
    PARTY_TYPES,
    parse_identifier,
)
from service.command_words import settings_from_args as _settings
from service.config_files import ConfigFileError
from service.settings import ClientSettings, Settings, SettingsError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from service.batch.run import LocalEngine
    from service.catalog import Catalog
    from service.engine.index_warm import Warmed
    from service.engine.loader import ListLoader
    from service.store.connection import RedisConnection
    from service.store.snapshots import SnapshotStore


class _ClientOverrides(TypedDict, total=False):
    """The ClientSettings fields that command-line options override."""

    target: str
    api_key: str
    tls_ca: Path


def client_settings(args: argparse.Namespace) -> ClientSettings:
    """How to reach the server: the environment (SCREENING_TARGET, SCREENING_API_KEY[_FILE], SCREENING_TLS_*),
    overridden by --target, --key-file and --ca."""
    client = ClientSettings.from_env()
    overrides: _ClientOverrides = {}
    if getattr(args, "target", None):
        overrides["target"] = args.target
    if getattr(args, "key_file", None):
        try:
            overrides["api_key"] = Path(args.key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"--key-file {args.key_file!r}: cannot read: {exc.strerror}") from None
    if getattr(args, "ca", None):
        if not Path(args.ca).is_file():
            raise SettingsError(f"--ca {args.ca!r}: no such file")
        overrides["tls_ca"] = Path(args.ca)
    return dataclasses.replace(client, **overrides)


def exit_code_for(code: object) -> int:
    """The command's exit code for a failed call's gRPC status."""
    import grpc

    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
        return EXIT_BAD_INPUT
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return EXIT_DENIED
    return EXIT_UNAVAILABLE


def _to_json(message: Message) -> str:
    return json.dumps(MessageToDict(message, preserving_proto_field_name=True), indent=2, ensure_ascii=False)


# ----------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    from service.grpc_door.server import serve_workers
    from service.logs import configure_logging

    settings = _settings(args)
    configure_logging(settings.log_format, settings.log_level)
    return serve_workers(settings)


# ----------------------------------------------------------------- check


def build_request(args: argparse.Namespace) -> pb.ScreenRequest:
    party = pb.Party(name=args.name, type=PARTY_TYPES[args.type], alternative_names=args.alt or [])
    if args.country or args.city or args.postal_code or args.address:
        party.addresses.add(
            country=args.country or "",
            city=args.city or "",
            postal_code=args.postal_code or "",
            lines=args.address or [],
        )
    for owner in args.owner or []:
        name, _, share = owner.rpartition(":")
        try:
            party.owners.add(name=name.strip(), share_percent=float(share))
        except ValueError:
            raise SystemExit(f"error: --owner {owner!r}: write NAME:PERCENT, e.g. 'Ivan Petrov:30'") from None
    for text in args.identifier or []:
        party.identifiers.append(_identifier(text))
    if args.dob:
        party.date_of_birth = args.dob
    if args.reference:
        party.party_reference = args.reference
    context = pb.TransactionContext(
        direction=DIRECTIONS[args.direction],
        destination_country=args.destination or "",
        origin_country=args.origin or "",
        origin_region=args.origin_region or "",
        origin_place=args.origin_place or "",
    )
    for text in args.item or []:
        _add_item(context, text)
    return pb.ScreenRequest(party=party, context=context)


def _identifier(text: str) -> pb.Identifier:
    """`--identifier TYPE=VALUE` or `TYPE@CC=VALUE`; a malformed one ends the command (exit 2)."""
    try:
        return parse_identifier(text)
    except ValueError as exc:
        raise SystemExit(f"error: --identifier {exc}") from None


# --item "DESCRIPTION;hs=5208.12;origin=CN;region=CN-XJ;place=Kashgar;producer=NAME;producer_country=CN"
_ITEM_KEYS = {
    "hs": "hs_code", "eccn": "eccn", "origin": "origin_country", "region": "origin_region", "place": "origin_place"
}  # fmt: skip


def _add_item(context: pb.TransactionContext, text: str) -> None:
    description, *pairs = text.split(";")
    item = context.items.add(description=description.strip())
    producer: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or (key not in _ITEM_KEYS and key not in ("producer", "producer_country")):
            raise SystemExit(
                f"error: --item {text!r}: {pair.strip()!r} is not KEY=VALUE with KEY one of "
                f"{', '.join([*_ITEM_KEYS, 'producer', 'producer_country'])}"
            )
        if key in _ITEM_KEYS:
            setattr(item, _ITEM_KEYS[key], value)
        else:
            producer[key] = value
    if producer:
        if not producer.get("producer"):
            raise SystemExit(f"error: --item {text!r}: producer_country needs producer=NAME")
        item.producer.name = producer["producer"]
        if producer.get("producer_country"):
            item.producer.addresses.add(country=producer["producer_country"])


async def _local_state(
    settings: Settings, list_ids: Sequence[str] | None = None
) -> tuple[RedisConnection, SnapshotStore, Catalog, ListLoader]:
    """Connect, make sure lists are published (LISTS_DIR or download), load them."""
    from service.catalog import load_catalog
    from service.decide.policy import load_policy
    from service.engine.loader import ListLoader
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    store = SnapshotStore(connection.client, settings.key_prefix)
    results = await refresh_lists(
        store, catalog, list_ids, source_dir=settings.lists_dir, only_if_missing=settings.lists_dir is None
    )
    for result in results:
        if result.outcome.value in ("rejected", "failed"):
            print(f"warning: {result.list_id}: {result.outcome.value}: {result.message}", file=sys.stderr)
    loader = ListLoader(store, catalog, load_policy())
    await loader.reload()
    return connection, store, catalog, loader


def _print_human(response: pb.ScreenResponse) -> None:
    decision = pb.Decision.Name(response.decision).removeprefix("DECISION_")
    print(f"{decision}  ({len(response.matches)} match(es), {response.server_latency.ToMicroseconds() / 1000:.2f} ms)")
    for warning in response.warnings:  # a stale list, an identifier that looks wrong: before the matches
        print(f"  warning: {warning}")
    for match in response.matches:
        programs = ", ".join(match.entry.programs)
        kind = pb.NameKind.Name(match.listed_name_kind).removeprefix("NAME_KIND_").lower()
        print(
            f"  {match.list_id} #{match.entry_id}  {match.listed_name!r} ({kind})  score {match.score:.2f}  [{programs}]"
        )
        print(f"    {match.explanation.text}")
    for reason in response.reasons:
        print(f"  reason {reason.code} ({reason.rule_id}): {reason.text}")
        if reason.next_step:
            print(f"    next step: {reason.next_step}")
    versions = ", ".join(f"{v.list_id}@{v.version}" for v in response.list_versions)
    print(f"  lists: {versions}; policy {response.policy_version}; matcher {response.matcher_version}")
    for suppressed in response.suppressed:
        d = suppressed.disposition
        print(f"  suppressed {suppressed.match.list_id} #{suppressed.match.entry_id}: false positive per {d.reviewer} "
              f"({d.recorded_at.ToDatetime():%Y-%m-%d}): {d.reason}")  # fmt: skip
    if response.summary:
        print(f"  summary: {response.summary}")
    print(f"  screening {response.screening_id}; party fingerprint {response.party_fingerprint}")


def cmd_check(args: argparse.Namespace) -> int:
    request = build_request(args)
    if args.local:
        return asyncio.run(_check_local(args, request))
    import grpc

    from service.api.gen import screening_pb2_grpc as pb_grpc
    from service.grpc_door.client import open_channel

    with open_channel(client_settings(args)) as channel:
        try:
            response = pb_grpc.ScreeningServiceStub(channel).Screen(request, timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return exit_code_for(exc.code())
    print(_to_json(response)) if args.json else _print_human(response)
    return 0


async def _check_local(args: argparse.Namespace, request: pb.ScreenRequest) -> int:
    from service.api.screening import screen_request
    from service.api.validation import InvalidArgument
    from service.engine.screener import NotReady

    connection, _, catalog, loader = await _local_state(_settings(args))
    try:
        response = screen_request(request, loader.state, catalog.lists)
    except InvalidArgument as exc:
        print(f"error: INVALID_ARGUMENT: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NotReady as exc:
        print(f"error: UNAVAILABLE: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        await connection.close()
    print(_to_json(response)) if args.json else _print_human(response)
    return 0


# ----------------------------------------------------------------- batch


def cmd_batch(args: argparse.Namespace) -> int:
    from service.batch.run import BatchOptions, run_batch

    options = BatchOptions(
        input=Path(args.input),
        output=Path(args.output),
        input_format=args.input_format,
        output_format=args.output_format,
        direction=args.direction,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        max_in_flight=args.max_in_flight,
        streams=args.streams,
        timeout=args.timeout,
        json_summary=args.json,
    )
    try:
        if args.local:
            return asyncio.run(run_batch(options, local=lambda: _batch_engine(args)))
        client = client_settings(args)
        return asyncio.run(run_batch(options, target=client.target, client=client))
    except KeyboardInterrupt:
        # Every result written so far was flushed: nothing is lost but the rows in flight.
        print(
            f"interrupted: the results so far are in {args.output}; run again with --resume to continue",
            file=sys.stderr,
        )
        return 130


@contextlib.asynccontextmanager
async def _batch_engine(args: argparse.Namespace) -> AsyncIterator[LocalEngine]:
    """The lists `check --local` screens against, for `batch --local`."""
    from service.batch.run import LocalEngine

    connection, _, catalog, loader = await _local_state(_settings(args))
    try:
        yield LocalEngine(loader, catalog.lists)
    finally:
        await connection.close()


# ----------------------------------------------------------------- lists


def _print_status_table(response: pb.GetListStatusResponse) -> None:
    print(f"{'list':<11} {'state':<13} {'version':<17} {'entries':>7} {'data date':<10} {'age':>7} {'max':>5}  source")
    for status in response.lists:
        state = pb.ListState.Name(status.state).removeprefix("LIST_STATE_")
        age = _short_age(status.age.ToTimedelta()) if status.version else "-"
        max_age = _short_age(status.max_age.ToTimedelta())
        print(
            f"{status.list_id:<11} {state:<13} {status.version or '-':<17} {status.entry_count:>7} "
            f"{status.data_date or '-':<10} {age:>7} {max_age:>5}  {status.source or '-'}"
        )
        if status.last_error:
            print(f"{'':<11} last error: {status.last_error}")
        for note in status.notes:  # what the parser noticed in the serving version's files
            print(f"{'':<11} note: {note}")


def _short_age(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def cmd_lists(args: argparse.Namespace) -> int:
    if args.local:
        response = asyncio.run(_lists_local(args))
    else:
        import grpc

        from service.api.gen import screening_pb2_grpc as pb_grpc
        from service.grpc_door.client import open_channel

        with open_channel(client_settings(args)) as channel:
            try:
                response = pb_grpc.ScreeningServiceStub(channel).GetListStatus(
                    pb.GetListStatusRequest(), timeout=args.timeout
                )
            except grpc.RpcError as exc:
                print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
                return exit_code_for(exc.code())
    print(_to_json(response)) if args.json else _print_status_table(response)
    return 0


async def _lists_local(args: argparse.Namespace) -> pb.GetListStatusResponse:
    from datetime import UTC, datetime

    from service.api.convert import list_status_to_proto
    from service.catalog import load_catalog
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    settings = _settings(args)
    catalog = load_catalog()
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, settings.key_prefix)
        statuses = []
        for list_id, spec in catalog.lists.items():
            meta = await store.current(list_id)
            statuses.append(list_status_to_proto(spec, meta, await store.status(list_id), None, datetime.now(UTC)))
        return pb.GetListStatusResponse(lists=statuses)
    finally:
        await connection.close()


# ----------------------------------------------------------------- refresh


def cmd_refresh(args: argparse.Namespace) -> int:
    return asyncio.run(_refresh(args))


async def _refresh(args: argparse.Namespace) -> int:
    from service.catalog import load_catalog
    from service.refresh.runner import refresh_lists
    from service.store.connection import connect
    from service.store.snapshots import SnapshotStore

    settings = _settings(args)
    catalog = load_catalog()
    if args.list:
        try:
            catalog.get(args.list)
        except KeyError as exc:
            print(f"error: --list: {exc.args[0]}", file=sys.stderr)
            return EXIT_BAD_INPUT
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = SnapshotStore(connection.client, settings.key_prefix)
        results = await refresh_lists(
            store,
            catalog,
            [args.list] if args.list else None,
            source_dir=args.source or settings.lists_dir,
            force=args.force,
        )
        for result in results:
            print(f"{result.list_id}: {result.outcome.value} {result.version or '-'}: {result.message}", flush=True)
        warmed = await _warm_index(store, catalog)
    finally:
        await connection.close()
    failed = any(result.outcome.value in ("rejected", "failed") for result in results)
    if warmed is not None and warmed.outcome in ("built", "built elsewhere"):
        print(f"index: {warmed.outcome} for {warmed.entries:,} entries in {warmed.seconds:.1f} s")
    return 1 if failed else 0


async def _warm_index(store: SnapshotStore, catalog: Catalog) -> Warmed | None:
    """Build and store the matching index of the current versions, so servers restore it (service.engine.index_warm)."""
    from service.engine.index_warm import warm_index

    try:
        return await warm_index(store, catalog)
    except Exception as exc:  # noqa: BLE001 - the lists are published; each server builds the index itself then
        print(
            f"warning: the matching index was not stored ({exc}); each server builds it when it loads", file=sys.stderr
        )
        return None


# ----------------------------------------------------------------- audit


def cmd_audit(args: argparse.Namespace) -> int:
    return asyncio.run(_audit(args))


async def _audit_verify(args: argparse.Namespace, settings: Settings, client: Any) -> int:
    from datetime import UTC, date, datetime

    from service.audit.seal import Verdict, check_seals, check_stream, seal_closed
    from service.audit.trail import AuditTrail

    try:
        day = date.fromisoformat(args.day) if args.day else None
    except ValueError:
        print(f"error: --day {args.day[:20]!r} is not a day written YYYY-MM-DD", file=sys.stderr)
        return EXIT_BAD_INPUT
    directory = settings.audit_directory
    if args.seal:
        for path in await asyncio.to_thread(seal_closed, directory):
            print(f"sealed {path.name}")
    verdict = Verdict()
    now = datetime.now(UTC)
    await asyncio.to_thread(check_seals, directory, day, verdict, now)
    await check_stream(client, AuditTrail(client, settings.key_prefix), directory, day, verdict)
    print(f"{verdict.files} file(s) in {directory}, {verdict.sealed} sealed and checked; "
          f"{verdict.checked_in_stream} acknowledged record(s) still in Redis looked up in the files")  # fmt: skip
    for line in verdict.unsealed:
        print(f"  not sealed yet (closed): {line}")
    for line in verdict.tampered:
        print(f"  CHANGED: {line}")
    for line in verdict.missing:
        print(f"  MISSING from the day files: {line}")
    print(
        "  intact"
        if verdict.ok
        else f"  {len(verdict.tampered)} changed file(s), {len(verdict.missing)} missing record(s)"
    )
    return 0 if verdict.ok else 1


async def _audit(args: argparse.Namespace) -> int:
    from service.audit.trail import AuditExporter, AuditTrail
    from service.store.connection import connect

    settings = _settings(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        if args.audit_command == "export":
            exporter = AuditExporter(connection.client, settings.audit_directory, settings.key_prefix)
            total = 0
            while written := await exporter.export_once():
                total += written
            print(f"exported {total} audit record(s) to {settings.audit_directory}")
            return 0
        if args.audit_command == "verify":
            return await _audit_verify(args, settings, connection.client)
        from service.audit.capture import NotReplayable
        from service.audit.replay import ReplayError, replay
        from service.catalog import load_catalog
        from service.decide.policy import load_policy
        from service.store.snapshots import SnapshotStore

        trail = AuditTrail(connection.client, settings.key_prefix)
        store = SnapshotStore(connection.client, settings.key_prefix)
        try:
            report = await replay(
                args.screening_id, trail, store, load_catalog(), load_policy(), settings.audit_directory
            )
        except (ReplayError, NotReplayable) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.json:
            print(_to_json(report.response))
        record = report.record
        print(f"screening {record.screening_id} of {record.screened_at.isoformat()}: recorded {record.decision}, "
              f"replayed {pb.Decision.Name(report.response.decision).removeprefix('DECISION_')}")  # fmt: skip
        for note in report.notes:
            print(f"  note: {note}")
        for difference in report.differences:
            print(f"  differs: {difference}")
        print("  identical" if report.identical else f"  {len(report.differences)} difference(s)")
        return 0 if report.identical else 1
    finally:
        await connection.close()


# ----------------------------------------------------------------- dispositions


def cmd_dispositions(args: argparse.Namespace) -> int:
    if args.dispositions_command in ("approve", "reject"):
        return _review_disposition(args)
    return asyncio.run(_dispositions(args))


def _review_disposition(args: argparse.Namespace) -> int:
    """Four eyes, through the server so that the approver is an authenticated principal."""
    import grpc

    from service.api.gen import screening_pb2_grpc as pb_grpc
    from service.grpc_door.client import open_channel

    request = pb.ReviewDispositionRequest(
        party_reference=args.reference or "", party_fingerprint=args.fingerprint or "", list_id=args.list_id,
        entry_id=args.entry_id, version=args.version, note=args.note or "",
    )  # fmt: skip
    with open_channel(client_settings(args)) as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        call = stub.ApproveDisposition if args.dispositions_command == "approve" else stub.RejectDisposition
        try:
            disposition = call(request, timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return exit_code_for(exc.code())
    if args.json:
        print(_to_json(disposition))
    else:
        status = pb.DispositionStatus.Name(disposition.status).removeprefix("DISPOSITION_STATUS_").lower()
        by = disposition.approved_by or disposition.rejected_by
        print(f"{disposition.subject}  {disposition.list_id}/{disposition.entry_id}  v{disposition.version}  {status}: "
              f"recorded by {disposition.reviewer}, {args.dispositions_command}d by {by}")  # fmt: skip
    return 0


async def _dispositions(args: argparse.Namespace) -> int:
    from service.dispositions.store import DispositionStore, subject_for
    from service.store.connection import connect

    settings = _settings(args)
    connection = await connect(settings.redis_url, settings.data_dir)
    try:
        store = DispositionStore(connection.client, settings.key_prefix)
        if args.dispositions_command == "export":
            count = await store.export_jsonl(Path(args.file), include_revoked=not args.active_only)
            print(f"exported {count} disposition(s) to {args.file}")
            return 0
        subject = None
        if args.reference or args.fingerprint:
            subject = subject_for(args.reference or "", args.fingerprint or "")
        for d in await store.list(subject, include_revoked=args.include_revoked, pending_only=args.pending):
            print(f"{d.subject}  {d.list_id}/{d.entry_id}  {d.kind.value}  v{d.version}  by {d.reviewer} "
                  f"{d.recorded_at:%Y-%m-%d}  {_disposition_state(d)}  {d.reason}")  # fmt: skip
        return 0
    finally:
        await connection.close()


def _disposition_state(d: object) -> str:
    """'active, approved by key:bob on 2026-12-02', 'pending: <why>', 'revoked by ...'."""
    from service.dispositions.store import Disposition, DispositionStatus

    assert isinstance(d, Disposition)
    if d.revoked and d.revoked_at:
        return f"revoked by {d.revoked_by} on {d.revoked_at:%Y-%m-%d}"
    if d.status is DispositionStatus.PENDING:
        return f"PENDING a second reviewer ({d.approval_required})"
    if d.status is DispositionStatus.REJECTED:
        return f"rejected by {d.rejected_by}" + (f" on {d.rejected_at:%Y-%m-%d}" if d.rejected_at else "")
    if d.approved_by:
        return f"active, approved by {d.approved_by}" + (f" on {d.approved_at:%Y-%m-%d}" if d.approved_at else "")
    return "active"


# ----------------------------------------------------------------- main


def _version() -> str:
    """The installed package's version (`screening --version`)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("crossover-screening")
    except PackageNotFoundError:  # run from a checkout that was never installed
        installed = "unknown (not installed)"
    return f"screening {installed}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="screening", description="Sanctions and export-control crossover screening.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service: gRPC, and the HTTP/JSON API beside it")
    serve.add_argument(
        "--host", help="bind address (SCREENING_HOST, default 127.0.0.1; any other needs TLS or --insecure)"
    )
    serve.add_argument("--port", type=int, help="port (SCREENING_PORT, default 50051)")
    serve.add_argument(
        "--http-port", help="HTTP/JSON API port, 0 = any free one, off = none (SCREENING_HTTP_PORT, default 8080)"
    )
    serve.add_argument(
        "--metrics-port", help="Prometheus metrics port, 0 = any free one (SCREENING_METRICS_PORT, default off)"
    )
    serve.add_argument("--workers", type=int, help="server processes sharing the port (SCREENING_WORKERS, default 1)")
    serve.add_argument(
        "--lists-dir", help="read list files from this offline mirror instead of downloading (LISTS_DIR)"
    )
    serve.add_argument(
        "--insecure", action="store_true",
        help="allow a non-loopback bind without TLS (SCREENING_INSECURE); only behind something that terminates TLS",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)

    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--target", help="server address host:port (SCREENING_TARGET, default localhost:50051)")
    connection.add_argument("--key-file", help="file holding the API key or token to send (SCREENING_API_KEY_FILE)")
    connection.add_argument("--ca", help="speak TLS, trusting this CA certificate file (SCREENING_TLS_CA)")
    connection.add_argument("--timeout", type=float, default=10.0, help="RPC deadline in seconds (default 10)")

    remote = argparse.ArgumentParser(add_help=False, parents=[connection])
    remote.add_argument("--local", action="store_true", help="run in this process instead of calling a server")
    remote.add_argument("--lists-dir", help="with --local: publish lists from this directory first (LISTS_DIR)")
    remote.add_argument("--json", action="store_true", help="print the response as JSON")

    check = commands.add_parser("check", parents=[remote], help="screen one party")
    check.add_argument("name", nargs="?", default="", help="the party's name (may be left out with --identifier)")
    check.add_argument("--type", choices=sorted(PARTY_TYPES), default="unknown")
    check.add_argument("--country", help="ISO 3166-1 alpha-2 country of the party's address")
    check.add_argument("--city", help="city of the party's address")
    check.add_argument("--postal-code", help="postal code of the party's address")
    check.add_argument("--address", action="append", help="a street line of the party's address (repeatable)")
    check.add_argument("--owner", action="append", help="an owner and its share, NAME:PERCENT (repeatable)")
    check.add_argument("--dob", help="date of birth: YYYY, YYYY-MM or YYYY-MM-DD")
    check.add_argument("--alt", action="append", help="an alternative name (repeatable)")
    check.add_argument(
        "--identifier", action="append", metavar="TYPE=VALUE",
        help="an identifier (repeatable): TYPE one of imo, mmsi, call_sign, aircraft_serial, aircraft_registration, aircraft_mode_s, "
        "passport, national_id, drivers_license, tax_id, registration, bic, lei, duns, wallet:CHAIN (e.g. wallet:XBT); "
        "TYPE@CC=VALUE names the issuing country",
    )  # fmt: skip
    check.add_argument("--reference", help="your own reference for the party")
    check.add_argument(
        "--direction", choices=sorted(DIRECTIONS), default=DEFAULT_DIRECTION, help=f"default {DEFAULT_DIRECTION}"
    )
    check.add_argument("--destination", help="ISO 3166-1 alpha-2 country an export goes to")
    check.add_argument("--origin", help="ISO 3166-1 alpha-2 country the goods come from")
    check.add_argument("--origin-region", help="ISO 3166-2 subdivision the goods come from, e.g. CN-XJ")
    check.add_argument("--origin-place", help="place the goods come from, as written (any script)")
    check.add_argument(
        "--item", action="append",
        help="an item (repeatable): 'DESCRIPTION;hs=CODE;eccn=ECCN;origin=CC;region=CC-XX;place=TEXT;"
             "producer=NAME;producer_country=CC', every KEY=VALUE optional",
    )  # fmt: skip
    check.set_defaults(func=cmd_check)

    batch = commands.add_parser(
        "batch",
        parents=[remote],
        help="screen a file of parties (CSV or JSON Lines) into a results file, one row per party",
    )
    batch.add_argument(
        "input", help="parties: .csv with a header row, or .jsonl / .ndjson (see README, Batch screening)"
    )
    batch.add_argument("--output", "-o", required=True, help="results file: .csv or .jsonl / .ndjson")
    batch.add_argument(
        "--format", dest="input_format", choices=("csv", "jsonl"), help="input format (default: by extension)"
    )
    batch.add_argument("--output-format", choices=("csv", "jsonl"), help="output format (default: by extension)")
    batch.add_argument(
        "--direction", choices=sorted(DIRECTIONS), default=DEFAULT_DIRECTION,
        help=f"for rows without a direction (default {DEFAULT_DIRECTION})",
    )  # fmt: skip
    existing = batch.add_mutually_exclusive_group()
    existing.add_argument("--resume", action="store_true", help="skip the parties the output already holds and append")
    existing.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines on stderr")
    batch.add_argument(
        "--max-in-flight", type=int, default=256, help="unanswered requests per stream at most (default 256)"
    )
    batch.add_argument(
        "--streams", type=int, default=1,
        help="concurrent ScreenBatch streams, each on its own connection, so `serve --workers N` shares them (1-16, default 1)",
    )  # fmt: skip
    batch.set_defaults(func=cmd_batch)

    lists = commands.add_parser("lists", parents=[remote], help="status of every list")
    lists.set_defaults(func=cmd_lists)

    refresh = commands.add_parser("refresh", help="fetch, validate and publish lists now")
    refresh.add_argument("--list", help="only this list id")
    refresh.add_argument(
        "--from", dest="source", help="offline mirror: a directory or a base URL (default: official URLs, or LISTS_DIR)"
    )
    refresh.add_argument(
        "--force",
        action="store_true",
        help="accept an update that shrinks a list beyond max_shrink, changes format, or ends in a cut-off record",
    )
    refresh.set_defaults(func=cmd_refresh)

    audit = commands.add_parser("audit", help="audit trail: export records to files, replay a screening")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "export", help="move buffered audit records from Redis to the JSON Lines files (AUDIT_DIR)"
    )
    replay = audit_commands.add_parser("replay", help="screen a recorded party again on the recorded list versions")
    replay.add_argument("screening_id")
    replay.add_argument("--json", action="store_true", help="also print the replayed response as JSON")
    verify = audit_commands.add_parser(
        "verify", help="check the day files: sealed files against their seals, acknowledged records present"
    )
    verify.add_argument("--day", help="only this UTC day (YYYY-MM-DD)")
    verify.add_argument("--seal", action="store_true", help="first seal closed files that have no seal yet")
    audit.set_defaults(func=cmd_audit)

    dispositions = commands.add_parser(
        "dispositions", help="reviewer dispositions (cleared false positives, confirmed matches)"
    )
    disposition_commands = dispositions.add_subparsers(dest="dispositions_command", required=True)
    listing = disposition_commands.add_parser("list", help="print dispositions")
    listing.add_argument("--reference", help="only this party_reference")
    listing.add_argument("--fingerprint", help="only this party fingerprint")
    listing.add_argument("--include-revoked", action="store_true")
    listing.add_argument(
        "--pending", action="store_true", help="only those waiting for a second reviewer, oldest first"
    )
    for verb, help_text in (
        (
            "approve",
            "four eyes: approve a colleague's pending disposition (through the server, as your key's principal)",
        ),
        ("reject", "four eyes: reject a colleague's pending disposition (through the server; --note required)"),
    ):
        review = disposition_commands.add_parser(verb, parents=[connection], help=help_text)
        party = review.add_mutually_exclusive_group(required=True)
        party.add_argument("--reference", help="the party's party_reference")
        party.add_argument("--fingerprint", help="the party's fingerprint (when it has no reference)")
        review.add_argument("list_id")
        review.add_argument("entry_id")
        review.add_argument(
            "--version", type=int, default=0, help="the version you reviewed (refused if it changed since)"
        )
        review.add_argument("--note", required=verb == "reject", help="why (required to reject)")
        review.add_argument("--json", action="store_true", help="print the disposition as JSON")
    export = disposition_commands.add_parser("export", help="write every disposition to a JSON Lines file")
    export.add_argument("file")
    export.add_argument("--active-only", action="store_true", help="leave revoked dispositions out")
    dispositions.set_defaults(func=cmd_dispositions)

    from service.rescreen import commands as rescreen_commands

    rescreen_commands.add_arguments(commands)

    from service import tls_init
    from service.auth import key_commands

    key_commands.add_arguments(commands)
    tls_init.add_arguments(commands)

    from service.benchmarks import command as bench_module

    bench = commands.add_parser("bench", help="time parse+publish, loading, list swaps and Screen latency")
    bench_module.add_arguments(bench)
    bench.set_defaults(func=bench_module.main)

    from service.evaluation import run as eval_module

    evaluate = commands.add_parser(
        "eval", help="recall, false positives and latency on a labelled dataset from the real lists"
    )
    eval_module.add_arguments(evaluate)
    evaluate.set_defaults(func=eval_module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":
        from service.logs import configure_logging

        # Keep CLI output readable: only warnings and errors from the library.
        configure_logging(os.environ.get("LOG_FORMAT", "console"), os.environ.get("LOG_LEVEL", "warning"))
    try:
        return int(args.func(args) or 0)
    except (SettingsError, ConfigFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConnectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OSError as exc:  # e.g. the port is taken
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
