"""One screening request end to end without gRPC, Redis or audit: `screening check --local`, the eval, replays.

The servicer screens the same way (validate, match, decide, answer) with dispositions and an
audit record around it; both log the same fingerprint-only line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import structlog

from service.api.convert import outcome_to_proto
from service.api.gen import screening_pb2 as pb
from service.api.validation import validate_request
from service.dispositions.store import Disposition
from service.engine.screener import ScreeningOutcome, screen
from service.engine.state import ScreeningState
from service.index.linking import EntryKey
from service.logs import info_enabled

log = structlog.get_logger(__name__)


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
    log_screened(outcome, context.direction.value, response)
    return response


def log_screened(outcome: ScreeningOutcome, direction: str, response: pb.ScreenResponse) -> None:
    if not info_enabled():
        return
    log.info(
        "screened",
        request_id=response.request_id,
        party=outcome.party_fingerprint,
        screening_id=outcome.screening_id,
        direction=direction,
        decision=pb.Decision.Name(response.decision),
        matches=len(response.matches),
        suppressed=len(response.suppressed),
        latency_ms=round(outcome.latency_s * 1000, 3),
    )
