"""The decision policy, loaded from lists/policy.toml and validated at start-up.

A policy says what a match *means*: for each list (narrowed by program or tag),
transaction direction and date, an action, a legal basis with its citation, and
the next step. Several rules may fire for one match (an SDN entry under [SDGT]
is blocked by OFAC *and* needs a BIS licence under 15 CFR 744.12); the strictest
action wins and every reason is reported. Regions (comprehensive embargoes) and
ownership (OFAC's 50 percent rule, BIS's affiliates rule) have rules of their own.
The [four_eyes] section says which false positives need a second reviewer
before they clear anything (see service/decide/four_eyes.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, read_toml
from service.decide.regions import FOUND_IN  # where a region rule's region may be found
from service.model import Direction
from service.normalize.countries import is_country_code

# Whom a list rule is about (Rule.applies_to).
SUBJECT_PARTY = "party"
SUBJECT_PRODUCER = "producer"
SUBJECTS = (SUBJECT_PARTY, SUBJECT_PRODUCER)
# Rule.merchandise: no filter, the listing's merchandise among the goods, or not.
MERCHANDISE = ("", "matched", "not_matched")

# Entry fields a rule may quote in its reason ("licence required: For all items subject to the EAR").
QUOTABLE_FIELDS = frozenset(
    {"license_requirement", "license_policy", "federal_register_notice", "start_date", "programs"}
)


class Action(IntEnum):
    """Ordered by strictness, so the consolidated decision is max() over reasons."""

    CLEAR = 1
    REVIEW = 2
    HOLD = 3
    BLOCK = 4

    @classmethod
    def parse(cls, text: str) -> Action:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown action {text!r}; use one of {', '.join(a.name.lower() for a in cls)}") from None


class Window(msgspec.Struct, forbid_unknown_fields=True, rename={"starts": "from"}):
    """A period in which a rule is in force; either end may be open."""

    starts: date | None = None
    until: date | None = None

    def contains(self, day: date) -> bool:
        return (self.starts is None or self.starts <= day) and (self.until is None or day <= self.until)


class Rule(msgspec.Struct, forbid_unknown_fields=True, rename={"list_id": "list"}):
    id: str
    list_id: str
    directions: list[str]
    action: str
    code: str
    legal_basis: str
    next_step: str
    citation: str = ""
    # Narrow the rule to entries listed under one of these programs or carrying one of these tags.
    programs_any: list[str] = []
    tags_any: list[str] = []
    # In force only within one of these windows (none: always).
    effective: list[Window] = []
    # Entry fields quoted in the reason's text, and a pattern whose matches in the
    # entry's remarks are quoted too (e.g. the SSI directive an entry is subject to).
    quote: list[str] = []
    quote_remarks: str = ""
    # Whom the rule is about: the screened party, the producers of the items (and of their
    # inputs), or both. Producers are screened only against lists some rule applies them to.
    applies_to: list[str] = msgspec.field(default_factory=lambda: ["party"])
    # Only for exports to these countries (ISO alpha-2); none: any destination.
    destinations: list[str] = []
    # Only for entries in one of these states (a CBP order: "active", "inactive", "modified").
    status_any: list[str] = []
    # Only when the listing's merchandise is among the transaction's goods ("matched") or is
    # not, or not known to be ("not_matched"): a CBP order covers the goods it names.
    merchandise: str = ""


class RegionRule(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    regions: list[str]
    directions: list[str]
    action: str
    code: str
    legal_basis: str
    next_step: str
    citation: str = ""
    effective: list[Window] = []
    # Where the region must be found: "address" (the party's), "transaction" (its destination
    # or origin), "item" (an item's or input's origin or producer); none: anywhere.
    found_in: list[str] = []
    # Only for exports to these countries (ISO alpha-2); none: any destination.
    destinations: list[str] = []


class SectorRule(msgspec.Struct, forbid_unknown_fields=True):
    """Goods of a sector (lists/sectors.toml) from one of `origin_countries`."""

    id: str
    # Sector ids of lists/sectors.toml; none: every sector there.
    sectors: list[str]
    directions: list[str]
    origin_countries: list[str]
    action: str
    code: str
    legal_basis: str
    next_step: str
    citation: str = ""
    effective: list[Window] = []
    # Goods already placed in one of these regions are left to the region's rules (a HOLD
    # says more than this rule's REVIEW).
    unless_regions: list[str] = []


class OwnershipRule(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    lists: list[str]
    directions: list[str]
    threshold_percent: float
    action: str
    code: str
    legal_basis: str
    next_step: str
    citation: str = ""
    effective: list[Window] = []


class FallbackRule(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    next_step: str
    action: str = "review"
    # [near_match] only: a possible match is never stricter than a confirmed match on the same
    # entry in the same direction (one whose rules clear there is shown as information).
    at_most_confirmed: bool = False


class FourEyesSpec(msgspec.Struct, forbid_unknown_fields=True):
    """[four_eyes] as written: which false positives one reviewer may not clear alone."""

    # A false positive on an entry whose list's rules reach one of these actions (in any
    # direction) waits for a second reviewer; "block" by default: nobody clears a blocked party alone.
    actions: list[str] = msgspec.field(default_factory=lambda: ["block"])
    # Lists whose false positives always need a second reviewer, whatever their rules say.
    lists: list[str] = []


class PolicyFile(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    match_threshold: float
    review_threshold: float
    near_match: FallbackRule
    weak_alias: FallbackRule
    unmapped_list: FallbackRule
    owner_near_match: FallbackRule
    rules: list[Rule]
    # A match by identifier (IMO, passport, wallet ...): its own reason beside the rules' (its
    # action is theirs; `action` here is not used).
    identifier_match: FallbackRule = msgspec.field(
        default_factory=lambda: FallbackRule(
            "IDENTIFIER_MATCH",
            "The party's identifier is the listed one: treat it as the listed party whatever its name.",
        )
    )
    region_rules: list[RegionRule] = []
    ownership_rules: list[OwnershipRule] = []
    sector_rules: list[SectorRule] = []
    four_eyes: FourEyesSpec = msgspec.field(default_factory=FourEyesSpec)


@dataclass(frozen=True)
class FourEyes:
    """The validated [four_eyes] section."""

    actions: frozenset[Action]
    lists: frozenset[str]


def in_force(windows: list[Window], day: date) -> bool:
    return not windows or any(window.contains(day) for window in windows)


class Policy:
    """Validated policy with fast lookups by (list, direction)."""

    def __init__(self, spec: PolicyFile, raw: bytes, path: Path) -> None:
        self.spec = spec
        self.path = path
        # The version names the edit ("2026-11-27.1") and pins the exact bytes.
        self.version = f"{spec.version}+{hashlib.sha256(raw).hexdigest()[:8]}"
        self.match_threshold = spec.match_threshold
        self.review_threshold = spec.review_threshold
        self.actions: dict[str, Action] = {}
        self.remark_patterns: dict[str, re.Pattern[str]] = {}
        self._by_list_direction: dict[tuple[str, Direction], list[Rule]] = {}
        seen_ids: set[str] = set()
        for position, rule in enumerate(spec.rules):
            where = f"{path}: rules[{position}] ({rule.id})"
            directions = self._check_rule(where, rule, seen_ids)
            for field in rule.quote:
                if field not in QUOTABLE_FIELDS:
                    raise ConfigFileError(
                        f"{where}.quote: unknown entry field {field!r}; use {', '.join(sorted(QUOTABLE_FIELDS))}"
                    )
            if rule.quote_remarks:
                try:
                    self.remark_patterns[rule.id] = re.compile(rule.quote_remarks)
                except re.error as exc:
                    raise ConfigFileError(f"{where}.quote_remarks: not a valid regular expression: {exc}") from None
            self._check_values(where, "applies_to", rule.applies_to, SUBJECTS, required=True)
            if rule.merchandise not in MERCHANDISE:
                allowed = ", ".join(MERCHANDISE[1:])
                raise ConfigFileError(f"{where}.merchandise: {rule.merchandise!r} is not one of {allowed}")
            self._check_countries(where, "destinations", rule.destinations)
            for direction in directions:
                same = self._by_list_direction.setdefault((rule.list_id, direction), [])
                for other in same:
                    if (
                        (other.programs_any, other.tags_any, other.status_any, other.merchandise)
                        == (rule.programs_any, rule.tags_any, rule.status_any, rule.merchandise)
                        and not set(other.applies_to).isdisjoint(rule.applies_to)
                        and _destinations_overlap(other.destinations, rule.destinations)
                        and _overlap(other.effective, rule.effective)
                    ):
                        raise ConfigFileError(
                            f"{where}: list {rule.list_id!r} direction {direction.value!r} with the same programs and "
                            f"tags is already covered by rule {other.id!r} in an overlapping period"
                        )
                same.append(rule)
        for position, region_rule in enumerate(spec.region_rules):
            where = f"{path}: region_rules[{position}] ({region_rule.id})"
            self._check_rule(where, region_rule, seen_ids)
            self._check_values(where, "found_in", region_rule.found_in, FOUND_IN)
            self._check_countries(where, "destinations", region_rule.destinations)
        for position, sector_rule in enumerate(spec.sector_rules):
            where = f"{path}: sector_rules[{position}] ({sector_rule.id})"
            self._check_rule(where, sector_rule, seen_ids)
            self._check_countries(where, "origin_countries", sector_rule.origin_countries)
            if not sector_rule.origin_countries:
                raise ConfigFileError(f"{where}.origin_countries: list at least one country code")
        for position, ownership in enumerate(spec.ownership_rules):
            where = f"{path}: ownership_rules[{position}] ({ownership.id})"
            self._check_rule(where, ownership, seen_ids)
            if not 0 < ownership.threshold_percent <= 100:
                raise ConfigFileError(
                    f"{where}.threshold_percent: must be in (0, 100], not {ownership.threshold_percent}"
                )
        for name in ("near_match", "weak_alias", "unmapped_list", "owner_near_match"):
            self._action(f"{path}: {name}", getattr(spec, name).action)
            if name != "near_match" and getattr(spec, name).at_most_confirmed:
                raise ConfigFileError(f"{path}: {name}.at_most_confirmed: only [near_match] takes it")
        if not 0 < spec.review_threshold <= spec.match_threshold <= 1:
            raise ConfigFileError(f"{path}: need 0 < review_threshold <= match_threshold <= 1")
        self.four_eyes = self._four_eyes(f"{path}: four_eyes", spec.four_eyes)

    def _check_rule(
        self, where: str, rule: Rule | RegionRule | SectorRule | OwnershipRule, seen: set[str]
    ) -> list[Direction]:
        """What every kind of rule must get right (a unique id, an action, its directions and
        windows); records the rule's action and returns its directions."""
        self._check_id(where, rule.id, seen)
        self.actions[rule.id] = self._action(where, rule.action)
        self._check_windows(where, rule.effective)
        return self._directions(where, rule.directions)

    @staticmethod
    def _check_values(
        where: str, name: str, values: list[str], allowed: tuple[str, ...], required: bool = False
    ) -> None:
        if required and not values:
            raise ConfigFileError(f"{where}.{name}: list at least one of {', '.join(allowed)}")
        for position, value in enumerate(values):
            if value not in allowed:
                raise ConfigFileError(f"{where}.{name}[{position}]: {value!r} is not one of {', '.join(allowed)}")

    @staticmethod
    def _check_countries(where: str, name: str, codes: list[str]) -> None:
        for position, code in enumerate(codes):
            if not is_country_code(code):
                message = f"{code!r} is not an ISO 3166-1 alpha-2 code (upper case)"
                raise ConfigFileError(f"{where}.{name}[{position}]: {message}")

    @staticmethod
    def _check_id(where: str, rule_id: str, seen: set[str]) -> None:
        if not rule_id.strip():
            raise ConfigFileError(f"{where}.id: must not be empty")
        if rule_id in seen:
            raise ConfigFileError(f"{where}.id: {rule_id!r} is used by another rule")
        seen.add(rule_id)

    @staticmethod
    def _action(where: str, text: str) -> Action:
        try:
            return Action.parse(text)
        except ValueError as exc:
            raise ConfigFileError(f"{where}.action: {exc}") from None

    @staticmethod
    def _directions(where: str, texts: list[str]) -> list[Direction]:
        directions = []
        for text in texts:
            try:
                directions.append(Direction(text))
            except ValueError:
                raise ConfigFileError(
                    f"{where}.directions: unknown direction {text!r}; use {', '.join(d.value for d in Direction)}"
                ) from None
        return directions

    @staticmethod
    def _four_eyes(where: str, spec: FourEyesSpec) -> FourEyes:
        actions = set()
        for position, text in enumerate(spec.actions):
            try:
                actions.add(Action.parse(text))
            except ValueError as exc:
                raise ConfigFileError(f"{where}.actions[{position}]: {exc}") from None
        lists: set[str] = set()
        for position, list_id in enumerate(spec.lists):
            # The schema already refuses non-strings; a blank or repeated id is a typo worth naming.
            if not list_id.strip():
                raise ConfigFileError(f"{where}.lists[{position}]: must be a list id such as 'ofac_sdn', not empty")
            if list_id in lists:
                raise ConfigFileError(f"{where}.lists[{position}]: {list_id!r} is named twice; remove one")
            lists.add(list_id)
        return FourEyes(frozenset(actions), frozenset(lists))

    @staticmethod
    def _check_windows(where: str, windows: list[Window]) -> None:
        for position, window in enumerate(windows):
            if window.starts and window.until and window.until < window.starts:
                raise ConfigFileError(
                    f"{where}.effective[{position}]: 'until' {window.until} is before 'from' {window.starts}"
                )

    def rules_for(
        self,
        list_id: str,
        direction: Direction,
        programs: tuple[str, ...],
        tags: tuple[str, ...],
        day: date,
        subject: str = SUBJECT_PARTY,
        destination: str = "",
        status: str = "",
    ) -> list[Rule]:
        """Every rule in force on `day` for this list, direction, subject (the party or a producer)
        and export destination whose program / tag / status filter the entry meets (the
        merchandise filter is the decision's: it needs the goods, service/decide/merchandise.py)."""
        return [
            rule
            for rule in self._by_list_direction.get((list_id, direction), ())
            if subject in rule.applies_to
            and (not rule.destinations or destination in rule.destinations)
            and (not rule.status_any or status in rule.status_any)
            and in_force(rule.effective, day)
            and (not rule.programs_any or not set(rule.programs_any).isdisjoint(programs))
            and (not rule.tags_any or not set(rule.tags_any).isdisjoint(tags))
        ]

    @property
    def producer_lists(self) -> frozenset[str]:
        """Lists some rule applies to producers: the lists items' producers are screened against."""
        return frozenset(rule.list_id for rule in self.spec.rules if SUBJECT_PRODUCER in rule.applies_to)

    def covers(self, list_id: str, direction: Direction) -> bool:
        """Whether any rule speaks about this list and direction (else the unmapped fallback applies)."""
        return any(SUBJECT_PARTY in rule.applies_to for rule in self._by_list_direction.get((list_id, direction), ()))

    def region_rules_for(
        self, region_id: str, direction: Direction, day: date, found_in: str = "address", destination: str = ""
    ) -> list[RegionRule]:
        return [
            rule
            for rule in self.spec.region_rules
            if region_id in rule.regions
            and direction.value in rule.directions
            and (not rule.found_in or found_in in rule.found_in)
            and (not rule.destinations or destination in rule.destinations)
            and in_force(rule.effective, day)
        ]

    def sector_rules_for(self, direction: Direction, day: date) -> list[SectorRule]:
        rules = self.spec.sector_rules
        return [rule for rule in rules if direction.value in rule.directions and in_force(rule.effective, day)]

    def ownership_rules_for(self, direction: Direction, day: date) -> list[OwnershipRule]:
        return [
            rule
            for rule in self.spec.ownership_rules
            if direction.value in rule.directions and in_force(rule.effective, day)
        ]


def _destinations_overlap(first: list[str], second: list[str]) -> bool:
    return not first or not second or not set(first).isdisjoint(second)


def _overlap(first: list[Window], second: list[Window]) -> bool:
    everything = [Window()]
    for a in first or everything:
        for b in second or everything:
            starts = max((d for d in (a.starts, b.starts) if d), default=None)
            until = min((d for d in (a.until, b.until) if d), default=None)
            if starts is None or until is None or starts <= until:
                return True
    return False


def default_policy_path() -> Path:
    return Path(os.environ.get("SCREENING_POLICY", LISTS_DIR / "policy.toml"))


def load_policy(path: Path | None = None) -> Policy:
    path = path or default_policy_path()
    spec, raw = read_toml(path, PolicyFile)
    return Policy(spec, raw, path)
