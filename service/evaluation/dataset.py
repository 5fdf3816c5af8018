"""The labelled evaluation set: listed names written differently (positives) and unlisted parties (negatives).

Deterministic: every random choice comes from a `random.Random` seeded with a
string built from the seed, the category and the entry, so the same seed and the
same list files give the same file byte for byte in any process, and adding a
category does not reshuffle the others. Nothing iterates over a set.

One JSON object per line (cases.jsonl):

    {"id", "category", "kind": "positive" | "negative" | "hard_negative",
     "query": {"name", "type": "individual" | "organization" | "unknown", "country": ISO2 or ""},
     "expected": [{"list_id", "entry_id"}],      # empty for negatives
     "source": {"list_id", "entry_id", "name"},  # the listed name a case was made from (null for plain negatives)
     "note": "what was changed"}

plus manifest.json (seed, list versions, counts, how many negatives were dropped
because they turned out to be listed).
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from service.engine.state import LoadedList
from service.evaluation import pools, tables
from service.evaluation.defaults import DEFAULT_SEED, Sizes
from service.evaluation.variants import (
    GENERATORS,
    Party,
    Variant,
    core_name,
    find_legal_form,
    join_words,
    looks_like_organisation,
    match_case,
    split_words,
)
from service.index.evidence import entry_evidence
from service.index.linking import link_entries
from service.model import AliasStrength, EntityType, Entry, NameKind
from service.normalize.countries import is_country_code
from service.normalize.legal_forms import GENERIC_WORDS
from service.normalize.names import fold, name_tokens, order_free_key
from service.normalize.variants import canonical

POSITIVE = "positive"
NEGATIVE = "negative"
HARD_NEGATIVE = "hard_negative"
KINDS = (POSITIVE, NEGATIVE, HARD_NEGATIVE)

POSITIVE_CATEGORIES: tuple[str, ...] = (
    "exact", "alias", "case_punct", "reordered", "typo1", "typo2", "typo_every_token", "legal_form",
    "transliteration", "middle_name_dropped", "other_script", "glued_split", "extra_words",
)  # fmt: skip
NEGATIVE_CATEGORIES: tuple[str, ...] = (
    *(f"person_{culture.name}" for culture in pools.CULTURES), "person_native_script", "company",
)  # fmt: skip
HARD_CATEGORIES: tuple[str, ...] = ("hard_surname", "hard_company", "hard_token")
# Categories whose query may normalise to the very tokens of its source name. exact
# and case_punct by definition; alias because its source is the alias itself (it
# differs from the primary name by construction); other_script because the query
# is in another script as written, and whether the normaliser romanises it back
# (service/normalize/names.py does, with anyascii) is what the category measures.
SAME_TOKENS_ALLOWED = ("exact", "case_punct", "alias", "other_script")

# Share of each category's positives per list (the rest of a list's share goes to
# the others when it has too few suitable names). OFAC SDN dominates real traffic
# and the catalogue, but every list must be exercised.
LIST_WEIGHTS: dict[str, float] = {
    "ofac_sdn": 0.40, "ofac_cons": 0.08, "bis_entity": 0.12, "bis_dpl": 0.10, "bis_uvl": 0.06,
    "bis_meu": 0.05, "dhs_uflpa": 0.05, "state_isn": 0.07, "state_dtc": 0.07,
}  # fmt: skip
OTHER_LIST_WEIGHT = 0.03
# Shares of the plain negatives: people from each culture, native scripts, companies.
NATIVE_SHARE = 0.125
COMPANY_SHARE = 0.2
MAX_NAME_CHARS = 1024  # the API's limit (service/api/validation.py)


@dataclass(frozen=True)
class Query:
    name: str
    type: str
    country: str


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    kind: str
    query: Query
    expected: tuple[tuple[str, str], ...] = ()
    source: tuple[str, str, str] | None = None  # list_id, entry_id, listed name
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "category": self.category,
            "kind": self.kind,
            "query": {"name": self.query.name, "type": self.query.type, "country": self.query.country},
            "expected": [{"list_id": list_id, "entry_id": entry_id} for list_id, entry_id in self.expected],
            "source": None if self.source is None
            else {"list_id": self.source[0], "entry_id": self.source[1], "name": self.source[2]},
            "note": self.note,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Case:
        query = data["query"]
        source = data.get("source")
        expected = data.get("expected") or []
        assert isinstance(query, dict) and isinstance(expected, list)
        return cls(
            id=str(data["id"]),
            category=str(data["category"]),
            kind=str(data["kind"]),
            query=Query(str(query["name"]), str(query.get("type", "unknown")), str(query.get("country", ""))),
            expected=tuple((str(e["list_id"]), str(e["entry_id"])) for e in expected),
            source=(str(source["list_id"]), str(source["entry_id"]), str(source["name"]))
            if isinstance(source, dict)
            else None,
            note=str(data.get("note", "")),
        )


@dataclass
class Dataset:
    cases: list[Case]
    manifest: dict[str, object]


@dataclass
class _Stats:
    dropped_as_listed: dict[str, int] = field(default_factory=dict)
    skipped_unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, table: dict[str, int], category: str) -> None:
        table[category] = table.get(category, 0) + 1


# ---------------------------------------------------------------- listed names


def name_key(name: str) -> str:
    return order_free_key(name_tokens(name))


class ListedNames:
    """Every listed name's order-free key: what a negative must not equal, and who a positive expects."""

    def __init__(self, lists: Mapping[str, Sequence[Entry]]) -> None:
        self.keys: set[str] = set()
        # The same, without legal forms: "METRO" is listed as written for a "Metro AG".
        self.core_keys: set[str] = set()
        # The same through the transliteration groups: "Mohammad Hossein" for a listed "MUHAMMAD, Hussein".
        self.loose_keys: set[str] = set()
        # Order-free key of a strong name without its legal form -> entries carrying it.
        self._holders: dict[str, list[tuple[str, str]]] = {}
        all_entries = [entry for entries in lists.values() for entry in entries]
        for entry in all_entries:
            for name in entry.names:
                key = name_key(name.value)
                if not key:
                    continue
                self.keys.add(key)
                self.core_keys.add(_bare_key(name.value))
                self.loose_keys.add(_loose_key(name.value))
                if name.strength is AliasStrength.STRONG:
                    holders = self._holders.setdefault(_core_key(name.value), [])
                    if (entry.list_id, entry.entry_id) not in holders:
                        holders.append((entry.list_id, entry.entry_id))
        # Every two-or-more-token part of a listed person's strong names (at most 6 tokens).
        self._person_parts: set[str] = set()
        for entry in all_entries:
            if entry.entity_type is not EntityType.INDIVIDUAL:
                continue
            for name in entry.names:
                tokens = tuple(dict.fromkeys(canonical(t) for t in name_tokens(name.value)))
                if name.strength is not AliasStrength.STRONG or not 2 <= len(tokens) <= 6:
                    continue
                for size in range(2, len(tokens) + 1):
                    self._person_parts.update(" ".join(sorted(part)) for part in combinations(tokens, size))
        # Every listed name of two or more distinctive-enough tokens, filed under its
        # rarest token: a name that contains one of them whole is that name with words
        # added ("JABER, Ayman Hussein" holds the listed "JABER, Ayman").
        token_sets = {
            token_set
            for entry in all_entries
            for name in entry.names
            if len(token_set := frozenset(canonical(t) for t in name_tokens(core_name(name.value)))) >= 2
            and not token_set <= GENERIC_WORDS
        }
        frequency: dict[str, int] = {}
        for token_set in token_sets:
            for token in token_set:
                frequency[token] = frequency.get(token, 0) + 1
        self._contained: dict[str, list[frozenset[str]]] = {}
        for token_set in sorted(token_sets, key=sorted):
            rarest = min(sorted(token_set), key=frequency.__getitem__)
            self._contained.setdefault(rarest, []).append(token_set)
        # The service's own crossover: the same party on several lists (service/index/linking.py).
        self._links = link_entries(all_entries, [entry_evidence(entry) for entry in all_entries])

    def is_listed(self, *names: str) -> bool:
        """Listed as written, a listed person's name with parts left out, or a listed name with words added.

        "Sergei Kozlov" is not an innocent name when "KOZLOV, Sergei Mikhailovich"
        is listed, nor is "Sinobright Import and Export Company; and any larchmont"
        when "Sinobright Import and Export Company" is: screening must flag them
        (the middle_name_dropped and extra_words positives are made that way), so
        they cannot serve as negatives. Spellings are compared through the
        transliteration variants (Sergei/Sergey).
        """
        return any(
            name_key(name) in self.keys or _loose_key(name) in self._person_parts or self._contains_listed(name)
            for name in names
        )

    def is_listed_as_written(self, name: str) -> bool:
        """A listed name up to case, punctuation, word order and legal form ("Metro AG" when "METRO" is listed)."""
        return name_key(name) in self.keys or _bare_key(name) in self.core_keys

    def is_listed_spelled_otherwise(self, name: str) -> bool:
        """A whole listed name in another usual spelling ("Mohamed Ali" when "'ALI, Muhammad" is listed)."""
        return self.is_listed_as_written(name) or _loose_key(name) in self.loose_keys

    def _contains_listed(self, name: str) -> bool:
        tokens = frozenset(canonical(t) for t in name_tokens(name))
        return any(listed <= tokens for token in tokens for listed in self._contained.get(token, ()))

    def expected_for(self, entry: Entry, name: str) -> tuple[tuple[str, str], ...]:
        """The source entry, then the other entries a correct answer may name first.

        Those are the same party's listings on other lists (the service's crossover
        links) and every entry carrying the same name up to order and legal form as
        a strong name ("Chitron Electronics, Inc." on the DTC list, "Chitron
        Electronics Company Ltd" on the Entity List): a matcher cannot tell such
        listings apart, so naming any of them is a correct hit.
        """
        source = (entry.list_id, entry.entry_id)
        linked = ((link.list_id, link.entry_id) for link in self._links.get(source, ()))
        return tuple(dict.fromkeys((source, *self._holders.get(_core_key(name), ()), *linked)))


