"""What every held-out generator shares: words of a name, case styles, the listed names' statistics.

Deliberately self-contained: the held-out set must not see a name through the
matcher's own normaliser (service/normalize) or the first generator's helpers
(service/evaluation/variants.py), so words, folding and edit distance are
written again here, simply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from service.evaluation.dataset import ListedNames, party_of
from service.evaluation.heldout_tables import (
    ARABIC_COUNTRIES,
    ARABIC_MARKERS,
    CHINESE_COUNTRIES,
    GENERIC_ORG_WORDS,
    POST_SOVIET,
    SLAVIC_ENDINGS,
    SLAVIC_LATIN,
)
from service.model import AliasStrength, EntityType, Entry, NameKind

EntryKey = tuple[str, str]
WORD = re.compile(r"[^\W_]+")
MAX_QUERY_CHARS = 1024
# Words that make an entry of unknown type an organisation whatever its name looks like otherwise.
_ORG_HINTS = frozenset((
    *(w for w in GENERIC_ORG_WORDS if len(w) >= 3 and w not in ("the", "and", "for", "del", "des", "und")),
    "forwarding", "courier", "motorlari", "kimya", "makina", "elektronik", "tekstil", "insaat", "dis", "gida",
    "fzc", "fzco", "dmcc", "eood", "ood", "doo", "sro", "spa", "srl", "lda", "pvt", "pty", "bvba", "sl",
))  # fmt: skip
_NAME_SUFFIX = re.compile(r",?\s+(jr|sr|ii|iii|iv)\.?$", re.IGNORECASE)
_SPECIAL_FOLDS = {"ß": "ss", "ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}


@dataclass(frozen=True)
class Change:
    """A query made from a listed name, and exactly what was changed."""

    query: str
    note: str
    country: str | None = None  # None: the sampler picks the entry's country or ""


# ---------------------------------------------------------------- words


def fold(text: str) -> str:
    """Lower case without accents ("Şirketi" -> "sirketi")."""
    lowered = "".join(_SPECIAL_FOLDS.get(c, c) for c in text.lower())
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return WORD.findall(text)


def tokens(text: str) -> list[str]:
    return [fold(w) for w in words(text)]


def key(text: str) -> str:
    """Order-free form of a name: its folded words, sorted."""
    return " ".join(sorted(tokens(text)))


def plain(text: str) -> str:
    """Lower case, punctuation removed: what "the query equals its source" is judged on."""
    return " ".join(w.lower() for w in words(text))


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def like(template: str, text: str) -> str:
    """`text` upper-cased when `template` is written in capitals, else as given."""
    return text.upper() if is_upper(template) else text


def capitalised(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def recased(original: str, new: str) -> str:
    """`new` written in the case style of the word `original` (UPPER, Title, lower)."""
    if is_upper(original):
        return new.upper()
    if original[:1].isupper():
        return capitalised(new)
    return new.lower()


def tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    return text.strip(" ,-")


def valid_query(text: str) -> bool:
    return (
        bool(words(text))
        and len(text) <= MAX_QUERY_CHARS
        and not any(unicodedata.category(c) == "Cc" for c in text)
        and "?" not in text
    )


def osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: adjacent swaps count one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


# ---------------------------------------------------------------- persons


@dataclass(frozen=True)
class PersonName:
    """A listed person's name: "FAMILY, Given Middle" (comma=True) or "Given Middle Family"."""

    family: str
    given: str
    comma: bool

    def write(self, family: str | None = None, given: str | None = None) -> str:
        family = self.family if family is None else family
        given = self.given if given is None else given
        if self.comma:
            return f"{family}, {given}".strip(" ,")
        return f"{given} {family}".strip()


def person_name(name: str) -> PersonName | None:
    if _NAME_SUFFIX.search(name):
        return None  # "HERSEL LINCOLN MCKENZIE, JR.": the comma does not end the family name
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        if not family or not given or "," in given:
            return None
        return PersonName(family, given, True)
    parts = name.split()
    if len(parts) < 2:
        return None
    return PersonName(parts[-1], " ".join(parts[:-1]), False)


def countries_of(entry: Entry) -> list[str]:
    """ISO codes of the entry's nationalities, citizenships and addresses, first seen first."""
    found: dict[str, None] = {}
    for code in (*entry.nationalities, *entry.citizenships, *(a.country for a in entry.addresses)):
        if re.fullmatch(r"[A-Z]{2}", code or ""):
            found.setdefault(code, None)
    return list(found)


