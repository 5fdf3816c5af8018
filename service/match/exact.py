"""First matcher: normalised names equal up to token order.

Catches case, punctuation, diacritics, spacing and token-order differences and
nothing else; the fuzzy engine replaces it behind the same `Matcher` interface.
"""

from __future__ import annotations

from service.index.name_index import NameIndex
from service.match.evidence import adjustments
from service.match.result import Explanation, MatchResult, TokenPair
from service.model import PartyQuery
from service.normalize.names import name_tokens, order_free_key


class ExactNameMatcher:
    algorithm = "normalized-exact/1"

    def __init__(self, index: NameIndex, list_versions: dict[str, str]) -> None:
        self._index = index
        self._list_versions = list_versions

    def subset(self, list_ids: frozenset[str]) -> ExactNameMatcher:
        entries = [entry for entry in self._index.entries if entry.list_id in list_ids]
        return ExactNameMatcher(NameIndex(entries), self._list_versions)

    def find(self, query: PartyQuery, list_ids: frozenset[str], min_score: float, limit: int) -> list[MatchResult]:
        best: dict[tuple[str, str], MatchResult] = {}
        for query_name in query.names:
            query_tokens = name_tokens(query_name.value)
            if not query_tokens:
                continue
            for hit in self._index.lookup(order_free_key(query_tokens)):
                entry = self._index.entries[hit.entry_position]
                if list_ids and entry.list_id not in list_ids:
                    continue
                listed_name = entry.names[hit.name_position]
                found = adjustments(query, entry, self._index.evidence[hit.entry_position])
                name_score = 1.0
                score = round(min(1.0, max(0.0, name_score + sum(a.delta for a in found))), 4)
                if score < min_score:
                    continue
                weight = round(1.0 / len(query_tokens), 4)
                alignment = tuple(
                    TokenPair(q, t, 1.0, "exact", weight)
                    for q, t in zip(sorted(query_tokens), sorted(hit.tokens), strict=True)
                )
                text = (
                    f"'{query_name.value}' equals the {listed_name.kind.value} name '{listed_name.value}'"
                    f"{' (weak alias)' if listed_name.strength.value == 'weak' else ''} of {entry.list_id} entry "
                    f"{entry.entry_id} after normalisation ({len(query_tokens)} of {len(query_tokens)} tokens exact, "
                    f"order ignored); name score {name_score:.2f}"
                    + "".join(f"; {a.detail} ({a.delta:+.2f})" for a in found)
                    + f"; final score {score:.2f}."
                )
                result = MatchResult(
                    list_id=entry.list_id,
                    entry=entry,
                    listed_name=listed_name,
                    query_name=query_name,
                    score=score,
                    explanation=Explanation(
                        algorithm=self.algorithm,
                        normalized_query=" ".join(query_tokens),
                        normalized_listed=" ".join(hit.tokens),
                        alignment=alignment,
                        name_score=name_score,
                        adjustments=tuple(found),
                        final_score=score,
                        text=text,
                    ),
                    list_version=self._list_versions.get(entry.list_id, ""),
                )
                key = (entry.list_id, entry.entry_id)
                # One result per entry: keep the best; on a tie prefer a strong name.
                current = best.get(key)
                if current is None or (result.score, _strength_rank(result)) > (current.score, _strength_rank(current)):
                    best[key] = result
        ranked = sorted(best.values(), key=lambda r: (-r.score, -_strength_rank(r), r.list_id, r.entry.entry_id))
        return ranked[:limit]


def _strength_rank(result: MatchResult) -> int:
    return 1 if result.listed_name.strength.value == "strong" else 0
