"""OFAC remarks parsing, name normalisation, country names and birth years."""

from __future__ import annotations

import pytest

from service.index.evidence import birth_years
from service.model import Identifier, NameKind
from service.normalize.countries import country_code
from service.normalize.names import name_tokens, order_free_key
from service.sources.ofac.remarks import parse_identifier, parse_remarks, split_items

# Close to real sdn.csv remarks (2023-12-28, entries 22790 and a cyber-related SDN).
MADURO_REMARKS = (
    "DOB 23 Nov 1962; POB Caracas, Venezuela; citizen Venezuela; Gender Male; "
    "Cedula No. 5892464 (Venezuela); President of the Bolivarian Republic of Venezuela."
)
CYBER_REMARKS = (
    "DOB 21 Sep 1979; alt. DOB 1980; POB Tehran, Iran; nationality Iran; Email Address iranvisacart@yahoo.com; "
    "Additional Sanctions Information - Subject to Secondary Sanctions; Gender Male; "
    "Digital Currency Address - XBT 149w62rY42aZBox8fGcmqNsXUzSStKeq8C; "
    "Passport T14553558 (Iran) issued 28 Oct 2008 expires 29 Oct 2013; "
    "a.k.a. 'Mastercartaria'; a.k.a. 'Iranvisacart'; Linked To: ACME CYBER GROUP."
)


# --- parse_remarks -------------------------------------------------------------------


def test_split_items_drops_final_full_stop() -> None:
    assert split_items("DOB 1960; POB Kabul, Afghanistan.") == ["DOB 1960", "POB Kabul, Afghanistan"]
    assert split_items("") == []


def test_maduro_remarks() -> None:
    facts = parse_remarks(MADURO_REMARKS)
    assert facts.dates_of_birth == ["23 Nov 1962"]
    assert facts.places_of_birth == ["Caracas, Venezuela"]
    assert facts.citizenships == ["VE"]
    assert facts.nationalities == []
    assert facts.gender == "Male"
    # The free-text title item is not an identifier, alias or link.
    assert facts.identifiers == [Identifier(type="Cedula No.", value="5892464", country_name="Venezuela", country="VE")]
    assert facts.weak_aliases == []
    assert facts.linked_to == []


def test_dob_and_alt_dob() -> None:
    facts = parse_remarks(CYBER_REMARKS)
    assert facts.dates_of_birth == ["21 Sep 1979", "1980"]
    assert facts.places_of_birth == ["Tehran, Iran"]


def test_nationality_mapped_to_iso() -> None:
    assert parse_remarks(CYBER_REMARKS).nationalities == ["IR"]
    assert parse_remarks("nationality Korea, North; citizen Burma.").nationalities == ["KP"]
    assert parse_remarks("nationality Korea, North; citizen Burma.").citizenships == ["MM"]
    # An unknown country stays as text rather than disappearing.
    assert parse_remarks("nationality Atlantis.").nationalities == ["Atlantis"]


def test_gender() -> None:
    assert parse_remarks("Gender Female.").gender == "Female"
    assert parse_remarks(CYBER_REMARKS).gender == "Male"


def test_quoted_akas_are_weak_aliases() -> None:
    assert parse_remarks(CYBER_REMARKS).weak_aliases == [
        ("Mastercartaria", NameKind.AKA),
        ("Iranvisacart", NameKind.AKA),
    ]
    # The OFAC specification's own example.
    facts = parse_remarks(
        "DOB 17 Jan 1941; POB El Menea, Algeria; a.k.a. 'ABU AL-FOUTOUH'; a.k.a. 'BOULAHIA'; a.k.a. 'HASSAN THE OLD'."
    )
    assert [name for name, _ in facts.weak_aliases] == ["ABU AL-FOUTOUH", "BOULAHIA", "HASSAN THE OLD"]


def test_quoted_aka_with_apostrophe_inside() -> None:
    facts = parse_remarks("a.k.a. 'ABU-'UMAR'; a.k.a. 'AL-QA'QA'.")
    assert facts.weak_aliases == [("ABU-'UMAR", NameKind.AKA), ("AL-QA'QA", NameKind.AKA)]


def test_quoted_fka_is_kept_as_weak_alias() -> None:
    assert parse_remarks("f.k.a. 'SAND SWAN'.").weak_aliases == [("SAND SWAN", NameKind.FKA)]
    assert parse_remarks("n.k.a. 'NEW NAME'.").weak_aliases == [("NEW NAME", NameKind.NKA)]


def test_linked_to() -> None:
    assert parse_remarks(CYBER_REMARKS).linked_to == ["ACME CYBER GROUP"]
    facts = parse_remarks("Linked To: AL-QA'IDA; Linked To: HIZBALLAH.")
    assert facts.linked_to == ["AL-QA'IDA", "HIZBALLAH"]


def test_passport_with_issued_and_expires() -> None:
    passports = [i for i in parse_remarks(CYBER_REMARKS).identifiers if i.type == "Passport"]
    assert passports == [
        Identifier(
            type="Passport",
            value="T14553558",
            country_name="Iran",
            country="IR",
            issued="28 Oct 2008",
            expires="29 Oct 2013",
        )
    ]


def test_passport_value_with_space_and_no_country() -> None:
    assert parse_identifier("Passport G 649385 issued 08 Sep 2006 expires 17 Jul 2011") == Identifier(
        type="Passport", value="G 649385", issued="08 Sep 2006", expires="17 Jul 2011"
    )


