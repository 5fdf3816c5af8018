"""The gRPC ScreeningService: validate, screen, log a fingerprint, answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime

import grpc
import structlog

from service.api.convert import list_status_to_proto, outcome_to_proto
from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.validation import InvalidArgument, validate_request
from service.catalog import Catalog
from service.engine.loader import ListLoader
from service.engine.screener import NotReady, screen
from service.engine.state import ScreeningState
from service.privacy import party_fingerprint
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

# Below this much time left there is no point starting a screening.
MIN_USEFUL_SECONDS = 0.001


def screen_request(
    request: pb.ScreenRequest, state: ScreeningState | None, known_lists: Collection[str]
) -> pb.ScreenResponse:
    """One request end to end, without gRPC: also used by `screening check --local`.

    Raises InvalidArgument or NotReady.
    """
    query, context, options = validate_request(request, known_lists)
    outcome = screen(state, query, context, options)
    response = outcome_to_proto(outcome, request.request_id, query.party_reference)
    log.info(
        "screened",
        party=party_fingerprint(query),
        direction=context.direction.value,
        decision=pb.Decision.Name(response.decision),
        matches=len(response.matches),
        latency_ms=round(outcome.latency_s * 1000, 3),
    )
    return response


class ScreeningServicer(pb_grpc.ScreeningServiceServicer):
    def __init__(self, loader: ListLoader, catalog: Catalog, store: SnapshotStore) -> None:
        self._loader = loader
        self._catalog = catalog
        self._store = store

    async def Screen(self, request: pb.ScreenRequest, context: grpc.aio.ServicerContext) -> pb.ScreenResponse:
        request_id = request.request_id or uuid.uuid4().hex
        with structlog.contextvars.bound_contextvars(request_id=request_id, rpc="Screen"):
            remaining = context.time_remaining()
            if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before screening started")
            try:
                response = screen_request(request, self._loader.state, self._catalog.lists)
            except InvalidArgument as exc:
                log.info("rejected_request", field=exc.field, error=exc.message)
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except NotReady as exc:
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            response.request_id = request_id
            return response

    async def ScreenBatch(
        self, request_iterator: AsyncIterator[pb.ScreenRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ScreenResponse]:
        count = 0
        async for request in request_iterator:
            count += 1
            request_id = request.request_id or f"batch-item-{count}"
            with structlog.contextvars.bound_contextvars(request_id=request_id, rpc="ScreenBatch"):
                remaining = context.time_remaining()
                if remaining is not None and remaining < MIN_USEFUL_SECONDS:
                    await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline expired after {count - 1} items")
                try:
                    response = screen_request(request, self._loader.state, self._catalog.lists)
                except InvalidArgument as exc:
                    log.info("rejected_batch_item", field=exc.field, error=exc.message)
                    response = pb.ScreenResponse(
                        error=pb.ItemError(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=str(exc), field=exc.field)
                    )
                except NotReady as exc:
                    await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
                response.request_id = request_id
                yield response

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
