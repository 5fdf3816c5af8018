"""Domain results -> protobuf messages (one direction only; validation does the other)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import overload

import msgspec
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from service.api.gen import screening_pb2 as pb
from service.api.registration import DIRECTION_VALUES
from service.audit.record import AuditRecord
from service.audit.record import encode as audit_encode
from service.catalog import ListSpec
from service.decide.decision import Reason
from service.decide.policy import Action
from service.dispositions.reviews import ReviewMatch, ReviewRecord
from service.dispositions.store import Disposition, DispositionKind, DispositionStatus
from service.engine.screener import ListUsed, ScreeningOutcome
from service.index.linking import Link
from service.match.result import MatchResult
from service.model import NameKind, QueryNameSource
from service.model.entry import AliasStrength
from service.refresh.changes import ChangePage
from service.refresh.diff import screening_fingerprint
from service.registry.store import PartyState, RegisteredParty
from service.rescreen.jobs import AlertRecord, JobInfo
from service.store.snapshots import ListStatusRecord, VersionMeta

DECISIONS = {
    Action.CLEAR: pb.DECISION_CLEAR,
    Action.REVIEW: pb.DECISION_REVIEW,
    Action.HOLD: pb.DECISION_HOLD,
    Action.BLOCK: pb.DECISION_BLOCK,
}
_NAME_KINDS = {
    NameKind.PRIMARY: pb.NAME_KIND_PRIMARY,
    NameKind.AKA: pb.NAME_KIND_AKA,
    NameKind.FKA: pb.NAME_KIND_FKA,
    NameKind.NKA: pb.NAME_KIND_NKA,
}
_STRENGTHS = {AliasStrength.STRONG: pb.ALIAS_STRENGTH_STRONG, AliasStrength.WEAK: pb.ALIAS_STRENGTH_WEAK}
DISPOSITION_KINDS = {
    DispositionKind.FALSE_POSITIVE: pb.DISPOSITION_KIND_FALSE_POSITIVE,
    DispositionKind.CONFIRMED_MATCH: pb.DISPOSITION_KIND_CONFIRMED_MATCH,
}
# A revoked disposition is REVOKED whatever its four-eyes status was (see disposition_to_proto).
DISPOSITION_STATUSES = {
    DispositionStatus.ACTIVE: pb.DISPOSITION_STATUS_ACTIVE,
    DispositionStatus.PENDING: pb.DISPOSITION_STATUS_PENDING,
    DispositionStatus.REJECTED: pb.DISPOSITION_STATUS_REJECTED,
}
_QUERY_SOURCES = {
    QueryNameSource.NAME: pb.QUERY_NAME_SOURCE_NAME,
    QueryNameSource.ALTERNATIVE_NAME: pb.QUERY_NAME_SOURCE_ALTERNATIVE_NAME,
}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# Both by hand: protobuf's FromDatetime/FromTimedelta are pure Python and cost more than
# the rest of a response's scalars together (every screening carries one of each).
@overload
def timestamp(moment: datetime) -> Timestamp: ...
@overload
def timestamp(moment: datetime | None) -> Timestamp | None: ...
def timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    since = moment - _EPOCH if moment.tzinfo is not None else moment.replace(tzinfo=UTC) - _EPOCH
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def duration(delta: timedelta) -> Duration:
    # Seconds and nanos carry the same sign (google.protobuf.Duration).
    seconds, micros = divmod(abs(delta // _MICROSECOND), 1_000_000)
    sign = -1 if delta < timedelta(0) else 1
    return Duration(seconds=sign * seconds, nanos=sign * micros * 1000)


def duration_of_seconds(seconds: float) -> Duration:
    """duration(timedelta(seconds=seconds)) without the timedelta (a latency on every response)."""
    return duration(timedelta(seconds=seconds)) if seconds < 0 else _duration_of_micros(round(seconds * 1_000_000))


def _duration_of_micros(micros: int) -> Duration:
    whole, rest = divmod(micros, 1_000_000)
    return Duration(seconds=whole, nanos=rest * 1000)


@lru_cache(maxsize=256)
def _list_version_template(meta: VersionMeta) -> pb.ListVersion:
    """The per-version part of a ListVersion, built once: datetime conversions are slow."""
    return pb.ListVersion(
        list_id=meta.list_id,
        version=meta.version,
        published_at=timestamp(meta.published_at or meta.fetched_at),
        data_date=meta.data_date.isoformat() if meta.data_date else "",
    )


def _list_version(meta: VersionMeta, stale: bool, age: timedelta) -> pb.ListVersion:
    version = pb.ListVersion()
    version.CopyFrom(_list_version_template(meta))
    version.stale = stale
    seconds = int(age.total_seconds())
    version.age.seconds = seconds
    version.age.nanos = age.microseconds * 1000 if seconds >= 0 else 0
    return version


# The screener hands out the same `lists` tuple for every request within a second;
# its messages are built once for all of them.
_last_list_versions: tuple[tuple[ListUsed, ...], list[pb.ListVersion]] | None = None


def _list_versions(lists: tuple[ListUsed, ...]) -> list[pb.ListVersion]:
    global _last_list_versions
    last = _last_list_versions
    if last is not None and last[0] is lists:
        return last[1]
    versions = [_list_version(used.loaded.meta, used.stale, used.age) for used in lists]
    _last_list_versions = (lists, versions)
    return versions


def match_to_proto(
    match: MatchResult,
    match_threshold: float,
    review_threshold: float,
    also_listed: tuple[Link, ...] = (),
    disposition_note: str = "",
) -> pb.Match:
    entry = match.entry
    explanation = match.explanation
    return pb.Match(
        disposition_note=disposition_note,
        list_id=match.list_id,
        entry_id=entry.entry_id,
        listed_name=match.listed_name.value,
        listed_name_kind=_NAME_KINDS[match.listed_name.kind],
        alias_strength=_STRENGTHS[match.listed_name.strength],
        query_name=match.query_name.value,
        query_name_source=_QUERY_SOURCES[match.query_name.source],
        score=match.score,
        entry=pb.ListedEntry(
            primary_name=entry.primary_name,
            entity_type=entry.entity_type.value,
            programs=entry.programs,
            countries=entry.countries,
            dates_of_birth=entry.dates_of_birth,
            nationalities=entry.nationalities,
            aliases=[name.value for name in entry.names[1:]],
            remarks=entry.remarks,
            federal_register_notice=entry.federal_register_notice,
            start_date=entry.start_date,
            license_requirement=entry.license_requirement,
            license_policy=entry.license_policy,
            source_url=entry.source_url,
            list_version=match.list_version,
            citizenships=entry.citizenships,
            tags=entry.tags,
            status=entry.status,
            merchandise=entry.merchandise,
            hs_codes=entry.hs_codes,
            identifiers=[
                f"{i.type} {i.value}" + (f" ({i.country or i.country_name})" if i.country or i.country_name else "")
                for i in entry.identifiers
            ],
        ),
        explanation=pb.MatchExplanation(
            algorithm=explanation.algorithm,
            normalized_query=explanation.normalized_query,
            normalized_listed=explanation.normalized_listed,
            alignment=[
                pb.TokenAlignment(
                    query_token=pair.query_token,
                    listed_token=pair.listed_token,
                    similarity=pair.similarity,
                    method=pair.method,
                    weight=pair.weight,
                )
                for pair in explanation.alignment
            ],
            name_score=explanation.name_score,
            adjustments=[
                pb.ScoreAdjustment(factor=a.factor, delta=a.delta, detail=a.detail) for a in explanation.adjustments
            ],
            final_score=explanation.final_score,
            match_threshold=match_threshold,
            review_threshold=review_threshold,
            text=explanation.text,
        ),
        also_listed_on=[
            pb.LinkedListing(list_id=l.list_id, entry_id=l.entry_id, listed_name=l.listed_name, evidence=l.evidence)
            for l in also_listed
        ],
    )


def disposition_to_proto(disposition: Disposition) -> pb.Disposition:
    return pb.Disposition(
        subject=disposition.subject,
        list_id=disposition.list_id,
        entry_id=disposition.entry_id,
        kind=DISPOSITION_KINDS[disposition.kind],
        reason=disposition.reason,
        reviewer=disposition.reviewer,
        recorded_at=timestamp(disposition.recorded_at),
        version=disposition.version,
        revoked=disposition.revoked,
        revoked_by=disposition.revoked_by,
        revoked_at=timestamp(disposition.revoked_at),
        revoke_reason=disposition.revoke_reason,
        entry_hash=disposition.entry_hash,
        screening_id=disposition.screening_id,
        status=pb.DISPOSITION_STATUS_REVOKED if disposition.revoked else DISPOSITION_STATUSES[disposition.status],
        approval_required=disposition.approval_required,
        reviewer_name=disposition.reviewer_name,
        approved_by=disposition.approved_by,
        approved_at=timestamp(disposition.approved_at),
        approval_note=disposition.approval_note,
        rejected_by=disposition.rejected_by,
        rejected_at=timestamp(disposition.rejected_at),
        rejection_note=disposition.rejection_note,
    )


def reason_to_proto(reason: Reason) -> pb.Reason:
    return pb.Reason(
        decision=DECISIONS[reason.action],
        code=reason.code,
        list_id=reason.list_id,
        entry_id=reason.entry_id,
        rule_id=reason.rule_id,
        legal_basis=reason.legal_basis,
        next_step=reason.next_step,
        text=reason.text,
        citation=reason.citation,
        subject=reason.subject,
        group=reason.group,
    )


def outcome_to_proto(outcome: ScreeningOutcome, request_id: str, party_reference: str) -> pb.ScreenResponse:
    thresholds = (outcome.match_threshold, outcome.review_threshold)
    return pb.ScreenResponse(
        screening_id=outcome.screening_id,
        request_id=request_id,
        party_reference=party_reference,
        decision=DECISIONS[outcome.decision.action],
        reasons=[reason_to_proto(reason) for reason in outcome.decision.reasons],
        matches=[
            match_to_proto(
                m,
                *thresholds,
                outcome.also_listed.get((m.list_id, m.entry.entry_id), ()),
                outcome.disposition_notes.get((m.list_id, m.entry.entry_id), ""),
            )
            for m in outcome.matches
        ],
        list_versions=_list_versions(outcome.lists),
        warnings=outcome.warnings,
        policy_version=outcome.policy_version,
        matcher_version=outcome.matcher_version,
        screened_at=timestamp(outcome.screened_at),
        server_latency=duration_of_seconds(outcome.latency_s),
        summary=outcome.summary,
        suppressed=[
            pb.SuppressedMatch(match=match_to_proto(m, *thresholds), disposition=disposition_to_proto(d))
            for m, d in outcome.suppressed
        ],
        owner_matches=[
            pb.OwnerMatch(
                owner_name=s.owner.name, share_percent=s.owner.share_percent, match=match_to_proto(m, *thresholds)
            )
            for s in outcome.owners
            for m in s.matches
        ],
        party_fingerprint=outcome.party_fingerprint,
        producer_matches=[
            pb.ProducerMatch(
                path=s.path, item_index=s.item.item_index, producer_name=s.name, match=match_to_proto(m, *thresholds)
            )
            for s in outcome.producers
            for m in s.matches
        ],
    )


def list_status_to_proto(
    spec: ListSpec,
    meta: VersionMeta | None,
    record: ListStatusRecord,
    loaded_version: str | None,
    now: datetime,
) -> pb.ListStatus:
    status = pb.ListStatus(
        list_id=spec.id,
        name=spec.name,
        publisher=spec.publisher,
        last_error=record.last_error,
        max_age=duration(spec.max_age_delta),
    )
    if record.last_attempt_at:
        status.last_attempt_at.CopyFrom(timestamp(record.last_attempt_at))
    if meta is None:
        status.state = pb.LIST_STATE_NOT_LOADED
        return status
    # Age counts from the last time the publisher's data was confirmed (published
    # or found unchanged), not from the data date: a list that has not changed in
    # a week but was checked an hour ago is current.
    confirmed_at = max(filter(None, (record.last_success_at, meta.fetched_at)))
    age = max(now - confirmed_at, timedelta(0))
    failed_since_success = bool(record.last_error) and (
        record.last_success_at is None or (record.last_attempt_at or now) > record.last_success_at
    )
    if failed_since_success:
        status.state = pb.LIST_STATE_UPDATE_FAILED
    elif age > spec.max_age_delta:
        status.state = pb.LIST_STATE_STALE
    else:
        status.state = pb.LIST_STATE_CURRENT
    status.version = meta.version
    status.entry_count = meta.entry_count
    status.source = meta.origin
    status.notes.extend(meta.notes)
    status.fetched_at.CopyFrom(timestamp(meta.fetched_at))
    status.confirmed_at.CopyFrom(timestamp(confirmed_at))
    if meta.published_at:
        status.published_at.CopyFrom(timestamp(meta.published_at))
    if meta.data_date:
        status.data_date = meta.data_date.isoformat()
    status.age.CopyFrom(duration(age))
    status.loaded = loaded_version == meta.version
    return status


def job_to_proto(info: JobInfo) -> pb.Job:
    return pb.Job(
        job_id=info.job_id, kind=info.kind, state=info.state, list_id=info.list_id, version=info.version,
        shards_total=info.shards_total, shards_done=info.shards_done, parties_screened=info.parties_screened,
        alerts=info.alerts, created_at=timestamp(info.created_at), finished_at=timestamp(info.finished_at),
        shards_failed=info.shards_failed, error=info.error,
    )  # fmt: skip


def registered_party_to_proto(party: RegisteredParty, state: PartyState | None, queued: bool) -> pb.RegisteredParty:
    answer = pb.RegisteredParty(
        party=pb.Party.FromString(party.party), direction=DIRECTION_VALUES.get(party.direction, pb.DIRECTION_UNSPECIFIED),
        screening_queued=queued,
    )  # fmt: skip
    if state is not None:
        answer.decision = DECISIONS[Action[state.decision]]
        answer.alerted.extend(
            pb.AlertedEntry(
                list_id=a.list_id,
                entry_id=a.entry_id,
                score=a.score,
                decision=DECISIONS[Action[a.decision]],
                listed_name=a.listed_name,
            )
            for a in state.alerts
        )
        if state.screened_at:
            answer.state_since.CopyFrom(timestamp(datetime.fromisoformat(state.screened_at)))
    return answer


_ALERT_DECODER = msgspec.json.Decoder(AlertRecord)


def alert_to_proto(alert_id: str, raw: bytes) -> pb.Alert:
    record = _ALERT_DECODER.decode(raw)
    return pb.Alert(
        alert_id=alert_id,
        party_reference=record.reference,
        decision=DECISIONS[Action[record.decision]],
        previous_decision=DECISIONS[Action[record.previous_decision]],
        entries=[
            pb.AlertEntry(list_id=l, entry_id=e, listed_name=n, score=sc, change=ch, decision=DECISIONS[Action[d]])
            for l, e, n, sc, ch, d in record.entries
        ],
        job_id=record.job_id,
        text=record.text,
        raised_at=timestamp(record.raised_at),
        list_versions=record.list_versions,
        policy_version=record.policy_version,
    )


def screening_record_to_proto(record: AuditRecord) -> pb.ScreeningRecord:
    return pb.ScreeningRecord(
        screening_id=record.screening_id,
        screened_at=timestamp(record.screened_at),
        caller=record.caller,
        decision=DECISIONS[Action[record.decision]],
        policy_version=record.policy_version,
        matcher_version=record.matcher_version,
        list_versions=record.list_versions,
        has_party_data=record.party is not None,
        record_json=audit_encode(record).decode(),
    )


def list_changes_to_proto(page: ChangePage) -> pb.ListChanges:
    counts = page.diff.counts
    return pb.ListChanges(
        list_id=page.diff.list_id,
        version=page.diff.version,
        previous_version=page.diff.previous_version or "",
        added=counts["added"],
        removed=counts["removed"],
        changed=counts["changed"],
        changes=[
            pb.ListChange(entry_id=c.entry_id, change=c.change, name=c.name, fields=c.fields) for c in page.changes
        ],
        next_offset=page.next_offset,
    )


def review_record(
    outcome: ScreeningOutcome,
    response: pb.ScreenResponse,
    subject: str,
    caller: str,
    request: pb.ScreenRequest,
    include_party: bool,
) -> ReviewRecord:
    """A screening for the review queue: its own (unsuppressed) matches, and whom they concern."""
    return ReviewRecord(
        screening_id=outcome.screening_id,
        screened_at=outcome.screened_at,
        caller=caller,
        decision=pb.Decision.Name(response.decision).removeprefix("DECISION_"),
        subject=subject,
        matches=tuple(
            ReviewMatch(m.list_id, m.entry.entry_id, screening_fingerprint(m.entry), m.listed_name.value, m.score)
            for m in outcome.matches
        ),
        party_name=request.party.name if include_party else "",
    )


def review_to_proto(review: ReviewRecord) -> pb.ReviewItem:
    return pb.ReviewItem(
        screening_id=review.screening_id,
        screened_at=timestamp(review.screened_at),
        caller=review.caller,
        decision=DECISIONS[Action[review.decision]],
        party_reference=review.subject.removeprefix("ref:") if review.subject.startswith("ref:") else "",
        party_fingerprint=review.subject.removeprefix("fp:") if review.subject.startswith("fp:") else "",
        party_name=review.party_name,
        matches=[
            pb.AlertedEntry(list_id=m.list_id, entry_id=m.entry_id, score=m.score, listed_name=m.listed_name)
            for m in review.matches
        ],
    )
