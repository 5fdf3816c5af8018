"""An immutable snapshot of what a process screens against.

Requests read `ListLoader.state` once and use that object throughout, so a list
update that swaps the state mid-request cannot mix versions in one response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from service.decide.policy import Policy
from service.index.name_index import NameIndex
from service.match.base import Matcher
from service.match.exact import ExactNameMatcher
from service.model import Entry
from service.store.snapshots import VersionMeta


@dataclass(frozen=True)
class LoadedList:
    meta: VersionMeta
    entries: tuple[Entry, ...]
    loaded_at: datetime


MatcherFactory = Callable[[Sequence[Entry], Mapping[str, str]], Matcher]


def build_exact_matcher(entries: Sequence[Entry], versions: Mapping[str, str]) -> Matcher:
    return ExactNameMatcher(NameIndex(entries), dict(versions))


@dataclass(frozen=True)
class ScreeningState:
    lists: Mapping[str, LoadedList]
    matcher: Matcher
    policy: Policy

    @classmethod
    def build(cls, lists: Mapping[str, LoadedList], policy: Policy, matcher_factory: MatcherFactory) -> ScreeningState:
        entries = [entry for loaded in lists.values() for entry in loaded.entries]
        versions = {list_id: loaded.meta.version for list_id, loaded in lists.items()}
        return cls(lists=dict(lists), matcher=matcher_factory(entries, versions), policy=policy)

    @property
    def versions(self) -> dict[str, str]:
        return {list_id: loaded.meta.version for list_id, loaded in self.lists.items()}