def culture_of(entry: Entry, name: str) -> tuple[str, ...]:
    """Which romanisation habits apply to a person's name: arabic, slavic, chinese, or any."""
    countries = set(countries_of(entry))
    folded = tokens(name)
    cultures: list[str] = []
    if countries & set(ARABIC_COUNTRIES) or any(t in ARABIC_MARKERS for t in folded):
        cultures.append("arabic")
    slavic_words = sum(1 for t in folded if len(t) >= 5 and t.endswith(SLAVIC_ENDINGS))
    if countries & set(POST_SOVIET + SLAVIC_LATIN) or slavic_words >= 2:
        cultures.append("slavic")
    if countries & set(CHINESE_COUNTRIES):
        cultures.append("chinese")
    return (*cultures, "any")


# ---------------------------------------------------------------- the lists


def strong_names(entry: Entry) -> list[str]:
    """The primary name, then the strong aliases."""
    return [entry.primary_name] + [
        n.value for n in entry.names[1:] if n.strength is AliasStrength.STRONG and n.kind is not NameKind.PRIMARY
    ]


@dataclass
class Context:
    """The lists and what the generators need to know about all their names, computed once."""

    entries: Mapping[str, Sequence[Entry]]
    listed: ListedNames
    person: dict[EntryKey, bool] = field(default_factory=dict)
    organisation: dict[EntryKey, bool] = field(default_factory=dict)
    # Order-free key of every listed name (any strength) -> the entries carrying it.
    holders: dict[str, list[EntryKey]] = field(default_factory=dict)
    # Folded word -> how many distinct entries / person entries / organisation entries carry it in a name.
    entry_frequency: dict[str, int] = field(default_factory=dict)
    person_frequency: dict[str, int] = field(default_factory=dict)
    organisation_frequency: dict[str, int] = field(default_factory=dict)
    # Folded word -> how often it is written as a given name / a family name ("FAMILY, Given").
    given_count: dict[str, int] = field(default_factory=dict)
    family_count: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Mapping[str, Sequence[Entry]]) -> Context:
        context = cls(entries=entries, listed=ListedNames(entries))
        for list_entries in entries.values():
            for entry in list_entries:
                context._add(entry)
        # An entry of unknown type is a person only if some word of its name is in listed individuals' names
        # ("Globa Kiosk" is not, whatever its shape).
        individual_words: dict[str, int] = {}
        for list_entries in entries.values():
            for entry in list_entries:
                if entry.entity_type is EntityType.INDIVIDUAL:
                    for token in dict.fromkeys(t for name in entry.names for t in tokens(name.value)):
                        individual_words[token] = individual_words.get(token, 0) + 1
        for list_entries in entries.values():
            for entry in list_entries:
                entry_key = (entry.list_id, entry.entry_id)
                if entry.entity_type is EntityType.UNKNOWN and context.person[entry_key]:
                    known = [t for t in tokens(entry.primary_name) if len(t) > 1 and individual_words.get(t, 0) >= 2]
                    context.person[entry_key] = bool(known)
        return context

    def _add(self, entry: Entry) -> None:
        entry_key = (entry.list_id, entry.entry_id)
        party = party_of(entry)
        org_words = entry.entity_type is EntityType.UNKNOWN and (
            bool(set(tokens(entry.primary_name)) & _ORG_HINTS)
            or "&" in entry.primary_name
            or bool(re.search(r"\be\.\s?K\.?$", entry.primary_name))
        )
        self.person[entry_key] = party.person and not org_words
        self.organisation[entry_key] = party.organisation or org_words
        seen: dict[str, None] = {}
        for name in entry.names:
            holders = self.holders.setdefault(key(name.value), [])
            if entry_key not in holders:
                holders.append(entry_key)
            for token in tokens(name.value):
                seen.setdefault(token, None)
            if party.person and "," in name.value:
                family, given = name.value.split(",", 1)
                for token in tokens(family):
                    self.family_count[token] = self.family_count.get(token, 0) + 1
                for token in tokens(given):
                    self.given_count[token] = self.given_count.get(token, 0) + 1
        for token in seen:
            self.entry_frequency[token] = self.entry_frequency.get(token, 0) + 1
            if party.person:
                self.person_frequency[token] = self.person_frequency.get(token, 0) + 1
            if party.organisation:
                self.organisation_frequency[token] = self.organisation_frequency.get(token, 0) + 1

    def is_person(self, entry: Entry) -> bool:
        return self.person[(entry.list_id, entry.entry_id)]

    def is_organisation(self, entry: Entry) -> bool:
        return self.organisation[(entry.list_id, entry.entry_id)]

    def other_holders(self, query: str, expected: Iterable[EntryKey]) -> list[EntryKey]:
        """Entries outside `expected` that carry the query itself as a name."""
        allowed = list(expected)
        return [holder for holder in self.holders.get(key(query), ()) if holder not in allowed]
