"""A second, independent evaluation set (issue 14): held-out cases the matcher was not tuned on.

`screening eval` scores the matcher on cases from dataset.py, whose generator
the matcher was tuned against. This set is written apart from it: its own
categories, vocabularies (heldout_tables.py, heldout_script_tables.py), seed and
code, and nothing from service/normalize, service/match or the first
generator's variants/pools/tables is used to build a case. From dataset.py it
takes only the case format and the labels: `ListedNames.expected_for` says which
entries a positive may name, `ListedNames.is_listed` which would-be negatives
are in fact listed (dropped and counted).

Deterministic: every random choice comes from `random.Random` seeded with a
string of the seed, the category and the list or entry, and nothing iterates
over a set, so the same seed and list files give the same cases in any process.

Categories (about `per_category` cases each where the lists allow):
- class 1, words appended to a listed organisation: appended_office, appended_place, appended_unit,
  appended_business;
- class 2, part of a listed name: partial_no_acronym, partial_rare_surname, partial_family_network;
- class 3, transliteration and script: translit_systematic, particle, script_cyrillic, script_hangul,
  script_chinese, script_cyrillic_korean;
- class 4, evasion: evasion_digits, evasion_camel, evasion_homoglyph, evasion_invisible;
- class 5, legal forms: legal_form_expand, legal_form_abbreviate, legal_form_swap;
- alias_variant, middle_dropped;
- hard negatives: hard_one_word_near, hard_common_parts, hard_kunya, hard_shared_word.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.evaluation import heldout_hard as hard
from service.evaluation import heldout_names as names
from service.evaluation import heldout_orgs as orgs
from service.evaluation.dataset import HARD_NEGATIVE, NEGATIVE, POSITIVE, Case, Dataset, Query, list_quotas
from service.evaluation.heldout_common import Change, Context, countries_of, key, plain, valid_query
from service.model import Entry

if TYPE_CHECKING:
    from service.engine.state import LoadedList

HELDOUT_SEED = 90817
DEFAULT_PER_CATEGORY = 120
UNKNOWN_TYPE_SHARE = 0.2
COUNTRY_SHARE = 0.5

Maker = Callable[[Entry, Context, random.Random], "tuple[str, Change] | None"]

POSITIVE_MAKERS: dict[str, Maker] = {
    "appended_office": orgs.appended_office,
    "appended_place": orgs.appended_place,
    "appended_unit": orgs.appended_unit,
    "appended_business": orgs.appended_business,
    "partial_no_acronym": orgs.partial_no_acronym,
    "partial_rare_surname": orgs.partial_rare_surname,
    "partial_family_network": orgs.partial_family_network,
    "translit_systematic": names.translit_systematic,
    "particle": names.particle,
    "script_cyrillic": names.script_cyrillic,
    "script_hangul": names.script_hangul,
    "script_chinese": names.script_chinese,
    "script_cyrillic_korean": names.script_cyrillic_korean,
    "evasion_digits": names.evasion_digits,
    "evasion_camel": names.evasion_camel,
    "evasion_homoglyph": names.evasion_homoglyph,
    "evasion_invisible": names.evasion_invisible,
    "legal_form_expand": orgs.legal_form_expand,
    "legal_form_abbreviate": orgs.legal_form_abbreviate,
    "legal_form_swap": orgs.legal_form_swap,
    "alias_variant": names.alias_variant,
    "middle_dropped": names.middle_dropped,
}
HARD_MAKERS: dict[str, Maker] = {
    "hard_common_parts": hard.hard_common_parts,
    "hard_kunya": hard.hard_kunya,
    "hard_shared_word": hard.hard_shared_word,
}
POSITIVE_CATEGORIES: tuple[str, ...] = tuple(POSITIVE_MAKERS)
HARD_CATEGORIES: tuple[str, ...] = ("hard_one_word_near", *HARD_MAKERS)
CATEGORIES: tuple[str, ...] = (*POSITIVE_CATEGORIES, *HARD_CATEGORIES)
# Where the query is the listed name with only invisible or look-alike characters (or case and
# punctuation) changed: the raw string must differ, not the lower-cased words.
RAW_DIFFERENCE_ONLY = ("evasion_invisible", "evasion_homoglyph", "alias_variant")
# hard_common_parts is made of parts of a listed person's name, which ListedNames.is_listed counts
# as listed: it is dropped only when it is a full listed name (in any usual spelling).
FULL_NAME_CHECK_ONLY = ("hard_common_parts",)

# Share of each category's cases per list (what a list cannot fill goes to the others).
LIST_WEIGHTS: dict[str, float] = {
    "ofac_sdn": 0.40, "bis_entity": 0.13, "bis_dpl": 0.09, "ofac_cons": 0.08, "bis_uvl": 0.06, "bis_meu": 0.05,
    "dhs_uflpa": 0.05, "state_isn": 0.07, "state_dtc": 0.07,
}  # fmt: skip
OTHER_LIST_WEIGHT = 0.03


@dataclass
class _Stats:
    dropped_as_listed: dict[str, int] = field(default_factory=dict)
    skipped_unchanged: dict[str, int] = field(default_factory=dict)
    dropped_other_entry: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def count(table: dict[str, int], category: str, by: int = 1) -> None:
        if by:
            table[category] = table.get(category, 0) + by


def generate(
    lists: Mapping[str, LoadedList], seed: int = HELDOUT_SEED, per_category: int = DEFAULT_PER_CATEGORY
) -> Dataset:
    """The held-out set over loaded lists (see the module docstring)."""
    entries = {list_id: loaded.entries for list_id, loaded in lists.items()}
    versions = {list_id: loaded.meta.version for list_id, loaded in lists.items()}
    return generate_from_entries(entries, versions, seed, per_category)


def generate_from_entries(
    entries: Mapping[str, Sequence[Entry]],
    versions: Mapping[str, str],
    seed: int = HELDOUT_SEED,
    per_category: int = DEFAULT_PER_CATEGORY,
) -> Dataset:
    context = Context.build(entries)
    stats = _Stats()
    cases: list[Case] = []
    for category, maker in POSITIVE_MAKERS.items():
        attempt = _positive_attempt(category, maker, context, stats)
        cases += _number(_sample(category, seed, entries, per_category, attempt))
    near, dropped = hard.one_word_near(context, seed, per_category)
    stats.count(stats.dropped_as_listed, "hard_one_word_near", dropped)
    cases += _number(near)
    for category, maker in HARD_MAKERS.items():
        attempt = _hard_attempt(category, maker, context, stats)
        cases += _number(_sample(category, seed, entries, per_category, attempt))
    manifest: dict[str, object] = {
        "generator": "heldout",
        "seed": seed,
        "per_category": per_category,
        "lists": {
            list_id: {"version": version, "entries": len(entries[list_id])} for list_id, version in versions.items()
        },
        "kinds": {kind: sum(1 for c in cases if c.kind == kind) for kind in (POSITIVE, NEGATIVE, HARD_NEGATIVE)},
        "categories": {category: sum(1 for c in cases if c.category == category) for category in CATEGORIES},
        "positives_by_list": _by_list(cases),
        "dropped_as_listed": stats.dropped_as_listed,
        "skipped_unchanged": stats.skipped_unchanged,
        "dropped_other_entry": stats.dropped_other_entry,
    }
    return Dataset(cases, manifest)


# ---------------------------------------------------------------- one case


def _query(entry: Entry, context: Context, change: Change, rng: random.Random) -> Query:
    if rng.random() < UNKNOWN_TYPE_SHARE:
        kind = "unknown"
    elif context.is_person(entry):
        kind = "individual"
    elif context.is_organisation(entry):
        kind = "organization"
    else:
        kind = "unknown"
    if change.country is not None:
        country = change.country
    else:
        countries = countries_of(entry)
        country = rng.choice(countries) if countries and rng.random() < COUNTRY_SHARE else ""
    return Query(change.query, kind, country)


Attempt = Callable[[Entry, random.Random], "Case | None"]


def _made(maker: Maker, entry: Entry, context: Context, rng: random.Random) -> tuple[str, Change] | None:
    """What the category's maker makes of the entry, when it makes a query the API would take."""
    made = maker(entry, context, rng)
    return made if made is not None and valid_query(made[1].query) else None


