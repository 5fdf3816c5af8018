"""Exact name matcher over the fixture list, decisions under lists/policy.toml, and config validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest

from service.catalog import load_catalog
from service.config_files import ConfigFileError
from service.decide.decision import decide
from service.decide.policy import Action, Policy, load_policy
from service.index.name_index import NameIndex
from service.match.exact import ExactNameMatcher
from service.match.result import MatchResult
from service.model import (
    Direction,
    EntityType,
    Entry,
    PartyQuery,
    QueryIdentifier,
    QueryName,
    QueryNameSource,
    TransactionContext,
)
from service.model.entry import AliasStrength
from service.sources.ofac.legacy_csv import parse_legacy_csv

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
POLICY_TEXT = (REPO_ROOT / "lists" / "policy.toml").read_text()
CATALOG_TEXT = (FIXTURES / "sources.toml").read_text()
EXPORT = TransactionContext(direction=Direction.EXPORT)


def fixture_entries(list_id: str = "ofac_sdn") -> list[Entry]:
    files = {path.name: path.read_bytes() for path in (FIXTURES / "ofac_sdn").iterdir()}
    return parse_legacy_csv(list_id, files)


@pytest.fixture(scope="module")
def matcher() -> ExactNameMatcher:
    return ExactNameMatcher(NameIndex(fixture_entries()), {"ofac_sdn": "v1"})


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def query(*names: str, **fields: object) -> PartyQuery:
    query_names = tuple(
        QueryName(name, QueryNameSource.NAME if position == 0 else QueryNameSource.ALTERNATIVE_NAME)
        for position, name in enumerate(names)
    )
    return PartyQuery(names=query_names, **fields)  # type: ignore[arg-type]


def find(
    matcher: ExactNameMatcher, party: PartyQuery, list_ids: frozenset[str] = frozenset(), min_score: float = 0.0
) -> list[MatchResult]:
    return matcher.find(party, list_ids, min_score, 10)


def only(results: list[MatchResult]) -> MatchResult:
    assert len(results) == 1, [(r.list_id, r.entry.entry_id) for r in results]
    return results[0]


# --- matching ------------------------------------------------------------------------


def test_index_covers_every_name() -> None:
    index = NameIndex(fixture_entries())
    assert len(index) == 7
    assert len(index.names) == sum(len(entry.names) for entry in fixture_entries())


@pytest.mark.parametrize("name", ["Nicolas MADURO MOROS", "maduro-moros, nicolás", "MOROS NICOLAS MADURO"])
def test_maduro_found_in_any_writing(matcher: ExactNameMatcher, name: str) -> None:
    result = only(find(matcher, query(name)))
    assert (result.list_id, result.entry.entry_id) == ("ofac_sdn", "22790")
    assert result.score == 1.0
    assert result.list_version == "v1"
    assert result.listed_name.value == "MADURO MOROS, Nicolas"
    assert result.query_name.value == name
    assert result.explanation.normalized_listed == "maduro moros nicolas"
    assert result.explanation.adjustments == ()


def test_made_up_name_finds_nothing(matcher: ExactNameMatcher) -> None:
    assert find(matcher, query("Zyxwvut Qponmlk Trading")) == []
    # A subset of the tokens is not an exact match either.
    assert find(matcher, query("Nicolas MADURO")) == []


def test_weak_alias_match(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("BNC")))
    assert result.entry.entry_id == "306"
    assert result.listed_name.value == "BNC"
    assert result.listed_name.strength is AliasStrength.WEAK
    assert "weak alias" in result.explanation.text


def test_alias_and_diacritic_fold_match(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("Strasse Handels Gesellschaft")))
    assert result.entry.entry_id == "47001"
    assert result.listed_name.value == "STRAßE HANDELS GESELLSCHAFT"


def test_strong_name_preferred_over_weak_alias_of_same_entry(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("BNC", "Banco Nacional de Cuba")))
    assert result.entry.entry_id == "306"
    assert result.listed_name.strength is AliasStrength.STRONG
    assert result.listed_name.value == "BANCO NACIONAL DE CUBA"


def test_list_filter(matcher: ExactNameMatcher) -> None:
    assert find(matcher, query("Nicolas Maduro Moros"), frozenset({"ofac_cons"})) == []
    both = frozenset({"ofac_sdn", "ofac_cons"})
    assert only(find(matcher, query("Nicolas Maduro Moros"), both)).entry.entry_id == "22790"


def test_type_conflict_person_lowers_score(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL)))
    assert result.score == pytest.approx(0.85)
    assert [(a.factor, a.delta) for a in result.explanation.adjustments] == [("party_type", -0.15)]
    assert "(-0.15)" in result.explanation.text
    assert result.explanation.final_score == result.score


def test_type_conflict_between_non_persons_is_smaller(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("zafar star", entity_type=EntityType.AIRCRAFT)))
    assert result.score == pytest.approx(0.95)
    assert [(a.factor, a.delta) for a in result.explanation.adjustments] == [("party_type", -0.05)]


def test_matching_type_has_no_adjustment(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.INDIVIDUAL)))
    assert result.explanation.adjustments == ()


def test_country_and_birth_year_conflicts_are_negative_adjustments(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("Nicolas Maduro Moros", countries=("CU",), date_of_birth="1970-01-01")))
    adjustments = {a.factor: a for a in result.explanation.adjustments}
    assert set(adjustments) == {"country", "date_of_birth"}
    assert adjustments["country"].delta == pytest.approx(-0.05)
    assert "CU" in adjustments["country"].detail and "VE" in adjustments["country"].detail
    assert adjustments["date_of_birth"].delta == pytest.approx(-0.10)
    assert "1970" in adjustments["date_of_birth"].detail
    assert result.score == pytest.approx(0.85)


def test_agreeing_country_and_birth_year_are_positive(matcher: ExactNameMatcher) -> None:
    party = query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL, nationalities=("VE",), date_of_birth="1962")
    result = only(find(matcher, party))
    assert [(a.factor, a.delta) for a in result.explanation.adjustments] == [
        ("party_type", -0.15),
        ("country", 0.05),
        ("date_of_birth", 0.05),
    ]
    assert result.score == pytest.approx(0.95)


def test_circa_birth_year_agrees_within_tolerance(matcher: ExactNameMatcher) -> None:
    near = only(find(matcher, query("Abdul Rahman Karim", date_of_birth="1962-05")))
    far = only(find(matcher, query("Abdul Rahman Karim", date_of_birth="1963")))
    assert [(a.factor, a.delta) for a in near.explanation.adjustments] == [("date_of_birth", 0.05)]
    assert [(a.factor, a.delta) for a in far.explanation.adjustments] == [("date_of_birth", -0.10)]


def test_matching_identifier_adds_ten_points(matcher: ExactNameMatcher) -> None:
    base = only(find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL)))
    cedula = QueryIdentifier("Cedula", "5.892.464")
    with_id = only(find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL, identifiers=(cedula,))))
    assert with_id.score == pytest.approx(base.score + 0.10)
    assert ("identifier", 0.10) in [(a.factor, a.delta) for a in with_id.explanation.adjustments]
    wrong = QueryIdentifier("Cedula", "9999999")
    other_id = only(find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL, identifiers=(wrong,))))
    assert other_id.score == pytest.approx(base.score)


def test_score_capped_at_one(matcher: ExactNameMatcher) -> None:
    cedula = QueryIdentifier("Cedula", "5892464")
    result = only(find(matcher, query("Nicolas Maduro Moros", countries=("VE",), identifiers=(cedula,))))
    assert {a.factor for a in result.explanation.adjustments} == {"country", "identifier"}
    assert result.score == 1.0


def test_min_score_filters(matcher: ExactNameMatcher) -> None:
    party = query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL)
    assert find(matcher, party, min_score=0.86) == []
    assert len(find(matcher, party, min_score=0.85)) == 1


def test_alignment_has_one_exact_pair_per_token(matcher: ExactNameMatcher) -> None:
    result = only(find(matcher, query("Nicolas MADURO MOROS")))
    alignment = result.explanation.alignment
    assert len(alignment) == 3
    assert sorted(pair.query_token for pair in alignment) == ["maduro", "moros", "nicolas"]
    for pair in alignment:
        assert pair.query_token == pair.listed_token
        assert pair.method == "exact"
        assert pair.similarity == 1.0
        assert pair.weight == pytest.approx(1 / 3, abs=1e-3)
    assert result.explanation.algorithm == "normalized-exact/1"
    assert result.explanation.name_score == 1.0


# --- decisions -----------------------------------------------------------------------


def test_sdn_strong_match_blocks(matcher: ExactNameMatcher, policy: Policy) -> None:
    decision = decide(find(matcher, query("Nicolas Maduro Moros")), policy, EXPORT)
    assert decision.action is Action.BLOCK
    (reason,) = decision.reasons
    assert reason.code == "OFAC_SDN_MATCH"
    assert (reason.list_id, reason.entry_id, reason.rule_id) == ("ofac_sdn", "22790", "ofac-sdn-blocked")
    assert "31 CFR 501.603" in reason.citation and "IEEPA" in reason.legal_basis
    assert reason.group == "ofac_sdn/22790" and reason.subject == "party"


def test_weak_alias_only_match_is_review(matcher: ExactNameMatcher, policy: Policy) -> None:
    decision = decide(find(matcher, query("BNC")), policy, EXPORT)
    assert decision.action is Action.REVIEW
    (reason,) = decision.reasons
    assert reason.code == "WEAK_ALIAS_MATCH"
    assert reason.entry_id == "306"


def test_possible_match_between_thresholds_is_review(matcher: ExactNameMatcher, policy: Policy) -> None:
    matches = find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL))  # 1.00 - 0.15
    (match,) = matches
    assert policy.review_threshold <= match.score < policy.match_threshold
    decision = decide(matches, policy, EXPORT)
    assert decision.action is Action.REVIEW
    assert [reason.code for reason in decision.reasons] == ["POSSIBLE_MATCH"]


@pytest.mark.parametrize(
    ("direction", "possible", "confirmed"),
    [
        (Direction.EXPORT, Action.REVIEW, Action.HOLD),  # the listing restricts exports: review the possible match
        (Direction.IMPORT, Action.CLEAR, Action.CLEAR),  # no effect on an import, confirmed or not
        (Direction.PAYMENT, Action.CLEAR, Action.CLEAR),
        (Direction.OTHER, Action.CLEAR, Action.CLEAR),
    ],
)
def test_a_possible_match_is_never_stricter_than_a_confirmed_one(
    policy: Policy, direction: Direction, possible: Action, confirmed: Action
) -> None:
    entries = [msgspec.structs.replace(e, list_id="bis_meu", programs=()) for e in fixture_entries("ofac_cons")]
    meu = ExactNameMatcher(NameIndex(entries), {"bis_meu": "m1"})
    context = TransactionContext(direction=direction)
    near = find(meu, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL))  # 1.00 - 0.15: possible
    assert policy.review_threshold <= near[0].score < policy.match_threshold
    decision = decide(near, policy, context)
    assert decision.action is possible
    (reason,) = decision.reasons
    assert (reason.code, reason.rule_id) == ("POSSIBLE_MATCH", "near-match")
    if possible is Action.CLEAR:
        assert "shown for information" in reason.text and "bis-meu-other" in reason.text
    else:
        assert "review needed" in reason.text
    assert decide(find(meu, query("Nicolas Maduro Moros")), policy, context).action is confirmed


def test_without_at_most_confirmed_a_possible_match_is_review_in_every_direction(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(replaced(POLICY_TEXT, "at_most_confirmed = true", "at_most_confirmed = false"))
    strict = load_policy(path)
    entries = [msgspec.structs.replace(e, list_id="bis_meu", programs=()) for e in fixture_entries("ofac_cons")]
    meu = ExactNameMatcher(NameIndex(entries), {"bis_meu": "m1"})
    near = find(meu, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL))
    assert decide(near, strict, TransactionContext(direction=Direction.IMPORT)).action is Action.REVIEW


def test_at_most_confirmed_belongs_to_near_match_only(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(replaced(POLICY_TEXT, "[weak_alias]\n", "[weak_alias]\nat_most_confirmed = true\n"))
    with pytest.raises(ConfigFileError, match="weak_alias.at_most_confirmed"):
        load_policy(path)


def test_score_at_match_threshold_triggers_the_rule(matcher: ExactNameMatcher, policy: Policy) -> None:
    # 1.00 - 0.15 (type) + 0.05 (country) = 0.90, the match threshold.
    matches = find(matcher, query("Nicolas Maduro Moros", entity_type=EntityType.VESSEL, countries=("VE",)))
    assert matches[0].score == pytest.approx(policy.match_threshold)
    assert decide(matches, policy, EXPORT).action is Action.BLOCK


def test_list_without_rule_is_review(policy: Policy) -> None:
    # A list the policy does not mention at all (e.g. one a team adds to the catalogue).
    entries = [msgspec.structs.replace(e, list_id="team_watchlist") for e in fixture_entries("ofac_cons")]
    other = ExactNameMatcher(NameIndex(entries), {"team_watchlist": "c1"})
    decision = decide(find(other, query("Nicolas Maduro Moros")), policy, EXPORT)
    assert decision.action is Action.REVIEW
    (reason,) = decision.reasons
    assert reason.code == "LISTED_PARTY_MATCH"
    assert reason.list_id == "team_watchlist"


def test_program_outside_every_rule_of_a_covered_list_is_review(policy: Policy) -> None:
    entries = [msgspec.structs.replace(e, programs=("NO-SUCH-PROGRAM",)) for e in fixture_entries("ofac_cons")]
    other = ExactNameMatcher(NameIndex(entries), {"ofac_cons": "c1"})
    decision = decide(find(other, query("Nicolas Maduro Moros")), policy, EXPORT)
    (reason,) = decision.reasons
    assert (decision.action, reason.code) == (Action.REVIEW, "LISTED_PARTY_MATCH")
    assert "NO-SUCH-PROGRAM" in reason.text


def test_no_matches_is_clear(policy: Policy) -> None:
    decision = decide([], policy, EXPORT)
    assert decision.action is Action.CLEAR
    assert decision.reasons == ()


def test_strictest_reason_wins_and_comes_first(matcher: ExactNameMatcher, policy: Policy) -> None:
    matches = find(matcher, query("BNC", "Nicolas Maduro Moros"))
    assert {m.entry.entry_id for m in matches} == {"306", "22790"}
    decision = decide(matches, policy, EXPORT)
    assert decision.action is Action.BLOCK
    assert [reason.code for reason in decision.reasons] == ["OFAC_SDN_MATCH", "WEAK_ALIAS_MATCH"]


def test_rule_applies_only_to_its_directions(matcher: ExactNameMatcher, tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    all_directions = 'directions = ["export", "import", "payment", "other"]'
    path.write_text(replaced(POLICY_TEXT, all_directions, 'directions = ["export"]'))
    export_only = load_policy(path)
    matches = find(matcher, query("Nicolas Maduro Moros"))
    assert decide(matches, export_only, EXPORT).action is Action.BLOCK
    imported = decide(matches, export_only, TransactionContext(direction=Direction.IMPORT))
    assert imported.action is Action.REVIEW
    assert [reason.code for reason in imported.reasons] == ["LISTED_PARTY_MATCH"]


# --- policy file validation ----------------------------------------------------------


def test_shipped_policy_loads(policy: Policy) -> None:
    assert (policy.match_threshold, policy.review_threshold) == (0.90, 0.80)
    assert policy.version.startswith("2026-12-07.1+")
    today = date.today()
    assert [r.id for r in policy.rules_for("ofac_sdn", Direction.PAYMENT, ("SDGT",), (), today)] == ["ofac-sdn-blocked"]
    assert [r.id for r in policy.rules_for("ofac_sdn", Direction.EXPORT, ("SDGT",), (), today)] == [
        "ofac-sdn-blocked", "sdn-ear-crossover",
    ]  # fmt: skip
    assert policy.rules_for("ofac_cons", Direction.EXPORT, ("NO-SUCH-PROGRAM",), (), today) == []


def policy_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_policy_unknown_action(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, 'action = "block"', 'action = "deny"'))
    assert "rules[0]" in message and ".action" in message and "'deny'" in message


def test_policy_unknown_fallback_action(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, 'action = "review"', 'action = "escalate"'))
    assert "unmapped_list.action" in message and "'escalate'" in message


def test_policy_unknown_direction(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, '"export", "import"', '"export", "sideways"'))
    assert "rules[0]" in message and ".directions" in message and "'sideways'" in message


def test_policy_duplicate_list_direction_rule(tmp_path: Path) -> None:
    second = (
        '\n[[rules]]\nid = "sdn-payments"\nlist = "ofac_sdn"\ndirections = ["payment"]\naction = "hold"\n'
        'code = "X"\nlegal_basis = "x"\nnext_step = "x"\n'
    )
    message = policy_error(tmp_path, POLICY_TEXT + second)
    assert "rules[" in message and "(sdn-payments)" in message
    assert "'payment'" in message and "ofac-sdn-blocked" in message
    # The same list and direction narrowed to other programs, or in another period, is fine.
    narrowed = second.replace('action = "hold"', 'action = "hold"\nprograms_any = ["GLOMAG"]')
    assert (
        load_policy(_written(tmp_path, POLICY_TEXT + narrowed))
        .rules_for("ofac_sdn", Direction.PAYMENT, ("GLOMAG",), (), date.today())[-1]
        .id
        == "sdn-payments"
    )


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy-ok.toml"
    path.write_text(text)
    return path


def test_policy_effective_windows_switch_rules_by_date(tmp_path: Path) -> None:
    dated = (
        '\n[[rules]]\nid = "sdn-glomag-2030"\nlist = "ofac_sdn"\ndirections = ["payment"]\naction = "hold"\n'
        'programs_any = ["GLOMAG"]\neffective = [{ from = 2030-01-01, until = 2030-12-31 }]\n'
        'code = "X"\nlegal_basis = "x"\nnext_step = "x"\n'
    )
    policy = load_policy(_written(tmp_path, POLICY_TEXT + dated))
    ids = lambda day: [r.id for r in policy.rules_for("ofac_sdn", Direction.PAYMENT, ("GLOMAG",), (), day)]
    assert ids(date(2029, 12, 31)) == ["ofac-sdn-blocked"]
    assert ids(date(2030, 6, 1)) == ["ofac-sdn-blocked", "sdn-glomag-2030"]
    assert ids(date(2031, 1, 1)) == ["ofac-sdn-blocked"]
    backwards = dated.replace("until = 2030-12-31", "until = 2029-12-31")
    message = policy_error(tmp_path, POLICY_TEXT + backwards)
    assert "(sdn-glomag-2030).effective[0]" in message and "before" in message


def test_policy_rejects_duplicate_ids_unknown_quotes_and_bad_ownership(tmp_path: Path) -> None:
    twice = POLICY_TEXT.replace('id = "uflpa-other"', 'id = "uflpa-import"')
    assert "'uflpa-import' is used by another rule" in policy_error(tmp_path, twice)
    quoted = POLICY_TEXT.replace('quote = ["license_requirement"', 'quote = ["licence_requirement"')
    assert ".quote: unknown entry field 'licence_requirement'" in policy_error(tmp_path, quoted)
    share = POLICY_TEXT.replace("threshold_percent = 50", "threshold_percent = 150", 1)
    assert "(ofac-50-percent).threshold_percent" in policy_error(tmp_path, share)
    region = POLICY_TEXT.replace(
        'regions = ["IR"]\ndirections = ["export"', 'regions = ["IR"]\ndirections = ["exports"', 1
    )
    assert "region_rules[1] (embargo-iran).directions" in policy_error(tmp_path, region)


def test_policy_thresholds_out_of_order(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, "review_threshold = 0.80", "review_threshold = 0.95"))
    assert "review_threshold" in message and "match_threshold" in message


def test_policy_threshold_above_one(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, "match_threshold = 0.90", "match_threshold = 1.5"))
    assert "match_threshold" in message


def test_policy_unknown_key(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, "citation =", 'colour = "red"\ncitation ='))
    assert "colour" in message and "rules[0]" in message
    typo = replaced(POLICY_TEXT, "review_threshold = 0.80", "review_threshold = 0.80\nreveiw = 1")
    top = policy_error(tmp_path, typo)
    assert "reveiw" in top


def test_policy_wrong_type(tmp_path: Path) -> None:
    message = policy_error(tmp_path, replaced(POLICY_TEXT, "match_threshold = 0.90", 'match_threshold = "high"'))
    assert "match_threshold" in message


# --- catalogue validation ------------------------------------------------------------


def catalog_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_test_catalog_loads(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(CATALOG_TEXT)
    catalog = load_catalog(path)
    spec = catalog.get("ofac_sdn")
    assert spec.id == "ofac_sdn"
    assert spec.min_entries == 3
    assert spec.refresh_every_delta.total_seconds() == 3600
    assert spec.max_age_delta.total_seconds() == 96 * 3600
    assert [fmt.format for fmt in spec.formats] == ["ofac_legacy_csv", "ofac_sdn_xml"]


def test_shipped_catalog_loads() -> None:
    catalog = load_catalog(REPO_ROOT / "lists" / "sources.toml")
    assert catalog.get("ofac_sdn").min_entries == 5000


def test_catalog_unknown_format(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, 'format = "ofac_sdn_xml"', 'format = "ofac_json"'))
    assert "lists.ofac_sdn.formats[1].format" in message and "'ofac_json'" in message


def test_catalog_bad_duration(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, 'refresh_every = "1h"', 'refresh_every = "1 hour"'))
    assert "lists.ofac_sdn.refresh_every" in message and "'1 hour'" in message
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, 'max_age = "96h"', 'max_age = ""'))
    assert "lists.ofac_sdn.max_age" in message


def test_catalog_min_entries_zero(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, "min_entries = 3", "min_entries = 0"))
    assert "lists.ofac_sdn.min_entries" in message


def test_catalog_missing_url_for_required_file(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, '"SDN.XML" = "http://127.0.0.1:9/SDN.XML"\n', ""))
    assert "lists.ofac_sdn.formats[1].files" in message and "SDN.XML" in message


def test_catalog_missing_url_for_optional_file(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, '"alt.csv" = "http://127.0.0.1:9/alt.csv"\n', ""))
    assert "lists.ofac_sdn.formats[0].files" in message and "alt.csv" in message


def test_catalog_unknown_key(tmp_path: Path) -> None:
    message = catalog_error(tmp_path, replaced(CATALOG_TEXT, "min_entries = 3", "min_entries = 3\nminimum = 4"))
    assert "minimum" in message