def _loose_key(name: str) -> str:
    return " ".join(sorted(dict.fromkeys(canonical(t) for t in name_tokens(name))))


def _bare_key(name: str) -> str:
    """Order-free key without the legal form, even when one token is left ("METRO" of "Metro AG")."""
    return order_free_key(name_tokens(core_name(name))) or name_key(name)


def _core_key(name: str) -> str:
    """Order-free key without the legal form, unless that leaves a single token ("STAR" of "JSC STAR")."""
    core = name_tokens(core_name(name))
    return order_free_key(core) if len(core) >= 2 else name_key(name)


# ---------------------------------------------------------------- parties


def party_of(entry: Entry) -> Party:
    countries = tuple(sorted(entry_evidence(entry).countries))
    if entry.entity_type is EntityType.INDIVIDUAL:
        return Party(person=True, organisation=False, countries=countries, gender=entry.gender)
    if entry.entity_type is EntityType.ORGANIZATION:
        return Party(person=False, organisation=True, countries=countries)
    if entry.entity_type is EntityType.UNKNOWN:  # most BIS and State rows: guess from the name
        organisation = looks_like_organisation(entry.primary_name)
        return Party(person=not organisation, organisation=organisation, countries=countries, gender=entry.gender)
    return Party(person=False, organisation=False, countries=countries)  # vessels, aircraft


