"""The matcher interface: the API and policy layers depend on this, not on an algorithm."""

from __future__ import annotations

from typing import Protocol

from service.match.result import MatchResult
from service.model import PartyQuery


class Matcher(Protocol):
    """Finds listed names similar to a party's names.

    Implementations are built once per set of list versions and are immutable,
    so one instance serves concurrent requests without locks.
    """

    # Name and version of the algorithm, reported in every explanation.
    algorithm: str

    def find(self, query: PartyQuery, list_ids: frozenset[str], min_score: float, limit: int) -> list[MatchResult]:
        """Matches scoring at least `min_score`, best first, at most `limit`.

        An empty `list_ids` means every list in the index.
        """
        ...

    def subset(self, list_ids: frozenset[str]) -> Matcher:
        """A matcher over these lists only that scores a name as this one does (built once per state)."""
        ...
