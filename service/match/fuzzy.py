"""The fuzzy matcher: typos, transliteration, token order, legal forms, glued tokens.

Per request:
1. normalise the query names (other scripts transliterated, legal forms and
   honorifics set aside);
2. candidates: each query token (and each glued pair) looks up the vocabulary
   tokens within its edit budget, of the same sound, or of the same
   transliteration group, and their postings; candidates are ranked by the
   weight of the query tokens they share and the best few are scored;
3. score: a one-to-one token alignment weighted by token rarity (IDF), where
   unmatched listed tokens of a person count half (missing middle names) and
   legal forms count nothing; then secondary-data adjustments.

Scores are in [0, 1]; thresholds live in lists/policy.toml.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

import numpy as np
from rapidfuzz.distance import OSA, JaroWinkler

from service.index.fuzzy_index import FuzzyIndex, IndexedTokens, edit_budget, glued_neighbours, phonetic_key
from service.match.evidence import adjustments
from service.match.result import Explanation, MatchResult, TokenPair
from service.model import EntityType, PartyQuery
from service.model.entry import AliasStrength
from service.normalize.arabic import (
    ARABIC_WORD,
    arabic_consonant_keys,
    arabic_pattern,
    has_arabic_script,
    split_article,
)
from service.normalize.evasion import evasion_readings
from service.normalize.hangul import hangul_readings, korean_spellings, korean_syllables, same_korean_syllable
from service.normalize.korean_cyrillic import korean_cyrillic_readings
from service.normalize.legal_forms import (
    COMMON_NAME_PARTS,
    FUNCTION_WORDS,
    GENERIC_WORDS,
    GLUED_SEQUENCE_PARTS,
    HONORIFICS,
    ORGANISATION_MARKERS,
    is_legal_form_word,
    legal_form_typo,
    rejoin_split_forms,
    split_glued_form,
    strip_legal_forms,
)
from service.normalize.name_symbols import distinct_names, name_items
from service.normalize.names import name_tokens
from service.normalize.pinyin import different_syllables, syllables
from service.normalize.qualifiers import (
    BUSINESS_WORDS,
    UNIT_WORDS,
    is_place,
    names_a_business,
    qualifies_listed_name,
)
from service.normalize.romanisation import long_vowel_spellings, romanisation_key, same_long_vowel
from service.normalize.variants import canonical, variants_of

MIN_TOKEN_SIMILARITY = 0.7
SCORING_TWO_EDITS_FROM = 7
# Metaphone alone unites too much ("sasaki"/"sasco"); the spellings must also be close.
PHONETIC_MIN_JARO_WINKLER = 0.85
GLUE_SIMILARITY = 0.85
# Two spellings of one name part by different romanisation systems (service.normalize.romanisation).
ROMANISATION_SIMILARITY = 0.9
PHONETIC_SIMILARITY = 0.82
# Unmatched listed tokens of a person weigh this much (middle names are often left out).
PERSON_UNMATCHED_LISTED = 0.5
# Name parts on both sides that the other lacks (a conflict) weigh this many times their rarity.
CONFLICT_FACTOR = 1.5
ORG_UNMATCHED_LISTED = 0.8
# Words appended after a whole listed organisation name ("<listed> Representative Office
# Tashkent", "<listed> (Singapore)", "<listed> Plant No. 2") weigh this much of the heaviest of them.
APPENDED_FACTOR = 0.3
INITIAL_SIMILARITY = 0.75
# A typo between two one-word company names counts from this many letters on ("Casio" / "CASIC" does not).
ONE_WORD_TYPO_MIN_LETTERS = 6
# A person's name part held by at most this many listed names, of at least this many letters,
# surfaces that person when queried alone ("Fishenko"), scored PARTIAL_NAME_SCORE x its similarity:
# above the review threshold when spelled as listed, never at the match threshold.
RARE_PART_MAX_POSTINGS = 6
RARE_PART_MIN_LETTERS = 5
PARTIAL_NAME_SCORE = 0.85
# Words that name a criminal organisation after its family ("Barakat Network", "Karar Group").
NETWORK_WORDS = frozenset(
    "network organization organisation group family clan cartel syndicate gang ring dto tco".split()
)
# A name part in at least this many listed names is common ("mohammad", "hossein", "sergey").
COMMON_PART_POSTINGS = 30
# Two very common name parts of a longer listed person's name, and nothing else ("Ali Saleh" of
# "SALEH, Ali Mohammad", "Victor Petrovich" of "IVANOV, Victor Petrovich"), score at most this:
# below the review threshold on the name alone, at it with an agreeing country and birth year.
COMMON_PARTS_SCORE = 0.70
# A two-part person's name part spelled at least this often on the lists, a typo away from a listed
# part, is taken for another name when Wikidata's name items say so ("Salim" / "Salih", "Amir" /
# "Amin"; service.normalize.name_symbols), not for a misspelling.
NAME_OF_ITS_OWN_POSTINGS = 3
LISTED_INITIAL_SIMILARITY = 0.5
# Query tokens whose rated vocabulary is kept (each entry a few dozen tokens at most).
RATED_CACHE_SIZE = 50_000
# And at most this many cached record ids (8 bytes each with their credit).
MAX_CACHED_POSTINGS = 4_000_000
# Whole answers kept per matcher (per set of list versions): most are empty lists.
RESULT_CACHE_SIZE = 20_000
# Postings longer than this are not used to find candidates (they are still scored).
MAX_POSTINGS = 4000
CANDIDATES_SCORED = 24
# Up to this many listed names, candidates are ranked without numpy (see _small_candidates).
SMALL_INDEX_RECORDS = 2048
# Listed names the query holds whole (at least this share of their weight found), scored besides
# the Dice-ranked candidates, at most this many, heaviest first.
WHOLE_NAME_SHARE = 0.9
WHOLE_NAME_CANDIDATES = 6
# Candidates sharing less than this share of the best candidate's query weight are not scored.
CANDIDATE_SHARE_CUTOFF = 0.45
# A candidate whose estimated score is below this share of the requested minimum is not scored.
ESTIMATE_FLOOR_OF_MIN_SCORE = 0.4


@lru_cache(maxsize=200_000)
def token_similarity(query: str, listed: str) -> tuple[float, str]:
    """Similarity of two tokens in [0, 1] and how it was established."""
    if query == listed:
        return 1.0, "exact"
    best, method = 0.0, ""
    if canonical(query) == canonical(listed):
        best, method = 0.95, "transliteration"
    elif (spelling := romanisation_key(query)) and spelling == romanisation_key(listed):
        best, method = ROMANISATION_SIMILARITY, "romanisation"
    elif same_long_vowel(query, listed):
        best, method = ROMANISATION_SIMILARITY, "romanisation"  # "nur" / "noor", too short for a key
    # Scoring allows two edits from seven letters on ("akkesei" ~ "aleksei"); the
    # candidate index is stricter (see fuzzy_index), other tokens bring such names in.
    longest = max(len(query), len(listed))
    budget = 2 if longest >= SCORING_TWO_EDITS_FROM else edit_budget(longest)
    if budget:
        distance = OSA.distance(query, listed, score_cutoff=budget)
        if distance <= budget:
            # One edit in a 4-letter token ("fang"/"kang") is weak; in a 10-letter one, strong.
            typo = 1.0 - distance / max(len(query), len(listed))
            if typo > best:
                best, method = typo, "typo"
    if best < PHONETIC_SIMILARITY and min(len(query), len(listed)) >= 4:  # short tokens: too many sound alike
        key = phonetic_key(query)
        if key and key == phonetic_key(listed) and JaroWinkler.similarity(query, listed) >= PHONETIC_MIN_JARO_WINKLER:
            best, method = PHONETIC_SIMILARITY, "phonetic"
    if best < ROMANISATION_SIMILARITY and same_korean_syllable(query, listed):
        # One Hangul syllable as two romanisation systems spell it ("ki" / "gi", "chol" / "cheol").
        best, method = ROMANISATION_SIMILARITY, "romanisation"
    if method in ("typo", "phonetic", "romanisation") and different_syllables(query, listed):
        # Pinyin on both sides, one syllable for another: another Chinese name, not a misspelling
        # ("Zheng" / "Zhang", "Xiaoming" / "Xiaobing"; service.normalize.pinyin).
        return 0.0, ""
    return best, method


# _Pair and _Scored are named tuples, not frozen dataclasses: as immutable, and made 2-4x faster
# (a frozen dataclass sets each field through object.__setattr__); a name's scoring makes dozens.
class _Pair(NamedTuple):
    query_positions: tuple[int, ...]
    listed_positions: tuple[int, ...]
    similarity: float
    method: str
    # Weight of the tokens on both sides, and similarity x weight (the greedy order).
    weight: float
    rank: float


def _pair(
    query_positions: tuple[int, ...],
    listed_positions: tuple[int, ...],
    similarity: float,
    method: str,
    weights_q: Sequence[float],
    weights_l: Sequence[float],
) -> _Pair:
    weight = sum(weights_q[i] for i in query_positions) + sum(weights_l[j] for j in listed_positions)
    return _Pair(query_positions, listed_positions, similarity, method, weight, similarity * weight)


# Per query token: the vocabulary tokens the candidate search rated -> (similarity, method).
Expansions = list[dict[str, tuple[float, str]]]


class _Scored(NamedTuple):
    score: float
    chosen: tuple[_Pair, ...]
    used_q: frozenset[int]
    used_l: frozenset[int]
    # Query words after the whole listed name weighed APPENDED_FACTOR (office, unit, place, number).
    appended: tuple[str, ...] = ()
    # One rare name part of a listed person, alone (scored PARTIAL_NAME_SCORE x its similarity).
    partial: bool = False
    # The appended words name a line of business (score capped at PARTIAL_NAME_SCORE).
    business: bool = False
    # Only two very common parts of a longer listed person's name (score capped at COMMON_PARTS_SCORE).
    common_parts_only: bool = False
    # A family's organisation by "<family> <network word>" (scored PARTIAL_NAME_SCORE x similarity).
    network: bool = False


def _candidate_pairs(
    query: tuple[str, ...],
    listed: tuple[str, ...],
    is_person: bool,
    weights_q: Sequence[float],
    weights_l: Sequence[float],
    expansions: Expansions | None = None,
    glued_q: tuple[tuple[int, str], ...] | None = None,
    glued_l: tuple[tuple[int, str], ...] | None = None,
) -> list[_Pair]:
    pairs = []
    strong_q: set[int] = set()
    strong_l: set[int] = set()
    listed_lengths = [len(t) for t in listed]
    for i, q in enumerate(query):
        rated = expansions[i] if expansions is not None else None
        q_length = len(q)
        for j, t in enumerate(listed):
            if rated is None:
                sim, method = token_similarity(q, t)
            elif (known := rated.get(t)) is not None:
                sim, method = known
            else:
                # The search rated every vocabulary token within the index's edit budget, of
                # the same sound or transliteration group; anything else can only be similar
                # through the wider scoring budget (two edits from seven letters), or be an initial.
                t_length = listed_lengths[j]
                if (
                    q_length >= SCORING_TWO_EDITS_FROM or t_length >= SCORING_TWO_EDITS_FROM
                ) and -2 <= q_length - t_length <= 2:
                    sim, method = token_similarity(q, t)
                elif is_person and (q_length == 1 or t_length == 1):
                    sim, method = 0.0, ""
                else:
                    continue
            if sim >= MIN_TOKEN_SIMILARITY:
                weight = weights_q[i] + weights_l[j]  # _pair, inlined for the common one-to-one case
                pairs.append(_Pair((i,), (j,), sim, method, weight, sim * weight))
                if sim >= 0.9:
                    strong_q.add(i)
                    strong_l.add(j)
            elif is_person and q_length == 1 and len(t) > 1 and t[0] == q:
                pairs.append(_pair((i,), (j,), INITIAL_SIMILARITY, "initial", weights_q, weights_l))
            elif is_person and len(t) == 1 and q_length > 1 and q[0] == t:
                # A listed initial is usually a middle initial: weak evidence for any query token.
                pairs.append(_pair((i,), (j,), LISTED_INITIAL_SIMILARITY, "initial", weights_q, weights_l))
    if len(strong_q) == len(query) and len(strong_l) == len(listed):
        return pairs
    # Glued or split tokens ("hik vision" ~ "hikvision"), only where a token lacks a close partner.
    glued_q = glued_neighbours(query) if glued_q is None else glued_q
    glued_l = glued_neighbours(listed) if glued_l is None else glued_l
    for i, j_positions, sim, method in _glued(glued_q, strong_q, listed, listed_lengths, query_side=True):
        pairs.append(_pair((i, i + 1), j_positions, sim, f"glued+{method}", weights_q, weights_l))
    if glued_l:
        query_lengths = [len(t) for t in query]
        for j, i_positions, sim, method in _glued(glued_l, strong_l, query, query_lengths, query_side=False):
            pairs.append(_pair(i_positions, (j, j + 1), sim, f"split+{method}", weights_q, weights_l))
    return pairs


def _glued(
    glued_pairs: tuple[tuple[int, str], ...],
    strong: set[int],
    others: tuple[str, ...],
    other_lengths: list[int],
    query_side: bool,
) -> list[tuple[int, tuple[int, ...], float, str]]:
    """(k, (position in others,), similarity, method) where tokens[k] + tokens[k + 1] resembles one other token."""
    found: list[tuple[int, tuple[int, ...], float, str]] = []
    for k, glued in glued_pairs:
        if k in strong and k + 1 in strong:
            continue
        glued_length = len(glued)
        for position, other in enumerate(others):
            # GLUE_SIMILARITY allows at most two edits at these lengths; a length gap
            # beyond that cannot reach it, and most pairs end here without a call.
            if not -2 <= glued_length - other_lengths[position] <= 2:
                continue
            sim, method = token_similarity(glued, other) if query_side else token_similarity(other, glued)
            if sim >= GLUE_SIMILARITY:
                found.append((k, (position,), sim * 0.97, method))
    return found


_BY_RANK = attrgetter("rank")


def _reads_as_personal_name(record: IndexedTokens) -> bool:
    """An untyped listed name of words only, none of them a company's (no legal form, no generic
    or business word): "Berge Aris Balanian", not "Sunway Tech" or "Rosoboronexport Plant"."""
    return not record.legal_forms and all(
        token.isalpha() and token not in GENERIC_WORDS and token not in BUSINESS_WORDS and token not in UNIT_WORDS
        for token in record.tokens
    )


def warm_reference_data() -> None:
    """Load the tables the matcher reads lazily: the large cities of GeoNames (~0.4 s), the
    pinyin and Korean syllables and the name items. Called where a matcher is built and before a
    server serves (in a thread), so that no request, and no event-loop turn, pays for it."""
    is_place("")
    syllables()
    name_items()
    korean_syllables()


def _conflict_weight(index: FuzzyIndex, token: str, weight: float, factor: float = 1.0) -> float:
    """A token's weight as evidence against a match: `factor` times its full rarity, unless it
    only joins words ("of" for "de"), when it weighs as itself."""
    return weight if token in FUNCTION_WORDS else factor * index.conflict_weight(token)


_NO_IDS = np.zeros(0, dtype=np.int32)
_NO_CREDIT = np.zeros(0, dtype=np.float32)


class _TokenPostings:
    """The records a query token reaches through its vocabulary, merged once and cached with it.

    Merging (one scatter per vocabulary token, then a sort) is most of the candidate
    search; a batch repeats its tokens, so each is merged once per set of list versions.
    """

    # No reference back to the matcher: the matcher caches these, and a cycle would leave a
    # replaced matcher (and its whole index) to the cycle collector, which never sees it
    # once frozen (service.engine.index_source.collector_paused).
    __slots__ = ("_found", "_merged", "_pairs", "total")

    def __init__(self, index: FuzzyIndex, found: dict[str, float]) -> None:
        self._found = found
        self.total = sum(index.posting_count(t) for t in found)
        self._merged: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
        self._pairs: dict[bool, list[tuple[int, float]]] = {}

    def merged(self, matcher: FuzzyMatcher, common_only: bool) -> tuple[np.ndarray, np.ndarray]:
        """(distinct record ids, credit); postings of over MAX_POSTINGS names only when every query token is that common."""
        merged = self._merged.get(common_only)
        if merged is None:
            merged = self._merged[common_only] = matcher.merge_postings(self._found, skip_oversized=not common_only)
        return merged

    def pairs(self, matcher: FuzzyMatcher, common_only: bool) -> list[tuple[int, float]]:
        """merged() as (record id, credit) pairs of Python numbers, for a small index's plain-Python ranking."""
        pairs = self._pairs.get(common_only)
        if pairs is None:
            ids, credit = self.merged(matcher, common_only)
            pairs = self._pairs[common_only] = list(zip(ids.tolist(), credit.tolist(), strict=True))
        return pairs