def _query_type(party: Party, rng: random.Random) -> str:
    # Callers often do not say what kind of party it is.
    if rng.random() < 0.15:
        return "unknown"
    return "individual" if party.person else "organization" if party.organisation else "unknown"


def _query_country(countries: Sequence[str], rng: random.Random) -> str:
    valid = [c for c in countries if is_country_code(c)]
    return rng.choice(valid) if valid and rng.random() < 0.5 else ""


def _valid_query_name(name: str) -> bool:
    return (
        bool(name_tokens(name))
        and len(name) <= MAX_NAME_CHARS
        and not any(unicodedata.category(c) == "Cc" for c in name)
    )


# ---------------------------------------------------------------- sampling over lists

Candidate = tuple[Entry, str]
Maker = Callable[[Entry, str, random.Random], Case | None]


def list_quotas(
    target: int, list_ids: Sequence[str], list_weights: Mapping[str, float], other_weight: float
) -> dict[str, int]:
    """Each list's share of `target` cases by its weight (`other_weight` for a list not named)."""
    weights = {list_id: list_weights.get(list_id, other_weight) for list_id in list_ids}
    total = sum(weights.values()) or 1.0
    # Rounded, not truncated: a small run (tests) still takes one name from each small list.
    return {list_id: round(target * weight / total) for list_id, weight in weights.items()}


