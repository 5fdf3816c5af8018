"""The decision policy pinned by example: one listed party per rule of lists/policy.toml.

A small in-memory ScreeningState (hand-made entries on every list the policy speaks
about, the real shipped policy, the real region table and the production fuzzy
matcher) is screened through `service.engine.screener.screen`; each test states
the transaction, the party and the decision, reason codes, rule ids, citations,
subjects, groups and texts it must produce. Date-dependent rules (Syria, the BIS
affiliates rule) are checked through `decide` with an explicit day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from service.decide.decision import SUBJECT_ADDRESS, SUBJECT_OWNERS, SUBJECT_PARTY, Decision, Reason, decide
from service.decide.policy import Action, load_policy
from service.decide.regions import load_regions
from service.dispositions.store import Disposition, DispositionKind
from service.engine.screener import ScreeningOutcome, find_all, screen
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.model import (
    Address,
    AliasStrength,
    Direction,
    EntityType,
    Entry,
    Name,
    NameKind,
    PartyQuery,
    QueryAddress,
    QueryName,
    QueryNameSource,
    QueryOwner,
    ScreenOptions,
    TransactionContext,
)
from service.refresh.diff import screening_fingerprint
from service.store.snapshots import VersionMeta

NOW = datetime.now(UTC)
DATA_DATE = date(2026, 11, 27)
ALL_DIRECTIONS = (Direction.EXPORT, Direction.IMPORT, Direction.PAYMENT, Direction.OTHER)

PERSON = EntityType.INDIVIDUAL
ORG = EntityType.ORGANIZATION
UNTYPED = EntityType.UNKNOWN  # BIS, State and DHS rows rarely say what the party is

EAR_ALL_ITEMS = "For all items subject to the EAR."
DENIAL = "Presumption of denial."


def entry(
    list_id: str,
    entry_id: str,
    entity_type: EntityType,
    *names: str,
    weak: tuple[str, ...] = (),
    country: str = "",
    **fields: object,
) -> Entry:
    listed = tuple(
        Name(name, NameKind.PRIMARY if position == 0 else NameKind.AKA) for position, name in enumerate(names)
    )
    listed += tuple(Name(name, NameKind.AKA, AliasStrength.WEAK) for name in weak)
    addresses = (Address(country=country),) if country else ()
    return Entry(list_id, entry_id, entity_type, listed, addresses=addresses, **fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the lists

SDN_SDGT = entry(
    "ofac_sdn",
    "90001",
    PERSON,
    "AL-NOURI, Khalid Ahmad",
    programs=("SDGT",),
    dates_of_birth=("1972",),
    nationalities=("LB",),
)
SDN_RUSSIA = entry(
    "ofac_sdn", "90002", ORG, "ZARYA STROITELNAYA KORPORATSIYA", programs=("RUSSIA-EO14024",), country="RU"
)
SDN_GLOMAG = entry("ofac_sdn", "90003", PERSON, "MENDOZA RIVAS, Carlos Eduardo", programs=("GLOMAG",))
SDN_CROSSOVER = entry(
    "ofac_sdn", "90004", ORG, "HONGDA PRECISION MACHINERY CO., LTD.", programs=("NPWMD",), country="CN"
)
SDN_OWNER_PETROV = entry("ofac_sdn", "90005", PERSON, "PETROV, Anatoly Viktorovich", programs=("RUSSIA-EO14024",))
SDN_OWNER_SOKOLOV = entry("ofac_sdn", "90006", PERSON, "SOKOLOV, Dmitri Ivanovich", programs=("RUSSIA-EO14024",))
SDN_OWNER_ORLOV = entry("ofac_sdn", "90008", PERSON, "ORLOV, Viktor Pavlovich", programs=("RUSSIA-EO14024",))
SDN_WEAK_ALIAS = entry(
    "ofac_sdn", "90007", ORG, "MARITIME BRIGHTSTAR SHIPPING LLC", weak=("GOLDEN FALCON",), programs=("SDGT",)
)

CONS_SSI = entry(
    "ofac_cons", "91001", ORG, "VOSTOKNEFTEGAZ OAO", programs=("UKRAINE-EO13662",), country="RU",
    remarks="Subject to Directive 1; Executive Order 13662 Directive Determination.",
)  # fmt: skip
CONS_CMIC = entry(
    "ofac_cons", "91002", ORG, "ORIENT AEROSPACE TECHNOLOGY CORPORATION", programs=("CMIC-EO13959",), country="CN"
)

ENTITY_LIST = entry(
    "bis_entity", "B001", UNTYPED, "TIANJIN HUAXIN ELECTRONICS CO., LTD.", country="CN",
    license_requirement=EAR_ALL_ITEMS, license_policy=DENIAL, federal_register_notice="85 FR 34495 6/5/20",
)  # fmt: skip
ENTITY_LIST_CROSSOVER = entry(
    "bis_entity", "B002", UNTYPED, "HONGDA PRECISION MACHINERY CO., LTD.", country="CN",
    license_requirement=EAR_ALL_ITEMS, license_policy=DENIAL, federal_register_notice="89 FR 12345 2/16/24",
)  # fmt: skip
ENTITY_LIST_OWNER = entry(
    "bis_entity", "B003", UNTYPED, "NORDLICHT ANLAGENBAU GMBH", country="DE",
    license_requirement=EAR_ALL_ITEMS, license_policy=DENIAL, federal_register_notice="88 FR 1111 1/5/23",
)  # fmt: skip
DPL = entry("bis_dpl", "D001", UNTYPED, "HARTWELL, Gregory Wayne", federal_register_notice="87 FR 5555 2/2/22")
UVL = entry("bis_uvl", "U001", UNTYPED, "SHENZHEN BRIGHTWAY INSTRUMENTS CO.", country="CN")
MEU = entry("bis_meu", "M001", UNTYPED, "NOVOSIBIRSK RADIOTECHNICAL INSTITUTE", country="RU")
ISN = entry("state_isn", "S001", UNTYPED, "ARAK METALLURGICAL WORKS", programs=("INKSNA",))
DTC = entry("state_dtc", "T001", UNTYPED, "MORRISON, Dale Everett")
UFLPA = entry("dhs_uflpa", "F001", UNTYPED, "XINJIANG GOLDEN SANDS COTTON CO., LTD.", country="CN")
UFLPA_CROSSOVER = entry("dhs_uflpa", "F002", UNTYPED, "HONGDA PRECISION MACHINERY CO., LTD.", country="CN")

ENTRIES = (
    SDN_SDGT, SDN_RUSSIA, SDN_GLOMAG, SDN_CROSSOVER, SDN_OWNER_PETROV, SDN_OWNER_SOKOLOV, SDN_OWNER_ORLOV, SDN_WEAK_ALIAS,
    CONS_SSI, CONS_CMIC,
    ENTITY_LIST, ENTITY_LIST_CROSSOVER, ENTITY_LIST_OWNER, DPL, UVL, MEU,
    ISN, DTC,
    UFLPA, UFLPA_CROSSOVER,
)  # fmt: skip


def version_of(list_id: str) -> str:
    return f"{list_id}-2026-11-27.3"


@pytest.fixture(scope="module")
def state() -> ScreeningState:
    lists = {}
    for list_id in sorted({e.list_id for e in ENTRIES}):
        entries = tuple(e for e in ENTRIES if e.list_id == list_id)
        meta = VersionMeta(
            list_id=list_id,
            version=version_of(list_id),
            format="test",
            entry_count=len(entries),
            origin="test",
            files=(),
            fetched_at=NOW,
            stored_at=NOW,
            data_date=DATA_DATE,
        )
        lists[list_id] = LoadedList(meta, entries, NOW, max_age=timedelta(days=7))
    return ScreeningState.build(lists, load_policy(), build_default_matcher, load_regions())


# ------------------------------------------------------------------ helpers


def party(name: str, **fields: object) -> PartyQuery:
    return PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), **fields)  # type: ignore[arg-type]


def run(
    state: ScreeningState,
    query: PartyQuery | str,
    direction: Direction,
    dispositions: dict[tuple[str, str], Disposition] | None = None,
    **context: object,
) -> ScreeningOutcome:
    if isinstance(query, str):
        query = party(query)
    return screen(state, query, TransactionContext(direction=direction, **context), ScreenOptions(), dispositions)  # type: ignore[arg-type]


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def rule_ids(decision: Decision) -> list[str]:
    return [reason.rule_id for reason in decision.reasons]


def one(decision: Decision, code: str) -> Reason:
    found = [reason for reason in decision.reasons if reason.code == code]
    assert len(found) == 1, (code, codes(decision))
    return found[0]


def matched(outcome: ScreeningOutcome) -> set[tuple[str, str]]:
    return {(m.list_id, m.entry.entry_id) for m in outcome.matches}


# ------------------------------------------------------------------ 1. SDN blocks in every direction


@pytest.mark.parametrize("direction", ALL_DIRECTIONS, ids=lambda d: d.value)
def test_sdn_blocks_in_every_direction(state: ScreeningState, direction: Direction) -> None:
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", direction)
    assert matched(outcome) == {("ofac_sdn", "90003")}
    assert outcome.decision.action is Action.BLOCK
    # GLOMAG is not one of the crossover programs: the OFAC block is the only reason.
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.rule_id, reason.action) == ("OFAC_SDN_MATCH", "ofac-sdn-blocked", Action.BLOCK)
    assert reason.citation.startswith("31 CFR 501.603")
    assert "501.604" in reason.citation
    assert (reason.list_id, reason.entry_id, reason.subject, reason.group) == (
        "ofac_sdn",
        "90003",
        SUBJECT_PARTY,
        "ofac_sdn/90003",
    )
    assert f"rule ofac-sdn-blocked: block for direction '{direction.value}'" in reason.text
    assert "'MENDOZA RIVAS, Carlos Eduardo' (GLOMAG) with score 1.00" in reason.text


# ------------------------------------------------------------------ 2. SDN crossover into the EAR


def test_sdgt_sdn_on_export_is_blocked_and_needs_a_bis_licence(state: ScreeningState) -> None:
    outcome = run(state, "Khalid Ahmad Al-Nouri", Direction.EXPORT)
    decision = outcome.decision
    assert decision.action is Action.BLOCK
    assert [(r.code, r.rule_id, r.action) for r in decision.reasons] == [
        ("OFAC_SDN_MATCH", "ofac-sdn-blocked", Action.BLOCK),
        ("EAR_LICENSE_REQUIRED_SDN", "sdn-ear-crossover", Action.HOLD),
    ]
    crossover = one(decision, "EAR_LICENSE_REQUIRED_SDN")
    assert "744.12" in crossover.citation
    assert crossover.citation == "15 CFR 744.8, 744.12, 744.13, 744.14"
    assert "(SDGT)" in crossover.text and "rule sdn-ear-crossover: hold for direction 'export'" in crossover.text
    assert "Specially Designated Global Terrorists [SDGT] (744.12)" in crossover.legal_basis
    # Both reasons are about the same listing.
    assert {(r.entry_id, r.group) for r in decision.reasons} == {("90001", "ofac_sdn/90001")}


def test_sdgt_sdn_on_import_has_no_crossover(state: ScreeningState) -> None:
    decision = run(state, "Khalid Ahmad Al-Nouri", Direction.IMPORT).decision
    assert decision.action is Action.BLOCK
    assert rule_ids(decision) == ["ofac-sdn-blocked"]


@pytest.mark.parametrize("direction", [Direction.EXPORT, Direction.IMPORT], ids=lambda d: d.value)
def test_russia_sdn_has_no_crossover(state: ScreeningState, direction: Direction) -> None:
    outcome = run(state, "Zarya Stroitelnaya Korporatsiya", direction)
    assert matched(outcome) == {("ofac_sdn", "90002")}
    assert outcome.decision.action is Action.BLOCK
    assert codes(outcome.decision) == ["OFAC_SDN_MATCH"]
    assert "sdn-ear-crossover" not in rule_ids(outcome.decision)


# ------------------------------------------------------------------ 3. OFAC non-SDN lists


@pytest.mark.parametrize("direction", ALL_DIRECTIONS, ids=lambda d: d.value)
def test_ssi_entry_is_held_with_its_directive_quoted(state: ScreeningState, direction: Direction) -> None:
    decision = run(state, "Vostokneftegaz OAO", direction).decision
    assert decision.action is Action.HOLD
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id) == ("OFAC_SSI_DIRECTIVE", "ofac-ssi-directive")
    assert "(subject to Directive 1)" in reason.text
    assert "31 CFR part 589" in reason.citation


def test_cmic_payment_is_held_for_the_securities_ban(state: ScreeningState) -> None:
    decision = run(state, "Orient Aerospace Technology Corporation", Direction.PAYMENT).decision
    assert decision.action is Action.HOLD
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.entry_id) == ("OFAC_NS_CMIC_SECURITIES", "ofac-cmic", "91002")
    assert "E.O. 13959" in reason.citation


def test_cmic_export_is_only_reviewed(state: ScreeningState) -> None:
    decision = run(state, "Orient Aerospace Technology Corporation", Direction.EXPORT).decision
    assert decision.action is Action.REVIEW
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id) == ("OFAC_NS_CMIC_LISTED", "ofac-cmic-trade")


# ------------------------------------------------------------------ 4. Entity List: direction dependence


def test_entity_list_export_is_held_with_the_entry_quoted(state: ScreeningState) -> None:
    decision = run(state, "Tianjin Huaxin Electronics Co., Ltd.", Direction.EXPORT).decision
    assert decision.action is Action.HOLD
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.list_id, reason.entry_id) == (
        "BIS_ENTITY_LIST_LICENSE_REQUIRED", "bis-entity-list-export", "bis_entity", "B001",
    )  # fmt: skip
    assert "licence requirement: For all items subject to the EAR." in reason.text
    assert "licence policy: Presumption of denial." in reason.text
    assert "federal register notice: 85 FR 34495 6/5/20" in reason.text
    assert "15 CFR 744.11" in reason.citation


def test_entity_list_import_is_clear_but_says_why(state: ScreeningState) -> None:
    outcome = run(state, "Tianjin Huaxin Electronics Co., Ltd.", Direction.IMPORT)
    assert matched(outcome) == {("bis_entity", "B001")}
    decision = outcome.decision
    assert decision.action is Action.CLEAR
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.action) == (
        "BIS_ENTITY_LIST_NO_EFFECT",
        "bis-entity-list-other",
        Action.CLEAR,
    )
    assert "licence requirement" not in reason.text  # the import rule quotes nothing
    assert outcome.summary.startswith(
        "Decision CLEAR for an import transaction with 'Tianjin Huaxin Electronics Co., Ltd.'"
    )
    assert "rule bis-entity-list-other: clear for direction 'import'" in outcome.summary


# ------------------------------------------------------------------ 5. Other BIS and State lists


@pytest.mark.parametrize(
    ("name", "direction", "action", "code", "rule_id"),
    [
        ("Gregory Wayne Hartwell", Direction.EXPORT, Action.BLOCK, "BIS_DENIED_PERSON", "bis-dpl-export"),
        ("Shenzhen Brightway Instruments Co.", Direction.EXPORT, Action.HOLD, "BIS_UNVERIFIED_LIST", "bis-uvl-export"),
        (
            "Novosibirsk Radiotechnical Institute",
            Direction.EXPORT,
            Action.HOLD,
            "BIS_MILITARY_END_USER",
            "bis-meu-export",
        ),
        (
            "Novosibirsk Radiotechnical Institute",
            Direction.IMPORT,
            Action.CLEAR,
            "BIS_MILITARY_END_USER_NO_EFFECT",
            "bis-meu-other",
        ),
        ("Arak Metallurgical Works", Direction.EXPORT, Action.HOLD, "STATE_NONPROLIFERATION_SANCTIONS", "state-isn"),
        ("Arak Metallurgical Works", Direction.PAYMENT, Action.HOLD, "STATE_NONPROLIFERATION_SANCTIONS", "state-isn"),
        ("Dale Everett Morrison", Direction.EXPORT, Action.HOLD, "ITAR_DEBARRED", "state-dtc-export"),
    ],
    ids=["dpl-export", "uvl-export", "meu-export", "meu-import", "isn-export", "isn-payment", "dtc-export"],
)
def test_bis_and_state_lists(
    state: ScreeningState, name: str, direction: Direction, action: Action, code: str, rule_id: str
) -> None:
    decision = run(state, name, direction).decision
    assert decision.action is action
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.action) == (code, rule_id, action)


def test_dpl_citation_names_the_denial_order(state: ScreeningState) -> None:
    reason = one(run(state, "Gregory Wayne Hartwell", Direction.EXPORT).decision, "BIS_DENIED_PERSON")
    assert reason.citation.startswith("15 CFR 764.3(a)(2)")


# ------------------------------------------------------------------ 6. UFLPA and the same-party crossover


def test_uflpa_import_is_held_by_the_presumption(state: ScreeningState) -> None:
    decision = run(state, "Xinjiang Golden Sands Cotton Co., Ltd.", Direction.IMPORT).decision
    assert decision.action is Action.HOLD
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.entry_id) == ("UFLPA_PRESUMPTION", "uflpa-import", "F001")
    assert "19 U.S.C. 1307" in reason.citation


def test_uflpa_only_party_is_clear_on_export(state: ScreeningState) -> None:
    outcome = run(state, "Xinjiang Golden Sands Cotton Co., Ltd.", Direction.EXPORT)
    assert matched(outcome) == {("dhs_uflpa", "F001")}
    assert outcome.decision.action is Action.CLEAR
    assert codes(outcome.decision) == ["UFLPA_NO_EFFECT"]


CROSSOVER_KEYS = {("ofac_sdn", "90004"), ("bis_entity", "B002"), ("dhs_uflpa", "F002")}


def test_the_crossover_party_is_linked_across_three_lists(state: ScreeningState) -> None:
    assert {(link.list_id, link.entry_id) for link in state.links[("ofac_sdn", "90004")]} == {
        ("bis_entity", "B002"),
        ("dhs_uflpa", "F002"),
    }
    # A namesake on another list in another country would not be linked; these unrelated ones are not.
    assert ("bis_entity", "B001") not in state.links


def test_crossover_party_on_export(state: ScreeningState) -> None:
    outcome = run(state, "Hongda Precision Machinery Co., Ltd.", Direction.EXPORT)
    assert matched(outcome) == CROSSOVER_KEYS
    decision = outcome.decision
    assert decision.action is Action.BLOCK
    assert sorted(rule_ids(decision)) == sorted(
        ["ofac-sdn-blocked", "sdn-ear-crossover", "bis-entity-list-export", "uflpa-other"]
    )
    assert rule_ids(decision)[0] == "ofac-sdn-blocked"  # strictest first
    # One party, one group: the first of its listings by list and entry id.
    assert {reason.group for reason in decision.reasons} == {"bis_entity/B002"}
    assert {reason.list_id for reason in decision.reasons} == {"ofac_sdn", "bis_entity", "dhs_uflpa"}
    assert set(outcome.also_listed) == CROSSOVER_KEYS


def test_crossover_party_on_import(state: ScreeningState) -> None:
    decision = run(state, "Hongda Precision Machinery Co., Ltd.", Direction.IMPORT).decision
    assert decision.action is Action.BLOCK
    assert [(r.code, r.action) for r in decision.reasons] == [
        ("OFAC_SDN_MATCH", Action.BLOCK),
        ("UFLPA_PRESUMPTION", Action.HOLD),
        ("BIS_ENTITY_LIST_NO_EFFECT", Action.CLEAR),
    ]
    assert {reason.group for reason in decision.reasons} == {"bis_entity/B002"}


# ------------------------------------------------------------------ 7. weak alias


@pytest.mark.parametrize("direction", [Direction.EXPORT, Direction.PAYMENT], ids=lambda d: d.value)
def test_weak_alias_alone_yields_at_most_review_even_on_the_sdn_list(
    state: ScreeningState, direction: Direction
) -> None:
    outcome = run(state, "Golden Falcon", direction)
    [match] = outcome.matches
    assert match.listed_name.strength is AliasStrength.WEAK and match.score >= state.policy.match_threshold
    decision = outcome.decision
    assert decision.action is Action.REVIEW
    [reason] = decision.reasons  # neither the block nor (on export) the SDGT crossover
    assert (reason.code, reason.rule_id, reason.action) == ("WEAK_ALIAS_MATCH", "ofac-sdn-blocked", Action.REVIEW)
    assert "on the weak alias 'GOLDEN FALCON' only" in reason.text
    assert reason.citation.startswith("31 CFR 501.603")


def test_the_primary_name_of_the_same_entry_blocks(state: ScreeningState) -> None:
    assert run(state, "Maritime Brightstar Shipping LLC", Direction.PAYMENT).decision.action is Action.BLOCK


# ------------------------------------------------------------------ 8. possible matches


def test_typo_and_conflicting_birth_year_give_a_possible_match_on_the_sdn_list(state: ScreeningState) -> None:
    policy = state.policy
    assert (policy.review_threshold, policy.match_threshold) == (0.80, 0.90)
    # The typo alone still scores as a match ...
    typo_only = run(state, "Khalid Ahmad Al-Nuri", Direction.EXPORT)
    assert typo_only.matches[0].score >= policy.match_threshold
    assert typo_only.decision.action is Action.BLOCK
    # ... the listed birth year 1972 against 1985 takes it below the match threshold.
    outcome = run(state, party("Khalid Ahmad Al-Nuri", date_of_birth="1985"), Direction.EXPORT)
    [match] = outcome.matches
    assert (match.list_id, match.entry.entry_id) == ("ofac_sdn", "90001")
    assert policy.review_threshold <= match.score < policy.match_threshold
    assert any(a.factor == "date_of_birth" and a.delta < 0 for a in match.explanation.adjustments)
    decision = outcome.decision
    assert decision.action is Action.REVIEW
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.action) == ("POSSIBLE_MATCH", "near-match", Action.REVIEW)
    assert "below the match threshold 0.90: possible match, review needed" in reason.text


@pytest.mark.parametrize(
    ("direction", "action"),
    [(Direction.EXPORT, Action.CLEAR), (Direction.IMPORT, Action.REVIEW)],
    ids=["export", "import"],
)
def test_possible_match_is_never_stricter_than_a_confirmed_one(
    state: ScreeningState, direction: Direction, action: Action
) -> None:
    # A full UFLPA match clears an export and holds an import; a possible one is shown for
    # information on the export (even a confirmed one clears) and REVIEW on the import.
    outcome = run(state, "Xinjiang Golden Cotton", direction)
    [match] = outcome.matches
    assert (match.list_id, match.entry.entry_id) == ("dhs_uflpa", "F001")
    assert state.policy.review_threshold <= match.score < state.policy.match_threshold
    assert outcome.decision.action is action
    assert codes(outcome.decision) == ["POSSIBLE_MATCH"]


# ------------------------------------------------------------------ 9. embargoes


CLEAN = "Meridian Logistics GmbH"


def test_clean_party_is_clear(state: ScreeningState) -> None:
    outcome = run(state, party(CLEAN, addresses=(QueryAddress(city="Hamburg", country="DE"),)), Direction.EXPORT)
    assert outcome.matches == () and outcome.decision.reasons == ()
    assert outcome.decision.action is Action.CLEAR
    assert (
        "No listed party matched at or above the review threshold, and no embargoed address was found."
        in outcome.summary
    )


def test_iranian_address_is_blocked(state: ScreeningState) -> None:
    query = party(CLEAN, addresses=(QueryAddress(lines=("12 Vali Asr Street",), city="Tehran", country="IR"),))
    decision = run(state, query, Direction.PAYMENT).decision
    assert decision.action is Action.BLOCK
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject, reason.group) == (
        "EMBARGOED_COUNTRY",
        "embargo-iran",
        SUBJECT_ADDRESS,
        "",
    )
    assert (reason.list_id, reason.entry_id) == ("", "")
    assert "Iran (address 1: country IR)" in reason.text
    assert "31 CFR part 560" in reason.citation


def test_sevastopol_address_is_blocked(state: ScreeningState) -> None:
    query = party(CLEAN, addresses=(QueryAddress(lines=("ul. Bolshaya Morskaya 5",), city="Sevastopol", country="UA"),))
    decision = run(state, query, Direction.EXPORT).decision
    assert decision.action is Action.BLOCK
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == ("EMBARGOED_REGION", "embargo-crimea", SUBJECT_ADDRESS)
    assert "'Sevastopol' in city" in reason.text
    assert "E.O. 13685" in reason.citation


def test_russian_assigned_crimean_postcode_is_blocked(state: ScreeningState) -> None:
    query = party(CLEAN, addresses=(QueryAddress(postal_code="295000", country="RU"),))
    decision = run(state, query, Direction.IMPORT).decision
    assert decision.action is Action.BLOCK
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == ("EMBARGOED_REGION", "embargo-crimea", SUBJECT_ADDRESS)
    assert "postal code 295000 (Russian-assigned, Crimea)" in reason.text


def test_moscow_postcode_is_not_crimea(state: ScreeningState) -> None:
    query = party(CLEAN, addresses=(QueryAddress(city="Moscow", postal_code="125009", country="RU"),))
    assert run(state, query, Direction.IMPORT).decision.action is Action.CLEAR


def test_export_to_cuba_is_blocked_for_a_clean_party(state: ScreeningState) -> None:
    query = party(CLEAN, addresses=(QueryAddress(city="Hamburg", country="DE"),))
    outcome = run(state, query, Direction.EXPORT, destination_country="CU")
    assert outcome.matches == ()
    decision = outcome.decision
    assert decision.action is Action.BLOCK
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == ("EMBARGOED_COUNTRY", "embargo-cuba", "transaction")
    assert "Cuba (destination country CU)" in reason.text
    # The destination of an import is not where the goods come from: no hit.
    assert run(state, query, Direction.IMPORT, destination_country="CU").decision.action is Action.CLEAR


def test_syria_embargo_ends_on_30_june_2025(state: ScreeningState) -> None:
    policy = state.policy
    assert state.regions is not None
    address = (QueryAddress(city="Damascus", country="SY"),)
    context = TransactionContext(direction=Direction.EXPORT)
    last_day, first_day_after = date(2025, 6, 30), date(2025, 7, 1)

    hits_before = state.regions.hits(address, last_day)
    assert [hit.region_id for hit in hits_before] == ["SY"]
    before = decide([], policy, context, day=last_day, regions=hits_before)
    assert before.action is Action.BLOCK
    [reason] = before.reasons
    assert (reason.code, reason.rule_id, reason.subject) == ("EMBARGOED_COUNTRY", "embargo-syria", SUBJECT_ADDRESS)
    assert "31 CFR part 542" in reason.citation

    hits_after = state.regions.hits(address, first_day_after)
    assert hits_after == []
    after = decide([], policy, context, day=first_day_after, regions=hits_after)
    assert after.action is Action.CLEAR and after.reasons == ()
    # The policy's own window ends too: a stale hit does not block after the termination.
    assert decide([], policy, context, day=first_day_after, regions=hits_before).action is Action.CLEAR


# ------------------------------------------------------------------ 10. ownership


OWNED = "Baltic Ventures LLC"


def test_owned_55_percent_by_two_sdns_is_blocked(state: ScreeningState) -> None:
    owners = (
        QueryOwner("Anatoly Viktorovich Petrov", 30, PERSON),
        QueryOwner("Dmitri Ivanovich Sokolov", 25, PERSON),
    )
    outcome = run(state, party(OWNED, owners=owners), Direction.PAYMENT)
    assert outcome.matches == ()  # the company itself is not listed
    decision = outcome.decision
    assert decision.action is Action.BLOCK
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject, reason.action) == (
        "OFAC_50_PERCENT_RULE", "ofac-50-percent", SUBJECT_OWNERS, Action.BLOCK,
    )  # fmt: skip
    assert "Owned 55% in aggregate" in reason.text
    assert "'Anatoly Viktorovich Petrov' 30% (ofac_sdn entry 90005 'PETROV, Anatoly Viktorovich')" in reason.text
    assert "'Dmitri Ivanovich Sokolov' 25% (ofac_sdn entry 90006 'SOKOLOV, Dmitri Ivanovich')" in reason.text
    assert "OFAC Revised Guidance" in reason.citation


def test_owned_30_percent_by_one_sdn_is_reviewed(state: ScreeningState) -> None:
    owners = (QueryOwner("Anatoly Viktorovich Petrov", 30, PERSON), QueryOwner("Jan Kowalski", 70, PERSON))
    decision = run(state, party(OWNED, owners=owners), Direction.PAYMENT).decision
    assert decision.action is Action.REVIEW
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == (
        "OFAC_50_PERCENT_RULE_BELOW_THRESHOLD",
        "ofac-50-percent",
        SUBJECT_OWNERS,
    )
    assert "Owned 30% in aggregate" in reason.text and "below 50%" in reason.text
    assert "Jan Kowalski" not in reason.text


def test_owned_exactly_50_percent_in_aggregate_is_blocked(state: ScreeningState) -> None:
    owners = (
        QueryOwner("Anatoly Viktorovich Petrov", 8.2, PERSON),
        QueryOwner("Dmitri Ivanovich Sokolov", 23.9, PERSON),
        QueryOwner("Viktor Pavlovich Orlov", 17.9, PERSON),
    )
    decision = run(state, party(OWNED, owners=owners), Direction.PAYMENT).decision
    [reason] = decision.reasons
    # All three owners are found as listed persons ...
    for entry_id in ("90005", "90006", "90008"):
        assert f"ofac_sdn entry {entry_id}" in reason.text
    assert "Owned 50% in aggregate" in reason.text
    # ... and 50 percent or more in the aggregate is blocked.
    assert (reason.code, reason.action) == ("OFAC_50_PERCENT_RULE", Action.BLOCK)
    assert decision.action is Action.BLOCK


AFFILIATE = "Rheintal Feinmechanik GmbH"


def affiliate_decision(state: ScreeningState, direction: Direction, day: date) -> Decision:
    query = party(AFFILIATE, owners=(QueryOwner("Nordlicht Anlagenbau GmbH", 60, ORG, "DE"),))
    context = TransactionContext(direction=direction)
    found = find_all(state, query, context, ScreenOptions())
    assert found.matches == ()
    [owner] = found.owners
    assert [(m.list_id, m.entry.entry_id) for m in owner.matches] == [("bis_entity", "B003")]
    return decide(
        found.matches, state.policy, context, day=day, regions=found.regions, owners=found.owners, links=state.links
    )


def test_affiliates_rule_holds_an_export_while_in_force(state: ScreeningState) -> None:
    decision = affiliate_decision(state, Direction.EXPORT, date(2025, 10, 1))
    assert decision.action is Action.HOLD
    [reason] = decision.reasons
    assert (reason.code, reason.rule_id, reason.subject, reason.action) == (
        "BIS_AFFILIATES_RULE", "bis-affiliates-rule", SUBJECT_OWNERS, Action.HOLD,
    )  # fmt: skip
    assert "Owned 60% in aggregate" in reason.text
    assert "'Nordlicht Anlagenbau GmbH' 60% (bis_entity entry B003 'NORDLICHT ANLAGENBAU GMBH')" in reason.text
    assert "744.11" in reason.citation


def test_affiliates_rule_is_suspended_in_january_2026(state: ScreeningState) -> None:
    decision = affiliate_decision(state, Direction.EXPORT, date(2026, 1, 15))
    assert "BIS_AFFILIATES_RULE" not in codes(decision)
    assert decision.action is Action.CLEAR


def test_affiliates_rule_is_back_after_the_suspension(state: ScreeningState) -> None:
    assert codes(affiliate_decision(state, Direction.EXPORT, date(2026, 11, 10))) == ["BIS_AFFILIATES_RULE"]


def test_affiliates_rule_does_not_apply_to_imports(state: ScreeningState) -> None:
    decision = affiliate_decision(state, Direction.IMPORT, date(2025, 10, 1))
    assert decision.action is Action.CLEAR and decision.reasons == ()


# ------------------------------------------------------------------ 11. dispositions


SUBJECT = "ref:CUST-0042"
RECORDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GLOMAG_KEY = ("ofac_sdn", "90003")


def disposition(
    entry_hash: str, kind: DispositionKind = DispositionKind.FALSE_POSITIVE, **changes: object
) -> Disposition:
    fields: dict[str, object] = {
        "subject": SUBJECT,
        "list_id": "ofac_sdn",
        "entry_id": "90003",
        "entry_hash": entry_hash,
        "kind": kind,
        "reason": "different person: DOB 1991, Spanish passport",
        "reviewer": "alice",
        "recorded_at": RECORDED,
        "version": 1,
    }
    fields.update(changes)
    return Disposition(**fields)  # type: ignore[arg-type]


def test_false_positive_disposition_suppresses_the_match(state: ScreeningState) -> None:
    # Four eyes: an SDN match scores 1.00, so the false positive clears it once a second reviewer approved it.
    approved_at = RECORDED + timedelta(days=1)
    current = disposition(screening_fingerprint(SDN_GLOMAG), approved_by="bob", approved_at=approved_at)
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {GLOMAG_KEY: current})
    assert outcome.matches == ()
    [(match, applied)] = outcome.suppressed
    assert (match.list_id, match.entry.entry_id) == GLOMAG_KEY and applied is current
    assert outcome.decision.action is Action.CLEAR and outcome.decision.reasons == ()
    assert outcome.dispositions_applied == (current,)
    assert outcome.disposition_notes == {}
    assert (
        "Suppressed as false positives by earlier review: ofac_sdn entry 90003 (by alice, 2026-03-02; approved by bob, "
        "2026-03-03)." in outcome.summary
    )


def test_false_positive_by_one_reviewer_does_not_clear_a_full_match(state: ScreeningState) -> None:
    # Recorded ACTIVE (or before four eyes), nobody approved it: it clears possible matches only.
    current = disposition(screening_fingerprint(SDN_GLOMAG))
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {GLOMAG_KEY: current})
    assert matched(outcome) == {GLOMAG_KEY} and outcome.suppressed == ()
    assert outcome.decision.action is Action.BLOCK
    assert outcome.dispositions_applied == ()
    # The SDN's policy blocks, so today's policy wants a second reviewer for any clearance of it.
    assert outcome.disposition_notes[GLOMAG_KEY] == (
        "false positive recorded by alice on 2026-03-02 does not clear this match until a second reviewer approves it "
        "(ofac_sdn rule ofac-sdn-blocked blocks: a second reviewer must approve)"
    )
    assert "Suppressed" not in outcome.summary


def test_false_positive_on_a_changed_entry_no_longer_applies(state: ScreeningState) -> None:
    # The reviewer decided on an earlier version of the entry (before an alias was added).
    earlier = msgspec.structs.replace(SDN_GLOMAG, names=(*SDN_GLOMAG.names, Name("MENDOZA, Carlos", NameKind.AKA)))
    old_hash = screening_fingerprint(earlier)
    assert old_hash != screening_fingerprint(SDN_GLOMAG)
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {GLOMAG_KEY: disposition(old_hash)})
    assert outcome.suppressed == ()
    assert matched(outcome) == {GLOMAG_KEY}
    assert outcome.decision.action is Action.BLOCK
    note = outcome.disposition_notes[GLOMAG_KEY]
    assert "no longer applies" in note and "alice" in note and "2026-03-02" in note
    assert outcome.dispositions_applied == ()


def test_revoked_false_positive_does_not_suppress(state: ScreeningState) -> None:
    revoked = disposition(
        screening_fingerprint(SDN_GLOMAG), version=2, revoked=True, revoked_by="carol",
        revoked_at=RECORDED + timedelta(days=3), revoke_reason="cleared in error",
    )  # fmt: skip
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {GLOMAG_KEY: revoked})
    assert outcome.suppressed == ()
    assert matched(outcome) == {GLOMAG_KEY}
    assert outcome.decision.action is Action.BLOCK
    assert outcome.dispositions_applied == ()
    assert "Suppressed" not in outcome.summary


def test_confirmed_match_keeps_the_match_and_adds_a_note(state: ScreeningState) -> None:
    confirmed = disposition(
        screening_fingerprint(SDN_GLOMAG),
        DispositionKind.CONFIRMED_MATCH,
        reviewer="bob",
        reason="passport number agrees",
    )
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {GLOMAG_KEY: confirmed})
    assert outcome.suppressed == ()
    assert matched(outcome) == {GLOMAG_KEY}
    assert outcome.decision.action is Action.BLOCK
    assert outcome.disposition_notes[GLOMAG_KEY] == "confirmed as a match by bob on 2026-03-02: passport number agrees"
    assert outcome.dispositions_applied == (confirmed,)


def test_disposition_for_another_entry_changes_nothing(state: ScreeningState) -> None:
    other = disposition(screening_fingerprint(SDN_SDGT), entry_id="90001")
    outcome = run(state, "Carlos Eduardo Mendoza Rivas", Direction.PAYMENT, {("ofac_sdn", "90001"): other})
    assert outcome.decision.action is Action.BLOCK and outcome.suppressed == () and outcome.disposition_notes == {}


# ------------------------------------------------------------------ 12. the summary


def test_summary_names_decision_entry_rule_citation_and_list_version(state: ScreeningState) -> None:
    outcome = run(state, "Khalid Ahmad Al-Nouri", Direction.EXPORT)
    summary = outcome.summary
    assert summary.startswith("Decision BLOCK for an export transaction with 'Khalid Ahmad Al-Nouri' (screening ")
    assert outcome.screening_id in summary
    assert "ofac_sdn entry 90001 'AL-NOURI, Khalid Ahmad'" in summary
    assert "rule ofac-sdn-blocked: block" in summary and "rule sdn-ear-crossover: hold" in summary
    assert "Basis: 31 CFR 501.603 (reports of blocked property); 31 CFR 501.604 (rejected transactions)." in summary
    assert "Basis: 15 CFR 744.8, 744.12, 744.13, 744.14." in summary
    assert "Next step: Do not proceed. Block any property" in summary
    assert f"Lists: ofac_sdn {version_of('ofac_sdn')} (data of 2026-11-27)." in summary
    # Only the lists that matched are named.
    assert version_of("bis_entity") not in summary
    assert summary.endswith(f"Policy {state.policy.version}.")
    # The strictest reason is told first.
    assert summary.index("ofac-sdn-blocked") < summary.index("sdn-ear-crossover")
