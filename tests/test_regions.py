"""Embargoed countries and regions: recognised from addresses, dated, and the table validated."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from service.config_files import LISTS_DIR, ConfigFileError
from service.decide.regions import RegionHit, RegionTable, load_regions
from service.model import QueryAddress

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return load_regions(LISTS_DIR / "regions.toml")


def ids(hits: list[RegionHit]) -> list[str]:
    return [hit.region_id for hit in hits]


def screen(table: RegionTable, on: date = TODAY, **fields: object) -> list[RegionHit]:
    return table.hits([QueryAddress(**fields)], on)  # type: ignore[arg-type]


def test_the_default_table_loads_with_every_embargo(table: RegionTable) -> None:
    assert set(table.region_ids) == {"CU", "IR", "KP", "SY", "crimea", "dnr", "lnr", "xinjiang"}
    assert table.version.startswith("2026-")


def test_iran_by_address_country(table: RegionTable) -> None:
    [hit] = screen(table, city="Isfahan", country="IR")
    assert (hit.region_id, hit.kind, hit.name) == ("IR", "country", "Iran")
    assert hit.evidence == "address 1: country IR"
    assert "31 CFR part 560" in hit.legal_basis


def test_cuba_via_a_transaction_country(table: RegionTable) -> None:
    address = [QueryAddress(city="Madrid", country="ES")]
    [hit] = table.hits(address, TODAY, extra_countries=[("destination", "CU")])
    assert (hit.region_id, hit.evidence) == ("CU", "destination country CU")
    assert ids(table.hits(address, TODAY, extra_countries=["cu"])) == ["CU"]
    assert table.hits(address, TODAY, extra_countries=["ES"]) == []


def test_transaction_countries_never_place_a_party_in_a_region(table: RegionTable) -> None:
    assert table.hits([], TODAY, extra_countries=[("destination", "UA"), ("origin", "RU")]) == []


def test_syria_ends_with_executive_order_14312(table: RegionTable) -> None:
    # EO 14312 revoked the Syria program effective 1 July 2025.
    assert ids(screen(table, date(2025, 6, 30), city="Damascus", country="SY")) == ["SY"]
    assert screen(table, date(2025, 7, 1), city="Damascus", country="SY") == []
    assert table.hits([], date(2025, 7, 1), extra_countries=["SY"]) == []


def test_a_region_counts_only_from_its_effective_date(table: RegionTable) -> None:
    # EO 13685 is of 19 December 2014; EO 14065 of 21 February 2022.
    assert screen(table, date(2014, 12, 18), city="Sevastopol", country="UA") == []
    assert ids(screen(table, date(2014, 12, 19), city="Sevastopol", country="UA")) == ["crimea"]
    assert screen(table, date(2022, 2, 20), city="Donetsk", country="UA") == []
    assert ids(screen(table, date(2022, 2, 21), city="Donetsk", country="UA")) == ["dnr"]


def test_sevastopol_in_the_city_field(table: RegionTable) -> None:
    [hit] = screen(table, city="Sevastopol", country="UA")
    assert (hit.region_id, hit.kind) == ("crimea", "region")
    assert hit.evidence == "address 1: 'Sevastopol' in city"
    assert "EO 13685" in hit.legal_basis


def test_simferopol_written_in_cyrillic(table: RegionTable) -> None:
    [hit] = screen(table, lines=("ул. Пушкина, 10",), city="Симферополь", country="RU")
    assert (hit.region_id, hit.evidence) == ("crimea", "address 1: 'Simferopol' in city")


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # Russian forms.
        ("Крым", "crimea"), ("Республика Крым", "crimea"), ("Севастополь", "crimea"), ("Ялта", "crimea"),
        ("Керчь", "crimea"), ("Феодосия", "crimea"), ("Евпатория", "crimea"), ("Джанкой", "crimea"),
        ("Донецк", "dnr"), ("ДНР", "dnr"), ("Макеевка", "dnr"), ("Горловка", "dnr"), ("Мариуполь", "dnr"),
        ("Енакиево", "dnr"), ("Харцызск", "dnr"), ("Шахтёрск", "dnr"), ("Дебальцево", "dnr"),
        ("Донецкая Народная Республика", "dnr"),
        ("Луганск", "lnr"), ("ЛНР", "lnr"), ("Алчевск", "lnr"), ("Северодонецк", "lnr"), ("Лисичанск", "lnr"),
        ("Красный Луч", "lnr"), ("Стаханов", "lnr"), ("Ровеньки", "lnr"), ("Антрацит", "lnr"), ("Краснодон", "lnr"),
        # Ukrainian forms: the transliterator spells them differently (Євпаторія -> ievpatoriya).
        ("Крим", "crimea"), ("Сімферополь", "crimea"), ("Керч", "crimea"), ("Євпаторія", "crimea"),
        ("Автономна Республіка Крим", "crimea"),
        ("Маріуполь", "dnr"), ("Слов’янськ", "dnr"), ("Горлівка", "dnr"), ("Єнакієве", "dnr"), ("Харцизьк", "dnr"),
        ("Костянтинівка", "dnr"),
        ("Луганськ", "lnr"), ("Сєвєродонецьк", "lnr"), ("Лисичанськ", "lnr"), ("Кадіївка", "lnr"),
    ],
)  # fmt: skip
def test_cyrillic_place_names_are_recognised_through_fold(table: RegionTable, text: str, region: str) -> None:
    assert ids(screen(table, city=text)) == [region]


def test_russian_assigned_postcode_with_a_space(table: RegionTable) -> None:
    [hit] = screen(table, postal_code="295 000", country="RU")
    assert hit.region_id == "crimea"
    assert hit.evidence == "address 1: postal code 295000 (Russian-assigned, Crimea)"
    assert ids(screen(table, postal_code="299011", country="RU")) == ["crimea"]  # Sevastopol
    assert ids(screen(table, postal_code="291001", country="RU")) == ["lnr"]
    assert ids(screen(table, postal_code="283001", country="RU")) == ["dnr"]


def test_ukrainian_postcode_of_donetsk_oblast(table: RegionTable) -> None:
    [hit] = screen(table, postal_code="83001", country="UA")
    assert (hit.region_id, hit.evidence) == ("dnr", "address 1: postal code 83001 (Ukrainian, Donetsk oblast)")
    assert ids(screen(table, postal_code="91000", country="UA")) == ["lnr"]


def test_a_postcode_counts_only_in_ukraine_russia_or_without_a_country(table: RegionTable) -> None:
    assert ids(screen(table, postal_code="95000", country="UA")) == ["crimea"]
    assert screen(table, postal_code="95000", country="DE") == []
    assert screen(table, postal_code="295000", country="CN") == []
    # The table's default: a bare code without a country does not count (US ZIP and Indian PIN
    # codes overlap the ranges, see postal_codes_when_country_empty); the place name still does.
    assert screen(table, postal_code="95472") == []
    assert screen(table, postal_code="283203") == []
    assert ids(screen(table, city="Simferopol", postal_code="95000")) == ["crimea"]


def test_a_postcode_must_be_all_digits_of_the_right_length(table: RegionTable) -> None:
    assert screen(table, postal_code="95O00", country="UA") == []  # letter O
    assert screen(table, postal_code="9500", country="UA") == []
    assert screen(table, postal_code="950001", country="UA") == []  # 6 digits, outside the 6-digit ranges
    assert screen(table, postal_code="95000-1", country="UA") == []


def test_other_ukrainian_cities_are_not_hits(table: RegionTable) -> None:
    assert screen(table, lines=("vul. Khreshchatyk 22",), city="Kyiv", postal_code="01001", country="UA") == []
    assert screen(table, city="Lviv", state_or_province="Lvivska oblast", postal_code="79000", country="UA") == []
    assert screen(table, city="Київ", country="UA") == []
    assert screen(table, city="Одеса", postal_code="65000", country="UA") == []


def test_names_match_whole_words_only(table: RegionTable) -> None:
    # "Severodonetsk" is in Luhansk oblast: it contains "donetsk" but is not the DNR.
    assert ids(screen(table, city="Severodonetsk", country="UA")) == ["lnr"]
    assert screen(table, lines=("Donetskugol trading office",), city="Warsaw", country="PL") == []
    assert screen(table, lines=("Donetskugol trading office",), city="Kharkiv", country="UA") == []
    # Moscow's Sevastopolsky prospekt and Krymsky val are streets, not Crimea.
    assert screen(table, lines=("Sevastopolsky prospekt 11", "Krymsky val 9"), city="Moscow", country="RU") == []


def test_a_full_stop_separates_words(table: RegionTable) -> None:
    # Russian addresses glue the abbreviation to the name: "г.Донецк".
    [hit] = screen(table, lines=("г.Донецк, ул.Артема 1",))
    assert (hit.region_id, hit.evidence) == ("dnr", "address 1: 'Donetsk' in line 1")


def test_an_oblast_adjective_counts_in_the_province_field_only(table: RegionTable) -> None:
    assert ids(screen(table, state_or_province="Донецкая", country="RU")) == ["dnr"]
    assert ids(screen(table, lines=("Luganskaya obl.",), country="RU")) == ["lnr"]
    # Moscow has a Donetskaya ulitsa.
    assert screen(table, lines=("ul. Donetskaya 30",), city="Moscow", country="RU") == []


def test_a_place_named_like_a_region_city_is_excluded(table: RegionTable) -> None:
    assert screen(table, city="Slavyansk-na-Kubani", state_or_province="Krasnodarskiy kray", country="RU") == []
    assert ids(screen(table, city="Славянск", country="UA")) == ["dnr"]


def test_region_names_need_a_matching_or_missing_country(table: RegionTable) -> None:
    # Saki is also a town in Nigeria.
    assert screen(table, city="Saki", state_or_province="Oyo", country="NG") == []
    assert ids(screen(table, city="Saki")) == ["crimea"]
    # A country's names count only without a country: Havana, Florida.
    assert screen(table, city="Havana", state_or_province="FL", country="US") == []
    assert ids(screen(table, lines=("Calle 23", "La Habana"))) == ["CU"]


def test_one_hit_per_region_with_the_first_evidence_in_table_order(table: RegionTable) -> None:
    addresses = [
        QueryAddress(city="Berlin", country="DE"),
        QueryAddress(city="Yalta", postal_code="298600", country="RU"),
        QueryAddress(city="Sevastopol", country="UA"),
        QueryAddress(city="Tehran", country="IR"),
    ]
    hits = table.hits(addresses, TODAY, extra_countries=[("destination", "IR")])
    assert ids(hits) == ["IR", "crimea"]
    assert hits[0].evidence == "address 4: country IR"
    # The postal code is checked before the place names of the same address.
    assert hits[1].evidence == "address 2: postal code 298600 (Russian-assigned, Crimea)"


def test_every_listed_spelling_is_recognised(table: RegionTable) -> None:
    spec = tomllib.loads((LISTS_DIR / "regions.toml").read_text(encoding="utf-8"))
    for region in spec["regions"]:
        for name in region["names"]:
            hits = screen(table, region["effective_from"], city=name, country=region["countries"][0])
            assert region["id"] in ids(hits), name
    for country in spec["countries"]:
        for name in country.get("names", []):
            # On its first day, so that ended programs (Syria) are checked too.
            assert country["code"] in ids(screen(table, country["effective_from"], city=name)), name


# --- validation -----------------------------------------------------------------

VALID = """
version = "test.1"