def _sample(
    category: str, seed: int, candidates: Mapping[str, list[Candidate]], target: int, make: Maker
) -> list[Case]:
    """Up to `target` cases, each list contributing its share, then the rest from any list."""
    picked: list[Case] = []
    seen_entries: set[tuple[str, str]] = set()
    seen_names: set[tuple[str, ...]] = set()

    def attempt(candidate: Candidate) -> bool:
        entry, name = candidate
        if (entry.list_id, entry.entry_id) in seen_entries:
            return False
        rng = random.Random(f"{seed}/{category}/{entry.list_id}/{entry.entry_id}/{name}")
        case = make(entry, name, rng)
        if case is None or name_tokens(case.query.name) in seen_names:
            return False
        seen_entries.add((entry.list_id, entry.entry_id))
        seen_names.add(name_tokens(case.query.name))
        picked.append(case)
        return True

    leftovers: list[Candidate] = []
    for list_id, quota in list_quotas(target, list(candidates), LIST_WEIGHTS, OTHER_LIST_WEIGHT).items():
        shuffled = list(candidates[list_id])
        random.Random(f"{seed}/{category}/{list_id}").shuffle(shuffled)
        taken = 0
        for position, candidate in enumerate(shuffled):
            if taken >= quota:
                leftovers.extend(shuffled[position:])
                break
            taken += attempt(candidate)
    random.Random(f"{seed}/{category}/rest").shuffle(leftovers)
    for candidate in leftovers:
        if len(picked) >= target:
            break
        attempt(candidate)
    return picked[:target]


def _candidates(lists: Mapping[str, Sequence[Entry]], aliases: bool) -> dict[str, list[Candidate]]:
    """Primary names, or the strong aliases that differ from their entry's primary name."""
    out: dict[str, list[Candidate]] = {}
    for list_id, entries in lists.items():
        found: list[Candidate] = []
        for entry in entries:
            if not aliases:
                found.append((entry, entry.primary_name))
                continue
            primary_key = name_key(entry.primary_name)
            found.extend(
                (entry, name.value)
                for name in entry.names[1:]
                if name.strength is AliasStrength.STRONG and name.kind is not NameKind.PRIMARY
                and name_key(name.value) not in ("", primary_key)
            )  # fmt: skip
        out[list_id] = found
    return out


# ---------------------------------------------------------------- positives


def _positive_maker(
    category: str, listed: ListedNames, parties: Mapping[tuple[str, str], Party], stats: _Stats
) -> Maker:
    generator = GENERATORS.get(category)

    def make(entry: Entry, name: str, rng: random.Random) -> Case | None:
        party = parties[(entry.list_id, entry.entry_id)]
        if generator is None:  # exact and alias: the listed name itself
            variant: Variant | None = Variant(name, "as listed" if category == "exact" else "strong alias")
        else:
            variant = generator(name, party, rng)
        if variant is None or not _valid_query_name(variant.name):
            return None
        if category not in SAME_TOKENS_ALLOWED and name_tokens(variant.name) == name_tokens(name):
            stats.count(stats.skipped_unchanged, category)
            return None
        return Case(
            id="",
            category=category,
            kind=POSITIVE,
            query=Query(variant.name, _query_type(party, rng), _query_country(party.countries, rng)),
            expected=listed.expected_for(entry, name),
            source=(entry.list_id, entry.entry_id, name),
            note=variant.note,
        )

    return make


# ---------------------------------------------------------------- plain negatives


