"""Re-screen registered parties: against a list's delta after an update, or against everything.

Delta: only the added and changed entries of the new version are indexed (a few
hundred names), and each party is first checked cheaply: does any of its tokens
come near a token of the delta (within the matcher's edit budget, the same
transliteration group, the same sound, or glued)? If none does, the matcher
cannot find a match either, and the party keeps its state. The few that pass
are scored by the real matcher and decided by the real policy.

A party's state is the set of listed entries it is alerted on, each with its
decision. A re-screen that changes that set (a new hit, an entry that changed,
one that was removed or no longer matches, a false-positive disposition that no
longer applies) yields one alert for the party.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from service.api.gen import screening_pb2 as pb
from service.decide.decision import decide
from service.decide.four_eyes import clears
from service.decide.policy import Action, Policy
from service.dispositions.store import Disposition, DispositionKind
from service.engine.by_identifier import merge_identifier_matches
from service.identifiers import query_identifier
from service.identifiers.index import IdentifierIndex
from service.index.fuzzy_index import FuzzyIndex, phonetic_key
from service.index.name_index import NameIndex
from service.match.base import Matcher
from service.match.fuzzy import FuzzyMatcher
from service.match.result import MatchResult
from service.model import (
    Direction,
    EntityType,
    Entry,
    PartyQuery,
    QueryName,
    QueryNameSource,
    TransactionContext,
)
from service.normalize.legal_forms import COMMON_NAME_PARTS, GENERIC_WORDS, strip_legal_forms
from service.normalize.names import name_tokens
from service.normalize.variants import canonical
from service.refresh.diff import ListDiff, screening_fingerprint
from service.registry.store import Alerted, PartyState, RegisteredParty

MATCH_LIMIT = 20


def party_tokens(party: pb.Party) -> tuple[str, ...]:
    """Every normalised token of the party's names, legal forms set aside (stored at registration)."""
    tokens: dict[str, None] = {}
    for name in (party.name, *party.alternative_names):
        kept, _ = strip_legal_forms(name_tokens(name))
        tokens.update(dict.fromkeys(kept))
    return tuple(tokens)


class NearTokens:
    """Which tokens could align with a token of the delta: the pre-filter, built once per job."""

    def __init__(self, vocabulary: set[str]) -> None:
        self._vocabulary = sorted(vocabulary)
        self._lengths = np.array([len(t) for t in self._vocabulary], dtype=np.int32)
        self._canonical = {canonical(t) for t in vocabulary}
        self._phonetic = {key for t in vocabulary if (key := phonetic_key(t))}
        self._known: dict[str, bool] = {}

    def near(self, tokens: Sequence[str]) -> bool:
        """Whether the party's names could score a match against the delta at all.

        The matcher needs a distinctive token to align, or two tokens (a person is not
        identified by one common name part), or one token when all the others are
        generic words that weigh next to nothing ("Wang Trading" ~ "WANG").
        """
        glued = [a + b for a, b in itertools.pairwise(tokens)]
        unknown = [t for t in dict.fromkeys((*tokens, *glued)) if t not in self._known]
        if unknown:
            self._rate(unknown)
        if any(self._known[t] for t in glued):
            return True
        # Generic words never make a match on their own; what counts is the rest.
        telling = [t for t in tokens if t not in GENERIC_WORDS] or list(tokens)
        near = [t for t in telling if self._known[t]]
        if not near:
            return False
        if len(near) >= 2 or len(near) == len(telling):
            return True
        return any(t not in COMMON_NAME_PARTS for t in near)

    def prepare(self, token_lists: Sequence[Sequence[str]]) -> None:
        """Rate every new token of many parties in one C call (a shard's worth)."""
        unknown: dict[str, None] = {}
        for tokens in token_lists:
            for t in (*tokens, *(a + b for a, b in itertools.pairwise(tokens))):
                if t not in self._known:
                    unknown[t] = None
        if unknown:
            self._rate(list(unknown))

    def _rate(self, tokens: list[str]) -> None:
        if not self._vocabulary:
            self._known.update(dict.fromkeys(tokens, False))
            return
        # One C call for all new tokens against the whole delta vocabulary.
        distances = process.cdist(tokens, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=2, dtype=np.int32)
        lengths = np.array([len(t) for t in tokens], dtype=np.int32)
        longest = np.maximum(lengths[:, None], self._lengths[None, :])
        # The matcher's scoring budget: two edits from seven letters, one from four, else exact
        # (a 3-letter token may still be one edit from a 4-letter one).
        budget = np.where(longest >= 7, 2, np.where(longest >= 4, 1, 0))
        close = (distances <= budget).any(axis=1)
        assert isinstance(close, np.ndarray)  # one flag per token (numpy's types allow a scalar for any axis)
        for token, hit in zip(tokens, close.tolist(), strict=True):
            self._known[token] = (
                bool(hit) or canonical(token) in self._canonical or phonetic_key(token) in self._phonetic
            )


