"""Screen one party: match it (and its owners) against the loaded lists, then decide.

Two steps, because dispositions live in Redis and the request path should only
ask Redis when there is something to ask about:

1. `find_all` (in memory): the party's matches, its owners' matches and any
   embargoed country or region in its addresses;
2. `conclude`: apply the reviewer dispositions fetched for those matches,
   decide by the policy, and write the explanation.

Four eyes (service/dispositions/store.py): a false positive clears a match
only once it is in force (not pending, not rejected, entry unchanged), and a
match at or above the match threshold only once a second reviewer approved
it. Every disposition that does not clear its match says why in the match's
note, so a reviewer sees that a clearance is waiting rather than missing.

`screen` does both for callers that already hold the dispositions (or have none).
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from service.decide.decision import Decision, OwnerScreening, ProducerScreening, decide
from service.decide.four_eyes import approval_required, clears
from service.decide.policy import Action
from service.decide.regions import FOUND_IN_ITEM, FOUND_IN_TRANSACTION, Origin, RegionHit
from service.dispositions.store import Disposition, DispositionKind, DispositionStatus, applies, needs_approval
from service.engine.by_identifier import identifier_matches
from service.engine.state import LoadedList, ScreeningState
from service.index.linking import EntryKey, Link
from service.match.result import MatchResult
from service.model import Direction, PartyQuery, QueryName, QueryNameSource, ScreenOptions, TransactionContext
from service.privacy import party_fingerprint
from service.refresh.diff import screening_fingerprint

# Owners are screened for the ownership rules only; a few matches each is plenty.
OWNER_MATCH_LIMIT = 3


class NotReady(Exception):
    """No list is loaded yet; the service cannot screen."""


@dataclass(frozen=True)
class ListUsed:
    loaded: LoadedList
    age: timedelta
    stale: bool


@dataclass(frozen=True)
class Found:
    """What step 1 found; step 2 turns it into a decision."""

    query: PartyQuery
    matches: tuple[MatchResult, ...]
    owners: tuple[OwnerScreening, ...]
    regions: tuple[RegionHit, ...]
    day: date
    started: float  # perf_counter at the start, for the latency
    # The party's fingerprint: what dispositions, logs and audit records key on.
    fingerprint: str
    # The items' producers and their matches (those with none included).
    producers: tuple[ProducerScreening, ...] = ()
    # What the caller should know about its input: an identifier whose check digit fails, one equal
    # to a listed identifier of another kind.
    warnings: tuple[str, ...] = ()

    @property
    def keys(self) -> list[EntryKey]:
        """The (list, entry) pairs whose dispositions could change the outcome."""
        return list(dict.fromkeys((m.list_id, m.entry.entry_id) for m in self.matches))


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
    party_fingerprint: str = ""
    summary: str = ""
    # Matches a false-positive disposition suppresses, with that disposition.
    suppressed: tuple[tuple[MatchResult, Disposition], ...] = ()
    owners: tuple[OwnerScreening, ...] = ()
    producers: tuple[ProducerScreening, ...] = ()
    # (list, entry) -> a note on a disposition that confirms the match or does not clear it (and why).
    disposition_notes: dict[tuple[str, str], str] = field(default_factory=dict)
    # The dispositions that were applied (suppressions and confirmations), for the audit trail.
    dispositions_applied: tuple[Disposition, ...] = ()


def find_all(
    state: ScreeningState | None, query: PartyQuery, context: TransactionContext, options: ScreenOptions
) -> Found:
    started = time.perf_counter()
    if state is None:
        raise NotReady("no restricted-party list is loaded yet; retry when the health check reports SERVING")
    policy = state.policy
    matches = state.matcher.find(query, options.list_ids, policy.review_threshold, options.max_matches)
    matches, warnings = identifier_matches(state, query, matches, options.list_ids)
    owners = tuple(
        OwnerScreening(
            owner,
            tuple(
                state.matcher.find(
                    PartyQuery(
                        names=(QueryName(owner.name, QueryNameSource.NAME),),
                        entity_type=owner.entity_type,
                        countries=(owner.country,) if owner.country else (),
                    ),
                    options.list_ids,
                    policy.review_threshold,
                    OWNER_MATCH_LIMIT,
                )
            ),
        )
        for owner in query.owners
    )
    day = datetime.now(UTC).date()
    # The transaction's destination country (where an export goes) counts as a country; its
    # origin (and the items') is checked with the places of origin below.
    destination = context.destination_country if context.direction is not Direction.IMPORT else ""
    regions: tuple[RegionHit, ...] = ()
    if state.regions:
        regions = tuple(state.regions.hits(query.addresses, day, [("destination", destination)] if destination else []))
        origins = _origins(context)
        if origins:
            regions += tuple(state.regions.origin_hits(origins, day))
    producers = _screen_producers(state, context, options) if context.items else ()
    return Found(
        query, tuple(matches), owners, regions, day, started, party_fingerprint(query), producers, tuple(warnings)
    )


def _origins(context: TransactionContext) -> list[Origin]:
    """Where the goods come from: the transaction's origin and each item's and input's."""
    origins = []
    if context.origin_country or context.origin_region or context.origin_place:
        # An export's origin country is where the exporter ships from: it places an origin
        # region or place, but is not itself an embargoed origin (as before items had origins).
        origins.append(
            Origin(
                "", FOUND_IN_TRANSACTION, "", context.origin_country, context.origin_region,
                context.origin_place, country_counts=context.direction is not Direction.EXPORT,
            )
        )  # fmt: skip
    for goods in context.goods:
        addresses = goods.producer.addresses if goods.producer is not None else ()
        if goods.origin_country or goods.origin_region or goods.origin_place or addresses:
            origins.append(
                Origin(
                    goods.label, FOUND_IN_ITEM, goods.path, goods.origin_country, goods.origin_region,
                    goods.origin_place, addresses,
                )
            )  # fmt: skip
    return origins