def _positive_attempt(category: str, maker: Maker, context: Context, stats: _Stats) -> Attempt:
    def attempt(entry: Entry, rng: random.Random) -> Case | None:
        made = _made(maker, entry, context, rng)
        if made is None:
            return None
        source, change = made
        unchanged = change.query == source if category in RAW_DIFFERENCE_ONLY else plain(change.query) == plain(source)
        if unchanged:
            stats.count(stats.skipped_unchanged, category)
            return None
        expected = context.listed.expected_for(entry, source)
        if context.other_holders(change.query, expected):
            stats.count(stats.dropped_other_entry, category)
            return None
        return Case("", category, POSITIVE, _query(entry, context, change, rng), expected,
                    (entry.list_id, entry.entry_id, source), change.note)  # fmt: skip

    return attempt


def _hard_attempt(category: str, maker: Maker, context: Context, stats: _Stats) -> Attempt:
    def attempt(entry: Entry, rng: random.Random) -> Case | None:
        made = _made(maker, entry, context, rng)
        if made is None:
            return None
        source, change = made
        if category in FULL_NAME_CHECK_ONLY:
            # A whole listed name, also in another usual spelling ("Mohamed Ali" is the listed
            # "'ALI, Muhammad"): screening must flag that, so it is no negative.
            listed = key(change.query) in context.holders or context.listed.is_listed_spelled_otherwise(change.query)
        else:
            # Also a listed name up to its legal form ("Dove Pty Ltd" for a listed vessel "DOVE").
            listed = context.listed.is_listed(change.query) or context.listed.is_listed_as_written(change.query)
        if listed:
            stats.count(stats.dropped_as_listed, category)
            return None
        return Case("", category, HARD_NEGATIVE, _query(entry, context, change, rng), (),
                    (entry.list_id, entry.entry_id, source), change.note)  # fmt: skip

    return attempt