@dataclass
class Delta:
    """A list update as re-screening needs it."""

    diff: ListDiff
    entries: dict[str, Entry]  # added and changed entries of the new version, by entry id
    matcher: Matcher
    near: NearTokens
    # Their identifiers: a party holding one is a candidate whatever its names (an IMO number or a
    # wallet added to an entry alerts the parties carrying it).
    identifiers: IdentifierIndex = field(default_factory=IdentifierIndex)
    version: str = ""

    @classmethod
    def build(cls, diff: ListDiff, new_entries: Sequence[Entry], version: str) -> Delta:
        wanted = set(diff.added) | set(diff.changed)
        entries = {e.entry_id: e for e in new_entries if e.entry_id in wanted}
        index = FuzzyIndex(NameIndex(list(entries.values())))
        # The index's postings are its vocabulary: every token and every glued neighbour pair.
        return cls(
            diff, entries, FuzzyMatcher(index, {diff.list_id: version}), NearTokens(set(index.postings)),
            IdentifierIndex.build(list(entries.values())), version,
        )  # fmt: skip

    def entry(self, list_id: str, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id) if list_id == self.diff.list_id else None


@dataclass(frozen=True)
class AlertDraft:
    reference: str
    decision: str
    previous_decision: str
    entries: tuple[tuple[str, str, str, float, str, str], ...]  # list, entry, listed name, score, change, decision
    text: str


@dataclass
class BucketResult:
    states: dict[str, PartyState] = field(default_factory=dict)  # only the parties whose state changed
    alerts: list[AlertDraft] = field(default_factory=list)
    screened: int = 0
    scored: int = 0


_TYPES = {
    pb.PARTY_TYPE_INDIVIDUAL: EntityType.INDIVIDUAL,
    pb.PARTY_TYPE_ORGANIZATION: EntityType.ORGANIZATION,
    pb.PARTY_TYPE_VESSEL: EntityType.VESSEL,
    pb.PARTY_TYPE_AIRCRAFT: EntityType.AIRCRAFT,
}


def query_of(party: RegisteredParty) -> tuple[PartyQuery, TransactionContext]:
    """The registered party as a query; it was validated when registered, so this only maps fields."""
    message = pb.Party.FromString(party.party)
    names = ((QueryName(message.name, QueryNameSource.NAME),) if message.name else ()) + tuple(
        QueryName(n, QueryNameSource.ALTERNATIVE_NAME) for n in message.alternative_names
    )
    countries = tuple(dict.fromkeys(a.country.upper() for a in message.addresses if a.country))
    query = PartyQuery(
        names=names,
        entity_type=_TYPES.get(message.type, EntityType.UNKNOWN),
        countries=countries,
        nationalities=tuple(n.upper() for n in message.nationalities),
        date_of_birth=message.date_of_birth,
        identifiers=tuple(
            query_identifier(i.type, i.value, i.issuing_country, f"party.identifiers[{n}]")
            for n, i in enumerate(message.identifiers)
        ),
        party_reference=message.party_reference,
    )
    return query, TransactionContext(direction=Direction(party.direction))


def _decision_of(alerts: Sequence[Alerted]) -> str:
    return max((Action[a.decision] for a in alerts), default=Action.CLEAR).name


def _alerted(match: MatchResult, policy: Policy, context: TransactionContext) -> Alerted:
    decision = decide([match], policy, context)
    return Alerted(match.list_id, match.entry.entry_id, screening_fingerprint(match.entry), match.score, decision.action.name,
                   match.listed_name.value)  # fmt: skip


