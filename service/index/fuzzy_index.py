"""Token-level index for typo-, transliteration- and order-tolerant matching.

Built once per set of list versions from the NameIndex. Everything a request
would otherwise recompute lives here: each listed name's tokens with legal
forms split off, token weights (inverse document frequency), phonetic keys,
and a symmetric-deletion index over the token vocabulary. A query token finds
every vocabulary token within its edit budget by looking up its own deletion
variants, so candidate generation never misses a name within the typo budget,
including a typo in every token, without scanning the vocabulary.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
import numpy as np

from service.index.name_index import NameIndex
from service.model import EntityType
from service.normalize.arabic import latin_consonant_key
from service.normalize.legal_forms import COMMON_NAME_PARTS, GENERIC_WORDS, strip_legal_forms
from service.normalize.names import name_tokens
from service.normalize.romanisation import romanisation_key
from service.normalize.variants import canonical

# Edits allowed per token length: short tokens must match exactly (or phonetically).
# Two edits only in long tokens: a two-deletion index over all tokens would take
# ~1 GB; one edit in every token of a name is covered whatever its length.
MIN_LEN_ONE_EDIT = 4
MIN_LEN_TWO_EDITS = 10
# Weight of a generic word, and of a very common name part, relative to its IDF weight.
GENERIC_FACTOR = 0.35
COMMON_NAME_FACTOR = 0.5
_NO_SPAN = (0, 0)


def edit_budget(length: int) -> int:
    if length >= MIN_LEN_TWO_EDITS:
        return 2
    if length >= MIN_LEN_ONE_EDIT:
        return 1
    return 0


def deletion_variants(token: str, depth: int) -> set[str]:
    """Every string obtained by deleting up to `depth` characters."""
    variants = {token}
    frontier = {token}
    for _ in range(depth):
        frontier = {word[:i] + word[i + 1 :] for word in frontier if len(word) > 2 for i in range(len(word))}
        variants |= frontier
    return variants


@lru_cache(maxsize=200_000)
def phonetic_key(token: str) -> str:
    """Metaphone, which maps Mohammed/Muhammad/Mohamad, Husayn/Hossein, Sergey/Sergei together."""
    return jellyfish.metaphone(token) if len(token) >= 3 and token.isalpha() else ""


@lru_cache(maxsize=200_000)  # a query's unknown tokens ask it on every weight() call
def _prior(token: str) -> float:
    """What we know of a token beyond the lists: generic word, or a very common name part."""
    if token in GENERIC_WORDS:
        return GENERIC_FACTOR
    if token in COMMON_NAME_PARTS or canonical(token) in COMMON_NAME_PARTS:
        return COMMON_NAME_FACTOR
    return 1.0


@dataclass(frozen=True, slots=True)
class IndexedTokens:
    """One listed name ready for scoring."""

    name_id: int  # position in NameIndex.names
    tokens: tuple[str, ...]  # legal forms removed (organisations only)
    legal_forms: tuple[str, ...]
    is_person: bool
    # Most BIS and State rows do not say whether they name a person or a company.
    type_known: bool
    # IDF weight of each token (filled in once the whole vocabulary is known).
    weights: tuple[float, ...] = ()
    # Adjacent tokens glued together (k, tokens[k] + tokens[k + 1]), for split-token matching.
    glued: tuple[tuple[int, str], ...] = ()
    # Positions of tokens written in one word with the token before ("Krym-Gerievich",
    # "Nasir-al-Din"): a person's name part that the query leaves out counts once, not per token.
    joined: tuple[int, ...] = ()


def _joined_positions(value: str, tokens: tuple[str, ...]) -> tuple[int, ...]:
    """Positions of `tokens` (the name's tokens) written in one word with the token before, or ()
    when the name's words do not give exactly these tokens (a reading the index made)."""
    positions: list[int] = []
    found: list[str] = []
    for word in value.split():
        parts = name_tokens(word)
        positions.extend(range(len(found) + 1, len(found) + len(parts)))
        found.extend(parts)
    return tuple(positions) if tuple(found) == tokens else ()


def glued_neighbours(tokens: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(k, tokens[k] + tokens[k + 1]) for each adjacent pair of tokens of two or more letters."""
    return tuple(
        (k, tokens[k] + tokens[k + 1])
        for k in range(len(tokens) - 1)
        if len(tokens[k]) >= 2 and len(tokens[k + 1]) >= 2
    )


class FuzzyIndex:
    """Built from a NameIndex once per set of list versions, or restored from a stored build.

    Everything is plain data (dicts of strings, tuples, numpy arrays), so a build can be
    stored beside the list versions (service.index.bundle) and restored by another process
    without repeating it.
    """

    # Fields a stored build carries, in the order they are restored.
    STORED_FIELDS = (
        "records", "postings", "flat_postings", "weights", "raw_weights", "max_weight",
        "record_weight_array", "by_phonetic", "by_romanisation", "by_consonants", "deletions",
    )  # fmt: skip

    def __init__(self, names: NameIndex, reference: FuzzyIndex | None = None) -> None:
        """`reference`: a larger index these names are part of (every list), whose weights and
        posting counts this one uses, so that a name scores here as it would there; see subset()."""
        self.names = names
        self._reference = reference
        records: list[IndexedTokens] = []
        postings: dict[str, set[int]] = defaultdict(set)
        for name_id, indexed in enumerate(names.names):
            entry = names.entries[indexed.entry_position]
            is_person = entry.entity_type is EntityType.INDIVIDUAL
            tokens, legal = (indexed.tokens, ()) if is_person else strip_legal_forms(indexed.tokens)
            record_id = len(records)
            type_known = entry.entity_type is not EntityType.UNKNOWN
            joined = () if legal else _joined_positions(entry.names[indexed.name_position].value, tokens)
            records.append(IndexedTokens(name_id, tokens, legal, is_person, type_known, joined=joined))
            for token in set(tokens):
                postings[token].add(record_id)
            # Adjacent tokens glued, so a query "Hikvision" finds a listed "Hik Vision".
            for left, right in itertools.pairwise(tokens):
                postings[left + right].add(record_id)
        # Postings as one flat array and a (start, end) span per token: crediting candidates
        # is then vectorised over a view, not a Python loop over every name sharing a token.
        flat: list[int] = []
        self.postings: dict[str, tuple[int, int]] = {}
        for token, ids in postings.items():
            self.postings[token] = (len(flat), len(flat) + len(ids))
            flat.extend(sorted(ids))
        self.flat_postings = np.array(flat, dtype=np.int32)
        # Real tokens get phonetic keys and deletion variants; glued pairs are found exactly.
        real_tokens = {token for record in records for token in record.tokens}

        self.weights: dict[str, float] = {}
        self.raw_weights: dict[str, float] = {}
        if reference is not None:
            # A word's rarity is its rarity over every list: in a list of 150 names every word is rare.
            self.max_weight: float = reference.max_weight
            self.weights = {token: reference.weight(token) for token in postings}
            self.raw_weights = {token: reference.conflict_weight(token) for token in postings}
        else:
            total = max(1, len(records))
            self.max_weight = math.log(total + 1)
            for token, ids in postings.items():
                weight = math.log((total + 1) / (len(ids) + 0.5))
                self.weights[token] = max(weight * _prior(token), 0.05)
                self.raw_weights[token] = max(weight, 0.05)

        self.records: list[IndexedTokens] = [
            IndexedTokens(
                r.name_id,
                r.tokens,
                r.legal_forms,
                r.is_person,
                r.type_known,
                tuple(self.weight(t) for t in r.tokens),
                glued_neighbours(r.tokens),
                r.joined,
            )
            for r in records
        ]
        # Total weight of each record's tokens, to rank candidates by an estimated score.
        self.record_weight_array = np.array([sum(record.weights) or 1.0 for record in self.records], dtype=np.float32)

        by_phonetic: dict[str, list[str]] = defaultdict(list)
        by_romanisation: dict[str, list[str]] = defaultdict(list)
        by_consonants: dict[str, list[str]] = defaultdict(list)
        deletions: dict[str, list[str]] = defaultdict(list)
        for token in sorted(real_tokens):
            consonants = latin_consonant_key(token)
            if consonants:
                by_consonants[consonants].append(token)
            key = phonetic_key(token)
            if key:
                by_phonetic[key].append(token)
            spelling = romanisation_key(token)
            if spelling:
                by_romanisation[spelling].append(token)
            for variant in deletion_variants(token, edit_budget(len(token))):
                deletions[variant].append(token)
        # Several tokens joined by a space (tokens never hold one), not lists: ~400,000 strings
        # are invisible to the cycle collector, ~400,000 lists would make every full collection
        # (and so a request that triggers one) take a tenth of a second longer.
        self.by_phonetic: dict[str, str] = {key: " ".join(tokens) for key, tokens in by_phonetic.items()}
        # Not keys that only their own token has ("gafur" -> "gafur"): similar_tokens finds
        # such a token by looking the key up as a token, and the vocabulary is mostly those.
        self.by_romanisation: dict[str, str] = {
            key: " ".join(tokens) for key, tokens in by_romanisation.items() if len(tokens) > 1 or key != tokens[0]
        }
        # Latin spellings by consonant key, most listed first: how a word in Arabic script finds
        # its spellings (service.normalize.arabic).
        self.by_consonants: dict[str, str] = {
            key: " ".join(sorted(tokens, key=lambda token: (-len(postings[token]), token)))
            for key, tokens in by_consonants.items()
        }
        # Sharded by the variant's length: restoring a stored index grows one dict of ~400,000
        # keys by resizing it, and each resize of one that size stops the process for ~20 ms.
        self.deletions: dict[int, dict[str, str]] = {}
        for variant, originals in sorted(deletions.items(), key=lambda item: len(item[0])):
            self.deletions.setdefault(len(variant), {})[variant] = " ".join(originals)

    @classmethod
    def restore(cls, names: NameIndex, fields: dict[str, object]) -> FuzzyIndex:
        """The index a build stored as `fields` (see STORED_FIELDS), over the same names."""
        missing = [name for name in cls.STORED_FIELDS if name not in fields]
        if missing:
            raise ValueError(f"stored index lacks {', '.join(missing)}")
        index = cls.__new__(cls)
        index.names = names
        index._reference = None
        for name in cls.STORED_FIELDS:
            setattr(index, name, fields[name])
        return index

    def stored_fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.STORED_FIELDS}

    def posting_array(self, token: str) -> np.ndarray:
        """Ids of the records that contain `token` (a view: never written to)."""
        start, end = self.postings.get(token, _NO_SPAN)
        return self.flat_postings[start:end]

    def posting_count(self, token: str) -> int:
        """How many listed names hold `token` (over the reference index, for a subset)."""
        if self._reference is not None:
            return self._reference.posting_count(token)
        start, end = self.postings.get(token, _NO_SPAN)
        return end - start

    @property
    def is_subset(self) -> bool:
        """Whether this index holds some lists' names and scores them as a larger one does."""
        return self._reference is not None

    def subset(self, list_ids: frozenset[str]) -> FuzzyIndex:
        """An index of these lists' names only, scoring as this one does: a producer is screened
        against the few lists that have producer rules in a fraction of a full screening's time."""
        entries = [entry for entry in self.names.entries if entry.list_id in list_ids]
        return FuzzyIndex(NameIndex(entries), reference=self)

    def weight(self, token: str) -> float:
        """IDF weight; a token no list contains is as distinctive as the rarest."""
        found = self.weights.get(token)
        if found is not None:
            return found
        return self.max_weight * _prior(token)

    def conflict_weight(self, token: str) -> float:
        """IDF weight without the generic-word and common-name discount.

        The discount says a shared "Luis" is weak evidence *for* a match; a "Luis"
        where the party has "Thomas" is as much evidence *against* as any given name.
        """
        found = self.raw_weights.get(token)
        return found if found is not None else self.max_weight

    def similar_tokens(self, token: str) -> set[str]:
        """Vocabulary tokens that may be this token: same, same sound, or within the edit budget."""
        found: set[str] = set()
        if token in self.postings:
            found.add(token)
        key = phonetic_key(token)
        if key and (same_sound := self.by_phonetic.get(key)):
            found.update(same_sound.split(" "))
        spelling = romanisation_key(token)
        if spelling:
            if same_spelling := self.by_romanisation.get(spelling):
                found.update(same_spelling.split(" "))
            if spelling in self.postings:
                found.add(spelling)
        # Even with no edits of its own to spend (short tokens), the token itself is
        # looked up among the deletions: "bong" with one letter lost is "ong".
        shards = self.deletions
        for variant in deletion_variants(token, edit_budget(len(token))):
            shard = shards.get(len(variant))
            if shard is not None and (near := shard.get(variant)) is not None:
                found.update(near.split(" "))
        return found
