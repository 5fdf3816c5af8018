"""Real-world negatives of the evaluation (service/evaluation/realworld.py, issue 14).

No list mirror needed: the listed names are a couple of hand-made entries.
"""

from __future__ import annotations

from collections import Counter

import pytest

from service.evaluation import realworld
from service.evaluation.dataset import NEGATIVE, Case, ListedNames, name_key
from service.model import EntityType, Entry, Name
from service.normalize.countries import is_country_code

PERSON_CATEGORIES = [f"real_person_{culture}" for culture in realworld.CULTURES]


def _entry(entry_id: str, entity_type: EntityType, name: str) -> Entry:
    return Entry(list_id="ofac_sdn", entry_id=entry_id, entity_type=entity_type, names=(Name(name),))


def _by_category(cases: list[Case]) -> dict[str, list[Case]]:
    grouped: dict[str, list[Case]] = {category: [] for category in realworld.CATEGORIES}
    for case in cases:
        grouped[case.category].append(case)
    return grouped


@pytest.fixture(scope="module")
def unlisted() -> tuple[list[Case], dict[str, int]]:
    return realworld.realworld_cases(ListedNames({}))


def test_companies_file_parses_with_enough_brands_companies_and_countries() -> None:
    companies = realworld.load_companies()
    assert len(companies) >= 1000
    kinds = Counter(company.kind for company in companies)
    assert kinds["brand"] >= 300 and kinds["company"] >= 700
    countries = Counter(company.country for company in companies)
    assert len(countries) >= 40
    assert all(is_country_code(country) for country in countries)
    # No duplicates, not even up to case, punctuation and word order.
    assert len({name_key(company.name) for company in companies}) == len(companies)
    # Single-word brands are written alone, as callers type them.
    assert sum(1 for company in companies if company.kind == "brand" and " " not in company.name) >= 100
    # Many countries with a substantial share, not a few countries padded out.
    for country in ("TR", "AE", "IN", "PK", "CN", "HK", "SG", "MY", "ID", "BR", "MX", "DE", "IT", "ES", "PL",
                    "KR", "JP", "EG", "SA", "KZ", "VN"):  # fmt: skip
        assert countries[country] >= 25, country


def test_person_names_file_parses_with_enough_common_names() -> None:
    cultures = realworld.load_cultures()
    assert tuple(cultures) == realworld.CULTURES
    for culture in cultures.values():
        assert culture.order in realworld.ORDERS
        assert culture.countries and all(is_country_code(country) for country in culture.countries)
        assert not {"CU", "IR", "KP", "SY"} & set(culture.countries), culture.name
        assert len(culture.given_male) >= 40, culture.name
        assert len(culture.given_female) >= 30, culture.name
        assert len(culture.family) >= 60, culture.name
        for pool in (culture.given_male, culture.given_female, culture.family):
            assert len(set(pool)) == len(pool), culture.name
    assert cultures["chinese"].order == cultures["korean"].order == "family_given"
    assert cultures["russian"].patronymic_male and cultures["russian"].patronymic_female


def test_every_company_is_a_case_and_each_culture_has_exactly_1000_distinct_names(
    unlisted: tuple[list[Case], dict[str, int]],
) -> None:
    cases, dropped = unlisted
    assert dropped == {category: 0 for category in realworld.CATEGORIES}
    grouped = _by_category(cases)
    companies = realworld.load_companies()
    assert [c.query.name for c in grouped["real_brand"]] == [c.name for c in companies if c.kind == "brand"]
    assert [c.query.name for c in grouped["real_company"]] == [c.name for c in companies if c.kind == "company"]
    for case in grouped["real_brand"] + grouped["real_company"]:
        assert case.query.type == "organization" and is_country_code(case.query.country)
    cultures = realworld.load_cultures()
    for culture in realworld.CULTURES:
        people = grouped[f"real_person_{culture}"]
        assert len(people) == realworld.PERSONS_PER_CULTURE
        assert len({name_key(case.query.name) for case in people}) == realworld.PERSONS_PER_CULTURE
        assert all(case.query.type == "individual" for case in people)
        assert {case.query.country for case in people} <= set(cultures[culture].countries)
    for case in cases:
        assert case.kind == NEGATIVE and case.expected == () and case.source is None and case.note
    assert len({case.id for case in cases}) == len(cases)
    assert grouped["real_person_anglo"][0].id == "real_person_anglo-0001"


def test_names_follow_each_culture_s_order(unlisted: tuple[list[Case], dict[str, int]]) -> None:
    grouped = _by_category(unlisted[0])
    cultures = realworld.load_cultures()
    korean = cultures["korean"]
    for case in grouped["real_person_korean"]:
        family, given = case.query.name.split(" ")
        assert family in korean.family and given in korean.given_male + korean.given_female
    chinese = cultures["chinese"]
    assert all(case.query.name.split(" ")[0] in chinese.family for case in grouped["real_person_chinese"])
    notes = Counter(case.note for case in grouped["real_person_hispanic"])
    assert notes["common name, hispanic: given + two surnames"] > 300
    assert any("patronymic" in case.note for case in grouped["real_person_russian"])
    assert any("father" in case.note for case in grouped["real_person_arabic"])
    russian = {case.query.name for case in grouped["real_person_russian"]}
    assert any(name.endswith("ova") for name in russian) and any(name.endswith("ov") for name in russian)


def test_feminine_russian_family_names() -> None:
    assert realworld.feminine_russian("Ivanov") == "Ivanova"
    assert realworld.feminine_russian("Ilyin") == "Ilyina"
    assert realworld.feminine_russian("Kovalevsky") == "Kovalevskaya"
    assert realworld.feminine_russian("Tolstoy") == "Tolstaya"


def test_deterministic_for_a_seed_and_different_for_another(unlisted: tuple[list[Case], dict[str, int]]) -> None:
    assert realworld.realworld_cases(ListedNames({})) == unlisted
    other, _ = realworld.realworld_cases(ListedNames({}), seed=realworld.REALWORLD_SEED + 1)
    same, different = _by_category(unlisted[0]), _by_category(other)
    for category in ("real_brand", "real_company"):  # every row of the file, whatever the seed
        assert same[category] == different[category]
    for category in PERSON_CATEGORIES:
        assert [c.query.name for c in same[category]] != [c.query.name for c in different[category]], category


def test_listed_names_are_dropped_and_counted(unlisted: tuple[list[Case], dict[str, int]]) -> None:
    grouped = _by_category(unlisted[0])
    person = grouped["real_person_anglo"][3].query.name
    listed = ListedNames({
        "ofac_sdn": [
            _entry("1", EntityType.ORGANIZATION, "Siemens AG"),
            _entry("2", EntityType.INDIVIDUAL, person),
        ],
    })  # fmt: skip
    cases, dropped = realworld.realworld_cases(listed)
    again = _by_category(cases)
    assert "Siemens AG" in [c.query.name for c in grouped["real_brand"]]
    assert "Siemens AG" not in [c.query.name for c in again["real_brand"]]
    assert dropped["real_brand"] == 1
    assert len(again["real_brand"]) == len(grouped["real_brand"]) - 1
    # A person is drawn again: the category stays full, without the listed name.
    assert person not in [c.query.name for c in again["real_person_anglo"]]
    assert dropped["real_person_anglo"] >= 1
    assert len(again["real_person_anglo"]) == realworld.PERSONS_PER_CULTURE
    # The other categories are untouched.
    for category in ("real_company", "real_person_chinese", "real_person_korean"):
        assert dropped[category] == 0 and again[category] == grouped[category]
