"""The fuzzy matcher on concrete cases from "What it must handle", with its explanations."""

from __future__ import annotations

import pytest

from service.engine.state import build_default_matcher
from service.index.name_index import NameIndex
from service.match.fuzzy import FuzzyMatcher
from service.match.result import MatchResult
from service.model import EntityType, Entry, Name, PartyQuery, QueryName, QueryNameSource
from service.model.entry import Address, AliasStrength, NameKind

PERSON, ORG = EntityType.INDIVIDUAL, EntityType.ORGANIZATION


def entry(entry_id: str, kind: EntityType, *names: str, weak: tuple[str, ...] = (), country: str = "") -> Entry:
    return Entry(
        list_id="ofac_sdn",
        entry_id=entry_id,
        entity_type=kind,
        names=(
            *(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names)),
            *(Name(n, NameKind.AKA, AliasStrength.WEAK) for n in weak),
        ),
        addresses=(Address(country=country),) if country else (),
    )


LIST = [
    entry("1", PERSON, "MADURO MOROS, Nicolas", country="VE"),
    entry("2", PERSON, "AL-ZAWAHIRI, Ayman Muhammad Rabi", weak=("THE DOCTOR",)),
    entry("3", PERSON, "HUSAYN, Zayn al-Abidin Muhammad"),
    entry("4", PERSON, "SECHIN, Igor Ivanovich", country="RU"),
    entry("5", PERSON, "CHOE Ryong Hae"),
    entry("6", ORG, "EMMA LLC"),
    entry("7", ORG, "HIKVISION DIGITAL TECHNOLOGY CO., LTD.", country="CN"),
    entry("8", ORG, "ROSNEFT OIL COMPANY PJSC", "OAO NK ROSNEFT", country="RU"),
    entry("9", ORG, "INTERNATIONAL TRADING GROUP LIMITED"),
    entry("10", ORG, "SBERBANK ROSSII"),
    entry("11", PERSON, "KUZNETSOV, Aleksandr Yuryevich", country="RU"),
    entry("12", ORG, "PELENG JSC", country="BY"),
]
# Filler so that token weights (IDF) look like a real list: common words are common.
FILLER = [entry(f"f{i}", ORG, f"{word} TRADING COMPANY LIMITED {i}") for i, word in enumerate(["ALPHA", "BETA", "GAMMA", "DELTA", "OMEGA"] * 4)]


@pytest.fixture(scope="module")
def matcher() -> FuzzyMatcher:
    return build_default_matcher(NameIndex(LIST + FILLER), {"ofac_sdn": "v1"})  # type: ignore[return-value]


def top(matcher: FuzzyMatcher, name: str, kind: EntityType = EntityType.UNKNOWN) -> MatchResult | None:
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), entity_type=kind)
    found = matcher.find(query, frozenset(), 0.0, 5)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("query", "entry_id", "at_least"),
    [
        ("Nicolas MADURO MOROS", "1", 1.0),
        ("maduro-moros, NICOLÁS", "1", 1.0),
        ("Nicolas Madurro Moros", "1", 0.9),  # one typo
        ("Nikolas Madura Morros", "1", 0.85),  # a typo in every token
        ("Nicolas Maduro", "1", 0.85),  # second surname dropped
        ("N. Maduro Moros", "1", 0.85),  # initial
        ("Николас Мадуро Морос", "1", 0.9),  # Cyrillic
        ("Ayman Mohammed Rabi al-Zawahiri", "2", 0.9),  # Muhammad / Mohammed, order
        ("Zain al-Abideen Mohamed Hussein", "3", 0.85),  # Husayn / Hussein, Zayn / Zain
        ("Igor Ivanovich Setchin", "4", 0.9),
        ("Choi Ryong Hae", "5", 0.9),  # Choe / Choi
        ("Alexander Yurievich Kuznetsov", "11", 0.85),  # Aleksandr / Alexander
        ("Hik Vision Digital Technology", "7", 0.85),  # split token, legal form dropped
        ("Hikvision Digital Technology Limited Liability Company", "7", 0.85),  # legal form swapped
        ("Rosneft Oil Company", "8", 0.85),
        ("NK Rosneft AO", "8", 0.85),  # OAO -> AO
        ("Sber Bank Rossii", "10", 0.9),  # glued token split
        ("PELENGJSC", "12", 0.95),  # legal form glued to the name
        ("Peleng Joint Stock Com Pany", "12", 0.95),  # legal form split by a typist
        ("Peleng Limitd Liability Companu", "12", 0.95),  # legal form with typos
    ],
)
def test_listed_parties_are_found(matcher: FuzzyMatcher, query: str, entry_id: str, at_least: float) -> None:
    found = top(matcher, query)
    assert found is not None and found.entry.entry_id == entry_id, found
    assert found.score >= at_least, found.explanation.text


@pytest.mark.parametrize(
    ("query", "below"),
    [
        ("Emma Daniels", 0.7),  # shares only a name with EMMA LLC: the legal form makes no match
        ("CORP", 0.7),  # a legal form alone scores nothing high
        ("Global Trading Company Ltd", 0.7),  # generic words only
        ("Johanna Pemberton-Whitcombe", 0.5),
        ("Nicolas Sarkozy", 0.7),  # shares a given name only
    ],
)
def test_innocent_parties_stay_below_review(matcher: FuzzyMatcher, query: str, below: float) -> None:
    found = top(matcher, query)
    assert found is None or found.score < below, found.explanation.text if found else None


def test_weak_alias_is_searchable_but_flagged(matcher: FuzzyMatcher) -> None:
    found = top(matcher, "The Doctor")
    assert found is not None and found.entry.entry_id == "2"
    assert found.listed_name.strength is AliasStrength.WEAK


def test_explanation_shows_alignment_methods_weights_and_ignored_legal_forms(matcher: FuzzyMatcher) -> None:
    found = top(matcher, "Hik Vision Digital Technology Limited Liability Company")
    assert found is not None
    explanation = found.explanation
    methods = {pair.method for pair in explanation.alignment}
    assert {"exact", "glued+exact", "legal_form_ignored"} <= methods
    glued = next(p for p in explanation.alignment if p.method.startswith("glued"))
    assert (glued.query_token, glued.listed_token) == ("hik vision", "hikvision")
    assert abs(sum(p.weight for p in explanation.alignment) - 1.0) < 0.01  # query weights sum to 1
    assert explanation.algorithm == "fuzzy-idf/1" and explanation.final_score == found.score
    assert "ignored legal forms" in explanation.text

    typo = top(matcher, "Nicolas Maduxo Moros")
    assert typo is not None and "typo" in {p.method for p in typo.explanation.alignment}
    translit = top(matcher, "Zain al-Abideen Mohamed Hussein")
    assert translit is not None
    assert {"transliteration", "phonetic"} & {p.method for p in translit.explanation.alignment}


def test_secondary_data_raise_and_lower_the_score(matcher: FuzzyMatcher) -> None:
    plain = top(matcher, "Igor Setchin")
    query = PartyQuery(
        names=(QueryName("Igor Setchin", QueryNameSource.NAME),), entity_type=PERSON, countries=("FR",), date_of_birth="1960"
    )
    [adjusted, *_] = matcher.find(query, frozenset(), 0.0, 5)
    assert plain is not None and adjusted.entry.entry_id == "4"
    assert {a.factor for a in adjusted.explanation.adjustments} == {"country"}
    assert adjusted.score < plain.score