def _screen_producers(
    state: ScreeningState, context: TransactionContext, options: ScreenOptions
) -> tuple[ProducerScreening, ...]:
    """Each item's and input's producer, matched against the lists the policy has producer rules for."""
    matcher = state.producer_matcher
    if matcher is None:
        return ()
    threshold = state.policy.review_threshold
    found: dict[PartyQuery, tuple[MatchResult, ...]] = {}  # one producer of many items is matched once
    screenings = []
    for goods in context.goods:
        if goods.producer is None:
            continue
        matches = found.get(goods.producer)
        if matches is None:
            matches = tuple(matcher.find(goods.producer, options.list_ids, threshold, OWNER_MATCH_LIMIT))
            found[goods.producer] = matches
        screenings.append(ProducerScreening(goods, goods.producer, matches))
    return tuple(screenings)


# Screening ids: random (version 4) UUIDs from a generator seeded once per process from
# os.urandom. They must be unique, not secret, and a system call per id is a measurable
# share of a batch item. Reseeded in a forked child, which would otherwise repeat its parent's ids.
_ids: tuple[int, random.Random] | None = None
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def new_screening_id() -> str:
    """A random version 4 UUID in its usual text form ("1b4e28ba-2fa1-41d2-883f-0016d3cca427")."""
    global _ids
    pid = os.getpid()
    if _ids is None or _ids[0] != pid:
        _ids = (pid, random.Random(os.urandom(32)))
    text = f"{(_ids[1].getrandbits(128) & _VERSION_MASK) | _VERSION_BITS:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def conclude(
    state: ScreeningState,
    found: Found,
    context: TransactionContext,
    options: ScreenOptions,
    dispositions: Mapping[EntryKey, Disposition] | None = None,
) -> ScreeningOutcome:
    policy = state.policy
    kept: list[MatchResult] = []
    suppressed: list[tuple[MatchResult, Disposition]] = []
    notes: dict[EntryKey, str] = {}
    applied: list[Disposition] = []
    for match in found.matches:
        key = (match.list_id, match.entry.entry_id)
        disposition = (dispositions or {}).get(key)
        if disposition is None or disposition.revoked:  # a revoked verdict is no verdict
            kept.append(match)
            continue
        entry_hash = screening_fingerprint(match.entry)
        if clears(disposition, match.list_id, match.entry, entry_hash, match.score, policy, found.day):
            suppressed.append((match, disposition))
            applied.append(disposition)
            continue
        required_now = ""
        if needs_approval(disposition) and disposition.status is DispositionStatus.ACTIVE:
            required_now = approval_required(policy, match.list_id, match.entry, found.day)
        notes[key] = disposition_note(disposition, entry_hash, match.score, policy.match_threshold, required_now)
        if disposition.kind is DispositionKind.CONFIRMED_MATCH and applies(disposition, entry_hash):
            applied.append(disposition)
        kept.append(match)
    decision = decide(
        kept, policy, context, day=found.day, regions=found.regions, owners=found.owners, links=state.links,
        producers=found.producers, sectors=state.sectors,
    )  # fmt: skip
    now = datetime.now(UTC)
    used, warnings = _lists_used(state, options.list_ids, now)
    screening_id = new_screening_id()
    also_listed = {key: state.links[key] for m in kept if (key := (m.list_id, m.entry.entry_id)) in state.links}
    return ScreeningOutcome(
        screening_id=screening_id,
        decision=decision,
        matches=tuple(kept),
        also_listed=also_listed,
        lists=used,
        warnings=found.warnings + warnings,
        policy_version=policy.version,
        matcher_version=state.matcher.algorithm,
        match_threshold=policy.match_threshold,
        review_threshold=policy.review_threshold,
        screened_at=now,
        latency_s=time.perf_counter() - found.started,
        party_fingerprint=found.fingerprint,
        summary=summary_text(found.query, context, decision, kept, suppressed, used, policy.version, screening_id, now),
        suppressed=tuple(suppressed),
        owners=found.owners,
        producers=found.producers,
        disposition_notes=notes,
        dispositions_applied=tuple(applied),
    )


