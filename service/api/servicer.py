"""The gRPC ScreeningService: validate, screen, log a fingerprint, answer.

Who is calling was settled before a handler runs (service/grpc_door/interceptors/auth.py):
handlers read `current_principal` and write it, never a name the request
carries, into audit records, dispositions and registrations.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import structlog

from service.api.context import CallContext
from service.api.convert import (
    alert_to_proto,
    disposition_to_proto,
    job_to_proto,
    list_changes_to_proto,
    list_status_to_proto,
    outcome_to_proto,
    registered_party_to_proto,
    review_record,
    review_to_proto,
    screening_record_to_proto,
)
from service.api.errors import abort_with
from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.registration import direction_name, registered_parties, removal_references
from service.api.screening import log_screened
from service.api.validation import (
    InvalidArgument,
    validate_alert_id,
    validate_day,
    validate_display_name,
    validate_list_ids,
    validate_offset,
    validate_page_size,
    validate_reference,
    validate_request,
    validate_screening_id,
)
from service.audit.capture import NotReplayable, audit_record
from service.audit.record import AuditRecord
from service.audit.replay import LOOKUP_DAYS, ReplayBusy, ReplayError, Replays
from service.audit.writer import AuditWriter
from service.auth.principal import current_principal
from service.catalog import Catalog
from service.decide.four_eyes import approval_required
from service.dispositions.cache import DispositionCache
from service.dispositions.queue import DEFAULT_PAGE as QUEUE_PAGE
from service.dispositions.queue import MAX_PAGE as MAX_QUEUE_PAGE
from service.dispositions.queue import QueueFilter
from service.dispositions.reviews import ReviewLog, list_reviews
from service.dispositions.store import Disposition, DispositionKind, DispositionStore, subject_for
from service.engine.loader import ListLoader
from service.engine.screener import Found, NotReady, conclude, find_all
from service.engine.state import ScreeningState
from service.index.linking import EntryKey
from service.metrics import DECISIONS, MATCHES
from service.model import Entry, ScreenOptions, TransactionContext
from service.refresh.changes import CHANGES, ChangeReader
from service.refresh.changes import DEFAULT_PAGE as CHANGES_PAGE
from service.refresh.changes import MAX_PAGE as MAX_CHANGES_PAGE
from service.refresh.diff import screening_fingerprint
from service.registry.store import PartyRegistry
from service.rescreen.alert_feed import AlertFeed
from service.rescreen.alert_queue import list_alerts
from service.rescreen.jobs import ALERTS_MAXLEN, Jobs
from service.store.snapshots import SnapshotStore
from service.tracing import span

log = structlog.get_logger(__name__)

MAX_REGISTER_BATCH = 1000
# ScreenBatch: requests per message, and the size at which an answer is split over several messages
# (below gRPC's 4 MiB default receive limit, so any client can read it).
MAX_BATCH_MESSAGE = 1000
RESPONSE_MESSAGE_BYTES = 1024 * 1024
YIELD_EVERY_ITEMS = 8

_DISPOSITION_KINDS = {
    pb.DISPOSITION_KIND_FALSE_POSITIVE: DispositionKind.FALSE_POSITIVE,
    pb.DISPOSITION_KIND_CONFIRMED_MATCH: DispositionKind.CONFIRMED_MATCH,
}

# ListAlerts' age bounds: ten years of hours, far beyond any alert kept.
MAX_AGE_HOURS = 24 * 366 * 10
# The Decision filter of ListAlerts, as alert records spell decisions ("" = any).
DECISION_NAMES = {
    pb.DECISION_UNSPECIFIED: "", pb.DECISION_CLEAR: "CLEAR", pb.DECISION_REVIEW: "REVIEW",
    pb.DECISION_HOLD: "HOLD", pb.DECISION_BLOCK: "BLOCK",
}  # fmt: skip


def _queue_filter(request: pb.ListAlertsRequest | pb.ListReviewsRequest, known_lists: Collection[str]) -> QueueFilter:
    """A review-queue request's filters (ListAlerts, ListReviews), checked."""
    _check_list_id("list_id", request.list_id, known_lists)
    if request.decision not in DECISION_NAMES:
        raise InvalidArgument("decision", f"{request.decision} is not a Decision value")
    for name in ("min_age_hours", "max_age_hours"):
        if not 0 <= getattr(request, name) <= MAX_AGE_HOURS:
            raise InvalidArgument(name, f"must be between 0 (no bound) and {MAX_AGE_HOURS}")
    if request.max_age_hours and request.max_age_hours < request.min_age_hours:
        raise InvalidArgument("max_age_hours", "must not be below min_age_hours")
    size = validate_page_size("page_size", request.page_size, QUEUE_PAGE, MAX_QUEUE_PAGE)
    return QueueFilter(
        list_id=request.list_id,
        decision=DECISION_NAMES[request.decision],
        min_age=timedelta(hours=request.min_age_hours) if request.min_age_hours else None,
        max_age=timedelta(hours=request.max_age_hours) if request.max_age_hours else None,
        open_only=request.open_only,
        page_size=size,
    )


