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
    entry("13", ORG, "PUBLIC JOINT STOCK COMPANY POLYUS", country="RU"),
    entry("14", ORG, "W & M LIMITED PARTNERSHIP"),
    entry("15", ORG, "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU MARKUS", country="RU"),
    entry("16", PERSON, "CURIEL-TREVINO, Luis"),
    entry("17", ORG, "MARINATEC"),
    entry("18", PERSON, "AL-'ALI, Salih"),
    # A BIS-style row: no party type at all.
    Entry(
        list_id="bis_entity", entry_id="EL-1", entity_type=EntityType.UNKNOWN, names=(Name("Muhammad Halim Ghoura"),)
    ),
    entry("19", ORG, "GAZPROM NEFT PJSC", country="RU"),
    entry("20", PERSON, "PAO, Yu Yi"),
]
# Filler so that token weights (IDF) look like a real list: common words are common.
FILLER = [
    entry(f"f{i}", ORG, f"{word} TRADING COMPANY LIMITED {i}")
    for i, word in enumerate(["ALPHA", "BETA", "GAMMA", "DELTA", "OMEGA"] * 4)
]


@pytest.fixture(scope="module")
def matcher() -> FuzzyMatcher:
    return build_default_matcher(NameIndex(LIST + FILLER), {"ofac_sdn": "v1"})  # type: ignore[return-value]


def matcher_over(entries: list[Entry]) -> FuzzyMatcher:
    """A matcher of the test's own (its caches start empty)."""
    built = build_default_matcher(NameIndex(entries), {"ofac_sdn": "v1"})
    assert isinstance(built, FuzzyMatcher)
    return built


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
        ("PUBLIC JOINT COMPANY STOCK POLYUS", "13", 0.95),  # legal-form words swapped
        ("JOINT STOCK COMOANY POLYUS", "13", 0.95),  # a typo inside a multi-word form
        ("OEPN JIONT STOK COMPANY POLYUS", "13", 0.95),  # a typo in every word of the form
        ("PUBLIC JOINTSTOCK COMPANY POLYUS", "13", 0.95),  # form words glued
        ("POLYUS OJSCX", "13", 0.95),  # a short form with a typo, in no list's vocabulary
        ("W & M Limited Partnership Ltd.", "14", 0.95),  # "M" and "Limited" are not one word
        ("ООО «Маркус»", "15", 0.95),  # Cyrillic OOO; the listed form spelt "-noi", not "-noy"
        ("Mr. Marinatec", "17", 0.95),  # a title is not a second name
        ("EL-'ALI, Salih", "18", 0.9),  # the Arabic article romanised el / al
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
        ("CURIEL-TREVINO, Thomas", 0.8),  # the surname, but a different given name
        ("Kral Aviation", 0.5),
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
    assert explanation.algorithm == "fuzzy-idf/6" and explanation.final_score == found.score
    assert "ignored legal forms" in explanation.text

    typo = top(matcher, "Nicolas Maduxo Moros")
    assert typo is not None and "typo" in {p.method for p in typo.explanation.alignment}
    translit = top(matcher, "Zain al-Abideen Mohamed Hussein")
    assert translit is not None
    assert {"transliteration", "phonetic"} & {p.method for p in translit.explanation.alignment}


def test_secondary_data_raise_and_lower_the_score(matcher: FuzzyMatcher) -> None:
    plain = top(matcher, "Igor Setchin")
    query = PartyQuery(
        names=(QueryName("Igor Setchin", QueryNameSource.NAME),),
        entity_type=PERSON,
        countries=("FR",),
        date_of_birth="1960",
    )
    [adjusted, *_] = matcher.find(query, frozenset(), 0.0, 5)
    assert plain is not None and adjusted.entry.entry_id == "4"
    assert {a.factor for a in adjusted.explanation.adjustments} == {"country"}
    assert adjusted.score < plain.score


def test_a_different_given_name_weighs_more_than_a_missing_one(matcher: FuzzyMatcher) -> None:
    # "Luis" and "Thomas" are both common, so each weighs little as a match; as a
    # conflict (each name keeps a part the other lacks) they count in full.
    conflict = top(matcher, "CURIEL-TREVINO, Thomas", PERSON)
    same = top(matcher, "Luis Curiel-Trevino", PERSON)
    assert same is not None and same.score == 1.0
    assert conflict is None or conflict.score < 0.8


def test_untyped_listing_is_scored_as_the_person_the_party_is(matcher: FuzzyMatcher) -> None:
    # A dropped middle name costs a person less than a company a dropped word. Since fuzzy-idf/4 a
    # party of unknown type is scored as a person too when the untyped listed name reads as one.
    as_person = top(matcher, "Muhammad Ghoura", PERSON)
    as_unknown = top(matcher, "Muhammad Ghoura")
    as_company = top(matcher, "Muhammad Ghoura", EntityType.ORGANIZATION)
    assert as_person is not None and as_person.entry.entry_id == "EL-1"
    assert as_unknown is not None and as_unknown.entry.entry_id == "EL-1"
    assert as_company is not None and as_company.entry.entry_id == "EL-1"
    assert as_person.score >= 0.8 > as_company.score
    assert as_unknown.score == as_person.score