def test_digital_currency_address() -> None:
    identifiers = parse_remarks(CYBER_REMARKS).identifiers
    assert Identifier(type="Digital Currency Address - XBT", value="149w62rY42aZBox8fGcmqNsXUzSStKeq8C") in identifiers
    eth = "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"
    assert parse_identifier(f"alt. Digital Currency Address - ETH {eth}") == Identifier(
        type="Digital Currency Address - ETH", value=eth
    )


def test_cyber_remarks_identifiers_in_order_without_notes() -> None:
    # "Additional Sanctions Information - ..." is a note and yields nothing.
    assert [i.type for i in parse_remarks(CYBER_REMARKS).identifiers] == [
        "Email Address",
        "Digital Currency Address - XBT",
        "Passport",
    ]


def test_generic_no_identifier_with_country() -> None:
    assert parse_identifier("Moldovan Identity Card No. A09012345 (Moldova)") == Identifier(
        type="Moldovan Identity Card No.", value="A09012345", country_name="Moldova", country="MD"
    )
    assert parse_identifier("Peruvian Tax ID # 20100047218 (Peru)") == Identifier(
        type="Peruvian Tax ID #", value="20100047218", country_name="Peru", country="PE"
    )


def test_known_identifier_type_wins_over_generic() -> None:
    # "National ID No." is in the table; the value must not keep "No.".
    assert parse_identifier("National ID No. 0012345678 (Iran)") == Identifier(
        type="National ID No.", value="0012345678", country_name="Iran", country="IR"
    )


def test_unrecognised_free_text_is_ignored() -> None:
    facts = parse_remarks(
        "Organization Established Date 2015; Target Type Financial Institution; "
        "Secondary sanctions risk: section 1(b) of Executive Order 13224."
    )
    assert facts.identifiers == []
    assert facts.weak_aliases == []
    assert facts.dates_of_birth == []
    assert parse_identifier("President of the Bolivarian Republic of Venezuela") is None


def test_empty_remarks() -> None:
    facts = parse_remarks("")
    assert (facts.dates_of_birth, facts.identifiers, facts.gender) == ([], [], "")


# --- name_tokens / order_free_key ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("MADURO MOROS, Nicolas", ("maduro", "moros", "nicolas")),
        ("maduro-moros, nicolás", ("maduro", "moros", "nicolas")),
        ("  Nicolas   MADURO\tMOROS ", ("nicolas", "maduro", "moros")),
        ("Straße", ("strasse",)),
        ("STRAßE HANDELS GESELLSCHAFT", ("strasse", "handels", "gesellschaft")),
        ("Łódź Æther Øst", ("lodz", "aether", "ost")),
        ("Françoise Müller-Lüdenscheidt", ("francoise", "muller", "ludenscheidt")),
        ("O'Neil", ("oneil",)),
        ("O’NEIL", ("oneil",)),
        ("AL-QA'IDA", ("al", "qaida")),
        ("U.S.A. Trading Co.", ("usa", "trading", "co")),
        ("ＡＢＣ　Ｃｏｍｐａｎｙ", ("abc", "company")),
        ("ﬁrma", ("firma",)),
        ("a/b & c", ("a", "b", "c")),
        ("snake_case_name", ("snake", "case", "name")),
        ("", ()),
        (" - , ", ()),
    ],
)
def test_name_tokens(name: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(name) == tokens


def test_order_free_key_ignores_order_and_writing() -> None:
    listed = order_free_key(name_tokens("MADURO MOROS, Nicolas"))
    assert listed == "maduro moros nicolas"
    assert order_free_key(name_tokens("Nicolas MADURO MOROS")) == listed
    assert order_free_key(name_tokens("maduro-moros, nicolás")) == listed
    assert order_free_key(name_tokens("Nicolas MADURO")) != listed
    assert order_free_key(name_tokens("Nicolas Maduro Moro")) != listed


def test_order_free_key_keeps_repeated_tokens() -> None:
    assert order_free_key(("abu", "abu", "bakr")) == "abu abu bakr"
    assert order_free_key(("abu", "bakr")) != order_free_key(("abu", "abu", "bakr"))


# --- country_code --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea, North", "KP"),
        ("Korea, South", "KR"),
        ("Burma", "MM"),
        ("Region: Crimea", "UA"),
        ("Region: Gaza", "PS"),
        ("United Kingdom", "GB"),
        ("Russia", "RU"),
        ("Iran", "IR"),
        ("Switzerland", "CH"),
        ("Cuba", "CU"),
        ("Venezuela", "VE"),
        ("venezuela", "VE"),
        ("Côte d'Ivoire", "CI"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Kosovo", "XK"),
        ("IRN", "IR"),
        ("ve", "VE"),
        ("VE", "VE"),
        ("Atlantis", ""),
        ("zz", ""),
        ("undetermined", ""),
        ("", ""),
    ],
)
def test_country_code(name: str, code: str) -> None:
    assert country_code(name) == code


# --- birth_years ---------------------------------------------------------------------


def test_birth_year_circa_covers_two_years_either_side() -> None:
    assert birth_years(("circa 1960",)) == frozenset(range(1958, 1963))
    assert 1957 not in birth_years(("circa 1960",))
    assert 1963 not in birth_years(("circa 1960",))


def test_birth_year_range() -> None:
    assert birth_years(("1955 to 1957",)) == frozenset({1955, 1956, 1957})
    assert birth_years(("01 Jan 1955 to 31 Dec 1957",)) == frozenset({1955, 1956, 1957})


def test_birth_year_exact_dates() -> None:
    assert birth_years(("23 Nov 1962",)) == frozenset({1962})
    assert birth_years(("23 Nov 1962", "1963")) == frozenset({1962, 1963})
    assert birth_years(()) == frozenset()
    assert birth_years(("unknown",)) == frozenset()
