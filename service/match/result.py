"""A match and its explanation, independent of any wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.model import Entry, Name, QueryName

if TYPE_CHECKING:
    from service.identifiers.match import IdentifierHit


@dataclass(frozen=True, slots=True)
class TokenPair:
    query_token: str
    listed_token: str
    similarity: float
    # "exact", later also "phonetic", "typo", "transliteration", "legal_form_ignored".
    method: str
    weight: float


@dataclass(frozen=True, slots=True)
class Adjustment:
    # "country", "date_of_birth", "identifier", "party_type".
    factor: str
    delta: float
    detail: str


@dataclass(frozen=True, slots=True)
class Explanation:
    algorithm: str
    normalized_query: str
    normalized_listed: str
    alignment: tuple[TokenPair, ...]
    name_score: float
    adjustments: tuple[Adjustment, ...]
    final_score: float
    text: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    list_id: str
    entry: Entry
    listed_name: Name
    query_name: QueryName
    score: float
    explanation: Explanation
    list_version: str = field(default="")
    # Set when the party's identifier equals one of the entry's (service.engine.by_identifier).
    by_identifier: IdentifierHit | None = None