def test_company_sent_as_a_person_still_sets_its_legal_form_aside(matcher: FuzzyMatcher) -> None:
    found = top(matcher, "Gazprom Neft OAO", PERSON)
    assert found is not None and found.entry.entry_id == "19"
    assert found.explanation.name_score == 1.0
    # ... and the type conflict the caller declared still lowers the score, visibly.
    assert [a.factor for a in found.explanation.adjustments] == ["party_type"] and found.score < 1.0
    # Short forms that are also surnames ("Pao", "Zao", "Sa") do not make a person a company.
    pao = top(matcher, "PAO, Yu", PERSON)
    assert pao is not None and pao.entry.entry_id == "20" and pao.score >= 0.8
    assert ("pao", "pao", "exact") in {(p.query_token, p.listed_token, p.method) for p in pao.explanation.alignment}


def test_a_repeated_question_gets_the_same_answer_from_the_cache_and_a_different_one_its_own() -> None:
    fresh = matcher_over(LIST + FILLER)
    setchin = (QueryName("Igor Setchin", QueryNameSource.NAME),)
    first = fresh.find(PartyQuery(names=setchin, party_reference="order-1"), frozenset(), 0.0, 5)
    first.clear()  # what a caller does with its answer does not reach the next one
    again = fresh.find(PartyQuery(names=setchin, party_reference="order-2"), frozenset(), 0.0, 5)
    uncached = fresh._find(PartyQuery(names=setchin), frozenset(), 0.0, 5)
    assert again == uncached and again and again[0].entry.entry_id == "4"
    # Anything the answer depends on is part of the question.
    in_france = fresh.find(PartyQuery(names=setchin, countries=("FR",)), frozenset(), 0.0, 5)
    assert in_france[0].score < again[0].score
    assert fresh.find(PartyQuery(names=setchin), frozenset({"bis_entity"}), 0.0, 5) == []
    assert len(fresh.find(PartyQuery(names=setchin), frozenset(), 0.0, 1)) == 1


def test_the_answer_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.match import fuzzy

    monkeypatch.setattr(fuzzy, "RESULT_CACHE_SIZE", 3)
    fresh = matcher_over(LIST + FILLER)
    for name in ("Igor Setchin", "Anna Petrova", "Rosneft", "Gazprom", "Bank Melli"):
        fresh.find(PartyQuery(names=(QueryName(name, QueryNameSource.NAME),)), frozenset(), 0.0, 5)
    assert len(fresh._results) == 3


@pytest.mark.parametrize(
    ("query", "entry_id", "reading"),
    [
        ("Nicolas\u202eMADURO MOROS", "1", "invisible characters read as spaces"),  # a bidi control between words
        ("Nicolas\u200bMADURO\u2060MOROS", "1", "invisible characters read as spaces"),  # zero-width space, word joiner
        ("NicolasMaduroMoros", "1", "run-together words split at capitals"),
        ("R0SN3FT 0IL C0MPANY", "8", "digits read as letters"),
        ("Sb3rb4nkRossii", "10", "run-together words split at capitals, digits read as letters"),
        ("PE1ENG JSC", "12", "digits read as letters, 1 as l"),  # a 1 for an l, not an i
    ],
)
def test_evasion_tricks_are_read_through_and_the_explanation_says_how(
    matcher: FuzzyMatcher, query: str, entry_id: str, reading: str
) -> None:
    found = top(matcher, query)
    assert found is not None and found.entry.entry_id == entry_id and found.score >= 0.9
    assert found.query_name.value == query  # the name as sent; the reading is in the explanation
    assert f": {reading})" in found.explanation.text


def test_look_alike_letters_of_another_script_are_folded_before_matching(matcher: FuzzyMatcher) -> None:
    # Cyrillic о О and Greek Μ typed into a Latin name: normalisation folds them (anyascii).
    found = top(matcher, "Nic\u043elas \u039cADUR\u041e M\u041eR\u041eS")
    assert found is not None and found.entry.entry_id == "1" and found.score == 1.0
    other = top(matcher, "Nic\u043elas \u039cARTINEZ")  # folded, still nobody listed
    assert other is None or other.score < 0.8


@pytest.mark.parametrize(
    "query",
    [
        "Nicolas\u202eMARTINEZ",  # an invisible separator does not make another name listed
        "GeorgeWashington Carver",  # camel case split, still nobody on the list
        "Plant 2 Logistics",  # a word of digits only is not read as letters
        "B3ta Tr4ding",  # read as "Beta Trading": only filler words, no listed party
    ],
)
def test_readings_of_ordinary_names_find_nothing_new(matcher: FuzzyMatcher, query: str) -> None:
    found = top(matcher, query)
    assert found is None or found.score < 0.8, found


