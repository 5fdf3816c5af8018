"""Dataset sizes and seed: import-light, because `screening --help` builds every sub-command's parser."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20231228
DEFAULT_DATA = Path(".eval-data")


@dataclass(frozen=True)
class Sizes:
    per_category: int = 200  # positives per category
    negatives: int = 2000
    hard_per_category: int = 200