def _person_name(culture: pools.Culture, rng: random.Random) -> tuple[str, str]:
    given = rng.choice(culture.given)
    family = rng.choice(culture.family)
    if culture.name == "slavic" and given.endswith("a") and family.endswith(("ov", "ev", "in")):
        family += "a"  # Ivanova, not Ivanov, for a woman
    style = rng.random()
    if culture.name == "hispanic" and style < 0.6:
        family = f"{family} {rng.choice(culture.family)}"  # two surnames
    elif culture.name in ("western", "arabic", "indian", "african") and style < 0.2:
        given = f"{given} {rng.choice(culture.given)}"
    elif culture.name == "chinese" and style < 0.3:
        given = given + rng.choice(culture.given).lower()  # two-syllable given name: Xiaoming
    layout = rng.random()
    if layout < 0.25:
        return f"{family.upper()}, {given}", "LAST, First"
    if culture.family_first and layout < 0.75:
        return f"{family} {given}", "family name first"
    return f"{given} {family}", "given name first"


def _native_name(script: pools.NativeScript, rng: random.Random) -> tuple[str, str]:
    given, given_latin = rng.choice(script.given)
    family, family_latin = rng.choice(script.family)
    if script.joined:
        return family + given, f"{family_latin} {given_latin}"
    return f"{given} {family}", f"{given_latin} {family_latin}"


def _company_name(rng: random.Random) -> tuple[str, str]:
    parts = [rng.choice(pools.DISTINCTIVE_WORDS)]
    if rng.random() < 0.25:
        parts.insert(0, rng.choice(pools.COMPANY_PLACES))
    parts.append(rng.choice(pools.COMPANY_GENERIC))
    if rng.random() < 0.2:
        parts.append(rng.choice([g for g in pools.COMPANY_GENERIC if g not in parts]))
    form, countries = rng.choice(pools.COMPANY_FORMS)
    if form:
        parts.append(form)
    name = " ".join(parts)
    return (name.upper() if rng.random() < 0.2 else name), rng.choice(countries)


def _plain_negatives(seed: int, total: int, listed: ListedNames, stats: _Stats) -> list[Case]:
    native = int(total * NATIVE_SHARE)
    companies = int(total * COMPANY_SHARE)
    per_culture = (total - native - companies) // len(pools.CULTURES)
    companies = total - native - per_culture * len(pools.CULTURES)
    cases: list[Case] = []
    seen: set[str] = set()

    def collect(category: str, count: int, draw: Callable[[random.Random], tuple[str, str, str, str, str]]) -> None:
        """draw -> (name, romanised name, type, country, note); listed or repeated names are drawn again."""
        rng = random.Random(f"{seed}/{category}")
        made = 0
        for _ in range(count * 50):
            if made >= count:
                break
            name, latin, party_type, country, note = draw(rng)
            key = name_key(name)
            if key in seen:
                continue
            if listed.is_listed(name, latin):
                stats.count(stats.dropped_as_listed, category)
                continue
            seen.add(key)
            cases.append(Case("", category, NEGATIVE, Query(name, party_type, country), note=note))
            made += 1

    for culture in pools.CULTURES:

        def draw_person(rng: random.Random, culture: pools.Culture = culture) -> tuple[str, str, str, str, str]:
            name, layout = _person_name(culture, rng)
            country = rng.choice(culture.countries) if rng.random() < 0.5 else ""
            return name, name, ("individual" if rng.random() < 0.85 else "unknown"), country, layout

        collect(f"person_{culture.name}", per_culture, draw_person)

    def draw_native(rng: random.Random) -> tuple[str, str, str, str, str]:
        script = rng.choice(pools.NATIVE_SCRIPTS)
        name, latin = _native_name(script, rng)
        country = rng.choice(script.countries) if rng.random() < 0.5 else ""
        return name, latin, ("individual" if rng.random() < 0.85 else "unknown"), country, f"{script.script}: {latin}"

    collect("person_native_script", native, draw_native)

    def draw_company(rng: random.Random) -> tuple[str, str, str, str, str]:
        name, country = _company_name(rng)
        country = country if country and rng.random() < 0.5 else ""
        return name, name, ("organization" if rng.random() < 0.85 else "unknown"), country, "company"

    collect("company", companies, draw_company)
    return cases


# ---------------------------------------------------------------- hard negatives


