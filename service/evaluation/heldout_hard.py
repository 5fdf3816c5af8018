"""Held-out hard negatives: unlisted names that share much with a listed one.

Entry-driven makers return (listed name, Change) like the positive makers; the
brand list (hard_one_word_near) is driven by the brands instead and builds its
cases itself.
"""

from __future__ import annotations

import random
import re

from service.evaluation.dataset import HARD_NEGATIVE, Case, Query
from service.evaluation.heldout_common import (
    Change,
    Context,
    capitalised,
    fold,
    key,
    osa_distance,
    person_name,
    strong_names,
    tokens,
    valid_query,
    words,
)
from service.evaluation.heldout_tables import (
    ARABIC_FAMILY_NAMES,
    BRANDS,
    BUSINESS_NOUNS,
    DESCRIPTORS,
    ENGLISH_WORDS,
    GENERIC_ORG_WORDS,
    LEGAL_FORMS,
    NEGATIVE_FORMS,
    PARTICLE_WORDS,
    PLACE_WORDS,
)
from service.model import Entry

Made = tuple[str, Change] | None
COMMON_PERSON_TOKEN = 30  # listed persons a word must be in to count as very common
_NOT_DISTINCTIVE = frozenset(
    (*GENERIC_ORG_WORDS, *PLACE_WORDS, *ENGLISH_WORDS,
     *(t for form in LEGAL_FORMS for v in (*form.short, *form.long) for t in tokens(v)))
)  # fmt: skip
_NAME_PARTICLES = frozenset((
    *PARTICLE_WORDS, "bin", "ibn", "ben", "bint", "abu", "abd", "de", "da", "del", "della", "di", "do", "dos", "das",
    "du", "la", "le", "van", "von", "der", "den", "y", "e", "ould",
))  # fmt: skip
_KUNYA = re.compile(r"^\s*(abu|abou|umm|um)[\s\-]+(?:(?:al|el|ul)[\s\-]+)?([^\W\d_]{3,})", re.IGNORECASE)


# ---------------------------------------------------------------- hard_one_word_near


def one_word_near(context: Context, seed: int, target: int) -> tuple[list[Case], int]:
    """Real brands one or two edits from a one-word listed organisation name; (cases, dropped as listed)."""
    listed: dict[str, tuple[Entry, str]] = {}
    for list_entries in context.entries.values():
        for entry in list_entries:
            if not context.is_organisation(entry):
                continue
            for name in strong_names(entry):
                word = name.strip()
                if word.isalpha() and len(word) >= 4:
                    listed.setdefault(fold(word), (entry, word))
    brands = list(dict.fromkeys(BRANDS))
    near: list[tuple[str, Entry, str, int]] = []
    for brand in brands:
        folded = fold(brand)
        best: tuple[int, str] | None = None
        for candidate in listed:
            if candidate == folded or abs(len(candidate) - len(folded)) > 2:
                continue
            distance = osa_distance(folded, candidate)
            if 1 <= distance <= 2 and (best is None or distance < best[0]):
                best = (distance, candidate)
        if best is not None:
            entry, word = listed[best[1]]
            near.append((brand, entry, word, best[0]))
    cases: list[Case] = []
    dropped = 0
    seen: set[str] = set()

    def add(query: str, brand: str, entry: Entry, word: str, distance: int, rng: random.Random, note: str) -> None:
        nonlocal dropped
        if key(query) in seen:
            return
        if context.listed.is_listed(query):
            dropped += 1
            return
        seen.add(key(query))
        kind = "unknown" if rng.random() < 0.2 else "organization"
        cases.append(Case("", "hard_one_word_near", HARD_NEGATIVE, Query(query, kind, ""),
                          source=(entry.list_id, entry.entry_id, word), note=note))  # fmt: skip

    for brand, entry, word, distance in near:
        rng = random.Random(f"{seed}/hard_one_word_near/{brand}")
        add(brand, brand, entry, word, distance, rng, f"brand '{brand}' is {distance} edit(s) from listed '{word}'")
    rounds = 0
    while len(cases) < target and near and rounds < 3:
        rounds += 1
        for brand, entry, word, distance in near:
            rng = random.Random(f"{seed}/hard_one_word_near/{brand}/{rounds}")
            form = rng.choice(NEGATIVE_FORMS)
            add(f"{brand} {form}", brand, entry, word, distance, rng,
                f"brand '{brand}' ({distance} edit(s) from listed '{word}') with legal form '{form}'")  # fmt: skip
    random.Random(f"{seed}/hard_one_word_near/pick").shuffle(cases)
    return cases[:target], dropped