class FuzzyMatcher:
    # /2: names are also matched as read without evasion tricks (service.normalize.evasion);
    # bin / ibn / ben and bint / binti are one transliteration group (service.normalize.variants);
    # an organisation's listed name is also indexed without its trailing parenthetical (acronym);
    # office, unit, country and number words appended to a whole listed organisation name weigh
    # APPENDED_FACTOR (service.normalize.qualifiers).
    # /3: romanisations of one name part align (service.normalize.romanisation), metaphone alone
    # counts 0.82; one pinyin syllable for another is another name (service.normalize.pinyin);
    # Hangul is read a syllable at a time in the DPRK, McCune-Reischauer and Revised systems and
    # Korean names in Cyrillic are read back (service.normalize.hangul, .korean_cyrillic); legal
    # forms spelled out in some thirty languages are set aside; look-alike Cyrillic / Greek
    # letters in Latin words and run-together acronyms are read through; the assimilated article
    # (ash-, an-, ad- ...) is al-; office, unit, place and business words after a whole listed
    # company name weigh as one light word; a rare surname alone surfaces for review, two very
    # common parts alone count the omitted ones in full; a one-word company takes no sound-alike
    # of a one-word listing; a token spelled as listed takes its partner first; a company's words on
    # one side only count without the generic-word discount.
    # /4: two very common parts of a longer listed person's name, and nothing else, score at most
    # COMMON_PARTS_SCORE; in a two-part person's name a typo joining two names of their own
    # (Wikidata's name items, service.normalize.name_symbols: "Salim" / "Salih") is no pair; listed
    # names the query holds whole are scored besides the Dice-ranked candidates; a rare name part
    # alone surfaces an untyped listing that reads as a person's name; a name in Arabic script is
    # also read as the listed spellings it fits (service.normalize.arabic); Hangul family names are
    # also read the southern way and a Hangul syllable spelled by two systems aligns; "<uncommon
    # family> <network word>" surfaces the listed organisation named after that family, for review;
    # a conflict (a part on each side the other lacks) weighs CONFLICT_FACTOR times its rarity; a
    # person against an untyped listing that carries a legal form has the party-type conflict; a
    # part a person query adds to the whole listed name counts at its full rarity; a 1 among
    # letters is also read as an l (service.normalize.evasion); a country's one-word name in 25
    # languages is a place word (service.normalize.qualifiers); a Korean name in Cyrillic is read
    # with a final н both as n and as ng, and чж as one consonant (service.normalize.korean_cyrillic);
    # a person's listed name part written as one word ("Krym-Gerievich") counts once when left out;
    # a short name's long vowel written doubled or single aligns ("Noor" / "Nur").
    # /5: a legal form written in mixed case ("GmbH", "SpA", "mbH") is not split at its capitals as
    # if it hid run-together words (service.normalize.evasion); a legal-form word with a typo as near
    # to two sequence words ("aktsionernoy") is read as either, where the first found depended on the
    # process's hash seed (service.normalize.legal_forms).
    # /6: a party's identifier equal to a listed one of a compatible kind (IMO, passport, wallet ...)
    # is a match whatever the names say (service.engine.by_identifier).
    algorithm = "fuzzy-idf/6"

    def __init__(self, index: FuzzyIndex, list_versions: dict[str, str]) -> None:
        self._index = index
        self._list_versions = list_versions
        # Per-thread scratch arrays for candidate scoring (find may run in several threads).
        self._local = threading.local()
        self._rated_cache: dict[str, tuple[dict[str, tuple[float, str]], _TokenPostings]] = {}
        self._cached_postings = 0
        self._repair_cache: dict[str, tuple[str, ...]] = {}
        self._arabic_cache: dict[str, tuple[tuple[str, str], ...]] = {}
        # Record id -> whether the untyped listed name reads as a person's (computed when first asked).
        self._personal: dict[int, bool] = {}
        # Answers of recent queries (party_reference aside), oldest first; see find().
        # An OrderedDict: dropping a plain dict's first key scans past every key deleted before it
        # (until the next resize), ~10 us per insert once 20,000 answers are held.
        self._results: OrderedDict[tuple[object, ...], tuple[MatchResult, ...]] = OrderedDict()
        # A small subset index (the producers' lists) ranks candidates in plain Python
        # (_small_candidates); the full index, however small in a test, always takes the numpy path.
        self._small = index.is_subset and len(index.records) <= SMALL_INDEX_RECORDS
        self._record_weights: list[float] = index.record_weight_array.tolist() if self._small else []

    # ---------------------------------------------------------------- candidates

    def _candidates(
        self, tokens: tuple[str, ...], weights_q: list[float], min_score: float
    ) -> tuple[list[int], Expansions]:
        """The records worth scoring for these query tokens (weighing `weights_q`), and each token's rated vocabulary."""
        index = self._index
        expansions: Expansions = []
        lookups: list[tuple[str, _TokenPostings]] = []
        for token in tokens:
            rated, postings = self._rated_vocabulary(token)
            expansions.append(rated)
            lookups.append((token, postings))
        for left, right in itertools.pairwise(tokens):
            glued = left + right
            if glued in index.postings:  # "hik vision" -> a listed "hikvision"
                lookups.append((glued, self._glued_postings(glued)))
        usable = [(token, postings) for token, postings in lookups if postings.total]
        if not usable:
            return [], expansions
        common_only = all(postings.total > MAX_POSTINGS for _, postings in usable)
        query_weight = sum(weights_q) or 1.0
        if self._small:
            return self._small_candidates(len(tokens), usable, common_only, min_score, query_weight), expansions
        # Dense scratch array over all records, reset after use; only the records some
        # query token touched are ranked, so the cost follows the postings, not the lists.
        shares, _ = self._scratch()
        touched_parts = []
        for token, postings in usable:
            # Each record is credited once per query token, with its closest vocabulary token.
            ids, credit = postings.merged(self, common_only)
            if not len(ids):
                continue
            # The ids are distinct: fancy-index += applies once per record, as intended.
            shares[ids] += index.weight(token) * credit
            touched_parts.append(ids)
        if not touched_parts:
            return [], expansions
        # Distinct touched records (sort and drop repeats: np.unique is slower at these sizes).
        touched = np.sort(np.concatenate(touched_parts))
        if len(touched) > 1:
            touched = touched[np.concatenate(([True], touched[1:] != touched[:-1]))]
        touched_shares = shares[touched]
        shares[touched] = 0.0
        # Estimated score: shared weight against both names' total weight (a Dice
        # coefficient), so "PJSC SBERBANK" ranks above "SBERBANK INVESTMENTS LLC"
        # for the query "Sberbank" instead of tying with all 60 Sberbank names.
        estimates = 2 * touched_shares / (query_weight + index.record_weight_array[touched])
        count = min(CANDIDATES_SCORED, len(touched))
        top = np.argpartition(-estimates, count - 1)[:count] if count < len(touched) else np.arange(len(touched))
        top = top[np.argsort(-estimates[top], kind="stable")]
        # Far below the best, or too far below the score asked for, to be worth scoring.
        floor = max(float(estimates[top[0]]) * CANDIDATE_SHARE_CUTOFF, min_score * ESTIMATE_FLOOR_OF_MIN_SCORE)
        chosen = [int(touched[k]) for k in top if estimates[k] >= floor]
        if len(tokens) > 1:
            # Listed names the query holds whole, heaviest first: "Loop SA Middle East" holds the
            # listed "LOOP SA" and words of its own, and the Dice estimate ranks the many listed
            # "... Middle East" names above it.
            whole = np.flatnonzero(touched_shares >= WHOLE_NAME_SHARE * index.record_weight_array[touched])
            if len(whole):
                heaviest = whole[np.argsort(-touched_shares[whole], kind="stable")[:WHOLE_NAME_CANDIDATES]]
                seen = set(chosen)
                chosen += [int(touched[k]) for k in heaviest if int(touched[k]) not in seen]
        return chosen, expansions

    def _small_candidates(
        self,
        token_count: int,
        usable: list[tuple[str, _TokenPostings]],
        common_only: bool,
        min_score: float,
        query_weight: float,
    ) -> list[int]:
        """_candidates' ranking in plain Python, for an index of a few hundred names (the producers'
        lists): there a dozen numpy calls cost more than the few records they rank."""
        index = self._index
        shares: dict[int, float] = {}
        for token, postings in usable:
            weight = index.weight(token)
            for record_id, similarity in postings.pairs(self, common_only):
                shares[record_id] = shares.get(record_id, 0.0) + weight * similarity
        if not shares:
            return []
        record_weights = self._record_weights
        # (-estimate, record id): best first, ties by record id, as the numpy path ranks them.
        top = sorted(
            [(-2 * share / (query_weight + record_weights[record]), record) for record, share in shares.items()]
        )
        top = top[:CANDIDATES_SCORED]
        floor = max(-top[0][0] * CANDIDATE_SHARE_CUTOFF, min_score * ESTIMATE_FLOOR_OF_MIN_SCORE)
        chosen = [record_id for negated, record_id in top if -negated >= floor]
        if token_count > 1:
            whole = [record for record, share in shares.items() if share >= WHOLE_NAME_SHARE * record_weights[record]]
            seen = set(chosen)
            heaviest = sorted(whole, key=lambda record_id: (-shares[record_id], record_id))[:WHOLE_NAME_CANDIDATES]
            chosen += [record_id for record_id in heaviest if record_id not in seen]
        return chosen

    def _rated_vocabulary(self, token: str) -> tuple[dict[str, tuple[float, str]], _TokenPostings]:
        """Vocabulary tokens this query token may align with -> (similarity, method), and their postings.

        Cached per matcher (so per set of list versions): names share their tokens
        ("mohammed", "trading", "ivanov"), and a batch repeats them all day.
        """
        cached = self._rated_cache.get(token)
        if cached is not None:
            return cached
        index = self._index
        found = index.similar_tokens(token)
        found.update(v for v in variants_of(token) if v in index.postings)
        found.update(v for v in korean_spellings(token) if v in index.postings)
        found.update(v for v in long_vowel_spellings(token) if v in index.postings)
        # Only vocabulary tokens that could align with this one (similarity at the
        # alignment floor) can lift a candidate; the rest merely sound alike.
        rated = {t: (1.0, "exact") if t == token else token_similarity(token, t) for t in found}
        rated = {t: rating for t, rating in rated.items() if rating[0] >= MIN_TOKEN_SIMILARITY}
        postings = _TokenPostings(self._index, {t: rating[0] for t, rating in rated.items()})
        if len(self._rated_cache) >= RATED_CACHE_SIZE or self._cached_postings > MAX_CACHED_POSTINGS:
            self._rated_cache.clear()  # crude but bounded; hits come back within seconds
            self._cached_postings = 0
        self._rated_cache[token] = (rated, postings)
        self._cached_postings += postings.total
        return rated, postings

    def _glued_postings(self, glued: str) -> _TokenPostings:
        return _TokenPostings(self._index, {glued: 1.0})

    def merge_postings(self, found: dict[str, float], skip_oversized: bool) -> tuple[np.ndarray, np.ndarray]:
        """(distinct record ids, best similarity per record) over the vocabulary tokens `found`."""
        index = self._index
        _, credit = self._scratch()
        parts = []
        # Ascending similarity, so the best one is written last.
        for vocabulary_token, similarity in sorted(found.items(), key=lambda item: item[1]):
            postings = index.posting_array(vocabulary_token)
            if skip_oversized and len(postings) > MAX_POSTINGS:
                continue
            credit[postings] = similarity
            parts.append(postings)
        if not parts:
            return _NO_IDS, _NO_CREDIT
        if len(parts) == 1:
            ids = parts[0]
        else:
            ids = np.sort(np.concatenate(parts))
            ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))]
        merged = credit[ids]
        credit[ids] = 0.0
        return ids, merged

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's zeroed (shares, credit) arrays, one slot per record."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            size = len(self._index.records)
            scratch = self._local.scratch = (np.zeros(size, dtype=np.float32), np.zeros(size, dtype=np.float32))
        return scratch

    # ---------------------------------------------------------------- scoring

    def _score(
        self,
        query: tuple[str, ...],
        weights_q: list[float],
        record_id: int,
        query_is_person: bool = False,
        expansions: Expansions | None = None,
        glued_q: tuple[tuple[int, str], ...] | None = None,
        query_is_other: bool = False,
    ) -> _Scored | None:
        """The name score against one record, or None when the names cannot be the same party."""
        index = self._index
        record = index.records[record_id]
        listed = record.tokens
        weights_l = record.weights
        chosen: list[_Pair] = []
        used_q: set[int] = set()
        used_l: set[int] = set()
        pairs = _candidate_pairs(
            query, listed, record.is_person, weights_q, weights_l, expansions, glued_q, record.glued
        )
        if (record.is_person or query_is_person) and len(query) == 2:
            # In a two-part name each part is half the identity: "Ahmad Salim" is not "SALIH,
            # Ahmad", although a typo joins them. (In a longer name the other parts decide.)
            pairs = [p for p in pairs if not self._two_names(query, listed, p)]
        pairs.sort(key=_BY_RANK, reverse=True)
        # A token spelled as listed takes its partner before any near spelling: by weight alone,
        # "Mohammad Reza" would pair "mohammad" with the rarer surname of "MOHAMMADI, Mohammad
        # Reza" and leave the listed "Mohammad" over, reading a surname into a query that gave
        # none. (Two passes over the rank-sorted pairs: cheaper than a tuple sort key.)
        pairs = [p for p in pairs if p.similarity >= 1.0] + [p for p in pairs if p.similarity < 1.0]
        for pair in pairs:
            if used_q.isdisjoint(pair.query_positions) and used_l.isdisjoint(pair.listed_positions):
                chosen.append(pair)
                used_q.update(pair.query_positions)
                used_l.update(pair.listed_positions)
        # A person is not identified by one name part: "PAVLOV, Sergei" is not
        # "PAVLOV, Andrey", nor "Xiao Ming" "ZHANG, Xiaoming".
        partial = False
        if record.is_person and len(listed) >= 2 and len(used_l) < 2:
            # Unless the query is that one name part alone and the part is rare: an officer
            # wants a distinctive surname ("Fishenko") surfaced for review, never confirmed
            # by it (scored below the match threshold whatever else the listing holds).
            if not (len(query) == 1 and chosen and self._rare_alone(query[0], chosen[0], listed)):
                return None
            partial = True
        elif (
            len(query) == 1
            and not record.type_known
            and len(listed) >= 2
            and len(used_l) == 1
            and (query_is_person or (not query_is_other and self._untyped_reads_as_person(record_id)))
            and self._rare_alone(query[0], chosen[0], listed)
        ):
            # The same for an untyped listing (most BIS, State and DPL rows) when the party is a
            # person, or of unknown type and the listed name reads as one: "Balanian" of "Berge
            # Aris Balanian" (a company's one-word name is no surname).
            partial = True
        # Nor is a person by one of their names matching a one-word listing ("Hamza
        # Farouk" is not the weak alias "FAROUK").
        if (record.is_person or query_is_person) and len(query) >= 2 and len(used_q) < 2:
            return None
        # A one-word company name against a one-word listing: a sound-alike or a short word
        # one letter off is another brand far more often than a typo ("Cemex" / "CIMEX",
        # "Cisco" / "ZISCO", "Casio" / "CASIC"); only the spelling, or a typo in a longer
        # word, is evidence here.
        if len(query) == 1 and len(listed) == 1 and not (record.is_person or query_is_person) and chosen:
            only = chosen[0]
            if only.method in ("phonetic", "romanisation") or (
                only.method == "typo" and max(len(query[0]), len(listed[0])) < ONE_WORD_TYPO_MIN_LETTERS
            ):
                return None
        distinctive = any(
            listed[j] not in GENERIC_WORDS and p.method != "initial" for p in chosen for j in p.listed_positions
        )
        # A name made only of generic words ("Technology and Development Group") can
        # match, but only when every one of its tokens is matched.
        if not distinctive and not (len(used_l) == len(listed) and all(p.similarity >= 0.9 for p in chosen)):
            return None
        # Leaving out listed tokens (a middle name, a second surname) is forgiven in
        # part, but only when every query token found its partner: a query that puts
        # its own token where the listed one was is a different name, not a shorter one.
        all_query_matched = len(used_q) == len(query)
        # An untyped listing (most BIS and State rows) is taken to be what the party is, and when
        # the party's type is not given either, what its name reads as ("Miguel Alonso Apodaca").
        person_like = record.is_person or (
            not record.type_known
            and (query_is_person or (not query_is_other and self._untyped_reads_as_person(record_id)))
        )
        if all_query_matched:
            unmatched_factor = PERSON_UNMATCHED_LISTED if person_like else ORG_UNMATCHED_LISTED
        else:
            unmatched_factor = 1.0
        numerator = 0.0
        denominator = 0.0
        appended: tuple[str, ...] = ()
        for pair in chosen:
            numerator += pair.rank
            denominator += pair.weight
        unmatched_q = [i for i in range(len(query)) if i not in used_q]
        unmatched_l = [j for j in range(len(listed)) if j not in used_l]
        if unmatched_q and unmatched_l:
            # Both names keep a part the other lacks ("THOMAS" vs "LUIS CURIEL-TREVINO", "Allied
            # Bank" vs "ALLIED TRADING CO."): a conflict, weighed without the common-name or
            # generic-word discount (in a company name, a joining word, "of" for "de", is no conflict).
            # Since fuzzy-idf/4 at CONFLICT_FACTOR times: a part the listing lacks in its place is
            # evidence of another party, not only absent evidence ("REYES CARDENAS, Jorge Guillermo"
            # vs "GONZALEZ CARDENAS, Jorge Guillermo").
            sides = [(query[i], weights_q[i]) for i in unmatched_q] + [(listed[j], weights_l[j]) for j in unmatched_l]
            if record.is_person or query_is_person:
                denominator += CONFLICT_FACTOR * sum(index.conflict_weight(token) for token, _ in sides)
            else:
                denominator += sum(_conflict_weight(index, token, weight, CONFLICT_FACTOR) for token, weight in sides)
        elif (
            unmatched_q
            and not unmatched_l
            and not (record.is_person or query_is_person)
            and min(unmatched_q) > max(used_q)
            and qualifies_listed_name([query[i] for i in unmatched_q])
        ):
            # The whole listed name, then words of the querier's own: which office, place,
            # part or business of the company. They say the party may be a unit of the listed
            # one, and together weigh as one light word ("Representative Office in Minsk").
            denominator += APPENDED_FACTOR * max(weights_q[i] for i in unmatched_q)
            appended = tuple(query[i] for i in unmatched_q)
        else:
            if (record.is_person or query_is_person) and not unmatched_l:
                # A part the query adds to a person's whole listed name counts at its full rarity:
                # a common surname is weak evidence for a match, but "Jang Su Bin" is not plainly the
                # listed "SU, Bin" because Jang is common (since fuzzy-idf/4).
                denominator += sum(index.conflict_weight(query[i]) for i in unmatched_q)
            else:
                denominator += sum(weights_q[i] for i in unmatched_q)
            if query_is_person or person_like:
                # A name part written as one word ("Krym-Gerievich") counts once, by its first token.
                joined = record.joined
                denominator += unmatched_factor * sum(
                    weights_l[j] for j in unmatched_l if not (j in joined and j - 1 in unmatched_l)
                )
            else:
                # A company's listed words the query lacks count at their full rarity, generic or
                # not: "Nova Ltd." is not plainly "NOVA TECHNOLOGIES CO. LTD.", nor "Sunway" "SUNWAY
                # TECH CO." (a shared generic word is weak evidence for; a missing one is not weak
                # evidence against).
                missing = sum(_conflict_weight(index, listed[j], weights_l[j]) for j in unmatched_l)
                denominator += unmatched_factor * missing
        common_parts_only = (
            bool(unmatched_l)
            and all_query_matched
            and person_like
            and len(query) == 2
            and all(self._common_part(listed[j], query, p) for p in chosen for j in p.listed_positions)
        )
        if common_parts_only:
            # Only two of the listed person's name parts, both very common, were given ("Mohammad
            # Hossein" of "KHOSRAVI, Mohammad Hossein", "Oleg Mikhailovich"): the parts left out
            # are what tells people apart, so they count in full, not half.
            denominator += (1.0 - unmatched_factor) * sum(weights_l[j] for j in unmatched_l)
        score = numerator / denominator if denominator else 0.0
        if common_parts_only:
            # A common name part is light, so leaving out the listed surname costs little by
            # weight: the lists hold many "Ali Saleh"s and the world far more. Two such parts
            # are a name many people share, not evidence of this one.
            score = min(score, COMMON_PARTS_SCORE)
        if partial:
            # Whatever else the listed name holds: the part alone says "look", never "it is".
            score = PARTIAL_NAME_SCORE * chosen[0].similarity
        network = False
        if not partial and not (record.is_person or query_is_person) and score < PARTIAL_NAME_SCORE:
            family_similarity = self._family_network(query, listed, chosen)
            if family_similarity:
                # "<family> Network" of a listed "<given> <family> Drug Trafficking Organization":
                # the family's organisation by its usual name, surfaced for review, never confirmed.
                score, network = PARTIAL_NAME_SCORE * family_similarity, True
        business = bool(appended) and names_a_business(appended)
        if business:
            # "<listed> Electronics" is as often another company of the same brand as a unit of
            # the listed one: surfaced for review, not confirmed.
            score = min(score, PARTIAL_NAME_SCORE)

        return _Scored(
            score,
            tuple(chosen),
            frozenset(used_q),
            frozenset(used_l),
            appended,
            partial,
            business,
            common_parts_only,
            network,
        )

    def _untyped_reads_as_person(self, record_id: int) -> bool:
        personal = self._personal.get(record_id)
        if personal is None:
            personal = self._personal[record_id] = _reads_as_personal_name(self._index.records[record_id])
        return personal

    def _two_names(self, query: tuple[str, ...], listed: tuple[str, ...], pair: _Pair) -> bool:
        """A typo or sound-alike joining two name parts that are each a name of their own ("Salim" /
        "Salih", "Salma" / "Salim")."""
        if pair.method not in ("typo", "phonetic") or len(pair.query_positions) != 1 or len(pair.listed_positions) != 1:
            return False
        written = query[pair.query_positions[0]]
        # The query's spelling must be a name the lists hold, and for a typo one they hold a few
        # times: a random slip of the keyboard seldom lands on such a name, though it may on a rare one.
        needed = NAME_OF_ITS_OWN_POSTINGS if pair.method == "typo" else 1
        return self._index.posting_count(written) >= needed and distinct_names(
            written, listed[pair.listed_positions[0]]
        )

    def _common_part(self, listed_token: str, query: tuple[str, ...], pair: _Pair) -> bool:
        """A name part very common on the lists (in either spelling: they split a name's
        frequency over its spellings) or in the world."""
        spellings = (listed_token, *(query[i] for i in pair.query_positions))
        return any(
            self._index.posting_count(t) >= COMMON_PART_POSTINGS
            or t in COMMON_NAME_PARTS
            or canonical(t) in COMMON_NAME_PARTS
            for t in spellings
        )

    def _family_network(self, query: tuple[str, ...], listed: tuple[str, ...], chosen: Sequence[_Pair]) -> float:
        """The similarity of a query "<family> <network word>" to a listed organisation named after
        a person and a network word, whose family name is uncommon; 0.0 when it is not that."""
        family = [i for i, token in enumerate(query) if token not in NETWORK_WORDS]
        if not 1 <= len(family) <= 2 or len(family) == len(query) or NETWORK_WORDS.isdisjoint(listed):
            return 0.0
        similarities = []
        for i in family:
            pair = next((p for p in chosen if i in p.query_positions), None)
            if pair is None or pair.similarity < 0.9:
                return 0.0
            for j in pair.listed_positions:
                token = listed[j]
                if (
                    token in NETWORK_WORDS
                    or len(token) < 4
                    or self._index.posting_count(token) >= COMMON_PART_POSTINGS
                    or token in COMMON_NAME_PARTS
                    or token in GENERIC_WORDS
                ):
                    return 0.0
            similarities.append(pair.similarity)
        # The family name must follow a given name in the listing: "<given> <family> ...".
        first = min(j for p in chosen for j in p.listed_positions if set(p.query_positions) & set(family))
        return min(similarities) if first >= 1 else 0.0

    def _rare_alone(self, token: str, pair: _Pair, listed: tuple[str, ...]) -> bool:
        """The query's only token is, near enough, one rare long part of the listed name."""
        listed_token = listed[pair.listed_positions[0]]
        return (
            len(pair.listed_positions) == 1
            and pair.similarity >= 0.9
            and len(listed_token) >= RARE_PART_MIN_LETTERS
            and self._index.posting_count(listed_token) <= RARE_PART_MAX_POSTINGS
            and listed_token not in GENERIC_WORDS
            # The lists hold few Husseins, the world many: rare on the lists is not rare.
            and listed_token not in COMMON_NAME_PARTS
            and canonical(listed_token) not in COMMON_NAME_PARTS
        )

    @staticmethod
    def _alignment(
        query: tuple[str, ...], weights_q: list[float], record: IndexedTokens, scored: _Scored
    ) -> list[TokenPair]:
        """The explanation's token alignment, built only for results that are kept."""
        listed = record.tokens
        chosen, used_q, used_l = scored.chosen, scored.used_q, scored.used_l
        total = sum(weights_q) or 1.0
        alignment = [
            TokenPair(
                " ".join(query[i] for i in pair.query_positions),
                " ".join(listed[j] for j in pair.listed_positions),
                round(pair.similarity, 4),
                pair.method,
                round(sum(weights_q[i] for i in pair.query_positions) / total, 4),
            )
            for pair in sorted(chosen, key=lambda p: p.query_positions)
        ]
        alignment += [
            TokenPair(query[i], "", 0.0, "unmatched", round(weights_q[i] / total, 4))
            for i in range(len(query))
            if i not in used_q
        ]
        alignment += [
            TokenPair("", listed[j], 0.0, "unmatched_listed", 0.0) for j in range(len(listed)) if j not in used_l
        ]
        alignment += [TokenPair("", form, 0.0, "legal_form_ignored", 0.0) for form in record.legal_forms]
        return alignment

    def _arabic_readings(self, value: str) -> tuple[tuple[str, str], ...]:
        """The name with each word in Arabic script read as its most listed Latin spelling that
        fits it ("طارق أحمد" -> "tariq ahmad"), or () when it holds none (service.normalize.arabic)."""
        if not has_arabic_script(value):
            return ()
        cached = self._arabic_cache.get(value)
        if cached is not None:
            return cached
        by_consonants = self._index.by_consonants
        replaced = 0

        def spelling(match: re.Match[str]) -> str:
            nonlocal replaced
            article, word = split_article(match.group())
            pattern = arabic_pattern(word)
            for key in arabic_consonant_keys(word):
                for token in by_consonants.get(key, "").split():
                    if pattern.fullmatch(token):
                        replaced += 1
                        return f" {article} {token} "
            return match.group()

        read = " ".join(ARABIC_WORD.sub(spelling, value).split())
        found = ((read, "Arabic script read as the listed spellings it fits"),) if replaced else ()
        if len(self._arabic_cache) >= RESULT_CACHE_SIZE:
            self._arabic_cache.clear()
        self._arabic_cache[value] = found
        return found

    def _repair_legal_forms(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """Undo a typist's damage to legal forms before they are set aside.

        Spacing: "com pany", "KOHASAG", "HOLDINGCO", "JOINTSTOCK COMPANY". Typos in a
        token no list contains: "OJSCX", "COPR", "LMIITED" read as the legal form
        (a token some list does contain is a name, whatever it resembles).
        """
        repaired: list[str] = []
        cache = self._repair_cache
        for token in rejoin_split_forms(tokens):
            found = cache.get(token)
            if found is None:
                if len(cache) >= RATED_CACHE_SIZE:
                    cache.clear()
                found = cache[token] = self._repair_token(token)
            repaired.extend(found)
        return tuple(repaired)

    def _repair_token(self, token: str) -> tuple[str, ...]:
        """One token's repair (cached per matcher: a typo check tries every deletion of the token)."""
        postings = self._index.postings
        # A number ("Plant 2") is no legal form, nor glued to one: every form is spelled in letters.
        if token in postings or token.isdigit() or is_legal_form_word(token):
            return (token,)
        if token in GLUED_SEQUENCE_PARTS:
            return tuple(GLUED_SEQUENCE_PARTS[token])
        if (form := legal_form_typo(token)) is not None:
            return (form,)
        return tuple(split_glued_form(token, postings.__contains__))

    # ---------------------------------------------------------------- interface

    def subset(self, list_ids: frozenset[str]) -> FuzzyMatcher:
        return FuzzyMatcher(self._index.subset(list_ids), self._list_versions)

    def find(self, query: PartyQuery, list_ids: frozenset[str], min_score: float, limit: int) -> list[MatchResult]:
        # An order system screens the same customer on every order: the same question on the
        # same index has the same answer (the matcher is a third of a Screen's CPU).
        key = (
            query.names, query.entity_type, query.countries, query.nationalities, query.date_of_birth,
            query.identifiers, query.addresses, query.owners, list_ids, min_score, limit,
        )  # fmt: skip
        cached = self._results.get(key)
        if cached is not None:
            return list(cached)
        found = self._find(query, list_ids, min_score, limit)
        if len(self._results) >= RESULT_CACHE_SIZE:
            with contextlib.suppress(KeyError):  # another thread emptied it first
                self._results.popitem(last=False)  # the oldest: insertion order
        self._results[key] = tuple(found)
        return found

    def _find(self, query: PartyQuery, list_ids: frozenset[str], min_score: float, limit: int) -> list[MatchResult]:
        index = self._index
        names = index.names
        best: dict[tuple[str, str], MatchResult] = {}
        # Each name as sent, then its other readings where it hides a listed name from
        # normalisation (invisible separators, run-together words, digits for letters).
        readings = [(name, name.value, "") for name in query.names]
        readings += [(name, value, how) for name in query.names for value, how in evasion_readings(name.value)]
        # Hangul, Cyrillic and Arabic script are never ASCII: most names have none of these readings.
        scripts = [name for name in query.names if not name.value.isascii()]
        readings += [(name, value, how) for name in scripts for value, how in hangul_readings(name.value)]
        readings += [(name, value, how) for name in scripts for value, how in korean_cyrillic_readings(name.value)]
        readings += [(name, value, how) for name in scripts for value, how in self._arabic_readings(name.value)]
        # A reading that comes to the tokens of an earlier one finds the same candidates with the same
        # scores, and an equal score never replaces a kept match: "GmbH" split at its capital is
        # rejoined as the legal form and set aside again.
        searched: set[tuple[str, ...]] = set()
        for query_name, value, reading in readings:
            all_tokens = name_tokens(value)
            if not all_tokens:
                continue
            # A person's name keeps every token ("Ana Sa", "Kim Co" are names), unless it
            # carries a form no person's name does: then the caller mistyped a company
            # ("Gazprom Neft OAO" sent as an individual), and the type-conflict adjustment
            # still says so.
            query_legal: tuple[str, ...]
            if query.entity_type is EntityType.INDIVIDUAL and ORGANISATION_MARKERS.isdisjoint(all_tokens):
                tokens, query_legal = all_tokens, ()
            else:
                tokens, query_legal = strip_legal_forms(self._repair_legal_forms(all_tokens))
            # Titles ("Mr.", "Dr.") say nothing about who it is: "Mr. Marinatec" is "Marinatec".
            titles = tuple(token for token in tokens if token in HONORIFICS)
            if titles and len(titles) < len(tokens):
                tokens = tuple(token for token in tokens if token not in HONORIFICS)
            else:
                titles = ()
            if tokens in searched:
                continue
            searched.add(tokens)
            weights_q = [index.weight(t) for t in tokens]
            candidates, expansions = self._candidates(tokens, weights_q, min_score)
            glued_q = glued_neighbours(tokens)  # once per query, not per candidate
            query_is_person = query.entity_type is EntityType.INDIVIDUAL
            query_is_other = query.entity_type not in (EntityType.INDIVIDUAL, EntityType.UNKNOWN)
            for record_id in candidates:
                record = index.records[record_id]
                indexed = names.names[record.name_id]
                entry = names.entries[indexed.entry_position]
                if list_ids and entry.list_id not in list_ids:
                    continue
                scored = self._score(tokens, weights_q, record_id, query_is_person, expansions, glued_q, query_is_other)
                if scored is None or scored.score <= 0:
                    continue
                name_score = scored.score
                found = adjustments(query, entry, names.evidence[indexed.entry_position], record.legal_forms)
                score = round(min(1.0, max(0.0, name_score + sum(a.delta for a in found))), 4)
                if score < min_score:
                    continue
                key = (entry.list_id, entry.entry_id)
                current = best.get(key)
                listed_name = entry.names[indexed.name_position]
                strong = listed_name.strength is AliasStrength.STRONG
                if current is not None and (current.score, current.listed_name.strength is AliasStrength.STRONG) >= (
                    score,
                    strong,
                ):
                    continue
                alignment = self._alignment(tokens, weights_q, record, scored)
                alignment += [TokenPair(form, "", 0.0, "legal_form_ignored", 0.0) for form in query_legal]
                alignment += [TokenPair(title, "", 0.0, "title_ignored", 0.0) for title in titles]
                text = (
                    f"'{query_name.value}'{f' (read as {value!r}: {reading})' if reading else ''}"
                    f" resembles the {listed_name.kind.value} name '{listed_name.value}'"
                    f"{f' read without {indexed.set_aside}' if indexed.set_aside else ''}"
                    f"{' (weak alias)' if not strong else ''} of {entry.list_id} entry {entry.entry_id}: "
                    + ", ".join(
                        f"{p.query_token}~{p.listed_token} {p.similarity:.2f} {p.method}"
                        for p in alignment
                        if p.similarity > 0
                    )
                    + (
                        f"; ignored legal forms {' '.join(record.legal_forms + query_legal)}"
                        if record.legal_forms or query_legal
                        else ""
                    )
                    + (
                        f"; words after the listed name weighed {APPENDED_FACTOR:.1f} (which office, unit, place or business): "
                        f"{' '.join(scored.appended)}"
                        if scored.appended
                        else ""
                    )
                    + (
                        f" (a line of business: score at most {PARTIAL_NAME_SCORE:.2f}, for review)"
                        if scored.business
                        else ""
                    )
                    + (
                        f"; one rare part of the listed person's name, alone: surfaced for review, scored "
                        f"{PARTIAL_NAME_SCORE:.2f} x its similarity"
                        if scored.partial
                        else ""
                    )
                    + (
                        f"; only two very common parts of the listed person's name: score at most "
                        f"{COMMON_PARTS_SCORE:.2f}"
                        if scored.common_parts_only
                        else ""
                    )
                    + (
                        f"; an uncommon family name and a word for its organisation: surfaced for review, scored "
                        f"{PARTIAL_NAME_SCORE:.2f} x its similarity"
                        if scored.network
                        else ""
                    )
                    + f"; name score {name_score:.2f}"
                    + "".join(f"; {a.detail} ({a.delta:+.2f})" for a in found)
                    + f"; final score {score:.2f}."
                )
                best[key] = MatchResult(
                    list_id=entry.list_id,
                    entry=entry,
                    listed_name=listed_name,
                    query_name=query_name,
                    score=score,
                    explanation=Explanation(
                        algorithm=self.algorithm,
                        normalized_query=" ".join(all_tokens),
                        normalized_listed=" ".join(indexed.tokens),
                        alignment=tuple(alignment),
                        name_score=round(name_score, 4),
                        adjustments=tuple(found),
                        final_score=score,
                        text=text,
                    ),
                    list_version=self._list_versions.get(entry.list_id, ""),
                )
        ranked = sorted(
            best.values(),
            key=lambda r: (-r.score, r.listed_name.strength is not AliasStrength.STRONG, r.list_id, r.entry.entry_id),
        )
        return ranked[:limit]