def _check_list_id(field: str, list_id: str, known: Collection[str], required: bool = False) -> None:
    if list_id in known or not (list_id or required):
        return
    what = f"unknown list {list_id[:64]!r}" if list_id else "is required"
    raise InvalidArgument(field, f"{what}; one of: {', '.join(sorted(known))}")


def _check_version(field: str, value: str) -> str:
    """A list version as GetListStatus reports it, or "" (the serving one)."""
    value = value.strip()
    if len(value) > 128 or not all(ch.isascii() and (ch.isalnum() or ch in "-_.:T+Z") for ch in value):
        raise InvalidArgument(field, f"{value[:64]!r} is not a list version (see GetListStatus)")
    return value


# ScreenBatch answers' headers: the server process's name, and how many share its port.
WORKER_HEADER = "screening-worker"
WORKERS_HEADER = "screening-workers"


@dataclass(frozen=True, slots=True)
class _Found:
    """A validated and matched request, waiting for its dispositions."""

    state: ScreeningState
    found: Found
    context: TransactionContext
    options: ScreenOptions
    subject: str  # whom dispositions are keyed on


@dataclass(frozen=True)
class WorkerIdentity:
    name: str  # host:pid, unique among the processes a client may reach
    count: int  # processes serving the same port on that host


# Below this much time left there is no point starting a screening.
MIN_USEFUL_SECONDS = 0.001


