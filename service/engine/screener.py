"""Screen one party: match against the loaded lists, then decide."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from service.decide.decision import Decision, decide
from service.engine.state import LoadedList, ScreeningState
from service.match.result import MatchResult
from service.model import PartyQuery, ScreenOptions, TransactionContext


class NotReady(Exception):
    """No list is loaded yet; the service cannot screen."""


@dataclass(frozen=True)
class ScreeningOutcome:
    screening_id: str
    decision: Decision
    matches: tuple[MatchResult, ...]
    lists: tuple[LoadedList, ...]
    policy_version: str
    matcher_version: str
    match_threshold: float
    review_threshold: float
    screened_at: datetime
    latency_s: float


def screen(
    state: ScreeningState | None,
    query: PartyQuery,
    context: TransactionContext,
    options: ScreenOptions,
) -> ScreeningOutcome:
    started = time.perf_counter()
    if state is None:
        raise NotReady("no restricted-party list is loaded yet; retry when the health check reports SERVING")
    policy = state.policy
    matches = state.matcher.find(query, options.list_ids, policy.review_threshold, options.max_matches)
    decision = decide(matches, policy, context)
    used = tuple(
        loaded for list_id, loaded in sorted(state.lists.items()) if not options.list_ids or list_id in options.list_ids
    )
    return ScreeningOutcome(
        screening_id=str(uuid.uuid4()),
        decision=decision,
        matches=tuple(matches),
        lists=used,
        policy_version=policy.version,
        matcher_version=state.matcher.algorithm,
        match_threshold=policy.match_threshold,
        review_threshold=policy.review_threshold,
        screened_at=datetime.now(UTC),
        latency_s=time.perf_counter() - started,
    )
