"""Sectors of goods by HS code (lists/sectors.toml): the UFLPA high-priority sectors.

Validated and compiled once at load time into a prefix -> sector table; a lookup tries
the code's prefixes longest first, so it costs at most ten dictionary probes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, read_toml

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PREFIX = re.compile(r"^\d{2,10}$")


class SectorSpec(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str
    named_in: str
    named_on: date
    hs_prefixes: list[str]


class SectorsFile(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    sectors: list[SectorSpec]


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    name: str
    # Which document named it, and when.
    named_in: str
    named_on: date
    # The prefix an item's HS code matched.
    prefix: str = ""

    @property
    def source(self) -> str:
        return f"{self.named_in}, {self.named_on.isoformat()}"


class SectorTable:
    def __init__(self, spec: SectorsFile, raw: bytes, path: Path) -> None:
        self.path = path
        self.version = f"{spec.version}+{hashlib.sha256(raw).hexdigest()[:8]}"
        self._by_prefix: dict[str, Sector] = {}
        ids: set[str] = set()
        for position, sector in enumerate(spec.sectors):
            where = f"{path}: sectors[{position}]"
            if not _ID.match(sector.id):
                raise ConfigFileError(f"{where}.id: {sector.id!r} must be lower-case letters, digits and _")
            if sector.id in ids:
                raise ConfigFileError(f"{where}.id: {sector.id!r} is defined twice")
            ids.add(sector.id)
            for name in ("name", "named_in"):
                if not getattr(sector, name).strip():
                    raise ConfigFileError(f"{where}.{name}: must not be empty")
            if not sector.hs_prefixes:
                raise ConfigFileError(f"{where}.hs_prefixes: list at least one HS prefix")
            for index, prefix in enumerate(sector.hs_prefixes):
                if not _PREFIX.match(prefix):
                    raise ConfigFileError(f"{where}.hs_prefixes[{index}]: {prefix!r} is not 2 to 10 digits")
                if prefix in self._by_prefix:
                    other = self._by_prefix[prefix].id
                    raise ConfigFileError(f"{where}.hs_prefixes[{index}]: {prefix!r} is already in sector {other!r}")
                self._by_prefix[prefix] = Sector(sector.id, sector.name, sector.named_in, sector.named_on, prefix)
        self.ids = frozenset(ids)

    def sector_of(self, hs_code: str) -> Sector | None:
        """The sector of an HS code (digits only), by its longest listed prefix; None if in none."""
        for length in range(min(len(hs_code), 10), 1, -1):
            sector = self._by_prefix.get(hs_code[:length])
            if sector is not None:
                return sector
        return None


def default_sectors_path() -> Path:
    return Path(os.environ.get("SCREENING_SECTORS", LISTS_DIR / "sectors.toml"))


def load_sectors(path: Path | None = None) -> SectorTable:
    path = path or default_sectors_path()
    spec, raw = read_toml(path, SectorsFile)
    return SectorTable(spec, raw, path)
