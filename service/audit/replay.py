"""`screening audit replay ID`: screen a recorded party again against the list versions it was screened on.

The list versions come from Redis (the last versions of each list are kept for
exactly this); the policy and matcher are today's, and the report says when they
differ from the recorded ones, since that alone can explain a different result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from service.api.gen import screening_pb2 as pb
from service.api.screening import screen_request
from service.audit.capture import dispositions_from_record, request_from_record
from service.audit.record import AuditRecord
from service.audit.trail import AuditTrail
from service.catalog import Catalog
from service.decide.policy import Policy
from service.engine.state import LoadedList, MatcherFactory, ScreeningState, build_default_matcher
from service.store.snapshots import SnapshotStore


class ReplayError(Exception):
    """The screening cannot be replayed (record or list version not found, party not kept)."""


@dataclass(frozen=True)
class ReplayReport:
    record: AuditRecord
    response: pb.ScreenResponse
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


async def load_recorded_lists(store: SnapshotStore, catalog: Catalog, record: AuditRecord) -> dict[str, LoadedList]:
    lists: dict[str, LoadedList] = {}
    now = datetime.now(UTC)
    for list_id, version in sorted(record.list_versions.items()):
        meta = await store.meta(list_id, version)
        if meta is None:
            raise ReplayError(
                f"list {list_id} version {version} of screening {record.screening_id} is no longer kept in Redis "
                "(only the last versions of each list are), so the screening cannot be replayed exactly"
            )
        entries = tuple(await store.load_entries(list_id, version))
        # A replay judges the decision, not the list's age today: a list missing from
        # today's catalogue gets an age limit that never marks it stale.
        max_age = catalog.get(list_id).max_age_delta if list_id in catalog.lists else timedelta(days=36500)
        lists[list_id] = LoadedList(meta, entries, now, max_age)
    return lists


def compare(record: AuditRecord, response: pb.ScreenResponse) -> list[str]:
    """What differs between the recorded screening and the replay: decision, matches, reasons."""
    differences = []
    replayed_decision = pb.Decision.Name(response.decision).removeprefix("DECISION_")
    if replayed_decision != record.decision:
        differences.append(f"decision: recorded {record.decision}, replayed {replayed_decision}")
    recorded_matches = {(m.list_id, m.entry_id): m for m in record.matches if not m.suppressed_by}
    replayed_matches = {(m.list_id, m.entry_id): m for m in response.matches}
    for key in sorted(recorded_matches.keys() - replayed_matches.keys()):
        differences.append(f"match {key[0]}/{key[1]} recorded, not found in the replay")
    for key in sorted(replayed_matches.keys() - recorded_matches.keys()):
        differences.append(f"match {key[0]}/{key[1]} found in the replay, not recorded")
    for key in sorted(recorded_matches.keys() & replayed_matches.keys()):
        before, after = recorded_matches[key].score, replayed_matches[key].score
        if abs(before - after) > 1e-6:
            differences.append(f"match {key[0]}/{key[1]}: score recorded {before:.4f}, replayed {after:.4f}")
    recorded_suppressed = {(m.list_id, m.entry_id) for m in record.matches if m.suppressed_by}
    replayed_suppressed = {(s.match.list_id, s.match.entry_id) for s in response.suppressed}
    if recorded_suppressed != replayed_suppressed:
        differences.append(
            f"suppressed: recorded {sorted(recorded_suppressed)}, replayed {sorted(replayed_suppressed)}"
        )
    recorded_reasons = sorted((r.code, r.rule_id, r.list_id, r.entry_id) for r in record.reasons)
    replayed_reasons = sorted((r.code, r.rule_id, r.list_id, r.entry_id) for r in response.reasons)
    if recorded_reasons != replayed_reasons:
        differences.append(f"reasons: recorded {recorded_reasons}, replayed {replayed_reasons}")
    return differences


async def replay(
    screening_id: str,
    trail: AuditTrail,
    store: SnapshotStore,
    catalog: Catalog,
    policy: Policy,
    audit_dir: Path | None,
    matcher_factory: MatcherFactory = build_default_matcher,
) -> ReplayReport:
    record = await trail.find(screening_id, audit_dir)
    if record is None:
        raise ReplayError(f"no audit record for screening {screening_id} in Redis or under {audit_dir}")
    return await replay_record(record, store, catalog, policy, matcher_factory=matcher_factory)


async def replay_record(
    record: AuditRecord,
    store: SnapshotStore,
    catalog: Catalog,
    policy: Policy,
    serving: ScreeningState | None = None,
    matcher_factory: MatcherFactory = build_default_matcher,
) -> ReplayReport:
    """Screen `record`'s party again on its list versions. Raises NotReplayable or ReplayError.

    `serving`: a server's current state, used as it is when it holds exactly the recorded
    versions (a recent screening: no index to build). Otherwise the recorded versions are
    read from Redis and indexed in a worker thread, which takes seconds for the full lists.
    """
    request = request_from_record(record)
    if serving is not None and serving.versions == record.list_versions and serving.policy.version == policy.version:
        state = serving
    else:
        lists = await load_recorded_lists(store, catalog, record)
        state = await asyncio.to_thread(ScreeningState.build, lists, policy, matcher_factory)
    dispositions = {(d.list_id, d.entry_id): d for d in dispositions_from_record(record)}
    response = screen_request(request, state, set(state.lists), dispositions)
    notes = []
    if policy.version != record.policy_version:
        notes.append(f"policy changed since: recorded {record.policy_version}, now {policy.version}")
    if state.matcher.algorithm != record.matcher_version:
        notes.append(f"matcher changed since: recorded {record.matcher_version}, now {state.matcher.algorithm}")
    return ReplayReport(record, response, compare(record, response), notes)


# Day files a lookup reads without a day named, and lookups one process runs at once.
LOOKUP_DAYS = 31
MAX_LOOKUPS = 2


class ReplayBusy(Exception):
    """Another replay is building its lists' index in this process; try again shortly."""


