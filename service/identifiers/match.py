"""A party's identifiers against the loaded lists: each identifier, one dict probe.

An identifier equal to a listed one of a compatible kind is a hit whatever the names say (a
renamed vessel keeps its IMO number; a payment names a wallet, not a person). Equal to a listed
identifier of another kind (a passport number that is some entry's tax id), or issued by another
country than the listed one, it is evidence only: said, never a match.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from service.identifiers.index import IdentifierIndex, Listed
from service.model import QueryIdentifier


@dataclass(frozen=True, slots=True)
class IdentifierHit:
    identifier: QueryIdentifier
    listed: Listed
    # "" for a match; else why the equal value is not the same identifier.
    not_same: str = ""

    @property
    def is_match(self) -> bool:
        return not self.not_same

    def describe(self) -> str:
        """ "IMO 7406784" / "wallet address (XBT) 1AjZ..." as the caller gave it."""
        return f"{self.identifier.named} {self.identifier.value}"


def identifier_hits(
    index: IdentifierIndex, identifiers: Sequence[QueryIdentifier], list_ids: Collection[str] = ()
) -> list[IdentifierHit]:
    """Every listed identifier equal to one of the party's, matches first, in the caller's order."""
    matches: list[IdentifierHit] = []
    evidence: list[IdentifierHit] = []
    for identifier in identifiers:
        if not identifier.key:
            continue
        for listed in index.lookup(identifier.key):
            if list_ids and listed.list_id not in list_ids:
                continue
            not_same = _not_same(identifier, listed)
            (evidence if not_same else matches).append(IdentifierHit(identifier, listed, not_same))
    return matches + evidence


def _not_same(identifier: QueryIdentifier, listed: Listed) -> str:
    if identifier.kind not in listed.kind.answers:
        return f"the value is this entry's {listed.label} ({listed.kind.label}), not a {identifier.named}"
    if identifier.issuing_country and listed.country and identifier.issuing_country != listed.country:
        return f"issued by {identifier.issuing_country}; the listed one by {listed.country}"
    return ""
