"""A list older than its maximum age: the status says STALE and every decision says so."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from service.api.convert import list_status_to_proto
from service.api.gen import screening_pb2 as pb
from service.api.screening import screen_request
from service.catalog import load_catalog
from service.decide.policy import load_policy
from service.engine.state import LoadedList, ScreeningState, build_exact_matcher
from service.sources.ofac.legacy_csv import parse_legacy_csv
from service.store.snapshots import ListStatusRecord, VersionMeta
from tests.conftest import FIXTURES


def meta(fetched_at: datetime) -> VersionMeta:
    return VersionMeta(
        list_id="ofac_sdn",
        version="0123456789abcdef",
        format="ofac_legacy_csv",
        entry_count=7,
        origin="fixture",
        files=(),
        fetched_at=fetched_at,
        stored_at=fetched_at,
        data_date=date(2023, 12, 28),
    )


def state(confirmed_hours_ago: float) -> ScreeningState:
    files = {path.name: path.read_bytes() for path in (FIXTURES / "ofac_sdn").iterdir()}
    entries = tuple(parse_legacy_csv("ofac_sdn", files))
    # Read the clock per call, not at import: the suite may reach this test many minutes later.
    now = datetime.now(UTC)
    confirmed = now - timedelta(hours=confirmed_hours_ago)
    loaded = LoadedList(meta(now - timedelta(days=30)), entries, now, max_age=timedelta(hours=96))
    built = ScreeningState.build({"ofac_sdn": loaded}, load_policy(), build_exact_matcher)
    return dataclasses.replace(built, confirmed_at={"ofac_sdn": confirmed})


def screen(current: ScreeningState, name: str) -> pb.ScreenResponse:
    return screen_request(pb.ScreenRequest(party=pb.Party(name=name)), current, {"ofac_sdn"})


def test_fresh_list_has_no_warning_and_reports_its_age() -> None:
    response = screen(state(confirmed_hours_ago=2), "Johanna Doe")
    [version] = response.list_versions
    assert not version.stale and not response.warnings
    assert timedelta(hours=1.9) < version.age.ToTimedelta() < timedelta(hours=2.1)
    assert version.data_date == "2023-12-28"


def test_stale_list_is_flagged_on_every_decision() -> None:
    stale = state(confirmed_hours_ago=100)
    for name, decision in (("Johanna Doe", pb.DECISION_CLEAR), ("Nicolas MADURO MOROS", pb.DECISION_BLOCK)):
        response = screen(stale, name)
        assert response.decision == decision
        assert response.list_versions[0].stale
        [warning] = response.warnings
        assert warning.startswith(
            "ofac_sdn was last confirmed current 4.2 days ago, beyond its maximum age of 4.0 days"
        )


def test_status_age_counts_from_the_last_confirmation_not_the_first_fetch() -> None:
    spec = load_catalog().get("ofac_sdn")  # max_age 96h
    now = datetime.now(UTC)  # one instant for the whole test
    fetched = meta(now - timedelta(days=30))
    confirmed = ListStatusRecord(last_attempt_at=now - timedelta(hours=1), last_success_at=now - timedelta(hours=1))
    status = list_status_to_proto(spec, fetched, confirmed, "0123456789abcdef", now)
    assert status.state == pb.LIST_STATE_CURRENT
    assert status.age.ToTimedelta() < timedelta(hours=1.1)
    assert status.data_date == "2023-12-28" and status.loaded

    old = ListStatusRecord(last_attempt_at=now - timedelta(days=5), last_success_at=now - timedelta(days=5))
    assert list_status_to_proto(spec, fetched, old, None, now).state == pb.LIST_STATE_STALE

    failing = ListStatusRecord(
        last_attempt_at=now, last_error="sdn.csv:3: expected 12 columns", last_success_at=now - timedelta(hours=2)
    )
    status = list_status_to_proto(spec, fetched, failing, None, now)
    assert status.state == pb.LIST_STATE_UPDATE_FAILED and "sdn.csv:3" in status.last_error
    assert status.version == "0123456789abcdef"  # the last good version is still the one reported


def test_a_confirmation_shows_in_the_very_next_response() -> None:
    # Responses within one second share their list ages; a refresh that confirms the
    # list swaps in a new state, whose responses must not reuse the old ages.
    stale = state(confirmed_hours_ago=100)
    assert screen(stale, "Johanna Doe").list_versions[0].stale
    confirmed = dataclasses.replace(stale, confirmed_at={"ofac_sdn": datetime.now(UTC)})
    response = screen(confirmed, "Johanna Doe")
    assert not response.list_versions[0].stale and not response.warnings
    assert response.list_versions[0].age.ToTimedelta() < timedelta(seconds=2)