class Replays:
    """A server's audit lookups and replays (GetScreening, ReplayScreening).

    A lookup reads the Redis buffer (the newest 100,000 records) and then day files: those of the
    last LOOKUP_DAYS days, or of the day the caller names. An id nobody recorded costs the whole
    scan, so a process runs MAX_LOOKUPS at a time and the others wait their turn.

    A replay on the versions being served costs one screening. One on older versions builds
    their index in a worker thread, seconds of CPU that the screenings share, so a process runs
    one such build at a time and refuses a second (ReplayBusy) rather than queueing them.
    """

    def __init__(
        self,
        trail: AuditTrail,
        store: SnapshotStore,
        catalog: Catalog,
        policy: Policy,
        audit_dir: Path | None,
        serving: Callable[[], ScreeningState | None],
    ) -> None:
        self._trail = trail
        self._store = store
        self._catalog = catalog
        self._policy = policy
        self._audit_dir = audit_dir
        self._serving = serving
        self._building = asyncio.Lock()
        self._lookups = asyncio.Semaphore(MAX_LOOKUPS)

    async def find(self, screening_id: str, screened_on: date | None = None) -> AuditRecord | None:
        if screened_on is not None:
            first_day = last_day = screened_on
        else:
            last_day = datetime.now(UTC).date()
            first_day = last_day - timedelta(days=LOOKUP_DAYS)
        async with self._lookups:
            return await self._trail.find(screening_id, self._audit_dir, first_day=first_day, last_day=last_day)

    async def replay(self, record: AuditRecord) -> ReplayReport:
        """Raises NotReplayable, ReplayError or ReplayBusy."""
        serving = self._serving()
        if serving is not None and serving.versions == record.list_versions:
            return await replay_record(record, self._store, self._catalog, self._policy, serving)
        if self._building.locked():
            raise ReplayBusy("another replay is indexing older list versions in this server; try again in a minute")
        async with self._building:
            return await replay_record(record, self._store, self._catalog, self._policy)