def _is_generic(word: str) -> bool:
    folded = fold(word)
    return folded in _GENERIC_WORDS or folded in _PLACE_WORDS or not word.isalpha()


_GENERIC_WORDS = frozenset(tables.GENERIC_ORG_WORDS)
_PLACE_WORDS = frozenset(tables.PLACE_WORDS)


def _culture_pool(party: Party, given: bool) -> tuple[str, ...]:
    """Names of the party's own culture where its countries say which, so a hard negative stays plausible."""
    cultures = [
        c for c in pools.CULTURES if set(c.countries + pools.MORE_COUNTRIES.get(c.name, ())) & set(party.countries)
    ]
    cultures = cultures or [c for c in pools.CULTURES if c.name in pools.FALLBACK_CULTURES]
    return tuple(name for c in cultures for name in (c.given if given else c.family))


def _hard_surname(entry: Entry, name: str, party: Party, rng: random.Random) -> Variant | None:
    """A listed person's surname with someone else's given name."""
    if entry.entity_type is not EntityType.INDIVIDUAL:
        return None
    if "," in name:
        surname, given = (part.strip() for part in name.split(",", 1))
    else:
        words = name.split()
        surname, given = (words[-1], " ".join(words[:-1])) if len(words) >= 2 else ("", "")
    if not surname or not given:
        return None
    taken = {fold(w) for w in given.split()}
    new_given = rng.choice([g for g in _culture_pool(party, given=True) if fold(g) not in taken])
    new_given = match_case(given.split()[0], new_given)
    written = f"{surname}, {new_given}" if "," in name else f"{new_given} {surname}"
    return Variant(written, f"given name '{given}' -> '{new_given}'")


def _hard_company(entry: Entry, name: str, party: Party, rng: random.Random) -> Variant | None:
    """A listed company's generic words (and places, legal form) around another distinctive word.

    Only names with one or two distinctive words: replacing more leaves a made-up
    name that shares little but its shape with the listed one.
    """
    if not party.organisation:
        return None
    pieces = split_words(name)
    found = find_legal_form(name)
    form_positions = range(found.start, found.end) if found else range(0)
    distinctive = [i for i in range(1, len(pieces), 2) if i not in form_positions and not _is_generic(pieces[i])]
    generic = [i for i in range(1, len(pieces), 2) if i not in distinctive]
    if not 1 <= len(distinctive) <= 2 or not any(fold(pieces[i]) in _GENERIC_WORDS for i in generic):
        return None
    replaced = []
    for i in distinctive:
        word = rng.choice([w for w in pools.DISTINCTIVE_WORDS if fold(w) != fold(pieces[i])])
        replaced.append(f"{pieces[i]}->{word}")
        pieces[i] = word.upper() if pieces[i].isupper() else word
    return Variant(join_words(pieces), "distinctive words replaced: " + ", ".join(replaced))


def _hard_token(entry: Entry, name: str, party: Party, rng: random.Random) -> Variant | None:
    """A listed name of three or more tokens with one distinctive token replaced."""
    if len(name_tokens(name)) < 3:
        return None
    pieces = split_words(name)
    found = find_legal_form(name)
    form_positions = range(found.start, found.end) if found else range(0)
    spots = [i for i in range(1, len(pieces), 2)
             if len(pieces[i]) >= 4 and not _is_generic(pieces[i]) and i not in form_positions]  # fmt: skip
    if not spots:
        return None
    i = rng.choice(spots)
    if party.person:
        # A given name for a given name: after the comma of "LAST, First", or before the last word of "First Last".
        comma = next((j for j in range(0, len(pieces), 2) if "," in pieces[j]), None)
        given = i > comma if comma is not None else i < len(pieces) - 2
        pool = _culture_pool(party, given)
    else:
        pool = pools.DISTINCTIVE_WORDS
    word = rng.choice([w for w in pool if fold(w) != fold(pieces[i])])
    original, pieces[i] = pieces[i], match_case(pieces[i], word)
    return Variant(join_words(pieces), f"'{original}' -> '{pieces[i]}'")


_HARD_MAKERS: dict[str, Callable[[Entry, str, Party, random.Random], Variant | None]] = {
    "hard_surname": _hard_surname,
    "hard_company": _hard_company,
    "hard_token": _hard_token,
}