def disposition_note(
    disposition: Disposition, entry_hash: str, score: float, match_threshold: float, required_now: str = ""
) -> str:
    """What a kept match says about its (non-revoked) disposition: a confirmation, or why it clears nothing.

    `required_now`: why today's policy wants a second reviewer for an unapproved false positive, if it does.
    """
    when = disposition.recorded_at.date().isoformat()
    recorded = f"{disposition.kind.value.replace('_', ' ')} recorded by {disposition.reviewer} on {when}"
    # The entry first: once it has changed, no approval can revive the disposition; only a new one will do.
    if disposition.entry_hash != entry_hash:
        return f"{recorded} no longer applies: the listed entry has changed since"
    if disposition.kind is DispositionKind.CONFIRMED_MATCH:
        return f"confirmed as a match by {disposition.reviewer} on {when}: {disposition.reason}"
    if disposition.status is DispositionStatus.PENDING:
        return f"{recorded} is pending a second reviewer's approval"
    if disposition.status is DispositionStatus.REJECTED:
        return f"{recorded} was rejected by {disposition.rejected_by}: {disposition.rejection_note}"
    if required_now:
        return f"{recorded} does not clear this match until a second reviewer approves it ({required_now})"
    return (
        f"{recorded} does not clear this match (score {score:.2f}): clearing a match scoring >= "
        f"{match_threshold:.2f} needs a second reviewer's approval"
    )


def screen(
    state: ScreeningState | None,
    query: PartyQuery,
    context: TransactionContext,
    options: ScreenOptions,
    dispositions: Mapping[EntryKey, Disposition] | None = None,
) -> ScreeningOutcome:
    found = find_all(state, query, context, options)
    assert state is not None  # find_all raised NotReady otherwise
    return conclude(state, found, context, options, dispositions)