# ---------------------------------------------------------------- entry-driven


def hard_common_parts(entry: Entry, context: Context, rng: random.Random) -> Made:
    """Two very common words of a listed person's name, as "Given Family"."""
    if not context.is_person(entry):
        return None
    name = entry.primary_name
    parsed = person_name(name)
    if parsed is None or len(tokens(name)) < 3 or not valid_query(name):
        return None

    def common(text: str) -> list[str]:
        return list(dict.fromkeys(
            w for w in words(text)
            if w.isalpha() and len(w) >= 3 and fold(w) not in _NAME_PARTICLES
            and context.person_frequency.get(fold(w), 0) >= COMMON_PERSON_TOKEN
        ))  # fmt: skip

    given, family = common(parsed.given), common(parsed.family)
    if given and family:
        first, last = rng.choice(given), rng.choice(family)
    else:
        pool = common(name)
        if len(pool) < 2:
            return None
        first, last = sorted(rng.sample(pool, 2), key=pool.index)
    if fold(first) == fold(last):
        return None
    query = f"{capitalised(first)} {capitalised(last)}"
    counts = f"{context.person_frequency[fold(first)]} and {context.person_frequency[fold(last)]} listed persons"
    return name, Change(query, f"'{first}' and '{last}' of the listed name, words in {counts}")


def hard_kunya(entry: Entry, context: Context, rng: random.Random) -> Made:
    """The name inside a listed "Abu X" with a common family name: "Hamza Haddad" is not "Abu Hamza"."""
    if not context.is_person(entry):
        return None
    for name in [n.value for n in entry.names]:  # weak aliases too: kunyas are often low-quality a.k.a.s
        match = _KUNYA.match(name)
        if match is None or fold(match.group(2)) in PARTICLE_WORDS:
            continue
        inner = capitalised(match.group(2))
        family = rng.choice([f for f in ARABIC_FAMILY_NAMES if fold(f) != fold(inner)])
        query = f"{inner} {family}"
        kunya = match.group().strip()
        return name, Change(query, f"'{inner}' of the listed kunya '{kunya}' with family name '{family}'")
    return None


def hard_shared_word(entry: Entry, context: Context, rng: random.Random) -> Made:
    """Another company sharing one distinctive word of a listed organisation name."""
    if not context.is_organisation(entry):
        return None
    name = entry.primary_name
    name_words = words(name)
    if len(name_words) < 3 or not valid_query(name):
        return None
    distinctive = [
        w for w in dict.fromkeys(name_words)
        if w.isalpha() and len(w) >= 4 and fold(w) not in _NOT_DISTINCTIVE
        and context.organisation_frequency.get(fold(w), 0) <= 3 and not context.person_frequency.get(fold(w), 0)
    ]  # fmt: skip
    if not distinctive:
        return None
    shared = rng.choice(distinctive)
    taken = set(tokens(name))
    descriptors = [d for d in DESCRIPTORS if fold(d) not in taken]
    nouns = [n for n in BUSINESS_NOUNS if fold(n) not in taken]
    form = rng.choice(NEGATIVE_FORMS)
    word = capitalised(shared)
    if rng.random() < 0.5:
        others = [rng.choice(descriptors), rng.choice(nouns)]
        query = f"{others[0]} {word} {others[1]} {form}"
    else:
        others = rng.sample(nouns, 2)
        query = f"{word} {others[0]} & {others[1]} {form}"
    return name, Change(query, f"shares '{shared}' with the listed name; other words {others} and form '{form}'")