def _hard_maker(category: str, listed: ListedNames, parties: Mapping[tuple[str, str], Party], stats: _Stats) -> Maker:
    change = _HARD_MAKERS[category]

    def make(entry: Entry, name: str, rng: random.Random) -> Case | None:
        party = parties[(entry.list_id, entry.entry_id)]
        variant = change(entry, name, party, rng)
        if variant is None or not _valid_query_name(variant.name):
            return None
        if listed.is_listed(variant.name):
            stats.count(stats.dropped_as_listed, category)
            return None
        return Case(
            id="",
            category=category,
            kind=HARD_NEGATIVE,
            query=Query(variant.name, _query_type(party, rng), _query_country(party.countries, rng)),
            source=(entry.list_id, entry.entry_id, name),
            note=variant.note,
        )

    return make


# ---------------------------------------------------------------- the whole set


def generate(lists: Mapping[str, LoadedList], seed: int = DEFAULT_SEED, sizes: Sizes | None = None) -> Dataset:
    sizes = sizes or Sizes()
    entries = {list_id: loaded.entries for list_id, loaded in lists.items()}
    listed = ListedNames(entries)
    parties = {(e.list_id, e.entry_id): party_of(e) for list_entries in entries.values() for e in list_entries}
    primaries = _candidates(entries, aliases=False)
    stats = _Stats()
    cases: list[Case] = []
    for category in POSITIVE_CATEGORIES:
        candidates = _candidates(entries, aliases=True) if category == "alias" else primaries
        cases += _number(
            _sample(category, seed, candidates, sizes.per_category, _positive_maker(category, listed, parties, stats))
        )
    cases += _number(_plain_negatives(seed, sizes.negatives, listed, stats))
    for category in HARD_CATEGORIES:
        cases += _number(
            _sample(category, seed, primaries, sizes.hard_per_category, _hard_maker(category, listed, parties, stats))
        )
    manifest: dict[str, object] = {
        "seed": seed,
        "sizes": {
            "per_category": sizes.per_category,
            "negatives": sizes.negatives,
            "hard_per_category": sizes.hard_per_category,
        },
        "lists": {
            list_id: {"version": loaded.meta.version, "entries": len(loaded.entries), "origin": loaded.meta.origin}
            for list_id, loaded in lists.items()
        },
        "kinds": {kind: sum(1 for c in cases if c.kind == kind) for kind in KINDS},
        "categories": _counts(cases),
        "positives_by_list": _by_list(cases),
        "dropped_as_listed": stats.dropped_as_listed,
        "skipped_unchanged": stats.skipped_unchanged,
    }
    return Dataset(cases, manifest)


def _number(cases: list[Case]) -> list[Case]:
    """Ids by category and position: stable as long as the category's cases are."""
    return [
        Case(f"{case.category}-{n:04d}", case.category, case.kind, case.query, case.expected, case.source, case.note)
        for n, case in enumerate(cases, 1)
    ]


def _counts(cases: Iterable[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.category] = counts.get(case.category, 0) + 1
    return counts


def _by_list(cases: Iterable[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        if case.kind == POSITIVE and case.source is not None:
            counts[case.source[0]] = counts.get(case.source[0], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


# ---------------------------------------------------------------- files

CASES_FILE = "cases.jsonl"
MANIFEST_FILE = "manifest.json"


def write_dataset(dataset: Dataset, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cases_path = directory / CASES_FILE
    manifest_path = directory / MANIFEST_FILE
    with cases_path.open("w", encoding="utf-8", newline="\n") as out:
        for case in dataset.cases:
            out.write(json.dumps(case.to_json(), ensure_ascii=False) + "\n")
    manifest_path.write_text(json.dumps(dataset.manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return cases_path, manifest_path


def read_cases(directory: Path) -> list[Case]:
    with (directory / CASES_FILE).open(encoding="utf-8") as lines:
        return [Case.from_json(json.loads(line)) for line in lines if line.strip()]


def read_manifest(directory: Path) -> dict[str, object]:
    path = directory / MANIFEST_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
