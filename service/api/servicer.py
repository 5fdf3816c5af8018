"""The gRPC ScreeningService: validate, screen, log a fingerprint, answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime

import grpc
import structlog

from service.api.convert import alert_to_proto, disposition_to_proto, job_to_proto, list_status_to_proto, outcome_to_proto
from service.api.registration import registered_parties
from service.registry.store import PartyRegistry
from service.rescreen.jobs import Jobs
from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.validation import InvalidArgument, validate_request
from service.catalog import Catalog
from service.engine.loader import ListLoader
from service.audit.capture import audit_record
from service.audit.record import AuditRecord
from service.audit.writer import AuditWriter
from service.dispositions.store import Disposition, DispositionError, DispositionKind, DispositionStore, subject_for
from service.engine.screener import NotReady, ScreeningOutcome, conclude, find_all, screen
from service.engine.state import ScreeningState
from service.index.linking import EntryKey
from service.refresh.diff import screening_fingerprint
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

MAX_REGISTER_BATCH = 1000
_STREAM_ID = re.compile(r"^\d+-\d+$")
_DIRECTION_NAMES = {
    pb.DIRECTION_EXPORT: "export",
    pb.DIRECTION_IMPORT: "import",
    pb.DIRECTION_PAYMENT: "payment",
    pb.DIRECTION_OTHER: "other",
}

_DISPOSITION_KINDS = {
    pb.DISPOSITION_KIND_FALSE_POSITIVE: DispositionKind.FALSE_POSITIVE,
    pb.DISPOSITION_KIND_CONFIRMED_MATCH: DispositionKind.CONFIRMED_MATCH,
}

# Below this much time left there is no point starting a screening.
MIN_USEFUL_SECONDS = 0.001


def screen_request(
    request: pb.ScreenRequest,
    state: ScreeningState | None,
    known_lists: Collection[str],
    dispositions: Mapping[EntryKey, Disposition] | None = None,
) -> pb.ScreenResponse:
    """One request end to end without gRPC, Redis or audit: `screening check --local`, the eval, replays.

    Raises InvalidArgument or NotReady.
    """
    query, context, options = validate_request(request, known_lists)
    outcome = screen(state, query, context, options, dispositions)
    response = outcome_to_proto(outcome, request.request_id, query.party_reference)
    _log_screened(outcome, context.direction.value, response)
    return response


def _log_screened(outcome: ScreeningOutcome, direction: str, response: pb.ScreenResponse) -> None:
    log.info(
        "screened",
        party=outcome.party_fingerprint,
        screening_id=outcome.screening_id,
        direction=direction,
        decision=pb.Decision.Name(response.decision),
        matches=len(response.matches),
        suppressed=len(response.suppressed),
        latency_ms=round(outcome.latency_s * 1000, 3),
    )


class ScreeningServicer(pb_grpc.ScreeningServiceServicer):
    def __init__(
        self,
        loader: ListLoader,
        catalog: Catalog,
        store: SnapshotStore,
        dispositions: DispositionStore,
        audit: AuditWriter,
        audit_party_data: bool = False,
        registry: PartyRegistry | None = None,
        jobs: Jobs | None = None,
    ) -> None:
        self._loader = loader
        self._catalog = catalog
        self._store = store
        self._dispositions = dispositions
        self._audit = audit
        self._audit_party_data = audit_party_data
        self._registry = registry
        self._jobs = jobs

    async def screen_once(self, request: pb.ScreenRequest, request_id: str, caller: str) -> tuple[pb.ScreenResponse, AuditRecord]:
        """Validate, match, fetch dispositions (only when there are matches), decide, build the audit record."""
        state = self._loader.state  # one state for the whole request, even if a new one is swapped in meanwhile
        query, context, options = validate_request(request, self._catalog.lists)
        found = find_all(state, query, context, options)
        assert state is not None
        dispositions: Mapping[EntryKey, Disposition] = {}
        if found.matches:
            subject = subject_for(query.party_reference, found.fingerprint)
            dispositions = await self._dispositions.active_for(subject, found.keys)
        outcome = conclude(state, found, context, options, dispositions)
        response = outcome_to_proto(outcome, request_id, query.party_reference)
        _log_screened(outcome, context.direction.value, response)
        return response, audit_record(outcome, request, request_id, caller, self._audit_party_data)

    async def Screen(self, request: pb.ScreenRequest, context: grpc.aio.ServicerContext) -> pb.ScreenResponse:
        request_id = request.request_id or uuid.uuid4().hex
        with structlog.contextvars.bound_contextvars(request_id=request_id, rpc="Screen"):
            remaining = context.time_remaining()
            if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before screening started")
            try:
                response, record = await self.screen_once(request, request_id, context.peer())
            except InvalidArgument as exc:
                log.info("rejected_request", field=exc.field, error=exc.message)
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except NotReady as exc:
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            # Queued for the stream (write-behind, see service/audit/writer.py), never dropped.
            await self._audit.submit(record)
            return response

    async def ScreenBatch(
        self, request_iterator: AsyncIterator[pb.ScreenRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ScreenResponse]:
        count = 0
        caller = context.peer()
        async for request in request_iterator:
            count += 1
            request_id = request.request_id or f"batch-item-{count}"
            with structlog.contextvars.bound_contextvars(request_id=request_id, rpc="ScreenBatch"):
                remaining = context.time_remaining()
                if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                    await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline expired after {count - 1} items")
                try:
                    response, record = await self.screen_once(request, request_id, caller)
                    await self._audit.submit(record)
                except InvalidArgument as exc:
                    log.info("rejected_batch_item", field=exc.field, error=exc.message)
                    response = pb.ScreenResponse(
                        error=pb.ItemError(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=str(exc), field=exc.field)
                    )
                except NotReady as exc:
                    await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
                response.request_id = request_id
                yield response

    # ------------------------------------------------------------ dispositions

    def _subject(self, party_reference: str, party_fingerprint_: str) -> str:
        if party_reference.strip():
            return subject_for(party_reference.strip(), "")
        if party_fingerprint_.strip():
            return subject_for("", party_fingerprint_.strip())
        raise InvalidArgument("party_reference", "party_reference or party_fingerprint is required")

    async def RecordDisposition(self, request: pb.RecordDispositionRequest, context: grpc.aio.ServicerContext) -> pb.Disposition:
        try:
            subject = self._subject(request.party_reference, request.party_fingerprint)
            kind = _DISPOSITION_KINDS.get(request.kind)
            if kind is None:
                raise InvalidArgument("kind", "must be DISPOSITION_KIND_FALSE_POSITIVE or DISPOSITION_KIND_CONFIRMED_MATCH")
            state = self._loader.state
            entry = state.entry(request.list_id, request.entry_id) if state else None
            if entry is None:
                await context.abort(
                    grpc.StatusCode.NOT_FOUND,
                    f"list_id/entry_id: no entry {request.entry_id[:64]!r} on list {request.list_id[:64]!r} in the serving versions",
                )
            disposition = await self._dispositions.record(
                subject, request.list_id, request.entry_id, screening_fingerprint(entry), kind,
                request.reason, request.reviewer, screening_id=request.screening_id,
            )  # fmt: skip
        except (InvalidArgument, DispositionError) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        log.info("disposition_recorded", subject_kind=subject[:3], list_id=request.list_id, entry_id=request.entry_id,
                 kind=kind.value, version=disposition.version)  # fmt: skip
        return disposition_to_proto(disposition)

    async def RevokeDisposition(self, request: pb.RevokeDispositionRequest, context: grpc.aio.ServicerContext) -> pb.Disposition:
        try:
            subject = self._subject(request.party_reference, request.party_fingerprint)
            disposition = await self._dispositions.revoke(subject, request.list_id, request.entry_id, request.reviewer, request.reason)
        except (InvalidArgument, DispositionError) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        log.info("disposition_revoked", subject_kind=subject[:3], list_id=request.list_id, entry_id=request.entry_id,
                 version=disposition.version)  # fmt: skip
        return disposition_to_proto(disposition)

    async def ListDispositions(
        self, request: pb.ListDispositionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDispositionsResponse:
        subject = None
        if request.party_reference.strip() or request.party_fingerprint.strip():
            subject = self._subject(request.party_reference, request.party_fingerprint)
        found = await self._dispositions.list(subject, include_revoked=request.include_revoked)
        return pb.ListDispositionsResponse(dispositions=[disposition_to_proto(d) for d in found])

    async def GetListStatus(
        self, request: pb.GetListStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetListStatusResponse:
        for i, list_id in enumerate(request.list_ids):
            if list_id not in self._catalog.lists:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"list_ids[{i}]: unknown list {list_id[:64]!r}; known: {', '.join(sorted(self._catalog.lists))}",
                )
        state = self._loader.state
        loaded = state.versions if state else {}
        now = datetime.now(UTC)
        statuses = []
        for list_id in request.list_ids or self._catalog.lists:
            spec = self._catalog.get(list_id)
            meta = await self._store.current(list_id)
            record = await self._store.status(list_id)
            statuses.append(list_status_to_proto(spec, meta, record, loaded.get(list_id), now))
        return pb.GetListStatusResponse(lists=statuses)

    # ------------------------------------------------------------ registry and re-screening

    async def RegisterParties(self, request: pb.RegisterPartiesRequest, context: grpc.aio.ServicerContext) -> pb.RegisterPartiesResponse:
        if self._registry is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no party registry on this server")
        if len(request.parties) > MAX_REGISTER_BATCH:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"parties: at most {MAX_REGISTER_BATCH} per call, got {len(request.parties)}")
        direction = _DIRECTION_NAMES.get(request.direction, "export")
        parties, errors = registered_parties(request.parties, direction)
        result = await self._registry.register(parties)
        log.info("parties_registered", stored=result.stored, new=result.new, refused=len(errors))
        return pb.RegisterPartiesResponse(stored=result.stored, new=result.new, errors=errors)

    async def RemoveParties(self, request: pb.RemovePartiesRequest, context: grpc.aio.ServicerContext) -> pb.RemovePartiesResponse:
        if self._registry is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no party registry on this server")
        return pb.RemovePartiesResponse(removed=await self._registry.remove(request.party_references))

    async def GetJob(self, request: pb.GetJobRequest, context: grpc.aio.ServicerContext) -> pb.Job:
        info = await self._jobs.get(request.job_id) if self._jobs else None
        if info is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"job_id: no job {request.job_id[:80]!r}")
        return job_to_proto(info)

    async def WatchAlerts(self, request: pb.WatchAlertsRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[pb.Alert]:
        if self._jobs is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no re-screening on this server")
        last = request.after_id.strip() or "$"
        if last not in ("$", "0") and not _STREAM_ID.match(last):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"after_id: {last[:40]!r} is not an alert_id (e.g. '1732752000000-0')")
        while True:
            for last, raw in await self._jobs.read_alerts(last):
                yield alert_to_proto(last, raw)
