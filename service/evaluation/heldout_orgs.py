"""Held-out positives made from listed organisations: words appended (class 1), a part of the name
(class 2) and the legal form written another way (class 5).

Every maker takes an entry, the shared Context and a seeded `random.Random`, and
returns (listed name used, Change) or None when the entry does not lend itself
to the category.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from service.evaluation.heldout_common import (
    WORD,
    Change,
    Context,
    capitalised,
    countries_of,
    fold,
    is_upper,
    key,
    like,
    person_name,
    strong_names,
    tidy,
    tokens,
    valid_query,
    words,
)
from service.evaluation.heldout_scripts import chinese_syllables, korean_syllables
from service.evaluation.heldout_tables import (
    BUSINESS_WORDS,
    CHINESE_COUNTRIES,
    CITIES_BY_COUNTRY,
    ENGLISH_SWAPS,
    GENERIC_ORG_WORDS,
    HUB_CITIES,
    KOREAN_COUNTRIES,
    LEGAL_FORMS,
    NETWORK_REPLACEMENTS,
    NETWORK_WORDS,
    NOT_ACRONYMS,
    OFFICE_TEMPLATES,
    PLACES,
    SWAP_COUNTRIES,
    UNIT_TEMPLATES,
    LegalForm,
)
from service.model import Entry

Made = tuple[str, Change] | None
MAX_SOURCE_CHARS = 90


def _usable(name: str) -> bool:
    return valid_query(name) and len(name) <= MAX_SOURCE_CHARS and ";" not in name and "successor" not in name.lower()


def _org_name(entry: Entry, context: Context) -> str | None:
    if not context.is_organisation(entry):
        return None
    name = entry.primary_name
    return name if _usable(name) else None


# ---------------------------------------------------------------- legal forms


@dataclass(frozen=True)
class FoundForm:
    form: LegalForm
    written: str  # as the listed name writes it
    start: int
    end: int
    prefix: bool
    spelled_out: bool


def find_form(name: str, countries: list[str], spelled_out: bool | None) -> FoundForm | None:
    """The legal form at the end (or, for forms written first, the start) of a name; the longest wins.

    spelled_out: True for the long forms only, False for abbreviations only, None for either.
    A form of particular countries counts only for an entry of one of them.
    """
    spans = list(WORD.finditer(name))
    folded = [fold(m.group()) for m in spans]
    best: FoundForm | None = None
    best_size = 0
    for form in LEGAL_FORMS:
        if form.countries and not set(form.countries) & set(countries):
            continue
        variants = [(v, False) for v in form.short] + [(v, True) for v in form.long]
        for variant, long in variants:
            if spelled_out is not None and long != spelled_out:
                continue
            wanted = tokens(variant)
            size = len(wanted)
            if not size or len(spans) <= size or size <= best_size:
                continue
            if folded[-size:] == wanted and not WORD.search(name[spans[-1].end() :]):
                start = spans[-size].start()
                if variant.startswith("(") and name[:start].endswith("("):
                    start -= 1
                best = FoundForm(form, name[start:].strip(), start, len(name), False, long)
                best_size = size
            elif form.prefix and folded[:size] == wanted and not name[: spans[0].start()].strip():
                end = spans[size - 1].end()
                end += len(name[end:]) - len(name[end:].lstrip("."))
                best = FoundForm(form, name[:end].strip(), 0, end, True, long)
                best_size = size
    return best


def replace_form(name: str, found: FoundForm, new: str) -> str:
    new = new.upper() if is_upper(name) else new
    if found.prefix:
        return tidy(f"{new} {name[found.end :].lstrip(' ,.')}")
    return tidy(f"{name[: found.start].rstrip()} {new}")


def legal_form_expand(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    found = find_form(name, countries_of(entry), spelled_out=False) if name else None
    if name is None or found is None:
        return None
    long = rng.choice(found.form.long)
    query = replace_form(name, found, long)
    return name, Change(query, f"legal form '{found.written}' spelled out as '{long}'")


def legal_form_abbreviate(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    found = find_form(name, countries_of(entry), spelled_out=True) if name else None
    if name is None or found is None:
        return None
    short = rng.choice(found.form.short[:2])
    query = replace_form(name, found, short)
    return name, Change(query, f"legal form '{found.written}' abbreviated to '{short}'")


def legal_form_swap(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    countries = countries_of(entry)
    found = find_form(name, countries, spelled_out=None) if name else None
    if name is None or found is None:
        return None
    options = [*found.form.swaps, *ENGLISH_SWAPS.get(" ".join(tokens(found.written)), ())]
    options = [
        option for option in options
        if (option not in SWAP_COUNTRIES or set(SWAP_COUNTRIES[option]) & set(countries))
        and tokens(option) != tokens(found.written)
        and not (tokens(option)[0] in ("co", "company") and tokens(name[: found.start])[-1:] in (["co"], ["company"]))
    ]  # fmt: skip
    if not options:
        return None
    new = rng.choice(options)
    query = replace_form(name, found, new)
    return name, Change(query, f"legal form '{found.written}' replaced by its equivalent '{new}'")


# ---------------------------------------------------------------- class 1: words appended


def _city(entry: Entry, rng: random.Random) -> str:
    local = [city for country in countries_of(entry) for city in CITIES_BY_COUNTRY.get(country, ())]
    return rng.choice(local) if local and rng.random() < 0.5 else rng.choice(HUB_CITIES)


def _appended(name: str, template: str, rng: random.Random, **values: object) -> tuple[str, str]:
    """(query, the words appended) for a template "{name} ..."."""
    suffix = template.replace("{name}", "").format(**values)
    if is_upper(name) and rng.random() < 0.5:
        suffix = suffix.upper()
    return tidy(name + suffix), suffix.strip(" ,-")


def appended_office(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    if name is None:
        return None
    template = rng.choice(OFFICE_TEMPLATES)
    city = _city(entry, rng)
    if fold(city) in fold(name):
        return None
    query, added = _appended(name, template, rng, city=city)
    return name, Change(query, f"office words appended: '{added}'")


def appended_place(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    if name is None:
        return None
    place = rng.choice(PLACES)
    if set(tokens(place.label)) & set(tokens(name)):
        return None
    found = find_form(name, countries_of(entry), spelled_out=None)
    style = rng.random() * (1.0 if found else 0.6)  # a local legal form only for what is a company already
    if style < 0.3:
        query, _ = _appended(name, " ({place})", rng, place=place.label)
        note = f"place appended in brackets: '({place.label})'"
    elif style < 0.6:
        query, _ = _appended(name, " {place}", rng, place=place.label)
        note = f"place appended: '{place.label}'"
    else:
        form = rng.choice(place.forms)
        core = name[: found.start].rstrip(" ,") if found and not found.prefix else name
        if found and found.prefix:
            core = name[found.end :].strip(" ,")
        query, added = _appended(core, " {place} {form}", rng, place=place.label, form=form)
        dropped = f"legal form '{found.written}' replaced by " if found else ""
        note = f"{dropped}place and local legal form appended: '{added}'"
    return name, Change(query, note)


def appended_unit(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    if name is None:
        return None
    template = rng.choice(UNIT_TEMPLATES)
    query, added = _appended(name, template, rng, n=rng.randint(1, 12))
    return name, Change(query, f"unit words appended: '{added}'")


def appended_business(entry: Entry, context: Context, rng: random.Random) -> Made:
    name = _org_name(entry, context)
    if name is None:
        return None
    business = rng.choice(BUSINESS_WORDS)
    if set(tokens(business)) & set(tokens(name)):
        return None
    found = find_form(name, countries_of(entry), spelled_out=None)
    if found is None:
        return None  # a ministry or an agency does not add a line of business; a company does
    written = like(name, business) if rng.random() < 0.7 else business
    if not found.prefix:
        query = tidy(f"{name[: found.start].rstrip(' ,')} {written} {found.written}")
        note = f"line of business '{business}' inserted before the legal form '{found.written}'"
    else:
        query = tidy(f"{name} {written}")
        note = f"line of business '{business}' appended"
    return name, Change(query, note)


# ---------------------------------------------------------------- class 2: part of the name

_SURNAME_PARTICLES = (
    "de", "di", "da", "del", "della", "van", "von", "der", "den", "la", "le", "al", "el", "bin", "ibn", "ben", "abu",
    "dos", "das", "du", "mac", "st",
)  # fmt: skip

_PAREN = re.compile(r"\s*\(([^()]{2,12})\)")


def _is_acronym(content: str, rest: str, upper_name: bool) -> bool:
    if not re.fullmatch(r"[A-Z][A-Z0-9&.\-]{1,9}", content) or content in NOT_ACRONYMS:
        return False
    initials = [w[0].upper() for w in words(rest)]
    if content[0] not in initials:
        return False
    if not upper_name:
        return True
    letters = iter("".join(words(rest)).upper())
    return all(c in letters for c in content if c.isalnum())


def partial_no_acronym(entry: Entry, context: Context, rng: random.Random) -> Made:
    if not context.is_organisation(entry):
        return None
    for name in strong_names(entry):
        if not _usable(name):
            continue
        for match in _PAREN.finditer(name):
            rest = name[: match.start()] + " " + name[match.end() :]
            if _is_acronym(match.group(1), rest, is_upper(name)):
                query = tidy(name[: match.start()] + " " + name[match.end() :].lstrip())
                return name, Change(query, f"acronym '({match.group(1)})' dropped")
    return None


def partial_rare_surname(entry: Entry, context: Context, rng: random.Random) -> Made:
    if not context.is_person(entry):
        return None
    name = entry.primary_name
    parsed = person_name(name)
    if parsed is None or not _usable(name):
        return None
    if parsed.comma:
        family_words = parsed.family.split()
        if len(family_words) != 1:
            return None
        family = family_words[0]
    else:
        if set(countries_of(entry)) & set(CHINESE_COUNTRIES + KOREAN_COUNTRIES + ("VN",)):
            return None  # family name first or last cannot be told
        if korean_syllables(entry, name) or chinese_syllables(entry, name):
            return None  # "Shao Xingsheng": the last word is the given name
        if fold(parsed.given.split()[-1]) in _SURNAME_PARTICLES:
            return None  # "Alberto Di Salle": the family name is "Di Salle"
        family = parsed.family
    folded = fold(family)
    if not family.isalpha() or len(family) < 5 or context.entry_frequency.get(folded, 0) > 2:
        return None
    written = family if rng.random() < 0.5 else capitalised(family)
    count = context.entry_frequency.get(folded, 0)
    entries = "entry" if count == 1 else "entries"
    return name, Change(written, f"family name '{family}' alone (it is in {count} listed {entries})")


# Honorifics and words that start an organisation's name but are no one's given name.
_NOT_PERSONAL = frozenset((
    "the", "shahid", "imam", "haji", "hajji", "sheikh", "shaykh", "mullah", "bu", "abu", "al", "el", "martyr", "saint",
    "san", "santa", *GENERIC_ORG_WORDS,
))  # fmt: skip
_NETWORK_WORDS = "|".join(sorted(NETWORK_WORDS, key=len, reverse=True))
_NETWORK = re.compile(r"^(?P<person>[^\W\d_][\w\s\-]*?)\s+(?P<word>" + _NETWORK_WORDS + r")$", re.IGNORECASE)


def partial_family_network(entry: Entry, context: Context, rng: random.Random) -> Made:
    if not context.is_organisation(entry):
        return None
    for name in strong_names(entry):
        match = _NETWORK.match(name.strip())
        if match is None:
            continue
        person = match.group("person").split()
        if len(person) < 2 or not all(p.replace("-", "").isalpha() for p in person):
            continue
        folded = [fold(p) for p in person]
        if len(person) > 3 or set(folded) & _NOT_PERSONAL:
            continue
        if not all(context.person_frequency.get(part, 0) for t in folded for part in t.split("-")):
            continue
        first = folded[0]
        given = context.given_count.get(first, 0)
        if given < 2 or given <= context.family_count.get(first, 0):
            continue  # "ARELLANO FELIX": the first word is a family name, not a given name
        family = " ".join(person[1:])
        listed_word = capitalised(match.group("word"))
        word = "Network" if rng.random() < 0.5 else rng.choice((listed_word, *NETWORK_REPLACEMENTS))
        titled = " ".join(capitalised(w) for w in family.split())
        query = like(name, f"{family} {word}") if rng.random() < 0.6 else f"{titled} {word}"
        if context.holders.get(key(query)):
            continue  # listed as written: an alias, not a part
        return name, Change(query, f"given name '{person[0]}' dropped, '{match.group('word')}' -> '{word}'")
    return None
