"""Screening by identifier: normalisation and check digits per type, the lists' labels, and matches
that hold whatever the names say (renamed vessels, wallets), but never across kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.api.errors import InvalidArgument
from service.api.gen import screening_pb2 as pb
from service.api.screening import screen_request
from service.decide.policy import load_policy
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.identifiers import query_identifier
from service.identifiers.index import IdentifierIndex
from service.identifiers.kinds import KINDS, listed_kind, query_kind
from service.identifiers.normalize import normalize
from service.sources.ofac.legacy_csv import parse_legacy_csv
from service.store.snapshots import VersionMeta

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


# --- normalisation and check digits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "key", "problem"),
    [
        ("imo", "IMO 9187629", "9187629", ""),
        ("imo", "imo9187629", "9187629", ""),
        ("imo", "9187628", "9187628", "IMO check digit does not match"),
        ("imo", "918762", "918762", "an IMO number is 7 digits"),
        ("mmsi", "215 123 456", "215123456", ""),
        ("mmsi", "21512345", "21512345", "an MMSI is 9 digits"),
        ("mmsi", "MMSI: 215123456", "215123456", ""),
        ("bic", "SWIFT: AGBLIRTH", "AGBLIRTH", ""),
        ("bic", "SWIFT/BIC AGBLIRTHXXX", "AGBLIRTH", ""),
        ("bic", "BICSFRPP", "BICSFRPP", ""),  # a bank code that begins with the letters B, I, C
        ("lei", "LEI 5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R12", ""),
        ("call_sign", "9hz-f5", "9HZF5", ""),
        ("aircraft_registration", "EP-IGA", "EPIGA", ""),
        ("aircraft_serial", "msn 1234/5", "MSN12345", ""),
        ("aircraft_mode_s", "7c6c8d", "7C6C8D", ""),
        ("national_id", "5.892.464-K", "5892464K", ""),
        ("drivers_license", "D 123-456-789", "D123456789", ""),
        ("registration", "HRB 123 456", "HRB123456", ""),
        ("duns", "15-048-3782", "150483782", ""),
        ("passport", "or 123-456", "OR123456", ""),
        ("tax_id", "5.892.464", "5892464", ""),
        # A BIC names the bank in 8 characters: its head office (XXX) and branches are the same bank.
        ("bic", "AGBLIRTHXXX", "AGBLIRTH", ""),
        ("bic", "agbl irth", "AGBLIRTH", ""),
        ("bic", "AGBL1RTH", "AGBL1RTH", "not a BIC (8 or 11 characters: bank, country, place, branch)"),
        ("lei", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R12", ""),
        ("lei", "5493001KJTIIGC8Y1R13", "5493001KJTIIGC8Y1R13", "LEI check digits do not match"),
        ("lei", "5493001KJTIIGC8Y1R", "5493001KJTIIGC8Y1R", "an LEI is 20 characters"),
        ("passport", "12", "", "too short to identify anything (at least 4 letters or digits)"),
    ],
)
def test_each_type_normalises_to_its_key_and_says_what_looks_wrong(
    kind: str, value: str, key: str, problem: str
) -> None:
    found = normalize(KINDS[kind], value)
    assert (found.key, found.problem) == (key, problem)


def test_wallet_addresses_keep_case_where_their_encoding_does() -> None:
    wallet = KINDS["wallet"]
    # Ethereum-style hex: case is only a checksum, so any case is the same address.
    hex_address = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
    assert (
        normalize(wallet, hex_address, "ETH").key
        == normalize(wallet, hex_address.upper().replace("0X", "0x"), "USDT").key
    )
    assert normalize(wallet, "0x098B716B", "ETH").problem == "a 0x address is 40 hexadecimal digits after 0x"
    # Base58 bitcoin: case is part of the address (and of its checksum).
    base58 = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"
    assert normalize(wallet, base58, "XBT") == normalize(wallet, f" {base58} ", "XBT")
    changed = normalize(wallet, base58.lower(), "XBT")
    assert changed.key != normalize(wallet, base58, "XBT").key
    assert changed.problem == "bitcoin address checksum does not match"
    # Bech32: one case only, written either way.
    bech32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    assert normalize(wallet, bech32.upper(), "XBT") == normalize(wallet, bech32, "XBT")
    assert normalize(wallet, bech32, "XBT").problem == ""


def test_the_lists_labels_and_the_callers_words_map_to_kinds() -> None:
    assert listed_kind("Vessel Registration Identification") == (KINDS["imo"], "")
    assert listed_kind("Digital Currency Address - XBT") == (KINDS["wallet"], "XBT")
    assert listed_kind("Website") is None and listed_kind("Email Address") is None
    uscc, _ = listed_kind("Unified Social Credit Code (USCC)")  # type: ignore[misc]
    assert uscc.answers == {"registration", "tax_id"}
    assert query_kind("IMO") == (KINDS["imo"], "")
    assert query_kind("wallet:eth") == (KINDS["wallet"], "ETH")
    assert query_kind("Passport") == (KINDS["passport"], "")  # a list's own label is understood too
    assert query_kind("Cedula No.") == (KINDS["national_id"], "")
    assert query_kind("shoe size") is None
    # The words ERP fields and people use for the same kinds.
    assert query_kind("wallet:BTC") == (KINDS["wallet"], "XBT")
    assert query_kind("SWIFT code") == (KINDS["bic"], "")
    assert query_kind("VAT number") == (KINDS["tax_id"], "")
    assert query_kind("passport-number") == (KINDS["passport"], "")
    assert query_kind("imo:9187629") is None  # a value in the type is a mistake, not an IMO


# --- matching ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> ScreeningState:
    files = {path.name: path.read_bytes() for path in (FIXTURES / "ofac_sdn").iterdir()}
    entries = parse_legacy_csv("ofac_sdn", files)
    meta = VersionMeta("ofac_sdn", "v1", "fixture", len(entries), "test", (), NOW, NOW)
    lists = {"ofac_sdn": LoadedList(meta, tuple(entries), NOW, timedelta(days=7))}
    return ScreeningState.build(lists, load_policy(), build_default_matcher)


def screen(state: ScreeningState, party: pb.Party) -> pb.ScreenResponse:
    return screen_request(
        pb.ScreenRequest(party=party, context=pb.TransactionContext(direction=pb.DIRECTION_EXPORT)), state, {"ofac_sdn"}
    )


def identifier(type_name: str, value: str, country: str = "") -> pb.Identifier:
    return pb.Identifier(type=type_name, value=value, issuing_country=country)


def test_the_index_holds_every_listed_identifier_of_a_known_kind(state: ScreeningState) -> None:
    [imo] = state.identifiers.lookup("9187629")
    assert (imo.entry_id, imo.kind.name, imo.value) == ("15036", "imo", "IMO 9187629")
    assert [listed.kind.name for listed in state.identifiers.lookup("215123456")] == ["mmsi"]
    assert [listed.kind.name for listed in state.identifiers.lookup("9HZF5")] == ["call_sign"]  # the vessel column
    assert IdentifierIndex.build([]).lookup("9187629") == ()


def test_a_renamed_vessel_is_found_by_its_imo_number(state: ScreeningState) -> None:
    renamed = screen(state, pb.Party(name="Northern Breeze", type=pb.PARTY_TYPE_VESSEL,
                                     identifiers=[identifier("imo", "IMO 9187629")]))  # fmt: skip
    assert renamed.decision == pb.DECISION_BLOCK
    [match] = renamed.matches
    assert (match.entry_id, match.score, match.explanation.algorithm) == ("15036", 1.0, "identifier")
    assert match.explanation.text.startswith("IMO IMO 9187629 is on ofac_sdn entry 15036 'ZAFAR STAR'")
    assert "'Northern Breeze', is not among its names: a renamed vessel, or a wrong number" in match.explanation.text
    codes = [reason.code for reason in renamed.reasons]
    assert "IDENTIFIER_MATCH" in codes and "OFAC_SDN_MATCH" in codes
    # Without the number the new name alone is clear: the identifier made the match.
    assert screen(state, pb.Party(name="Northern Breeze", type=pb.PARTY_TYPE_VESSEL)).decision == pb.DECISION_CLEAR


def test_a_name_that_matches_too_makes_one_match_saying_both(state: ScreeningState) -> None:
    both = screen(state, pb.Party(name="Zafar Star", type=pb.PARTY_TYPE_VESSEL,
                                  identifiers=[identifier("mmsi", "215123456"), identifier("call_sign", "9HZF5")]))  # fmt: skip
    [match] = both.matches
    assert match.score == 1.0 and "the name also matches" in match.explanation.text
    assert [a.factor for a in match.explanation.adjustments][-1] == "identifier"


def test_identifiers_alone_screen_a_party(state: ScreeningState) -> None:
    alone = screen(state, pb.Party(identifiers=[identifier("imo", "9187629")]))
    assert alone.decision == pb.DECISION_BLOCK
    assert "screened by identifier alone" in alone.matches[0].explanation.text
    assert "IMO 9187629" in alone.summary
    with pytest.raises(InvalidArgument) as refused:
        screen(state, pb.Party())
    assert refused.value.field == "party.name" and "party.identifiers" in str(refused.value)


def test_an_equal_value_of_another_kind_is_evidence_not_a_match(state: ScreeningState) -> None:
    # 1234567 is KARIM's Registration ID (entry 9647), not anyone's passport.
    other_kind = screen(state, pb.Party(name="Ada Lindqvist", identifiers=[identifier("passport", "1234567")]))
    assert other_kind.decision == pb.DECISION_CLEAR and not other_kind.matches
    [warning] = other_kind.warnings
    assert warning.startswith("party.identifiers[0]: equals ofac_sdn entry 9647 'KARIM, Abdul Rahman'")
    assert "not a match" in warning
    # A passport of another country than the listed one is not the listed passport either.
    foreign = screen(state, pb.Party(name="Ada Lindqvist", identifiers=[identifier("passport", "OR123456", "DE")]))
    assert not foreign.matches and "issued by DE; the listed one by AF" in foreign.warnings[0]
    same = screen(state, pb.Party(name="Ada Lindqvist", identifiers=[identifier("passport", "OR123456", "AF")]))
    assert [m.entry_id for m in same.matches] == ["9647"] and same.decision != pb.DECISION_CLEAR


def test_a_failing_check_digit_is_screened_as_given_with_a_warning(state: ScreeningState) -> None:
    typo = screen(state, pb.Party(name="Northern Breeze", identifiers=[identifier("imo", "9187628")]))
    assert typo.decision == pb.DECISION_CLEAR
    assert typo.warnings[0] == "party.identifiers[0].value: IMO check digit does not match (screened as given)"


def test_unknown_types_are_refused_listing_the_accepted_ones(state: ScreeningState) -> None:
    with pytest.raises(InvalidArgument) as refused:
        screen(
            state, pb.Party(name="Ada Lindqvist", identifiers=[identifier("imo", "9187629"), identifier("shoe", "44")])
        )
    assert refused.value.field == "party.identifiers[1].type"
    assert "use one of imo, mmsi, call_sign" in str(refused.value) and "wallet:CHAIN" in str(refused.value)
    with pytest.raises(InvalidArgument) as too_many:
        screen(
            state, pb.Party(name="Ada Lindqvist", identifiers=[identifier("passport", f"P{n:06d}") for n in range(21)])
        )
    assert too_many.value.field == "party.identifiers"


def test_a_registered_party_s_identifiers_come_back_with_their_kinds() -> None:
    again = query_identifier("IMO", "IMO 9187629", field="party.identifiers[0]")
    assert (again.kind, again.key, again.label) == ("imo", "9187629", "IMO")
    legacy = query_identifier("shoe", "44")  # stored before the vocabulary: kept, compared with nothing
    assert (legacy.kind, legacy.key) == ("", "")


@pytest.mark.real_data
def test_the_sdn_snapshot_finds_a_vessel_and_a_wallet_under_made_up_names(shared_data: Path) -> None:
    files = {path.name: path.read_bytes() for path in (shared_data / "ofac-sdn-2023-12-28").iterdir()}
    entries = parse_legacy_csv("ofac_sdn", files)
    meta = VersionMeta("ofac_sdn", "2023-12-28", "ofac_legacy_csv", len(entries), "test", (), NOW, NOW)
    index = IdentifierIndex.build(entries)
    # Every IMO number of the snapshot is indexed under its digits.
    imos = {i.value for e in entries for i in e.identifiers if i.type == "Vessel Registration Identification"}
    assert len(imos) > 700
    assert all(any(l.kind.name == "imo" for l in index.lookup(normalize(KINDS["imo"], v).key)) for v in imos)
    assert [listed.entry_id for listed in index.lookup("7406784")] == ["4243"]
    lists = {"ofac_sdn": LoadedList(meta, tuple(entries), NOW, timedelta(days=7))}
    state = ScreeningState.build(lists, load_policy(), build_default_matcher)
    vessel = screen(state, pb.Party(name="Some Other Name", type=pb.PARTY_TYPE_VESSEL,
                                    identifiers=[identifier("imo", "7406784")]))  # fmt: skip
    assert vessel.decision != pb.DECISION_CLEAR and vessel.matches[0].entry_id == "4243"
    assert vessel.matches[0].explanation.algorithm == "identifier" and "'EBANO'" in vessel.matches[0].explanation.text
    wallet = screen(state, pb.Party(name="Jane Madeup Trading",
                                    identifiers=[identifier("wallet:XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")]))  # fmt: skip
    assert wallet.decision == pb.DECISION_BLOCK and wallet.matches[0].entry_id == "25308"


def test_check_screens_a_vessel_by_imo_and_refuses_an_unknown_type(tmp_path: Path, server_prefix: str) -> None:
    import json

    from tests.cli_support import cli_env, run_cli
    from tests.conftest import SERVER_REDIS_URL

    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    found = run_cli(
        ["check", "Some Other Name", "--type", "vessel", "--identifier", "imo=9187629", "--local", "--json"], env
    )
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert body["decision"] == "DECISION_BLOCK" and body["matches"][0]["entry_id"] == "15036"
    assert body["matches"][0]["explanation"]["algorithm"] == "identifier"
    unknown = run_cli(["check", "--identifier", "shoe=44", "--local"], env)
    assert unknown.returncode == 2 and "party.identifiers[0].type" in unknown.stderr and "imo, mmsi" in unknown.stderr
    typo = run_cli(["check", "Northern Breeze", "--identifier", "imo=9187628", "--local"], env)
    assert typo.returncode == 0 and typo.stdout.startswith("CLEAR")
    assert "  warning: party.identifiers[0].value: IMO check digit does not match (screened as given)" in typo.stdout
    malformed = run_cli(["check", "Acme", "--identifier", "imo", "--local"], env)
    assert malformed.returncode != 0 and "write TYPE=VALUE" in malformed.stderr


@pytest.mark.real_data
def test_every_identifier_label_of_the_real_lists_is_mapped_or_known_not_to_identify(shared_data: Path) -> None:
    """A label a publisher starts using must be decided on (a kind, or not an identifier), not silently dropped."""
    from service.identifiers.kinds import NOT_IDENTIFIERS

    labels: set[str] = set()
    for folder, prefix in (("ofac-sdn-2023-12-28", ""), ("ofac-sdn-2024-05-03", ""),
                           ("ofac-consolidated-nonsdn-2025-12", "cons_")):  # fmt: skip
        files = {path.name.removeprefix(prefix).replace("prim", "sdn"): path.read_bytes()
                 for path in (shared_data / folder).iterdir()}  # fmt: skip
        labels |= {i.type for e in parse_legacy_csv("ofac_sdn", files) for i in e.identifiers}
    assert len(labels) > 60
    undecided = sorted(label for label in labels
                       if listed_kind(label) is None and " ".join(label.lower().split()) not in NOT_IDENTIFIERS)  # fmt: skip
    assert not undecided, undecided


def test_listed_labels_of_every_kind_are_found_by_the_callers_words() -> None:
    from service.identifiers.match import identifier_hits
    from service.model import EntityType, Entry, Identifier, Name

    entry = Entry(
        "ofac_sdn", "900", EntityType.ORGANIZATION, (Name("Velleroy Aviation Holdings"),),
        identifiers=(
            Identifier("Legal Entity Number", "5493001KJTIIGC8Y1R12"),
            Identifier("Aircraft Manufacturer's Serial Number (MSN)", "1234"),
            Identifier("Aircraft Tail Number", "EP-IGA"),
            Identifier("D-U-N-S Number", "15-048-3782"),
            Identifier("SWIFT/BIC", "AGBLIRTH"),
            Identifier("Unified Social Credit Code (USCC)", "91110000100000000X"),
            Identifier("Website", "www.velleroy.example"),
        ),
    )  # fmt: skip
    index = IdentifierIndex.build([entry])

    def found(type_name: str, value: str) -> list[tuple[str, bool]]:
        hits = identifier_hits(index, [query_identifier(type_name, value, field="party.identifiers[0]")])
        return [(hit.listed.label, hit.is_match) for hit in hits]

    assert found("lei", "5493001kjtiigc8y1r12") == [("Legal Entity Number", True)]
    assert found("aircraft_serial", "1234") == [("Aircraft Manufacturer's Serial Number (MSN)", True)]
    assert found("aircraft_registration", "epiga") == [("Aircraft Tail Number", True)]
    assert found("duns", "150483782") == [("D-U-N-S Number", True)]
    assert found("bic", "AGBLIRTH123") == [("SWIFT/BIC", True)]  # a branch of the listed bank
    # A Chinese USCC is the registration number and the tax number at once; not a passport.
    uscc = "Unified Social Credit Code (USCC)"
    assert found("tax_id", "91110000100000000X") == found("registration", "91110000100000000X") == [(uscc, True)]
    assert found("passport", "91110000100000000X") == [(uscc, False)]
    assert found("registration", "1234") == [("Aircraft Manufacturer's Serial Number (MSN)", False)]
    assert len(index) == 6  # the website is not an identifier of the party
