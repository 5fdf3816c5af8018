"""One hit and one no-hit for each class of name the held-out evaluations found hard (issue 14).

Made-up entries in the lists' own shapes; thresholds are the policy's (0.80 review).
Classes 4 (evasion) and 7 (possible match by direction) are pinned in
test_fuzzy_matching.py and test_matching_and_policy.py.
"""

from __future__ import annotations

import pytest

from service.engine.state import build_default_matcher
from service.index.name_index import NameIndex
from service.match.fuzzy import FuzzyMatcher
from service.model import EntityType, Entry, Name, PartyQuery, QueryName, QueryNameSource
from service.model.entry import Address, NameKind
from service.normalize.hangul import romanise_word
from service.normalize.names import name_tokens
from service.normalize.romanisation import romanisation_key

PERSON, ORG = EntityType.INDIVIDUAL, EntityType.ORGANIZATION
REVIEW = 0.80


def entry(entry_id: str, kind: EntityType, *names: str, country: str = "") -> Entry:
    return Entry(
        list_id="ofac_sdn",
        entry_id=entry_id,
        entity_type=kind,
        names=tuple(Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(names)),
        addresses=(Address(country=country),) if country else (),
    )


LIST = [
    entry("1", PERSON, "GHAFOORI, Fatemeh Rasoul", country="IR"),
    entry("2", PERSON, "HAMED, Hassan", country="IR"),
    entry("3", PERSON, "KIM Jong Un", country="KP"),
    entry("4", PERSON, "RI Pyong Chol", country="KP"),
    entry("5", PERSON, "JEONG Kyong Taek", country="KP"),
    entry("6", PERSON, "FISHENKO, Alexander Nikolaevich", country="RU"),
    entry("7", ORG, "SIEMTRON AG", country="DE"),
    entry("8", ORG, "KARAVAN LOJISTIK ANONIM SIRKETI", country="TR"),
    entry("9", PERSON, "KHOSRAVI, Mohammad Hossein", country="IR"),
    entry("10", ORG, "PUBLIC JOINT STOCK COMPANY ALROSA", country="RU"),
    entry("11", ORG, "LLC BAIKAL CENTER", country="RU"),
    entry("12", ORG, "ECOM INTERNATIONAL (HK) CO., LTD.", country="HK"),
    entry("13", ORG, "CIMEX", country="CU"),
    entry("14", PERSON, "CHOE, Chang Pong", country="KP"),
    entry("15", PERSON, "CHO, Yon Chun", country="KP"),
    entry("16", PERSON, "ZHANG, Jian", country="CN"),
    entry("17", PERSON, "YAN, Xiaobing", country="CN"),
    entry("18", ORG, "ALLIED TRADING CO.", country="AE"),
    entry("19", ORG, "NOVA TECHNOLOGIES CO. LTD.", country="CN"),
    entry("20", PERSON, "SMITH, Nikolay Vasilievich", country="RU"),
]
# Filler so that token weights (IDF) look like a real list.
FILLER = [
    entry(f"f{i}", ORG, f"{word} TRADING COMPANY LIMITED {i}")
    for i, word in enumerate(["ALPHA", "BETA", "GAMMA", "DELTA", "OMEGA"] * 4)
] + [entry(f"p{i}", PERSON, name) for i, name in enumerate(["HUSSEIN, Ali", "HUSSEIN, Omar", "KIM Chol", "PAK Song"])]
# Very common given names: held by many listed people, as on the real lists.
SURNAMES = [f"SURNAME{chr(65 + i // 4)}{chr(65 + i % 4)}" for i in range(16)]
COMMON = (
    [entry(f"c{i}", PERSON, f"{surname}, Mohammad Hossein {i}") for i, surname in enumerate(["REZAEI", "AHMADI"] * 35)]
    + [
        entry(f"n{i}", PERSON, f"{surname}, Nikolay {patronymic}")
        for i, (surname, patronymic) in enumerate(zip(SURNAMES * 2, ["Ivanovich", "Petrovich"] * 16, strict=True))
    ]
    + [
        entry(f"v{i}", PERSON, f"{surname}, {given} Vasilyevich")
        for i, (surname, given) in enumerate(zip(SURNAMES * 2, ["Sergei", "Oleg"] * 16, strict=True))
    ]
)


