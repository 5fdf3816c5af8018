"""Crossover tags (lists/tags.toml): human-rights and forced-labour grounds of a listing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, read_toml
from service.model import Entry

KNOWN_TAGS = frozenset({"human_rights", "forced_labor"})
_SPACES = re.compile(r"\s+")


class TagRules(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    programs: dict[str, list[str]] = {}
    federal_register: dict[str, list[str]] = {}
    lists: dict[str, list[str]] = {}


def _citation_key(text: str) -> str:
    return _SPACES.sub("", text).upper()


class Tagger:
    """Adds tags to entries by program, Federal Register citation and list."""

    def __init__(self, rules: TagRules, path: Path) -> None:
        for section in ("programs", "federal_register", "lists"):
            for key, tags in getattr(rules, section).items():
                unknown = set(tags) - KNOWN_TAGS
                if unknown:
                    raise ConfigFileError(
                        f"{path}: {section}.{key}: unknown tag(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(KNOWN_TAGS))}"
                    )
        self.version = rules.version
        self._programs = rules.programs
        self._citations = {_citation_key(k): v for k, v in rules.federal_register.items()}
        self._lists = rules.lists

    def tags_for(self, entry: Entry) -> tuple[str, ...]:
        found = set(entry.tags)
        found.update(self._lists.get(entry.list_id, ()))
        for program in entry.programs:
            found.update(self._programs.get(program, ()))
        if entry.federal_register_notice:
            notice = _citation_key(entry.federal_register_notice)
            for citation, tags in self._citations.items():
                if citation in notice:
                    found.update(tags)
        return tuple(sorted(found))

    def apply(self, entries: Iterable[Entry]) -> list[Entry]:
        tagged = []
        for entry in entries:
            tags = self.tags_for(entry)
            tagged.append(entry if tags == entry.tags else msgspec.structs.replace(entry, tags=tags))
        return tagged


def default_tags_path() -> Path:
    return Path(os.environ.get("SCREENING_TAGS", LISTS_DIR / "tags.toml"))


def load_tagger(path: Path | None = None) -> Tagger:
    path = path or default_tags_path()
    rules, _ = read_toml(path, TagRules)
    return Tagger(rules, path)
