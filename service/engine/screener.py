"""Screen one party: match against the loaded lists, then decide."""

from __future__ import annotations

import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.decide.decision import Decision, decide
from service.engine.state import LoadedList, ScreeningState
from service.index.linking import Link
from service.match.result import MatchResult
from service.model import PartyQuery, ScreenOptions, TransactionContext


class NotReady(Exception):
    """No list is loaded yet; the service cannot screen."""


@dataclass(frozen=True)
class ListUsed:
    loaded: LoadedList
    age: timedelta
    stale: bool


@dataclass(frozen=True)
class ScreeningOutcome:
    screening_id: str
    decision: Decision
    matches: tuple[MatchResult, ...]
    # The same party's listings on other lists, for each matched entry.
    also_listed: dict[tuple[str, str], tuple[Link, ...]]
    lists: tuple[ListUsed, ...]
    warnings: tuple[str, ...]
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
    now = datetime.now(UTC)
    used, warnings = _lists_used(state, options.list_ids, now)
    return ScreeningOutcome(
        screening_id=str(uuid.uuid4()),
        decision=decision,
        matches=tuple(matches),
        also_listed={
            key: state.links[key] for m in matches if (key := (m.list_id, m.entry.entry_id)) in state.links
        },
        lists=used,
        warnings=warnings,
        policy_version=policy.version,
        matcher_version=state.matcher.algorithm,
        match_threshold=policy.match_threshold,
        review_threshold=policy.review_threshold,
        screened_at=now,
        latency_s=time.perf_counter() - started,
    )


# The list ages of the last second, reused: every request in that second reports the
# same ones (ages are whole seconds in the response), and computing them for every
# list on every request is a measurable share of a sub-millisecond screening. The
# state is held weakly, so a replaced state is not kept alive by this cache.
_lists_used_cache: tuple[weakref.ref[ScreeningState], int, frozenset[str], tuple[ListUsed, ...], tuple[str, ...]] | None = None


def _lists_used(
    state: ScreeningState, list_ids: frozenset[str], now: datetime
) -> tuple[tuple[ListUsed, ...], tuple[str, ...]]:
    """(the lists this screening used with their age and staleness, staleness warnings)."""
    global _lists_used_cache
    second = int(now.timestamp())
    cached = _lists_used_cache
    if cached is not None and cached[0]() is state and cached[1] == second and cached[2] == list_ids:
        return cached[3], cached[4]
    start_of_second = datetime.fromtimestamp(second, UTC)
    used = tuple(
        ListUsed(loaded, state.age(list_id, start_of_second), state.is_stale(list_id, start_of_second))
        for list_id, loaded in sorted(state.lists.items())
        if not list_ids or list_id in list_ids
    )
    warnings = tuple(
        f"{item.loaded.meta.list_id} was last confirmed current {_days(item.age)} ago, beyond its maximum age of "
        f"{_days(item.loaded.max_age)}: this decision may miss recent listings"
        for item in used
        if item.stale
    )
    _lists_used_cache = (weakref.ref(state), second, list_ids, used, warnings)
    return used, warnings


def _days(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"
