"""Order-free exact name index over every name (primary and aliases) of a list set."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.index.evidence import EntryEvidence, entry_evidence
from service.model import Entry
from service.normalize.names import name_tokens, order_free_key


@dataclass(frozen=True, slots=True)
class IndexedName:
    entry_position: int
    name_position: int
    tokens: tuple[str, ...]


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
        self._by_key: dict[str, tuple[int, ...]] = {key: tuple(ids) for key, ids in by_key.items()}

    # Fields a stored build carries (the entries come from the list versions themselves).
    STORED_FIELDS = ("evidence", "names", "by_key")

    @property
    def by_key(self) -> dict[str, tuple[int, ...]]:
        return self._by_key

    @classmethod
    def restore(cls, entries: Sequence[Entry], fields: dict[str, object]) -> NameIndex:
        """The index a build stored as `fields` (see STORED_FIELDS), over the same entries in the same order."""
        missing = [name for name in cls.STORED_FIELDS if name not in fields]
        if missing:
            raise ValueError(f"stored index lacks {', '.join(missing)}")
        evidence = tuple(fields["evidence"])  # type: ignore[call-overload]
        if len(evidence) != len(entries):
            raise ValueError(f"stored index covers {len(evidence)} entries, the lists hold {len(entries)}")
        index = cls.__new__(cls)
        index.entries = tuple(entries)
        index.evidence = evidence
        index.names = fields["names"]  # type: ignore[assignment]
        index._by_key = fields["by_key"]  # type: ignore[assignment]
        return index

    def stored_fields(self) -> dict[str, object]:
        return {"evidence": list(self.evidence), "names": self.names, "by_key": self._by_key}

    def lookup(self, key: str) -> Iterable[IndexedName]:
        return (self.names[i] for i in self._by_key.get(key, ()))

    def __len__(self) -> int:
        return len(self.entries)
