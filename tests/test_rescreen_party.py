"""How one registered party's state and alert follow a list update (pure logic, no Redis)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from service.api.gen import screening_pb2 as pb
from service.api.registration import registered_parties
from service.decide.policy import load_policy
from service.dispositions.store import Disposition, DispositionKind, DispositionStatus
from service.model import EntityType, Entry, Name
from service.refresh.diff import ListDiff, screening_fingerprint
from service.registry.store import Alerted, PartyState, RegisteredParty
from service.rescreen.engine import Delta, NearTokens, delta_matches, rescreen_party

POLICY = load_policy()


def entry(entry_id: str, name: str, programs: tuple[str, ...] = ("SDGT",), list_id: str = "ofac_sdn") -> Entry:
    return Entry(
        list_id=list_id, entry_id=entry_id, entity_type=EntityType.ORGANIZATION, names=(Name(name),), programs=programs
    )


def registered(reference: str, name: str) -> RegisteredParty:
    [record], errors = registered_parties([pb.Party(name=name, party_reference=reference)], "export")
    assert not errors
    return record


def delta(
    new_entries: list[Entry], added: tuple[str, ...] = (), changed: tuple[str, ...] = (), removed: tuple[str, ...] = ()
) -> Delta:
    diff = ListDiff("ofac_sdn", "v2", "v1", added, removed, changed)
    return Delta.build(diff, new_entries, "v2")


def alerted(e: Entry, decision: str = "BLOCK") -> Alerted:
    return Alerted(e.list_id, e.entry_id, screening_fingerprint(e), 1.0, decision)


def run(party: RegisteredParty, state: PartyState | None, d: Delta, dispositions: dict | None = None):  # type: ignore[no-untyped-def]
    matches = delta_matches(d, party, POLICY.review_threshold) or []
    return rescreen_party(
        party, state, matches, POLICY, dispositions or {}, scope="ofac_sdn",
        delta_ids=frozenset(d.entries), removed=frozenset(d.diff.removed), version="v2",
    )  # fmt: skip


def test_new_hit_raises_one_alert_and_sets_the_state() -> None:
    hikvision = entry("1", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.")
    state, alert = run(
        registered("BP-1", "Hangzhou Hikvision Digital Technology"), None, delta([hikvision], added=("1",))
    )
    assert alert is not None and (alert.decision, alert.previous_decision) == ("BLOCK", "CLEAR")
    assert [(c[0], c[1], c[4]) for c in alert.entries] == [("ofac_sdn", "1", "new")]
    assert (
        state.decision == "BLOCK"
        and [a.entry_id for a in state.alerts] == ["1"]
        and state.versions == {"ofac_sdn": "v2"}
    )


def test_unrelated_party_is_ruled_out_by_the_prefilter() -> None:
    d = delta([entry("1", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.")], added=("1",))
    assert delta_matches(d, registered("BP-2", "Pemberton Bakery Supplies"), POLICY.review_threshold) is None


def test_removed_entry_clears_the_alert_and_other_lists_stay() -> None:
    old_entry, other = entry("1", "HIKVISION"), entry("EL-9", "HIKVISION", (), "bis_entity")
    before = PartyState("BLOCK", (alerted(other, "HOLD"), alerted(old_entry)), {"ofac_sdn": "v1"})
    state, alert = run(registered("BP-1", "Hikvision"), before, delta([], removed=("1",)))
    assert alert is not None and [(c[1], c[4]) for c in alert.entries] == [("1", "cleared")]
    assert [(a.list_id, a.entry_id) for a in state.alerts] == [("bis_entity", "EL-9")]
    assert (state.decision, alert.decision, alert.previous_decision) == ("HOLD", "HOLD", "BLOCK")


def test_changed_entry_that_no_longer_matches_is_cleared_and_a_still_matching_one_is_changed() -> None:
    renamed = entry("1", "ZHEJIANG DAHUA TECHNOLOGY")
    before = PartyState("BLOCK", (Alerted("ofac_sdn", "1", "old-hash", 1.0, "BLOCK"),), {})
    _, alert = run(registered("BP-1", "Hikvision Digital Technology"), before, delta([renamed], changed=("1",)))
    assert alert is not None and [(c[1], c[4]) for c in alert.entries] == [("1", "cleared")]
    still = entry("1", "HIKVISION DIGITAL TECHNOLOGY", ("SDGT", "NPWMD"))
    state, alert = run(registered("BP-1", "Hikvision Digital Technology"), before, delta([still], changed=("1",)))
    assert alert is not None and [(c[1], c[4]) for c in alert.entries] == [("1", "changed")]
    assert state.alerts[0].entry_hash == screening_fingerprint(still)


def test_unchanged_state_raises_nothing() -> None:
    e = entry("1", "HIKVISION DIGITAL TECHNOLOGY")
    before = PartyState("BLOCK", (alerted(e),), {"ofac_sdn": "v1"})
    # The entry's screening fields did not change (same hash): nothing to say.
    _, alert = run(registered("BP-1", "Hikvision Digital Technology"), before, delta([e], changed=("1",)))
    assert alert is None


@pytest.mark.parametrize("same_hash", [True, False])
def test_false_positive_stays_quiet_until_the_entry_changes(same_hash: bool) -> None:
    e = entry("1", "HIKVISION DIGITAL TECHNOLOGY")
    disposition = Disposition(
        subject="ref:BP-1", list_id="ofac_sdn", entry_id="1",
        entry_hash=screening_fingerprint(e) if same_hash else "hash-of-the-old-entry",
        kind=DispositionKind.FALSE_POSITIVE, reason="Different company (Hikvision Bakery, Leeds).", reviewer="j.doe",
        recorded_at=datetime.now(UTC), version=2, approved_by="a.roe", approved_at=datetime.now(UTC),
    )  # fmt: skip
    state, alert = run(
        registered("BP-1", "Hikvision Digital Technology"),
        None,
        delta([e], changed=("1",)),
        {("ofac_sdn", "1"): disposition},
    )
    if same_hash:
        assert alert is None and state.alerts == ()
    else:
        assert alert is not None and [(c[1], c[4]) for c in alert.entries] == [("1", "re_raised")]
        assert state.decision == "BLOCK"


@pytest.mark.parametrize(
    "status, approved_by",
    [(DispositionStatus.PENDING, ""), (DispositionStatus.REJECTED, ""), (DispositionStatus.ACTIVE, "")],
)
def test_a_false_positive_without_a_second_reviewer_does_not_quiet_an_sdn_alert(
    status: DispositionStatus, approved_by: str
) -> None:
    """Four eyes hold in re-screening too: pending, rejected or unapproved, the SDN alert is an ordinary new one."""
    e = entry("1", "HIKVISION DIGITAL TECHNOLOGY")
    disposition = Disposition(
        subject="ref:BP-1", list_id="ofac_sdn", entry_id="1", entry_hash=screening_fingerprint(e),
        kind=DispositionKind.FALSE_POSITIVE, reason="Different company.", reviewer="j.doe",
        recorded_at=datetime.now(UTC), version=1, status=status, approved_by=approved_by,
    )  # fmt: skip
    state, alert = run(
        registered("BP-1", "Hikvision Digital Technology"),
        None,
        delta([e], changed=("1",)),
        {("ofac_sdn", "1"): disposition},
    )
    assert alert is not None and [(c[1], c[4]) for c in alert.entries] == [("1", "new")]
    assert state.decision == "BLOCK"
    # Screened again with nothing new: the alert is not announced a second time.
    again, repeated = run(
        registered("BP-1", "Hikvision Digital Technology"),
        state,
        delta([e], changed=("1",)),
        {("ofac_sdn", "1"): disposition},
    )
    assert repeated is None and again.decision == "BLOCK"


def test_near_tokens_needs_more_than_one_common_name_part() -> None:
    near = NearTokens({"ivan", "petrov", "rosneft"})
    assert near.near(("ivan", "petrov"))  # two near tokens: could be "PETROV, Ivan"
    assert near.near(("rosneft", "holding"))  # a distinctive token
    assert near.near(("rosnef",))  # a one-token name, one edit away
    assert not near.near(("ivanov",))  # two edits in six letters: beyond the matcher's budget too
    assert not near.near(("ivan", "quarrington"))  # one common given name, and a distinctive token nowhere near
    assert near.near(("rosnfet", "trading"))  # a typo in the distinctive token still counts


def test_registered_state_round_trips_through_msgpack() -> None:
    state = PartyState(
        "HOLD", (Alerted("bis_entity", "EL-1", "h", 0.93, "HOLD"),), {"bis_entity": "v9"}, "2026-11-28T01:00:00+00:00"
    )
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(state), type=PartyState) == state


def test_states_stored_before_alerted_entries_had_names_still_read() -> None:
    # As stored before `listed_name` existed: each alerted entry an array of five.
    old = msgspec.msgpack.encode(["BLOCK", [["ofac_sdn", "22790", "h", 1.0, "BLOCK"]], {}, "2026-11-27T10:00:00+00:00"])
    state = msgspec.msgpack.decode(old, type=PartyState)
    assert state.alerts == (Alerted("ofac_sdn", "22790", "h", 1.0, "BLOCK", ""),)
