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

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
import numpy as np

from service.index.name_index import NameIndex
from service.model import EntityType
from service.normalize.legal_forms import COMMON_NAME_PARTS, GENERIC_WORDS, strip_legal_forms
from service.normalize.variants import canonical

# Edits allowed per token length: short tokens must match exactly (or phonetically).
# Two edits only in long tokens: a two-deletion index over all tokens would take
# ~1 GB; one edit in every token of a name is covered whatever its length.
MIN_LEN_ONE_EDIT = 4
MIN_LEN_TWO_EDITS = 10
# Weight of a generic word, and of a very common name part, relative to its IDF weight.
GENERIC_FACTOR = 0.35
COMMON_NAME_FACTOR = 0.5


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


def glued_neighbours(tokens: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(k, tokens[k] + tokens[k + 1]) for each adjacent pair of tokens of two or more letters."""
    return tuple(
        (k, tokens[k] + tokens[k + 1]) for k in range(len(tokens) - 1) if len(tokens[k]) >= 2 and len(tokens[k + 1]) >= 2
    )


class FuzzyIndex:
    def __init__(self, names: NameIndex) -> None:
        self.names = names
        self.records: list[IndexedTokens] = []
        postings: dict[str, set[int]] = defaultdict(set)
        for name_id, indexed in enumerate(names.names):
            entry = names.entries[indexed.entry_position]
            is_person = entry.entity_type is EntityType.INDIVIDUAL
            tokens, legal = (indexed.tokens, ()) if is_person else strip_legal_forms(indexed.tokens)
            record_id = len(self.records)
            type_known = entry.entity_type is not EntityType.UNKNOWN
            self.records.append(IndexedTokens(name_id, tokens, legal, is_person, type_known))
            for token in set(tokens):
                postings[token].add(record_id)
            # Adjacent tokens glued, so a query "Hikvision" finds a listed "Hik Vision".
            for left, right in zip(tokens, tokens[1:], strict=False):
                postings[left + right].add(record_id)
        self.postings: dict[str, tuple[int, ...]] = {token: tuple(sorted(ids)) for token, ids in postings.items()}
        # Real tokens get phonetic keys and deletion variants; glued pairs are found exactly.
        real_tokens = {token for record in self.records for token in record.tokens}

        total = max(1, len(self.records))
        self.max_weight = math.log(total + 1)
        self.weights: dict[str, float] = {}
        self._raw_weights: dict[str, float] = {}
        for token, ids in self.postings.items():
            weight = math.log((total + 1) / (len(ids) + 0.5))
            self.weights[token] = max(weight * _prior(token), 0.05)
            self._raw_weights[token] = max(weight, 0.05)

        self.records = [
            IndexedTokens(r.name_id, r.tokens, r.legal_forms, r.is_person, r.type_known,
                          tuple(self.weight(t) for t in r.tokens), glued_neighbours(r.tokens))  # fmt: skip
            for r in self.records
        ]
        # Total weight of each record's tokens, to rank candidates by an estimated score.
        self.record_weight_array = np.array([sum(record.weights) or 1.0 for record in self.records], dtype=np.float32)
        # Postings as arrays: crediting candidates is then vectorised, not a Python loop
        # over every name that shares a common token.
        self._posting_arrays = {token: np.array(ids, dtype=np.int32) for token, ids in self.postings.items()}
        self._empty = np.zeros(0, dtype=np.int32)

        self.by_phonetic: dict[str, list[str]] = defaultdict(list)
        self.deletions: dict[str, list[str]] = defaultdict(list)
        for token in real_tokens:
            key = phonetic_key(token)
            if key:
                self.by_phonetic[key].append(token)
            for variant in deletion_variants(token, edit_budget(len(token))):
                self.deletions[variant].append(token)

    def posting_array(self, token: str) -> np.ndarray:
        return self._posting_arrays.get(token, self._empty)

    def posting_count(self, token: str) -> int:
        return len(self.postings.get(token, ()))

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
        found = self._raw_weights.get(token)
        return found if found is not None else self.max_weight

    def similar_tokens(self, token: str) -> set[str]:
        """Vocabulary tokens that may be this token: same, same sound, or within the edit budget."""
        found: set[str] = set()
        if token in self.postings:
            found.add(token)
        key = phonetic_key(token)
        if key:
            found.update(self.by_phonetic.get(key, ()))
        # Even with no edits of its own to spend (short tokens), the token itself is
        # looked up among the deletions: "bong" with one letter lost is "ong".
        for variant in deletion_variants(token, edit_budget(len(token))):
            found.update(self.deletions.get(variant, ()))
        return found
