"""Matches by identifier, merged with the name matches: step 1 of a screening, after the names.

A listed identifier of a compatible kind equal to one of the party's is a match whatever the names
say, at score 1.0: the entry is named with its identifier ("IMO 7406784 is on ofac_sdn entry 4243
'EBANO' (f.k.a. 'ANA I')"). A name match on the same entry becomes that match (the name agreeing
is said); a name that clearly differs is said too (a renamed vessel, another holder) and does not
clear it. Equal values of other kinds, or of another issuing country, are warnings, not matches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence

from rapidfuzz import fuzz

from service.engine.state import ScreeningState
from service.identifiers.index import IdentifierIndex
from service.identifiers.match import IdentifierHit, identifier_hits
from service.match.result import Adjustment, Explanation, MatchResult
from service.model import EntityType, Entry, NameKind, PartyQuery, QueryName, QueryNameSource
from service.normalize.names import name_tokens

IDENTIFIER_ALGORITHM = "identifier"
# Below this token-set similarity to every listed name, the party's name "clearly differs".
NAME_DIFFERS_BELOW = 0.6
_KIND_WORDS = {NameKind.AKA: "a.k.a.", NameKind.FKA: "f.k.a.", NameKind.NKA: "n.k.a."}


def entry_names(entry: Entry, limit: int = 2) -> str:
    """ "'EBANO' (f.k.a. 'ANA I')": the primary name and a few others, as a reason quotes them."""
    others = [f"{_KIND_WORDS.get(name.kind, 'a.k.a.')} '{name.value}'" for name in entry.names[1 : 1 + limit]]
    return f"'{entry.primary_name}'" + (f" ({'; '.join(others)})" if others else "")


def name_similarity(query: PartyQuery, entry: Entry) -> float:
    """How well the party's best name agrees with the entry's best name (0..1, token set, normalised)."""
    best = 0.0
    for asked in query.names:
        mine = " ".join(name_tokens(asked.value))
        for listed in entry.names:
            best = max(best, fuzz.token_set_ratio(mine, " ".join(name_tokens(listed.value))) / 100)
    return best


def identifier_matches(
    state: ScreeningState, query: PartyQuery, name_matches: Sequence[MatchResult], list_ids: Collection[str]
) -> tuple[list[MatchResult], list[str]]:
    """The name matches with identifier matches merged in (identifier matches first), and warnings."""
    return merge_identifier_matches(
        state.identifiers, state.entry, lambda list_id: state.lists[list_id].meta.version, query, name_matches, list_ids
    )


def merge_identifier_matches(
    index: IdentifierIndex,
    entry_of: Callable[[str, str], Entry | None],
    version_of: Callable[[str], str],
    query: PartyQuery,
    name_matches: Sequence[MatchResult],
    list_ids: Collection[str] = (),
) -> tuple[list[MatchResult], list[str]]:
    """As identifier_matches, over any index: the serving lists', or a list update's (re-screening)."""
    warnings = [
        f"{identifier.field}.value: {identifier.problem} (screened as given)"
        for identifier in query.identifiers
        if identifier.problem
    ]
    if not query.identifiers:
        return list(name_matches), warnings
    hits = identifier_hits(index, query.identifiers, list_ids)
    by_entry = {(match.list_id, match.entry.entry_id): match for match in name_matches}
    merged: dict[tuple[str, str], MatchResult] = {}
    for hit in hits:
        key = (hit.listed.list_id, hit.listed.entry_id)
        entry = entry_of(*key)
        if entry is None:
            continue
        if not hit.is_match:
            warnings.append(
                f"{hit.identifier.field}: equals {key[0]} entry {key[1]} {entry_names(entry)}'s "
                f"{hit.listed.label} '{hit.listed.value}', but {hit.not_same}: not a match"
            )
            continue
        if key in merged:
            continue
        merged[key] = _identifier_match(hit, entry, query, by_entry.get(key), version_of(key[0]))
    return list(merged.values()) + [m for key, m in by_entry.items() if key not in merged], warnings


def _identifier_match(
    hit: IdentifierHit, entry: Entry, query: PartyQuery, name_match: MatchResult | None, version: str
) -> MatchResult:
    said = f"{hit.describe()} is on {entry.list_id} entry {entry.entry_id} {entry_names(entry)}"
    if name_match is not None:
        note = f"the name also matches ('{name_match.query_name.value}' ~ '{name_match.listed_name.value}', " \
               f"{name_match.score:.2f})"  # fmt: skip
        name_score = name_match.explanation.name_score
    elif query.names:
        name_score = name_similarity(query, entry)
        asked = query.names[0].value
        if name_score >= NAME_DIFFERS_BELOW:
            reading = "a variant of one"
        elif entry.entity_type in (EntityType.VESSEL, EntityType.AIRCRAFT):
            reading = f"a renamed {entry.entity_type.value}, or a wrong number"
        else:
            reading = "another holder's name, or a wrong number"
        note = f"the name given, '{asked}', is not among its names: {reading} ({name_score:.2f})"
    else:
        name_score, note = 0.0, "screened by identifier alone"
    text = f"{said}; {note}."
    adjustment = Adjustment(IDENTIFIER_ALGORITHM, 1.0 - (name_match.score if name_match else 0.0),
                            f"{hit.listed.label} '{hit.listed.value}' equals the party's {hit.describe()}")  # fmt: skip
    explanation = Explanation(
        algorithm=IDENTIFIER_ALGORITHM,
        normalized_query=hit.identifier.key,
        normalized_listed=hit.identifier.key,
        alignment=name_match.explanation.alignment if name_match else (),
        name_score=name_score,
        adjustments=((name_match.explanation.adjustments if name_match else ()) + (adjustment,)),
        final_score=1.0,
        text=text,
    )
    if name_match is not None:
        return dataclasses.replace(name_match, score=1.0, explanation=explanation, by_identifier=hit)
    query_name = query.names[0] if query.names else QueryName(hit.describe(), QueryNameSource.NAME)
    return MatchResult(entry.list_id, entry, entry.names[0], query_name, 1.0, explanation, version, by_identifier=hit)
