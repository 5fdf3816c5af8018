"""The catalogue of lists (lists/sources.toml): what to fetch, from where, how often."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import msgspec

from service.config_files import LISTS_DIR, ConfigFileError, parse_duration, read_toml
from service.sources.registry import PARSERS, essential_files

# What an update may remove, besides entries, each with its own limit key
# (`max_shrink_<what>`, defaulting to `max_shrink`): a file dropped from a set
# (alt.csv, add.csv) or a parser change loses these without removing an entry.
SHRINK_MEASURES = ("aliases", "addresses", "programs")


class FormatSpec(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    # The first required file is the format's primary file: without it the
    # format is not offered at all; without another required file the set is
    # incomplete and rejected unless forced.
    required: list[str]
    files: dict[str, str]
    optional: list[str] = []
    # Parser options, e.g. {"sources": ["Entity List (EL) - Bureau of Industry and Security"]}.
    options: dict[str, list[str]] = {}
    # File name -> a pattern: the file's URL is a web page, and the file is the page's link whose
    # address or text matches the pattern (a publisher that dates its file names).
    links: dict[str, str] = {}

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
    # Largest share of the serving version's entries an update may remove without --force.
    max_shrink: float = 0.10
    # The same for the entries' aliases, addresses and program listings (None: max_shrink).
    max_shrink_aliases: float | None = None
    max_shrink_addresses: float | None = None
    max_shrink_programs: float | None = None
    # Which publisher is authoritative when another source repeats this list.
    authoritative_note: str = ""
    id: str = ""

    def shrink_limit(self, measure: str) -> float:
        """Largest share of `measure` ("entries", "aliases", ...) an update may remove."""
        if measure == "entries":
            return self.max_shrink
        limit = getattr(self, f"max_shrink_{measure}")
        return self.max_shrink if limit is None else float(limit)

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
        for key in ("max_shrink", *(f"max_shrink_{measure}" for measure in SHRINK_MEASURES)):
            value = getattr(spec, key)
            if value is not None and not 0 <= value < 1:
                raise ConfigFileError(f"{where}.{key}: must be a share between 0 and 1 (e.g. 0.10), not {value}")
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
                    f'official URL or "" for a file only read from a local mirror '
                    f"(missing: {', '.join(missing_urls) or 'no required files listed'})"
                )
            essential = essential_files(fmt.format, fmt.file_names)
            optional_too = [name for name in essential if name not in fmt.required]
            if optional_too:
                raise ConfigFileError(
                    f"{where}.formats[{position}].required: {', '.join(optional_too)} must be required, not optional: "
                    f"without it the {fmt.format} set loses names or addresses of listed parties"
                )
            if essential and fmt.required[0] != essential[0]:
                raise ConfigFileError(
                    f"{where}.formats[{position}].required: the first required file is the primary one, "
                    f"{essential[0]}, not {fmt.required[0]}"
                )
    return catalog
