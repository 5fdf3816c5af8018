"""The catalogue of lists (lists/sources.toml): what to fetch, from where, how often."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, parse_duration, read_toml
from service.sources.registry import PARSERS


class FormatSpec(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    required: list[str]
    files: dict[str, str]
    optional: list[str] = []
    # Parser options, e.g. {"sources": ["Entity List (EL) - Bureau of Industry and Security"]}.
    options: dict[str, list[str]] = {}

    @property
    def file_names(self) -> list[str]:
        return [*self.required, *self.optional]


class ListSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    publisher: str
    legal_authority: str
    information_url: str
    refresh_every: str
    max_age: str
    min_entries: int
    formats: list[FormatSpec]
    # Largest share of entries an update may remove without --force.
    max_shrink: float = 0.10
    # Which publisher is authoritative when another source repeats this list.
    authoritative_note: str = ""
    id: str = ""

    @property
    def max_age_delta(self) -> timedelta:
        return parse_duration(self.max_age)

    @property
    def refresh_every_delta(self) -> timedelta:
        return parse_duration(self.refresh_every)


class Catalog(msgspec.Struct, forbid_unknown_fields=True):
    catalogue_version: str
    lists: dict[str, ListSpec]

    def get(self, list_id: str) -> ListSpec:
        try:
            return self.lists[list_id]
        except KeyError:
            raise KeyError(f"unknown list {list_id!r}; the catalogue has {', '.join(sorted(self.lists))}") from None


def default_catalog_path() -> Path:
    return Path(os.environ.get("SCREENING_CATALOG", LISTS_DIR / "sources.toml"))


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or default_catalog_path()
    catalog, _ = read_toml(path, Catalog)
    for list_id, spec in catalog.lists.items():
        spec.id = list_id
        where = f"{path}: lists.{list_id}"
        for field in ("refresh_every", "max_age"):
            try:
                parse_duration(getattr(spec, field))
            except ValueError as exc:
                raise ConfigFileError(f"{where}.{field}: {exc}") from None
        if spec.min_entries < 1:
            raise ConfigFileError(f"{where}.min_entries: must be at least 1")
        if not 0 <= spec.max_shrink < 1:
            raise ConfigFileError(f"{where}.max_shrink: must be a share between 0 and 1 (e.g. 0.10)")
        if not spec.formats:
            raise ConfigFileError(f"{where}.formats: at least one format is needed")
        for position, fmt in enumerate(spec.formats):
            if fmt.format not in PARSERS:
                raise ConfigFileError(
                    f"{where}.formats[{position}].format: unknown format {fmt.format!r}; known: {', '.join(sorted(PARSERS))}"
                )
            missing_urls = [name for name in fmt.file_names if name not in fmt.files]
            if missing_urls or not fmt.required:
                raise ConfigFileError(
                    f"{where}.formats[{position}].files: every required and optional file needs an entry, its "
                    f"official URL or \"\" for a file only read from a local mirror "
                    f"(missing: {', '.join(missing_urls) or 'no required files listed'})"
                )
    return catalog
