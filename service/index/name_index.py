"""Order-free exact name index over every name (primary and aliases) of a list set."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from service.index.evidence import EntryEvidence, entry_evidence
from service.model import EntityType, Entry
from service.normalize.legal_forms import strip_legal_forms
from service.normalize.names import name_tokens, order_free_key


@dataclass(frozen=True, slots=True)
class IndexedName:
    entry_position: int
    name_position: int
    tokens: tuple[str, ...]
    # Set for a reading of the listed name the index adds (see _without_parenthetical): what it left out.
    set_aside: str = ""


# The last parenthetical of a few words, at the end or followed only by the legal form: mostly
# the organisation's acronym, which a party rarely writes out ("ACME ROCKET PROPULSION ACADEMY
# (ARPA)", "NAFTIRAN TRADING SERVICES CO. (NTS) LIMITED").
_PARENTHETICAL = re.compile(r"^(?P<name>.*\S)\s*(?P<aside>\([^()]{1,40}\))(?P<rest>[^()]*)$")
_MAX_ASIDE_TOKENS = 4


def _without_parenthetical(entry: Entry, value: str) -> tuple[tuple[str, ...], str] | None:
    """The tokens of a non-person's listed name without its trailing parenthetical (or one only a
    legal form follows), and that parenthetical; None when there is none (or nothing would be left)."""
    if entry.entity_type is EntityType.INDIVIDUAL:
        return None
    found = _PARENTHETICAL.match(value)
    if found is None:
        return None
    rest = name_tokens(found["rest"])
    if rest and strip_legal_forms(("x", *rest))[0] != ("x",):  # more than a legal form follows
        return None
    if len(name_tokens(found["aside"])) > _MAX_ASIDE_TOKENS:
        return None
    tokens = name_tokens(found["name"])
    return ((*tokens, *rest), found["aside"]) if tokens else None


class StoredNameIndex(TypedDict):
    """What a build stores of a NameIndex (STORED_FIELDS); the entries come from the list versions."""

    evidence: list[EntryEvidence]
    names: list[IndexedName]
    by_key: dict[str, tuple[int, ...]]


class NameIndex:
    """Entries, their names' tokens and evidence, and a key -> names lookup."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.evidence: tuple[EntryEvidence, ...] = tuple(entry_evidence(entry) for entry in self.entries)
        self.names: list[IndexedName] = []
        by_key: dict[str, list[int]] = defaultdict(list)
        for entry_position, entry in enumerate(self.entries):
            for name_position, name in enumerate(entry.names):
                tokens = name_tokens(name.value)
                if not tokens:
                    continue
                by_key[order_free_key(tokens)].append(len(self.names))
                self.names.append(IndexedName(entry_position, name_position, tokens))
                shorter = _without_parenthetical(entry, name.value)
                if shorter is not None:
                    by_key[order_free_key(shorter[0])].append(len(self.names))
                    self.names.append(IndexedName(entry_position, name_position, shorter[0], shorter[1]))
        self._by_key: dict[str, tuple[int, ...]] = {key: tuple(ids) for key, ids in by_key.items()}

    # Fields a stored build carries (the entries come from the list versions themselves).
    STORED_FIELDS = ("evidence", "names", "by_key")

    @property
    def by_key(self) -> dict[str, tuple[int, ...]]:
        return self._by_key

    @classmethod
    def restore(cls, entries: Sequence[Entry], fields: StoredNameIndex) -> NameIndex:
        """The index a build stored as `fields` (see STORED_FIELDS), over the same entries in the same order."""
        missing = [name for name in cls.STORED_FIELDS if name not in fields]
        if missing:
            raise ValueError(f"stored index lacks {', '.join(missing)}")
        evidence = tuple(fields["evidence"])
        if len(evidence) != len(entries):
            raise ValueError(f"stored index covers {len(evidence)} entries, the lists hold {len(entries)}")
        index = cls.__new__(cls)
        index.entries = tuple(entries)
        index.evidence = evidence
        index.names = fields["names"]
        index._by_key = fields["by_key"]
        return index

    def stored_fields(self) -> StoredNameIndex:
        return {"evidence": list(self.evidence), "names": self.names, "by_key": self._by_key}

    def lookup(self, key: str) -> Iterable[IndexedName]:
        return (self.names[i] for i in self._by_key.get(key, ()))

    def __len__(self) -> int:
        return len(self.entries)