# ---------------------------------------------------------------- sampling over lists


def _sample(
    category: str, seed: int, entries: Mapping[str, Sequence[Entry]], target: int, attempt: Attempt
) -> list[Case]:
    """Up to `target` cases, each list giving its share first, then any list; one case per entry and query."""
    picked: list[Case] = []
    seen_queries: set[str] = set()

    def take(entry: Entry) -> bool:
        rng = random.Random(f"{seed}/{category}/{entry.list_id}/{entry.entry_id}")
        case = attempt(entry, rng)
        if case is None or key(case.query.name) in seen_queries or case.query.name in seen_queries:
            return False
        seen_queries.add(key(case.query.name) if category not in RAW_DIFFERENCE_ONLY else case.query.name)
        picked.append(case)
        return True

    leftovers: list[Entry] = []
    for list_id, quota in list_quotas(target, list(entries), LIST_WEIGHTS, OTHER_LIST_WEIGHT).items():
        shuffled = list(entries[list_id])
        random.Random(f"{seed}/{category}/{list_id}").shuffle(shuffled)
        taken = 0
        for position, entry in enumerate(shuffled):
            if taken >= quota:
                leftovers += shuffled[position:]
                break
            taken += take(entry)
    random.Random(f"{seed}/{category}/rest").shuffle(leftovers)
    for entry in leftovers:
        if len(picked) >= target:
            break
        take(entry)
    return picked[:target]


def _number(cases: Iterable[Case]) -> list[Case]:
    return [
        Case(f"{case.category}-{n:04d}", case.category, case.kind, case.query, case.expected, case.source, case.note)
        for n, case in enumerate(cases, 1)
    ]


def _by_list(cases: Iterable[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        if case.kind == POSITIVE and case.source is not None:
            counts[case.source[0]] = counts.get(case.source[0], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
