"""Entries on different lists that are the same party: the crossover.

Two entries on different lists are linked when they share a name (primary or
strong alias, equal up to case, punctuation, diacritics and token order, at
least two tokens so that "ALI" links nothing) and nothing contradicts it: their
types agree where both are known and their countries overlap where both state
any. Links are transitive (SDN ~ Entity List ~ UFLPA forms one group). Built
once per set of list versions, next to the name index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from service.index.evidence import EntryEvidence
from service.model import EntityType, Entry
from service.model.entry import AliasStrength
from service.normalize.names import name_tokens, order_free_key

EntryKey = tuple[str, str]  # (list_id, entry_id)


@dataclass(frozen=True, slots=True)
class Link:
    list_id: str
    entry_id: str
    listed_name: str
    # Why we think it is the same party, for the explanation.
    evidence: str


def _compatible(a: Entry, b: Entry, ev_a: EntryEvidence, ev_b: EntryEvidence) -> str | None:
    """The evidence text if nothing contradicts a link, else None."""
    if EntityType.UNKNOWN not in (a.entity_type, b.entity_type) and a.entity_type is not b.entity_type:
        return None
    if ev_a.countries and ev_b.countries:
        shared = sorted(ev_a.countries & ev_b.countries)
        return f"country {', '.join(shared)}" if shared else None
    return "no conflicting country"


def link_entries(entries: Sequence[Entry], evidence: Sequence[EntryEvidence]) -> dict[EntryKey, tuple[Link, ...]]:
    by_name: dict[str, list[int]] = defaultdict(list)
    for position, entry in enumerate(entries):
        keys = set()
        for name in entry.names:
            tokens = name_tokens(name.value)
            if name.strength is AliasStrength.STRONG and len(tokens) >= 2:
                keys.add(order_free_key(tokens))
        for key in keys:
            by_name[key].append(position)

    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reasons: dict[tuple[int, int], str] = {}
    for key, positions in by_name.items():
        if len(positions) < 2:
            continue
        for i, a in enumerate(positions):
            for b in positions[i + 1 :]:
                if entries[a].list_id == entries[b].list_id:
                    continue
                why = _compatible(entries[a], entries[b], evidence[a], evidence[b])
                if why is None:
                    continue
                reasons[(a, b)] = reasons[(b, a)] = f"same name '{key}' and {why}"
                parent[find(a)] = find(b)

    groups: dict[int, list[int]] = defaultdict(list)
    for position in {p for pair in reasons for p in pair}:
        groups[find(position)].append(position)
    links: dict[EntryKey, tuple[Link, ...]] = {}
    for members in groups.values():
        for a in members:
            others = []
            for b in sorted(members, key=lambda p: (entries[p].list_id, entries[p].entry_id)):
                if b == a:
                    continue
                why = reasons.get((a, b), "linked through another listing of the same party")
                others.append(Link(entries[b].list_id, entries[b].entry_id, entries[b].primary_name, why))
            links[(entries[a].list_id, entries[a].entry_id)] = tuple(others)
    return links