[[countries]]
code = "IR"
name = "Iran"
legal_basis = "31 CFR part 560"
effective_from = 1995-05-07

[[regions]]
id = "crimea"
name = "Crimea region of Ukraine"
legal_basis = "EO 13685"
effective_from = 2014-12-19
countries = ["UA", "RU"]
names = ["Crimea"]
postal_codes = [{ range = "95000-98999", label = "Ukrainian, Crimea" }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_valid_table_loads(tmp_path: Path) -> None:
    table = load_regions(write(tmp_path, VALID))
    assert ids(table.hits([QueryAddress(postal_code="95001", country="UA")], TODAY)) == ["crimea"]


def test_the_environment_variable_overrides_the_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_REGIONS", str(write(tmp_path, VALID)))
    assert load_regions().region_ids == ("IR", "crimea")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('names = ["Crimea"]', 'names = ["Crimea"]\nalias = "x"', "unknown field `alias`"),
        ('range = "95000-98999"', 'range = "9500-98999"', "regions[0].postal_codes[0].range: '9500-98999'"),
        ('range = "95000-98999"', 'range = "98999-95000"', "regions[0].postal_codes[0].range: '98999-95000' starts after"),
        ('range = "95000-98999"', 'range = "95000 to 98999"', "regions[0].postal_codes[0].range"),
        ('countries = ["UA", "RU"]', 'countries = ["UA", "XX"]', "regions[0].countries[1]: 'XX'"),
        ('code = "IR"', 'code = "ir"', "countries[0].code: 'ir'"),
        ('id = "crimea"', 'id = "IR"', "regions[0].id: 'IR'"),
        ('names = ["Crimea"]', 'names = ["Crimea", "--"]', "regions[0].names[1]: '--' has no letters"),
        ("effective_from = 2014-12-19", "effective_from = 2014-12-19\neffective_until = 2014-01-01",
         "regions[0].effective_until: 2014-01-01 is before"),
        ("effective_from = 1995-05-07", 'effective_from = "soon"', "countries[0].effective_from"),
    ],
)  # fmt: skip
def test_invalid_tables_are_rejected_naming_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ConfigFileError) as error:
        load_regions(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_an_unknown_key_names_where_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('label = "Ukrainian, Crimea"', 'label = "x", first = 95000'))
    with pytest.raises(ConfigFileError, match=r"unknown field `first`.*regions\[0\]\.postal_codes\[0\]"):
        load_regions(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_regions(tmp_path / "absent.toml")
