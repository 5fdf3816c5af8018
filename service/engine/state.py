"""An immutable snapshot of what a process screens against.

Requests read `ListLoader.state` once and use that object throughout, so a list
update that swaps the state mid-request cannot mix versions in one response.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from service.config_files import ConfigFileError
from service.decide.policy import Policy
from service.decide.regions import RegionTable, load_regions
from service.decide.sectors import SectorTable, load_sectors
from service.identifiers.index import IdentifierIndex
from service.index.bundle import IndexBundle
from service.index.fuzzy_index import FuzzyIndex
from service.index.linking import EntryKey, Link, link_entries
from service.index.name_index import NameIndex
from service.match.base import Matcher
from service.match.exact import ExactNameMatcher
from service.match.fuzzy import FuzzyMatcher, warm_reference_data
from service.model import Entry
from service.store.snapshots import VersionMeta


@dataclass(frozen=True)
class LoadedList:
    meta: VersionMeta
    entries: tuple[Entry, ...]
    loaded_at: datetime
    # From the catalogue: beyond this since the last confirmation, the list is stale.
    max_age: timedelta


MatcherFactory = Callable[[NameIndex, Mapping[str, str]], Matcher]


def build_exact_matcher(index: NameIndex, versions: Mapping[str, str]) -> Matcher:
    return ExactNameMatcher(index, dict(versions))


def build_default_matcher(index: NameIndex, versions: Mapping[str, str]) -> Matcher:
    """The production matcher: typo-, transliteration-, order- and legal-form-tolerant."""
    warm_reference_data()
    return FuzzyMatcher(FuzzyIndex(index), dict(versions))


def _sectors_for(policy: Policy) -> SectorTable:
    """The sector table, checked against the sector ids the policy's rules name."""
    table = load_sectors()
    for rule in policy.spec.sector_rules:
        unknown = [sector for sector in rule.sectors if sector not in table.ids]
        if unknown:
            raise ConfigFileError(
                f"{policy.path}: sector_rules ({rule.id}).sectors: {', '.join(map(repr, unknown))} not in {table.path}"
            )
    return table


def _producer_matcher(matcher: Matcher, lists: Mapping[str, LoadedList], policy: Policy) -> Matcher | None:
    list_ids = frozenset(policy.producer_lists & lists.keys())
    return matcher.subset(list_ids) if list_ids else None


@dataclass(frozen=True)
class ScreeningState:
    lists: Mapping[str, LoadedList]
    matcher: Matcher
    policy: Policy
    # (list_id, entry_id) -> the same party's listings on other lists.
    links: Mapping[EntryKey, tuple[Link, ...]] = field(default_factory=dict)
    # When each list was last confirmed current at its publisher; replaced (with
    # dataclasses.replace, no index rebuild) whenever a refresh confirms it.
    confirmed_at: Mapping[str, datetime] = field(default_factory=dict)
    # How embargoed countries and regions are recognised in addresses (lists/regions.toml).
    regions: RegionTable | None = None
    # The matcher for items' producers: only the loaded lists the policy has producer rules for
    # (None when there are none), so ten producers cost less than one more party.
    producer_matcher: Matcher | None = None
    # Sectors of goods by HS code (lists/sectors.toml), for the policy's sector rules.
    sectors: SectorTable | None = None
    # Every listed identifier (IMO, passport, wallet ...) by the key it is compared by.
    identifiers: IdentifierIndex = field(default_factory=IdentifierIndex)

    @cached_property
    def _entries_by_key(self) -> dict[EntryKey, Entry]:
        return {(entry.list_id, entry.entry_id): entry for loaded in self.lists.values() for entry in loaded.entries}

    def entry(self, list_id: str, entry_id: str) -> Entry | None:
        """The serving version's entry, e.g. for a disposition's content hash."""
        return self._entries_by_key.get((list_id, entry_id))

    def age(self, list_id: str, now: datetime) -> timedelta:
        loaded = self.lists[list_id]
        confirmed = self.confirmed_at.get(list_id, loaded.meta.fetched_at)
        return max(now - confirmed, timedelta(0))

    def is_stale(self, list_id: str, now: datetime) -> bool:
        return self.age(list_id, now) > self.lists[list_id].max_age

    @classmethod
    def build(
        cls,
        lists: Mapping[str, LoadedList],
        policy: Policy,
        matcher_factory: MatcherFactory,
        regions: RegionTable | None = None,
    ) -> ScreeningState:
        entries = [entry for loaded in lists.values() for entry in loaded.entries]
        versions = {list_id: loaded.meta.version for list_id, loaded in lists.items()}
        index = NameIndex(entries)
        matcher = matcher_factory(index, versions)
        return cls(
            lists=dict(lists),
            matcher=matcher,
            policy=policy,
            links=link_entries(index.entries, index.evidence),
            regions=regions if regions is not None else load_regions(),
            producer_matcher=_producer_matcher(matcher, lists, policy),
            sectors=_sectors_for(policy),
            identifiers=IdentifierIndex.build(entries),
        )

    @classmethod
    def from_bundle(
        cls,
        lists: Mapping[str, LoadedList],
        bundle: IndexBundle,
        policy: Policy,
        regions: RegionTable | None = None,
        entries_by_key: dict[EntryKey, Entry] | None = None,
        identifiers: IdentifierIndex | None = None,
    ) -> ScreeningState:
        """The state over an index built (or restored) for exactly these lists, with the production matcher.

        `entries_by_key`, `identifiers`: built ahead, a step at a time (else built here at once)."""
        versions = {list_id: loaded.meta.version for list_id, loaded in lists.items()}
        matcher = FuzzyMatcher(bundle.fuzzy, versions)
        state = cls(
            lists=dict(lists),
            matcher=matcher,
            policy=policy,
            links=bundle.links,
            regions=regions if regions is not None else load_regions(),
            producer_matcher=_producer_matcher(matcher, lists, policy),
            sectors=_sectors_for(policy),
            identifiers=identifiers
            if identifiers is not None
            else IdentifierIndex.build([entry for loaded in lists.values() for entry in loaded.entries]),
        )
        if entries_by_key is not None:
            # Filled in ahead (a step at a time) so the first request after a swap does not build it.
            state.__dict__["_entries_by_key"] = entries_by_key
        return state

    def with_confirmations(self, confirmed_at: Mapping[str, datetime]) -> ScreeningState:
        """The same state with new confirmation times (no rebuild; the entry lookup carries over)."""
        state = dataclasses.replace(self, confirmed_at=confirmed_at)
        if "_entries_by_key" in self.__dict__:
            state.__dict__["_entries_by_key"] = self.__dict__["_entries_by_key"]
        return state

    @property
    def versions(self) -> dict[str, str]:
        return {list_id: loaded.meta.version for list_id, loaded in self.lists.items()}
