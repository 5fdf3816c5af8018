"""Shared helpers for the TOML data files in lists/: locate, read, validate."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import msgspec

LISTS_DIR = Path(__file__).resolve().parent.parent / "lists"
T = TypeVar("T")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class ConfigFileError(Exception):
    """A data file in lists/ is missing or invalid; the message names file and key."""


def parse_duration(text: str) -> timedelta:
    """ "96h", "1d12h", "30m" -> timedelta."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match:
        raise ValueError(f"invalid duration {text!r}: use e.g. '30m', '1h', '4d'")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def read_toml(path: Path, schema: type[T]) -> tuple[T, bytes]:
    """Parse and validate a TOML file; returns the object and the raw bytes (for hashing)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return msgspec.convert(data, type=schema, strict=True), raw
    except msgspec.ValidationError as exc:
        raise ConfigFileError(f"{path}: {exc}") from exc