@pytest.fixture(scope="module")
def matcher() -> FuzzyMatcher:
    built = build_default_matcher(NameIndex(LIST + FILLER + COMMON), {"ofac_sdn": "v1"})
    assert isinstance(built, FuzzyMatcher)
    return built


def best(matcher: FuzzyMatcher, name: str, kind: EntityType = EntityType.UNKNOWN) -> tuple[str, float, str]:
    """(entry id, score, explanation) of the best match at any score, or ("", 0, "")."""
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), entity_type=kind)
    found = matcher.find(query, frozenset(), 0.0, 5)
    if not found:
        return "", 0.0, ""
    return found[0].entry.entry_id, found[0].score, found[0].explanation.text


# ---------------------------------------------------------------- class 3: romanisation


@pytest.mark.parametrize(
    ("one", "other"),
    [("fatemeh", "fatima"), ("hamed", "hamid"), ("rasoul", "rasul"), ("ghafoor", "gafur"), ("qasem", "kasem"),
     ("hosseini", "husseini"), ("khodadad", "hodadad"), ("abdullah", "abdulla")],
)  # fmt: skip
def test_romanisations_of_one_name_part_share_a_key(one: str, other: str) -> None:
    assert romanisation_key(one) == romanisation_key(other) != ""


@pytest.mark.parametrize(("one", "other"), [("hassan", "hussein"), ("karim", "koram"), ("rahman", "rehman")])
def test_names_whose_main_vowels_differ_keep_different_keys(one: str, other: str) -> None:
    assert romanisation_key(one) != romanisation_key(other)


def test_short_syllables_have_no_key_so_chen_is_not_chin() -> None:
    assert romanisation_key("chen") == romanisation_key("chin") == ""