# ----------------------------------------------------------------- explanation

# Reasons spelled out in the summary; the rest are counted (all are in `reasons`).
SUMMARY_REASONS = 4


def summary_text(
    query: PartyQuery,
    context: TransactionContext,
    decision: Decision,
    matches: Sequence[MatchResult],
    suppressed: Sequence[tuple[MatchResult, Disposition]],
    lists: Sequence[ListUsed],
    policy_version: str,
    screening_id: str,
    now: datetime,
) -> str:
    """One paragraph for a case file: decision, what matched, lists and dates, rules, legal basis, next step."""
    if query.names:
        name = query.names[0].value
    else:  # screened by identifier alone
        name = ", ".join(f"{identifier.named} {identifier.value}" for identifier in query.identifiers)
    direction = context.direction.value
    parts = [
        (
            f"Decision {decision.action.name} for {'an' if direction[0] in 'aeiou' else 'a'} {direction} transaction "
            f"with '{name}' (screening {screening_id}, {now.isoformat(sep=' ', timespec='seconds').removesuffix('+00:00')} UTC)."
        )
    ]
    # One party on several lists is said once, before its reasons.
    listings: dict[str, list[str]] = {}
    for reason in decision.reasons:
        if reason.group and f"{reason.list_id} {reason.entry_id}" not in listings.setdefault(reason.group, []):
            listings[reason.group].append(f"{reason.list_id} {reason.entry_id}")
    for members in listings.values():
        if len(members) > 1:
            parts.append(f"One party is listed as {', '.join(members[:-1])} and {members[-1]}.")
    shown = [reason for reason in decision.reasons if reason.action > Action.CLEAR] or list(decision.reasons)
    for reason in shown[:SUMMARY_REASONS]:
        basis = reason.citation or reason.legal_basis
        parts.append(reason.text + (f" Basis: {basis}." if basis else "") + f" Next step: {reason.next_step}")
    if len(shown) > SUMMARY_REASONS:
        parts.append(f"{len(shown) - SUMMARY_REASONS} further reason(s) are listed in the response.")
    if not decision.reasons:
        parts.append("No listed party matched at or above the review threshold, and no embargoed address was found.")
    if suppressed:
        parts.append(
            "Suppressed as false positives by earlier review: "
            + ", ".join(f"{m.list_id} entry {m.entry.entry_id} ({_cleared_by(d)})" for m, d in suppressed)
            + "."
        )
    involved = {m.list_id for m in matches} or {used.loaded.meta.list_id for used in lists}
    versions = [
        f"{used.loaded.meta.list_id} {used.loaded.meta.version}"
        + (f" (data of {used.loaded.meta.data_date.isoformat()})" if used.loaded.meta.data_date else "")
        + (" STALE" if used.stale else "")
        for used in lists
        if used.loaded.meta.list_id in involved
    ]
    parts.append(f"Lists: {'; '.join(versions)}. Policy {policy_version}.")
    return " ".join(parts)


def _cleared_by(disposition: Disposition) -> str:
    """Who cleared it: the reviewer, and the second reviewer when there was one."""
    text = f"by {disposition.reviewer}, {disposition.recorded_at.date().isoformat()}"
    if disposition.approved_by:
        text += f"; approved by {disposition.approved_by}"
        if disposition.approved_at is not None:
            text += f", {disposition.approved_at.date().isoformat()}"
    return text


# ----------------------------------------------------------------- list ages

# The list ages of the last second, reused: every request in that second reports the
# same ones (ages are whole seconds in the response), and computing them for every
# list on every request is a measurable share of a sub-millisecond screening. The
# state is held weakly, so a replaced state is not kept alive by this cache.
_lists_used_cache: (
    tuple[weakref.ref[ScreeningState], int, frozenset[str], tuple[ListUsed, ...], tuple[str, ...]] | None
) = None


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