def test_a_name_without_tricks_has_no_other_reading() -> None:
    from service.normalize.evasion import evasion_readings

    assert evasion_readings("MADURO MOROS, Nicolas") == ()
    assert evasion_readings("Plant No. 2") == ()
    assert evasion_readings("Siemens AG") == ()
    # A legal form written in mixed case hides no run-together words: it is not searched again as
    # "Gmb H" / "Sp A" (since fuzzy-idf/5), while a name run together beside it still is.
    assert evasion_readings("Staedtler Mars GmbH & Co. KG") == ()
    assert evasion_readings("Fiat Chrysler SpA") == ()
    assert evasion_readings("NicolasMaduro GmbH") == (("Nicolas Maduro GmbH", "run-together words split at capitals"),)


def test_son_of_and_daughter_of_are_one_particle_however_romanised() -> None:
    listed = [
        entry("b1", PERSON, "BIN MARWAN, Bilal"),
        entry("b2", PERSON, "BINT SALIM, Aisha"),
        entry("b3", ORG, "JABBER IBN HAYAN"),
    ]
    fresh = matcher_over(listed + FILLER)
    for query, entry_id in (
        ("IBN MARWAN, Bilal", "b1"),
        ("Bilal ben Marwan", "b1"),
        ("Aisha binti Salim", "b2"),
        ("Jabber bin Hayan", "b3"),
    ):
        found = top(fresh, query)
        assert found is not None and found.entry.entry_id == entry_id and found.score >= 0.9, (query, found)
        assert "transliteration" in found.explanation.text or "exact" in found.explanation.text
    # The particle alone does not make another family listed.
    other = top(fresh, "IBN KHALDUN, Bilal")
    assert other is None or other.score < 0.8


def test_an_organisation_is_found_without_the_acronym_its_listing_adds() -> None:
    listed = [
        entry("a1", ORG, "ACME ROCKET PROPULSION ACADEMY (ARPA)"),
        entry("a2", ORG, "GLOBAL TECHNOLOGY IMPORT & EXPORT, S.A. (GTI)"),
        entry("p1", PERSON, "SMITH, John Albert (JACK)"),
    ]
    fresh = matcher_over(listed + FILLER)
    written_out = top(fresh, "Acme Rocket Propulsion Academy")
    assert written_out is not None and written_out.entry.entry_id == "a1" and written_out.score >= 0.99
    assert "read without (ARPA)" in written_out.explanation.text
    assert written_out.listed_name.value == "ACME ROCKET PROPULSION ACADEMY (ARPA)"  # the name as listed
    with_acronym = top(fresh, "Acme Rocket Propulsion Academy (ARPA)")
    assert (
        with_acronym is not None and with_acronym.score == 1.0 and "read without" not in with_acronym.explanation.text
    )
    generic = top(fresh, "Global Technology Import & Export S.A.")  # generic words only: whole name or nothing
    assert generic is not None and generic.entry.entry_id == "a2" and generic.score >= 0.99
    # Only organisations: a person's parenthetical is a nickname, part of who they are.
    assert all(name.set_aside == "" for name in NameIndex(listed).names if name.entry_position == 2)
    partial = top(fresh, "Acme Rocket")
    assert partial is None or partial.score < 0.9


def test_words_saying_which_office_or_part_of_a_listed_company_weigh_little() -> None:
    listed = [entry("c1", ORG, "BANCO NACIONAL DE CUBA"), entry("c2", ORG, "NOVA")]
    fresh = matcher_over(listed + FILLER)
    plain = top(fresh, "Banco Nacional de Cuba")
    assert plain is not None and plain.score == 1.0
    for query, appended in (("Banco Nacional de Cuba (Singapore)", "singapore"),
                            ("Banco Nacional de Cuba Plant No. 2", "plant no 2"),
                            ("Banco Nacional de Cuba Representative Office", "representative office")):  # fmt: skip
        found = top(fresh, query)
        assert found is not None and found.entry.entry_id == "c1" and found.score >= 0.85, (query, found)
        assert (
            f"words after the listed name weighed 0.3 (which office, unit, place or business): {appended}"
            in found.explanation.text
        )
    # Only after the whole listed name, and only such words: another company's name is not a unit.
    for query, below in (("Singapore Banco Nacional de Cuba", 0.9), ("Banco Nacional de Cuba Zhang Wei", 0.9)):
        found = top(fresh, query)
        assert found is None or found.score < below, (query, found)
    # A line of business (since fuzzy-idf/3) is read as which business of the listed company is
    # meant, but it is as often another company of that brand: surfaced for review, never confirmed.
    logistics = top(fresh, "Nova Logistics")
    assert logistics is not None and logistics.entry.entry_id == "c2" and 0.80 <= logistics.score <= 0.85
    assert "(a line of business: score at most 0.85, for review)" in logistics.explanation.text


def test_qualifier_words() -> None:
    from service.normalize.qualifiers import is_qualifier

    assert all(is_qualifier(t) for t in ("office", "branch", "plant", "no", "2", "2nd", "singapore", "germany"))
    assert not any(is_qualifier(t) for t in ("trading", "logistics", "zhang", "republic", "of", "nova"))