def split_by_size(responses: list[pb.ScreenResponse], limit: int) -> list[list[pb.ScreenResponse]]:
    """Consecutive runs of `responses` of at most `limit` serialized bytes each (a larger response goes alone)."""
    if len(responses) <= 1:
        return [responses]
    parts: list[list[pb.ScreenResponse]] = [[]]
    size = 0
    for response in responses:
        # A repeated field costs its tag and length prefix on top of the message: at most 6 bytes here.
        item = response.ByteSize() + 6
        if parts[-1] and size + item > limit:
            parts.append([])
            size = 0
        parts[-1].append(response)
        size += item
    return parts


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
        worker: WorkerIdentity | None = None,
        disposition_cache: DispositionCache | None = None,
        alert_feed: AlertFeed | None = None,
        max_message_bytes: int = 4 * 1024 * 1024,
        replays: Replays | None = None,
        reviews: ReviewLog | None = None,
    ) -> None:
        """`disposition_cache`: screenings read dispositions from memory (else from Redis, per call);
        `alert_feed`: WatchAlerts streams share one reader of the alert stream (WatchAlerts needs it);
        `replays`: audit lookups and replays (GetScreening, ReplayScreening need it); `reviews`: the
        review queue's screenings (ListReviews needs it)."""
        self._loader = loader
        self._catalog = catalog
        self._store = store
        self._dispositions = dispositions
        self._audit = audit
        self._audit_party_data = audit_party_data
        self._registry = registry
        self._jobs = jobs
        self._cache = disposition_cache
        self._feed = alert_feed
        self._replays = replays
        self._reviews = reviews
        self._changes = ChangeReader(store, self._serving_entry)
        # ScreenBatch answers are split below what the server may send (SCREENING_MAX_MESSAGE_BYTES).
        self._response_bytes = min(RESPONSE_MESSAGE_BYTES, max(1024, max_message_bytes - 1024))
        self._worker_headers = (
            ((WORKER_HEADER, worker.name), (WORKERS_HEADER, str(worker.count))) if worker is not None else None
        )

    @property
    def list_ids(self) -> tuple[str, ...]:
        """The lists of the catalogue this server screens against, sorted."""
        return tuple(sorted(self._catalog.lists))

    async def screen_once(
        self, request: pb.ScreenRequest, request_id: str, caller: str, peer: str = ""
    ) -> tuple[pb.ScreenResponse, AuditRecord]:
        """Validate, match, fetch dispositions (only when there are matches), decide, build the audit record."""
        found = self._find(request)
        dispositions: Mapping[EntryKey, Disposition] = {}
        if found.found.matches:
            if self._cache is not None:
                dispositions = self._cache.active_for(found.subject, found.found.keys)  # memory: never waits on Redis
            else:
                dispositions = await self._dispositions.active_for(found.subject, found.found.keys)
        return self._conclude(found, dispositions, request, request_id, caller, peer)

    def _find(self, request: pb.ScreenRequest) -> _Found:
        """Validate and match (raises InvalidArgument or NotReady): all a screening needs but its dispositions."""
        state = self._loader.state  # one state for the whole request, even if a new one is swapped in meanwhile
        query, context, options = validate_request(request, self._catalog.lists)
        with span("match"):
            found = find_all(state, query, context, options)
        assert state is not None
        return _Found(state, found, context, options, subject_for(query.party_reference, found.fingerprint))

    def _conclude(
        self,
        found: _Found,
        dispositions: Mapping[EntryKey, Disposition],
        request: pb.ScreenRequest,
        request_id: str,
        caller: str,
        peer: str,
    ) -> tuple[pb.ScreenResponse, AuditRecord]:
        with span("decide"):
            outcome = conclude(found.state, found.found, found.context, found.options, dispositions)
        response = outcome_to_proto(outcome, request_id, found.found.query.party_reference)
        if self._cache is not None and dispositions and (stale := self._cache.stale_warning):
            response.warnings.append(stale)
        log_screened(outcome, found.context.direction.value, response)
        DECISIONS.labels(DECISION_NAMES[response.decision], found.context.direction.value).inc()
        for match in outcome.matches:
            MATCHES.labels(match.list_id).inc()
        if self._reviews is not None and outcome.matches and response.decision != pb.DECISION_CLEAR:
            self._reviews.add(review_record(outcome, response, found.subject, caller, request, self._audit_party_data))
        return response, audit_record(outcome, request, request_id, caller, self._audit_party_data, peer)

    async def Screen(self, request: pb.ScreenRequest, context: CallContext) -> pb.ScreenResponse:
        request_id = request.request_id or uuid.uuid4().hex
        with structlog.contextvars.bound_contextvars(request_id=request_id, rpc="Screen"):
            remaining = context.time_remaining()
            if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before screening started")
            try:
                response, record = await self.screen_once(
                    request, request_id, current_principal.get().name, context.peer()
                )
            except InvalidArgument as exc:
                log.info("rejected_request", field=exc.field, error=exc.message)
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except NotReady as exc:
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            # Queued for the stream (write-behind, see service/audit/writer.py), never dropped.
            await self._audit.submit(record)
            return response

    async def ScreenBatch(
        self, request_iterator: AsyncIterator[pb.ScreenBatchRequest], context: CallContext
    ) -> AsyncGenerator[pb.ScreenBatchResponse, None]:
        count = 0
        caller, peer = current_principal.get().name, context.peer()
        if self._worker_headers is not None:
            # Which of the port's processes took this connection, and how many there are:
            # a batch client uses it to spread its streams over all of them.
            await context.send_initial_metadata(self._worker_headers)
        # Bound once per stream; the per-item log lines name their request_id themselves
        # (binding and unbinding it per item costs more than validating the item).
        structlog.contextvars.bind_contextvars(rpc="ScreenBatch")
        async for message in request_iterator:
            if len(message.requests) > MAX_BATCH_MESSAGE:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"requests: at most {MAX_BATCH_MESSAGE} per message, got {len(message.requests)} (after {count} items)",
                )
            # Match every item first, then fetch the dispositions of those with matches in
            # one round trip, then decide: a Redis call per matched item would cost more.
            items: list[tuple[pb.ScreenRequest, str, _Found | pb.ScreenResponse]] = []
            for request in message.requests:
                count += 1
                remaining = context.time_remaining()
                if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                    await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline expired after {count - 1} items")
                request_id = request.request_id or f"batch-item-{count}"
                try:
                    items.append((request, request_id, self._find(request)))
                except InvalidArgument as exc:
                    log.info("rejected_batch_item", request_id=request_id, field=exc.field, error=exc.message)
                    code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
                    error = pb.ItemError(code=code, message=str(exc), field=exc.field)
                    items.append((request, request_id, pb.ScreenResponse(request_id=request_id, error=error)))
                except NotReady as exc:
                    await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
                if count % YIELD_EVERY_ITEMS == 0:
                    # Screening is CPU-bound and a message may hold 1000 items: let the
                    # worker's other calls (a unary Screen) in between.
                    await asyncio.sleep(0)
            matched = [found for _, _, found in items if isinstance(found, _Found) and found.found.matches]
            wanted = [(found.subject, found.found.keys) for found in matched]
            if self._cache is not None:
                fetched = [self._cache.active_for(subject, keys) for subject, keys in wanted]
            else:
                fetched = await self._dispositions.active_for_many(wanted)
            dispositions = {id(found): applied for found, applied in zip(matched, fetched, strict=True)}
            responses: list[pb.ScreenResponse] = []
            records: list[AuditRecord] = []
            for request, request_id, found in items:
                if isinstance(found, pb.ScreenResponse):
                    responses.append(found)  # a rejected item: its error, and no audit record
                    continue
                response, record = self._conclude(
                    found, dispositions.get(id(found), {}), request, request_id, caller, peer
                )
                response.request_id = request_id
                responses.append(response)
                records.append(record)
            # One hand-over for the message: the writer sends them in one pipeline.
            await self._audit.submit_many(records)
            for part in split_by_size(responses, self._response_bytes):
                yield pb.ScreenBatchResponse(responses=part)

    # ------------------------------------------------------------ dispositions

    def _subject(self, party_reference: str, party_fingerprint_: str) -> str:
        if party_reference.strip():
            return subject_for(party_reference.strip(), "")
        if party_fingerprint_.strip():
            return subject_for("", party_fingerprint_.strip())
        raise InvalidArgument("party_reference", "party_reference or party_fingerprint is required")

    async def RecordDisposition(self, request: pb.RecordDispositionRequest, context: CallContext) -> pb.Disposition:
        reviewer = current_principal.get().name
        try:
            subject = self._subject(request.party_reference, request.party_fingerprint)
            kind = _DISPOSITION_KINDS.get(request.kind)
            if kind is None:
                raise InvalidArgument(
                    "kind", "must be DISPOSITION_KIND_FALSE_POSITIVE or DISPOSITION_KIND_CONFIRMED_MATCH"
                )
            reviewer_name = validate_display_name("reviewer", request.reviewer)
            state = self._loader.state
            entry = state.entry(request.list_id, request.entry_id) if state else None
            if state is None or entry is None:
                await context.abort(
                    grpc.StatusCode.NOT_FOUND,
                    f"list_id/entry_id: no entry {request.entry_id[:64]!r} on list {request.list_id[:64]!r} in the serving versions",
                )
            # Four eyes: clearing a listing the policy blocks needs a second reviewer (lists/policy.toml [four_eyes]).
            required = approval_required(state.policy, request.list_id, entry, datetime.now(UTC).date()) if (
                kind is DispositionKind.FALSE_POSITIVE
            ) else ""  # fmt: skip
            disposition = await self._dispositions.record(
                subject, request.list_id, request.entry_id, screening_fingerprint(entry), kind,
                request.reason, reviewer, screening_id=request.screening_id,
                approval_required=required, reviewer_name=reviewer_name,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - mapped to its status by one table; unknown ones re-raised
            await abort_with(context, exc)
        self._remember(disposition)
        log.info("disposition_recorded", subject_kind=subject[:3], list_id=request.list_id, entry_id=request.entry_id,
                 kind=kind.value, version=disposition.version, status=disposition.status.value)  # fmt: skip
        return disposition_to_proto(disposition)

    async def RevokeDisposition(self, request: pb.RevokeDispositionRequest, context: CallContext) -> pb.Disposition:
        try:
            subject = self._subject(request.party_reference, request.party_fingerprint)
            validate_display_name("reviewer", request.reviewer)
            disposition = await self._dispositions.revoke(
                subject, request.list_id, request.entry_id, current_principal.get().name, request.reason
            )
        except Exception as exc:  # noqa: BLE001 - see RecordDisposition
            await abort_with(context, exc)
        self._remember(disposition)
        log.info("disposition_revoked", subject_kind=subject[:3], list_id=request.list_id, entry_id=request.entry_id,
                 version=disposition.version)  # fmt: skip
        return disposition_to_proto(disposition)

    def _remember(self, disposition: Disposition) -> None:
        """This process's screenings see its own change at once (others within a moment, from the change log)."""
        if self._cache is not None:
            self._cache.apply(disposition)

    async def ApproveDisposition(self, request: pb.ReviewDispositionRequest, context: CallContext) -> pb.Disposition:
        return await self._review(request, context, approve=True)

    async def RejectDisposition(self, request: pb.ReviewDispositionRequest, context: CallContext) -> pb.Disposition:
        return await self._review(request, context, approve=False)

    async def _review(
        self, request: pb.ReviewDispositionRequest, context: CallContext, approve: bool
    ) -> pb.Disposition:
        """Four eyes: a second principal approves or rejects (the store refuses the recorder itself)."""
        second = current_principal.get().name
        try:
            subject = self._subject(request.party_reference, request.party_fingerprint)
            if request.version < 0:
                raise InvalidArgument(
                    "version", f"must be 0 (the current one) or a version number, not {request.version}"
                )
            change = self._dispositions.approve if approve else self._dispositions.reject
            disposition = await change(
                subject, request.list_id, request.entry_id, second, request.note, expected_version=request.version
            )
        except Exception as exc:  # noqa: BLE001 - see RecordDisposition
            await abort_with(context, exc)
        self._remember(disposition)
        log.info("disposition_approved" if approve else "disposition_rejected", subject_kind=subject[:3],
                 list_id=request.list_id, entry_id=request.entry_id, version=disposition.version)  # fmt: skip
        return disposition_to_proto(disposition)

    async def ListDispositions(
        self, request: pb.ListDispositionsRequest, context: CallContext
    ) -> pb.ListDispositionsResponse:
        try:
            subject = None
            if request.party_reference.strip() or request.party_fingerprint.strip():
                subject = self._subject(request.party_reference, request.party_fingerprint)
            found = await self._dispositions.list(
                subject, include_revoked=request.include_revoked, pending_only=request.pending_only
            )
        except Exception as exc:  # noqa: BLE001 - see RecordDisposition
            await abort_with(context, exc)
        return pb.ListDispositionsResponse(dispositions=[disposition_to_proto(d) for d in found])

    async def GetListStatus(self, request: pb.GetListStatusRequest, context: CallContext) -> pb.GetListStatusResponse:
        try:
            list_ids = validate_list_ids("list_ids", request.list_ids, self._catalog.lists)  # each once
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        state = self._loader.state
        loaded = state.versions if state else {}
        now = datetime.now(UTC)
        statuses = []
        for list_id in list_ids or self._catalog.lists:
            spec = self._catalog.get(list_id)
            meta = await self._store.current(list_id)
            record = await self._store.status(list_id)
            statuses.append(list_status_to_proto(spec, meta, record, loaded.get(list_id), now))
        return pb.GetListStatusResponse(lists=statuses)

    def _serving_entry(self, list_id: str, version: str, entry_id: str) -> Entry | None:
        state = self._loader.state
        loaded = state.lists.get(list_id) if state is not None else None
        if state is None or loaded is None or loaded.meta.version != version:
            return None
        return state.entry(list_id, entry_id)

    async def GetListChanges(self, request: pb.GetListChangesRequest, context: CallContext) -> pb.ListChanges:
        try:
            _check_list_id("list_id", request.list_id, self._catalog.lists, required=True)
            if request.change not in ("", *CHANGES):
                raise InvalidArgument(
                    "change", f"{request.change[:32]!r} is not one of: added, removed, changed (or empty for all)"
                )
            version = _check_version("version", request.version)
            offset = validate_offset("offset", request.offset)
            size = validate_page_size("page_size", request.page_size, CHANGES_PAGE, MAX_CHANGES_PAGE)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if not version:
            state = self._loader.state
            served = state.lists.get(request.list_id) if state is not None else None
            version = (
                served.meta.version
                if served is not None
                else (await self._store.current_version(request.list_id) or "")
            )
            if not version:
                await context.abort(
                    grpc.StatusCode.NOT_FOUND, f"list_id: list {request.list_id} has no version loaded yet"
                )
        diff = await self._store.diff(request.list_id, version)
        if diff is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"version: no change record for {request.list_id} version {version[:80]!r} "
                "(not a stored version, or no longer kept: the last versions of each list are)",
            )
        page = await self._changes.page(diff, request.change, offset, size)
        return list_changes_to_proto(page)

    # ------------------------------------------------------------ audit

    async def _record(self, screening_id: str, screened_on: str, context: CallContext) -> AuditRecord:
        if self._replays is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no audit trail on this server")
        try:
            wanted = validate_screening_id("screening_id", screening_id)
            day = validate_day("screened_on", screened_on)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        record = await self._replays.find(wanted, day)
        if record is None:
            where = f"the day files of {day}" if day else f"the day files of the last {LOOKUP_DAYS} days"
            hint = "" if day else " (name the day it was screened in screened_on to search older files)"
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"screening_id: no audit record of screening {wanted} in the Redis buffer or {where}{hint}",
            )
        return record

    async def GetScreening(self, request: pb.GetScreeningRequest, context: CallContext) -> pb.ScreeningRecord:
        record = await self._record(request.screening_id, request.screened_on, context)
        log.info("screening_looked_up", screening_id=record.screening_id)
        return screening_record_to_proto(record)

    async def ReplayScreening(
        self, request: pb.ReplayScreeningRequest, context: CallContext
    ) -> pb.ReplayScreeningResponse:
        record = await self._record(request.screening_id, request.screened_on, context)
        assert self._replays is not None  # _record aborted otherwise
        try:
            report = await self._replays.replay(record)
        except (NotReplayable, ReplayError) as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"screening_id: {exc}")
        except ReplayBusy as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        log.info("screening_replayed", screening_id=record.screening_id, identical=report.identical)
        return pb.ReplayScreeningResponse(
            record=screening_record_to_proto(record), replayed=report.response, identical=report.identical,
            differences=report.differences, notes=report.notes,
        )  # fmt: skip

    # ------------------------------------------------------------ registry and re-screening

    async def RegisterParties(
        self, request: pb.RegisterPartiesRequest, context: CallContext
    ) -> pb.RegisterPartiesResponse:
        if self._registry is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no party registry on this server")
        if len(request.parties) > MAX_REGISTER_BATCH:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"parties: at most {MAX_REGISTER_BATCH} per call, got {len(request.parties)}",
            )
        parties, errors = registered_parties(request.parties, direction_name(request.direction))
        result = await self._registry.register(parties, by=current_principal.get().name)
        # Start their first screening now rather than at the coordinator's next tick
        # (if a `registered` job is still running, they wait for the next one).
        job_id = await self._jobs.start_registered() if result.queued and self._jobs is not None else None
        log.info(
            "parties_registered",
            stored=result.stored,
            new=result.new,
            queued=result.queued,
            refused=len(errors),
            job_id=job_id,
        )
        return pb.RegisterPartiesResponse(stored=result.stored, new=result.new, errors=errors, queued=result.queued)

    async def RemoveParties(self, request: pb.RemovePartiesRequest, context: CallContext) -> pb.RemovePartiesResponse:
        if self._registry is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no party registry on this server")
        try:
            references = removal_references(request.party_references)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        removed = await self._registry.remove(references, by=current_principal.get().name)
        log.info("parties_removed", asked=len(request.party_references), removed=removed)
        return pb.RemovePartiesResponse(removed=removed)

    async def GetParty(self, request: pb.GetPartyRequest, context: CallContext) -> pb.RegisteredParty:
        if self._registry is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no party registry on this server")
        try:
            reference = validate_reference("party_reference", request.party_reference)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        found = await self._registry.lookup(reference)
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"party_reference: no registered party {reference[:80]!r}")
        return registered_party_to_proto(*found)

    async def GetJob(self, request: pb.GetJobRequest, context: CallContext) -> pb.Job:
        info = await self._jobs.get(request.job_id) if self._jobs else None
        if info is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"job_id: no job {request.job_id[:80]!r}")
        return job_to_proto(info)

    async def ListAlerts(self, request: pb.ListAlertsRequest, context: CallContext) -> pb.ListAlertsResponse:
        if self._jobs is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no re-screening on this server")
        try:
            rules = _queue_filter(request, self._catalog.lists)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        page = await list_alerts(self._jobs, self._registry, self._dispositions, rules, datetime.now(UTC))
        return pb.ListAlertsResponse(
            alerts=[alert_to_proto(alert_id, raw) for alert_id, raw in page.alerts],
            scanned=page.scanned, truncated=page.truncated, more=page.more,
        )  # fmt: skip

    async def ListReviews(self, request: pb.ListReviewsRequest, context: CallContext) -> pb.ListReviewsResponse:
        if self._reviews is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no review queue on this server")
        try:
            rules = _queue_filter(request, self._catalog.lists)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        page = await list_reviews(self._reviews, self._dispositions, rules, datetime.now(UTC))
        return pb.ListReviewsResponse(
            reviews=[review_to_proto(review) for review in page.reviews],
            scanned=page.scanned, truncated=page.truncated, more=page.more,
        )  # fmt: skip

    async def WatchAlerts(self, request: pb.WatchAlertsRequest, context: CallContext) -> AsyncGenerator[pb.Alert, None]:
        if self._jobs is None or self._feed is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no re-screening on this server")
        try:
            last = validate_alert_id("after_id", request.after_id) or "$"
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if last not in ("$", "0") and (oldest := await self._jobs.oldest_kept_if_lost(last)) is not None:
            await context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                f"after_id: alerts after {last!r} are no longer kept (the stream keeps the last {ALERTS_MAXLEN:,}; "
                f"the oldest is {oldest!r}): read the parties' current states with GetParty, then watch from '0'",
            )
        if last == "$":
            # "Only new alerts": from the newest now, so that none is missed while the stream settles in.
            last = self._feed.position if self._feed.started else await self._jobs.newest_alert_id()
        # Headers now, not with the first alert (which may be hours away): the client knows the stream is open.
        await context.send_initial_metadata(())
        while True:
            # "0" (from the oldest alert Redis still keeps) starts from Redis: the feed may hold older, trimmed ones.
            held = self._feed.after(last) if last != "0" else None
            if held is None:
                # Older than what the shared feed holds: catch up from Redis without blocking, then join it.
                asked_at = time.monotonic()
                caught_up = await self._jobs.read_alerts(last, block_ms=None)
                for last, raw in caught_up:
                    yield alert_to_proto(last, raw)
                if not caught_up:
                    if (joined := self._feed.join_point(asked_at)) is not None:
                        last = joined  # nothing between `last` and where the feed started
                    else:
                        await self._feed.wait(1.0)
                continue
            for last, raw in held:
                yield alert_to_proto(last, raw)
            if not held:
                await self._feed.wait(5.0)