def rescreen_party(
    party: RegisteredParty,
    state: PartyState | None,
    matches: Sequence[MatchResult],
    policy: Policy,
    dispositions: Mapping[tuple[str, str], Disposition],
    scope: str | None = None,
    delta_ids: frozenset[str] = frozenset(),
    removed: frozenset[str] = frozenset(),
    version: str = "",
    context: TransactionContext | None = None,
) -> tuple[PartyState, AlertDraft | None]:
    """The party's new state and, if it changed, its alert.

    `scope` None: `matches` are the party's matches on every list (a full
    re-screen). Else they are its matches among `delta_ids` (the added and changed
    entries of list `scope`), and `removed` are the entries the update removed:
    alerts on other lists, and on entries of `scope` the update left alone, stay.
    """
    context = context or query_of(party)[1]
    today = datetime.now(UTC).date()
    old = {(a.list_id, a.entry_id): a for a in (state.alerts if state else ())}
    new: dict[tuple[str, str], Alerted] = {}
    re_raised: set[tuple[str, str]] = set()
    names: dict[tuple[str, str], str] = {}
    found_by: dict[tuple[str, str], str] = {}  # the party's identifier that made the match, if one did
    for match in matches:
        key = (match.list_id, match.entry.entry_id)
        disposition = dispositions.get(key)
        entry_hash = screening_fingerprint(match.entry)
        if disposition is not None and not disposition.revoked and disposition.kind is DispositionKind.FALSE_POSITIVE:
            if clears(disposition, match.list_id, match.entry, entry_hash, match.score, policy, today):
                continue  # cleared by reviewers (four eyes where needed), entry unchanged: stays quiet
            if disposition.entry_hash != entry_hash:
                re_raised.add(key)  # cleared once, but the publisher has changed the entry since
            # A pending, rejected or not yet approved one clears nothing: the alert is an ordinary one.
        new[key] = _alerted(match, policy, context)
        names[key] = match.listed_name.value
        if match.by_identifier is not None:
            found_by[key] = match.by_identifier.describe()
    if scope is not None:
        for key, alerted in old.items():
            if key in new:
                continue
            if key[0] != scope or (key[1] not in removed and key[1] not in delta_ids):
                new[key] = alerted  # untouched by this update
    changes = []
    for key, alerted in new.items():
        before = old.get(key)
        if key in re_raised:
            change = "re_raised"
        elif before is None:
            change = "new"
        elif before.entry_hash != alerted.entry_hash or before.decision != alerted.decision:
            change = "changed"
        else:
            continue
        changes.append((key[0], key[1], names.get(key, ""), alerted.score, change, alerted.decision))
    for key, alerted in old.items():
        if key not in new:
            changes.append((key[0], key[1], "", alerted.score, "cleared", alerted.decision))
    decision = _decision_of(list(new.values()))
    previous = state.decision if state else "CLEAR"
    versions = dict(state.versions) if state else {}
    if scope is not None:
        versions[scope] = version
    new_state = PartyState(decision, tuple(sorted(new.values(), key=lambda a: (a.list_id, a.entry_id))), versions,
                           datetime.now(UTC).isoformat(timespec="seconds"))  # fmt: skip
    if not changes:
        return new_state, None
    text = (
        f"Party {party.reference}: {previous} -> {decision}; "
        + "; ".join(
            f"{change} {list_id} {entry_id}{' ' + repr(name) if name else ''}"
            + (f" (by {found_by[(list_id, entry_id)]})" if (list_id, entry_id) in found_by else "")
            for list_id, entry_id, name, _, change, _ in changes
        )
        + "."
    )
    return new_state, AlertDraft(party.reference, decision, previous, tuple(sorted(changes)), text)


def delta_matches(delta: Delta, party: RegisteredParty, min_score: float) -> list[MatchResult] | None:
    """The party's matches among the delta's entries, or None when the pre-filter rules them out."""
    found = matches_and_context(delta, party, min_score)
    return found[0] if found is not None else None


def matches_and_context(
    delta: Delta, party: RegisteredParty, min_score: float, identifier_keys: Sequence[str] = ()
) -> tuple[list[MatchResult], TransactionContext] | None:
    """The party's delta matches and its context (the party decoded once), or None when ruled out.

    `identifier_keys`: the party's, from the registry's identifier index: a party holding one of the
    update's identifiers is screened whatever its names."""
    near = delta.near.near(party.tokens)
    if not near and not any(delta.identifiers.lookup(key) for key in identifier_keys):
        return None
    query, context = query_of(party)
    matches = delta.matcher.find(query, frozenset(), min_score, MATCH_LIMIT) if near else []
    if query.identifiers:
        matches, _ = merge_identifier_matches(delta.identifiers, delta.entry, lambda _: delta.version, query, matches)
    return matches, context
