"""Every catalogued list from an offline mirror, loaded in memory without Redis.

The evaluation measures matching and decisions, not storage: parsing the mirror
straight into `LoadedList`s (as the loader would after reading Redis, tags
applied the same way) keeps a full run to seconds and needs no server.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from service.catalog import Catalog, load_catalog
from service.catalog.tags import load_tagger
from service.decide.policy import load_policy
from service.engine.state import LoadedList, MatcherFactory, ScreeningState
from service.engine.state import build_default_matcher as default_factory
from service.refresh.fetch import read_directory
from service.refresh.publisher import parse_fetched
from service.store.snapshots import VersionMeta

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
DEFAULT_MIRROR = SHARED_DATA / "mirror-2023-12"


def load_mirror(mirror: Path, catalog: Catalog | None = None) -> dict[str, LoadedList]:
    """Every list of the catalogue whose files the mirror holds, parsed and tagged,
    exactly as `screening refresh --from MIRROR` reads them (without --force)."""
    catalog = catalog or load_catalog()
    tagger = load_tagger()
    now = datetime.now(UTC)
    loaded: dict[str, LoadedList] = {}
    for list_id, spec in catalog.lists.items():
        fetched = read_directory(spec, mirror)
        if fetched is None:
            continue
        parsed = parse_fetched(fetched)
        meta = VersionMeta(
            list_id=list_id,
            version=parsed.version,
            format=parsed.format,
            entry_count=len(parsed.entries),
            origin=parsed.origin,
            files=parsed.files,
            fetched_at=now,
            stored_at=now,
            published_at=parsed.published_at,
            data_date=parsed.data_date,
            notes=parsed.notes,
        )
        loaded[list_id] = LoadedList(meta, tuple(tagger.apply(parsed.entries)), now, spec.max_age_delta)
    return loaded


@dataclass(frozen=True)
class BuiltState:
    state: ScreeningState
    factory_name: str
    build_seconds: float


def build_state(lists: Mapping[str, LoadedList], factory: MatcherFactory | None = None) -> BuiltState:
    """The state the service would serve: whatever `ScreeningState.build` makes with the default factory."""
    factory = factory or default_factory
    started = time.perf_counter()
    state = ScreeningState.build(lists, load_policy(), factory)
    return BuiltState(state, getattr(factory, "__name__", repr(factory)), time.perf_counter() - started)


def resident_mb() -> float:
    """Current resident set size (VmRSS), falling back to the peak where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_resident_mb()


def peak_resident_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS; this harness runs on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
