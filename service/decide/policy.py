"""The decision policy, loaded from lists/policy.toml and validated at start-up."""

from __future__ import annotations

import hashlib
import os
from enum import IntEnum
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, read_toml
from service.model import Direction


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


class Rule(msgspec.Struct, forbid_unknown_fields=True, rename={"list_id": "list"}):
    id: str
    list_id: str
    directions: list[str]
    action: str
    code: str
    legal_basis: str
    next_step: str
    citation: str = ""


class FallbackRule(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    next_step: str
    action: str = "review"


class PolicyFile(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    match_threshold: float
    review_threshold: float
    near_match: FallbackRule
    weak_alias: FallbackRule
    unmapped_list: FallbackRule
    rules: list[Rule]


class Policy:
    """Validated policy with a (list, direction) -> rule lookup."""

    def __init__(self, spec: PolicyFile, raw: bytes, path: Path) -> None:
        self.spec = spec
        self.path = path
        # The version names the edit ("2026-11-27.1") and pins the exact bytes.
        self.version = f"{spec.version}+{hashlib.sha256(raw).hexdigest()[:8]}"
        self.match_threshold = spec.match_threshold
        self.review_threshold = spec.review_threshold
        self._by_list_direction: dict[tuple[str, Direction], Rule] = {}
        self.actions: dict[str, Action] = {}
        for position, rule in enumerate(spec.rules):
            where = f"{path}: rules[{position}] ({rule.id})"
            try:
                self.actions[rule.id] = Action.parse(rule.action)
            except ValueError as exc:
                raise ConfigFileError(f"{where}.action: {exc}") from None
            for direction_text in rule.directions:
                try:
                    direction = Direction(direction_text)
                except ValueError:
                    raise ConfigFileError(
                        f"{where}.directions: unknown direction {direction_text!r}; "
                        f"use {', '.join(d.value for d in Direction)}"
                    ) from None
                key = (rule.list_id, direction)
                if key in self._by_list_direction:
                    raise ConfigFileError(
                        f"{where}: list {rule.list_id!r} direction {direction.value!r} is already covered by rule "
                        f"{self._by_list_direction[key].id!r}"
                    )
                self._by_list_direction[key] = rule
        for name in ("near_match", "weak_alias", "unmapped_list"):
            try:
                Action.parse(getattr(spec, name).action)
            except ValueError as exc:
                raise ConfigFileError(f"{path}: {name}.action: {exc}") from None
        if not 0 < spec.review_threshold <= spec.match_threshold <= 1:
            raise ConfigFileError(f"{path}: need 0 < review_threshold <= match_threshold <= 1")

    def rule_for(self, list_id: str, direction: Direction) -> Rule | None:
        return self._by_list_direction.get((list_id, direction))


def default_policy_path() -> Path:
    return Path(os.environ.get("SCREENING_POLICY", LISTS_DIR / "policy.toml"))


def load_policy(path: Path | None = None) -> Policy:
    path = path or default_policy_path()
    spec, raw = read_toml(path, PolicyFile)
    return Policy(spec, raw, path)