def test_another_romanisation_of_every_name_part_is_a_hit(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Fatima Rasul Gafuri", PERSON)
    assert entry_id == "1" and score >= REVIEW, text
    assert "romanisation" in text  # the explanation says how the parts were aligned


def test_a_different_name_with_the_same_consonants_is_no_hit(matcher: FuzzyMatcher) -> None:
    # Hussein is not Hassan: the key keeps a / u apart.
    entry_id, score, text = best(matcher, "Hussein Hamed", PERSON)
    assert not (entry_id == "2" and score >= REVIEW), text


# ---------------------------------------------------------------- class 3 / 6: pinyin syllables


def test_one_pinyin_syllable_for_another_is_another_chinese_name(matcher: FuzzyMatcher) -> None:
    from service.normalize.pinyin import different_syllables, split_syllables

    assert split_syllables("xiaoming") == ("xiao", "ming") and split_syllables("hamid") == ()
    assert different_syllables("zheng", "zhang") and not different_syllables("zheng", "zheng")
    _, score, text = best(matcher, "Zheng Jian", PERSON)  # ZHANG, Jian is listed: 郑 is not 张
    assert score < REVIEW, text


def test_the_listed_chinese_name_with_a_real_typo_is_a_hit(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Yan Xiaobnig", PERSON)  # a transposition, not another syllable
    assert entry_id == "17" and score >= REVIEW, text


# ---------------------------------------------------------------- class 3: Hangul


@pytest.mark.parametrize(
    ("hangul", "tokens"),
    [("김정은", ("kim", "jong", "un")), ("리병철", ("ri", "pyong", "chol")), ("최룡해", ("choe", "ryong", "hae")),
     ("박봉주", ("pak", "pong", "ju"))],
)  # fmt: skip
def test_hangul_is_read_a_syllable_at_a_time_in_the_lists_spelling(hangul: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(hangul) == tokens
    assert romanise_word(hangul) == " ".join(tokens)


def test_hangul_sent_as_separate_letters_reads_the_same() -> None:
    import unicodedata

    assert name_tokens(unicodedata.normalize("NFD", "김정은")) == ("kim", "jong", "un")


def test_a_listed_korean_name_written_in_hangul_is_a_hit(matcher: FuzzyMatcher) -> None:
    for hangul, expected in (("김정은", "3"), ("리병철", "4"), ("정경택", "5")):
        entry_id, score, text = best(matcher, hangul, PERSON)
        assert entry_id == expected and score >= REVIEW, (hangul, text)


def test_hangul_is_also_read_in_mccune_reischauer_and_revised_romanisation(matcher: FuzzyMatcher) -> None:
    # 조 is "Jo" to the DPRK and "Cho" in McCune-Reischauer, as this listing spells it.
    entry_id, score, text = best(matcher, "조연춘", PERSON)
    assert entry_id == "15" and score >= 0.90, text
    assert "Hangul read in McCune-Reischauer" in text


def test_a_korean_name_in_russian_cyrillic_is_read_back(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Цой Чхан Пон", PERSON)  # Kontsevich: Choe Chang Pong
    assert entry_id == "14" and score >= REVIEW, text
    assert "Korean name in Cyrillic" in text


def test_a_russian_name_is_not_read_as_korean() -> None:
    from service.normalize.korean_cyrillic import korean_cyrillic_readings

    assert korean_cyrillic_readings("Иван Сергеевич Петров") == ()  # words longer than one syllable
    assert korean_cyrillic_readings("Ким") == ()  # one word: not a full Korean name


def test_another_korean_name_in_hangul_is_no_hit(matcher: FuzzyMatcher) -> None:
    _entry_id, score, text = best(matcher, "김민준", PERSON)  # Kim Min Jun
    assert score < REVIEW, text


# ---------------------------------------------------------------- class 2: a part of a listed name


def test_a_rare_surname_alone_surfaces_the_person_for_review_only(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Fishenko")
    assert entry_id == "6" and REVIEW <= score < 0.90, text  # looked at, never confirmed by one name part
    assert "one rare part of the listed person's name, alone" in text


def test_a_common_given_name_alone_surfaces_nobody(matcher: FuzzyMatcher) -> None:
    _, score, text = best(matcher, "Hossein")
    assert score < REVIEW, text


# ---------------------------------------------------------------- class 5: legal forms across languages


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [("Siemtron Aktiengesellschaft", "7"), ("Karavan Lojistik A.Ş.", "8"), ("KARAVAN LOJISTIK AS", "8")],
)
def test_a_legal_form_spelled_out_or_abbreviated_is_the_same_company(
    matcher: FuzzyMatcher, query: str, entry_id: str
) -> None:
    found, score, text = best(matcher, query, ORG)
    assert found == entry_id and score >= 0.90, text
    assert "ignored legal forms" in text


def test_the_legal_form_alone_does_not_make_another_company_a_hit(matcher: FuzzyMatcher) -> None:
    _, score, text = best(matcher, "Nordlicht Aktiengesellschaft", ORG)
    assert score < REVIEW, text


# ---------------------------------------------------------------- class 6: false alerts


def test_two_very_common_name_parts_of_a_listed_person_are_no_hit(matcher: FuzzyMatcher) -> None:
    # "Mohammad Hossein" is held by seventy listed people: the surname left out is what tells them apart.
    _, score, text = best(matcher, "Mohammad Hossein", PERSON)
    assert score < REVIEW, text


def test_the_same_common_parts_with_the_listed_surname_are_a_hit(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Mohammad Hossein Khosravi", PERSON)
    assert entry_id == "9" and score >= 0.90, text


# ---------------------------------------------------------------- class 1: words appended to a listed name


@pytest.mark.parametrize(
    "query",
    ["PJSC ALROSA Representative Office in Minsk", "Alrosa (Shenzhen)", "ALROSA Asia Pacific",
     "Alrosa Special Design Bureau No. 4", "Alrosa Deutschland", "ALROSA (Suisse)", "Alrosa Jebel Ali"],
)  # fmt: skip
def test_an_office_unit_or_place_after_the_whole_listed_name_is_a_hit(matcher: FuzzyMatcher, query: str) -> None:
    entry_id, score, text = best(matcher, query, ORG)
    assert entry_id == "10" and score >= REVIEW, text
    assert "words after the listed name weighed 0.3" in text


def test_a_line_of_business_after_the_listed_name_is_for_review_only(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Alrosa Auto Parts LLC", ORG)
    assert entry_id == "10" and REVIEW <= score <= 0.85, text
    assert "a line of business" in text


def test_another_name_before_the_listed_one_is_not_a_qualifier(matcher: FuzzyMatcher) -> None:
    _, score, text = best(matcher, "Minsk Tractor Works Alrosa Holding", ORG)
    assert score < 0.90, text


# ---------------------------------------------------------------- class 4: look-alike letters, run-together words


def test_latin_words_typed_with_cyrillic_and_greek_look_alikes_are_a_hit(matcher: FuzzyMatcher) -> None:
    # Cyrillic Es and A, Greek Nu and Cyrillic Te: anyascii alone reads "lls baikal ceñter".
    entry_id, score, text = best(matcher, "LL\u0421 BAIK\u0410L CE\u039d\u0422ER", ORG)
    assert entry_id == "11" and score >= 0.90, text
    assert "look-alike Cyrillic or Greek letters read as Latin" in text


def test_a_real_cyrillic_word_is_still_read_by_sound(matcher: FuzzyMatcher) -> None:
    from service.normalize.evasion import evasion_readings

    assert evasion_readings("Байкал Центр") == ()  # no Latin letter in the words: nothing to undo


def test_an_acronym_run_together_with_words_is_split(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "ECOMInternationalHKCoLtd", ORG)
    assert entry_id == "12" and score >= 0.90, text


# ---------------------------------------------------------------- class 6: one-word brands


def test_a_one_word_brand_that_only_sounds_like_a_one_word_listing_is_no_hit(matcher: FuzzyMatcher) -> None:
    _, score, text = best(matcher, "Cemex", ORG)  # CIMEX is listed: same consonants, another company
    assert score < REVIEW, text


def test_the_one_word_listing_as_written_is_a_hit(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Cimex S.A.", ORG)
    assert entry_id == "13" and score >= 0.90, text


def test_a_company_sharing_only_its_brand_word_with_another_generic_word_is_no_hit(matcher: FuzzyMatcher) -> None:
    # A bank is not a trading company: each side keeps a word the other lacks.
    _, score, text = best(matcher, "Allied Bank Limited", ORG)
    assert score < REVIEW, text


def test_a_brand_alone_is_not_plainly_the_listed_company_with_more_words(matcher: FuzzyMatcher) -> None:
    entry_id, score, text = best(matcher, "Nova Ltd.", ORG)
    assert not (entry_id == "19" and score >= 0.90), text  # at most surfaced, never confirmed
    entry_id, score, text = best(matcher, "Nova Technologies Limited", ORG)
    assert entry_id == "19" and score >= 0.90, text


def test_common_parts_count_as_common_in_either_spelling(matcher: FuzzyMatcher) -> None:
    # "Vasilievich" is spelled so only once, "Vasilyevich" by 32 listed people; SMITH is a common surname.
    query = PartyQuery(names=(QueryName("Nikolay Vasilyevich", QueryNameSource.NAME),), entity_type=PERSON)
    pankov = [m for m in matcher.find(query, frozenset(), 0.0, 50) if m.entry.entry_id == "20"]
    assert not pankov or pankov[0].score < REVIEW, pankov[0].explanation.text
    entry_id, score, text = best(matcher, "Nikolay Vasilyevich Smith", PERSON)
    assert entry_id == "20" and score >= REVIEW, text


# ---------------------------------------------------------------- matcher fuzzy-idf/4
# A second small index, so that these entries do not move the token weights the tests above rely on.

UNTYPED = EntityType.UNKNOWN
LIST_4 = [
    entry("s1", PERSON, "SALIH, Ahmad"),
    entry("s2", PERSON, "KHAN, Ali Hasan"),
    entry("b1", UNTYPED, "Berge Aris Balanian"),
    entry("l1", ORG, "LOOP SA"),
    entry("a1", PERSON, "TARIQ, Ahmed Yusuf"),
    entry("a2", PERSON, "ABBAS, Muhammad"),
    entry("k1", PERSON, "YU, Kwang Ho"),
    entry("k2", PERSON, "KIM, Myong Gi"),
    entry("g1", ORG, "HEIDAR KARAR DRUG TRAFFICKING ORGANIZATION"),
    entry("g2", ORG, "DAWOOD IBRAHIM ORGANIZATION"),
    entry("h1", PERSON, "GONZALEZ CARDENAS, Jorge Guillermo"),
    entry("u1", UNTYPED, "SUN WING LTD."),
    entry("s3", PERSON, "HAMDAN, Salim"),
    entry("s4", PERSON, "KHOURY, Salma"),
    entry("sb", PERSON, "SU, Bin"),
    entry("ma", UNTYPED, "Miguel Alonso Apodaca"),
    entry("km", PERSON, "KIM, Sang Man"),
    entry("kh", PERSON, "KHAPSIROKOV, Murat Krym-Gerievich"),
    entry("hn", PERSON, "Hakim Noor"),
    entry("zl", PERSON, "ZHOU, Shu"),
]
FILLER_4 = (
    # "Salim" is a name the lists hold (three listed people here), like "Salih".
    [entry(f"sa{i}", PERSON, f"SALIM, {given}") for i, given in enumerate(["Omar", "Karim", "Yusuf"])]
    # Many listed companies named "... Middle East": the Dice estimate ranks them above "LOOP SA".
    + [entry(f"me{i}", ORG, f"{chr(65 + i // 26)}{chr(65 + i % 26)}TRON MIDDLE EAST") for i in range(40)]
    # Surnames many listed people carry: a conflict between two of them is a light one by rarity.
    + [
        entry(f"hs{i}", PERSON, f"{surname} SURNAME{chr(65 + i % 26)}{i}, Luis")
        for i, surname in enumerate(["GONZALEZ", "REYES"] * 40)
    ]
    # A list as large as the real ones, against which forty "Middle East" names are rare enough to weigh.
    + [entry(f"x{i}", ORG, f"FILLER {i:05d} HOLDING") for i in range(4000)]
)


@pytest.fixture(scope="module")
def matcher_4() -> FuzzyMatcher:
    built = build_default_matcher(NameIndex(LIST_4 + FILLER_4), {"ofac_sdn": "v1"})
    assert isinstance(built, FuzzyMatcher)
    return built


def score_of(
    matcher: FuzzyMatcher, name: str, entry_id: str, kind: EntityType = EntityType.UNKNOWN
) -> tuple[float, str]:
    """(score, explanation) of one entry for a query, (0, "") when it is not found at all."""
    query = PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), entity_type=kind)
    for found in matcher.find(query, frozenset(), 0.0, 100):
        if found.entry.entry_id == entry_id:
            return found.score, found.explanation.text
    return 0.0, ""


@pytest.mark.parametrize(
    ("one", "other", "distinct"),
    [("salim", "salih", True), ("amir", "amin", True), ("victor", "viktor", False), ("abdallah", "abdullah", False),
     ("ala", "alla", False), ("yon", "yong", False), ("salihh", "salih", False), ("qxzv", "salih", False)],
)  # fmt: skip
def test_wikidata_name_items_tell_two_names_from_two_spellings(one: str, other: str, distinct: bool) -> None:
    from service.normalize.name_symbols import distinct_names

    assert distinct_names(one, other) is distinct


def test_a_typo_that_is_another_known_name_is_no_hit_in_a_two_part_name(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "Ahmad Salim", "s1", PERSON)
    assert score < REVIEW, text  # Salim and Salih are two names, not a misspelling
    score, text = score_of(matcher_4, "Ahmad Salhi", "s1", PERSON)
    assert score >= REVIEW, text  # a misspelling that is no name of its own still is one
    score, text = score_of(matcher_4, "Salma Hamdan", "s3", PERSON)  # sound alike, two names
    assert score < REVIEW, text


def test_two_common_parts_alone_are_capped_and_the_explanation_says_so(matcher_4: FuzzyMatcher) -> None:
    # Ali, Hasan and Khan are among the world's most common name parts (service.normalize.legal_forms):
    # by weight, the surname left out costs little.
    score, text = score_of(matcher_4, "Ali Hasan", "s2", PERSON)
    assert 0 < score <= 0.70, text
    assert "only two very common parts of the listed person's name" in text
    score, text = score_of(matcher_4, "Ali Hasan Khan", "s2", PERSON)
    assert score >= 0.90, text


def test_an_untyped_listing_that_reads_as_a_person_surfaces_for_its_rare_surname(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "Balanian", "b1")
    assert REVIEW <= score < 0.90, text
    assert "one rare part of the listed person's name, alone" in text
    score, text = score_of(matcher_4, "Balanian", "b1", ORG)  # a company's one-word name is no surname
    assert score < REVIEW, text


def test_a_listed_name_the_query_holds_whole_is_scored_among_many_similar_ones(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "Loop SA Middle East", "l1", ORG)
    assert score >= REVIEW, text
    assert "words after the listed name weighed 0.3" in text


def test_a_name_in_arabic_script_is_read_as_the_listed_spellings_it_fits(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "طارق أحمد يوسف", "a1", PERSON)
    assert score >= 0.90, text
    assert "read as 'tariq ahmad yusuf'" in text and "Arabic script" in text  # ahmad: as listed as ahmed, first


def test_arabic_script_with_the_same_consonants_but_other_long_vowels_is_no_hit(matcher_4: FuzzyMatcher) -> None:
    # محمود (Mahmoud) writes a long u that محمد (Muhammad) lacks: the same consonants, another name.
    score, text = score_of(matcher_4, "محمود عباس", "a2", PERSON)
    assert score < REVIEW, text


def test_consonant_keys_agree_across_scripts() -> None:
    from service.normalize.arabic import arabic_consonant_keys, arabic_pattern, latin_consonant_key

    assert latin_consonant_key("tariq") in arabic_consonant_keys("طارق")
    assert latin_consonant_key("abdulla") in arabic_consonant_keys("عبدالله")
    assert latin_consonant_key("hamzah") in arabic_consonant_keys("حمزة")
    assert arabic_pattern("محمود").fullmatch("mahmoud") and not arabic_pattern("محمود").fullmatch("muhammad")
    assert not arabic_pattern("طارق").fullmatch("turki")  # a medial alif is a long a


def test_hangul_family_names_are_also_read_the_southern_way(matcher_4: FuzzyMatcher) -> None:
    from service.normalize.hangul import hangul_readings

    assert romanise_word("유광호") == "ryu kwang ho"  # the DPRK's spelling, as most listings write it
    assert "yu kwang ho" in [" ".join(reading.split()) for reading, _ in hangul_readings("유광호")]
    score, text = score_of(matcher_4, "유광호", "k1", PERSON)
    assert score >= 0.90, text


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [("ki", "gi", True), ("chol", "cheol", True), ("pak", "bak", True), ("son", "sun", False), ("kim", "lim", False),
     ("ali", "ari", False)],
)  # fmt: skip
def test_one_hangul_syllable_in_two_systems_is_one_name_part(one: str, other: str, same: bool) -> None:
    from service.normalize.hangul import same_korean_syllable

    assert same_korean_syllable(one, other) is same


def test_a_korean_name_spelled_in_two_systems_at_once_is_a_hit(matcher_4: FuzzyMatcher) -> None:
    # 김명기 in McCune-Reischauer is "Kim Myong Ki", in Revised Romanisation "Gim Myeong Gi"; the
    # listing mixes them. Each syllable aligns with its spelling in the other system.
    score, text = score_of(matcher_4, "김명기", "k2", PERSON)
    assert score >= REVIEW, text
    assert "ki~gi 0.90 romanisation" in text


def test_an_uncommon_family_and_a_word_for_its_network_surface_the_listed_organisation(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "Karar Network", "g1")
    assert REVIEW <= score < 0.90, text
    assert "an uncommon family name and a word for its organisation" in text
    score, text = score_of(matcher_4, "Ibrahim Group", "g2")  # one of the world's most common names
    assert score < REVIEW, text
    score, text = score_of(matcher_4, "Karar", "g1", ORG)  # the family name alone is no organisation
    assert score < REVIEW, text


def test_a_listed_part_replaced_by_another_is_evidence_against(matcher_4: FuzzyMatcher) -> None:
    # Another first surname in the place of the listed one: a conflict, not a shorter name.
    score, text = score_of(matcher_4, "REYES CARDENAS, Jorge Guillermo", "h1", PERSON)
    assert score < REVIEW, text
    score, text = score_of(matcher_4, "CARDENAS, Jorge Guillermo", "h1", PERSON)  # left out, not replaced
    assert score >= REVIEW, text


def test_a_person_against_an_untyped_listing_with_a_legal_form_has_the_type_conflict(matcher_4: FuzzyMatcher) -> None:
    query = PartyQuery(names=(QueryName("Sun Wing", QueryNameSource.NAME),), entity_type=PERSON)
    found = next(m for m in matcher_4.find(query, frozenset(), 0.0, 10) if m.entry.entry_id == "u1")
    assert [(a.factor, a.delta) for a in found.explanation.adjustments] == [("party_type", -0.15)]
    assert "listed name carries the legal form ltd" in found.explanation.text
    query = PartyQuery(names=(QueryName("Sun Wing", QueryNameSource.NAME),), entity_type=UNTYPED)
    found = next(m for m in matcher_4.find(query, frozenset(), 0.0, 10) if m.entry.entry_id == "u1")
    assert found.explanation.adjustments == () and found.score >= 0.90


def test_a_common_surname_added_to_a_whole_listed_name_still_counts_against(matcher_4: FuzzyMatcher) -> None:
    # Jang is among the world's most common surnames: weak evidence for a match, not against one.
    score, text = score_of(matcher_4, "Jang Su Bin", "sb", PERSON)
    assert score < REVIEW, text
    score, text = score_of(matcher_4, "Su Bin", "sb", PERSON)
    assert score >= 0.90, text


def test_an_untyped_listing_that_reads_as_a_person_forgives_a_dropped_middle_name(matcher_4: FuzzyMatcher) -> None:
    # Neither side says it is a person; the listed name reads as one, so the middle name left out
    # counts half, as for a typed person, not as a company's missing word.
    score, text = score_of(matcher_4, "Miguel Apodaca", "ma")
    assert score >= REVIEW, text
    score, text = score_of(matcher_4, "Miguel Apodaca", "ma", ORG)
    assert score < REVIEW, text


def test_a_final_n_in_korean_cyrillic_is_read_both_as_n_and_as_ng(matcher_4: FuzzyMatcher) -> None:
    from service.normalize.korean_cyrillic import korean_cyrillic_readings

    # Kontsevich writes ㅇ (Sang) and ㄴ (Man) alike, with н: every combination is a reading.
    readings = [reading for reading, _ in korean_cyrillic_readings("Ким Сан Ман")]
    assert readings[0] == "kim sang mang" and "kim sang man" in readings and len(set(readings)) == len(readings)
    assert next(r for r, _ in korean_cyrillic_readings("Ли Дон Чжин")) == "ri tong chin"  # чж is one consonant
    score, text = score_of(matcher_4, "Ким Сан Ман", "km", PERSON)
    assert score >= 0.90, text
    assert "Korean name in Cyrillic read back" in text


def test_a_name_part_written_as_one_word_counts_once_when_left_out(matcher_4: FuzzyMatcher) -> None:
    # "Krym-Gerievich" is one patronymic: leaving it out is one middle name dropped, not two.
    record = next(r for r in matcher_4._index.records if r.tokens[0] == "khapsirokov")
    assert record.joined == (3,)
    score, text = score_of(matcher_4, "KHAPSIROKOV, Murat", "kh", PERSON)
    assert score >= 0.85, text  # counted per token, the two halves would take it to 0.80


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [("noor", "nur", True), ("nour", "nur", True), ("deen", "din", True), ("reem", "rim", True), ("yoo", "yoo", False),
     ("chen", "chin", False), ("nur", "nir", False), ("noora", "nura", False)],
)  # fmt: skip
def test_a_long_vowel_written_doubled_or_single_is_one_short_name(one: str, other: str, same: bool) -> None:
    from service.normalize.romanisation import same_long_vowel

    assert same_long_vowel(one, other) is same  # five letters and more: the romanisation key's job


def test_a_short_name_with_its_long_vowel_written_single_is_a_hit(matcher_4: FuzzyMatcher) -> None:
    score, text = score_of(matcher_4, "Hakim Nur", "hn", PERSON)
    assert score >= 0.90, text
    assert "nur~noor 0.90 romanisation" in text
    score, text = score_of(matcher_4, "Zhou Shou", "zl", PERSON)  # shou / shu: two pinyin syllables, two names
    assert score < REVIEW, text
